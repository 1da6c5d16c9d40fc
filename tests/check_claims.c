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

/* One A-R prepended to a fixture, its claims built; the one dkim= claim of that authserv-id returned. */
static const struct claim *one_claim(struct runmsg *m, struct claims *c, const char *rel, const char *ar,
				     const char *authserv, const struct run_opts *o)
{
	size_t len;
	char *msg = runmsg_prepend(fixture_path(rel), ar, &len);
	runmsg_start(m, rel, msg, len, NOW, NULL);
	free(msg);
	ck_assert_int_eq(claims_build(c, m->r, o), 0);
	const struct claim *cl = find_claim(c, 0, 0, "dkim", authserv);
	ck_assert_msg(cl != NULL, "no dkim claim from %s", authserv);
	return cl;
}

struct form_case {
	const char *fixture;          /* d=example.com s=rsa2048 in both */
	const char *ar;
	const char *said_word;
	enum claim_state state;
};

/* The receivers' own forms (research notes §7b) are read as they mean them. */
static const struct form_case forms[] = {
	/* Yahoo: dkim_pass, "@" before the selector */
	{ "dkim/canon-relaxed-relaxed.eml", "Authentication-Results: mx.yahoo.example; dkim=dkim_pass "
	  "header.i=@example.com header.s=@rsa2048\r\n", "pass", CLAIM_AGREES },
	/* Gmail: neutral with "body hash did not verify" is a fail */
	{ "forensics/body-modified-unexplained.eml", "Authentication-Results: mx.google.example; dkim=neutral (body "
	  "hash did not verify) header.i=@example.com header.s=rsa2048\r\n", "fail", CLAIM_AGREES },
	/* properties before the method */
	{ "dkim/canon-relaxed-relaxed.eml", "Authentication-Results: mx.example; header.d=example.com "
	  "header.s=rsa2048 dkim=pass\r\n", "pass", CLAIM_AGREES },
	/* an x- property among them, the authserv-id with a version token, no space before "(" */
	{ "dkim/canon-relaxed-relaxed.eml", "Authentication-Results: mx.fastmail.example 1; dkim=pass(2048-bit) "
	  "header.d=example.com x-bits=2048 header.s=rsa2048\r\n", "pass", CLAIM_AGREES },
	/* a disagreement stays one */
	{ "dkim/canon-relaxed-relaxed.eml", "Authentication-Results: mx.other.example; dkim=fail header.d=example.com "
	  "header.s=rsa2048\r\n", "fail", CLAIM_DISAGREES },
};

START_TEST(test_forms)
{
	const struct form_case *f = &forms[_i];
	const char *id = strstr(f->ar, ": ") + 2;
	char authserv[64];
	size_t n = strcspn(id, " ;");
	snprintf(authserv, sizeof authserv, "%.*s", (int)n, id);
	struct runmsg m;
	struct claims c;
	const struct claim *cl = one_claim(&m, &c, f->fixture, f->ar, authserv, &both);
	ck_assert_ptr_nonnull(cl->sig);                         /* matched to the signature by d= and s= */
	ck_assert_str_eq(cl->said_word, f->said_word);
	ck_assert_msg(cl->state == f->state, "case %d: %s (%s)", _i, claims_state_word(cl->state), cl->note);
	claims_free(&c);
	runmsg_finish(&m);
}
END_TEST

/* Records about a method not evaluated are not compared. */
START_TEST(test_not_evaluated)
{
	static const struct run_opts dkim_only = { .do_dkim = 1, .do_arc = 0 }, arc_only = { .do_dkim = 0, .do_arc = 1 };
	struct runmsg m;
	runmsg_start(&m, fixture_path("arc/list-footer.eml"), NULL, 0, NOW, NULL);
	struct claims c;
	ck_assert_int_eq(claims_build(&c, m.r, &dkim_only), 0);
	for (size_t i = 0; i < c.n; i++)
		if (!strcmp(c.v[i].method, "arc"))
			ck_assert_msg(c.v[i].state == CLAIM_NOT_COMPARED && strstr(c.v[i].note, "--dkim-only"), "%s", c.v[i].note);
	claims_free(&c);
	ck_assert_int_eq(claims_build(&c, m.r, &arc_only), 0);
	size_t dkim = 0;
	for (size_t i = 0; i < c.n; i++)
		if (!strcmp(c.v[i].method, "dkim")) {
			dkim++;
			ck_assert_int_eq(c.v[i].state, CLAIM_NOT_COMPARED);
			ck_assert_ptr_nonnull(strstr(c.v[i].note, "--arc-only"));
		}
	ck_assert_uint_ge(dkim, 1);
	ck_assert_uint_eq(claims_disagreements(&c), 2);     /* the two arc=pass about a chain prefix that fails now */
	claims_free(&c);
	runmsg_finish(&m);
}
END_TEST

