/*
 * arc: RFC 8617 chain structure and seal input below the message level. The
 * structural rules of §4.1, §4.2.1 and §5.1.1 as a table of header blocks and
 * the chain code each gives (sets collected by i=, exactly one AAR/AMS/AS per
 * instance, no gaps, at most 50, cv= none on 1 and pass after, cv=fail on the
 * newest seal, no h= on a seal, no AMS signing ARC-Seal), and the §5.1.1 seal
 * input byte for byte: sets 1..i in order as AAR, AMS, AS, relaxed, the seal
 * itself last with b= emptied; a cv=fail seal covers its own set only
 * (§5.1.2); and the sets fed newest first for the forensic variant.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "arc.h"
#include "suites.h"

static void make_msg(struct msg *m, const char *header)
{
	char err[200];
	memset(m, 0, sizeof *m);
	buf_init(&m->header, 1 << 20);
	buf_append_str(&m->header, header);
	ck_assert_int_eq(msg_parse_fields(m, err, sizeof err), 0);
}

#define AAR(i) "ARC-Authentication-Results: i=" #i "; mx.example.net; dkim=pass\r\n"
#define AMS(i) "ARC-Message-Signature: i=" #i "; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=arc; h=from; bh=AAAA; b=AAAA\r\n"
#define AS(i, cv) "ARC-Seal: i=" #i "; a=rsa-sha256; cv=" cv "; d=example.net; s=arc; b=AAAA\r\n"
#define SET(i, cv) AAR(i) AMS(i) AS(i, cv)
#define FROM "From: a@example.com\r\n"

static const struct {
	const char *name;
	const char *header;
	const char *code;     /* the chain's code after arc_collect; "" when undecided (structure fine) */
	unsigned n;           /* sets held */
} structure_cases[] = {
	{ "no ARC fields", FROM, "no-arc", 0 },
	{ "one set", SET(1, "none") FROM, "", 1 },
	{ "two sets, any order", AS(2, "pass") AMS(2) AAR(1) AAR(2) AS(1, "none") AMS(1) FROM, "", 2 },
	{ "missing AS", AAR(1) AMS(1) FROM, "arc-incomplete-set", 1 },
	{ "missing AAR", AMS(1) AS(1, "none") FROM, "arc-incomplete-set", 1 },
	{ "duplicate AMS", SET(1, "none") AMS(1) FROM, "arc-duplicate-field", 1 },
	{ "gap", SET(1, "none") SET(3, "pass") FROM, "arc-incomplete-set", 3 },
	{ "i=0", SET(0, "none") FROM, "arc-bad-instance", 0 },
	{ "i=51", SET(51, "pass") FROM, "arc-too-many-sets", 0 },
	{ "i twice", "ARC-Seal: i=1; i=1; a=rsa-sha256; cv=none; d=example.net; s=arc; b=AAAA\r\n" AAR(1) AMS(1) FROM,
	  "arc-bad-instance", 1 },
	{ "cv=pass on i=1", SET(1, "pass") FROM, "arc-cv-wrong", 1 },
	{ "cv=none on i=2", SET(1, "none") SET(2, "none") FROM, "arc-cv-wrong", 2 },
	{ "cv=maybe", SET(1, "maybe") FROM, "arc-cv-invalid", 1 },
	{ "newest cv=fail", SET(1, "none") SET(2, "fail") FROM, "arc-cv-fail", 2 },
	{ "seal with h=", AAR(1) AMS(1) "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.net; s=arc; h=from; b=AAAA\r\n" FROM,
	  "arc-seal-has-h", 1 },
	{ "AMS signs ARC-Seal", AAR(1) AS(1, "none")
	  "ARC-Message-Signature: i=1; a=rsa-sha256; d=example.net; s=arc; h=from:arc-seal; bh=AAAA; b=AAAA\r\n" FROM,
	  "arc-ams-signs-seal", 1 },
	{ "AAR without i=", "ARC-Authentication-Results: mx.example.net; dkim=pass\r\n" AMS(1) AS(1, "none") FROM,
	  "arc-bad-instance", 1 },
};

