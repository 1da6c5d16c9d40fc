/*
 * forensics: every failing DKIM-Signature, AMS and AS is examined whatever
 * the overall verdict (a failing AMS inside a passing chain above all);
 * coinciding variants come most specific first; a swap names its direction;
 * the probes of verifying signatures record the variants that change their
 * hash and nothing else. Fixtures of testdata/forensics and testdata/arc
 * (signed by dkimpy and Mail::DKIM, see their READMEs) at their evaluation time.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forensics.h"
#include "interop.h"
#include "runmsg.h"
#include "suites.h"

#define NOW 1764003600

static char *fixture_path(const char *rel)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), rel);
	return path;
}

/* Forensics of one fixture, as the engine runs them (the message read again from its file). */
struct examined {
	struct runmsg m;
	struct forensics f;
	FILE *in;
};

static void examine_path(struct examined *x, const char *path, const struct forensics_opts *o)
{
	runmsg_start(&x->m, path, NULL, 0, NOW, NULL);
	x->in = fopen(path, "rb");
	ck_assert_ptr_nonnull(x->in);
	char err[300];
	struct msg_opts mo = { 0 };
	ck_assert_msg(forensics_examine(&x->f, x->m.r, x->in, 0, &mo, o, err, sizeof err) == 0, "%s", err);
}

static void examine(struct examined *x, const char *rel, const struct forensics_opts *o)
{
	examine_path(x, fixture_path(rel), o);
}

static void examined_free(struct examined *x)
{
	forensics_free(&x->f);
	fclose(x->in);
	runmsg_finish(&x->m);
}

static int has_id(const struct forensic_finding *f, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].id, id) == 0)
			return 1;
	return 0;
}

static const struct forensics_opts failing = { .failing = 1 };

/* A chain that passes with an older AMS that fails: that AMS and the DKIM-Signature are examined. */
START_TEST(test_failing_ams_in_passing_chain)
{
	struct examined x;
	examine(&x, "arc/list-footer.eml", &failing);
	const struct run_result *r = x.m.r;
	ck_assert_int_eq(r->arc.result, VERDICT_PASS);
	const struct forensic_report *ams1 = forensics_for(&x.f, &r->arc.sets[0].ams);
	ck_assert_ptr_nonnull(ams1);
	ck_assert(ams1->body_examined && ams1->prefix_found);
	ck_assert_uint_eq(ams1->prefix_bytes, 245);
	ck_assert_uint_eq(ams1->body_bytes - ams1->prefix_bytes, 172);
	ck_assert(ams1->header_examined);
	ck_assert_ptr_nonnull(forensics_for(&x.f, &r->dkim[0]));
	/* verifying signatures are not examined when nothing is probed */
	ck_assert_ptr_null(forensics_for(&x.f, &r->arc.sets[1].ams));
	ck_assert_ptr_null(forensics_for(&x.f, &r->arc.sets[1].as));
	ck_assert_ptr_null(forensics_for(&x.f, &r->arc.sets[0].as));
	ck_assert_uint_eq(x.f.n, 2);
	examined_free(&x);
}
END_TEST

/* A failing seal in a failing chain: header variants only, the one dkimpy was patched with found. */
START_TEST(test_failing_seal)
{
	struct examined x;
	examine(&x, "forensics/header-seal-sets-descending.eml", &failing);
	const struct forensic_report *as2 = forensics_for(&x.f, &x.m.r->arc.sets[1].as);
	ck_assert_ptr_nonnull(as2);
	ck_assert(!as2->body_examined && as2->header_examined);
	ck_assert(as2->header_tried > 0);
	ck_assert(has_id(as2->header, as2->nheader, "seal-sets-descending"));
	examined_free(&x);
}
END_TEST