/* Our own temperror: the record could not be checked, and it is no disagreement. */
START_TEST(test_temperror_unchecked)
{
	struct runmsg m;
	struct claims c;
	const struct claim *cl = one_claim(&m, &c, "dkim/canon-relaxed-relaxed.eml", "Authentication-Results: "
					   "mx.example; dkim=fail header.d=example.com header.s=rsa2048\r\n", "mx.example", &both);
	ck_assert_int_eq(cl->state, CLAIM_DISAGREES);
	claims_free(&c);
	struct dkim_sig *s = (struct dkim_sig *)&m.r->dkim[0];   /* as a DNS timeout would have left it */
	s->v.result = VERDICT_TEMPERROR;
	s->v.code = VC_DNS_TIMEOUT;
	ck_assert_int_eq(claims_build(&c, m.r, &both), 0);
	cl = find_claim(&c, 0, 0, "dkim", "mx.example");
	ck_assert_int_eq(cl->state, CLAIM_UNCHECKED);
	ck_assert(cl->agree);
	ck_assert_ptr_nonnull(strstr(cl->note, "could not check"));
	ck_assert_ptr_null(strstr(cl->note, "changed after"));
	ck_assert_uint_eq(claims_disagreements(&c), 0);
	claims_free(&c);
	runmsg_finish(&m);
}
END_TEST

/* A record written before a signature existed (the signature lies above it) is not about it. */
START_TEST(test_signature_added_later)
{
	struct buf file;
	ck_assert_int_eq(fixture_read_file(fixture_path("dkim/canon-relaxed-relaxed.eml"), &file), 0);
	const char *sep = strstr(file.data, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	struct buf msg;
	buf_init(&msg, file.len + 200);
	buf_append(&msg, file.data, (size_t)(sep - file.data) + 2);
	buf_append_str(&msg, "Authentication-Results: mx.early.example; dkim=pass header.d=example.com header.s=rsa2048\r\n");
	buf_append_str(&msg, sep + 2);
	struct runmsg m;
	runmsg_start(&m, "ar-below-signature.eml", msg.data, msg.len, NOW, NULL);
	struct claims c;
	ck_assert_int_eq(claims_build(&c, m.r, &both), 0);
	const struct claim *cl = find_claim(&c, 0, 0, "dkim", "mx.early.example");
	ck_assert_ptr_nonnull(cl);
	ck_assert_ptr_null(cl->sig);
	ck_assert_int_eq(cl->state, CLAIM_NOT_COMPARED);
	claims_free(&c);
	runmsg_finish(&m);
	buf_free(&msg);
	buf_free(&file);
}
END_TEST

START_TEST(test_explain)
{
	struct runmsg m;
	struct claims c;
	one_claim(&m, &c, "dkim/canon-relaxed-relaxed.eml", "Authentication-Results: mx.example; dkim=fail "
		  "header.d=example.com header.s=rsa2048\r\nAuthentication-Results: mx.ok.example; dkim=pass "
		  "header.d=example.com header.s=rsa2048\r\n", "mx.example", &both);
	ck_assert_uint_eq(claims_disagreements(&c), 1);
	for (size_t i = 0; i < c.n; i++)
		claims_explain(&c, i, "because of a test");
	ck_assert_uint_eq(claims_disagreements(&c), 0);
	ck_assert_int_eq(find_claim(&c, 0, 0, "dkim", "mx.example")->state, CLAIM_EXPLAINED);
	ck_assert_str_eq(find_claim(&c, 0, 0, "dkim", "mx.example")->note, "because of a test");
	ck_assert_int_eq(find_claim(&c, 0, 0, "dkim", "mx.ok.example")->state, CLAIM_AGREES);   /* only disagreements */
	ck_assert_str_eq(claims_state_word(CLAIM_EXPLAINED), "explained");
	ck_assert_str_eq(claims_state_word(CLAIM_UNCHECKED), "unchecked");
	ck_assert_str_eq(claims_state_word(CLAIM_NOT_COMPARED), "not-compared");
	claims_free(&c);
	runmsg_finish(&m);
}
END_TEST

Suite *claims_suite(void)
{
	Suite *s = suite_create("claims");
	TCase *tc = tcase_create("hops");
	tcase_add_test(tc, test_list_footer_claims);
	tcase_add_test(tc, test_receiver_forms);
	tcase_add_test(tc, test_claim_without_signature);
	tcase_add_loop_test(tc, test_forms, 0, sizeof forms / sizeof forms[0]);
	tcase_add_test(tc, test_not_evaluated);
	tcase_add_test(tc, test_temperror_unchecked);
	tcase_add_test(tc, test_signature_added_later);
	tcase_add_test(tc, test_explain);
	suite_add_tcase(s, tc);
	return s;
}
