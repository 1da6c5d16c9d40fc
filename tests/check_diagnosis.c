/*
 * diagnosis: whose bug it is. The fixtures of testdata/diagnosis check the
 * causes one by one (tests/check_fixtures.c); this suite checks what must
 * hold for every fixture of every directory (a verifier's bug is never
 * proved, a signer's is proved only by a variant the forensics found, every
 * failure has a cause, brackets are ordered), the rendering (the JSON entry
 * has exactly the documented fields; null when not computed; the text block
 * opens the report), and what the options change (--dkim-only).
 */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "diagnosis.h"
#include "report.h"
#include "runmsg.h"
#include "suites.h"

#define NOW 1764003600

struct diagnosed {
	struct fixture_run fr;
	struct lookup *lk;
	const struct run_result *r;
	const struct diagnosis *d;
};

static void run_diagnosed(struct diagnosed *x, const char *path, long now, int do_dkim, int do_arc)
{
	char zone[512], arczone[512], err[300];
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
	const char *zones[] = { zone, arczone };
	x->lk = lookup_new_zone(zones, 2, NULL, err, sizeof err);
	ck_assert_msg(x->lk != NULL, "%s", err);
	struct run_opts ro = { .policy = { .now = now, .min_key_bits = 1024 }, .do_dkim = do_dkim, .do_arc = do_arc };
	struct engine_opts eo = { .run = ro, .forensics = 1, .diagnose = DIAGNOSE_CAUSES | DIAGNOSE_INTEROP };
	input_list_init(&x->fr.list);
	ck_assert_int_eq(input_add(&x->fr.list, path, INPUT_MBOX_AUTO, &eo.input), 0);
	engine_message(&x->fr.list, &x->fr.list.items[0], 1, &eo, x->lk, &x->fr.res);
	x->r = &x->fr.res.run;
	x->d = &x->fr.res.diagnosis;
}

static void diagnosed_free(struct diagnosed *x)
{
	fixture_run_free(&x->fr);
	lookup_free(x->lk);
}

static char *fixture_path(const char *rel)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), rel);
	return path;
}

/* ---- invariants over every fixture ---- */

static const char *const dirs[] = { "dkim", "arc", "forensics", "diagnosis" };
static char names[4 * FIXTURE_MAX][520];
static size_t nnames;

static void list_all(void)
{
	static char one[FIXTURE_MAX][128];
	nnames = 0;
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char dir[380];
		snprintf(dir, sizeof dir, "%s/%s", fixture_testdata(), dirs[d]);
		size_t n = fixture_list(dir, one, FIXTURE_MAX);
		for (size_t i = 0; i < n; i++)
			if (snprintf(names[nnames], sizeof names[0], "%s/%s", dir, one[i]) < (int)sizeof names[0])
				nnames++;
	}
}

/* The evaluation time of a fixture: its .expect "now" line, else the default. */
static long fixture_now(const char *stem)
{
	char path[540];
	snprintf(path, sizeof path, "%s.expect", stem);
	struct buf b;
	long now = NOW;
	if (fixture_read_file(path, &b) == 0) {
		const char *p = strstr(b.data, "\nnow ");
		if (p || strncmp(b.data, "now ", 4) == 0)
			now = strtol(p ? p + 5 : b.data + 4, NULL, 10);
		buf_free(&b);
	}
	return now;
}

static void label_of(const struct run_result *r, const struct dkim_sig *s, char *out, size_t n)
{
	if (s->kind == DKIM_KIND_SIGNATURE)
		snprintf(out, n, "dkim#%zu", (size_t)(s - r->dkim) + 1);
	else
		snprintf(out, n, "%s#%u", s->kind == DKIM_KIND_AMS ? "ams" : "as", s->instance);
}

