/*
 * interop: the known verifier bugs a verifying signature would trip on this
 * very message, and only those: a canonicalization bug counts when it changes
 * the hash, a trait (Ed25519, l=) when the signature has it; failing
 * signatures have no interop risks. Fixtures of testdata/diagnosis, dkim and
 * arc (dkimpy and Mail::DKIM, see their READMEs), through the engine with the
 * probes on.
 */
#include <check.h>
#include <string.h>

#include "diagnosis.h"
#include "interop.h"
#include "runmsg.h"
#include "suites.h"

#define NOW 1764003600

/* One fixture through the engine with the interop probes. */
struct probed {
	struct fixture_run fr;
	struct lookup *lk;
	const struct run_result *r;
	const struct interop *io;
};

static void run_probed(struct probed *p, const char *rel)
{
	char path[512], zone[512], arczone[512], err[300];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), rel);
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
	const char *zones[] = { zone, arczone };
	p->lk = lookup_new_zone(zones, 2, NULL, err, sizeof err);
	ck_assert_msg(p->lk != NULL, "%s", err);
	struct run_opts ro = { .policy = { .now = NOW, .min_key_bits = 1024 }, .do_dkim = 1, .do_arc = 1 };
	struct engine_opts eo = { .run = ro, .diagnose = DIAGNOSE_INTEROP };
	input_list_init(&p->fr.list);
	ck_assert_int_eq(input_add(&p->fr.list, path, INPUT_MBOX_AUTO, &eo.input), 0);
	engine_message(&p->fr.list, &p->fr.list.items[0], 1, &eo, p->lk, &p->fr.res);
	ck_assert_msg(!p->fr.res.run.input_error, "%s", rel);
	p->r = &p->fr.res.run;
	p->io = &p->fr.res.diagnosis.interop;
	ck_assert(p->io->computed);
	ck_assert(!p->fr.res.diagnosis.computed);    /* the causes were not asked for */
}

static void probed_free(struct probed *p)
{
	fixture_run_free(&p->fr);
	lookup_free(p->lk);
}

static int has_risk(const struct interop *io, const struct dkim_sig *s, const char *id)
{
	const struct interop_risk *first;
	size_t n = interop_for(io, s, &first);
	for (size_t i = 0; i < n; i++)
		if (strcmp(first[i].id, id) == 0)
			return 1;
	return 0;
}

static size_t risks(const struct interop *io, const struct dkim_sig *s)
{
	const struct interop_risk *first;
	return interop_for(io, s, &first);
}

/* The seed's forwarder: c=relaxed/simple over an empty body verifies, and trips two known bugs. */
START_TEST(test_empty_simple_body)
{
	struct probed p;
	run_probed(&p, "diagnosis/seed-forwarder-relaxed-simple.eml");
	const struct dkim_sig *ams1 = &p.r->arc.sets[0].ams, *ams2 = &p.r->arc.sets[1].ams;
	const struct interop_risk *first;
	ck_assert_uint_ge(interop_for(p.io, ams1, &first), 2);
	ck_assert_str_eq(first[0].id, "simple-empty-nothing");              /* most specific first */
	ck_assert_ptr_nonnull(strstr(first[0].verifiers, "OpenARC"));
	ck_assert(has_risk(p.io, ams1, "other-body-canonicalization"));     /* stalwart: header c= on the body */
	ck_assert(!has_risk(p.io, ams1, "relaxed-empty-crlf"));             /* its body is simple */
	/* the receiver's AMS is relaxed/relaxed over the same empty body */
	ck_assert(has_risk(p.io, ams2, "relaxed-empty-crlf"));
	ck_assert(!has_risk(p.io, ams2, "simple-empty-nothing"));
	ck_assert(!has_risk(p.io, ams2, "other-body-canonicalization"));    /* same c= for header and body */
	probed_free(&p);
}
END_TEST

/* Ed25519 is a trait: the Ed25519 signature has the risk, the RSA one beside it does not. */
START_TEST(test_ed25519)
{
	struct probed p;
	run_probed(&p, "diagnosis/ed25519-failed-by-receiver.eml");
	ck_assert_uint_eq(p.r->ndkim, 2);
	ck_assert(has_risk(p.io, &p.r->dkim[0], "ed25519-unsupported"));
	ck_assert_uint_eq(risks(p.io, &p.r->dkim[0]), 1);
	ck_assert_uint_eq(risks(p.io, &p.r->dkim[1]), 0);
	probed_free(&p);
}
END_TEST

