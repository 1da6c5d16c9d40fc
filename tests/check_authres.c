/*
 * authres: tolerant reading of Authentication-Results (RFC 8601 §2.2, the
 * Appendix B examples) and ARC-Authentication-Results (RFC 8617 §4.1.1 "i=N;"
 * prefix), comments and quoted strings that hold ';', Microsoft's
 * non-standard forms, garbage that must not crash, and the strict AAR
 * instance check.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "suites.h"

#define MAXM 6

/* Expected parse: authserv-id, then up to MAXM "method|result|comment|props" lines. */
struct ar_case {
	const char *value;
	int aar;
	int has_instance;
	unsigned instance;
	const char *authserv_id;
	int none;
	size_t nmethods;
	const char *methods[MAXM];
};

static const struct ar_case ar_cases[] = {
	/* RFC 8601 B.2 */
	{ "example.org 1; none", 0, 0, 0, "example.org", 1, 0, { NULL } },
	{ "example.org; none", 0, 0, 0, "example.org", 1, 0, { NULL } },
	/* B.3 */
	{ "example.com; spf=pass smtp.mailfrom=example.net", 0, 0, 0, "example.com", 0, 1,
	  { "spf|pass||smtp.mailfrom=example.net" } },
	/* B.4 */
	{ "example.com;\r\n\tauth=pass (cram-md5) smtp.auth=sender@example.net;\r\n\tspf=pass smtp.mailfrom=example.net",
	  0, 0, 0, "example.com", 0, 2,
	  { "auth|pass|cram-md5|smtp.auth=sender@example.net", "spf|pass||smtp.mailfrom=example.net" } },
	/* B.5 */
	{ "example.com; sender-id=fail header.from=example.com; dkim=pass (good signature) header.d=example.com",
	  0, 0, 0, "example.com", 0, 2,
	  { "sender-id|fail||header.from=example.com", "dkim|pass|good signature|header.d=example.com" } },
	/* B.6: two dkim results; the quoted reason holds a ';' */
	{ "example.com; dkim=pass reason=\"good; signature\" header.i=@mail-router.example.net; "
	  "dkim=fail reason=\"bad signature\" header.i=@newyork.example.com",
	  0, 0, 0, "example.com", 0, 2,
	  { "dkim|pass||reason=\"good; signature\" header.i=@mail-router.example.net",
	    "dkim|fail||reason=\"bad signature\" header.i=@newyork.example.com" } },
	/* B.7-style version after the authserv-id, and a method version */
	{ "mail-router.example.net 1; dkim/1=pass header.d=example.com", 0, 0, 0, "mail-router.example.net", 0, 1,
	  { "dkim|pass||header.d=example.com" } },
	/* comments containing ';' must not split, nested comments too */
	{ "example.com (comment; here); dkim=pass (sig; ok (really; yes)) header.d=x; spf=fail", 0, 0, 0,
	  "example.com", 0, 2, { "dkim|pass|sig; ok (really; yes)|header.d=x", "spf|fail||" } },
	{ "example.com; dkim=pass (a \\) b; c) header.d=x; spf=pass", 0, 0, 0, "example.com", 0, 2,
	  { "dkim|pass|a \\) b; c|header.d=x", "spf|pass||" } },
	/* the AAR prefix */
	{ "i=1; lists.example.org; spf=pass smtp.mfrom=x; dkim=pass (1024-bit key) header.i=@d1.example; dmarc=pass", 1,
	  1, 1, "lists.example.org", 0, 3,
	  { "spf|pass||smtp.mfrom=x", "dkim|pass|1024-bit key|header.i=@d1.example", "dmarc|pass||" } },
	{ " i = 12 ;\r\n\tmx.example.net;\r\n\tarc=none", 1, 1, 12, "mx.example.net", 0, 1, { "arc|none||" } },
	/* an AAR without a usable prefix: read like an A-R, no instance */
	{ "lists.example.org; spf=pass", 1, 0, 0, "lists.example.org", 0, 1, { "spf|pass||" } },
	/* Microsoft forms */
	{ "i=2; mx.microsoft.com 1; spf=pass smtp.mailfrom=a.com; dkim=pass header.d=a.com; "
	  "arc=pass (0 oda=1 ltdi=1 spf=[1,3,smtp.mailfrom=a.com] dkim=[1,1,header.d=a.com] dmarc=[1,1,header.from=a.com])",
	  1, 1, 2, "mx.microsoft.com", 0, 3,
	  { "spf|pass||smtp.mailfrom=a.com", "dkim|pass||header.d=a.com",
	    "arc|pass|0 oda=1 ltdi=1 spf=[1,3,smtp.mailfrom=a.com] dkim=[1,1,header.d=a.com] dmarc=[1,1,header.from=a.com]|" } },
	{ "spf.protection.outlook.com; arc=fail (47); compauth=pass reason=130; action=none", 0, 0, 0,
	  "spf.protection.outlook.com", 0, 3,
	  { "arc|fail|47|", "compauth|pass||reason=130", "action|none||" } },
	{ "mx.example; dmarc=bestguesspass action=none header.from=a.com;", 0, 0, 0, "mx.example", 0, 1,
	  { "dmarc|bestguesspass||action=none header.from=a.com" } },
	/* Yahoo: dkim_pass, "@" before the selector, no space before "(" */
	{ "atlas.yahoo.example; dkim=dkim_pass header.i=@example.com header.s=@rsa2048; "
	  "dmarc=success(p=QUARANTINE,sp=NONE) header.from=example.com", 0, 0, 0, "atlas.yahoo.example", 0, 2,
	  { "dkim|dkim_pass||header.i=@example.com header.s=@rsa2048", "dmarc|success|p=QUARANTINE,sp=NONE|header.from=example.com" } },
	/* properties before the method: the whole resinfo is its properties */
	{ "mx.example; header.d=example.com header.s=\"sel\" dkim=pass (ok)", 0, 0, 0, "mx.example", 0, 1,
	  { "dkim|pass|ok|header.d=example.com header.s=\"sel\" dkim=pass (ok)" } },
	/* Fastmail's x- properties, Gmail's quoted header.b */
	{ "mx.fastmail.example; dkim=pass (2048-bit rsa key sha256) header.d=example.com header.b=\"a/b+c\" x-bits=2048",
	  0, 0, 0, "mx.fastmail.example", 0, 1,
	  { "dkim|pass|2048-bit rsa key sha256|header.d=example.com header.b=\"a/b+c\" x-bits=2048" } },
	/* Gmail's neutral for a body hash mismatch is read as written (claims interpret it) */
	{ "mx.google.example; dkim=neutral (body hash did not verify) header.i=@example.com", 0, 0, 0,
	  "mx.google.example", 0, 1, { "dkim|neutral|body hash did not verify|header.i=@example.com" } },
	/* a method without "=" is skipped, the rest is read */
	{ "mx.example; garbage; dkim=pass", 0, 0, 0, "mx.example", 0, 1, { "dkim|pass||" } },
	/* "none" after a method is not the none form */
	{ "mx.example; spf=pass; none", 0, 0, 0, "mx.example", 0, 1, { "spf|pass||" } },
	/* only an authserv-id */
	{ "mx.example", 0, 0, 0, "mx.example", 0, 0, { NULL } },
	{ "", 0, 0, 0, "", 0, 0, { NULL } },
};

