/*
 * lookup: cache and dispatch for key queries. The zone source answers
 * synchronously at request time; the DNS source sends a query and the answer
 * arrives through dns_poll, so callers can request every key of a message (or
 * of many messages) before waiting for the first.
 */
#include "lookup.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "zone.h"

struct lookup_entry {
	struct lookup_answer ans;
	struct lookup_entry *next;   /* hash chain */
};

#define LOOKUP_BUCKETS 1024

struct lookup {
	struct zone *zone;           /* offline source, or NULL */
	struct dns *dns;             /* DNS source, or NULL */
	struct lookup_entry *buckets[LOOKUP_BUCKETS];
	char zone_label[200];
	pthread_mutex_t mu;          /* several workers share the cache */
};

static void normalize_name(const char *name, char *out)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	if (n >= LOOKUP_NAME_MAX)
		n = LOOKUP_NAME_MAX - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[n] = '\0';
}

static unsigned bucket_of(const char *key)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % LOOKUP_BUCKETS;
}

static struct lookup_entry *find_entry(struct lookup *lk, const char *key)
{
	for (struct lookup_entry *e = lk->buckets[bucket_of(key)]; e; e = e->next)
		if (strcmp(e->ans.name, key) == 0)
			return e;
	return NULL;
}

const char *lookup_status_word(enum lookup_status st)
{
	switch (st) {
	case LOOKUP_PENDING: return "pending";
	case LOOKUP_OK: return "ok";
	case LOOKUP_NXDOMAIN: return "NXDOMAIN";
	case LOOKUP_NODATA: return "no TXT record";
	case LOOKUP_SERVFAIL: return "SERVFAIL";
	case LOOKUP_TIMEOUT: return "timeout";
	case LOOKUP_ERROR: return "error";
	}
	return "unknown";
}