/* An empty relaxed body hashed as CRLF: three variants coincide, the most specific first. */
START_TEST(test_coinciding_most_specific_first)
{
	struct examined x;
	examine(&x, "forensics/arc-empty-body-relaxed-crlf.eml", &failing);
	const struct forensic_report *fr = forensics_for(&x.f, &x.m.r->arc.sets[1].ams);
	ck_assert_ptr_nonnull(fr);
	ck_assert_uint_eq(fr->nbody, 3);
	ck_assert_str_eq(fr->body[0].id, "relaxed-empty-crlf");
	ck_assert(!fr->body[0].generic);
	ck_assert_str_eq(fr->body[1].id, "other-body-canonicalization");
	ck_assert(fr->body[1].generic);
	ck_assert_str_eq(fr->body[2].id, "crlf-appended");
	ck_assert(fr->body[2].generic);
	/* the swap says which way: c= declares relaxed, the signer hashed simple */
	ck_assert_str_eq(fr->body[1].what, "body hashed simple although c= declares relaxed");
	examined_free(&x);
}
END_TEST

/* The swap names its direction for the body and for the headers. */
START_TEST(test_swap_direction)
{
	struct examined x;
	examine(&x, "forensics/body-other-body-canonicalization.eml", &failing);   /* c=simple/simple */
	const struct forensic_report *fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_ptr_nonnull(fr);
	ck_assert_uint_eq(fr->nbody, 1);
	ck_assert_str_eq(fr->body[0].what, "body hashed relaxed although c= declares simple");
	ck_assert_ptr_nonnull(strstr(fr->body[0].seen_in, "stalwart mail-auth <= 0.9.1"));
	ck_assert_ptr_nonnull(strstr(fr->body[0].seen_in, "PHPMailer DKIMValidator"));
	examined_free(&x);
	examine(&x, "forensics/header-other-header-canonicalization.eml", &failing);   /* c=relaxed/relaxed */
	fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_ptr_nonnull(fr);
	ck_assert(has_id(fr->header, fr->nheader, "other-header-canonicalization"));
	ck_assert_str_eq(fr->header[fr->nheader - 1].what, "headers hashed simple although c= declares relaxed");
	examined_free(&x);
}
END_TEST

/* The new variant: every CRLF hashed as CR CR LF. */
START_TEST(test_line_ends_converted_twice)
{
	struct examined x;
	examine(&x, "forensics/body-line-ends-converted-twice.eml", &failing);
	const struct forensic_report *fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_ptr_nonnull(fr);
	ck_assert_uint_eq(fr->nbody, 1);
	ck_assert_str_eq(fr->body[0].id, "line-ends-converted-twice");
	ck_assert_ptr_nonnull(forensics_variant("line-ends-converted-twice"));
	examined_free(&x);
}
END_TEST

/* A copy changed in storage is marked so: the signer is not at fault. */
START_TEST(test_copy_changed)
{
	struct examined x;
	examine(&x, "forensics/body-dot-stuffing-left-in.eml", &failing);
	const struct forensic_report *fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_ptr_nonnull(fr);
	ck_assert_str_eq(fr->body[0].id, "dot-stuffing-left-in");
	ck_assert(fr->body[0].copy_changed);
	examined_free(&x);
	examine(&x, "forensics/body-dot-stuffed-when-signed.eml", &failing);
	fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_str_eq(fr->body[0].id, "dot-stuffed-when-signed");
	ck_assert(!fr->body[0].copy_changed);
	examined_free(&x);
}
END_TEST

/* Nothing reproduces a changed word: every applicable variant was tried, and the count says so. */
START_TEST(test_unexplained_counts_tries)
{
	struct examined x;
	examine(&x, "forensics/body-modified-unexplained.eml", &failing);
	const struct forensic_report *fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_ptr_nonnull(fr);
	ck_assert_uint_eq(fr->nbody, 0);
	ck_assert(!fr->prefix_found && fr->prefix_searched);
	ck_assert_uint_ge(fr->body_tried, 10);
	examined_free(&x);
}
END_TEST

