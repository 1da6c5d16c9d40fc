/*
 * sigmatch: the signatures of two copies matched by b=, each with its outcome
 * and explanation, and whether the content the sent copy's signatures cover
 * changed (the --compare exit status). Pairs of testdata/compare (dkimpy,
 * see its README), each copy verified through the engine.
 */
#include <check.h>
#include <string.h>

#include "fixture.h"
#include "sigmatch.h"
#include "suites.h"

#define NOW 1764003600

struct pair {
	struct fixture_run fr[2];
	struct lookup *lk;
	struct sigmatch cx;
};

static void digests(struct sigmatch_copy *c, const struct buf *body)
{
	enum canon_alg algs[] = { CANON_SIMPLE, CANON_RELAXED };
	unsigned char *dst[] = { c->simple_digest, c->relaxed_digest };
	for (int k = 0; k < 2; k++) {
		struct body_hash *bh = hash_body_new(algs[k], HASH_SHA256, HASH_NO_LIMIT, 0);
		ck_assert_ptr_nonnull(bh);
		hash_body_feed(bh, body->data ? body->data : "", body->len);
		hash_body_finish(bh, "", 0);
		memcpy(dst[k], bh->digest, bh->digest_len);
		hash_body_free(bh);
	}
	c->digests_ok = 1;
}

static void run_copy(struct pair *p, int k, const char *name, const char *which, struct sigmatch_copy *c)
{
	static char paths[2][512];
	snprintf(paths[k], sizeof paths[k], "%s/compare/%s.%s.eml", fixture_testdata(), name, which);
	struct run_opts ro = { .policy = { .now = NOW, .min_key_bits = 1024 }, .do_dkim = 1, .do_arc = 1 };
	struct engine_opts eo = { .run = ro, .keep_body = 1, .body_max = (size_t)1 << 24 };
	input_list_init(&p->fr[k].list);
	ck_assert_int_eq(input_add(&p->fr[k].list, paths[k], INPUT_MBOX_AUTO, &eo.input), 0);
	engine_message(&p->fr[k].list, &p->fr[k].list.items[0], 1, &eo, p->lk, &p->fr[k].res);
	ck_assert(!p->fr[k].res.run.input_error);
	if (!p->fr[k].res.body.data)
		buf_append(&p->fr[k].res.body, "", 0);
	c->role = k ? "received" : "sent";
	c->path = paths[k];
	c->run = &p->fr[k].res.run;
	c->body = &p->fr[k].res.body;
	digests(c, c->body);
}

static void pair_build(struct pair *p, const char *name)
{
	char keys[512], hop[512], err[300];
	snprintf(keys, sizeof keys, "%s/keys.zone", fixture_testdata());
	snprintf(hop, sizeof hop, "%s/compare/hop.zone", fixture_testdata());
	const char *zones[] = { keys, hop };
	p->lk = lookup_new_zone(zones, 2, NULL, err, sizeof err);
	ck_assert_msg(p->lk != NULL, "%s", err);
	memset(&p->cx, 0, sizeof p->cx);
	run_copy(p, 0, name, "sent", &p->cx.sent);
	run_copy(p, 1, name, "received", &p->cx.recv);
	ck_assert_int_eq(sigmatch_build(&p->cx), 0);
}

static void pair_free(struct pair *p)
{
	sigmatch_free(&p->cx);
	fixture_run_free(&p->fr[0]);
	fixture_run_free(&p->fr[1]);
	lookup_free(p->lk);
}

static const struct sigmatch_entry *entry_with(const struct sigmatch *cx, enum dkim_kind kind, const char *s)
{
	for (size_t i = 0; i < cx->n; i++)
		if (cx->items[i].kind == kind && !strcmp(sigmatch_any_sig(&cx->items[i])->s, s))
			return &cx->items[i];
	return NULL;
}

