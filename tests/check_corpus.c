/*
 * Public conformance data in ../shared/testsuites (read at run time, never
 * copied): the RFC 8463 Appendix A example, and the Mail::DKIM corpus with the
 * results its README documents for the RFC policy (default options) and the
 * legacy policy (--allow-sha1 --min-key-bits 512). Skipped loudly when
 * ../shared is absent.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "dnstest.h"
#include "fixture.h"
#include "lookup.h"
#include "run.h"
#include "suites.h"

/*
 * Expected results per signature, top to bottom: "RESULT" or "RESULT:why|why"
 * (the reason must contain one of the alternatives), or "!pass:why|why" where
 * the README says "not pass: A, B" (RFC 6376 §6.1 lets the first problem found
 * decide). No entries: no DKIM-Signature in the file (DomainKeys only).
 */
struct corpus_case {
	const char *file;
	const char *rfc[4];
	const char *legacy[4];
};

#define NOV "permerror:missing required tag v"
#define V05 "permerror:unsupported version"
#define SHA1_SMALL "!pass:rsa-sha1 not accepted|key too small"

static const struct corpus_case cases[] = {
	{ "bad_1.txt", { NOV }, { NOV } },
	{ "bad_1878954.txt", { "!pass:rsa-sha1 not accepted|body hash mismatch" }, { "fail:body hash mismatch" } },
	{ "bad_dk_1.txt", { 0 }, { 0 } },
	{ "bad_dk_2.txt", { 0 }, { 0 } },
	{ "bad_dk_3.txt", { 0 }, { 0 } },
	{ "bad_dk_4.txt", { 0 }, { 0 } },
	{ "bad_dk_5.txt", { 0 }, { 0 } },
	{ "bad_ietf01_1.txt", { NOV }, { NOV } },
	{ "bad_ietf01_2.txt", { NOV }, { NOV } },
	{ "bad_ietf01_3.txt", { NOV }, { NOV } },
	{ "badkey1_ed25519.txt", { "permerror:unusable key" }, { "permerror:unusable key" } },
	{ "badkey2_ed25519.txt", { "fail:signature did not verify" }, { "fail:signature did not verify" } },
	{ "badkey3_ed25519.txt", { "fail:body hash mismatch" }, { "fail:body hash mismatch" } },
	{ "badkey4_ed25519.txt", { "permerror:no key for" }, { "permerror:no key for" } },
	{ "badkey5_ed25519.txt", { "permerror:key record syntax error" }, { "permerror:key record syntax error" } },
	{ "badkey_1.txt", { V05 }, { V05 } },
	{ "badkey_10.txt", { "!pass:rsa-sha1 not accepted|key too small|key t=s" }, { "permerror:key t=s" } },
	{ "badkey_11.txt", { "permerror:key h= does not allow|key too small" }, { "permerror:key h= does not allow" } },
	{ "badkey_12.txt", { SHA1_SMALL }, { "pass" } },
	{ "badkey_13.txt", { SHA1_SMALL }, { "pass" } },
	/* with --keys the DNS-failure names are simply absent: no key (see check_dns for temperror) */
	{ "badkey_14.txt", { "!pass:rsa-sha1 not accepted|no key for" }, { "permerror:no key for" } },
	{ "badkey_15.txt", { "!pass:rsa-sha1 not accepted|no key for" }, { "permerror:no key for" } },
	{ "badkey_2.txt", { V05 }, { V05 } },
	{ "badkey_3.txt", { V05 }, { V05 } },
	{ "badkey_4.txt", { V05 }, { V05 } },
	{ "badkey_5.txt", { V05 }, { V05 } },
	{ "badkey_6.txt", { V05 }, { V05 } },
	{ "badkey_7.txt", { V05 }, { V05 } },
	{ "badkey_8.txt", { SHA1_SMALL }, { "pass" } },
	{ "badkey_9.txt", { SHA1_SMALL }, { "pass" } },
	{ "dk_headers_1.txt", { 0 }, { 0 } },
	{ "dk_headers_2.txt", { 0 }, { 0 } },
	{ "dk_multiple_1.txt", { 0 }, { 0 } },
	{ "good_1878523.txt", { SHA1_SMALL }, { "pass" } },
	{ "good_83176.txt", { "fail:rsa-sha1 not accepted" }, { "pass" } },
	{ "good_dk_1.txt", { 0 }, { 0 } },
	{ "good_dk_2.txt", { 0 }, { 0 } },
	{ "good_dk_3.txt", { 0 }, { 0 } },
	{ "good_dk_4.txt", { 0 }, { 0 } },
	{ "good_dk_5.txt", { 0 }, { 0 } },
	{ "good_dk_6.txt", { 0 }, { 0 } },
	{ "good_dk_7.txt", { 0 }, { 0 } },
	{ "good_dk_gmail.txt", { 0 }, { 0 } },
	{ "good_dk_yahoo.txt", { 0 }, { 0 } },
	{ "good_ietf00_1.txt", { NOV }, { NOV } },
	{ "good_ietf00_2.txt", { NOV }, { NOV } },
	{ "good_ietf00_3.txt", { NOV }, { NOV } },
	{ "good_ietf00_4.txt", { NOV }, { NOV } },
	{ "good_ietf00_5.txt", { NOV }, { NOV } },
	{ "good_ietf01_1.txt", { NOV }, { NOV } },
	{ "good_ietf01_2.txt", { NOV }, { NOV } },
	{ "good_qp_1.txt", { SHA1_SMALL }, { "pass" } },
	{ "good_qp_2.txt", { SHA1_SMALL }, { "pass" } },
	{ "good_qp_3.txt", { SHA1_SMALL }, { "pass" } },
	{ "good_rfc4871_3.txt", { SHA1_SMALL }, { "pass" } },
	{ "good_rfc4871_4.txt", { SHA1_SMALL }, { "pass" } },
	{ "goodkey_1.txt", { SHA1_SMALL }, { "pass:testing" } },
	{ "goodkey_2.txt", { SHA1_SMALL }, { "pass:testing" } },
	{ "goodkey_3.txt", { SHA1_SMALL }, { "pass" } },
	{ "goodkey_4.txt", { SHA1_SMALL }, { "pass" } },
	{ "goodkey_ed25519.txt", { "pass" }, { "pass" } },
	{ "ignore_1.txt", { "permerror:unsupported version" }, { "permerror:unsupported version" } },
	{ "ignore_2.txt", { "permerror:unsupported version|unknown algorithm" }, { "permerror:unsupported version|unknown algorithm" } },
	{ "ignore_3.txt", { "permerror:unsupported version|unknown algorithm" }, { "permerror:unsupported version|unknown algorithm" } },
	{ "ignore_4.txt", { "permerror:unsupported version|unknown canonicalization" }, { "permerror:unsupported version|unknown canonicalization" } },
	{ "ignore_5.txt", { "!pass:q= does not offer dns/txt|rsa-sha1 not accepted" }, { "permerror:q= does not offer dns/txt" } },
	{ "ignore_6.txt", { "!pass:q= does not offer dns/txt|rsa-sha1 not accepted" }, { "permerror:q= does not offer dns/txt" } },
	{ "ignore_7.txt", { "fail:signature expired|rsa-sha1 not accepted" }, { "fail:signature expired" } },
	{ "ignore_8.txt", { "!pass:i= domain not within d=|rsa-sha1 not accepted" }, { "permerror:i= domain not within d=" } },
	{ "mine_ietf01_1.txt", { NOV }, { NOV } },
	{ "mine_ietf01_2.txt", { NOV }, { NOV } },
	{ "mine_ietf01_3.txt", { NOV }, { NOV } },
	{ "mine_ietf01_4.txt", { NOV }, { NOV } },
	{ "mine_ietf05_1.txt", { V05 }, { V05 } },
	{ "multiple_1.txt", { NOV, NOV, NOV, NOV }, { NOV, NOV, NOV, NOV } },
	{ "multiple_2.txt",
	  { "permerror:unknown canonicalization", "fail:rsa-sha1 not accepted", "fail:signature did not verify",
	    "permerror:tag-list syntax error" },
	  { "permerror:unknown canonicalization", "pass", "fail:signature did not verify",
	    "permerror:tag-list syntax error" } },
	{ "no_body_1.txt", { V05 }, { V05 } },
	{ "no_body_2.txt", { V05 }, { V05 } },
	{ "no_body_3.txt", { V05 }, { V05 } },
};

