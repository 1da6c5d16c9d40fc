/*
 * tags: the RFC 6376 §3.2 tag-list grammar, case by case.
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]     tval = 1*VALCHAR (%x21-3A / %x3C-7E)
 * plus the region (the text §3.7 empties for b=), tags_value_nofws and
 * tags_split_colon.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "tags.h"

#define S(x) x, sizeof(x) - 1

static const char *show(const char *p, size_t n)
{
	static char bufs[4][600];
	static int k;
	char *o = bufs[k++ & 3];
	size_t j = 0;
	for (size_t i = 0; i < n && j + 8 < sizeof bufs[0]; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r')
			j += (size_t)sprintf(o + j, "\\r");
		else if (c == '\n')
			j += (size_t)sprintf(o + j, "\\n");
		else if (c == '\t')
			j += (size_t)sprintf(o + j, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			j += (size_t)sprintf(o + j, "\\x%02x", c);
		else
			o[j++] = (char)c;
	}
	o[j] = '\0';
	return o;
}

/*
 * Valid lists: the expected tags written as "name=value|name=value" where each
 * value is exact (inner FWS kept); "|" never occurs in the inputs.
 */
struct good {
	const char *text;
	size_t len;
	const char *want;
};

static const struct good good[] = {
	{ S("a=1"), "a=1" },
	{ S("a=1;"), "a=1" },
	{ S("a=1; "), "a=1" },
	{ S("a=1;\t"), "a=1" },
	{ S("a=1;\r\n "), "a=1" },
	{ S("a=1 ;\r\n\t "), "a=1" },
	{ S("a=1;b=2"), "a=1|b=2" },
	{ S(" a = 1 ; b = 2 ; "), "a=1|b=2" },
	{ S("a\t=\t1\t;\tb=2"), "a=1|b=2" },
	/* CRLF + WSP folds around the name, the '=' and the value */
	{ S("a=1;\r\n b=2"), "a=1|b=2" },
	{ S("\r\n a=1"), "a=1" },
	{ S("a\r\n =1"), "a=1" },
	{ S("a=\r\n\t1"), "a=1" },
	{ S("a=1\r\n ;b=2"), "a=1|b=2" },
	{ S("a =\r\n 1 \r\n\t; b\r\n\t=\r\n 2"), "a=1|b=2" },
	/* values with inner FWS are kept as written */
	{ S("h=From : To"), "h=From : To" },
	{ S("h = From:To\r\n\t:Subject ; x=y"), "h=From:To\r\n\t:Subject|x=y" },
	{ S("b=ab cd\r\n ef"), "b=ab cd\r\n ef" },
	/* empty values */
	{ S("a="), "a=" },
	{ S("a=;b="), "a=|b=" },
	{ S("a= ;b=\r\n ;c=3"), "a=|b=|c=3" },
	/* '=' is a VALCHAR (base64 padding) */
	{ S("p=AB=="), "p=AB==" },
	{ S("a=b=c"), "a=b=c" },
	/* every printable except ';' */
	{ S("x=!\"#$%&'()*+,-./:<=>?@[\\]^_`{}~"), "x=!\"#$%&'()*+,-./:<=>?@[\\]^_`{}~" },
	/* names: ALPHA *ALNUMPUNC, case-sensitive */
	{ S("a_1=x; Z9=y; zz_=w"), "a_1=x|Z9=y|zz_=w" },
	{ S("s=1; S=2"), "s=1|S=2" },
	{ S("v=DKIM1; k=rsa; p=MIGf"), "v=DKIM1|k=rsa|p=MIGf" },
};

/* Render a parsed list in the "name=value|..." form. */
static void render(const struct tag_list *tl, char *out, size_t outlen)
{
	size_t j = 0;
	out[0] = '\0';
	for (size_t i = 0; i < tl->n && j < outlen; i++) {
		int w = snprintf(out + j, outlen - j, "%s%.*s=%.*s", i ? "|" : "", (int)tl->tags[i].name.len,
				 tl->tags[i].name.ptr, (int)tl->tags[i].value.len, tl->tags[i].value.ptr);
		if (w < 0)
			break;
		j += (size_t)w;
	}
}

