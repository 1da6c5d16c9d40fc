/*
 * jsonin: a small JSON reader (RFC 8259) for what arcverify reads back: the
 * JSON Lines records of earlier runs (--summarize). It parses one text into a
 * tree, strictly (no trailing commas, no comments, valid UTF-8 and escapes),
 * with bounds on depth and size checked before anything is allocated for it.
 * The tree owns its strings; jsonin_free releases it.
 */
#ifndef ARCVERIFY_JSONIN_H
#define ARCVERIFY_JSONIN_H

#include <stddef.h>

#define JSONIN_DEPTH_MAX 64
#define JSONIN_TEXT_MAX ((size_t)64 << 20)   /* one record */

enum jsonin_type { JSONIN_NULL = 0, JSONIN_BOOL, JSONIN_NUMBER, JSONIN_STRING, JSONIN_ARRAY, JSONIN_OBJECT };

struct jsonin {
	enum jsonin_type type;
	int boolean;
	double number;
	char *string;              /* NUL-terminated UTF-8 (a \u0000 escape is refused) */
	size_t len;
	struct jsonin *items;      /* array elements or object values */
	char **keys;               /* object keys, parallel to items */
	size_t n;
};

/* Parse text (len bytes) into out. 0, or -1 with "offset N: why" in err. */
int jsonin_parse(const char *text, size_t len, struct jsonin *out, char *err, size_t errlen);
void jsonin_free(struct jsonin *v);
/* The member key of an object, or NULL (also when v is not an object). */
const struct jsonin *jsonin_get(const struct jsonin *v, const char *key);
/* The string value of member key, or NULL when absent or not a string. */
const char *jsonin_str(const struct jsonin *v, const char *key);

#endif
