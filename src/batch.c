/* batch: inputs -> engine -> reports and evidence -> exit status (see include/batch.h). */
#include "batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "compare.h"
#include "dump.h"
#include "lookup.h"

struct batch_state {
	const struct batch_opts *o;
	struct report_opts report;   /* o->report, with multiple set from the input count */
	FILE *out, *err;
	int worst;                   /* run_severity: 0 ok, 1 temperror, 2 fail */
	int input_failed;
	int numbered;                /* several inputs: dump file names carry the sequence number */
};

static struct lookup *open_key_source(const struct batch_opts *o, FILE *err)
{
	char why[300];
	struct lookup *lk = o->nkeys ? lookup_new_zone(o->keys, o->nkeys, NULL, why, sizeof why)
				     : lookup_new_dns(&o->dns, why, sizeof why);
	if (!lk)
		fprintf(err, "arcverify: %s\n", why);
	return lk;
}

/* --dump-canon: start capturing the canonical body while it streams. */
static int dump_open(void *ctx, struct engine_result *res)
{
	struct batch_state *st = ctx;
	struct dump *d = malloc(sizeof *d);
	char stem[256], why[300];
	if (!d) {
		run_error(&res->run, "--dump-canon: out of memory");
		return 0;
	}
	dump_stem(res->item->name, res->seq, st->numbered, stem, sizeof stem);
	if (dump_begin(d, st->o->dump_dir, stem, &res->run, why, sizeof why) < 0) {
		run_error(&res->run, "--dump-canon: %s", why);
		free(d);
		return 0;
	}
	res->hook_data = d;
	return 0;
}

static void dump_close(struct engine_result *res)
{
	struct dump *d = res->hook_data;
	char why[300];
	if (!d)
		return;
	if (dump_end(d, &res->run, why, sizeof why) < 0)
		run_error(&res->run, "--dump-canon: %s", why);
	free(d);
	res->hook_data = NULL;
}

/* In the worker: finish the dump and render the report. */
static void render(void *ctx, struct engine_result *res)
{
	struct batch_state *st = ctx;
	dump_close(res);
	struct report_input in = { &res->run, &res->forensics, &res->claims, &res->lint };
	if (res->run.input_error && !res->in && st->report.format != REPORT_JSON)
		return;   /* an input that could not be opened is reported on stderr only, except in JSON */
	report_message(&res->out, &in, &st->report);
}

static void write_bundle(struct batch_state *st, struct engine_result *res)
{
	char why[300];
	struct report_input in = { &res->run, &res->forensics, &res->claims, &res->lint };
	struct bundle_opts bo = { st->o->bundle_dir, st->o->redact, &st->o->run, &st->report };
	if (bundle_write(&bo, &in, res->in, res->start, why, sizeof why) < 0) {
		fprintf(st->err, "arcverify: --bundle: %s\n", why);
		st->input_failed = 1;
	}
}

/* In input order: the report, the bundle, the tally. */
static int deliver(void *ctx, struct engine_result *res)
{
	struct batch_state *st = ctx;
	const struct run_result *r = &res->run;
	if (r->input_error) {
		st->input_failed = 1;
		fprintf(st->err, "arcverify: %s: %s\n", res->item->name, r->nerrors ? r->errors[0] : "unreadable");
	}
	if (st->o->bundle_dir && !r->input_error)
		write_bundle(st, res);
	if (res->out.len)
		fwrite(res->out.data, 1, res->out.len, st->out);
	fflush(st->out);
	int sev = run_severity(r);
	st->worst = sev > st->worst ? sev : st->worst;
	return 0;
}

/* --compare SENT RECEIVED: 0 identical, 1 different, 66 when a copy cannot be read. */
static int compare_copies(const struct batch_opts *o, struct lookup *lk, FILE *out, FILE *err)
{
	struct compare_opts co = { &o->run, o->report.format == REPORT_JSON, o->report.verbose };
	struct buf text;
	char why[400];
	buf_init(&text, (size_t)1 << 30);
	int rc = compare_run(o->compare_sent, o->names[0], &co, lk, &text, why, sizeof why);
	if (text.len)
		fwrite(text.data, 1, text.len, out);
	buf_free(&text);
	if (rc < 0) {
		fprintf(err, "arcverify: %s\n", why);
		return EXIT_NOINPUT;
	}
	return rc;
}

static int collect_inputs(const struct batch_opts *o, struct input_list *l, FILE *err)
{
	char why[300];
	for (size_t i = 0; i < o->nnames; i++)
		if (input_add(l, o->names[i], o->mbox, &o->input) < 0)
			goto oom;
	if (o->files_from && input_add_files_from(l, o->files_from, o->files_from_nul, o->mbox, &o->input, why,
						 sizeof why) < 0) {
		fprintf(err, "arcverify: %s\n", why);
		return -1;
	}
	if (o->nnames == 0 && !o->files_from && input_add(l, "-", o->mbox, &o->input) < 0)
		goto oom;
	return 0;
oom:
	fprintf(err, "arcverify: out of memory while listing the inputs\n");
	return -1;
}

static int verify_all(const struct batch_opts *o, struct lookup *lk, FILE *out, FILE *err)
{
	struct input_list l;
	input_list_init(&l);
	if (collect_inputs(o, &l, err) < 0) {
		input_list_free(&l);
		return EXIT_NOINPUT;
	}
	struct batch_state st = { .o = o, .report = o->report, .out = out, .err = err };
	st.report.multiple = st.numbered = l.n > 1;
	struct engine_opts eo = { .run = o->run, .input = o->input, .on_done = render, .ctx = &st };
	eo.forensics = o->report.explain || o->report.verbose || o->bundle_dir;
	if (o->dump_dir)
		eo.on_open = dump_open;
	engine_run(&l, &eo, lk, o->jobs, deliver, &st);
	input_list_free(&l);
	if (st.input_failed)
		return EXIT_NOINPUT;
	if (st.worst == 2)
		return EXIT_VERIFY_FAIL;
	if (st.worst == 1)
		return EXIT_TEMPFAIL;
	return 0;
}

int batch_run(const struct batch_opts *o, FILE *out, FILE *err)
{
	struct lookup *lk = open_key_source(o, err);
	if (!lk)
		return o->nkeys ? EXIT_NOINPUT : EXIT_TEMPFAIL;
	int status = o->compare_sent ? compare_copies(o, lk, out, err) : verify_all(o, lk, out, err);
	lookup_free(lk);
	return status;
}