START_TEST(test_good)
{
	const struct good *g = &good[_i];
	struct tag_list tl;
	char err[200] = "", got[600];
	ck_assert_msg(tags_parse(slice_make(g->text, g->len), &tl, err, sizeof err) == 0, "'%s' rejected: %s",
		      show(g->text, g->len), err);
	render(&tl, got, sizeof got);
	ck_assert_msg(strcmp(got, g->want) == 0, "'%s' parsed as '%s', want '%s'", show(g->text, g->len),
		      show(got, strlen(got)), show(g->want, strlen(g->want)));
	/* every slice points into the text */
	for (size_t i = 0; i < tl.n; i++) {
		const struct tag *t = &tl.tags[i];
		ck_assert_msg(t->name.ptr >= g->text && t->name.ptr + t->name.len <= g->text + g->len, "name inside");
		ck_assert_msg(t->value.len == 0 ||
				      (t->value.ptr >= g->text && t->value.ptr + t->value.len <= g->text + g->len),
			      "value inside");
	}
}
END_TEST

struct bad {
	const char *text;
	size_t len;
	const char *why; /* substring of the reason */
};

static const struct bad bad[] = {
	{ S(""), "" },                   /* a tag-list has at least one tag-spec */
	{ S("   "), "" },
	{ S(";"), "" },
	{ S("a=1;;"), "empty tag-spec" },
	{ S("a=1;;b=2"), "empty tag-spec" },
	{ S("a=1; ;b=2"), "empty tag-spec" },
	{ S(";a=1"), "empty tag-spec" },
	{ S("a=1; b=2; a=3"), "duplicate tag a" },
	{ S("v=1; s=x; s=x"), "duplicate tag s" },
	{ S("Ab=1; Ab=2"), "duplicate tag Ab" },
	{ S("1a=x"), "bad tag name" },
	{ S("_a=x"), "bad tag name" },
	{ S("a=1; 9=2"), "bad tag name" },
	{ S("=x"), "bad tag name" },
	{ S("a-b=1"), "no '='" },
	{ S("a.b=1"), "no '='" },
	{ S("a"), "no '='" },
	{ S("a=1; t; p=x"), "no '='" },
	{ S("a b=1"), "no '='" },
	{ S("a=x;y"), "no '='" },        /* ';' always ends a value */
	{ S("a=caf\xc3\xa9"), "invalid character" },
	{ S("a=\x80"), "invalid character" },
	{ S("a=x\x01y"), "invalid character" },
	{ S("a=x\x7f"), "invalid character" },
	{ S("a=x\0y"), "invalid character" },
	/* CRLF not followed by WSP is not FWS */
	{ S("a=1\r\nb=2"), "invalid character" },
	{ S("a=1\r\n"), "invalid character" },
	{ S("a=1;\r\nb=2"), "bad tag name" },
	{ S("a=x\ry"), "invalid character" },
	{ S("\xc3\xa9=1"), "bad tag name" },
};

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	struct tag_list tl;
	char err[200] = "";
	ck_assert_msg(tags_parse(slice_make(b->text, b->len), &tl, err, sizeof err) == -1, "'%s' must be rejected",
		      show(b->text, b->len));
	ck_assert_msg(err[0] != '\0', "'%s': a reason is given", show(b->text, b->len));
	ck_assert_msg(strstr(err, b->why) != NULL, "'%s': reason '%s' should mention '%s'", show(b->text, b->len),
		      err, b->why);
}
END_TEST

START_TEST(test_duplicate_reason_exact)
{
	struct tag_list tl;
	char err[200] = "";
	ck_assert(tags_parse(slice_cstr("v=1; bh=x; d=a; bh=y"), &tl, err, sizeof err) == -1);
	ck_assert_msg(strcmp(err, "duplicate tag bh") == 0, "reason '%s', want 'duplicate tag bh'", err);
}
END_TEST