static int slice_is(struct slice s, const char *want, size_t wantlen)
{
	return s.len == wantlen && (wantlen == 0 || memcmp(s.ptr, want, wantlen) == 0);
}

START_TEST(test_parse)
{
	const struct ar_case *c = &ar_cases[_i];
	struct authres ar;
	authres_parse(slice_cstr(c->value), c->aar, &ar);
	ck_assert_msg(ar.has_instance == c->has_instance && ar.instance == c->instance,
		      "case %d: instance %d/%u, want %d/%u", _i, ar.has_instance, ar.instance, c->has_instance,
		      c->instance);
	ck_assert_msg(slice_eq(ar.authserv_id, c->authserv_id), "case %d: authserv-id '%.*s', want '%s'", _i,
		      (int)ar.authserv_id.len, ar.authserv_id.ptr, c->authserv_id);
	ck_assert_msg(ar.none == c->none, "case %d: none %d, want %d", _i, ar.none, c->none);
	ck_assert_msg(ar.nmethods == c->nmethods, "case %d: %zu methods, want %zu", _i, ar.nmethods, c->nmethods);
	for (size_t i = 0; i < c->nmethods; i++) {
		const struct authres_method *m = &ar.methods[i];
		const char *w = c->methods[i];
		const char *b1 = strchr(w, '|'), *b2 = strchr(b1 + 1, '|'), *b3 = strrchr(w, '|');
		ck_assert_msg(slice_is(m->method, w, (size_t)(b1 - w)), "case %d method %zu: method '%.*s', want '%.*s'", _i,
			      i, (int)m->method.len, m->method.ptr, (int)(b1 - w), w);
		ck_assert_msg(slice_is(m->result, b1 + 1, (size_t)(b2 - b1 - 1)),
			      "case %d method %zu: result '%.*s', want '%.*s'", _i, i, (int)m->result.len,
			      m->result.ptr, (int)(b2 - b1 - 1), b1 + 1);
		ck_assert_msg(slice_is(m->comment, b2 + 1, (size_t)(b3 - b2 - 1)),
			      "case %d method %zu: comment '%.*s', want '%.*s'", _i, i, (int)m->comment.len,
			      m->comment.ptr, (int)(b3 - b2 - 1), b2 + 1);
		ck_assert_msg(slice_eq(m->props, b3 + 1), "case %d method %zu: props '%.*s', want '%s'", _i, i,
			      (int)m->props.len, m->props.ptr, b3 + 1);
	}
}
END_TEST

