/*
 * dns: the DNS key source, a transport for the TXT queries dnswire builds.
 * Every query has its own connected UDP socket per server it asks (so the
 * source port is the kernel's random choice, RFC 5452 §9.2, and an ICMP port
 * unreachable comes back as ECONNREFUSED at once instead of a timeout); a
 * truncated answer is asked again over TCP (RFC 7766). Servers and options come
 * from /etc/resolv.conf through libresolv's res_ninit (servers may be replaced
 * by dns_opts) and are used as glibc uses them: in order, starting one further
 * per query with `options rotate`, `attempts` rounds, `timeout` per try split as
 * glibc's res_send does, the whole schedule scaled to fit the total timeout.
 * Results follow RFC 6376 §6.1.2 (see keyans.h). The source owns its queries.
 */
#ifndef ARCVERIFY_DNS_H
#define ARCVERIFY_DNS_H

#include <stddef.h>

#include "dnswire.h"
#include "keysrc.h"

#define DNS_SERVERS_MAX 8
#define DNS_ATTEMPTS_MAX 5        /* glibc's RES_MAXRETRY */
#define DNS_DEFAULT_TIMEOUT_MS 5000
#define DNS_DEFAULT_CONCURRENCY 128   /* under dnsmasq's default dns-forward-max of 150 */
#define DNS_CONCURRENCY_MAX 1024  /* and never more than the open-files limit allows (lookup_new_dns) */

struct dns_opts {
	struct dnswire_server servers[DNS_SERVERS_MAX]; /* empty: use /etc/resolv.conf */
	size_t nservers;
	int timeout_ms;        /* total time allowed per query (default 5000) */
	unsigned concurrency;  /* names being resolved at once, beyond that they queue (0: DNS_DEFAULT_CONCURRENCY) */
};

/* A DNS key source (opts may be NULL: resolv.conf, defaults). NULL with err on failure. */
struct keysrc *dns_source_new(const struct dns_opts *opts, char *err, size_t errlen);
/*
 * The wait after each send to server i (milliseconds), as glibc's res_send waits (timeout_s for
 * server 0, (timeout_s << i) / nservers for the others, at least 1 s), scaled so that attempts
 * rounds over all servers add up to total_ms. Pure; for the tests and the man page's promise.
 */
void dns_plan(size_t nservers, unsigned attempts, unsigned timeout_s, int total_ms, unsigned wait_ms[]);

#endif
