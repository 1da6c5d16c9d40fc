/*
 * dnsserver: a DNS server that behaves like the Internet, for the tests and
 * the benchmark. It serves the records of a zone (parsed by zone.c) on
 * 127.0.0.1 over UDP and TCP, as a recursive resolver would answer a stub:
 * CNAME chains inside the zone followed in the answer, NXDOMAIN and NODATA
 * with the closest SOA in the authority section (RFC 2308 §3), answers over
 * 512 octets (or the EDNS(0) size the query offers) truncated over UDP. Each
 * answer can be delayed, and faults can be injected per name: see
 * dnsserver_parse_fault. It is written independently of src/dnswire.c, so the
 * two check each other. One thread, poll(2); it runs until *stop is set or
 * the process is killed. Counters go to a struct the caller provides (shared
 * memory when the server runs in a child process).
 */
#ifndef ARCVERIFY_DNSSERVER_H
#define ARCVERIFY_DNSSERVER_H

#include <signal.h>
#include <stddef.h>

#include "zone.h"

#define DNSSERVER_FAULTS_MAX 64
#define DNSSERVER_SPOOFED "spoofed"   /* TXT text of every reply the client must reject */

enum dnsserver_fault_kind {
	DNSSERVER_DROP,        /* "drop": never answer (UDP or TCP) */
	DNSSERVER_SERVFAIL,    /* "servfail": rcode 2 */
	DNSSERVER_REFUSED,     /* "refused": rcode 5 */
	DNSSERVER_TRUNCATE,    /* "truncate": UDP gets TC and no records whatever the size; TCP the answer */
	DNSSERVER_WRONG_ID,    /* "wrongid": first a reply with another id carrying "spoofed", then the answer */
	DNSSERVER_WRONG_NAME,  /* "wrongname": first the answer for another name carrying "spoofed", then the answer */
	DNSSERVER_WRONG_PORT,  /* "wrongport": first a reply from another port carrying "spoofed", then the answer */
	DNSSERVER_GARBAGE,     /* "garbage": right id and question, then an answer record cut short */
	DNSSERVER_OVERSIZED,   /* "oversized": the answer plus a 20000-octet TXT record and 20 small ones */
	DNSSERVER_CNAME_LOOP,  /* "cnameloop": NAME CNAME loop.NAME and loop.NAME CNAME NAME, in one answer */
	DNSSERVER_CNAME_TO,    /* "cname:TARGET": only NAME CNAME TARGET, not followed (the client must ask) */
	DNSSERVER_DELAY,       /* "delay:MS": answer after MS instead of the server's delay */
	DNSSERVER_TCP_CLOSE,   /* "tcpclose": TCP connections for the name are closed without an answer */
	DNSSERVER_NO_EDNS,     /* "noedns": a query with an OPT record gets FORMERR (a server without EDNS,
				* RFC 6891 §7); one without gets the answer */
};

struct dnsserver_fault {
	char name[256];                /* lower case, no trailing dot; "*" matches every name */
	enum dnsserver_fault_kind kind;
	unsigned ms;                   /* DNSSERVER_DELAY */
	char target[256];              /* DNSSERVER_CNAME_TO */
};

struct dnsserver_config {
	const struct zone *zone;       /* not ours; NULL: every name is NXDOMAIN */
	unsigned delay_ms;             /* before every answer */
	const struct dnsserver_fault *faults;
	size_t nfaults;
	int udp, tcp;                  /* bound sockets (tcp listening), not ours */
	int alt;                       /* another bound UDP socket for "wrongport", or -1 */
};

/* Written by the server only. */
struct dnsserver_stats {
	volatile unsigned long udp_queries, tcp_queries;
	volatile unsigned long answers;    /* replies sent (spoofs not counted) */
	volatile unsigned long dropped;
	volatile unsigned pending;         /* queries received and not answered yet */
	volatile unsigned max_pending;     /* the most there ever were */
};

/* "NAME=KIND" or "NAME=KIND:ARG" (see enum dnsserver_fault_kind); 0, or -1 with err. */
int dnsserver_parse_fault(const char *spec, struct dnsserver_fault *out, char *err, size_t errlen);
/* Bind UDP and TCP (listening) on 127.0.0.1:port, port 0 for any free one; 0 with *bound set, or -1. */
int dnsserver_bind(unsigned short port, int *udp, int *tcp, unsigned short *bound);
/* Serve until *stop (may be NULL) becomes nonzero; returns 0, or -1 when poll(2) fails for good. */
int dnsserver_run(const struct dnsserver_config *c, struct dnsserver_stats *st, volatile sig_atomic_t *stop);

#endif
