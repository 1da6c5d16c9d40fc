/*
 * lookup: the key cache all workers share. A caller asks for the TXT records
 * at a name ahead of need (lookup_request, which never blocks) and collects
 * the answer later (lookup_wait, which blocks until that one name is
 * answered), so many queries overlap while a name that times out delays only
 * the messages that need it. Each name is asked of the source once (single
 * flight: concurrent callers share the query); answers and failures are kept
 * for their TTL (failures and negative answers without SOA for
 * LOOKUP_FAILURE_TTL, RFC 2308 §7; running out of memory is not kept at all:
 * the next request asks again), and at most `concurrency` names are being
 * resolved at once, the rest queue. An asynchronous source (DNS) is driven by
 * an I/O thread the lookup owns; a synchronous one (zone files) answers in the
 * caller's thread. Every function is thread-safe. The lookup owns every
 * answer it hands out, and each stays valid until lookup_free.
 */
#ifndef ARCVERIFY_LOOKUP_H
#define ARCVERIFY_LOOKUP_H

#include <stddef.h>

#include "dns.h"
#include "keyans.h"
#include "keysrc.h"
#include "zone.h"

#define LOOKUP_FAILURE_TTL 30    /* seconds a temporary failure is kept (RFC 2308 §7: at most 5 minutes) */
#define LOOKUP_SLOWEST 10        /* slowest names kept in the statistics */

struct lookup;

struct lookup_slow {
	char name[KEYANS_NAME_MAX];
	unsigned ms;                 /* from the query to the answer */
	enum keyans_status status;
};

struct lookup_stats {
	unsigned long requests;      /* lookup_request calls, and lookup_wait calls for names never requested */
	unsigned long cache_hits;    /* requests answered from the cache */
	unsigned long joined;        /* requests for a name already being resolved (single flight) */
	unsigned long queries;       /* names asked of the source (again after a TTL ran out) */
	unsigned long sent;          /* DNS messages put on the wire, retransmissions and TCP included */
	unsigned long tcp;           /* answers asked again over TCP after truncation */
	unsigned long edns_fallbacks; /* questions asked again without EDNS after a FORMERR */
	unsigned long answered;      /* names answered OK, NXDOMAIN or NODATA */
	unsigned long timed_out;
	unsigned long refused;       /* every server refused the connection (ICMP port unreachable) */
	unsigned long servfail;      /* SERVFAIL, REFUSED and other error rcodes from every server */
	unsigned long errors;        /* malformed answers, CNAME loops, local failures */
	unsigned long expired;       /* answers asked again because their TTL ran out */
	unsigned max_in_flight;      /* most names resolved at once */
	unsigned concurrency;        /* the limit on that */
	struct lookup_slow slowest[LOOKUP_SLOWEST]; /* slowest first */
	size_t nslowest;
};

/* A lookup over src (taken; freed with the lookup, also on failure). concurrency 0: DNS_DEFAULT_CONCURRENCY. */
struct lookup *lookup_new(struct keysrc *src, unsigned concurrency, char *err, size_t errlen);
/* A lookup answering from DNS (opts may be NULL: /etc/resolv.conf). NULL with err on failure. */
struct lookup *lookup_new_dns(const struct dns_opts *opts, char *err, size_t errlen);
/* A lookup answering from zone files only; DNS is never consulted. On failure NULL, err, and
 * *status (may be NULL) says whether a file was unreadable or wrong (zone.h). */
struct lookup *lookup_new_zone(const char *const *files, size_t nfiles, enum zone_status *status, char *err,
			       size_t errlen);
/* Stop the I/O thread and free every answer; no thread may be using the lookup any more. */
void lookup_free(struct lookup *lk);
/* Start resolving name (case-insensitive, trailing dot ignored) unless it is cached or in flight. */
void lookup_request(struct lookup *lk, const char *name);
/* The answer for name, waiting for it if needed; never NULL (failures are answers). */
const struct keyans *lookup_wait(struct lookup *lk, const char *name);
/* 1 when name has an answer, so lookup_wait would not block; 0 when it is unknown or in flight. */
int lookup_answered(struct lookup *lk, const char *name);
/* A count of the answers delivered so far: while it stays the same, no lookup_answered changes to 1. */
unsigned long lookup_generation(struct lookup *lk);
/* 1 while some name is queued or being resolved, 0 when every name asked has its answer. */
int lookup_busy(struct lookup *lk);
/* Wait until some name gets its answer, at most timeout_ms: 1 when one did, 0 on the timeout. */
int lookup_wait_any(struct lookup *lk, int timeout_ms);
/* 1 when answers arrive later (DNS: worth requesting ahead), 0 when they come at once (zone files). */
int lookup_async(const struct lookup *lk);
/* A snapshot of the figures so far. */
void lookup_stats(struct lookup *lk, struct lookup_stats *out);
/*
 * The decoded form of record rec of answer a (from lookup_wait), made once by make(text, len, ctx)
 * and kept with the answer (freed with destroy): get-or-create, safe from any thread. NULL when
 * make failed or rec is out of range; the caller then decodes for itself.
 */
void *lookup_record_cache(struct lookup *lk, const struct keyans *a, size_t rec,
			  void *(*make)(const char *text, size_t len, void *ctx), void (*destroy)(void *), void *ctx);

#endif