/* A DQUOTE inside a comment is ctext (RFC 5322 §3.2.2), not the start of a quoted-string. */
START_TEST(test_quote_inside_comment)
{
	static const char value[] =
		"example.com; dkim=pass (signer said \"hi) header.d=a.com; spf=pass smtp.mailfrom=a.com";
	struct authres ar;
	authres_parse(slice_cstr(value), 0, &ar);
	ck_assert_msg(ar.nmethods == 2, "2 methods, got %zu", ar.nmethods);
	ck_assert_msg(slice_eq(ar.methods[0].comment, "signer said \"hi"), "comment '%.*s'",
		      (int)ar.methods[0].comment.len, ar.methods[0].comment.ptr);
	ck_assert_msg(slice_eq(ar.methods[0].props, "header.d=a.com"), "props '%.*s'", (int)ar.methods[0].props.len,
		      ar.methods[0].props.ptr);
	ck_assert_msg(authres_find(&ar, "spf") != NULL, "spf after the comment is found");
}
END_TEST

START_TEST(test_find)
{
	struct authres ar;
	authres_parse(slice_cstr("mx.example; DKIM=fail header.d=a; dkim=pass header.d=b; spf=none"), 0, &ar);
	const struct authres_method *m = authres_find(&ar, "dkim");
	ck_assert_msg(m != NULL && slice_eq(m->result, "fail"), "first dkim result, case-insensitive method");
	m = authres_find(&ar, "SPF");
	ck_assert_msg(m != NULL && slice_eq(m->result, "none"), "spf");
	ck_assert_msg(authres_find(&ar, "arc") == NULL, "absent method");
	ck_assert_msg(authres_find(&ar, "dki") == NULL, "no prefix match");
}
END_TEST

START_TEST(test_methods_max)
{
	char text[4096];
	size_t j = (size_t)snprintf(text, sizeof text, "mx.example");
	for (int i = 0; i < AUTHRES_METHODS_MAX + 10; i++)
		j += (size_t)snprintf(text + j, sizeof text - j, "; m%d=pass", i);
	struct authres ar;
	authres_parse(slice_make(text, j), 0, &ar);
	ck_assert_msg(ar.nmethods == AUTHRES_METHODS_MAX, "bounded at %d, got %zu", AUTHRES_METHODS_MAX, ar.nmethods);
	ck_assert_msg(slice_eq(ar.methods[AUTHRES_METHODS_MAX - 1].method, "m31"), "the first 32 are kept");
}
END_TEST

/* Invariants for any input: bounded method count, every slice inside the value. */
static void check_sane(const char *value, size_t len, const struct authres *ar)
{
	const char *end = value + len;
#define INSIDE(s) ((s).len == 0 || ((s).ptr >= value && (s).ptr + (s).len <= end))
	ck_assert_msg(ar->nmethods <= AUTHRES_METHODS_MAX, "nmethods %zu", ar->nmethods);
	ck_assert_msg(INSIDE(ar->authserv_id), "authserv-id inside the value");
	for (size_t i = 0; i < ar->nmethods; i++) {
		const struct authres_method *m = &ar->methods[i];
		ck_assert_msg(m->method.len > 0 && INSIDE(m->method), "method %zu inside", i);
		ck_assert_msg(INSIDE(m->result) && INSIDE(m->comment) && INSIDE(m->props), "method %zu slices inside", i);
	}
#undef INSIDE
}