static int in_findings(const struct forensic_report *fr, const char *id)
{
	for (size_t i = 0; fr && i < fr->nbody; i++)
		if (!strcmp(fr->body[i].id, id))
			return 1;
	for (size_t i = 0; fr && i < fr->nheader; i++)
		if (!strcmp(fr->header[i].id, id))
			return 1;
	return 0;
}

static const struct dkim_sig *sig_by_label(const struct run_result *r, const char *label)
{
	for (size_t i = 0; i < r->ndkim; i++) {
		char l[16];
		label_of(r, &r->dkim[i], l, sizeof l);
		if (!strcmp(l, label))
			return &r->dkim[i];
	}
	for (unsigned i = 0; i < r->arc.n; i++) {
		char l[16];
		const struct arc_set *set = &r->arc.sets[i];
		if (set->has_ams && (label_of(r, &set->ams, l, sizeof l), !strcmp(l, label)))
			return &set->ams;
		if (set->has_as && (label_of(r, &set->as, l, sizeof l), !strcmp(l, label)))
			return &set->as;
	}
	return NULL;
}

static void check_entry(const struct diagnosed *x, const struct diagnosis_entry *e, const char *name)
{
	const struct dkim_sig *s = sig_by_label(x->r, e->signature);
	ck_assert_msg(s != NULL, "%s: %s names no signature of the message", name, e->signature);
	ck_assert_msg(e->what[0] && e->rule[0], "%s: an entry without its sentence or rule", name);
	if (e->role == DIAGNOSIS_VERIFIER) {
		ck_assert_msg(e->evidence != DIAGNOSIS_PROVED, "%s: a verifier's bug proved from the message alone", name);
		ck_assert_msg(e->party[0], "%s: a verifier without its authserv-id", name);
	}
	if (e->role == DIAGNOSIS_SIGNER && e->evidence == DIAGNOSIS_PROVED)
		ck_assert_msg(e->variant && in_findings(forensics_for(&x->fr.res.forensics, s), e->variant),
			      "%s: signer proved by %s, which forensics did not find", name, e->variant ? e->variant : "nothing");
	if (e->role == DIAGNOSIS_MODIFIER) {
		ck_assert_msg(e->has_between, "%s: a modifier without its bracket", name);
		ck_assert_msg(!e->between_to || e->between_to > e->between_from, "%s: bracket %u..%u", name,
			      e->between_from, e->between_to);
		ck_assert_msg(!e->party[0] || e->between_to == e->between_from + 1,
			      "%s: a modifier named without a bracket of one hop", name);
	}
}

/* Every signature that fails for what it signs has a cause (its own, or one that names it). */
static void check_failures_covered(const struct diagnosed *x, const char *name)
{
	const struct run_result *r = x->r;
	const struct dkim_sig *all[DKIM_SIGS_MAX + 2 * ARC_MAX_INSTANCES];
	size_t n = 0;
	for (size_t i = 0; i < r->ndkim; i++)
		all[n++] = &r->dkim[i];
	for (unsigned i = 0; i < r->arc.n; i++) {
		if (r->arc.sets[i].has_ams)
			all[n++] = &r->arc.sets[i].ams;
		if (r->arc.sets[i].has_as)
			all[n++] = &r->arc.sets[i].as;
	}
	for (size_t k = 0; k < n; k++) {
		const struct dkim_sig *s = all[k];
		int content = s->usable && s->v.result == VERDICT_FAIL && (s->body_ok == 0 || s->header_ok == 0);
		if (!content)
			continue;
		char label[16];
		label_of(r, s, label, sizeof label);
		int covered = 0;
		for (size_t i = 0; i < x->d->n; i++)
			covered |= !strcmp(x->d->v[i].signature, label) || strstr(x->d->v[i].what, label) != NULL;
		ck_assert_msg(covered, "%s: %s fails (%s) and no cause names it", name, label, s->v.reason);
	}
}

