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
		res->start = input_is_plain(it) ? 0 : ftell(res->in);   /* a file of its own starts at 0 */
		if (run_open(&res->run, it->name, res->in, &o->run, lk) == 0 &&
		    (!o->on_open || o->on_open(o->ctx, res) == 0) &&
		    run_body_copy(&res->run, o->keep_body ? &res->body : NULL, &res->body_full) == 0)
			run_evaluate(&res->run, &o->run, lk);
		gather_evidence(res, o);
	}
	if (o->on_done)
		o->on_done(o->ctx, res);
	if (o->compact)
		engine_result_compact(res);
}

void engine_result_compact(struct engine_result *res)
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
}

void engine_result_free(struct engine_result *res)
{
	engine_result_compact(res);   /* every part frees once: compacting twice is harmless */
	buf_free(&res->out);
	free(res->hook_data);
	res->hook_data = NULL;
}

/* ---- a whole list: workers take items, the one that finishes the oldest delivers, in order ---- */

enum slot_state { SLOT_FREE = 0, SLOT_BUSY, SLOT_DONE };

/* What the read-ahead learned about an item: the key names it asked for (NUL-separated). */
struct engine_ahead {
	size_t item;                  /* which item this entry describes, + 1 (0: none yet) */
	struct buf names;
	int ready;                    /* every name was found answered: it stays so */
	unsigned long checked;        /* lookup_generation when found waiting, + 1 (0: never looked at) */
};

struct engine_pool {
	const struct input_list *l;
	const struct engine_opts *o;
	struct lookup *lk;
	pthread_mutex_t mu;
	pthread_cond_t space;         /* a slot became free, or the run stops */
	engine_deliver_fn deliver;
	void *ctx;
	int delivering;               /* a worker is delivering: the others leave it to that one */
	int rc;                       /* what deliver returned to stop the run, or 0 */
	size_t next;                  /* the lowest item not started yet */
	size_t delivered;             /* items handed to deliver so far */
	size_t window;                /* slots: item i's result is slots[i % window] */
	struct engine_result *slots;
	unsigned char *state;         /* enum slot_state of each slot, apart: a take looks at many */
	unsigned long scan_gen;       /* the lookup_generation of the last take's look at the window */
	size_t scan_to;               /* below it (and past next) that look found every item taken or waiting */
	struct engine_ahead *ahead;   /* nahead entries: item i in ahead[i % nahead] */
	size_t nahead;                /* how far the read-ahead goes past delivery: at least the window */
	size_t read;                  /* items the read-ahead has been through */
	pthread_cond_t ahead_cv;      /* the read-ahead went one item further */
	int stop;
};

/*
 * Every key item i needs has its answer (the read-ahead knows which): verifying
 * it will not wait. gen is lookup_generation, read before: an item found
 * waiting is looked at again only once some answer has come since, so a
 * window of messages waiting for slow keys costs no more lookups per take.
 */
static int item_ready(struct engine_pool *p, size_t i, unsigned long gen)
{
	struct engine_ahead *a = p->ahead ? &p->ahead[i % p->nahead] : NULL;
	if (!a)
		return 1;   /* keys from files: everything is ready */
	if (a->item != i + 1)
		return 0;   /* not read ahead yet */
	if (a->ready)
		return 1;
	if (a->checked == gen + 1)
		return 0;
	a->checked = gen + 1;
	for (size_t off = 0; off < a->names.len; off += strlen(a->names.data + off) + 1)
		if (!lookup_answered(p->lk, a->names.data + off))
			return 0;
	a->ready = 1;
	return 1;
}

/*
 * The oldest item from next up to hi that is not started and whose keys are
 * all answered, or -1. What the last look found taken or waiting stays so
 * while no answer comes (the generation) and below what the reader has read,
 * so the look goes on from where it stopped: with slow keys a window of
 * thousands of waiting messages is looked through once per answer, not once
 * per take.
 */
static long pool_pick_ready(struct engine_pool *p, size_t hi)
{
	unsigned long gen = p->ahead ? lookup_generation(p->lk) : 0;
	size_t i = p->next;
	if (p->ahead && gen == p->scan_gen && p->scan_to > i)
		i = p->scan_to;
	for (; i < hi; i++)
		if (p->state[i % p->window] == SLOT_FREE && item_ready(p, i, gen))
			break;
	p->scan_gen = gen;
	p->scan_to = i < hi ? i + 1 : (hi < p->read ? hi : p->read);
	return i < hi ? (long)i : -1;
}

