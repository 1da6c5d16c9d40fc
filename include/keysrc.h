/*
 * keysrc: the one interface of the key sources (zone files, DNS), which the
 * cache (lookup.h) drives without knowing which kind it has: request a name,
 * poll for answers, free. Every request gets exactly one answer through the
 * done callback (failures are answers too), either before request returns
 * (a synchronous source such as a zone file) or from a later poll (DNS). The
 * callee of done owns the answer. A keysrc owns its implementation.
 */
#ifndef ARCVERIFY_KEYSRC_H
#define ARCVERIFY_KEYSRC_H

#include <stddef.h>

#include "keyans.h"

/* One finished answer; user is what request was given. ans is the callee's (NULL: out of memory). */
typedef void (*keysrc_done_fn)(void *cbctx, void *user, struct keyans *ans);

struct keysrc_counters {
	unsigned long sent;         /* queries put on the wire (retransmissions and TCP included) */
	unsigned long tcp;          /* truncated answers asked again over TCP */
	unsigned long cname_chased; /* queries for a CNAME target the server had not answered */
	unsigned long edns_fallbacks; /* questions asked again without EDNS after a FORMERR (RFC 6891 §7) */
};

struct keysrc_ops {
	/* 0: request answers before it returns and may be called from several threads at once;
	 * 1: answers come from poll, and request and poll are called from one thread only. */
	int async;
	void (*request)(void *impl, const char *name, void *user, keysrc_done_fn done, void *cbctx);
	/* Wait up to timeout_ms (negative: no limit) for answers, and deliver them; returns early
	 * when wake_fd (if >= 0) becomes readable. Returns the number of requests still open. */
	size_t (*poll)(void *impl, int timeout_ms, int wake_fd, keysrc_done_fn done, void *cbctx);
	void (*counters)(const void *impl, struct keysrc_counters *out); /* may be NULL */
	void (*destroy)(void *impl);  /* open requests are dropped without an answer */
};

struct keysrc {
	const struct keysrc_ops *ops;
	void *impl;                 /* ours */
};

/* Wrap impl (taken, also on failure: destroyed then) in a source; NULL when out of memory. */
struct keysrc *keysrc_new(const struct keysrc_ops *ops, void *impl);
void keysrc_free(struct keysrc *s);
int keysrc_async(const struct keysrc *s);
void keysrc_request(struct keysrc *s, const char *name, void *user, keysrc_done_fn done, void *cbctx);
size_t keysrc_poll(struct keysrc *s, int timeout_ms, int wake_fd, keysrc_done_fn done, void *cbctx);
void keysrc_counters(const struct keysrc *s, struct keysrc_counters *out);  /* zeros if none */

#endif