START_TEST(test_invariants)
{
	const char *name = names[_i];
	char eml[540];
	snprintf(eml, sizeof eml, "%s.eml", name);
	struct diagnosed x;
	run_diagnosed(&x, eml, fixture_now(name), 1, 1);
	if (!x.r->input_error) {
		ck_assert_msg(x.d->computed, "%s: not computed", name);
		for (size_t i = 0; i < x.d->n; i++)
			check_entry(&x, &x.d->v[i], name);
		for (size_t i = 1; i < x.d->n; i++)
			ck_assert_msg(x.d->v[i - 1].evidence <= x.d->v[i].evidence, "%s: not ranked", name);
		check_failures_covered(&x, name);
	}
	diagnosed_free(&x);
}
END_TEST

/* ---- single cases ---- */

/* Nothing failed, nobody disagreed: the diagnosis is computed and empty. */
START_TEST(test_passing_message)
{
	struct diagnosed x;
	run_diagnosed(&x, fixture_path("dkim/canon-relaxed-relaxed.eml"), NOW, 1, 1);
	ck_assert(x.d->computed);
	ck_assert_uint_eq(x.d->n, 0);
	diagnosed_free(&x);
}
END_TEST

/* --dkim-only: what the hops recorded about ARC is not compared, and no ARC cause is named. */
START_TEST(test_dkim_only)
{
	struct diagnosed x;
	run_diagnosed(&x, fixture_path("diagnosis/seed-forwarder-relaxed-simple.eml"), NOW, 1, 0);
	ck_assert_uint_eq(x.d->n, 0);
	size_t arc_claims = 0;
	for (size_t i = 0; i < x.fr.res.claims.n; i++) {
		const struct claim *cl = &x.fr.res.claims.v[i];
		if (strcmp(cl->method, "arc") == 0) {
			arc_claims++;
			ck_assert_int_eq(cl->state, CLAIM_NOT_COMPARED);
			ck_assert_ptr_nonnull(strstr(cl->note, "--dkim-only"));
		}
	}
	ck_assert_uint_ge(arc_claims, 1);
	diagnosed_free(&x);
}
END_TEST

static void render(const struct diagnosed *x, enum report_format f, int explain, struct buf *out)
{
	struct report_opts ro = { .format = f, .explain = explain, .show_dkim = 1, .show_arc = 1 };
	struct report_input in = { x->r, &x->fr.res.forensics, &x->fr.res.claims, &x->fr.res.lint, x->d };
	buf_init(out, (size_t)16 << 20);
	report_message(out, &in, &ro);
	ck_assert_ptr_nonnull(out->data);
}

/* The JSON entry carries exactly the documented fields, in order. */
START_TEST(test_json_entry)
{
	struct diagnosed x;
	run_diagnosed(&x, fixture_path("diagnosis/list-modifies-after-evaluating.eml"), NOW, 1, 1);
	struct buf out;
	render(&x, REPORT_JSON, 1, &out);
	const char *want = "\"diagnosis\":[{\"role\":\"modifier\",\"party\":\"lists.example.org\",\"instance\":2,"
			   "\"signature\":\"ams#1\",\"between\":[1,2],\"evidence\":\"proved\",\"variant\":\"body-appended\","
			   "\"rule\":\"RFC 6376 §3.7\",\"what\":\"The message changed after hop 1 sealed it";
	ck_assert_msg(strstr(out.data, want) != NULL, "%.3000s", out.data);
	ck_assert_msg(strstr(out.data, "\"state\":\"explained\"") != NULL, "%.3000s", out.data);
	buf_free(&out);
	diagnosed_free(&x);
}
END_TEST

/* The newest-hop case: no party, between [n, null]. */
START_TEST(test_json_after_newest)
{
	struct diagnosed x;
	run_diagnosed(&x, fixture_path("diagnosis/changed-after-newest-seal.eml"), NOW, 1, 1);
	struct buf out;
	render(&x, REPORT_JSON, 1, &out);
	ck_assert_msg(strstr(out.data, "{\"role\":\"modifier\",\"party\":null,\"instance\":null,\"signature\":\"ams#2\","
				       "\"between\":[2,null],\"evidence\":\"proved\"") != NULL, "%.3000s", out.data);
	buf_free(&out);
	diagnosed_free(&x);
}
END_TEST

