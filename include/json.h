/*
 * json: a minimal JSON writer (RFC 8259) appending to a buf. Strings are escaped
 * byte-exactly: valid UTF-8 passes through, control characters become \u00XX,
 * and bytes that are not UTF-8 become U+FFFD so the output always parses.
 * Separators are managed by a small nesting stack; a container opened deeper
 * than JSON_DEPTH_MAX is written as null and everything inside it is dropped,
 * so even a runaway caller cannot produce text that does not parse.
 */
#ifndef ARCVERIFY_JSON_H
#define ARCVERIFY_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

#define JSON_DEPTH_MAX 32

struct json {
	struct buf *out;                 /* not ours */
	int need_comma[JSON_DEPTH_MAX];
	int depth;
	int after_key;
	int swallow;                     /* levels being dropped below JSON_DEPTH_MAX */
};

void json_init(struct json *j, struct buf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_keyn(struct json *j, const char *key, size_t len);
void json_str(struct json *j, const char *s);              /* NULL writes null */
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/*
 * Keys are nearly always literals: inline, so that strlen of one is a
 * constant and a report of thousands of keys does not measure each again.
 */
static inline void json_key(struct json *j, const char *key)
{
	json_keyn(j, key, strlen(key));
}

/* key + value shorthands */
static inline void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

static inline void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

static inline void json_kv_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}

#endif
