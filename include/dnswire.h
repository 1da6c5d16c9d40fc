/*
 * dnswire: the DNS wire format a key lookup needs, as pure functions on bytes
 * (no sockets, no clock, no resolver state), so every rule is tested on
 * packets. Builds TXT/IN queries (RFC 1035 §4.1, EDNS(0) per RFC 6891 §6.1),
 * matches replies to them (RFC 5452 §9.1: ID, question name, type and class;
 * source address and port), decompresses names with strictly backward pointers
 * (RFC 1035 §4.1.4), collects TXT records with their character-strings joined
 * (RFC 6376 §3.6.2.2), follows CNAMEs inside a reply with a bound and loop
 * detection (RFC 1034 §3.6.2), classifies response codes (RFC 6376 §6.1.2),
 * takes the negative TTL of NXDOMAIN/NODATA from the SOA (RFC 2308 §5), and
 * parses server addresses. Results are written into caller-owned structs.
 */
#ifndef ARCVERIFY_DNSWIRE_H
#define ARCVERIFY_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "keyans.h"

#define DNSWIRE_HEADER 12
#define DNSWIRE_NAME_WIRE_MAX 255  /* RFC 1035 §2.3.4 */
#define DNSWIRE_QUERY_MAX 512      /* a single question always fits (RFC 1035 §4.2.1) */
#define DNSWIRE_MSG_MAX 65535      /* TCP length prefix (RFC 1035 §4.2.2) */
#define DNSWIRE_CNAME_MAX 8        /* CNAMEs followed per lookup, across replies */
#define DNSWIRE_EDNS_PAYLOAD 1232  /* UDP payload advertised with EDNS(0) (DNS flag day 2020) */
#define DNSWIRE_TYPE_CNAME 5
#define DNSWIRE_TYPE_SOA 6
#define DNSWIRE_TYPE_NS 2
#define DNSWIRE_TYPE_TXT 16
#define DNSWIRE_TYPE_OPT 41
#define DNSWIRE_CLASS_IN 1
#define DNSWIRE_RCODE_FORMERR 1     /* RFC 1035 §4.1.1: the server could not interpret the query */

/* Query flags. */
#define DNSWIRE_EDNS0 1u  /* add an OPT record advertising DNSWIRE_EDNS_PAYLOAD */
#define DNSWIRE_AD 2u     /* set AD: ask the server to report DNSSEC validation (RFC 6840 §5.7) */

struct dnswire_server {
	char ip[64];           /* IPv4 or IPv6 literal */
	unsigned short port;   /* 53 unless given */
};

struct dnswire_query {
	unsigned char qname[DNSWIRE_NAME_WIRE_MAX]; /* the question name, uncompressed wire form */
	size_t qnamelen;
	uint16_t id;
	unsigned char msg[2 + DNSWIRE_QUERY_MAX];   /* 2-octet TCP length prefix, then the query */
	size_t len;                                 /* octets of the query after the prefix */
};

enum dnswire_kind {
	DNSWIRE_ANSWER,      /* the answer is final: OK, NODATA or NXDOMAIN in the keyans */
	DNSWIRE_CHASE,       /* a CNAME chain ends at a name this reply has no data for: ask res.target */
	DNSWIRE_TRUNCATED,   /* TC over UDP: ask again over TCP (RFC 7766 §5) */
	DNSWIRE_SERVER_FAIL, /* SERVFAIL, REFUSED, FORMERR, NOTIMP, a referral...: try another server */
	DNSWIRE_MALFORMED,   /* the reply does not parse; res.why says where */
	DNSWIRE_LOOP,        /* the CNAME chain loops or is longer than DNSWIRE_CNAME_MAX */
};

struct dnswire_result {
	enum dnswire_kind kind;
	int rcode;
	int ad;
	char target[KEYANS_NAME_MAX];  /* CHASE: the name to ask; ANSWER: the canonical name, if CNAMEs */
	unsigned cnames;               /* CNAMEs followed in this reply */
	uint32_t ttl;                  /* the smallest TTL of the records read (CHASE: of the CNAMEs) */
	int has_ttl;
	char why[160];                 /* SERVER_FAIL, MALFORMED, LOOP: in words */
};

/* The TXT/IN question for name (text; \. \\ \DDD escapes as RFC 1035 §5.1), id and flags into q.
 * 0, or -1 with err (empty or over-long label, name over 255 octets in wire form). */
int dnswire_build_query(const char *name, uint16_t id, unsigned flags, struct dnswire_query *q, char *err,
			size_t errlen);
/* 1 when msg is a response to q: same id, QR set, standard query, one question equal to q's
 * (names compared case-insensitively, RFC 4343); 0 otherwise. */
int dnswire_reply_matches(const struct dnswire_query *q, const unsigned char *msg, size_t len);
/*
 * Read a reply that matched q. via_tcp: TC is ignored. hops_before: CNAMEs earlier replies led
 * through (q then asks for their target), counted against DNSWIRE_CNAME_MAX. For DNSWIRE_ANSWER
 * fills ans (records, status, ttl, rcode, ad, cnames, target, detail); otherwise leaves it as it was.
 */
void dnswire_parse_reply(const struct dnswire_query *q, const unsigned char *msg, size_t len, int via_tcp,
			 unsigned hops_before, struct keyans *ans, struct dnswire_result *res);
/* Decompress the name at off into wire (uncompressed, at most 255 octets); *next is the offset just
 * past the name where it was written. 0, or -1 when malformed. */
int dnswire_name(const unsigned char *msg, size_t len, size_t off, unsigned char *wire, size_t *wirelen,
		 size_t *next);
/* A wire-form name as text (escaping '.', '\\' and non-printable octets as \DDD); "" for the root. */
void dnswire_name_text(const unsigned char *wire, size_t wirelen, char *out, size_t outlen);
/* Wire-form names equal, ASCII case-insensitively. */
int dnswire_name_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen);
const char *dnswire_rcode_word(int rcode);  /* "NOERROR", "SERVFAIL", ... */

/* Parse "IP", "IP:PORT", "[IPv6]:PORT", "[IPv6]" or a bare IPv6 literal; 0 or -1. */
int dnswire_parse_server(const char *spec, struct dnswire_server *out);
/* The socket address of s (0, or -1 for a bad literal) and its "ip:port" / "[ip6]:port" label. */
int dnswire_server_addr(const struct dnswire_server *s, struct sockaddr_storage *sa, socklen_t *salen);
void dnswire_addr_label(const struct sockaddr *sa, char *out, size_t outlen);
/* Same family, address and port (RFC 5452 §9.1: a reply must come from where the query went). */
int dnswire_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif
