/*
 * engine: one message through open -> parse -> body -> evaluate -> evidence,
 * and a whole input list through that with results delivered in input order
 * (see include/engine.h).
 */
#include "engine.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* An input that could not be opened is still a result, with the same shape as any other. */
static void unreadable(struct engine_result *res, const char *why, const struct engine_opts *o)
{
	struct run_result *r = &res->run;
	memset(r, 0, sizeof *r);
	r->file = res->item->name;
	r->not_message = res->item->not_message;   /* about the content (not an mbox): exit 65 */
	r->input_error = !r->not_message;
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

/* ---- a whole list: workers take items in order, the caller delivers results in order ---- */

enum slot_state { SLOT_FREE = 0, SLOT_BUSY, SLOT_DONE };

struct engine_slot {
	struct engine_result res;
	enum slot_state state;
};

struct engine_pool {
	const struct input_list *l;
	const struct engine_opts *o;
	struct lookup *lk;
	pthread_mutex_t mu;
	pthread_cond_t done;          /* a slot became SLOT_DONE */
	pthread_cond_t space;         /* a slot became free, or the run stops */
	size_t next;                  /* the next item a worker takes */
	size_t delivered;             /* items handed to deliver so far */
	size_t window;                /* slots: item i lives in slots[i % window] */
	struct engine_slot *slots;
	int stop;
};

/* The next item to verify, or -1 when there is none or the run stops. Item i waits for slot i % window. */
static long pool_take(struct engine_pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (!p->stop && p->next < p->l->n && p->next >= p->delivered + p->window)
		pthread_cond_wait(&p->space, &p->mu);
	long i = -1;
	if (!p->stop && p->next < p->l->n) {
		i = (long)p->next++;
		p->slots[(size_t)i % p->window].state = SLOT_BUSY;
	}
	pthread_mutex_unlock(&p->mu);
	return i;
}

static void *pool_worker(void *arg)
{
	struct engine_pool *p = arg;
	long i;
	while ((i = pool_take(p)) >= 0) {
		struct engine_slot *s = &p->slots[(size_t)i % p->window];
		engine_message(p->l, &p->l->items[i], (size_t)i + 1, p->o, p->lk, &s->res);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* Hand item d to deliver once a worker has finished it, then free its slot. */
static int pool_deliver_one(struct engine_pool *p, size_t d, engine_deliver_fn deliver, void *ctx)
{
	struct engine_slot *s = &p->slots[d % p->window];
	pthread_mutex_lock(&p->mu);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	int rc = deliver(ctx, &s->res);
	engine_result_free(&s->res);
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_FREE;
	p->delivered = d + 1;
	p->stop |= rc != 0;
	pthread_cond_broadcast(&p->space);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Read-ahead: open item it only to request its keys (asynchronous key sources answer meanwhile). */
static void request_keys_of(struct engine_pool *p, const struct input_item *it)
{
	char why[300];
	FILE *in = input_open(p->l, it, &p->o->input, why, sizeof why);
	struct msg m;
	if (!in)
		return;
	if (msg_open(&m, in, &p->o->run.msg, why, sizeof why) == 0) {
		run_request_keys(&m, &p->o->run, p->lk);
		msg_close(&m);
	}
	fclose(in);
}

/* The read-ahead thread: keys are asked for up to ENGINE_READ_AHEAD messages past the delivery point. */
static void *pool_reader(void *arg)
{
	struct engine_pool *p = arg;
	for (size_t i = 0; i < p->l->n; i++) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && i >= p->delivered + ENGINE_READ_AHEAD)
			pthread_cond_wait(&p->space, &p->mu);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		request_keys_of(p, &p->l->items[i]);
	}
	return NULL;
}

static int run_sequential(const struct input_list *l, const struct engine_opts *o, struct lookup *lk,
			  engine_deliver_fn deliver, void *ctx)
{
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

static int pool_init(struct engine_pool *p, const struct input_list *l, const struct engine_opts *o,
		     struct lookup *lk, unsigned jobs)
{
	memset(p, 0, sizeof *p);
	p->l = l;
	p->o = o;
	p->lk = lk;
	p->window = (size_t)jobs * 4;
	p->slots = calloc(p->window, sizeof *p->slots);
	if (!p->slots)
		return -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_cond_init(&p->space, NULL);
	return 0;
}

/* After the workers are joined: results finished but never delivered (the run stopped) are freed. */
static void pool_free(struct engine_pool *p)
{
	for (size_t i = 0; i < p->window; i++)
		if (p->slots[i].state == SLOT_DONE)
			engine_result_free(&p->slots[i].res);
	free(p->slots);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->space);
}

int engine_run(const struct input_list *l, const struct engine_opts *o, struct lookup *lk, unsigned jobs,
	       engine_deliver_fn deliver, void *ctx)
{
	if (jobs > ENGINE_JOBS_MAX)
		jobs = ENGINE_JOBS_MAX;
	if (jobs > l->n)
		jobs = (unsigned)l->n;
	int read_ahead = l->n > 1 && lookup_async(lk);
	struct engine_pool p;
	if ((jobs <= 1 && !read_ahead) || pool_init(&p, l, o, lk, jobs ? jobs : 1) < 0)
		return run_sequential(l, o, lk, deliver, ctx);
	jobs = jobs ? jobs : 1;
	pthread_t *threads = calloc(jobs, sizeof *threads);
	pthread_t reader;
	int reading = read_ahead && pthread_create(&reader, NULL, pool_reader, &p) == 0;
	unsigned started = 0;
	while (threads && started < jobs && pthread_create(&threads[started], NULL, pool_worker, &p) == 0)
		started++;
	int rc = 0;
	for (size_t d = 0; started && d < l->n && rc == 0; d++)
		rc = pool_deliver_one(&p, d, deliver, ctx);
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.space);
	pthread_mutex_unlock(&p.mu);
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (reading)
		pthread_join(reader, NULL);
	pool_free(&p);
	free(threads);
	if (!started)
		return run_sequential(l, o, lk, deliver, ctx);
	return rc;
}
