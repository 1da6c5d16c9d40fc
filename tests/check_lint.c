/* Lint: each warning on a message that deserves it, and never a change of verdict. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "lint.h"
#include "runmsg.h"
#include "suites.h"

#define NOW 1764003600

struct lint_case {
	const char *fixture;      /* under testdata/ */
	const char *prepend;      /* header text added in transit, or NULL */
	const char *code;         /* a warning that must be present */
	const char *text;         /* and a substring of its text */
	enum verdict_result dkim1;   /* the first DKIM signature's verdict, unchanged by lint */
};

static const struct lint_case cases[] = {
	{ "dkim/key-t-y.eml", NULL, "key-testing", "t=y", VERDICT_PASS },
	{ "dkim/alg-rsa1024.eml", NULL, "rsa-under-2048", "1024-bit", VERDICT_PASS },
	{ "dkim/length-footer-appended.eml", NULL, "partial-body", "%)", VERDICT_PASS },
	{ "dkim/alg-rsa-sha1.eml", NULL, "rsa-sha1", "obsolete", VERDICT_FAIL },
	{ "dkim/key-pkcs1.eml", NULL, "key-pkcs1", "PKCS#1", VERDICT_PASS },
	{ "arc/chain-2hop.eml", NULL, "ams-misses-dkim-signature", "DKIM-Signature", VERDICT_PASS },
	{ "dkim/canon-relaxed-relaxed.eml", "Subject: an added subject\r\n", "unsigned-extra-field", "Subject appears 2 times",
	  VERDICT_PASS },
};

START_TEST(test_lint_case)
{
	const struct lint_case *c = &cases[_i];
	char path[512];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), c->fixture);
	size_t len = 0;
	char *bytes = c->prepend ? runmsg_prepend(path, c->prepend, &len) : NULL;
	struct runmsg m;
	runmsg_start(&m, path, bytes, len, NOW, NULL);
	struct lint l;
	ck_assert_int_eq(lint_build(&l, m.r), 0);
	int found = 0;
	for (size_t i = 0; i < l.n; i++)
		found |= strcmp(l.v[i].code, c->code) == 0 && strstr(l.v[i].text, c->text) != NULL;
	ck_assert_msg(found, "%s: no %s warning containing '%s' (%zu warnings)", c->fixture, c->code, c->text, l.n);
	ck_assert_msg(m.r->ndkim >= 1 && m.r->dkim[0].v.result == c->dkim1, "%s: verdict %s", c->fixture,
		      m.r->ndkim ? verdict_word(m.r->dkim[0].v.result) : "none");
	lint_free(&l);
	runmsg_finish(&m);
	free(bytes);
}
END_TEST

/* Several TXT records at one key name (here a dated key history). */
START_TEST(test_lint_several_records)
{
	char dir[] = "/tmp/arcverify-lint-XXXXXX", zone[600], path[512];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(zone, sizeof zone, "%s/two.zone", dir);
	FILE *f = fopen(zone, "w");
	ck_assert_ptr_nonnull(f);
	fputs("rsa2048._domainkey.example.com. IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\"\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/dkim/canon-relaxed-relaxed.eml", fixture_testdata());
	struct runmsg m;
	runmsg_start(&m, path, NULL, 0, NOW, zone);
	struct lint l;
	ck_assert_int_eq(lint_build(&l, m.r), 0);
	int found = 0;
	for (size_t i = 0; i < l.n; i++)
		found |= strcmp(l.v[i].code, "several-txt-records") == 0;
	ck_assert(found);
	ck_assert_int_eq(m.r->dkim[0].v.result, VERDICT_PASS);  /* the second record verifies */
	lint_free(&l);
	runmsg_finish(&m);
	unlink(zone);
	rmdir(dir);
}
END_TEST

/* RFC 8617 §4.1 ABNF puts i= first; a seal that does not is flagged (and still evaluated). */
START_TEST(test_lint_instance_not_first)
{
	char path[512];
	snprintf(path, sizeof path, "%s/arc/chain-1hop.eml", fixture_testdata());
	struct buf file;
	ck_assert_int_eq(fixture_read_file(path, &file), 0);
	char *seal = strstr(file.data, "ARC-Seal: i=1; cv=none;");
	ck_assert_ptr_nonnull(seal);
	memcpy(seal, "ARC-Seal: cv=none; i=1;", 23);
	struct runmsg m;
	runmsg_start(&m, "reordered.eml", file.data, file.len, NOW, NULL);
	struct lint l;
	ck_assert_int_eq(lint_build(&l, m.r), 0);
	int found = 0;
	for (size_t i = 0; i < l.n; i++)
		found |= strcmp(l.v[i].code, "arc-i-not-first") == 0 && strcmp(l.v[i].where, "AS i=1") == 0;
	ck_assert(found);
	lint_free(&l);
	runmsg_finish(&m);
	buf_free(&file);
}
END_TEST

Suite *lint_suite(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("warnings");
	tcase_add_loop_test(tc, test_lint_case, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_lint_several_records);
	tcase_add_test(tc, test_lint_instance_not_first);
	suite_add_tcase(s, tc);
	return s;
}