/* Not asked for: JSON says null, the text has no diagnosis block. */
START_TEST(test_not_computed)
{
	struct runmsg m;
	runmsg_start(&m, fixture_path("diagnosis/seed-forwarder-relaxed-relaxed.eml"), NULL, 0, NOW, NULL);
	struct report_opts ro = { .format = REPORT_JSON, .show_dkim = 1, .show_arc = 1 };
	struct report_input in = { m.r, &m.fr.res.forensics, &m.fr.res.claims, &m.fr.res.lint, &m.fr.res.diagnosis };
	struct buf out;
	buf_init(&out, (size_t)16 << 20);
	report_message(&out, &in, &ro);
	ck_assert_ptr_nonnull(strstr(out.data, "\"diagnosis\":null"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"interop\":null"));
	buf_reset(&out);
	ro.format = REPORT_TEXT;
	report_message(&out, &in, &ro);
	ck_assert_ptr_null(strstr(out.data, "  diagnosis ("));
	buf_free(&out);
	runmsg_finish(&m);
}
END_TEST

/* The text block opens the message's report, before the signatures. */
START_TEST(test_text_block_first)
{
	struct diagnosed x;
	run_diagnosed(&x, fixture_path("diagnosis/seed-forwarder-relaxed-relaxed.eml"), NOW, 1, 1);
	struct buf out;
	render(&x, REPORT_TEXT, 1, &out);
	const char *block = strstr(out.data, "  diagnosis (1 cause, most likely first):\n"
					     "    1. signer forward.example.net (ARC i=1), ams#1: proved [relaxed-empty-crlf;");
	const char *dkim = strstr(out.data, "  DKIM #1");
	ck_assert_msg(block && dkim && block < dkim, "%.3000s", out.data);
	ck_assert_ptr_nonnull(strstr(out.data, "This message cannot tell it apart from: body hashed simple although c= "
					       "declares relaxed [other-body-canonicalization]; a CRLF hashed after the "
					       "canonicalized body [crlf-appended]"));
	buf_free(&out);
	diagnosed_free(&x);
}
END_TEST

START_TEST(test_words)
{
	ck_assert_str_eq(diagnosis_role_word(DIAGNOSIS_SIGNER), "signer");
	ck_assert_str_eq(diagnosis_role_word(DIAGNOSIS_MODIFIER), "modifier");
	ck_assert_str_eq(diagnosis_role_word(DIAGNOSIS_VERIFIER), "verifier");
	ck_assert_str_eq(diagnosis_evidence_word(DIAGNOSIS_PROVED), "proved");
	ck_assert_str_eq(diagnosis_evidence_word(DIAGNOSIS_CONSISTENT), "consistent");
	ck_assert_str_eq(diagnosis_evidence_word(DIAGNOSIS_UNEXPLAINED), "unexplained");
}
END_TEST

Suite *diagnosis_suite(void)
{
	Suite *s = suite_create("diagnosis");
	list_all();
	TCase *inv = tcase_create("invariants");
	tcase_set_timeout(inv, 300);
	tcase_add_loop_test(inv, test_invariants, 0, (int)nnames);
	suite_add_tcase(s, inv);
	TCase *tc = tcase_create("cases");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_passing_message);
	tcase_add_test(tc, test_dkim_only);
	tcase_add_test(tc, test_json_entry);
	tcase_add_test(tc, test_json_after_newest);
	tcase_add_test(tc, test_not_computed);
	tcase_add_test(tc, test_text_block_first);
	tcase_add_test(tc, test_words);
	suite_add_tcase(s, tc);
	return s;
}
