/*
 * What the hops recorded (ARC-Authentication-Results, Authentication-Results)
 * beside arcverify's verdicts: matching, disagreements, receivers' non-standard
 * forms, and that claims never change a verdict.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "fixture.h"
#include "runmsg.h"
#include "suites.h"

#define NOW 1764003600

static const struct run_opts both = { .do_dkim = 1, .do_arc = 1 };

static char *fixture_path(const char *rel)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), rel);
	return path;
}

static const struct claim *find_claim(const struct claims *c, int aar, unsigned instance, const char *method,
				      const char *authserv)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].from_aar == aar && (!aar || c->v[i].instance == instance) &&
		    strcmp(c->v[i].method, method) == 0 && (!authserv || strcmp(c->v[i].authserv_id, authserv) == 0))
			return &c->v[i];
	return NULL;
}

/* A list changed the message after hop 1: hop 2's records say pass, arcverify now says fail, with a reason. */
START_TEST(test_list_footer_claims)
{
	struct runmsg m;
	runmsg_start(&m, fixture_path("arc/list-footer.eml"), NULL, 0, NOW, NULL);
	struct claims c;
	ck_assert_int_eq(claims_build(&c, m.r, &both), 0);
	const struct claim *arc2 = find_claim(&c, 1, 2, "arc", NULL);
	ck_assert_ptr_nonnull(arc2);
	ck_assert_str_eq(arc2->said, "pass");
	ck_assert_str_eq(arc2->ours, "fail");          /* AMS 1 fails on the message as it is now */
	ck_assert(!arc2->agree);
	ck_assert_ptr_nonnull(strstr(arc2->subject, "i=1..1"));
	ck_assert_ptr_nonnull(strstr(arc2->note, "changed after"));
	const struct claim *arc1 = find_claim(&c, 1, 1, "arc", NULL);
	ck_assert_ptr_nonnull(arc1);
	ck_assert_str_eq(arc1->ours, "none");
	ck_assert(arc1->agree);
	const struct claim *dkim1 = find_claim(&c, 1, 1, "dkim", NULL);
	ck_assert_ptr_nonnull(dkim1);
	ck_assert_str_eq(dkim1->ours, "fail");
	ck_assert_ptr_nonnull(strstr(dkim1->subject, "d=example.com"));
	ck_assert_uint_ge(claims_disagreements(&c), 2);
	/* the chain still passes: what hops recorded is evidence, not input (RFC 8617 §5.2) */
	ck_assert_int_eq(m.r->arc.result, VERDICT_PASS);
	claims_free(&c);
	runmsg_finish(&m);
}
END_TEST

/* Microsoft-style results ("arc=fail (47)", compauth=, oda=1) are read and compared, never trusted. */
START_TEST(test_receiver_forms)
{
	size_t len;
	char *msg = runmsg_prepend(fixture_path("arc/chain-2hop.eml"),
				   "Authentication-Results: mx.microsoft.example; dkim=pass (signature was verified)\r\n"
				   " header.d=example.com; arc=fail (47); compauth=pass reason=130\r\n"
				   "Authentication-Results: mx.other.example; arc=pass (0 oda=1 ltdi=1\r\n"
				   " spf=[1,1,smtp.mailfrom=example.com] dkim=[1,1,header.d=example.com]); action=none\r\n",
				   &len);
	struct runmsg m;
	runmsg_start(&m, "chain-2hop+ms.eml", msg, len, NOW, NULL);
	struct claims c;
	ck_assert_int_eq(claims_build(&c, m.r, &both), 0);
	const struct claim *ms = find_claim(&c, 0, 0, "arc", "mx.microsoft.example");
	ck_assert_ptr_nonnull(ms);
	ck_assert_str_eq(ms->said, "fail (47)");
	ck_assert_str_eq(ms->ours, "pass");
	ck_assert(!ms->agree);
	ck_assert_ptr_nonnull(strstr(ms->subject, "i=1..2"));     /* above both sets: the whole chain */
	const struct claim *other = find_claim(&c, 0, 0, "arc", "mx.other.example");
	ck_assert_ptr_nonnull(other);
	ck_assert(other->agree);
	ck_assert_ptr_nonnull(strstr(other->said, "pass (0 oda=1"));
	const struct claim *dk = find_claim(&c, 0, 0, "dkim", "mx.microsoft.example");
	ck_assert_ptr_nonnull(dk);
	ck_assert_str_eq(dk->ours, "pass");
	ck_assert(dk->agree);
	ck_assert_int_eq(m.r->arc.result, VERDICT_PASS);
	claims_free(&c);
	runmsg_finish(&m);
	free(msg);
}
END_TEST

/* A dkim= result naming a signature that is no longer in the message is reported, not compared. */
START_TEST(test_claim_without_signature)
{
	size_t len;
	char *msg = runmsg_prepend(fixture_path("dkim/canon-relaxed-relaxed.eml"),
				   "Authentication-Results: mx.example.net; dkim=pass header.d=gone.example header.s=x\r\n", &len);
	struct runmsg m;
	runmsg_start(&m, "ar-gone.eml", msg, len, NOW, NULL);
	struct claims c;
	ck_assert_int_eq(claims_build(&c, m.r, &both), 0);
	const struct claim *dk = find_claim(&c, 0, 0, "dkim", "mx.example.net");
	ck_assert_ptr_nonnull(dk);
	ck_assert_str_eq(dk->ours, "");
	ck_assert_ptr_nonnull(strstr(dk->note, "no DKIM-Signature"));
	claims_free(&c);
	runmsg_finish(&m);
	free(msg);
}
END_TEST

Suite *claims_suite(void)
{
	Suite *s = suite_create("claims");
	TCase *tc = tcase_create("hops");
	tcase_add_test(tc, test_list_footer_claims);
	tcase_add_test(tc, test_receiver_forms);
	tcase_add_test(tc, test_claim_without_signature);
	suite_add_tcase(s, tc);
	return s;
}