/*
 * The next item to verify, or -1 when there is none or the run stops: the
 * oldest one not started whose keys are all answered, else the oldest one not
 * started. So a message whose key is slow (or times out) holds up only its
 * own delivery, while the workers go on with the messages behind it, as far
 * as the window of held results allows. Item i uses slot i % window.
 */
static long pool_take(struct engine_pool *p)
{
	pthread_mutex_lock(&p->mu);
	long pick = -1;
	int waited = 0;   /* a wait for any answer timed out: stop being choosy */
	while (!p->stop && pick < 0) {
		if (p->next < p->delivered)
			p->next = p->delivered;   /* everything before was started, finished and delivered */
		while (p->next < p->l->n && p->next < p->delivered + p->window &&
		       p->state[p->next % p->window] != SLOT_FREE)
			p->next++;
		size_t hi = p->delivered + p->window < p->l->n ? p->delivered + p->window : p->l->n;
		if (p->next >= p->l->n)
			break;
		if (p->next >= hi) {
			pthread_cond_wait(&p->space, &p->mu);
			continue;
		}
		pick = pool_pick_ready(p, hi);
		if (pick < 0 && p->ahead && p->read > p->next && !lookup_busy(p->lk))
			pick = (long)p->next;   /* read ahead and nothing in flight: its keys are in the cache */
		if (pick < 0 && p->ahead && p->read < hi) {
			pthread_cond_wait(&p->ahead_cv, &p->mu);   /* the reader may yet find one that is ready */
			continue;
		}
		if (pick < 0 && p->ahead && !waited) {
			/* every message in the window waits for keys in flight: take the first whose keys come */
			pthread_mutex_unlock(&p->mu);
			waited = !lookup_wait_any(p->lk, ENGINE_WAIT_ANY_MS);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		if (pick < 0)
			pick = (long)p->next;   /* nothing came: the oldest, waiting for its own keys */
		p->state[(size_t)pick % p->window] = SLOT_BUSY;
		if ((size_t)pick == p->next)
			p->next++;   /* a slot freed by delivery must never look like an item not started */
	}
	pthread_mutex_unlock(&p->mu);
	return pick;
}

/*
 * Hand every finished result from the oldest undelivered on to deliver, in
 * input order, and free its slot; called with mu held, by the worker that has
 * just finished one. A worker that finds another delivering leaves its result
 * to that one, which looks at the next slot again before it stops. So results
 * go out one at a time and in order, and no thread sleeps waiting to deliver:
 * a delivering thread of its own woke up for every message and took a CPU
 * from the workers.
 */
static void pool_deliver_ready(struct engine_pool *p)
{
	if (p->delivering)
		return;
	p->delivering = 1;
	while (!p->stop && p->delivered < p->l->n && p->state[p->delivered % p->window] == SLOT_DONE) {
		struct engine_result *res = &p->slots[p->delivered % p->window];
		pthread_mutex_unlock(&p->mu);
		int rc = p->deliver(p->ctx, res);
		engine_result_free(res);
		pthread_mutex_lock(&p->mu);
		p->state[p->delivered % p->window] = SLOT_FREE;
		p->delivered++;
		if (rc != 0) {
			p->stop = 1;
			p->rc = rc;
		}
		pthread_cond_broadcast(&p->space);
		pthread_cond_broadcast(&p->ahead_cv);
	}
	p->delivering = 0;
}

static void *pool_worker(void *arg)
{
	struct engine_pool *p = arg;
	long i;
	while ((i = pool_take(p)) >= 0) {
		engine_message(p->l, &p->l->items[i], (size_t)i + 1, p->o, p->lk, &p->slots[(size_t)i % p->window]);
		pthread_mutex_lock(&p->mu);
		p->state[(size_t)i % p->window] = SLOT_DONE;
		pool_deliver_ready(p);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* Read-ahead: open item i only to request its keys (asynchronous key sources answer meanwhile), and
 * remember their names, so that the workers can tell which messages are ready. */
static void request_keys_of(struct engine_pool *p, size_t i)
{
	char why[300];
	struct buf names;
	buf_init(&names, 64 * KEYANS_NAME_MAX);
	FILE *in = input_open(p->l, &p->l->items[i], &p->o->input, why, sizeof why);
	struct msg m;
	if (in && msg_open(&m, in, &p->o->run.msg, why, sizeof why) == 0) {
		run_request_keys(&m, &p->o->run, p->lk, &names);
		msg_close(&m);
	}
	if (in)
		fclose(in);
	struct engine_ahead *a = &p->ahead[i % p->nahead];
	pthread_mutex_lock(&p->mu);
	buf_free(&a->names);
	a->names = names;
	a->item = i + 1;
	a->ready = 0;
	a->checked = 0;
	p->read = i + 1;
	pthread_cond_broadcast(&p->ahead_cv);
	pthread_mutex_unlock(&p->mu);
}

/* The read-ahead thread: keys are asked for up to nahead messages past the delivery point. */
static void *pool_reader(void *arg)
{
	struct engine_pool *p = arg;
	for (size_t i = 0; i < p->l->n; i++) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && i >= p->delivered + p->nahead)
			pthread_cond_wait(&p->space, &p->mu);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		request_keys_of(p, i);
	}
	pthread_mutex_lock(&p->mu);
	p->read = (size_t)-1;   /* done (or stopped): nobody waits for the reader any more */
	pthread_cond_broadcast(&p->ahead_cv);
	pthread_mutex_unlock(&p->mu);
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
		     struct lookup *lk, unsigned jobs, int read_ahead, engine_deliver_fn deliver, void *ctx)
{
	memset(p, 0, sizeof *p);
	p->l = l;
	p->o = o;
	p->lk = lk;
	p->deliver = deliver;
	p->ctx = ctx;
	/* with slow keys, hold enough finished results that the workers can go past a waiting message */
	p->window = (size_t)jobs * 4 + (!read_ahead ? 0 : o->compact ? ENGINE_WINDOW_COMPACT : ENGINE_WINDOW_ASYNC);
	p->slots = calloc(p->window, sizeof *p->slots);
	p->state = calloc(p->window, sizeof *p->state);
	/* the reader goes at least as far as the window, so a worker waiting for it is never stuck */
	p->nahead = p->window > ENGINE_READ_AHEAD ? p->window : ENGINE_READ_AHEAD;
	p->ahead = read_ahead ? calloc(p->nahead, sizeof *p->ahead) : NULL;
	if (!p->slots || !p->state || (read_ahead && !p->ahead)) {
		free(p->slots);
		free(p->state);
		free(p->ahead);
		return -1;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->space, NULL);
	pthread_cond_init(&p->ahead_cv, NULL);
	return 0;
}

/* After the workers are joined: results finished but never delivered (the run stopped) are freed. */
static void pool_free(struct engine_pool *p)
{
	for (size_t i = 0; i < p->window; i++)
		if (p->state[i] == SLOT_DONE)
			engine_result_free(&p->slots[i]);
	for (size_t i = 0; p->ahead && i < p->nahead; i++)
		buf_free(&p->ahead[i].names);
	free(p->ahead);
	free(p->slots);
	free(p->state);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->space);
	pthread_cond_destroy(&p->ahead_cv);
}

