/* json: RFC 8259 output with escaping that never emits invalid text. */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>   /* every x86-64 has SSE2; elsewhere the scalar loop does the same */
#endif

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

/* Whether all len bytes at p are json_plain: 16 at a time where the machine has SSE2. */
static int all_plain(const unsigned char *p, size_t len)
{
	size_t i = 0;
#ifdef __SSE2__
	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i printable = _mm_cmpgt_epi8(x, _mm_set1_epi8(0x1f));   /* signed: 0x20..0x7f */
		__m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
							    _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))),
					       _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
		if (_mm_movemask_epi8(_mm_andnot_si128(special, printable)) != 0xffff)
			return 0;
	}
#endif
	for (; i < len; i++)
		if (!json_plain(p[i]))
			return 0;
	return 1;
}

/* s as a JSON string followed by the byte after (0 for none), in one write when nothing needs escaping. */
static int json_plain_string(struct json *j, const char *s, size_t len, char after)
{
	if (!all_plain((const unsigned char *)s, len))
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

/* s as a JSON string, escaping as RFC 8259 §7 requires; the slow path of json_escape. */
static void json_escape_each(struct json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
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

static void json_escape(struct json *j, const char *s, size_t len)
{
	if (!json_plain_string(j, s, len, 0))
		json_escape_each(j, s, len);
}

void json_keyn(struct json *j, const char *key, size_t len)
{
	if (j->swallow)
		return;
	json_value_start(j);
	if (!json_plain_string(j, key, len, ':')) {
		json_escape_each(j, key, len);   /* the plain check has been made */
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

/* RFC 8259 §6: an optional minus and the decimal digits of mag, without printf. */
static void json_decimal(struct json *j, uint64_t mag, int negative)
{
	char d[24];
	char *p = d + sizeof d;
	do {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	if (negative)
		*--p = '-';
	buf_append(j->out, p, (size_t)(d + sizeof d - p));
}

void json_int(struct json *j, int64_t v)
{
	if (j->swallow)
		return;
	json_value_start(j);
	json_decimal(j, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);   /* INT64_MIN too */
}

void json_uint(struct json *j, uint64_t v)
{
	if (j->swallow)
		return;
	json_value_start(j);
	json_decimal(j, v, 0);
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

