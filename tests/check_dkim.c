/*
 * dkim: one DKIM-Signature, AMS or AS, below the message level. Tag checks of
 * RFC 6376 §3.5 and §6.1.1 (and RFC 8617 §4.1.2-3 for the ARC kinds) as a
 * table of field values and the code each must give; the §5.4.2 header data
 * (bottom-up selection of repeated fields, over-signed absent fields, the
 * signature itself last with b= emptied, §3.7) byte for byte under simple and
 * relaxed; and t=/x= against the evaluation time, which decide before the key.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "hash.h"
#include "lookup.h"
#include "suites.h"

static void make_msg(struct msg *m, const char *header)
{
	char err[200];
	memset(m, 0, sizeof *m);
	buf_init(&m->header, 1 << 20);
	buf_append_str(&m->header, header);
	ck_assert_int_eq(msg_parse_fields(m, err, sizeof err), 0);
}

#define SIG "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; h=from:to; bh=AAAA; b=AAAA"
#define AMS "i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; h=from:to; bh=AAAA; b=AAAA"
#define SEAL "i=1; a=rsa-sha256; cv=none; d=example.com; s=sel; b=AAAA"

static const struct {
	enum dkim_kind kind;
	const char *value;
	const char *code;     /* "" when the field parses without a verdict */
	int usable;
} parse_cases[] = {
	{ DKIM_KIND_SIGNATURE, SIG, "", 1 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA", "missing-tag", 0 },
	{ DKIM_KIND_SIGNATURE, "v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "bad-version", 1 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha512; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "unknown-algorithm", 0 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; c=simple/bogus; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA",
	  "bad-canonicalization", 0 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=exa_mple..com; s=sel; h=from; bh=AAAA; b=AAAA", "bad-domain", 0 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=example.com; s=-sel; h=from; bh=AAAA; b=AAAA", "bad-domain", 0 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=AAAA; b=AAAA", "from-not-signed", 0 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; bh=AAAA; b=AAAA", "bad-h", 0 },
	{ DKIM_KIND_SIGNATURE, SIG "; i=@other.com", "identity-outside-domain", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; i=@mail.example.com", "", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; i=@notexample.com", "identity-outside-domain", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; i=bob", "bad-identity", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; i=bob=0A@example.com", "bad-identity", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; q=http", "bad-query-method", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; q=dns/txt:foo/bar", "", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; l=12x", "bad-number", 0 },
	{ DKIM_KIND_SIGNATURE, SIG "; l=99999999999999999999999999", "", 1 },
	{ DKIM_KIND_SIGNATURE, SIG "; t=1000000000000", "bad-number", 1 },   /* 13 digits: t= is 1*12DIGIT */
	{ DKIM_KIND_SIGNATURE, SIG "; t=10; x=10", "expiry-before-timestamp", 1 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=A!A=", "bad-base64", 0 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=", "bad-base64", 0 },
	{ DKIM_KIND_SIGNATURE, "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=; b=AAAA", "bad-base64", 0 },
	{ DKIM_KIND_SIGNATURE, SIG "; s=again", "tag-syntax", 0 },
	{ DKIM_KIND_SIGNATURE, SIG "; none", "tag-syntax", 0 },
	{ DKIM_KIND_AMS, AMS, "", 1 },
	{ DKIM_KIND_AMS, "a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "missing-tag", 0 },
	{ DKIM_KIND_AMS, "i=0; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", "bad-instance", 1 },
	{ DKIM_KIND_AMS, "i=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=AAAA", "missing-tag", 0 },
	{ DKIM_KIND_SEAL, SEAL, "", 1 },
	{ DKIM_KIND_SEAL, "i=1; a=rsa-sha256; d=example.com; s=sel; b=AAAA", "missing-tag", 0 },
	{ DKIM_KIND_SEAL, "i=x; a=rsa-sha256; cv=none; d=example.com; s=sel; b=AAAA", "bad-instance", 1 },
};

START_TEST(test_parse)
{
	static const char *const names[] = { "DKIM-Signature", "ARC-Message-Signature", "ARC-Seal" };
	char header[1024];
	snprintf(header, sizeof header, "From: a@example.com\r\n%s: %s\r\n", names[parse_cases[_i].kind],
		 parse_cases[_i].value);
	struct msg m;
	make_msg(&m, header);
	struct dkim_sig s;
	dkim_parse(&s, parse_cases[_i].kind, &m, 1);
	ck_assert_msg(strcmp(verdict_code_word(s.v.code), parse_cases[_i].code) == 0, "%s: got %s (%s), want %s",
		      parse_cases[_i].value, verdict_code_word(s.v.code), s.v.reason, parse_cases[_i].code);
	ck_assert_int_eq(s.usable, parse_cases[_i].usable);
	if (s.v.code != VC_NONE)
		ck_assert_int_eq(s.v.result, VERDICT_PERMERROR);
	dkim_free(&s);
	msg_close(&m);
}
END_TEST

/* c= (§3.5): one word is the header canonicalization, the body stays simple; none is simple/simple. */
START_TEST(test_canon_words)
{
	static const struct {
		const char *c;
		enum canon_alg h, b;
	} cases[] = {
		{ "", CANON_SIMPLE, CANON_SIMPLE },
		{ "; c=relaxed", CANON_RELAXED, CANON_SIMPLE },
		{ "; c=simple/relaxed", CANON_SIMPLE, CANON_RELAXED },
		{ "; c=relaxed/relaxed", CANON_RELAXED, CANON_RELAXED },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char header[512];
		snprintf(header, sizeof header, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA%s\r\n",
			 cases[i].c);
		struct msg m;
		make_msg(&m, header);
		struct dkim_sig s;
		dkim_parse(&s, DKIM_KIND_SIGNATURE, &m, 0);
		ck_assert_msg(s.usable && s.hcanon == cases[i].h && s.bcanon == cases[i].b, "c%s", cases[i].c);
		dkim_free(&s);
		msg_close(&m);
	}
}
END_TEST

#define HDR_MSG "From: a@Example.com\r\n" \
		"Subject:  one\r\n" \
		"Subject: two\r\n\tfolded\r\n" \
		"DKIM-Signature: v=1; a=rsa-sha256; c=%s; d=example.com; s=sel;\r\n" \
		"\th=subject:subject:subject:from; bh=AAAA; b=QU\r\n\tFB\r\n"

START_TEST(test_header_data_simple)
{
	char header[512];
	snprintf(header, sizeof header, HDR_MSG, "simple/simple");
	struct msg m;
	make_msg(&m, header);
	struct dkim_sig s;
	dkim_parse(&s, DKIM_KIND_SIGNATURE, &m, 3);
	ck_assert(s.usable);
	ck_assert_int_eq(dkim_header_data(&s, &m), 0);
	/* bottom-up: the second Subject first, then the first; the third name finds none left (over-signing) */
	ck_assert_str_eq(s.hdata.data, "Subject: two\r\n\tfolded\r\nSubject:  one\r\nFrom: a@Example.com\r\n"
				       "DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=sel;\r\n"
				       "\th=subject:subject:subject:from; bh=AAAA; b=");
	ck_assert_int_eq(s.selected[0], 2);
	ck_assert_int_eq(s.selected[1], 1);
	ck_assert_int_eq(s.selected[2], -1);
	ck_assert_int_eq(s.selected[3], 0);
	dkim_free(&s);
	msg_close(&m);
}
END_TEST

START_TEST(test_header_data_relaxed)
{
	char header[512];
	snprintf(header, sizeof header, HDR_MSG, "relaxed/relaxed");
	struct msg m;
	make_msg(&m, header);
	struct dkim_sig s;
	dkim_parse(&s, DKIM_KIND_SIGNATURE, &m, 3);
	ck_assert_int_eq(dkim_header_data(&s, &m), 0);
	ck_assert_str_eq(s.hdata.data, "subject:two folded\r\nsubject:one\r\nfrom:a@Example.com\r\n"
				       "dkim-signature:v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; "
				       "h=subject:subject:subject:from; bh=AAAA; b=");
	dkim_free(&s);
	msg_close(&m);
}
END_TEST

/* t= and x= against --now (§3.5) decide before the key is looked at. */
START_TEST(test_times)
{
	static const struct {
		const char *tags;
		const char *code;
	} cases[] = {
		{ "; t=1764000000; x=1764000600", "expired" },
		{ "; t=1764100000", "timestamp-in-future" },
		{ "; t=1764000000; x=1764100000", "no-key" },
	};
	char err[200];
	struct lookup *lk = lookup_new_zone(NULL, 0, NULL, err, sizeof err);
	ck_assert_ptr_nonnull(lk);
	struct dkim_policy pol = { .now = 1764003600, .min_key_bits = 1024 };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char header[512];
		snprintf(header, sizeof header, "From: a@example.com\r\nDKIM-Signature: " SIG "%s\r\n", cases[i].tags);
		struct msg m;
		make_msg(&m, header);
		struct dkim_sig s;
		struct hash_registry reg;
		hash_registry_init(&reg);
		dkim_parse(&s, DKIM_KIND_SIGNATURE, &m, 1);
		dkim_prepare(&s, &reg, lk);
		hash_registry_finish(&reg);
		ck_assert_int_eq(dkim_header_data(&s, &m), 0);
		dkim_evaluate(&s, lk, &pol);
		ck_assert_msg(strcmp(verdict_code_word(s.v.code), cases[i].code) == 0, "%s: %s", cases[i].tags, s.v.reason);
		ck_assert_int_ne(s.v.result, VERDICT_PASS);
		dkim_free(&s);
		hash_registry_free(&reg);
		msg_close(&m);
	}
	lookup_free(lk);
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(dkim_kind_name(DKIM_KIND_SIGNATURE), "DKIM-Signature");
	ck_assert_str_eq(dkim_kind_name(DKIM_KIND_AMS), "ARC-Message-Signature");
	ck_assert_str_eq(dkim_kind_name(DKIM_KIND_SEAL), "ARC-Seal");
}
END_TEST

Suite *dkim_suite(void)
{
	Suite *s = suite_create("dkim");
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof parse_cases / sizeof parse_cases[0]));
	tcase_add_test(tc, test_canon_words);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("header-data");
	tcase_add_test(tc, test_header_data_simple);
	tcase_add_test(tc, test_header_data_relaxed);
	suite_add_tcase(s, tc);
	tc = tcase_create("evaluate");
	tcase_add_test(tc, test_times);
	suite_add_tcase(s, tc);
	return s;
}