/* Probes on verifying signatures: a variant is recorded only when it changes the hash. */
START_TEST(test_probes)
{
	size_t n;
	const char *const *ids = interop_probe_ids(&n);
	struct forensics_opts probe = { .probe = ids, .nprobe = n };
	struct examined x;
	examine(&x, "dkim/body-nobody-simple.eml", &probe);    /* c=simple/simple, no body: one CRLF */
	const struct forensic_report *fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_ptr_nonnull(fr);
	ck_assert(fr->probed && !fr->body_examined && !fr->header_examined);
	ck_assert(has_id(fr->breaks, fr->nbreaks, "simple-empty-nothing"));
	ck_assert(has_id(fr->breaks, fr->nbreaks, "other-body-canonicalization"));   /* relaxed: zero bytes */
	ck_assert(!has_id(fr->breaks, fr->nbreaks, "relaxed-empty-crlf"));            /* not relaxed */
	examined_free(&x);
	examine(&x, "dkim/canon-relaxed-relaxed.eml", &probe);
	fr = forensics_for(&x.f, &x.m.r->dkim[0]);
	ck_assert_ptr_nonnull(fr);
	ck_assert(!has_id(fr->breaks, fr->nbreaks, "relaxed-empty-crlf"));   /* a body with content: same hash */
	ck_assert(!has_id(fr->breaks, fr->nbreaks, "simple-empty-nothing"));
	examined_free(&x);
}
END_TEST

/* Probes only run on signatures that verify, and failing ones are examined only when asked. */
/* The fixture rel with a copy of its first DKIM-Signature put in front, that copy's bh= changed in
 * its first character, written to a file of its own (forensics read the message again). */