static const char *const garbage[] = {
	"", ";", ";;;;", "(", "(((", ")))", "()", "(;", ";(", "\"", "\";", "\\", "\\;", "=", "=;=;=", "a=", "a=(",
	"a=(b", "a=pass (", "a=pass (x", "a=pass )", "x; a=pass (unterminated; b=fail", "x; a=\"q;", "x; =pass",
	"x; a/=pass", "x; a/", "i=", "i=;", "i=1", "i=1;", "i=1; ;", "i=1;(", "x; a = pass", "x;\r\n\t",
	"x; a=pass (\\", "x; a=pass reason=\"\\", "@@@@; @=@", "x; a=pass ()", "x; a=pass (()", "x; a=pass (\")\") y",
};

START_TEST(test_garbage)
{
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		for (int aar = 0; aar <= 1; aar++) {
			struct authres ar;
			size_t len = strlen(garbage[i]);
			authres_parse(slice_make(garbage[i], len), aar, &ar);
			check_sane(garbage[i], len, &ar);
			unsigned inst;
			(void)authres_aar_instance(slice_make(garbage[i], len), &inst);
		}
	}
}
END_TEST

START_TEST(test_random_garbage)
{
	/* bytes from a small alphabet of syntax characters (fixed seed), in exact-size allocations for ASan */
	static const char alphabet[] = "();=\"\\ /\tai1x.\r\n\0\xff";
	unsigned seed = 4242;
	for (int round = 0; round < 3000; round++) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 16) % 40;
		char *buf = malloc(len ? len : 1);
		ck_assert(buf != NULL);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		struct authres ar;
		authres_parse(slice_make(buf, len), round & 1, &ar);
		check_sane(buf, len, &ar);
		unsigned inst;
		(void)authres_aar_instance(slice_make(buf, len), &inst);
		free(buf);
	}
}
END_TEST

struct inst_case {
	const char *value;
	int rc;
	unsigned instance;
};

static const struct inst_case inst_cases[] = {
	{ "i=1;", 0, 1 },
	{ " i = 12 ;", 0, 12 },
	{ "i=1; lists.example.org; spf=pass", 0, 1 },
	{ "\r\n\ti=50;", 0, 50 },
	{ "i=1 ;", 0, 1 },
	{ "i=(comment)3;", 0, 3 },
	{ "I=1;", -1, 0 },          /* %s"i": case-sensitive */
	{ "i=1", -1, 0 },           /* the ';' is required */
	{ "i=1 x;", -1, 0 },
	{ "i=0;", -1, 0 },
	{ "foo; i=1;", -1, 0 },
	{ "i=;", -1, 0 },
	{ "i1;", -1, 0 },
	{ "i=-1;", -1, 0 },
	{ "i=1a;", -1, 0 },
	{ "i=12345678901234567890;", -1, 0 }, /* no overflow into a small number */
	{ "", -1, 0 },
	{ "i", -1, 0 },
	{ "i=", -1, 0 },
};

START_TEST(test_aar_instance)
{
	const struct inst_case *c = &inst_cases[_i];
	unsigned inst = 777;
	int rc = authres_aar_instance(slice_cstr(c->value), &inst);
	ck_assert_msg(rc == c->rc, "'%s': rc %d, want %d", c->value, rc, c->rc);
	if (rc == 0)
		ck_assert_msg(inst == c->instance, "'%s': instance %u, want %u", c->value, inst, c->instance);
	else
		ck_assert_msg(inst == 777, "'%s': instance untouched on failure", c->value);
}
END_TEST

Suite *authres_suite(void)
{
	Suite *s = suite_create("authres");
	TCase *tc = tcase_create("authres");
	tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof ar_cases / sizeof ar_cases[0]));
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_methods_max);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_random_garbage);
	tcase_add_test(tc, test_quote_inside_comment);
	tcase_add_loop_test(tc, test_aar_instance, 0, (int)(sizeof inst_cases / sizeof inst_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