int engine_run(const struct input_list *l, const struct engine_opts *o, struct lookup *lk, unsigned jobs,
	       engine_deliver_fn deliver, void *ctx)
{
	if (jobs > ENGINE_JOBS_MAX)
		jobs = ENGINE_JOBS_MAX;
	if (jobs > l->n)
		jobs = (unsigned)l->n;
	jobs = jobs ? jobs : 1;
	int read_ahead = l->n > 1 && lookup_async(lk);
	struct engine_pool p;
	if ((jobs == 1 && !read_ahead) || pool_init(&p, l, o, lk, jobs, read_ahead, deliver, ctx) < 0)
		return run_sequential(l, o, lk, deliver, ctx);
	pthread_t *threads = calloc(jobs, sizeof *threads);
	pthread_t reader;
	int reading = read_ahead && pthread_create(&reader, NULL, pool_reader, &p) == 0;
	if (!reading)
		p.read = (size_t)-1;   /* no reader: nobody will tell which messages are ready */
	unsigned started = 0;      /* the calling thread is the first worker; these are the others */
	while (threads && started + 1 < jobs && pthread_create(&threads[started], NULL, pool_worker, &p) == 0)
		started++;
	pool_worker(&p);
	for (unsigned t = 0; t < started; t++)   /* the last one to finish delivers what is left */
		pthread_join(threads[t], NULL);
	pthread_mutex_lock(&p.mu);
	p.stop = 1;   /* the reader may be waiting for room ahead of a run that stopped early */
	pthread_cond_broadcast(&p.space);
	pthread_mutex_unlock(&p.mu);
	if (reading)
		pthread_join(reader, NULL);
	int rc = p.rc;
	pool_free(&p);
	free(threads);
	return rc;
}
