/* batch: inputs -> runs -> reports -> exit status. */
#include "batch.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "claims.h"
#include "compare.h"
#include "dump.h"
#include "forensics.h"
#include "lint.h"
#include "lookup.h"
#include "report.h"
#include "run.h"

struct batch_tally {
	int worst;          /* run_severity: 0 ok, 1 temperror, 2 fail */
	int input_failed;
};

static struct lookup *open_key_source(const struct cli_opts *o, FILE *err)
{
	char why[300];
	struct lookup *lk = o->nkeys ? lookup_new_zone(o->keys, o->nkeys, why, sizeof why)
				     : lookup_new_dns(&o->dns, why, sizeof why);
	if (!lk)
		fprintf(err, "arcverify: %s\n", why);
	return lk;
}

static void write_report(const struct report_input *in, const struct cli_opts *o, FILE *out)
{
	struct buf text;
	buf_init(&text, (size_t)1 << 30);
	report_message(&text, in, &o->report);
	if (text.len)
		fwrite(text.data, 1, text.len, out);
	fflush(out);
	buf_free(&text);
}

/* Report an input that could not even be opened, in the chosen format. */
static void report_unreadable(const char *name, const char *why, const struct cli_opts *o, FILE *out, FILE *err)
{
	struct run_result r;
	memset(&r, 0, sizeof r);
	r.file = name;
	r.input_error = 1;
	r.evaluated_at = o->run.policy.now;
	arc_init(&r.arc);
	run_error(&r, "%s", why);
	fprintf(err, "arcverify: %s: %s\n", name, why);
	struct report_input in = { &r, NULL, NULL, NULL };
	if (o->report.format == REPORT_JSON)
		write_report(&in, o, out);
}

/* Forensics reads the body a second time; it runs for --explain, -v and bundles when something failed. */
static int wants_forensics(const struct cli_opts *o, const struct run_result *r)
{
	return (o->report.explain || o->report.verbose || o->bundle_dir) && !r->input_error && run_severity(r) > 0;
}

/* Parse, stream the body (captured for --dump-canon), evaluate. */
static void run_message(struct run_result *r, const char *name, FILE *in, const struct cli_opts *o,
			struct lookup *lk, size_t seq)
{
	struct dump d;
	char why[300];
	int dumping = 0;
	if (run_open(r, name, in, &o->run, lk) < 0)
		return;
	if (o->dump_dir) {
		char stem[256];
		dump_stem(name, seq, o->nfiles > 1, stem, sizeof stem);
		dumping = dump_begin(&d, o->dump_dir, stem, r, why, sizeof why) == 0;
		if (!dumping)
			run_error(r, "--dump-canon: %s", why);
	}
	if (run_body(r) == 0)
		run_evaluate(r, &o->run, lk);
	if (dumping && dump_end(&d, r, why, sizeof why) < 0)
		run_error(r, "--dump-canon: %s", why);
}

static void verify_stream(const char *name, FILE *in, const struct cli_opts *o, struct lookup *lk,
			  FILE *out, FILE *err, struct batch_tally *t, size_t seq)
{
	struct run_result r;
	long start = ftell(in);
	run_message(&r, name, in, o, lk, seq);
	if (r.input_error) {
		t->input_failed = 1;
		fprintf(err, "arcverify: %s: %s\n", name, r.nerrors ? r.errors[0] : "unreadable");
	}
	struct forensics fx = { 0 };
	struct claims claims = { 0 };
	struct lint lint = { 0 };
	char why[200];
	if (wants_forensics(o, &r) && forensics_run(&fx, &r, in, start, &o->run.msg, why, sizeof why) < 0)
		run_error(&r, "forensics: %s", why);
	if (claims_build(&claims, &r) < 0 || lint_build(&lint, &r) < 0)
		run_error(&r, "out of memory while gathering evidence");
	struct report_input rin = { &r, &fx, &claims, &lint };
	if (o->bundle_dir && !r.input_error) {
		struct bundle_opts bo = { o->bundle_dir, o->redact, &o->run, &o->report };
		if (bundle_write(&bo, &rin, in, start, why, sizeof why) < 0) {
			fprintf(err, "arcverify: --bundle: %s\n", why);
			t->input_failed = 1;
		}
	}
	write_report(&rin, o, out);
	forensics_free(&fx);
	claims_free(&claims);
	lint_free(&lint);
	int sev = run_severity(&r);
	t->worst = sev > t->worst ? sev : t->worst;
	run_free(&r);
}

static void verify_path(const char *path, const struct cli_opts *o, struct lookup *lk, FILE *out, FILE *err,
			struct batch_tally *t, size_t seq)
{
	if (strcmp(path, "-") == 0) {
		FILE *spooled = msg_spool(stdin);
		if (!spooled) {
			report_unreadable("-", "cannot copy standard input to a temporary file", o, out, err);
			t->input_failed = 1;
			return;
		}
		verify_stream("-", spooled, o, lk, out, err, t, seq);
		fclose(spooled);
		return;
	}
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		report_unreadable(path, "is a directory (give message files)", o, out, err);
		t->input_failed = 1;
		return;
	}
	FILE *in = fopen(path, "rb");
	if (!in) {
		report_unreadable(path, strerror(errno), o, out, err);
		t->input_failed = 1;
		return;
	}
	verify_stream(path, in, o, lk, out, err, t, seq);
	fclose(in);
}

/* --compare SENT RECEIVED: 0 identical, 1 different, 66 when a copy cannot be read. */
static int compare_copies(const struct cli_opts *o, struct lookup *lk, FILE *out, FILE *err)
{
	struct compare_opts co = { &o->run, o->report.format == REPORT_JSON, o->report.verbose };
	struct buf text;
	char why[400];
	buf_init(&text, (size_t)1 << 30);
	int rc = compare_run(o->compare_sent, o->files[0], &co, lk, &text, why, sizeof why);
	if (text.len)
		fwrite(text.data, 1, text.len, out);
	buf_free(&text);
	if (rc < 0) {
		fprintf(err, "arcverify: %s\n", why);
		return EXIT_NOINPUT;
	}
	return rc;
}

int batch_run(const struct cli_opts *o, FILE *out, FILE *err)
{
	struct lookup *lk = open_key_source(o, err);
	if (!lk)
		return o->nkeys ? EXIT_NOINPUT : EXIT_TEMPFAIL;
	if (o->compare_sent) {
		int status = compare_copies(o, lk, out, err);
		lookup_free(lk);
		return status;
	}
	struct batch_tally t = { 0, 0 };
	if (o->nfiles == 0)
		verify_path("-", o, lk, out, err, &t, 1);
	for (size_t i = 0; i < o->nfiles; i++)
		verify_path(o->files[i], o, lk, out, err, &t, i + 1);
	lookup_free(lk);
	if (t.input_failed)
		return EXIT_NOINPUT;
	if (t.worst == 2)
		return EXIT_VERIFY_FAIL;
	if (t.worst == 1)
		return EXIT_TEMPFAIL;
	return 0;
}
