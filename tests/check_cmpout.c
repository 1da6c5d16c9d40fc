/*
 * cmpout: a comparison written as text and as one JSON object: the schema
 * version first, the signed-content verdict (the exit status) in both, the
 * keys documented in compare.h, -v showing h=. Pairs of testdata/compare
 * (dkimpy, see its README), through compare_run.
 */
#include <check.h>
#include <string.h>

#include "compare.h"
#include "fixture.h"
#include "report.h"
#include "suites.h"

#define NOW 1764003600

static int run_pair(const char *name, int json, int verbose, struct buf *out)
{
	char keys[512], hop[512], sent[512], received[512], err[400];
	snprintf(keys, sizeof keys, "%s/keys.zone", fixture_testdata());
	snprintf(hop, sizeof hop, "%s/compare/hop.zone", fixture_testdata());
	snprintf(sent, sizeof sent, "%s/compare/%s.sent.eml", fixture_testdata(), name);
	snprintf(received, sizeof received, "%s/compare/%s.received.eml", fixture_testdata(), name);
	const char *zones[] = { keys, hop };
	struct lookup *lk = lookup_new_zone(zones, 2, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	struct run_opts ro = { .policy = { .now = NOW, .min_key_bits = 1024 }, .do_dkim = 1, .do_arc = 1 };
	struct compare_opts o = { &ro, NULL, json, verbose };
	buf_init(out, (size_t)1 << 24);
	int rc = compare_run(sent, received, &o, lk, out, err, sizeof err);
	lookup_free(lk);
	ck_assert_msg(rc >= 0, "%s", err);
	ck_assert_ptr_nonnull(out->data);
	return rc;
}

START_TEST(test_json_keys)
{
	struct buf out;
	ck_assert_int_eq(run_pair("trace-only", 1, 0, &out), COMPARE_SAME);
	char head[80];
	snprintf(head, sizeof head, "{\"schema\":%d,\"sent\":\"", REPORT_JSON_SCHEMA);
	ck_assert_msg(strncmp(out.data, head, strlen(head)) == 0, "%.300s", out.data);
	const char *keys[] = { "\"received\":", "\"identical\":false,\"signed_content_changed\":false,\"errors\":[]",
			       "\"headers\":{\"added\":[", "\"body\":{\"changed\":false,\"kind\":\"identical\"",
			       "\"signatures\":[{\"kind\":\"dkim\"", "\"arc\":{\"sent\":{\"result\":\"none\"" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		ck_assert_msg(strstr(out.data, keys[i]) != NULL, "missing %s", keys[i]);
	ck_assert_ptr_eq(strchr(out.data, '\n'), out.data + out.len - 1);   /* one object, one line */
	buf_free(&out);
}
END_TEST

START_TEST(test_text)
{
	struct buf out;
	ck_assert_int_eq(run_pair("list-footer", 0, 0, &out), COMPARE_CHANGED);
	ck_assert_ptr_nonnull(strstr(out.data, "  signed content changed in transit (exit status 1)\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "HEADER CHANGES  (2 added, 0 removed, 1 changed;"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nBODY  (97 bytes sent, 153 bytes received)\n"));
	ck_assert_ptr_null(strstr(out.data, "      h=        "));
	buf_free(&out);
	ck_assert_int_eq(run_pair("trace-only", 0, 1, &out), COMPARE_SAME);
	ck_assert_ptr_nonnull(strstr(out.data, "  the copies carry the same signed content (exit status 0)\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "      h=        from:to:subject"));   /* -v */
	buf_free(&out);
}
END_TEST

Suite *cmpout_suite(void)
{
	Suite *s = suite_create("cmpout");
	TCase *tc = tcase_create("output");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_json_keys);
	tcase_add_test(tc, test_text);
	suite_add_tcase(s, tc);
	return s;
}
