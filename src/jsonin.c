/* jsonin: RFC 8259 text into a tree, strictly and within bounds (see include/jsonin.h). */
#include "jsonin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct jp {
	const char *p, *start, *end;
	char *err;
	size_t errlen;
	int failed;
};

static int jp_fail(struct jp *j, const char *why)
{
	if (!j->failed)
		snprintf(j->err, j->errlen, "offset %zu: %s", (size_t)(j->p - j->start), why);
	j->failed = 1;
	return -1;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return jp_fail(j, "unexpected character");
	j->p += n;
	return 0;
}

static int hex4(struct jp *j, unsigned *out)
{
	if (j->end - j->p < 4)
		return jp_fail(j, "short \\u escape");
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = *j->p++;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return jp_fail(j, "bad \\u escape");
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* RFC 8259 §7: \uXXXX, with surrogate pairs for code points above the BMP. */
static int unicode_escape(struct jp *j, struct buf *b)
{
	unsigned cp, lo;
	if (hex4(j, &cp) < 0)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return jp_fail(j, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
			return jp_fail(j, "lone high surrogate");
		j->p += 2;
		if (hex4(j, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return jp_fail(j, "bad surrogate pair");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return jp_fail(j, "\\u0000 is not accepted");
	return put_utf8(b, cp);
}

static int escape(struct jp *j, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (j->p >= j->end)
		return jp_fail(j, "unterminated string");
	char c = *j->p++;
	if (c == 'u')
		return unicode_escape(j, b);
	const char *k = memchr(from, c, sizeof from - 1);
	if (!k)
		return jp_fail(j, "bad escape");
	return buf_append_byte(b, to[k - from]);
}

static int string_body(struct jp *j, char **out, size_t *outlen)
{
	struct buf b;
	buf_init(&b, JSONIN_TEXT_MAX);
	j->p++;   /* the opening quote */
	int rc = 0;
	while (rc == 0) {
		if (j->p >= j->end) {
			rc = jp_fail(j, "unterminated string");
			break;
		}
		unsigned char c = (unsigned char)*j->p;
		if (c == '"') {
			j->p++;
			break;
		}
		if (c < 0x20) {
			rc = jp_fail(j, "control character in a string");
		} else if (c == '\\') {
			j->p++;
			rc = escape(j, &b);
		} else {
			size_t n = c < 0x80 ? 1 : utf8_seq_len((const unsigned char *)j->p, (size_t)(j->end - j->p));
			rc = n ? buf_append(&b, j->p, n) : jp_fail(j, "invalid UTF-8");
			j->p += n ? n : 0;
		}
	}
	if (rc == 0 && !b.data)
		rc = buf_append(&b, "", 0);
	if (rc < 0) {
		buf_free(&b);
		return jp_fail(j, "string too large");
	}
	*outlen = b.len;
	*out = buf_steal(&b);
	return 0;
}

/* RFC 8259 §6 number grammar; the value is read with strtod afterwards. */
static int number(struct jp *j, struct jsonin *v)
{
	const char *s = j->p;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return jp_fail(j, "bad number");
	if (*j->p == '0')
		j->p++;   /* no leading zeros: "01" is not a number */
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		if (++j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_fail(j, "bad fraction");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		if (++j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jp_fail(j, "bad exponent");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	char tmp[64];
	size_t n = (size_t)(j->p - s);
	if (n >= sizeof tmp)
		return jp_fail(j, "number too long");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v->type = JSONIN_NUMBER;
	v->number = strtod(tmp, NULL);
	return 0;
}

static int value(struct jp *j, struct jsonin *v, unsigned depth);

static int grow(struct jsonin *v, size_t *cap, int with_keys)
{
	if (v->n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	struct jsonin *items = realloc(v->items, nc * sizeof *items);
	if (!items)
		return -1;
	v->items = items;
	if (with_keys) {
		char **keys = realloc(v->keys, nc * sizeof *keys);
		if (!keys)
			return -1;
		v->keys = keys;
	}
	*cap = nc;
	return 0;
}

static int array(struct jp *j, struct jsonin *v, unsigned depth)
{
	size_t cap = 0;
	v->type = JSONIN_ARRAY;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (grow(v, &cap, 0) < 0)
			return jp_fail(j, "out of memory");
		memset(&v->items[v->n], 0, sizeof v->items[0]);
		if (value(j, &v->items[v->n++], depth + 1) < 0)
			return -1;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return 0;
		}
		return jp_fail(j, "expected ',' or ']'");
	}
}

static int member(struct jp *j, struct jsonin *v, unsigned depth)
{
	skip_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return jp_fail(j, "expected a member name");
	size_t klen;
	char *key;
	if (string_body(j, &key, &klen) < 0)
		return -1;
	v->keys[v->n] = key;
	memset(&v->items[v->n], 0, sizeof v->items[0]);
	v->n++;
	skip_ws(j);
	if (j->p >= j->end || *j->p != ':')
		return jp_fail(j, "expected ':'");
	j->p++;
	return value(j, &v->items[v->n - 1], depth + 1);
}

static int object(struct jp *j, struct jsonin *v, unsigned depth)
{
	size_t cap = 0;
	v->type = JSONIN_OBJECT;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (grow(v, &cap, 1) < 0)
			return jp_fail(j, "out of memory");
		if (member(j, v, depth) < 0)
			return -1;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return 0;
		}
		return jp_fail(j, "expected ',' or '}'");
	}
}

static int value(struct jp *j, struct jsonin *v, unsigned depth)
{
	if (depth > JSONIN_DEPTH_MAX)
		return jp_fail(j, "nested too deep");
	skip_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "unexpected end");
	switch (*j->p) {
	case '{': return object(j, v, depth);
	case '[': return array(j, v, depth);
	case '"': v->type = JSONIN_STRING; return string_body(j, &v->string, &v->len);
	case 't': v->type = JSONIN_BOOL; v->boolean = 1; return literal(j, "true");
	case 'f': v->type = JSONIN_BOOL; return literal(j, "false");
	case 'n': v->type = JSONIN_NULL; return literal(j, "null");
	default: return number(j, v);
	}
}

int jsonin_parse(const char *text, size_t len, struct jsonin *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct jp j = { text, text, text + len, err, errlen, 0 };
	if (len > JSONIN_TEXT_MAX) {
		snprintf(err, errlen, "record larger than %zu bytes", JSONIN_TEXT_MAX);
		return -1;
	}
	if (value(&j, out, 0) == 0) {
		skip_ws(&j);
		if (j.p == j.end)
			return 0;
		jp_fail(&j, "text after the value");
	}
	jsonin_free(out);
	return -1;
}

void jsonin_free(struct jsonin *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jsonin_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	memset(v, 0, sizeof *v);
}

const struct jsonin *jsonin_get(const struct jsonin *v, const char *key)
{
	if (!v || v->type != JSONIN_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

const char *jsonin_str(const struct jsonin *v, const char *key)
{
	const struct jsonin *m = jsonin_get(v, key);
	return m && m->type == JSONIN_STRING ? m->string : NULL;
}
