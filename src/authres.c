/*
 * authres: tolerant Authentication-Results reading (RFC 8601 §2.2). The value
 * is split at ';' outside comments and quoted strings; each piece after the
 * authserv-id is "method[/version]=result" followed by whatever the writer
 * put there. Nothing here is ever a reason to fail anything.
 */
#include "authres.h"

#include <ctype.h>
#include <string.h>

struct ar_cursor {
	const char *p, *end;
};

/* Skip white space, folds and (nested) comments: RFC 5322 CFWS. */
static void skip_cfws(struct ar_cursor *c)
{
	while (c->p < c->end) {
		char ch = *c->p;
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			c->p++;
		} else if (ch == '(') {
			int depth = 0;
			while (c->p < c->end) {
				if (*c->p == '\\' && c->p + 1 < c->end)
					c->p++;
				else if (*c->p == '(')
					depth++;
				else if (*c->p == ')' && --depth == 0) {
					c->p++;
					break;
				}
				c->p++;
			}
		} else {
			break;
		}
	}
}

/* The end of the current ';'-separated piece, respecting comments and quotes. */
static const char *piece_end(const char *p, const char *end)
{
	int depth = 0, quoted = 0;
	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++;
		} else if (quoted) {
			if (*p == '"')
				quoted = 0;
		} else if (*p == '"' && depth == 0) {
			quoted = 1; /* inside a comment a DQUOTE is ordinary text (RFC 5322 §3.2.2) */
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && depth > 0) {
			depth--;
		} else if (*p == ';' && depth == 0) {
			return p;
		}
	}
	return end;
}

static int is_token_char(char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

static struct slice read_token(struct ar_cursor *c, int allow_dots_and_at)
{
	const char *start = c->p;
	while (c->p < c->end && (is_token_char(*c->p) || (allow_dots_and_at && (*c->p == '@' || *c->p == '/'))))
		c->p++;
	return slice_make(start, (size_t)(c->p - start));
}

int authres_aar_instance(struct slice value, unsigned *instance)
{
	struct ar_cursor c = { value.ptr, value.ptr + value.len };
	skip_cfws(&c);
	if (c.p >= c.end || *c.p != 'i')   /* %s"i": case-sensitive (RFC 8617 §4.1.1) */
		return -1;
	c.p++;
	skip_cfws(&c);
	if (c.p >= c.end || *c.p != '=')
		return -1;
	c.p++;
	skip_cfws(&c);
	unsigned n = 0;
	const char *digits = c.p;
	while (c.p < c.end && isdigit((unsigned char)*c.p) && c.p - digits < 9)
		n = n * 10 + (unsigned)(*c.p++ - '0');
	if (c.p == digits || n == 0)
		return -1;
	skip_cfws(&c);
	if (c.p >= c.end || *c.p != ';')
		return -1;
	*instance = n;
	return 0;
}

/* A ptype.property=pvalue written before the method (Yahoo does): skip it. 1 if one was skipped. */
static int skip_leading_property(struct ar_cursor *c)
{
	struct ar_cursor t = *c;
	struct slice name = read_token(&t, 0);
	if (!name.len || !memchr(name.ptr, '.', name.len))
		return 0;
	skip_cfws(&t);
	if (t.p >= t.end || *t.p != '=')
		return 0;
	t.p++;
	skip_cfws(&t);
	if (t.p < t.end && *t.p == '"') {
		const char *q = piece_end(t.p, t.end);   /* a quoted pvalue: up to its closing quote */
		for (t.p++; t.p < q && *t.p != '"'; t.p++)
			if (*t.p == '\\' && t.p + 1 < q)
				t.p++;
		if (t.p < q)
			t.p++;
	} else {
		read_token(&t, 1);
	}
	skip_cfws(&t);
	*c = t;
	return 1;
}

static void parse_resinfo(struct authres *ar, struct slice piece)
{
	struct ar_cursor c = { piece.ptr, piece.ptr + piece.len };
	skip_cfws(&c);
	int props_first = 0;
	for (int k = 0; k < 16 && skip_leading_property(&c); k++)
		props_first = 1;
	struct slice method = read_token(&c, 0);
	if (method.len == 0)
		return;
	if (slice_caseeq_str(method, "none") && ar->nmethods == 0) {
		ar->none = 1;
		return;
	}
	if (c.p < c.end && *c.p == '/') {       /* method version */
		c.p++;
		read_token(&c, 0);
	}
	skip_cfws(&c);
	if (c.p >= c.end || *c.p != '=' || ar->nmethods == AUTHRES_METHODS_MAX)
		return;
	c.p++;
	skip_cfws(&c);
	struct authres_method *m = &ar->methods[ar->nmethods++];
	memset(m, 0, sizeof *m);
	m->method = method;
	m->result = read_token(&c, 0);
	while (c.p < c.end && (*c.p == ' ' || *c.p == '\t' || *c.p == '\r' || *c.p == '\n'))
		c.p++;
	if (c.p < c.end && *c.p == '(') {
		const char *open = c.p;
		struct ar_cursor cc = c;
		skip_cfws(&cc);
		const char *close = cc.p;
		while (close > open && close[-1] != ')')
			close--;
		if (close > open + 1)
			m->comment = slice_make(open + 1, (size_t)(close - 1 - (open + 1)));
		c.p = close;
	}
	/* properties written before the method count as its properties too */
	m->props = slice_trim_wsp(props_first ? piece : slice_make(c.p, (size_t)(c.end - c.p)));
}

void authres_parse(struct slice value, int aar, struct authres *out)
{
	memset(out, 0, sizeof *out);
	const char *p = value.ptr, *end = value.ptr + value.len;
	if (aar) {
		unsigned n;
		if (authres_aar_instance(value, &n) == 0) {
			out->has_instance = 1;
			out->instance = n;
			p = piece_end(p, end);
			if (p < end)
				p++;
		}
	}
	/* authserv-id [CFWS version] */
	const char *stop = piece_end(p, end);
	struct ar_cursor c = { p, stop };
	skip_cfws(&c);
	const char *id = c.p;
	while (c.p < stop && !strchr(" \t\r\n(;", *c.p))
		c.p++;
	out->authserv_id = slice_make(id, (size_t)(c.p - id));
	p = stop;
	while (p < end) {
		p++; /* the ';' */
		stop = piece_end(p, end);
		parse_resinfo(out, slice_make(p, (size_t)(stop - p)));
		p = stop;
	}
}

const struct authres_method *authres_find(const struct authres *ar, const char *method)
{
	for (size_t i = 0; i < ar->nmethods; i++)
		if (slice_caseeq_str(ar->methods[i].method, method))
			return &ar->methods[i];
	return NULL;
}
