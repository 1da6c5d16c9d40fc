/*
 * dns: asynchronous TXT queries over UDP (TCP when truncated) using libresolv to
 * read /etc/resolv.conf (res_ninit, own resolver state), build queries
 * (res_nmkquery) and parse answers (ns_initparse/ns_parserr). Queries are sent
 * at once and answered through dns_poll, so many lookups overlap.
 * Classification follows RFC 6376 §6.1.2: NXDOMAIN and NODATA are answers,
 * SERVFAIL/REFUSED/timeouts are temporary failures.
 */
#ifndef ARCVERIFY_DNS_H
#define ARCVERIFY_DNS_H

#include "lookup.h"

#define DNS_SERVERS_MAX 8

struct dns_server {
	char ip[64];           /* IPv4 or IPv6 literal */
	unsigned short port;   /* 53 unless given */
};

struct dns_opts {
	struct dns_server servers[DNS_SERVERS_MAX]; /* empty: use /etc/resolv.conf */
	size_t nservers;
	int timeout_ms;        /* total time allowed per query (default 5000) */
};

struct dns;

/* Parse "IP", "IP:PORT", "[IPv6]:PORT" into a server; 0 or -1. */
int dns_parse_server(const char *spec, struct dns_server *out);
struct dns *dns_open(const struct dns_opts *opts, char *err, size_t errlen);
void dns_close(struct dns *d);
/* Send a TXT query for name; the answer is delivered through dns_poll. 0 or -1 (err filled). */
int dns_query_txt(struct dns *d, const char *name, void *user, char *err, size_t errlen);
typedef void (*dns_done_fn)(void *user, struct lookup_answer *ans, void *cbctx);
/* Wait up to timeout_ms for answers, retransmissions and timeouts; deliver each finished query
 * through done (the callee takes the answer's record texts). Returns the number still pending. */
size_t dns_poll(struct dns *d, int timeout_ms, dns_done_fn done, void *cbctx);
size_t dns_pending(const struct dns *d);

#endif
