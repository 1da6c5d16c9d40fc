/*
 * dnstest: loopback DNS servers for the tests.
 *
 * dnstest_start_zone serves the TXT (and A/AAAA) records of zone files with
 * dnsmasq on 127.0.0.1 and a free high port; names not in the zone get
 * NXDOMAIN, names with only an A/AAAA record get NOERROR without TXT (NODATA).
 * dnstest_start_fake runs a tiny scripted responder in a child process for the
 * failure modes dnsmasq will not produce. Every server is a child of the
 * calling process, dies with it (PR_SET_PDEATHSIG), is killed at exit if still
 * registered, and inside Check's fork mode also by Check's process-group kill,
 * so a failing test never leaves one running. Temporary files are removed as
 * soon as the server has started.
 *
 * Zone files use the syntax zone.c reads: `name [ttl] [class] TXT "s1" "s2"`,
 * `;` comments, parentheses, $ORIGIN, @, relative names, blank owners. Strings
 * longer than 255 octets are split. No wildcards, no CNAMEs.
 */
#ifndef ARCVERIFY_DNSTEST_H
#define ARCVERIFY_DNSTEST_H

#include <stddef.h>
#include <sys/types.h>

enum dnstest_mode {
	DNSTEST_ANSWER,     /* NOERROR with txt (ttl 300); AD set in the reply iff the query set it */
	DNSTEST_SERVFAIL,   /* rcode 2 */
	DNSTEST_REFUSED,    /* rcode 5 */
	DNSTEST_SILENT,     /* reads queries, never answers */
	DNSTEST_TRUNCATE,   /* UDP: TC set and no records; TCP: the full answer with txt */
	DNSTEST_WRONG_ID,   /* a reply with another id carrying DNSTEST_SPOOFED, then the real one */
	DNSTEST_WRONG_NAME, /* a reply with the right id but another question, then the real one */
	DNSTEST_WRONG_PORT, /* a reply from another source port, then the real one */
	DNSTEST_CNAME,      /* decoy TXT elsewhere; qname CNAME alias; alias TXT txt (ttl 300), "second" (ttl 120) */
	DNSTEST_MALFORMED,  /* ANCOUNT 1 but the record is cut short */
};

#define DNSTEST_SPOOFED "spoofed"  /* TXT text of every reply that must be rejected */

struct dnstest {
	pid_t pid;                 /* server process (dnsmasq or fake); 0 when not running */
	unsigned short port;       /* UDP and TCP port on 127.0.0.1 */
	char server[32];           /* "127.0.0.1:PORT", for dns_parse_server */
	int count_fd;              /* fake only: read end of the query-count pipe; -1 otherwise */
	unsigned long queries;     /* fake only: queries received so far (see dnstest_queries) */
};

/* Serve the zone files with dnsmasq ($DNSTEST_DNSMASQ, else found in PATH or /usr/sbin).
 * 0, or -1 with err (loud if dnsmasq is missing). */
int dnstest_start_zone(struct dnstest *t, const char *const *zonefiles, size_t n, char *err,
		       size_t errlen);
/* The same for zone text held in memory (no $ORIGIN unless the text sets one). */
int dnstest_start_zone_text(struct dnstest *t, const char *text, char *err, size_t errlen);
/* Start the scripted responder; txt is the TXT text answers carry (NULL: "v=DKIM1; p="). */
int dnstest_start_fake(struct dnstest *t, enum dnstest_mode mode, const char *txt, char *err,
		       size_t errlen);
/* Queries the fake responder has received so far (UDP and TCP). */
unsigned long dnstest_queries(struct dnstest *t);
/* Kill and reap the server; safe to call twice or on a never-started struct dnstest = {0}. */
void dnstest_stop(struct dnstest *t);

#endif