#define NCASES (sizeof cases / sizeof cases[0])

static int reason_matches(const char *reason, const char *alternatives)
{
	char copy[256];
	snprintf(copy, sizeof copy, "%s", alternatives);
	char *save = NULL;
	for (char *alt = strtok_r(copy, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
		size_t n = strlen(alt);
		for (const char *p = reason; *p; p++)
			if (strncasecmp(p, alt, n) == 0)
				return 1;
	}
	return 0;
}

/* Compare one signature's verdict with "RESULT[:why|why]" or "!pass:why|why". */
static void check_expectation(const char *file, size_t idx, const struct verdict *v, const char *want)
{
	char result[32] = "";
	const char *colon = strchr(want, ':');
	snprintf(result, sizeof result, "%.*s", colon ? (int)(colon - want) : (int)strlen(want), want);
	if (strcmp(result, "!pass") == 0)
		ck_assert_msg(v->result != VERDICT_PASS, "%s #%zu: expected not pass", file, idx + 1);
	else
		ck_assert_msg(strcmp(verdict_word(v->result), result) == 0, "%s #%zu: expected %s, got %s (%s)", file,
			      idx + 1, result, verdict_word(v->result), v->reason);
	if (colon)
		ck_assert_msg(reason_matches(v->reason, colon + 1), "%s #%zu: reason '%s' is none of '%s'", file,
			      idx + 1, v->reason, colon + 1);
}

static void run_corpus_case(const struct corpus_case *c, int legacy)
{
	const char *shared = fixture_shared();
	char zone[512], path[512];
	snprintf(zone, sizeof zone, "%s/testsuites/mail-dkim-corpus/keys.zone", shared);
	snprintf(path, sizeof path, "%s/testsuites/mail-dkim-corpus/corpus/%s", shared, c->file);
	const char *argv[] = { "arcverify", "--dkim-only", "--keys", zone, "--allow-sha1", "--min-key-bits", "512",
			       path, NULL };
	const char *argv_rfc[] = { "arcverify", "--dkim-only", "--keys", zone, path, NULL };
	struct cli_opts o;
	char err[300];
	if (legacy)
		ck_assert(cli_parse(8, (char **)argv, &o, err, sizeof err) == 0);
	else
		ck_assert(cli_parse(5, (char **)argv_rfc, &o, err, sizeof err) == 0);
	struct lookup *lk = lookup_new_zone(o.batch.keys, o.batch.nkeys, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	struct fixture_run fr;
	fixture_run(&fr, path, NULL, 0, &o.batch.run, lk, 0);
	const struct run_result *r = &fr.res.run;
	const char *const *want = legacy ? c->legacy : c->rfc;
	size_t nwant = 0;
	while (nwant < 4 && want[nwant])
		nwant++;
	ck_assert_msg(r->ndkim == nwant, "%s: expected %zu DKIM signatures, found %zu", c->file, nwant, r->ndkim);
	for (size_t i = 0; i < nwant; i++)
		check_expectation(c->file, i, &r->dkim[i].v, want[i]);
	fixture_run_free(&fr);
	lookup_free(lk);
	cli_free(&o);
}

static int shared_missing(void)
{
	if (fixture_shared())
		return 0;
	fixture_skip("corpus", "../shared is absent (set ARCVERIFY_SHARED): public conformance suites were NOT run");
	return 1;
}

START_TEST(test_corpus_rfc_policy)
{
	if (!shared_missing())
		run_corpus_case(&cases[_i], 0);
}
END_TEST

START_TEST(test_corpus_legacy_policy)
{
	if (!shared_missing())
		run_corpus_case(&cases[_i], 1);
}
END_TEST

START_TEST(test_corpus_complete)
{
	if (shared_missing())
		return;
	ck_assert_int_eq(NCASES, 79);
}
END_TEST

/* The three no_body files all canonicalize (simple) to one CRLF: bh= is the SHA-1 of CRLF (§3.4.3). */
START_TEST(test_corpus_no_body_hash)
{
	if (shared_missing())
		return;
	const char *files[] = { "no_body_1.txt", "no_body_2.txt", "no_body_3.txt" };
	char zone[512], path[512], err[300];
	snprintf(zone, sizeof zone, "%s/testsuites/mail-dkim-corpus/keys.zone", fixture_shared());
	const char *zones[] = { zone };
	struct lookup *lk = lookup_new_zone(zones, 1, NULL, err, sizeof err);
	ck_assert(lk != NULL);
	struct run_opts ro = { .policy = { .now = 1800000000, .min_key_bits = 1024 }, .do_dkim = 1 };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/testsuites/mail-dkim-corpus/corpus/%s", fixture_shared(), files[i]);
		struct fixture_run fr;
		fixture_run(&fr, path, NULL, 0, &ro, lk, 0);
		const struct run_result *r = &fr.res.run;
		ck_assert_int_eq(r->ndkim, 1);
		ck_assert_str_eq(r->dkim[0].bh_computed, "uoq1oCgLlTqpdDX/iUbLy7J1Wic=");
		ck_assert_int_eq(r->dkim[0].body_ok, 1);
		fixture_run_free(&fr);
	}
	lookup_free(lk);
}
END_TEST

/* RFC 8463 Appendix A: both the Ed25519 and the RSA signature pass. */
START_TEST(test_rfc8463_example)
{
	if (shared_missing())
		return;
	char zone[512], path[512], err[300];
	snprintf(zone, sizeof zone, "%s/testsuites/rfc8463/keys.zone", fixture_shared());
	snprintf(path, sizeof path, "%s/testsuites/rfc8463/message.eml", fixture_shared());
	const char *zones[] = { zone };
	struct lookup *lk = lookup_new_zone(zones, 1, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	struct run_opts ro = { .policy = { .now = 1800000000, .min_key_bits = 1024 }, .do_dkim = 1 };
	struct fixture_run fr;
	fixture_run(&fr, path, NULL, 0, &ro, lk, 0);
	const struct run_result *r = &fr.res.run;
	ck_assert_int_eq(r->ndkim, 2);
	ck_assert_str_eq(r->dkim[0].a, "ed25519-sha256");
	ck_assert_msg(r->dkim[0].v.result == VERDICT_PASS, "ed25519: %s", r->dkim[0].v.reason);
	ck_assert_str_eq(r->dkim[1].a, "rsa-sha256");
	ck_assert_msg(r->dkim[1].v.result == VERDICT_PASS, "rsa: %s", r->dkim[1].v.reason);
	ck_assert_str_eq(r->dkim[0].bh_computed, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	/* both signatures share one body hash computation (same c=, hash, l=) */
	ck_assert_ptr_eq(r->dkim[0].body, r->dkim[1].body);
	ck_assert_int_eq(r->reg.n, 1);
	fixture_run_free(&fr);
	lookup_free(lk);
}
END_TEST

/*
 * badkey_14 (query times out) and badkey_15 (SERVFAIL) through real DNS: a
 * server that never answers and one that answers SERVFAIL give temperror
 * (RFC 6376 §6.1.2), within the timeout, and exit status 75.
 */
static void corpus_over_failing_dns(const char *file, const char *fault, const char *reason)
{
	struct dnstest t = { 0 };
	char err[300], path[512];
	const char *faults[] = { fault };
	struct dnstest_opts so = { .faults = faults, .nfaults = 1 };
	ck_assert_msg(dnstest_serve(&t, &so, err, sizeof err) == 0, "%s", err);
	snprintf(path, sizeof path, "%s/testsuites/mail-dkim-corpus/corpus/%s", fixture_shared(), file);
	const char *argv[] = { "arcverify", "--dkim-only", "--allow-sha1", "--min-key-bits", "512", "--dns-server",
			       t.server, "--dns-timeout", "1", path, NULL };
	struct cli_opts o;
	ck_assert(cli_parse(10, (char **)argv, &o, err, sizeof err) == 0);
	struct lookup *lk = lookup_new_dns(&o.batch.dns, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	time_t t0 = time(NULL);
	struct fixture_run fr;
	fixture_run(&fr, path, NULL, 0, &o.batch.run, lk, 0);
	const struct run_result *r = &fr.res.run;
	ck_assert_int_le(time(NULL) - t0, 4);
	ck_assert_int_eq(r->ndkim, 1);
	ck_assert_msg(r->dkim[0].v.result == VERDICT_TEMPERROR, "%s: %s %s", file, verdict_word(r->dkim[0].v.result),
		      r->dkim[0].v.reason);
	ck_assert_msg(strstr(r->dkim[0].v.reason, reason), "%s: reason '%s' lacks '%s'", file, r->dkim[0].v.reason,
		      reason);
	ck_assert_int_eq(run_severity(r), 1);
	fixture_run_free(&fr);
	lookup_free(lk);
	cli_free(&o);
	dnstest_stop(&t);
}

START_TEST(test_corpus_dns_timeout)
{
	if (!shared_missing())
		corpus_over_failing_dns("badkey_14.txt", "*=drop", "DNS timeout");
}
END_TEST

START_TEST(test_corpus_dns_servfail)
{
	if (!shared_missing())
		corpus_over_failing_dns("badkey_15.txt", "*=servfail", "SERVFAIL");
}
END_TEST

Suite *corpus_suite(void)
{
	Suite *s = suite_create("corpus");
	TCase *tc = tcase_create("mail-dkim");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus_complete);
	tcase_add_loop_test(tc, test_corpus_rfc_policy, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_corpus_legacy_policy, 0, (int)NCASES);
	tcase_add_test(tc, test_corpus_no_body_hash);
	tcase_add_test(tc, test_corpus_dns_timeout);
	tcase_add_test(tc, test_corpus_dns_servfail);
	suite_add_tcase(s, tc);
	TCase *t2 = tcase_create("rfc8463");
	tcase_add_test(t2, test_rfc8463_example);
	suite_add_tcase(s, t2);
	return s;
}
