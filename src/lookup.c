/*
 * lookup: the shared key cache (see include/lookup.h).
 *
 * One mutex guards the table, the queue and the statistics; one condition
 * variable is broadcast whenever an answer arrives, and each waiter checks
 * its own entry. The source is never called with the mutex held. For an
 * asynchronous source one I/O thread owns it: it takes queued names while
 * fewer than `concurrency` are being resolved, sends them, and polls the
 * source, which returns early when a worker writes to the wake pipe. A
 * synchronous source is asked by the thread that first needs the name.
 *
 * An entry's answer never moves or changes once stored. When its TTL has run
 * out a new request asks again; the old answer is kept on a retired list
 * until lookup_free, because signatures still point at it.
 */
#include "lookup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define LOOKUP_BUCKETS_MIN 1024
#define LOOKUP_BATCH 64              /* names the I/O thread sends per round */
#define LOOKUP_FD_RESERVE 128        /* descriptors left for inputs, outputs and the rest */
#define TOO_LONG_KEY "(name longer than 253 octets)"

enum entry_state { E_QUEUED, E_ASKING, E_DONE };

struct retired {
	struct keyans *ans;
	struct retired *next;
};

struct lookup_entry {
	char key[KEYANS_NAME_MAX];
	enum entry_state state;
	struct keyans *ans;          /* the answer (NULL: out of memory); while asking again, the last one */
	struct retired *retire;      /* allocated when asking again: takes the last answer when the new comes */
	int64_t expires_ms;          /* when a request asks again (monotonic) */
	struct lookup_entry *next;   /* hash chain */
	struct lookup_entry *qnext;  /* queue of names waiting for a slot */
};

struct lookup {
	struct keysrc *src;          /* ours */
	int async;
	pthread_mutex_t mu;
	pthread_cond_t answered;
	unsigned long generation;    /* answers delivered so far: lookup_wait_any watches it */
	struct lookup_entry **buckets;
	size_t nbuckets, nentries;
	struct lookup_entry *qhead, *qtail;
	unsigned in_flight;
	struct retired *retired;
	struct lookup_stats st;
	int wake[2];                 /* the I/O thread polls wake[0]; requests write wake[1] */
	pthread_t io;
	int io_started, stop;
};

/* What lookup_wait returns when there was no memory for an answer. */
static const struct keyans lookup_oom = { .status = KEYANS_ERROR, .rcode = -1, .detail = "out of memory" };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- the table ---------- */

