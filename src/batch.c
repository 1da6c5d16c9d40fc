/*
 * batch: inputs -> engine -> reports, evidence and totals -> exit status (see
 * include/batch.h). The status of a run is the first that applies of:
 *   74 the report could not be written (EX_IOERR), 73 an output file or
 *   directory could not be made (EX_CANTCREAT), 66 an input could not be read
 *   (EX_NOINPUT), 65 an input holds no message (EX_DATAERR), 1 a DKIM-Signature
 *   or an ARC chain did not pass, 75 only temporary errors (EX_TEMPFAIL), 0.
 * Output problems come first because a truncated report cannot be trusted;
 * inputs that were not verified come before verdicts because a verdict over
 * part of a batch must not read as one over all of it.
 */
#include "batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "compare.h"
#include "dump.h"
#include "lookup.h"
#include "summary.h"
#include "zone.h"

#define PROGRESS_EVERY_MS 250

/* What delivery needs of a message, taken in the worker: the result itself may be compacted by then. */
struct batch_facts {
	int input_error, not_message, severity;
	int failing;                 /* its one-line word is fail or error */
	char error[300];             /* the first error, said on stderr for an input not evaluated */
};

struct batch_state {
	const struct batch_opts *o;
	struct report_opts report;   /* o->report, adjusted for the number of messages */
	FILE *out, *err;
	size_t total;                /* messages in the run */
	int numbered;                /* several inputs: dump file names carry the sequence number */
	/* outcomes */
	int worst;                   /* run_severity: 0 ok, 1 temperror, 2 fail */
	int unreadable, not_message, cantcreat, ioerr;
	size_t failing;              /* messages whose overall word is fail or error */
	struct summary sum;
	int summarizing;             /* totals are gathered (--summary or --summary-json) */
	pthread_mutex_t sum_mu;      /* the workers add to the totals (their order does not matter) */
	struct lookup *lk;           /* not ours: the key source, for its DNS figures */
	/* progress line */
	int progress;
	int64_t started_ms, shown_ms;
	int progress_shown;
	size_t done;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the key source ---- */

static struct lookup *open_key_source(const struct batch_opts *o, FILE *err, int *status)
{
	char why[300];
	enum zone_status zs = ZONE_OK;
	struct lookup *lk = o->nkeys ? lookup_new_zone(o->keys, o->nkeys, &zs, why, sizeof why)
				     : lookup_new_dns(&o->dns, why, sizeof why);
	if (!lk) {
		fprintf(err, "arcverify: %s\n", why);
		/* a zone file that does not parse is a configuration error (EX_CONFIG), one not read EX_NOINPUT */
		*status = !o->nkeys ? EXIT_TEMPFAIL : zs == ZONE_SYNTAX ? EXIT_CONFIG : EXIT_NOINPUT;
	}
	return lk;
}

/* ---- --dump-canon hooks (in the workers) ---- */

static int dump_open(void *ctx, struct engine_result *res)
{
	struct batch_state *st = ctx;
	struct dump *d = malloc(sizeof *d);
	char stem[256], why[300];
	if (!d) {
		snprintf(res->hook_error, sizeof res->hook_error, "--dump-canon: out of memory");
		res->hook_status = EXIT_CANTCREAT;
		return 0;
	}
	dump_stem(res->item->name, res->seq, st->numbered, stem, sizeof stem);
	if (dump_begin(d, st->o->dump_dir, stem, &res->run, st->o->force, why, sizeof why) < 0) {
		snprintf(res->hook_error, sizeof res->hook_error, "--dump-canon: %s", why);
		res->hook_status = EXIT_CANTCREAT;
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
	if (dump_end(d, &res->run, why, sizeof why) < 0) {
		snprintf(res->hook_error, sizeof res->hook_error, "--dump-canon: %s", why);
		res->hook_status = EXIT_CANTCREAT;
	}
	free(d);
	res->hook_data = NULL;
}

static void take_facts(struct batch_state *st, struct engine_result *res)
{
	const struct run_result *r = &res->run;
	struct batch_facts *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(res->hook_error, sizeof res->hook_error, "out of memory");
		res->hook_status = EXIT_IOERR;
		return;
	}
	f->input_error = r->input_error;
	f->not_message = r->not_message;
	f->severity = run_severity(r);
	const char *w = report_overall_word(r);
	f->failing = strcmp(w, "fail") == 0 || strcmp(w, "error") == 0;
	snprintf(f->error, sizeof f->error, "%s", r->nerrors ? r->errors[0] : "unreadable");
	res->hook_data = f;
	pthread_mutex_lock(&st->sum_mu);
	if (st->summarizing && summary_add_run(&st->sum, r, r->not_message) < 0)
		st->summarizing = 0;
	pthread_mutex_unlock(&st->sum_mu);
}

/* In the worker: finish the dump, render the report, take what delivery needs and the totals. */
static void render(void *ctx, struct engine_result *res)
{
	struct batch_state *st = ctx;
	dump_close(res);
	struct report_input in = { &res->run, &res->forensics, &res->claims, &res->lint, &res->diagnosis };
	int unopened = res->run.input_error && !res->in;
	/* an input that could not be opened is reported on stderr, and in JSON and one-line output */
	if (!unopened || st->report.format == REPORT_JSON || st->report.compact)
		report_message(&res->out, &in, &st->report);
	take_facts(st, res);
}

/* ---- delivery, in input order, one message at a time (engine_run: by the worker that finished it) ---- */

static void progress_clear(struct batch_state *st)
{
	if (st->progress_shown)
		fprintf(st->err, "\r%*s\r", 79, "");
	st->progress_shown = 0;
}

static void progress_show(struct batch_state *st)
{
	int64_t now = now_ms();
	if (!st->progress || now - st->started_ms < st->o->progress_delay_ms ||
	    (st->progress_shown && now - st->shown_ms < PROGRESS_EVERY_MS))
		return;
	st->shown_ms = now;
	double secs = (double)(now - st->started_ms) / 1000.0;
	double rate = secs > 0 ? (double)st->done / secs : 0;
	long eta = rate > 0 ? (long)((double)(st->total - st->done) / rate) : 0;
	fprintf(st->err, "\rarcverify: %zu/%zu messages, %.0f/s, ETA %ld:%02ld, %zu failing   ", st->done, st->total,
		rate, eta / 60, eta % 60, st->failing);
	fflush(st->err);
	st->progress_shown = 1;
}

/* A problem on stderr; names and reasons come from the inputs, so they are escaped like report text. */
static void tell(struct batch_state *st, const char *name, const char *why)
{
	struct buf line;
	buf_init(&line, 16384);
	buf_append_str(&line, "arcverify: ");
	buf_append_printable(&line, name, strlen(name));
	buf_append_str(&line, ": ");
	buf_append_printable(&line, why, strlen(why));
	buf_append_byte(&line, '\n');
	progress_clear(st);
	if (line.data)
		fputs(line.data, st->err);
	buf_free(&line);
}

static void write_bundle(struct batch_state *st, struct engine_result *res)
{
	char why[300];
	struct report_input in = { &res->run, &res->forensics, &res->claims, &res->lint, &res->diagnosis };
	struct bundle_opts bo = { st->o->bundle_dir, st->o->redact, &st->o->run, &st->report, st->o->force };
	if (bundle_write(&bo, &in, res->in, res->start, why, sizeof why) < 0) {
		tell(st, "--bundle", why);
		st->cantcreat = 1;
	}
}

static int write_out(struct batch_state *st, const struct buf *b)
{
	if (b->len && fwrite(b->data, 1, b->len, st->out) != b->len) {
		tell(st, "cannot write the report", strerror(errno));
		st->ioerr = 1;
		return -1;
	}
	return 0;
}

static void tally(struct batch_state *st, const struct engine_result *res, const struct batch_facts *f)
{
	if (res->hook_status == EXIT_CANTCREAT)
		st->cantcreat = 1;
	if (res->hook_status == EXIT_IOERR)
		st->ioerr = 1;   /* out of memory taking the facts: the report cannot be trusted */
	if (!f)
		return;
	st->unreadable |= f->input_error;
	st->not_message |= f->not_message;
	st->worst = f->severity > st->worst ? f->severity : st->worst;
	st->failing += f->failing;
}

static int deliver(void *ctx, struct engine_result *res)
{
	struct batch_state *st = ctx;
	const struct batch_facts *f = res->hook_data;
	if (f && (f->input_error || f->not_message))
		tell(st, res->item->name, f->error);
	if (res->hook_error[0])
		tell(st, res->item->name, res->hook_error);
	if (st->o->bundle_dir && run_evaluated(&res->run))   /* one message: never compacted */
		write_bundle(st, res);
	tally(st, res, f);
	st->done++;
	if (st->progress_shown && res->out.len)
		progress_clear(st);
	if (write_out(st, &res->out) < 0)
		return 1;   /* stop: the rest of the report could not be written either */
	progress_show(st);
	return 0;
}

/* ---- totals ---- */

/* The DNS figures of a live run (-v with several messages, --summary-json): what the resolver cost. */
static void dns_figures_json(void *ctx, struct json *j)
{
	struct batch_state *st = ctx;
	if (!st->lk || !lookup_async(st->lk))
		return;   /* keys from files: there is nothing to say */
	struct lookup_stats ls;
	lookup_stats(st->lk, &ls);
	const struct { const char *key; unsigned long v; } f[] = {
		{ "queries", ls.queries }, { "sent", ls.sent }, { "tcp", ls.tcp },
		{ "edns_fallbacks", ls.edns_fallbacks }, { "answered", ls.answered },
		{ "timed_out", ls.timed_out }, { "refused", ls.refused }, { "servfail", ls.servfail },
		{ "errors", ls.errors }, { "cache_hits", ls.cache_hits }, { "joined", ls.joined },
		{ "expired", ls.expired }, { "max_in_flight", ls.max_in_flight }, { "concurrency", ls.concurrency },
	};
	json_key(j, "dns");
	json_obj_begin(j);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		json_key(j, f[i].key);
		json_uint(j, f[i].v);
	}
	json_key(j, "slowest");
	json_arr_begin(j);
	for (size_t i = 0; i < ls.nslowest; i++) {
		json_obj_begin(j);
		json_kv_str(j, "name", ls.slowest[i].name);
		json_key(j, "ms");
		json_uint(j, ls.slowest[i].ms);
		json_kv_str(j, "lookup", report_json_lookup_word(ls.slowest[i].status));
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void dns_figures_text(struct batch_state *st, struct buf *t)
{
	struct lookup_stats ls;
	lookup_stats(st->lk, &ls);
	buf_printf(t, "DNS: %lu names asked (%lu messages sent, %lu over TCP, %lu again without EDNS): %lu answered, "
		   "%lu timed out, %lu refused, %lu SERVFAIL, %lu errors; %lu cache hits, %lu joined a query in flight; "
		   "at most %u at once (limit %u)\n", ls.queries, ls.sent, ls.tcp, ls.edns_fallbacks, ls.answered,
		   ls.timed_out, ls.refused, ls.servfail, ls.errors, ls.cache_hits, ls.joined, ls.max_in_flight,
		   ls.concurrency);
	for (size_t i = 0; i < ls.nslowest; i++) {
		buf_printf(t, "  slowest %2zu: %6u ms  %s  ", i + 1, ls.slowest[i].ms,
			   report_json_lookup_word(ls.slowest[i].status));
		buf_append_printable(t, ls.slowest[i].name, strlen(ls.slowest[i].name));
		buf_append_byte(t, '\n');
	}
}

/* Text that closes a run: on standard output beside text reports, on standard error beside JSON. */
static void write_closing(struct batch_state *st, struct buf *t)
{
	if (st->report.format == REPORT_TEXT) {
		write_out(st, t);
		return;
	}
	progress_clear(st);
	fwrite(t->data, 1, t->len, st->err);   /* keeps standard output parseable */
}

static int summary_to_file(struct batch_state *st, const char *path)
{
	struct buf j;
	buf_init(&j, (size_t)64 << 20);
	summary_json(&st->sum, dns_figures_json, st, &j);
	int rc = 0;
	if (strcmp(path, "-") == 0) {
		rc = write_out(st, &j);
	} else {
		char why[400];
		if (buf_write_file(path, j.data, j.len, why, sizeof why) < 0) {
			tell(st, "--summary-json", why);
			st->cantcreat = 1;
			rc = -1;
		}
	}
	buf_free(&j);
	return rc;
}

static void print_summary(struct batch_state *st, int wanted)
{
	if (wanted) {
		struct buf t;
		buf_init(&t, (size_t)64 << 20);
		summary_text(&st->sum, &t);
		write_closing(st, &t);
		buf_free(&t);
	}
	if (st->o->summary_json)
		summary_to_file(st, st->o->summary_json);
}

/* ---- the exit status ---- */

static int exit_status(const struct batch_state *st)
{
	if (st->ioerr)
		return EXIT_IOERR;
	if (st->cantcreat)
		return EXIT_CANTCREAT;
	if (st->unreadable)
		return EXIT_NOINPUT;
	if (st->not_message)
		return EXIT_DATAERR;
	if (st->worst == 2)
		return EXIT_VERIFY_FAIL;
	if (st->worst == 1)
		return EXIT_TEMPFAIL;
	return 0;
}

static int finish_output(struct batch_state *st)
{
	if (fflush(st->out) != 0 || ferror(st->out)) {
		if (!st->ioerr)
			tell(st, "cannot write the report", strerror(errno ? errno : EIO));
		st->ioerr = 1;
	}
	return exit_status(st);
}

/* ---- inputs ---- */

static int collect_inputs(const struct batch_opts *o, struct input_list *l, FILE *err)
{
	char why[300];
	for (size_t i = 0; i < o->nnames; i++)
		if (input_add(l, o->names[i].name, o->names[i].mode, &o->input) < 0)
			goto oom;
	if (o->files_from && input_add_files_from(l, o->files_from, o->files_from_nul, INPUT_MBOX_AUTO, &o->input,
						 why, sizeof why) < 0) {
		fprintf(err, "arcverify: %s\n", why);
		return -1;
	}
	if (o->nnames == 0 && !o->files_from) {
		if (o->in_tty)
			fprintf(err, "arcverify: reading a message from standard input (end it with Ctrl-D; "
				     "arcverify --help for usage)\n");
		if (input_add(l, "-", INPUT_MBOX_AUTO, &o->input) < 0)
			goto oom;
	}
	return 0;
oom:
	fprintf(err, "arcverify: out of memory while listing the inputs\n");
	return -1;
}

static void state_init(struct batch_state *st, const struct batch_opts *o, size_t total, FILE *out, FILE *err)
{
	memset(st, 0, sizeof *st);
	st->o = o;
	st->report = o->report;
	st->out = out;
	st->err = err;
	st->total = total;
	st->report.multiple = st->numbered = total > 1;
	st->report.compact = total > 1 && o->report.format == REPORT_TEXT && !o->report.verbose && !o->report.explain;
	st->progress = total > 1 && (o->progress == BATCH_YES || (o->progress == BATCH_AUTO && o->err_tty));
	st->started_ms = now_ms();
	pthread_mutex_init(&st->sum_mu, NULL);
}

static int summary_wanted(const struct batch_opts *o, size_t total)
{
	return o->summary == BATCH_YES || (o->summary == BATCH_AUTO && o->out_tty && total > 1);
}

static int verify_all(const struct batch_opts *o, struct lookup *lk, FILE *out, FILE *err)
{
	struct input_list l;
	input_list_init(&l);
	if (collect_inputs(o, &l, err) < 0) {
		input_list_free(&l);
		return EXIT_NOINPUT;
	}
	if (o->bundle_dir && l.n != 1) {
		fprintf(err, "arcverify: --bundle takes one message (%zu found)\n", l.n);
		input_list_free(&l);
		return EXIT_USAGE;
	}
	struct batch_state st;
	state_init(&st, o, l.n, out, err);
	int want_summary = summary_wanted(o, l.n);
	st.summarizing = (want_summary || o->summary_json) && summary_init(&st.sum) == 0;
	struct engine_opts eo = { .run = o->run, .input = o->input, .on_done = render, .ctx = &st };
	eo.compact = !o->bundle_dir;   /* a bundle reads the whole result; it is one message anyway */
	eo.forensics = o->report.explain || o->report.verbose || o->bundle_dir;
	eo.diagnose = (eo.forensics ? DIAGNOSE_CAUSES | DIAGNOSE_INTEROP : 0) | (o->report.interop ? DIAGNOSE_INTEROP : 0);
	if (o->dump_dir)
		eo.on_open = dump_open;
	st.lk = lk;
	engine_run(&l, &eo, lk, o->jobs, deliver, &st);
	progress_clear(&st);
	if (o->report.verbose && l.n > 1 && lookup_async(lk)) {
		struct buf t;
		buf_init(&t, 1 << 20);
		dns_figures_text(&st, &t);
		write_closing(&st, &t);
		buf_free(&t);
	}
	if (st.summarizing)
		print_summary(&st, want_summary);
	summary_free(&st.sum);
	pthread_mutex_destroy(&st.sum_mu);
	input_list_free(&l);
	return finish_output(&st);
}

/* ---- --summarize: totals over JSON Lines records of earlier runs ---- */

static int summarize_stream(struct batch_state *st, FILE *f, const char *name)
{
	struct buf line;
	buf_init(&line, JSONIN_TEXT_MAX);
	int c, rc = 0;
	size_t lineno = 0;
	do {
		c = getc(f);
		if (c != '\n' && c != EOF) {
			if (buf_append_byte(&line, (char)c) < 0 && rc == 0)
				rc = -1;
			continue;
		}
		lineno++;
		if (line.len == 0)
			continue;
		struct jsonin rec;
		char why[300], where[600];
		if (jsonin_parse(line.data, line.len, &rec, why, sizeof why) < 0 ||
		    summary_add_record(&st->sum, &rec, why, sizeof why) < 0) {
			snprintf(where, sizeof where, "%s:%zu", name, lineno);
			tell(st, where, why);
			st->not_message = 1;
		}
		jsonin_free(&rec);
		buf_reset(&line);
	} while (c != EOF);
	if (ferror(f) || rc < 0) {
		tell(st, name, ferror(f) ? "read error" : "a record is larger than the limit");
		st->unreadable = 1;
	}
	buf_free(&line);
	return 0;
}

static int summarize(const struct batch_opts *o, FILE *out, FILE *err)
{
	struct batch_state st;
	state_init(&st, o, 0, out, err);
	if (summary_init(&st.sum) < 0)
		return EXIT_IOERR;
	for (size_t i = 0; i < o->nnames || (i == 0 && o->nnames == 0); i++) {
		const char *name = o->nnames ? o->names[i].name : "-";
		FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
		if (!f) {
			tell(&st, name, strerror(errno));
			st.unreadable = 1;
			continue;
		}
		summarize_stream(&st, f, name);
		if (f != stdin)
			fclose(f);
	}
	/* the records' verdicts give the status a single run over the same messages would have had */
	st.worst = st.sum.worst;
	st.unreadable |= st.sum.unreadable > 0;
	st.not_message |= st.sum.not_message > 0;
	st.report.format = REPORT_TEXT;
	print_summary(&st, o->summary != BATCH_NO);
	summary_free(&st.sum);
	pthread_mutex_destroy(&st.sum_mu);
	return finish_output(&st);
}

/* ---- --compare ---- */

/* --compare SENT RECEIVED: 0 the same signed content, 1 signed content changed, 66 a copy cannot be read,
 * 65 a copy is not a message, 64 both on standard input. */
static int compare_copies(const struct batch_opts *o, struct lookup *lk, FILE *out, FILE *err)
{
	struct compare_opts co = { &o->run, &o->input, o->report.format == REPORT_JSON, o->report.verbose };
	struct buf text;
	char why[400];
	buf_init(&text, (size_t)1 << 30);
	int rc = compare_run(o->compare_sent, o->names[0].name, &co, lk, &text, why, sizeof why);
	int written = !text.len || fwrite(text.data, 1, text.len, out) == text.len;
	buf_free(&text);
	if (rc < 0)
		fprintf(err, "arcverify: %s\n", why);
	if (!written) {
		fprintf(err, "arcverify: cannot write the report: %s\n", strerror(errno));
		return EXIT_IOERR;
	}
	switch (rc) {
	case COMPARE_UNREADABLE: return EXIT_NOINPUT;
	case COMPARE_NOT_MESSAGE: return EXIT_DATAERR;
	case COMPARE_USAGE: return EXIT_USAGE;
	default: return rc;
	}
}

int batch_run(const struct batch_opts *o, FILE *out, FILE *err)
{
	if (o->summarize)
		return summarize(o, out, err);
	int status = 0;
	struct lookup *lk = open_key_source(o, err, &status);
	if (!lk)
		return status;
	status = o->compare_sent ? compare_copies(o, lk, out, err) : verify_all(o, lk, out, err);
	lookup_free(lk);
	return status;
}
