/*
 * tags: RFC 6376 §3.2 tag-list, written as its ABNF:
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC            ALNUMPUNC = ALPHA / DIGIT / "_"
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR                   VALCHAR = %x21-3A / %x3C-7E
 * FWS here is RFC 5322 folding white space: WSP, or CRLF followed by WSP.
 */
#include "tags.h"

#include <stdio.h>
#include <string.h>

struct tag_cursor {
	const char *p, *end;
};

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_alnumpunc(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

static int is_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/* [FWS]: white space, and CRLF only when followed by WSP (a fold). */
static void skip_fws(struct tag_cursor *c)
{
	while (c->p < c->end) {
		if (is_wsp(*c->p)) {
			c->p++;
		} else if (c->end - c->p >= 3 && c->p[0] == '\r' && c->p[1] == '\n' && is_wsp(c->p[2])) {
			c->p += 3;
		} else if (c->end - c->p >= 2 && c->p[0] == '\n' && is_wsp(c->p[1])) {
			c->p += 2; /* bare-LF fold, seen only with --no-crlf */
		} else {
			break;
		}
	}
}

static int skip_tag_name(struct tag_cursor *c, struct slice *name)
{
	const char *start = c->p;
	if (c->p >= c->end || !is_alpha(*c->p))
		return -1;
	while (c->p < c->end && is_alnumpunc(*c->p))
		c->p++;
	*name = slice_make(start, (size_t)(c->p - start));
	return 0;
}

/* tag-value: tvals separated by FWS; the value ends before trailing FWS, ';' or the end. */
static int skip_tag_value(struct tag_cursor *c, struct slice *value)
{
	const char *start = c->p, *last = c->p;
	for (;;) {
		while (c->p < c->end && is_valchar((unsigned char)*c->p))
			c->p++;
		last = c->p;
		skip_fws(c);
		if (c->p >= c->end || *c->p == ';')
			break;
		if (!is_valchar((unsigned char)*c->p))
			return -1;
	}
	*value = slice_make(start, (size_t)(last - start));
	return 0;
}

static int fail(char *err, size_t errlen, const char *why, struct slice name)
{
	if (name.len)
		snprintf(err, errlen, "tag-list syntax error: %s %.*s", why, (int)name.len, name.ptr);
	else
		snprintf(err, errlen, "tag-list syntax error: %s", why);
	return -1;
}

static int tag_spec(struct tag_cursor *c, struct tag *t, char *err, size_t errlen)
{
	struct slice none = { "", 0 };
	skip_fws(c);
	if (skip_tag_name(c, &t->name) < 0)
		return fail(err, errlen, c->p < c->end && *c->p == ';' ? "empty tag-spec" : "bad tag name", none);
	skip_fws(c);
	if (c->p >= c->end || *c->p != '=')
		return fail(err, errlen, "no '=' after tag", t->name);
	c->p++;
	const char *region_start = c->p;
	skip_fws(c);
	if (skip_tag_value(c, &t->value) < 0)
		return fail(err, errlen, "invalid character in value of tag", t->name);
	t->region = slice_make(region_start, (size_t)(c->p - region_start));
	return 0;
}

int tags_parse(struct slice text, struct tag_list *out, char *err, size_t errlen)
{
	struct tag_cursor c = { text.ptr, text.ptr + text.len };
	struct slice none = { "", 0 };
	out->n = 0;
	for (;;) {
		struct tag_cursor probe = c;
		skip_fws(&probe);
		if (probe.p >= probe.end && out->n > 0)
			break; /* trailing ";" then only white space: allowed */
		if (out->n == TAGS_MAX)
			return fail(err, errlen, "too many tags", none);
		struct tag *t = &out->tags[out->n];
		if (tag_spec(&c, t, err, errlen) < 0)
			return -1;
		for (size_t i = 0; i < out->n; i++) {
			struct slice seen = out->tags[i].name;
			if (seen.len == t->name.len && memcmp(seen.ptr, t->name.ptr, seen.len) == 0) {
				snprintf(err, errlen, "duplicate tag %.*s", (int)t->name.len, t->name.ptr);
				return -1;
			}
		}
		out->n++;
		if (c.p >= c.end)
			break;
		c.p++; /* the ';' */
	}
	return 0;
}

const struct tag *tags_find(const struct tag_list *tl, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < tl->n; i++) {
		struct slice t = tl->tags[i].name;   /* names are one or two letters: the first byte decides most */
		if (t.len == n && (n == 0 || t.ptr[0] == name[0]) && memcmp(t.ptr, name, n) == 0)
			return &tl->tags[i];
	}
	return NULL;
}

int tags_value_nofws(struct slice value, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < value.len; i++) {
		char ch = value.ptr[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (buf_append_byte(out, ch) < 0)
			return -1;
	}
	if (!out->data && buf_append(out, "", 0) < 0)
		return -1;
	return 0;
}

int tags_split_colon(struct slice value, struct slice *items, size_t max, size_t *n)
{
	*n = 0;
	const char *p = value.ptr, *end = value.ptr + value.len;
	for (;;) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *stop = colon ? colon : end;
		struct slice item = slice_trim_wsp(slice_make(p, (size_t)(stop - p)));
		if (item.len == 0 || *n == max)
			return -1;
		items[(*n)++] = item;
		if (!colon)
			return 0;
		p = colon + 1;
	}
}