int lookup_answer_add(struct lookup_answer *a, const char *text, size_t len, unsigned nstrings)
{
	if (a->nrecords == LOOKUP_RECORDS_MAX || len > LOOKUP_RECORD_MAX) {
		a->nrecords_dropped++;
		return -1;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		a->nrecords_dropped++;
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	struct lookup_txt *t = &a->records[a->nrecords++];
	memset(t, 0, sizeof *t);
	t->text = copy;
	t->len = len;
	t->nstrings = nstrings;
	return 0;
}

void lookup_answer_clear(struct lookup_answer *a)
{
	for (size_t i = 0; i < a->nrecords; i++) {
		free(a->records[i].text);
		if (a->records[i].cache && a->records[i].cache_free)
			a->records[i].cache_free(a->records[i].cache);
		a->records[i].cache = NULL;
	}
	a->nrecords = 0;
}

struct lookup *lookup_new_dns(const struct dns_opts *opts, char *err, size_t errlen)
{
	struct lookup *lk = calloc(1, sizeof *lk);
	if (!lk) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct dns_opts defaults = { .nservers = 0, .timeout_ms = 5000 };
	lk->dns = dns_open(opts ? opts : &defaults, err, errlen);
	if (!lk->dns) {
		free(lk);
		return NULL;
	}
	pthread_mutex_init(&lk->mu, NULL);
	return lk;
}

struct lookup *lookup_new_zone(const char *const *files, size_t nfiles, char *err, size_t errlen)
{
	struct lookup *lk = calloc(1, sizeof *lk);
	if (!lk || !(lk->zone = zone_new())) {
		free(lk);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&lk->mu, NULL);
	size_t used = 0;
	for (size_t i = 0; i < nfiles; i++) {
		if (zone_load_file(lk->zone, files[i], err, errlen) < 0) {
			lookup_free(lk);
			return NULL;
		}
		int w = snprintf(lk->zone_label + used, sizeof lk->zone_label - used, "%s%s",
				 i ? "," : "", files[i]);
		if (w > 0 && (size_t)w < sizeof lk->zone_label - used)
			used += (size_t)w;
	}
	return lk;
}

void lookup_free(struct lookup *lk)
{
	if (!lk)
		return;
	for (size_t b = 0; b < LOOKUP_BUCKETS; b++) {
		struct lookup_entry *e = lk->buckets[b];
		while (e) {
			struct lookup_entry *next = e->next;
			lookup_answer_clear(&e->ans);
			free(e);
			e = next;
		}
	}
	if (lk->dns)
		dns_close(lk->dns);
	zone_free(lk->zone);
	pthread_mutex_destroy(&lk->mu);
	free(lk);
}

/* dns_poll delivers an answer: move it into the waiting cache entry. */
static void on_dns_answer(void *user, struct lookup_answer *ans, void *cbctx)
{
	(void)cbctx;
	struct lookup_entry *e = user;
	char name[LOOKUP_NAME_MAX];
	memcpy(name, e->ans.name, sizeof name);
	e->ans = *ans;                 /* takes the record texts */
	memcpy(e->ans.name, name, sizeof name);
	ans->nrecords = 0;
	if (e->ans.status == LOOKUP_PENDING)
		e->ans.status = LOOKUP_ERROR;
}

static struct lookup_entry *new_entry(struct lookup *lk, const char *key)
{
	struct lookup_entry *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	snprintf(e->ans.name, sizeof e->ans.name, "%s", key);
	e->ans.rcode = -1;
	unsigned b = bucket_of(key);
	e->next = lk->buckets[b];
	lk->buckets[b] = e;
	return e;
}

static struct lookup_entry *request_entry(struct lookup *lk, const char *name)
{
	static const char too_long[] = "(name longer than 253 octets)";
	char key[LOOKUP_NAME_MAX];
	size_t n = strlen(name);
	if (n > 254 || (n == 254 && name[253] != '.')) {
		/* never truncate: a cut name could share a cache entry with another name */
		struct lookup_entry *e = find_entry(lk, too_long);
		if (!e && (e = new_entry(lk, too_long)) != NULL) {
			e->ans.status = LOOKUP_ERROR;
			snprintf(e->ans.detail, sizeof e->ans.detail, "a DNS name has at most 253 octets");
		}
		return e;
	}
	normalize_name(name, key);
	struct lookup_entry *e = find_entry(lk, key);
	if (e)
		return e;
	e = new_entry(lk, key);
	if (!e)
		return NULL;
	e->ans.fetched = time(NULL);
	if (lk->zone) {
		zone_answer(lk->zone, key, &e->ans);
		slice_copy(slice_cstr(lk->zone_label), e->ans.server, sizeof e->ans.server);
		return e;
	}
	e->ans.source = LOOKUP_SRC_DNS;
	e->ans.status = LOOKUP_PENDING;
	char err[200];
	if (dns_query_txt(lk->dns, key, e, err, sizeof err) < 0) {
		e->ans.status = LOOKUP_ERROR;
		snprintf(e->ans.detail, sizeof e->ans.detail, "%s", err);
	}
	return e;
}

void lookup_request(struct lookup *lk, const char *name)
{
	pthread_mutex_lock(&lk->mu);
	request_entry(lk, name);
	pthread_mutex_unlock(&lk->mu);
}

const struct lookup_answer *lookup_wait(struct lookup *lk, const char *name)
{
	static struct lookup_answer oom = { .status = LOOKUP_ERROR, .detail = "out of memory" };
	pthread_mutex_lock(&lk->mu);
	struct lookup_entry *e = request_entry(lk, name);
	if (!e) {
		pthread_mutex_unlock(&lk->mu);
		return &oom;
	}
	while (e->ans.status == LOOKUP_PENDING && lk->dns && dns_pending(lk->dns) > 0)
		dns_poll(lk->dns, 200, on_dns_answer, NULL);
	if (e->ans.status == LOOKUP_PENDING) {
		e->ans.status = LOOKUP_ERROR;
		snprintf(e->ans.detail, sizeof e->ans.detail, "query lost");
	}
	pthread_mutex_unlock(&lk->mu);
	return &e->ans;
}

int lookup_set_record_cache(struct lookup *lk, const char *name, size_t rec, void *obj, void (*free_fn)(void *))
{
	char key[LOOKUP_NAME_MAX];
	normalize_name(name, key);
	pthread_mutex_lock(&lk->mu);
	struct lookup_entry *e = find_entry(lk, key);
	int rc = -1;
	if (e && rec < e->ans.nrecords && !e->ans.records[rec].cache) {
		e->ans.records[rec].cache = obj;
		e->ans.records[rec].cache_free = free_fn;
		rc = 0;
	}
	pthread_mutex_unlock(&lk->mu);
	return rc;
}

int lookup_async(const struct lookup *lk)
{
	return lk->dns != NULL;
}

void lookup_poll(struct lookup *lk, int timeout_ms)
{
	if (lk->dns && dns_pending(lk->dns) > 0)
		dns_poll(lk->dns, timeout_ms, on_dns_answer, NULL);
}
