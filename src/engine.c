/*
 * engine: one message through open -> parse -> body -> evaluate -> evidence,
 * and a whole input list through that with results delivered in input order
 * (see include/engine.h).
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* An input that could not be opened is still a result, with the same shape as any other. */
static void unreadable(struct engine_result *res, const char *why, const struct engine_opts *o)
{
	struct run_result *r = &res->run;
	memset(r, 0, sizeof *r);
	r->file = res->item->name;
	r->input_error = 1;
	r->evaluated_at = o->run.policy.now;
	hash_registry_init(&r->reg);
	arc_init(&r->arc);
	run_error(r, "%s", why);
}

/* What the forensics pass examines: failing signatures, and the interop probes of verifying ones. */
static struct forensics_opts forensics_wanted(const struct engine_opts *o)
{
	struct forensics_opts fo = { .failing = o->forensics || (o->diagnose & DIAGNOSE_CAUSES) };
	if (o->diagnose)
		fo.probe = interop_probe_ids(&fo.nprobe);
	return fo;
}

static void gather_evidence(struct engine_result *res, const struct engine_opts *o)
{
	struct run_result *r = &res->run;
	char why[300];
	struct forensics_opts fo = forensics_wanted(o);
	/* every failing signature is examined, whatever the overall verdict (a failing AMS inside a
	 * passing chain is where a hop's sealer bug hides) */
	if ((fo.failing || fo.nprobe) && !r->input_error && r->msg_open &&
	    forensics_examine(&res->forensics, r, res->in, res->start, &o->run.msg, &fo, why, sizeof why) < 0)
		run_error(r, "forensics: %s", why);
	if (claims_build(&res->claims, r, &o->run) < 0 || lint_build(&res->lint, r) < 0)
		run_error(r, "out of memory while gathering evidence");
	if (o->diagnose && diagnosis_build(&res->diagnosis, r, &res->forensics, &res->claims, o->diagnose) < 0)
		run_error(r, "out of memory while diagnosing");
}

void engine_message(const struct input_list *l, const struct input_item *it, size_t seq,
		    const struct engine_opts *o, struct lookup *lk, struct engine_result *res)
{
	memset(res, 0, sizeof *res);
	res->item = it;
	res->seq = seq;
	buf_init(&res->out, (size_t)1 << 30);
	buf_init(&res->body, o->keep_body ? o->body_max : 0);
	char why[300];
	res->in = input_open(l, it, &o->input, why, sizeof why);
	if (!res->in) {
		unreadable(res, why, o);
	} else {
		res->start = ftell(res->in);
		if (run_open(&res->run, it->name, res->in, &o->run, lk) == 0 &&
		    (!o->on_open || o->on_open(o->ctx, res) == 0) &&
		    run_body_copy(&res->run, o->keep_body ? &res->body : NULL, &res->body_full) == 0)
			run_evaluate(&res->run, &o->run, lk);
		gather_evidence(res, o);
	}
	if (o->on_done)
		o->on_done(o->ctx, res);
}

void engine_result_free(struct engine_result *res)
{
	forensics_free(&res->forensics);
	claims_free(&res->claims);
	lint_free(&res->lint);
	diagnosis_free(&res->diagnosis);
	run_free(&res->run);
	if (res->in)
		fclose(res->in);
	res->in = NULL;
	buf_free(&res->body);
	buf_free(&res->out);
}

int engine_run(const struct input_list *l, const struct engine_opts *o, struct lookup *lk, unsigned jobs,
	       engine_deliver_fn deliver, void *ctx)
{
	(void)jobs;
	struct engine_result *res = malloc(sizeof *res);
	if (!res)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		engine_message(l, &l->items[i], i + 1, o, lk, res);
		rc = deliver(ctx, res);
		engine_result_free(res);
	}
	free(res);
	return rc;
}