/* The list broke both signatures; both explained; signed content changed. */
START_TEST(test_list_footer)
{
	struct pair p;
	pair_build(&p, "list-footer");
	ck_assert_uint_eq(p.cx.n, 2);
	const struct sigmatch_entry *l = entry_with(&p.cx, DKIM_KIND_SIGNATURE, "rsa1024");
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(l->outcome, SIGMATCH_BROKEN);
	ck_assert(l->explained);
	ck_assert_ptr_nonnull(strstr(l->explanation.data, "signed fields Subject changed, List-Id added"));
	ck_assert_uint_eq(sigmatch_count(&p.cx, SIGMATCH_BROKEN), 2);
	ck_assert_uint_eq(sigmatch_unexplained(&p.cx), 0);
	ck_assert(!sigmatch_identical(&p.cx));
	ck_assert(sigmatch_signed_content_changed(&p.cx));
	pair_free(&p);
}
END_TEST

/* Only trace fields added: nothing signed changed. */
START_TEST(test_trace_only)
{
	struct pair p;
	pair_build(&p, "trace-only");
	ck_assert_uint_eq(p.cx.n, 1);
	ck_assert_int_eq(p.cx.items[0].outcome, SIGMATCH_UNCHANGED);
	ck_assert(!sigmatch_identical(&p.cx));
	ck_assert(!sigmatch_signed_content_changed(&p.cx));
	pair_free(&p);
}
END_TEST

/* A signature removed and an ARC set added: outcomes, and the signed content is the same. */
START_TEST(test_removed_added)
{
	struct pair p;
	pair_build(&p, "dkim-removed-arc-added");
	const struct sigmatch_entry *d = entry_with(&p.cx, DKIM_KIND_SIGNATURE, "rsa2048");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->outcome, SIGMATCH_REMOVED);
	ck_assert_ptr_null(d->recv);
	const struct sigmatch_entry *as = entry_with(&p.cx, DKIM_KIND_SEAL, "arc");
	ck_assert_ptr_nonnull(as);
	ck_assert_int_eq(as->outcome, SIGMATCH_ADDED);
	ck_assert_ptr_null(as->sent);
	ck_assert(!sigmatch_signed_content_changed(&p.cx));
	ck_assert_str_eq(sigmatch_outcome_name(SIGMATCH_ADDED), "added");
	pair_free(&p);
}
END_TEST

/* A rewritten AAR: the seal covers it (RFC 8617 §5.1.1), so the signed content changed. */
START_TEST(test_aar_rewritten)
{
	struct pair p;
	pair_build(&p, "arc-aar-rewritten");
	const struct sigmatch_entry *as = entry_with(&p.cx, DKIM_KIND_SEAL, "arc");
	ck_assert_ptr_nonnull(as);
	ck_assert_int_eq(as->outcome, SIGMATCH_BROKEN);
	ck_assert_ptr_nonnull(strstr(as->explanation.data, "ARC-Authentication-Results i=1 changed"));
	ck_assert(sigmatch_signed_content_changed(&p.cx));
	pair_free(&p);
}
END_TEST

/* White space: the simple signature's content changed, the relaxed one survived it. */
START_TEST(test_whitespace)
{
	struct pair p;
	pair_build(&p, "whitespace");
	const struct sigmatch_entry *rel = entry_with(&p.cx, DKIM_KIND_SIGNATURE, "rsa2048");
	ck_assert_int_eq(rel->outcome, SIGMATCH_UNCHANGED);
	ck_assert_ptr_nonnull(strstr(rel->explanation.data, "disappears under its relaxed body canonicalization"));
	ck_assert(sigmatch_signed_content_changed(&p.cx));   /* the simple one's was */
	pair_free(&p);
}
END_TEST

Suite *sigmatch_suite(void)
{
	Suite *s = suite_create("sigmatch");
	TCase *tc = tcase_create("pairs");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_list_footer);
	tcase_add_test(tc, test_trace_only);
	tcase_add_test(tc, test_removed_added);
	tcase_add_test(tc, test_aar_rewritten);
	tcase_add_test(tc, test_whitespace);
	suite_add_tcase(s, tc);
	return s;
}