static size_t hash_key(const char *key)
{
	size_t h = 2166136261u; /* FNV-1a */
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static struct lookup_entry *find_entry(const struct lookup *lk, const char *key)
{
	for (struct lookup_entry *e = lk->buckets[hash_key(key) % lk->nbuckets]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Double the buckets when the table is full; on failure the chains just get longer. */
static void maybe_grow(struct lookup *lk)
{
	if (lk->nentries < lk->nbuckets)
		return;
	size_t n = lk->nbuckets * 2;
	struct lookup_entry **b = calloc(n, sizeof *b);
	if (!b)
		return;
	for (size_t i = 0; i < lk->nbuckets; i++)
		for (struct lookup_entry *e = lk->buckets[i], *next; e; e = next) {
			next = e->next;
			size_t h = hash_key(e->key) % n;
			e->next = b[h];
			b[h] = e;
		}
	free(lk->buckets);
	lk->buckets = b;
	lk->nbuckets = n;
}

static struct lookup_entry *new_entry(struct lookup *lk, const char *key)
{
	struct lookup_entry *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	snprintf(e->key, sizeof e->key, "%s", key);
	maybe_grow(lk);
	size_t b = hash_key(key) % lk->nbuckets;
	e->next = lk->buckets[b];
	lk->buckets[b] = e;
	lk->nentries++;
	return e;
}

/* ---------- answers ---------- */

/* How long an answer is kept (RFC 2308 §5 for negative answers, §7 for failures). */
static int64_t expiry(const struct keyans *a, int64_t now)
{
	if (!a)
		return now; /* our own lack of memory says nothing of the name: the next message asks again */
	if (keyans_is_temporary(a->status))
		return now + LOOKUP_FAILURE_TTL * 1000LL;
	if (a->source == KEYANS_SRC_KEYS)
		return INT64_MAX; /* zone files do not change during a run */
	if (a->has_ttl)
		return now + (int64_t)a->ttl * 1000;
	return now + LOOKUP_FAILURE_TTL * 1000LL; /* NXDOMAIN/NODATA without an SOA */
}

/* Keep the n slowest names, slowest first. */
static void note_slow(struct lookup_stats *st, const struct keyans *a)
{
	size_t i = st->nslowest;
	if (i == LOOKUP_SLOWEST && a->ms <= st->slowest[i - 1].ms)
		return;
	if (i == LOOKUP_SLOWEST)
		i--;
	else
		st->nslowest++;
	for (; i > 0 && st->slowest[i - 1].ms < a->ms; i--)
		st->slowest[i] = st->slowest[i - 1];
	snprintf(st->slowest[i].name, sizeof st->slowest[i].name, "%s", a->name);
	st->slowest[i].ms = a->ms;
	st->slowest[i].status = a->status;
}

static void count_answer(struct lookup *lk, const struct keyans *a)
{
	struct lookup_stats *st = &lk->st;
	switch (a ? a->status : KEYANS_ERROR) {
	case KEYANS_OK: case KEYANS_NXDOMAIN: case KEYANS_NODATA: st->answered++; break;
	case KEYANS_TIMEOUT: st->timed_out++; break;
	case KEYANS_UNREACHABLE: st->refused++; break;
	case KEYANS_SERVFAIL: st->servfail++; break;
	default: st->errors++; break;
	}
	if (a && lk->async)
		note_slow(st, a);
}

static void copy_counters(struct lookup *lk)
{
	struct keysrc_counters c;
	keysrc_counters(lk->src, &c);
	lk->st.sent = c.sent;
	lk->st.tcp = c.tcp;
	lk->st.edns_fallbacks = c.edns_fallbacks;
}

/* Under the mutex: ans (ours now, NULL when out of memory) is e's answer, kept until it expires. */
static void store_answer(struct lookup *lk, struct lookup_entry *e, struct keyans *ans)
{
	if (e->retire) { /* asked again after the TTL: the last answer stays valid until lookup_free */
		e->retire->ans = e->ans;
		e->retire->next = lk->retired;
		lk->retired = e->retire;
		e->retire = NULL;
	}
	e->ans = ans;
	e->state = E_DONE;
	e->expires_ms = expiry(ans, now_ms());
	count_answer(lk, ans);
}

/* keysrc done: store the answer, free a slot, wake the waiters. */
static void on_answer(void *cbctx, void *user, struct keyans *ans)
{
	struct lookup *lk = cbctx;
	struct lookup_entry *e = user;
	pthread_mutex_lock(&lk->mu);
	store_answer(lk, e, ans);
	if (lk->async)
		copy_counters(lk); /* we are the I/O thread, the one that drives the source */
	if (lk->async && lk->in_flight > 0)
		lk->in_flight--;
	lk->generation++;
	pthread_cond_broadcast(&lk->answered);
	pthread_mutex_unlock(&lk->mu);
}

/* ---------- the I/O thread ---------- */

static void drain_wake(struct lookup *lk)
{
	char b[64];
	while (read(lk->wake[0], b, sizeof b) > 0)
		;
}

/* Under the mutex: the queued names that fit under the limit, now marked as being asked. */
static size_t take_queued(struct lookup *lk, struct lookup_entry **batch)
{
	size_t n = 0;
	while (lk->qhead && lk->in_flight < lk->st.concurrency && n < LOOKUP_BATCH) {
		struct lookup_entry *e = lk->qhead;
		lk->qhead = e->qnext;
		if (!lk->qhead)
			lk->qtail = NULL;
		e->qnext = NULL;
		e->state = E_ASKING;
		batch[n++] = e;
		if (++lk->in_flight > lk->st.max_in_flight)
			lk->st.max_in_flight = lk->in_flight;
	}
	return n;
}

/* Drain the wake pipe before looking at the queue, so a request made after that look wakes the poll. */
static void *io_main(void *arg)
{
	struct lookup *lk = arg;
	struct lookup_entry *batch[LOOKUP_BATCH];
	for (;;) {
		drain_wake(lk);
		pthread_mutex_lock(&lk->mu);
		copy_counters(lk);
		if (lk->stop) {
			pthread_mutex_unlock(&lk->mu);
			return NULL;
		}
		size_t n = take_queued(lk, batch);
		int more = lk->qhead && lk->in_flight < lk->st.concurrency;
		pthread_mutex_unlock(&lk->mu);
		for (size_t i = 0; i < n; i++)
			keysrc_request(lk->src, batch[i]->key, batch[i], on_answer, lk);
		keysrc_poll(lk->src, more ? 0 : -1, lk->wake[0], on_answer, lk);
	}
}

static void wake_io(struct lookup *lk)
{
	ssize_t r = write(lk->wake[1], "w", 1);
	(void)r; /* a full pipe already holds a wakeup */
}

/* Under the mutex: make sure the I/O thread runs. 0, or -1 when it cannot be started. */
static int start_io(struct lookup *lk)
{
	if (lk->io_started)
		return 0;
	if (pthread_create(&lk->io, NULL, io_main, lk) != 0)
		return -1;
	lk->io_started = 1;
	return 0;
}

/* ---------- requests ---------- */

/* Under the mutex: e needs an answer. Returns 1 when the caller must ask the (synchronous) source. */
static int schedule(struct lookup *lk, struct lookup_entry *e)
{
	lk->st.queries++;
	if (!lk->async) {
		e->state = E_ASKING;
		return 1;
	}
	if (start_io(lk) < 0) { /* no thread, no DNS: an answer that says so */
		struct keyans *a = keyans_new(e->key, KEYANS_SRC_DNS);
		if (a)
			keyans_fail(a, KEYANS_ERROR, "cannot start the DNS thread");
		store_answer(lk, e, a);
		return 0;
	}
	e->state = E_QUEUED;
	if (lk->qtail)
		lk->qtail->qnext = e;
	else
		lk->qhead = e;
	lk->qtail = e;
	wake_io(lk);
	return 0;
}

/* Under the mutex: a name over 253 octets is an answer of its own, never asked (never cut either). */
static struct lookup_entry *too_long_entry(struct lookup *lk)
{
	struct lookup_entry *e = find_entry(lk, TOO_LONG_KEY);
	if (e || !(e = new_entry(lk, TOO_LONG_KEY)))
		return e;
	e->state = E_DONE;
	e->expires_ms = INT64_MAX;
	e->ans = keyans_new(TOO_LONG_KEY, lk->async ? KEYANS_SRC_DNS : KEYANS_SRC_KEYS);
	if (e->ans)
		keyans_fail(e->ans, KEYANS_ERROR, "a DNS name has at most 253 octets");
	return e;
}

/* Under the mutex: the entry for name, created and scheduled when new or expired. *ask: see schedule. */
static struct lookup_entry *get_entry(struct lookup *lk, const char *name, int from_request, int *ask)
{
	char key[KEYANS_NAME_MAX];
	*ask = 0;
	if (keyans_name_key(name, key) < 0)
		return too_long_entry(lk);
	struct lookup_entry *e = find_entry(lk, key);
	if (!e) {
		lk->st.requests++;
		if ((e = new_entry(lk, key)) != NULL)
			*ask = schedule(lk, e);
		return e;
	}
	if (!from_request)
		return e;
	lk->st.requests++;
	if (e->state != E_DONE) {
		lk->st.joined++;
	} else if (now_ms() >= e->expires_ms && (e->retire = calloc(1, sizeof *e->retire)) != NULL) {
		lk->st.expired++;
		*ask = schedule(lk, e);
	} else {
		lk->st.cache_hits++;
	}
	return e;
}

static struct lookup_entry *request(struct lookup *lk, const char *name, int from_request)
{
	int ask;
	pthread_mutex_lock(&lk->mu);
	struct lookup_entry *e = get_entry(lk, name, from_request, &ask);
	pthread_mutex_unlock(&lk->mu);
	if (ask)
		keysrc_request(lk->src, e->key, e, on_answer, lk);
	return e;
}

void lookup_request(struct lookup *lk, const char *name)
{
	request(lk, name, 1);
}

const struct keyans *lookup_wait(struct lookup *lk, const char *name)
{
	struct lookup_entry *e = request(lk, name, 0);
	if (!e)
		return &lookup_oom;
	pthread_mutex_lock(&lk->mu);
	while (e->state != E_DONE)
		pthread_cond_wait(&lk->answered, &lk->mu);
	const struct keyans *a = e->ans ? e->ans : &lookup_oom;
	pthread_mutex_unlock(&lk->mu);
	return a;
}

int lookup_answered(struct lookup *lk, const char *name)
{
	char key[KEYANS_NAME_MAX];
	if (keyans_name_key(name, key) < 0)
		return 1;   /* a name no query can carry is answered at once, with an error */
	pthread_mutex_lock(&lk->mu);
	const struct lookup_entry *e = find_entry(lk, key);
	int done = e && e->state == E_DONE;
	pthread_mutex_unlock(&lk->mu);
	return done;
}

unsigned long lookup_generation(struct lookup *lk)
{
	pthread_mutex_lock(&lk->mu);
	unsigned long g = lk->generation;
	pthread_mutex_unlock(&lk->mu);
	return g;
}

int lookup_busy(struct lookup *lk)
{
	pthread_mutex_lock(&lk->mu);
	int busy = lk->in_flight > 0 || lk->qhead != NULL;
	pthread_mutex_unlock(&lk->mu);
	return busy;
}

int lookup_wait_any(struct lookup *lk, int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);   /* the clock pthread_cond_timedwait uses by default */
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lk->mu);
	unsigned long g = lk->generation;
	int rc = 0;
	while (lk->generation == g && rc == 0)
		rc = pthread_cond_timedwait(&lk->answered, &lk->mu, &until);
	int news = lk->generation != g;
	pthread_mutex_unlock(&lk->mu);
	return news;
}

int lookup_async(const struct lookup *lk)
{
	return lk->async;
}

void lookup_stats(struct lookup *lk, struct lookup_stats *out)
{
	pthread_mutex_lock(&lk->mu);
	*out = lk->st;
	pthread_mutex_unlock(&lk->mu);
}

void *lookup_record_cache(struct lookup *lk, const struct keyans *a, size_t rec,
			  void *(*make)(const char *text, size_t len, void *ctx), void (*destroy)(void *), void *ctx)
{
	if (!a || rec >= a->nrecords)
		return NULL;
	pthread_mutex_lock(&lk->mu);
	void *obj = a->records[rec].cache;
	pthread_mutex_unlock(&lk->mu);
	if (obj)
		return obj;
	obj = make(a->records[rec].text, a->records[rec].len, ctx); /* outside the lock: decoding takes time */
	if (!obj)
		return NULL;
	pthread_mutex_lock(&lk->mu);
	void *had = a->records[rec].cache;
	if (!had) {
		a->records[rec].cache = obj;
		a->records[rec].cache_free = destroy;
	}
	pthread_mutex_unlock(&lk->mu);
	if (had) { /* another thread was quicker: use its copy */
		destroy(obj);
		return had;
	}
	return obj;
}

/* ---------- life cycle ---------- */

static int open_wake_pipe(struct lookup *lk)
{
	if (pipe(lk->wake) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(lk->wake[i], F_SETFD, FD_CLOEXEC);
		fcntl(lk->wake[i], F_SETFL, fcntl(lk->wake[i], F_GETFL) | O_NONBLOCK);
	}
	return 0;
}

struct lookup *lookup_new(struct keysrc *src, unsigned concurrency, char *err, size_t errlen)
{
	struct lookup *lk = src ? calloc(1, sizeof *lk) : NULL;
	if (!lk || !(lk->buckets = calloc(LOOKUP_BUCKETS_MIN, sizeof *lk->buckets))) {
		free(lk);
		keysrc_free(src);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lk->src = src;
	lk->nbuckets = LOOKUP_BUCKETS_MIN;
	lk->async = keysrc_async(src);
	lk->st.concurrency = concurrency ? concurrency : DNS_DEFAULT_CONCURRENCY;
	lk->wake[0] = lk->wake[1] = -1;
	pthread_mutex_init(&lk->mu, NULL);
	pthread_cond_init(&lk->answered, NULL);
	if (lk->async && open_wake_pipe(lk) < 0) {
		snprintf(err, errlen, "cannot make a pipe for the DNS thread: %s", strerror(errno));
		lookup_free(lk);
		return NULL;
	}
	return lk;
}

/*
 * Each name in flight holds a UDP socket per server it asked and maybe a TCP
 * one: keep the limit where those fit under the open-files limit, with room
 * left for the messages the workers read.
 */
static unsigned fitting_concurrency(const struct dns_opts *opts)
{
	unsigned want = opts && opts->concurrency ? opts->concurrency : DNS_DEFAULT_CONCURRENCY;
	size_t per_name = (opts && opts->nservers ? opts->nservers : 3) + 1;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return want;
	rlim_t spare = rl.rlim_cur > LOOKUP_FD_RESERVE ? rl.rlim_cur - LOOKUP_FD_RESERVE : 0;
	unsigned fit = (unsigned)(spare / per_name);
	return fit < 1 ? 1 : fit < want ? fit : want;
}

struct lookup *lookup_new_dns(const struct dns_opts *opts, char *err, size_t errlen)
{
	struct keysrc *src = dns_source_new(opts, err, errlen);
	if (!src)
		return NULL;
	return lookup_new(src, fitting_concurrency(opts), err, errlen);
}

/* The files, comma-separated, as the answers' provenance. */
static void zone_label(const char *const *files, size_t nfiles, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < nfiles; i++) {
		int w = snprintf(out + used, outlen - used, "%s%s", i ? "," : "", files[i]);
		if (w < 0 || (size_t)w >= outlen - used)
			return;
		used += (size_t)w;
	}
}

struct lookup *lookup_new_zone(const char *const *files, size_t nfiles, enum zone_status *status, char *err,
			       size_t errlen)
{
	char label[200];
	enum zone_status st = ZONE_NOMEM;
	struct zone *z = zone_new();
	if (status)
		*status = ZONE_OK;
	for (size_t i = 0; z && i < nfiles; i++)
		if ((st = zone_load_file(z, files[i], err, errlen)) != ZONE_OK) {
			zone_free(z);
			if (status)
				*status = st;
			return NULL;
		}
	if (!z) {
		snprintf(err, errlen, "out of memory");
		if (status)
			*status = ZONE_NOMEM;
		return NULL;
	}
	zone_label(files, nfiles, label, sizeof label);
	return lookup_new(zone_source_new(z, label), 0, err, errlen);
}

static void free_entries(struct lookup *lk)
{
	for (size_t b = 0; b < lk->nbuckets; b++)
		for (struct lookup_entry *e = lk->buckets[b], *next; e; e = next) {
			next = e->next;
			keyans_free(e->ans);
			free(e->retire);
			free(e);
		}
	for (struct retired *r = lk->retired, *next; r; r = next) {
		next = r->next;
		keyans_free(r->ans);
		free(r);
	}
	free(lk->buckets);
}

void lookup_free(struct lookup *lk)
{
	if (!lk)
		return;
	if (lk->io_started) {
		pthread_mutex_lock(&lk->mu);
		lk->stop = 1;
		pthread_mutex_unlock(&lk->mu);
		wake_io(lk);
		pthread_join(lk->io, NULL);
	}
	keysrc_free(lk->src); /* queries still open are dropped */
	free_entries(lk);
	for (int i = 0; i < 2; i++)
		if (lk->wake[i] >= 0)
			close(lk->wake[i]);
	pthread_cond_destroy(&lk->answered);
	pthread_mutex_destroy(&lk->mu);
	free(lk);
}