static void examine_with_altered_copy(struct examined *x, const char *rel, char *path, size_t pathlen)
{
	struct buf file;
	ck_assert_int_eq(fixture_read_file(fixture_path(rel), &file), 0);
	const char *start = strncmp(file.data, "DKIM-Signature:", 15) == 0 ? file.data : strstr(file.data, "\nDKIM-Signature:");
	ck_assert_ptr_nonnull(start);
	start += *start == '\n';
	const char *end = start;
	while ((end = strchr(end, '\n')) != NULL && (end[1] == ' ' || end[1] == '\t'))
		end++;
	ck_assert_ptr_nonnull(end);
	char *copy = strndup(start, (size_t)(end - start) + 1);
	char *bh = strstr(copy, "bh=");
	ck_assert_ptr_nonnull(bh);
	bh[3] = bh[3] == 'A' ? 'B' : 'A';
	size_t len;
	char *bytes = runmsg_prepend(fixture_path(rel), copy, &len);
	snprintf(path, pathlen, "/tmp/arcverify-forensics-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bytes, len), (ssize_t)len);
	close(fd);
	free(bytes);
	free(copy);
	buf_free(&file);
	examine_path(x, path, &failing);
}

/* Signatures with the same c=, a= and l= share each variant's hash in the body pass; each is still
 * judged by its own bh=: the variant that reproduces the signer's is found for it alone, and the
 * prefix search of each looks for its own value. */
START_TEST(test_shared_hashers_judge_each_signature)
{
	struct examined x;
	char path[64];
	examine_with_altered_copy(&x, "forensics/body-crlf-appended.eml", path, sizeof path);
	const struct run_result *r = x.m.r;
	ck_assert_uint_eq(r->ndkim, 2);
	const struct forensic_report *copy = forensics_for(&x.f, &r->dkim[0]);
	const struct forensic_report *orig = forensics_for(&x.f, &r->dkim[1]);
	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_nonnull(orig);
	ck_assert(has_id(orig->body, orig->nbody, "crlf-appended"));
	ck_assert_uint_eq(copy->nbody, 0);
	ck_assert_uint_eq(copy->body_tried, orig->body_tried);
	ck_assert(copy->prefix_searched && !copy->prefix_found);
	examined_free(&x);
	unlink(path);
	/* a prefix found for the signature whose bh= it gives, not for the copy beside it */
	examine_with_altered_copy(&x, "arc/list-footer.eml", path, sizeof path);
	r = x.m.r;
	const struct forensic_report *first = forensics_for(&x.f, &r->dkim[0]);
	ck_assert_ptr_nonnull(first);
	ck_assert(first->prefix_searched);
	const struct forensic_report *second = forensics_for(&x.f, &r->dkim[1]);
	ck_assert_ptr_nonnull(second);
	ck_assert(second->prefix_found);
	ck_assert_uint_eq(second->prefix_bytes, 245);
	ck_assert_msg(!first->prefix_found, "the altered copy's bh= matched a prefix");
	examined_free(&x);
	unlink(path);
}
END_TEST

START_TEST(test_probe_only_verifying)
{
	size_t n;
	const char *const *ids = interop_probe_ids(&n);
	struct forensics_opts probe = { .probe = ids, .nprobe = n };
	struct examined x;
	examine(&x, "forensics/dkim-empty-body-relaxed-crlf.eml", &probe);
	ck_assert_uint_eq(x.f.n, 0);   /* its one signature fails, and failing ones were not asked for */
	examined_free(&x);
}
END_TEST

/* Every probe id names a catalogue variant. */
START_TEST(test_probe_ids_known)
{
	size_t n;
	const char *const *ids = interop_probe_ids(&n);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(forensics_variant(ids[i]) != NULL, "%s is not a catalogue variant", ids[i]);
	ck_assert_ptr_null(forensics_variant("no-such-variant"));
}
END_TEST

/* Streams that can be read only once (a pipe, <(...)) are spooled, so forensics read them again. */
START_TEST(test_pipes)
{
	const char *bin = getenv("ARCVERIFY_BIN");
	if (!bin || !*bin || access("/bin/bash", X_OK) != 0) {
		fixture_skip("forensics pipes", "no ARCVERIFY_BIN or /bin/bash");
		return;
	}
	char eml[512], zone[512], cmd[2400];
	snprintf(eml, sizeof eml, "%s", fixture_path("forensics/arc-empty-body-relaxed-crlf.eml"));
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	const char *forms[] = { "cat '%s' | '%s' --explain --keys '%s' --now %d -",
				"'%2$s' --explain --keys '%3$s' --now %4$d <(cat '%1$s')" };
	for (size_t k = 0; k < 2; k++) {
		char inner[1800];
		snprintf(inner, sizeof inner, forms[k], eml, bin, zone, NOW);
		snprintf(cmd, sizeof cmd, "/bin/bash -c \"%s\"", inner);
		FILE *p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		struct buf out;
		buf_init(&out, 1 << 20);
		char chunk[4096];
		size_t got;
		while ((got = fread(chunk, 1, sizeof chunk, p)) > 0)
			buf_append(&out, chunk, got);
		pclose(p);
		ck_assert_msg(out.data && strstr(out.data, "explained: bh= reproduced by: relaxed body canonicalization"),
			      "form %zu: %.2000s", k, out.data ? out.data : "(nothing)");
		ck_assert_ptr_null(strstr(out.data, "forensics:"));    /* no "cannot read the message again" */
		buf_free(&out);
	}
}
END_TEST

Suite *forensics_suite(void)
{
	Suite *s = suite_create("forensics");
	TCase *tc = tcase_create("catalogue");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_failing_ams_in_passing_chain);
	tcase_add_test(tc, test_failing_seal);
	tcase_add_test(tc, test_coinciding_most_specific_first);
	tcase_add_test(tc, test_swap_direction);
	tcase_add_test(tc, test_line_ends_converted_twice);
	tcase_add_test(tc, test_copy_changed);
	tcase_add_test(tc, test_unexplained_counts_tries);
	tcase_add_test(tc, test_probes);
	tcase_add_test(tc, test_probe_only_verifying);
	tcase_add_test(tc, test_shared_hashers_judge_each_signature);
	tcase_add_test(tc, test_probe_ids_known);
	tcase_add_test(tc, test_pipes);
	suite_add_tcase(s, tc);
	return s;
}