START_TEST(test_case_sensitive_find)
{
	struct tag_list tl;
	char err[200] = "";
	ck_assert_msg(tags_parse(slice_cstr("s=lower; S=upper"), &tl, err, sizeof err) == 0, "%s", err);
	const struct tag *lo = tags_find(&tl, "s"), *up = tags_find(&tl, "S");
	ck_assert_msg(lo && slice_eq(lo->value, "lower"), "s=lower");
	ck_assert_msg(up && slice_eq(up->value, "upper"), "S=upper");
	ck_assert_msg(lo != up, "distinct tags");
	ck_assert_msg(tags_find(&tl, "x") == NULL, "absent tag");
	ck_assert_msg(tags_find(&tl, "") == NULL, "empty name");
	ck_assert_msg(tags_parse(slice_cstr("bh=1"), &tl, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(tags_find(&tl, "b") == NULL, "tags_find does not match a prefix");
	ck_assert_msg(tags_find(&tl, "bhx") == NULL, "tags_find does not match a longer name");
}
END_TEST

/* region = exactly the text between '=' and the ';' (or the end), white space included. */
struct region_case {
	const char *text;
	const char *tag;
	const char *region;
	const char *value;
};

static const struct region_case regions[] = {
	{ "b=abc", "b", "abc", "abc" },
	{ "b=abc;", "b", "abc", "abc" },
	{ "b= abc ;c=1", "b", " abc ", "abc" },
	{ "a=1; b=\r\n ab\r\n cd \r\n\t; c=2", "b", "\r\n ab\r\n cd \r\n\t", "ab\r\n cd" },
	{ "a=1; b=  ", "b", "  ", "" },
	{ "a=1; b=", "b", "", "" },
	{ "a=1; b=;c=2", "b", "", "" },
	{ "v=1; b=dGVzdA== ; bh=x", "b", "dGVzdA== ", "dGVzdA==" },
	{ "b\t=\tx\t", "b", "\tx\t", "x" },
	{ "b=x\r\n ", "b", "x\r\n ", "x" },
};

START_TEST(test_region)
{
	const struct region_case *r = &regions[_i];
	struct tag_list tl;
	char err[200] = "";
	ck_assert_msg(tags_parse(slice_cstr(r->text), &tl, err, sizeof err) == 0, "'%s': %s",
		      show(r->text, strlen(r->text)), err);
	const struct tag *t = tags_find(&tl, r->tag);
	ck_assert_msg(t != NULL, "tag %s present", r->tag);
	ck_assert_msg(slice_eq(t->region, r->region), "'%s': region '%s', want '%s'", show(r->text, strlen(r->text)),
		      show(t->region.ptr, t->region.len), show(r->region, strlen(r->region)));
	ck_assert_msg(slice_eq(t->value, r->value), "'%s': value '%s', want '%s'", show(r->text, strlen(r->text)),
		      show(t->value.ptr, t->value.len), show(r->value, strlen(r->value)));
	/* the region starts right after the '=' and ends at the ';' or the end of the text */
	ck_assert_msg(t->region.ptr > r->text && t->region.ptr[-1] == '=', "region starts after '='");
	const char *end = t->region.ptr + t->region.len;
	ck_assert_msg(*end == ';' || *end == '\0', "region ends at ';' or the end, not at '%c'", *end);
}
END_TEST

START_TEST(test_region_rebuild)
{
	/* emptying b= through its region gives the §3.7 text with everything else unchanged */
	static const char text[] = "v=1; a=rsa-sha256; b=AbC\r\n dEf= ; bh=xyz;";
	struct tag_list tl;
	char err[200] = "";
	ck_assert_msg(tags_parse(slice_cstr(text), &tl, err, sizeof err) == 0, "%s", err);
	const struct tag *b = tags_find(&tl, "b");
	ck_assert(b != NULL);
	char out[128];
	size_t pre = (size_t)(b->region.ptr - text);
	snprintf(out, sizeof out, "%.*s%s", (int)pre, text, b->region.ptr + b->region.len);
	ck_assert_msg(strcmp(out, "v=1; a=rsa-sha256; b=; bh=xyz;") == 0, "emptied: '%s'", show(out, strlen(out)));
}
END_TEST

START_TEST(test_tags_max)
{
	char text[64 * 12 + 32];
	size_t j = 0;
	for (int i = 0; i < TAGS_MAX; i++)
		j += (size_t)snprintf(text + j, sizeof text - j, "t%d=%d;", i, i);
	struct tag_list tl;
	char err[200] = "";
	ck_assert_msg(tags_parse(slice_make(text, j), &tl, err, sizeof err) == 0, "TAGS_MAX tags: %s", err);
	ck_assert_msg(tl.n == TAGS_MAX, "n %zu", tl.n);
	const struct tag *last = tags_find(&tl, "t63");
	ck_assert_msg(last && slice_eq(last->value, "63"), "last tag");
	snprintf(text + j, sizeof text - j, "t%d=%d", TAGS_MAX, TAGS_MAX);
	ck_assert_msg(tags_parse(slice_cstr(text), &tl, err, sizeof err) == -1, "TAGS_MAX + 1 tags must fail");
	ck_assert_msg(strstr(err, "too many") != NULL, "reason '%s'", err);
	/* TAGS_MAX tags and a trailing ';' with white space is still fine */
	snprintf(text + j, sizeof text - j, "  ");
	ck_assert_msg(tags_parse(slice_cstr(text), &tl, err, sizeof err) == 0, "trailing WSP after TAGS_MAX: %s", err);
}
END_TEST

struct nofws_case {
	const char *in;
	size_t len;
	const char *out;
};

static const struct nofws_case nofws[] = {
	{ S("abc"), "abc" },
	{ S(" a b\r\n\tc "), "abc" },
	{ S("MIGf MA0G\r\n CSqG"), "MIGfMA0GCSqG" },
	{ S(""), "" },
	{ S(" \t\r\n"), "" },
	{ S("a\vb"), "a\vb" }, /* only SP, HTAB, CR, LF go */
};

START_TEST(test_value_nofws)
{
	const struct nofws_case *c = &nofws[_i];
	struct buf out;
	buf_init(&out, 256);
	ck_assert(buf_append_str(&out, "old") == 0);
	ck_assert(tags_value_nofws(slice_make(c->in, c->len), &out) == 0);
	ck_assert_msg(out.data != NULL, "data never NULL");
	ck_assert_msg(out.len == strlen(c->out) && strcmp(out.data, c->out) == 0, "nofws('%s') = '%s', want '%s'",
		      show(c->in, c->len), show(out.data, out.len), c->out);
	buf_free(&out);

	buf_init(&out, 2);
	ck_assert_msg(tags_value_nofws(slice_cstr("a b c"), &out) == -1, "cap respected (3 bytes into 2)");
	buf_free(&out);
}
END_TEST

struct split_case {
	const char *in;
	size_t max;
	int rc;
	const char *want; /* items joined by '|' */
};

static const struct split_case splits[] = {
	{ "sha1:sha256", 8, 0, "sha1|sha256" },
	{ " sha1 : sha256 ", 8, 0, "sha1|sha256" },
	{ "from\r\n :\tto", 8, 0, "from|to" },
	{ "one", 8, 0, "one" },
	{ "y:s", 2, 0, "y|s" },
	{ "a:b:c", 2, -1, "" },
	{ "a::b", 8, -1, "" },
	{ "a: :b", 8, -1, "" },
	{ "a:", 8, -1, "" },
	{ ":a", 8, -1, "" },
	{ "", 8, -1, "" },
	{ "  ", 8, -1, "" },
	{ ":", 8, -1, "" },
	{ "a b:c", 8, 0, "a b|c" },
};

START_TEST(test_split_colon)
{
	const struct split_case *c = &splits[_i];
	struct slice items[8];
	size_t n = 99;
	int rc = tags_split_colon(slice_cstr(c->in), items, c->max, &n);
	ck_assert_msg(rc == c->rc, "split('%s', max %zu) = %d, want %d", show(c->in, strlen(c->in)), c->max, rc,
		      c->rc);
	if (rc != 0)
		return;
	char got[200];
	size_t j = 0;
	got[0] = '\0';
	for (size_t i = 0; i < n; i++)
		j += (size_t)snprintf(got + j, sizeof got - j, "%s%.*s", i ? "|" : "", (int)items[i].len, items[i].ptr);
	ck_assert_msg(strcmp(got, c->want) == 0, "split('%s') = '%s', want '%s'", show(c->in, strlen(c->in)),
		      show(got, j), c->want);
}
END_TEST

Suite *tags_suite(void)
{
	Suite *s = suite_create("tags");
	TCase *tc = tcase_create("tags");
	tcase_add_loop_test(tc, test_good, 0, (int)(sizeof good / sizeof good[0]));
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_duplicate_reason_exact);
	tcase_add_test(tc, test_case_sensitive_find);
	tcase_add_loop_test(tc, test_region, 0, (int)(sizeof regions / sizeof regions[0]));
	tcase_add_test(tc, test_region_rebuild);
	tcase_add_test(tc, test_tags_max);
	tcase_add_loop_test(tc, test_value_nofws, 0, (int)(sizeof nofws / sizeof nofws[0]));
	tcase_add_loop_test(tc, test_split_colon, 0, (int)(sizeof splits / sizeof splits[0]));
	suite_add_tcase(s, tc);
	return s;
}
