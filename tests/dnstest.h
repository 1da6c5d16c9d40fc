/*
 * dnstest: loopback DNS servers for the tests, started and stopped by them.
 *
 * dnstest_serve runs the test server of dnsserver.h (C, ours) in a child
 * process on 127.0.0.1 and a free port: a zone over UDP and TCP, a delay per
 * answer, faults per name (drop, servfail, refused, truncate, wrongid,
 * wrongname, wrongport, garbage, oversized, cnameloop, cname:TARGET,
 * delay:MS, tcpclose, noedns), and counters the test reads while it runs (queries,
 * the most held at once). The DNS fault tests use it.
 *
 * dnstest_start_zone serves zone files with dnsmasq instead, an independent
 * implementation, for the tests that verify every fixture over DNS: names not
 * in the zone get NXDOMAIN, names with only an A/AAAA record NODATA.
 *
 * Every server is a child of the calling process, dies with it
 * (PR_SET_PDEATHSIG, and a getppid check against the race), is killed at
 * exit if still registered, and inside Check's fork mode also by Check's
 * process-group kill, so a failing test never leaves one running. Zone text
 * uses the syntax zone.c reads; strings longer than 255 octets are split.
 */
#ifndef ARCVERIFY_DNSTEST_H
#define ARCVERIFY_DNSTEST_H

#include <stddef.h>
#include <sys/types.h>

#include "dnsserver.h"

struct dnstest {
	pid_t pid;                     /* server process; 0 when not running */
	unsigned short port;           /* UDP and TCP port on 127.0.0.1 */
	char server[32];               /* "127.0.0.1:PORT", for dnswire_parse_server */
	struct dnsserver_stats *stats; /* dnstest_serve: shared with the server; NULL for dnsmasq */
};

struct dnstest_opts {
	const char *zone_text;                /* may be NULL */
	const char *const *zone_files;        /* read after zone_text */
	size_t nzone_files;
	unsigned delay_ms;                    /* before every answer */
	const char *const *faults;            /* "NAME=KIND[:ARG]", as dnsserver_parse_fault reads them */
	size_t nfaults;
};

/* Start the test server (o may be NULL: no zone, every name NXDOMAIN). 0, or -1 with err. */
int dnstest_serve(struct dnstest *t, const struct dnstest_opts *o, char *err, size_t errlen);
/* Queries the test server has received so far (UDP and TCP), TCP ones, and the most it held at once. */
unsigned long dnstest_queries(const struct dnstest *t);
unsigned long dnstest_tcp_queries(const struct dnstest *t);
unsigned dnstest_max_pending(const struct dnstest *t);
/* Serve the zone files with dnsmasq ($DNSTEST_DNSMASQ, else found in PATH or /usr/sbin).
 * 0, or -1 with err (loud if dnsmasq is missing). */
int dnstest_start_zone(struct dnstest *t, const char *const *zonefiles, size_t n, char *err,
		       size_t errlen);
/* The same for zone text held in memory (no $ORIGIN unless the text sets one). */
int dnstest_start_zone_text(struct dnstest *t, const char *text, char *err, size_t errlen);
/* Kill and reap the server; safe to call twice or on a never-started struct dnstest = {0}. */
void dnstest_stop(struct dnstest *t);

#endif