START_TEST(test_structure)
{
	struct msg m;
	make_msg(&m, structure_cases[_i].header);
	struct arc_chain c;
	arc_init(&c);
	arc_collect(&c, &m);
	ck_assert_msg(strcmp(verdict_code_word(c.code), structure_cases[_i].code) == 0, "%s: got %s (%s)",
		      structure_cases[_i].name, verdict_code_word(c.code), c.reason);
	if (structure_cases[_i].code[0] && strcmp(structure_cases[_i].code, "no-arc") != 0) {
		ck_assert_int_eq(c.result, VERDICT_FAIL);
		ck_assert(!c.structure_ok);
	}
	if (structure_cases[_i].n)
		ck_assert_uint_eq(c.n, structure_cases[_i].n);
	arc_free(&c);
	msg_close(&m);
}
END_TEST

#define CHAIN2 "ARC-Seal: i=2; a=rsa-sha256; cv=%s; d=example.net; s=arc; b=Zm9v\r\n" \
	       "ARC-Message-Signature: i=2; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=arc; h=from; bh=AAAA; b=AAAA\r\n" \
	       "ARC-Authentication-Results: i=2;  mx2.example.net; arc=pass\r\n" \
	       AS(1, "none") AMS(1) AAR(1) FROM

static void seal_data(const char *cv, int descending, struct buf *out)
{
	char header[2048];
	snprintf(header, sizeof header, CHAIN2, cv);
	struct msg m;
	make_msg(&m, header);
	struct arc_chain c;
	arc_init(&c);
	arc_collect(&c, &m);
	ck_assert_uint_eq(c.n, 2);
	buf_init(out, 1 << 16);
	ck_assert_int_eq(arc_seal_data_with(&c, &m, 2, descending, 0, 0, out), 0);
	arc_free(&c);
	msg_close(&m);
}

#define R_AAR(i, rest) "arc-authentication-results:i=" #i "; " rest "\r\n"
#define R_AMS(i) "arc-message-signature:i=" #i "; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=arc; h=from; bh=AAAA; b=AAAA\r\n"
#define R_AS1 "arc-seal:i=1; a=rsa-sha256; cv=none; d=example.net; s=arc; b=AAAA\r\n"

START_TEST(test_seal_data)
{
	struct buf b;
	seal_data("pass", 0, &b);
	ck_assert_str_eq(b.data, R_AAR(1, "mx.example.net; dkim=pass") R_AMS(1) R_AS1 R_AAR(2, "mx2.example.net; arc=pass")
				 R_AMS(2) "arc-seal:i=2; a=rsa-sha256; cv=pass; d=example.net; s=arc; b=");
	buf_free(&b);
}
END_TEST

START_TEST(test_seal_data_cv_fail)
{
	struct buf b;
	seal_data("fail", 0, &b);   /* §5.1.2: as if the newest set were the only one */
	ck_assert_str_eq(b.data, R_AAR(2, "mx2.example.net; arc=pass") R_AMS(2)
				 "arc-seal:i=2; a=rsa-sha256; cv=fail; d=example.net; s=arc; b=");
	buf_free(&b);
}
END_TEST

START_TEST(test_seal_data_descending)
{
	struct buf b;
	seal_data("pass", 1, &b);
	ck_assert_str_eq(b.data, R_AAR(2, "mx2.example.net; arc=pass") R_AMS(2) R_AAR(1, "mx.example.net; dkim=pass")
				 R_AMS(1) R_AS1 "arc-seal:i=2; a=rsa-sha256; cv=pass; d=example.net; s=arc; b=");
	buf_free(&b);
}
END_TEST

Suite *arc_suite(void)
{
	Suite *s = suite_create("arc");
	TCase *tc = tcase_create("structure");
	tcase_add_loop_test(tc, test_structure, 0, (int)(sizeof structure_cases / sizeof structure_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("seal-data");
	tcase_add_test(tc, test_seal_data);
	tcase_add_test(tc, test_seal_data_cv_fail);
	tcase_add_test(tc, test_seal_data_descending);
	suite_add_tcase(s, tc);
	return s;
}
