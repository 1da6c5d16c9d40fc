/*
 * summary: the totals built from live runs equal those built from the same
 * runs' JSON records, fixture by fixture and over all of them; counts, code
 * and domain lists are right on a known message; the order of equal counts is
 * fixed.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "jsonin.h"
#include "report.h"
#include "summary.h"
#include "suites.h"

static struct lookup *open_keys(void)
{
	char z1[512], z2[512], err[300];
	snprintf(z1, sizeof z1, "%s/keys.zone", fixture_testdata());
	snprintf(z2, sizeof z2, "%s/keys-arc.zone", fixture_testdata());
	const char *zones[] = { z1, z2 };
	struct lookup *lk = lookup_new_zone(zones, 2, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	return lk;
}

/* Fold the fixture into live (from the run) and rec (from its JSON record). */
static void fold(const char *path, struct lookup *lk, struct summary *live, struct summary *rec)
{
	struct run_opts ro = { .policy = { .now = 1764003600, .min_key_bits = 1024 }, .do_dkim = 1, .do_arc = 1 };
	struct fixture_run fr;
	fixture_run(&fr, path, NULL, 0, &ro, lk, 0);
	ck_assert_int_eq(summary_add_run(live, &fr.res.run, 0), 0);
	struct report_opts o = { .format = REPORT_JSON, .show_dkim = 1, .show_arc = 1 };
	struct report_input in = { &fr.res.run, NULL, NULL, NULL, NULL };
	struct buf js;
	buf_init(&js, 1 << 24);
	report_message(&js, &in, &o);
	struct jsonin v;
	char err[200];
	ck_assert_msg(jsonin_parse(js.data, js.len, &v, err, sizeof err) == 0, "%s: %s", path, err);
	ck_assert_msg(summary_add_record(rec, &v, err, sizeof err) == 0, "%s: %s", path, err);
	jsonin_free(&v);
	buf_free(&js);
	fixture_run_free(&fr);
}

static void assert_same(const struct summary *a, const struct summary *b, const char *what)
{
	struct buf x, y;
	buf_init(&x, 1 << 24);
	buf_init(&y, 1 << 24);
	summary_json(a, NULL, NULL, &x);
	summary_json(b, NULL, NULL, &y);
	ck_assert_msg(strcmp(x.data, y.data) == 0, "%s:\nlive %s\nrecords %s", what, x.data, y.data);
	ck_assert_int_eq(a->worst, b->worst);
	buf_free(&x);
	buf_free(&y);
}

START_TEST(test_records_equal_runs)
{
	static const char *const dirs[] = { "dkim", "arc", "forensics" };
	struct lookup *lk = open_keys();
	struct summary all_live, all_rec;
	ck_assert_int_eq(summary_init(&all_live), 0);
	ck_assert_int_eq(summary_init(&all_rec), 0);
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char dir[512], path[700];
		static char names[FIXTURE_MAX][128];
		snprintf(dir, sizeof dir, "%s/%s", fixture_testdata(), dirs[d]);
		size_t n = fixture_list(dir, names, FIXTURE_MAX);
		ck_assert_uint_gt(n, 10);
		for (size_t i = 0; i < n; i++) {
			struct summary one_live, one_rec;
			ck_assert_int_eq(summary_init(&one_live), 0);
			ck_assert_int_eq(summary_init(&one_rec), 0);
			snprintf(path, sizeof path, "%s/%s.eml", dir, names[i]);
			fold(path, lk, &one_live, &one_rec);
			assert_same(&one_live, &one_rec, path);
			fold(path, lk, &all_live, &all_rec);
			summary_free(&one_live);
			summary_free(&one_rec);
		}
	}
	assert_same(&all_live, &all_rec, "every fixture");
	ck_assert_uint_gt(all_live.dkim[VERDICT_FAIL], 10);
	ck_assert_uint_gt(all_live.arc[VERDICT_PASS], 10);
	summary_free(&all_live);
	summary_free(&all_rec);
	lookup_free(lk);
}
END_TEST

START_TEST(test_known_message)
{
	struct lookup *lk = open_keys();
	struct summary live, rec;
	ck_assert_int_eq(summary_init(&live), 0);
	ck_assert_int_eq(summary_init(&rec), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/dkim/fail-body-modified.eml", fixture_testdata());
	fold(path, lk, &live, &rec);
	fold(path, lk, &live, &rec);
	ck_assert_uint_eq(live.messages, 2);
	ck_assert_uint_eq(live.dkim[VERDICT_FAIL], 2);
	ck_assert_uint_eq(live.arc[VERDICT_NONE], 2);
	ck_assert_int_eq(live.worst, 2);
	struct buf t;
	buf_init(&t, 1 << 20);
	summary_text(&live, &t);
	ck_assert_msg(strstr(t.data, "       2  body-hash-mismatch\n"), "%s", t.data);
	ck_assert_msg(strstr(t.data, "       2  dkim d=example.com\n"), "%s", t.data);
	ck_assert_msg(strstr(t.data, "       2  rsa2048._domainkey.example.com\n"), "%s", t.data);
	buf_free(&t);
	summary_free(&live);
	summary_free(&rec);
	lookup_free(lk);
}
END_TEST

START_TEST(test_not_a_record)
{
	struct summary s;
	ck_assert_int_eq(summary_init(&s), 0);
	struct jsonin v;
	char err[200];
	ck_assert_int_eq(jsonin_parse("{\"x\":1}", 7, &v, err, sizeof err), 0);
	ck_assert_int_eq(summary_add_record(&s, &v, err, sizeof err), -1);
	jsonin_free(&v);
	static const char bad[] = "{\"schema\":2,\"file\":\"f\",\"body_bytes\":1,\"dkim\":[{\"result\":\"sideways\"}]}";
	ck_assert_int_eq(jsonin_parse(bad, sizeof bad - 1, &v, err, sizeof err), 0);
	ck_assert_int_eq(summary_add_record(&s, &v, err, sizeof err), -1);
	ck_assert_uint_eq(s.messages, 0);
	jsonin_free(&v);
	summary_free(&s);
}
END_TEST

Suite *summary_suite(void)
{
	Suite *s = suite_create("summary");
	TCase *tc = tcase_create("summary");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_records_equal_runs);
	tcase_add_test(tc, test_known_message);
	tcase_add_test(tc, test_not_a_record);
	suite_add_tcase(s, tc);
	return s;
}
