/* json: RFC 8259 output with escaping that never emits invalid text. */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json *j, struct buf *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
}

/* Write the separator a new value needs at the current nesting level. */
static void json_value_start(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0 && j->need_comma[j->depth - 1])
		buf_append_byte(j->out, ',');
	if (j->depth > 0)
		j->need_comma[j->depth - 1] = 1;
}

static void json_open(struct json *j, char c)
{
	if (j->swallow) {
		j->swallow++;
		return;
	}
	json_value_start(j);
	if (j->depth == JSON_DEPTH_MAX) {
		buf_append_str(j->out, "null"); /* too deep: the container and its content become null */
		j->swallow = 1;
		return;
	}
	buf_append_byte(j->out, c);
	j->need_comma[j->depth] = 0;
	j->depth++;
}

static void json_close(struct json *j, char c)
{
	if (j->swallow) {
		j->swallow--;
		return;
	}
	if (j->depth > 0)
		j->depth--;
	buf_append_byte(j->out, c);
}

void json_obj_begin(struct json *j) { json_open(j, '{'); }
void json_obj_end(struct json *j) { json_close(j, '}'); }
void json_arr_begin(struct json *j) { json_open(j, '['); }
void json_arr_end(struct json *j) { json_close(j, ']'); }

/* Printable ASCII that JSON strings carry as it is. */
static int json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* s as a JSON string followed by the byte after (0 for none), in one write when nothing needs escaping. */
static int json_plain_string(struct json *j, const char *s, size_t len, char after)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len; i++)
		if (!json_plain(p[i]))
			return 0;
	if (buf_reserve(j->out, len + 3) < 0)
		return 1;   /* past the cap: nothing written, as buf_append writes nothing then */
	char *w = j->out->data + j->out->len;
	*w++ = '"';
	memcpy(w, s, len);
	w += len;
	*w++ = '"';
	if (after)
		*w++ = after;
	*w = '\0';
	j->out->len = (size_t)(w - j->out->data);
	return 1;
}

static void json_escape(struct json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	if (json_plain_string(j, s, len, 0))
		return;
	buf_append_byte(j->out, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		if (json_plain(c)) {
			size_t run = i + 1;
			while (run < len && json_plain(p[run]))
				run++;
			buf_append(j->out, s + i, run - i);   /* a whole run at once */
			i = run;
		} else if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			buf_append(j->out, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
			if (named)
				buf_append_str(j->out, named);
			else
				buf_printf(j->out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			buf_append_byte(j->out, (char)c);
			i++;
		} else {
			size_t n = utf8_seq_len(p + i, len - i);
			if (n) {
				buf_append(j->out, p + i, n);
				i += n;
			} else {
				buf_append_str(j->out, "\\ufffd");
				i++;
			}
		}
	}
	buf_append_byte(j->out, '"');
}

void json_key(struct json *j, const char *key)
{
	if (j->swallow)
		return;
	json_value_start(j);
	size_t len = strlen(key);
	if (!json_plain_string(j, key, len, ':')) {
		json_escape(j, key, len);
		buf_append_byte(j->out, ':');
	}
	j->after_key = 1;
}

void json_strn(struct json *j, const char *s, size_t len)
{
	if (j->swallow)
		return;
	json_value_start(j);
	json_escape(j, s, len);
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	if (j->swallow)
		return;
	json_value_start(j);
	buf_printf(j->out, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
	if (j->swallow)
		return;
	json_value_start(j);
	buf_printf(j->out, "%" PRIu64, v);
}

void json_bool(struct json *j, int v)
{
	if (j->swallow)
		return;
	json_value_start(j);
	buf_append_str(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	if (j->swallow)
		return;
	json_value_start(j);
	buf_append_str(j->out, "null");
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}