/*
 * A signature under a key of small order verifies (RFC 8032 §5.1.7) but fails
 * at libsodium-based verifiers: the risk comes first, before the trait every
 * Ed25519 signature has. A signature libsodium accepts has no such risk.
 */
START_TEST(test_ed25519_strict_refused)
{
	struct probed p;
	run_probed(&p, "dkim/alg-ed25519-small-order-key.eml");
	ck_assert_uint_eq(p.r->ndkim, 1);
	ck_assert_int_eq(p.r->dkim[0].v.result, VERDICT_PASS);
	const struct interop_risk *first;
	/* a body bug still breaks its body hash; a header bug does not: every header hash verifies under this key */
	ck_assert_uint_eq(interop_for(p.io, &p.r->dkim[0], &first), 3);
	ck_assert_str_eq(first[0].id, "trailing-empty-lines-kept");
	ck_assert_str_eq(first[1].id, "ed25519-strict-refused");
	ck_assert_str_eq(first[2].id, "ed25519-unsupported");
	ck_assert(!has_risk(p.io, &p.r->dkim[0], "repeated-name-same-field"));
	probed_free(&p);
	run_probed(&p, "dkim/alg-ed25519-sha256.eml");
	ck_assert(!has_risk(p.io, &p.r->dkim[0], "ed25519-strict-refused"));
	ck_assert(has_risk(p.io, &p.r->dkim[0], "ed25519-unsupported"));
	probed_free(&p);
}
END_TEST

/* A plain message (a body with content, no repeated h= names, RSA, no l=): what hop 2 judged has no risk;
 * hop 2's own AMS over-signs From (dkimpy's default h=), which one known verifier bug trips on. */
START_TEST(test_no_traits)
{
	struct probed p;
	run_probed(&p, "diagnosis/receiver-fail-unexplained.eml");
	ck_assert_uint_eq(risks(p.io, &p.r->dkim[0]), 0);
	ck_assert_uint_eq(risks(p.io, &p.r->arc.sets[0].ams), 0);
	ck_assert_uint_eq(risks(p.io, &p.r->arc.sets[0].as), 0);
	ck_assert(has_risk(p.io, &p.r->arc.sets[1].ams, "repeated-name-same-field"));
	ck_assert_uint_eq(p.io->n, 1);
	probed_free(&p);
}
END_TEST

/* Over-signing (h= names From twice, one From present): verifiers that hash it again fail. */
START_TEST(test_repeated_name)
{
	struct probed p;
	run_probed(&p, "dkim/oversigned-headers.eml");
	ck_assert(has_risk(p.io, &p.r->dkim[0], "repeated-name-same-field"));
	probed_free(&p);
}
END_TEST

/* l= is a trait of its own (stalwart ignores such signatures, go-msgauth refuses them). */
START_TEST(test_length_tag)
{
	struct probed p;
	run_probed(&p, "dkim/length-pass.eml");
	ck_assert(has_risk(p.io, &p.r->dkim[0], "l-ignored"));
	ck_assert(!has_risk(p.io, &p.r->dkim[0], "l-zero-unlimited"));
	probed_free(&p);
}
END_TEST

/* Failing signatures have no interop risks: they do not verify to begin with. */
START_TEST(test_failing_have_none)
{
	struct probed p;
	run_probed(&p, "diagnosis/seed-forwarder-relaxed-relaxed.eml");
	ck_assert_int_ne(p.r->arc.sets[0].ams.v.result, VERDICT_PASS);
	ck_assert_uint_eq(risks(p.io, &p.r->arc.sets[0].ams), 0);
	probed_free(&p);
}
END_TEST

Suite *interop_suite(void)
{
	Suite *s = suite_create("interop");
	TCase *tc = tcase_create("risks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty_simple_body);
	tcase_add_test(tc, test_ed25519);
	tcase_add_test(tc, test_ed25519_strict_refused);
	tcase_add_test(tc, test_no_traits);
	tcase_add_test(tc, test_repeated_name);
	tcase_add_test(tc, test_length_tag);
	tcase_add_test(tc, test_failing_have_none);
	suite_add_tcase(s, tc);
	return s;
}
