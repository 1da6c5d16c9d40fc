/*
 * dns: asynchronous TXT lookups for DKIM/ARC keys (see include/dns.h).
 *
 * libresolv supplies the resolver configuration (res_ninit on our own
 * struct __res_state, so /etc/resolv.conf is honoured and no global resolver
 * state is touched), the query encoder (res_nmkquery) and the answer parser
 * (ns_initparse/ns_parserr). The transport is ours: glibc's res_nsend blocks,
 * and arcverify wants every key of a batch of messages in flight at once.
 *
 * Transport (RFC 1035 §4.2): one non-blocking UDP socket per address family,
 * shared by all queries; a reply is accepted only if it comes from a server
 * the query was sent to, carries the query's id and repeats its question
 * (RFC 5452 §9.1). A truncated reply (TC) is retried over TCP with the 2-octet
 * length prefix (RFC 1035 §4.2.2, RFC 7766 §5-§8) within the same deadline.
 * Unanswered queries are retransmitted to the next server at an interval, and
 * fail with LOOKUP_TIMEOUT when the total time per query has passed.
 *
 * Classification follows RFC 6376 §6.1.2: NXDOMAIN and "no TXT record" are
 * answers (permanent failures for the verifier), SERVFAIL/REFUSED/timeouts
 * and malformed replies are temporary failures.
 *
 * Nothing here prints, exits or keeps global mutable state.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define DNS_DEFAULT_TIMEOUT_MS 5000
#define DNS_NAME_OCTETS_MAX 253   /* longest name in text form, without the root dot (RFC 1035 §2.3.4) */
#define DNS_QUERY_MAX 512         /* a single question always fits (RFC 1035 §4.2.1) */
#define DNS_MSG_MAX 65535         /* a DNS message never exceeds this (TCP length prefix, RFC 1035 §4.2.2) */
#define DNS_HEADER_LEN 12
#define DNS_TCP_MAX 32            /* concurrent TCP fallbacks; more wait for a free slot */
#define DNS_CNAME_HOPS_MAX 16     /* CNAME chain followed inside one answer */
#define DNS_RECV_BURST 256        /* datagrams read per wakeup, so timers and TCP are not starved */
#define DNS_RETRY_EAGAIN_MS 20    /* quick resend when the socket buffer was full */
#define DNS_RETRANS_MIN_MS 100
#define DNS_RETRANS_MAX_MS 2000
#define DNS_EDNS_PAYLOAD 1232     /* UDP payload advertised with "options edns0" (DNS flag day 2020) */
#define DNS_RCVBUF 1048576        /* ask for room for many replies arriving at once */

/* Header octets 2 and 3 (RFC 1035 §4.1.1, RFC 4035 §3.2.3 for AD/CD). */
#define DNS_F2_QR 0x80
#define DNS_F2_TC 0x02
#define DNS_F2_RD 0x01
#define DNS_F3_AD 0x20

struct dns_addr {
	struct sockaddr_storage sa;
	socklen_t salen;
	char label[80];                /* "ip:port" or "[ip6]:port", for provenance */
};

enum dns_qstate {
	Q_UDP,          /* sent over UDP, waiting or retransmitting */
	Q_TCP_WAIT,     /* truncated; waiting for a free TCP slot */
	Q_TCP_CONNECT,  /* non-blocking connect in progress */
	Q_TCP_SEND,     /* writing length prefix + query */
	Q_TCP_RECV,     /* reading length prefix, then the reply */
	Q_DONE,         /* answer built, waiting to be delivered */
};

struct dns_query {
	char want[LOOKUP_NAME_MAX];    /* name as requested, for messages */
	char qname[NS_MAXDNAME];       /* name as encoded, re-expanded: what replies must repeat */
	void *user;                    /* caller's, returned through the callback */
	unsigned char packet[2 + DNS_QUERY_MAX]; /* TCP length prefix, then the query itself */
	size_t qlen;                   /* octets of the query after the prefix */
	uint16_t id;
	int64_t started, deadline, next_send;
	size_t next_server;            /* UDP rotation position */
	unsigned asked;                /* bit per server the query was sent to over UDP */
	unsigned failed;               /* bit per server that answered with an error rcode */
	int fail_rcode;                /* last error rcode seen, -1 if none */
	size_t fail_server;
	char last_error[96];           /* last local send error, for the timeout message */
	enum dns_qstate state;
	int tcp_fd;                    /* ours while in a TCP state, else -1 */
	size_t tcp_server;
	unsigned tcp_tried;            /* bit per server tried over TCP */
	size_t tcp_done;               /* octets sent, or received, in the current TCP phase */
	unsigned char tcp_lenbuf[2];
	unsigned char *tcp_reply;      /* owned; DNS_MSG_MAX at most */
	size_t tcp_reply_len;
	struct lookup_answer *ans;     /* owned until delivered (record texts go to the callee) */
	struct dns_query *next_done;   /* delivery list, once removed from the in-flight array */
};

struct dns {
	struct __res_state res;        /* our own resolver state (res_ninit/res_nclose) */
	int res_ready;
	struct dns_addr servers[DNS_SERVERS_MAX];
	size_t nservers;
	int timeout_ms;                /* total per query */
	int retrans_ms;                /* interval between UDP (re)transmissions */
	int use_edns0;                 /* resolv.conf "options edns0" */
	int udp4, udp6;                /* shared UDP sockets, -1 if not needed */
	struct dns_query **q;          /* in-flight queries, owned; dynamic array */
	size_t nq, capq;
	size_t ntcp;                   /* open TCP connections */
	unsigned char id_used[65536 / 8]; /* ids of in-flight queries, kept unique so replies match one query */
	struct pollfd *pfd;            /* scratch for poll(2), grown as needed */
	struct dns_query **pfd_q;      /* query behind each pollfd, NULL for the UDP sockets */
	size_t cappfd;
	unsigned char *rbuf;           /* one receive buffer of DNS_MSG_MAX + 1 octets */
};

/* ---------- small helpers ---------- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned bit(size_t i)
{
	return 1u << i;
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Names as expanded by dn_expand/ns_parserr; DNS compares them case-insensitively (RFC 4343). */
static int name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/*
 * Format a human-readable message into a fixed field; a message that does not
 * fit (a 253-octet name is longer than the field) ends in "..." instead.
 */
static void textf(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void textf(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= len && len > 4)
		memcpy(dst + len - 4, "...", 4);
}

static const char *rcode_word(int rcode)
{
	static const char *const words[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
					     "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
					     "NOTZONE" };
	if (rcode >= 0 && (size_t)rcode < sizeof words / sizeof words[0])
		return words[rcode];
	return "unknown rcode";
}

/* ---------- servers ---------- */

static void format_label(const struct sockaddr *sa, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		snprintf(out, outlen, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		snprintf(out, outlen, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
	}
}

static int parse_port(const char *s, unsigned short *port)
{
	unsigned long v = 0;
	size_t n = 0;
	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n == 5)
			return -1;
		v = v * 10 + (unsigned long)(s[n] - '0');
	}
	if (n == 0 || v == 0 || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

/* A literal that cannot be a server: unparsable or the unspecified address. */
static int parse_ip(const char *text, int *family, unsigned char addr[16])
{
	static const unsigned char zero[16];
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = AF_INET;
		return memcmp(addr, zero, 4) == 0 ? -1 : 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*family = AF_INET6;
		return memcmp(addr, zero, 16) == 0 ? -1 : 0;
	}
	return -1;
}

/*
 * "IP", "IP:PORT", "[IPv6]:PORT", "[IPv6]" or a bare IPv6 literal. A bare
 * literal with more than one colon is IPv6 as a whole (so "::1:53" is an
 * address, not ::1 port 53); use brackets to give an IPv6 server a port.
 */
int dns_parse_server(const char *spec, struct dns_server *out)
{
	if (!spec || !out)
		return -1;
	size_t n = strlen(spec);
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	int want_v6 = 0;
	if (n == 0 || n > 80)
		return -1;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || (size_t)(close - spec - 1) >= sizeof host)
			return -1;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return -1;
		want_v6 = 1;
	} else {
		const char *colon = strchr(spec, ':');
		size_t hostlen = n;
		if (colon && !strchr(colon + 1, ':')) {
			hostlen = (size_t)(colon - spec);
			port = colon + 1;
		}
		if (hostlen >= sizeof host)
			return -1;
		memcpy(host, spec, hostlen);
		host[hostlen] = '\0';
	}
	int family;
	unsigned char addr[16];
	unsigned short portnum = 53;
	if (parse_ip(host, &family, addr) < 0 || (want_v6 && family != AF_INET6))
		return -1;
	if (port && parse_port(port, &portnum) < 0)
		return -1;
	if (!inet_ntop(family, addr, out->ip, sizeof out->ip))
		return -1;
	out->port = portnum;
	return 0;
}

static int server_from_option(const struct dns_server *s, struct dns_addr *out)
{
	int family;
	unsigned char addr[16];
	if (s->port == 0 || parse_ip(s->ip, &family, addr) < 0)
		return -1;
	memset(out, 0, sizeof *out);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&out->sa;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(s->port);
		memcpy(&s4->sin_addr, addr, 4);
		out->salen = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&out->sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(s->port);
		memcpy(&s6->sin6_addr, addr, 16);
		out->salen = sizeof *s6;
	}
	format_label((const struct sockaddr *)&out->sa, out->label, sizeof out->label);
	return 0;
}

/* glibc keeps IPv4 servers in nsaddr_list and IPv6 ones in _u._ext.nsaddrs (res_init.c). */
static void servers_from_resolv_conf(struct dns *d)
{
	for (int i = 0; i < d->res.nscount && i < MAXNS && d->nservers < DNS_SERVERS_MAX; i++) {
		struct dns_addr *out = &d->servers[d->nservers];
		memset(out, 0, sizeof *out);
		const struct sockaddr_in6 *s6 = d->res._u._ext.nsaddrs[i];
		if (s6 && s6->sin6_family == AF_INET6) {
			memcpy(&out->sa, s6, sizeof *s6);
			out->salen = sizeof *s6;
		} else if (d->res.nsaddr_list[i].sin_family == AF_INET) {
			memcpy(&out->sa, &d->res.nsaddr_list[i], sizeof d->res.nsaddr_list[i]);
			out->salen = sizeof d->res.nsaddr_list[i];
		} else {
			continue;
		}
		format_label((const struct sockaddr *)&out->sa, out->label, sizeof out->label);
		d->nservers++;
	}
}

static int open_udp_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int size = DNS_RCVBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size); /* best effort */
	return fd;
}

/* Open the sockets the servers need; drop servers of a family the host lacks (no IPv6). */
static int open_udp_sockets(struct dns *d, char *err, size_t errlen)
{
	int saved_errno = 0;
	size_t kept = 0;
	for (size_t i = 0; i < d->nservers; i++) {
		int family = d->servers[i].sa.ss_family;
		int *fd = family == AF_INET ? &d->udp4 : &d->udp6;
		if (*fd < 0 && (*fd = open_udp_socket(family)) < 0) {
			saved_errno = errno;
			continue;
		}
		d->servers[kept++] = d->servers[i];
	}
	d->nservers = kept;
	if (kept == 0) {
		snprintf(err, errlen, "cannot open a UDP socket for DNS: %s",
			 strerror(saved_errno ? saved_errno : EAFNOSUPPORT));
		return -1;
	}
	return 0;
}

static int socket_for(const struct dns *d, size_t server)
{
	return d->servers[server].sa.ss_family == AF_INET ? d->udp4 : d->udp6;
}

/* Index of the server whose address and port sent a datagram, or -1. */
static int server_of(const struct dns *d, const struct sockaddr_storage *from)
{
	for (size_t i = 0; i < d->nservers; i++) {
		const struct sockaddr_storage *s = &d->servers[i].sa;
		if (s->ss_family != from->ss_family)
			continue;
		if (s->ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)s;
			const struct sockaddr_in *b = (const struct sockaddr_in *)(const void *)from;
			if (a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr)
				return (int)i;
		} else {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)s;
			const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)(const void *)from;
			if (a->sin6_port == b->sin6_port &&
			    memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0)
				return (int)i;
		}
	}
	return -1;
}

/* ---------- open / close ---------- */

/* Spread two rounds over the servers within the total timeout, like res_send's retry schedule. */
static int retransmit_interval(int timeout_ms, size_t nservers)
{
	long v = (long)timeout_ms / (long)(2 * nservers);
	if (v < DNS_RETRANS_MIN_MS)
		v = DNS_RETRANS_MIN_MS;
	if (v > DNS_RETRANS_MAX_MS)
		v = DNS_RETRANS_MAX_MS;
	return (int)v;
}

struct dns *dns_open(const struct dns_opts *opts, char *err, size_t errlen)
{
	struct dns *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->udp4 = d->udp6 = -1;
	d->rbuf = malloc(DNS_MSG_MAX + 1);
	if (!d->rbuf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Our own state: reads /etc/resolv.conf (servers, options) without touching _res. */
	if (res_ninit(&d->res) < 0) {
		snprintf(err, errlen, "cannot initialise the resolver (res_ninit)");
		goto fail;
	}
	d->res_ready = 1;
	d->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
	if (opts && opts->nservers > 0) {
		if (opts->nservers > DNS_SERVERS_MAX) {
			snprintf(err, errlen, "too many DNS servers (%zu, at most %d)", opts->nservers,
				 DNS_SERVERS_MAX);
			goto fail;
		}
		for (size_t i = 0; i < opts->nservers; i++) {
			if (server_from_option(&opts->servers[i], &d->servers[i]) < 0) {
				snprintf(err, errlen, "bad DNS server address \"%.64s\" port %u",
					 opts->servers[i].ip, (unsigned)opts->servers[i].port);
				goto fail;
			}
		}
		d->nservers = opts->nservers;
	} else {
		servers_from_resolv_conf(d);
		if (d->nservers == 0) {
			snprintf(err, errlen, "no usable nameserver in /etc/resolv.conf");
			goto fail;
		}
	}
	if (open_udp_sockets(d, err, errlen) < 0)
		goto fail;
	d->use_edns0 = (d->res.options & RES_USE_EDNS0) != 0;
	d->retrans_ms = retransmit_interval(d->timeout_ms, d->nservers);
	return d;
fail:
	dns_close(d);
	return NULL;
}

static void close_tcp(struct dns *d, struct dns_query *q)
{
	if (q->tcp_fd >= 0) {
		close(q->tcp_fd);
		q->tcp_fd = -1;
		d->ntcp--;
	}
	free(q->tcp_reply);
	q->tcp_reply = NULL;
	q->tcp_reply_len = 0;
	q->tcp_done = 0;
}

static void free_query(struct dns *d, struct dns_query *q)
{
	close_tcp(d, q);
	if (q->ans) {
		lookup_answer_clear(q->ans);
		free(q->ans);
	}
	d->id_used[q->id >> 3] &= (unsigned char)~(1u << (q->id & 7));
	free(q);
}

/* Undelivered answers are discarded: callbacks never run from here. */
void dns_close(struct dns *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nq; i++)
		free_query(d, d->q[i]);
	free(d->q);
	if (d->udp4 >= 0)
		close(d->udp4);
	if (d->udp6 >= 0)
		close(d->udp6);
	if (d->res_ready)
		res_nclose(&d->res);
	free(d->pfd);
	free(d->pfd_q);
	free(d->rbuf);
	free(d);
}

size_t dns_pending(const struct dns *d)
{
	return d ? d->nq : 0;
}

/* ---------- finishing a query ---------- */

static struct lookup_answer *new_answer(const struct dns_query *q)
{
	struct lookup_answer *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	snprintf(a->name, sizeof a->name, "%s", q->want);
	a->source = LOOKUP_SRC_DNS;
	a->rcode = -1;
	a->fetched = time(NULL);
	return a;
}

/*
 * Mark q finished with answer a (owned by q from now on). With a == NULL (no
 * memory for an answer) the query still finishes; delivery reports the error.
 */
static void finish(struct dns *d, struct dns_query *q, struct lookup_answer *a)
{
	close_tcp(d, q);
	if (q->ans) {
		lookup_answer_clear(q->ans);
		free(q->ans);
	}
	q->ans = a;
	q->state = Q_DONE;
}

static void finish_status(struct dns *d, struct dns_query *q, enum lookup_status st, int rcode,
			  const char *server, const char *detail)
{
	struct lookup_answer *a = new_answer(q);
	if (a) {
		a->status = st;
		a->rcode = rcode;
		snprintf(a->server, sizeof a->server, "%s", server ? server : "");
		textf(a->detail, sizeof a->detail, "%s", detail);
	}
	finish(d, q, a);
}

/* The servers a query was sent to, "a, b", for messages. */
static void asked_list(const struct dns *d, const struct dns_query *q, char *out, size_t outlen)
{
	struct buf b;
	buf_init(&b, outlen ? outlen - 1 : 0);
	unsigned mask = q->asked | q->tcp_tried;
	if (q->state >= Q_TCP_WAIT && q->state <= Q_TCP_RECV)
		mask |= bit(q->tcp_server);
	if (mask == 0) /* every send failed: name the servers we tried to reach */
		mask = bit(d->nservers) - 1;
	for (size_t i = 0; i < d->nservers; i++)
		if (mask & bit(i))
			buf_printf(&b, "%s%s", b.len ? ", " : "", d->servers[i].label);
	snprintf(out, outlen, "%s", b.data ? b.data : "");
	buf_free(&b);
}

static void finish_timeout(struct dns *d, struct dns_query *q)
{
	char servers[160], detail[sizeof ((struct lookup_answer *)0)->detail];
	if (q->fail_rcode >= 0) {
		/* A server did answer, with an error: that is more useful than "timeout". */
		textf(detail, sizeof detail, "%s from %s for %s", rcode_word(q->fail_rcode),
			 d->servers[q->fail_server].label, q->want);
		finish_status(d, q, LOOKUP_SERVFAIL, q->fail_rcode, d->servers[q->fail_server].label,
			      detail);
		return;
	}
	int tcp = q->state >= Q_TCP_WAIT && q->state <= Q_TCP_RECV;
	asked_list(d, q, servers, sizeof servers);
	textf(detail, sizeof detail, "DNS timeout after %.1f s querying %s%s for %s%s%s",
		 (double)(q->deadline - q->started) / 1000.0, servers, tcp ? " (TCP)" : "", q->want,
		 q->last_error[0] ? "; " : "", q->last_error);
	finish_status(d, q, LOOKUP_TIMEOUT, -1, "", detail);
}

/* ---------- sending ---------- */

static int id_taken(const struct dns *d, unsigned id)
{
	return d->id_used[id >> 3] & (1u << (id & 7));
}

/*
 * A fresh id from the kernel's random source, unique among queries in flight so
 * a reply matches exactly one (RFC 5452 §4.3: ids must be unpredictable).
 */
static int pick_id(struct dns *d, uint16_t *id)
{
	if (d->nq >= 65536)
		return -1;
	for (int tries = 0; tries < 64; tries++) {
		uint16_t r;
		if (getentropy(&r, sizeof r) < 0)
			break;
		if (!id_taken(d, r)) {
			*id = r;
			return 0;
		}
	}
	for (unsigned v = 0; v < 65536; v++) /* nearly full, or no entropy: take any free id */
		if (!id_taken(d, v)) {
			*id = (uint16_t)v;
			return 0;
		}
	return -1;
}

/* Append an EDNS(0) OPT pseudo-RR (RFC 6891 §6.1.2) when resolv.conf asks for it. */
static int append_edns_opt(unsigned char *msg, size_t *len, size_t cap)
{
	static const unsigned char opt[11] = { 0, 0, 41, DNS_EDNS_PAYLOAD >> 8, DNS_EDNS_PAYLOAD & 0xff,
					       0, 0, 0, 0, 0, 0 };
	if (*len + sizeof opt > cap)
		return -1;
	memcpy(msg + *len, opt, sizeof opt);
	*len += sizeof opt;
	put16(msg + 10, get16(msg + 10) + 1); /* ARCOUNT */
	return 0;
}

/* Build the TXT/IN question for name into q->packet; 0 or -1 with err. */
static int build_query(struct dns *d, struct dns_query *q, const char *name, char *err, size_t errlen)
{
	unsigned char *msg = q->packet + 2;
	int n = res_nmkquery(&d->res, ns_o_query, name, ns_c_in, ns_t_txt, NULL, 0, NULL, msg,
			     DNS_QUERY_MAX);
	if (n < DNS_HEADER_LEN) {
		snprintf(err, errlen, "cannot encode DNS name \"%s\" (bad label?)", name);
		return -1;
	}
	size_t len = (size_t)n;
	if (d->use_edns0 && append_edns_opt(msg, &len, DNS_QUERY_MAX) < 0) {
		snprintf(err, errlen, "DNS query for \"%s\" too large", name);
		return -1;
	}
	put16(msg, q->id);
	msg[2] |= DNS_F2_RD; /* we are a stub: the server must recurse */
	/* RFC 6840 §5.7: setting AD in the query asks the server to report validation in AD. */
	msg[3] |= DNS_F3_AD;
	q->qlen = len;
	put16(q->packet, (unsigned)len); /* RFC 1035 §4.2.2 length prefix, used only over TCP */
	if (dn_expand(msg, msg + len, msg + DNS_HEADER_LEN, q->qname, sizeof q->qname) < 0) {
		snprintf(err, errlen, "cannot encode DNS name \"%s\"", name);
		return -1;
	}
	return 0;
}

/* Next server in rotation that has not already answered with an error; -1 if none. */
static int next_udp_server(const struct dns *d, struct dns_query *q)
{
	for (size_t i = 0; i < d->nservers; i++) {
		size_t s = (q->next_server + i) % d->nservers;
		if (!(q->failed & bit(s))) {
			q->next_server = s + 1;
			return (int)s;
		}
	}
	return -1;
}

/* One UDP (re)transmission; schedules the next one. */
static void send_udp(struct dns *d, struct dns_query *q, int64_t now)
{
	int s = next_udp_server(d, q);
	if (s < 0) {
		q->next_send = q->deadline; /* every server has failed: only the deadline is left */
		return;
	}
	const struct dns_addr *srv = &d->servers[s];
	ssize_t n = sendto(socket_for(d, (size_t)s), q->packet + 2, q->qlen, 0,
			   (const struct sockaddr *)&srv->sa, srv->salen);
	q->next_send = now + d->retrans_ms;
	if (n < 0) {
		int e = errno;
		snprintf(q->last_error, sizeof q->last_error, "send to %s: %s", srv->label, strerror(e));
		if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) {
			q->next_server = (size_t)s; /* same server again, soon */
			q->next_send = now + DNS_RETRY_EAGAIN_MS;
		}
		return;
	}
	q->asked |= bit((size_t)s);
}

static int grow_queries(struct dns *d)
{
	if (d->nq < d->capq)
		return 0;
	size_t cap = d->capq ? d->capq * 2 : 64;
	struct dns_query **p = realloc(d->q, cap * sizeof *p);
	if (!p)
		return -1;
	d->q = p;
	d->capq = cap;
	return 0;
}

/* Length of name in text form without a final root dot. */
static size_t name_octets(const char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.' && !(n >= 2 && name[n - 2] == '\\'))
		n--;
	return n;
}

int dns_query_txt(struct dns *d, const char *name, void *user, char *err, size_t errlen)
{
	if (!d || !name) {
		snprintf(err, errlen, "no DNS context or name");
		return -1;
	}
	size_t octets = name_octets(name);
	if (octets == 0) {
		snprintf(err, errlen, "empty DNS name");
		return -1;
	}
	if (octets > DNS_NAME_OCTETS_MAX) {
		snprintf(err, errlen, "DNS name too long (%zu octets, at most %d): %.60s...", octets,
			 DNS_NAME_OCTETS_MAX, name);
		return -1;
	}
	if (grow_queries(d) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct dns_query *q = calloc(1, sizeof *q);
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	q->tcp_fd = -1;
	q->fail_rcode = -1;
	q->user = user;
	snprintf(q->want, sizeof q->want, "%s", name);
	if (pick_id(d, &q->id) < 0) {
		snprintf(err, errlen, "too many DNS queries in flight");
		free(q);
		return -1;
	}
	if (build_query(d, q, name, err, errlen) < 0) {
		free(q);
		return -1;
	}
	d->id_used[q->id >> 3] |= (unsigned char)(1u << (q->id & 7));
	d->q[d->nq++] = q;
	q->started = now_ms();
	q->deadline = q->started + d->timeout_ms;
	q->state = Q_UDP;
	send_udp(d, q, q->started);
	return 0;
}

/* ---------- TCP fallback (RFC 7766) ---------- */

static void tcp_failed(struct dns *d, struct dns_query *q, const char *why, int64_t now);

static void start_tcp(struct dns *d, struct dns_query *q, size_t server, int64_t now)
{
	q->tcp_server = server;
	if (d->ntcp >= DNS_TCP_MAX) {
		q->state = Q_TCP_WAIT; /* bounded: started when a connection closes */
		return;
	}
	const struct dns_addr *srv = &d->servers[server];
	int fd = socket(srv->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		q->state = Q_TCP_CONNECT;
		tcp_failed(d, q, strerror(errno), now);
		return;
	}
	q->tcp_fd = fd;
	d->ntcp++;
	q->tcp_done = 0;
	if (connect(fd, (const struct sockaddr *)&srv->sa, srv->salen) == 0) {
		q->state = Q_TCP_SEND;
	} else if (errno == EINPROGRESS) {
		q->state = Q_TCP_CONNECT;
	} else {
		q->state = Q_TCP_CONNECT;
		tcp_failed(d, q, strerror(errno), now);
	}
}

/* Try the next server over TCP, or give up with LOOKUP_ERROR. */
static void tcp_failed(struct dns *d, struct dns_query *q, const char *why, int64_t now)
{
	char detail[sizeof ((struct lookup_answer *)0)->detail];
	size_t failed_server = q->tcp_server;
	close_tcp(d, q);
	q->tcp_tried |= bit(failed_server);
	for (size_t i = 1; i <= d->nservers && now < q->deadline; i++) {
		size_t s = (failed_server + i) % d->nservers;
		if (!(q->tcp_tried & bit(s)) && !(q->failed & bit(s))) {
			start_tcp(d, q, s, now);
			return;
		}
	}
	textf(detail, sizeof detail, "TCP fallback to %s failed for %s: %s",
		 d->servers[failed_server].label, q->want, why);
	finish_status(d, q, LOOKUP_ERROR, -1, d->servers[failed_server].label, detail);
}

/* ---------- parsing a reply ---------- */

enum reply_verdict {
	REPLY_ERROR_RCODE, /* SERVFAIL, REFUSED, ...: maybe another server does better */
	REPLY_FINAL,       /* an answer was built */
};

/* QR set, standard query, and the question is exactly ours (RFC 5452 §9.1). */
static int reply_matches(const struct dns_query *q, const unsigned char *msg, size_t len)
{
	char name[NS_MAXDNAME];
	if (len < DNS_HEADER_LEN || get16(msg) != q->id)
		return 0;
	if (!(msg[2] & DNS_F2_QR) || ((msg[2] >> 3) & 0x0f) != ns_o_query)
		return 0;
	if (get16(msg + 4) != 1)
		return 0;
	int n = dn_expand(msg, msg + len, msg + DNS_HEADER_LEN, name, sizeof name);
	if (n < 0 || len < DNS_HEADER_LEN + (size_t)n + 4)
		return 0;
	const unsigned char *p = msg + DNS_HEADER_LEN + n;
	return get16(p) == ns_t_txt && get16(p + 2) == ns_c_in && name_eq(name, q->qname);
}

/* One TXT RDATA: character-strings (RFC 1035 §3.3.14) joined with nothing between (RFC 6376 §3.6.2.2). */
static int add_txt_rdata(struct lookup_answer *a, const unsigned char *rd, size_t rdlen)
{
	struct buf joined;
	unsigned nstrings = 0;
	int over = 0;
	buf_init(&joined, LOOKUP_RECORD_MAX);
	for (size_t off = 0; off < rdlen;) {
		size_t l = rd[off];
		if (off + 1 + l > rdlen) {
			buf_free(&joined);
			return -1;
		}
		if (!over && buf_append(&joined, rd + off + 1, l) < 0)
			over = 1;
		off += 1 + l;
		nstrings++;
	}
	if (over)
		a->nrecords_dropped++; /* larger than LOOKUP_RECORD_MAX */
	else
		(void)lookup_answer_add(a, joined.data ? joined.data : "", joined.len, nstrings);
	buf_free(&joined);
	return 0;
}

/*
 * Collect the TXT records of the answer section for qname, following CNAMEs
 * that the server included (RFC 1034 §3.6.2: the TXT owner is then the
 * canonical name). Returns the number of TXT RRs seen, or -1 if malformed.
 */
static int collect_txt(ns_msg *h, const char *qname, struct lookup_answer *a, char *why, size_t whylen)
{
	char cur[NS_MAXDNAME], target[NS_MAXDNAME];
	int count = ns_msg_count(*h, ns_s_an);
	snprintf(cur, sizeof cur, "%s", qname);
	for (int hop = 0; hop <= DNS_CNAME_HOPS_MAX; hop++) {
		int seen = 0, have_target = 0;
		for (int i = 0; i < count; i++) {
			ns_rr rr;
			if (ns_parserr(h, ns_s_an, i, &rr) < 0) {
				snprintf(why, whylen, "bad answer record %d", i);
				return -1;
			}
			if (ns_rr_class(rr) != ns_c_in || !name_eq(ns_rr_name(rr), cur))
				continue;
			if (ns_rr_type(rr) == ns_t_txt) {
				if (add_txt_rdata(a, ns_rr_rdata(rr), ns_rr_rdlen(rr)) < 0) {
					snprintf(why, whylen, "bad TXT RDATA");
					return -1;
				}
				if (seen == 0 || ns_rr_ttl(rr) < a->ttl)
					a->ttl = ns_rr_ttl(rr);
				seen++;
			} else if (ns_rr_type(rr) == ns_t_cname && !have_target) {
				if (dn_expand(ns_msg_base(*h), ns_msg_end(*h), ns_rr_rdata(rr), target,
					      sizeof target) < 0) {
					snprintf(why, whylen, "bad CNAME RDATA");
					return -1;
				}
				have_target = 1;
			}
		}
		if (seen || !have_target)
			return seen;
		snprintf(cur, sizeof cur, "%s", target);
	}
	snprintf(why, whylen, "CNAME chain longer than %d", DNS_CNAME_HOPS_MAX);
	return -1;
}

/* Build the answer for a NOERROR/NXDOMAIN reply that matched; REPLY_ERROR_RCODE for other rcodes. */
static enum reply_verdict classify(struct dns_query *q, const unsigned char *msg, size_t len,
				   const char *server, struct lookup_answer **out)
{
	int rcode = msg[3] & 0x0f;
	*out = NULL;
	if (rcode != ns_r_noerror && rcode != ns_r_nxdomain)
		return REPLY_ERROR_RCODE; /* SERVFAIL, REFUSED, FORMERR, NOTIMP...: temporary (§6.1.2) */
	struct lookup_answer *a = new_answer(q);
	if (!a)
		return REPLY_FINAL; /* reported as "out of memory" on delivery */
	*out = a;
	a->rcode = rcode;
	a->ad = (msg[3] & DNS_F3_AD) != 0;
	snprintf(a->server, sizeof a->server, "%s", server);
	ns_msg h;
	char why[64];
	if (ns_initparse(msg, (int)len, &h) < 0) {
		a->status = LOOKUP_ERROR;
		textf(a->detail, sizeof a->detail, "malformed DNS reply from %s for %s", server,
			 q->want);
		return REPLY_FINAL;
	}
	if (rcode == ns_r_nxdomain) {
		a->status = LOOKUP_NXDOMAIN;
		textf(a->detail, sizeof a->detail, "NXDOMAIN: %s does not exist", q->want);
		return REPLY_FINAL;
	}
	int seen = collect_txt(&h, q->qname, a, why, sizeof why);
	if (seen < 0) {
		lookup_answer_clear(a);
		a->status = LOOKUP_ERROR;
		textf(a->detail, sizeof a->detail, "malformed DNS reply from %s for %s: %s", server,
			 q->want, why);
	} else if (seen == 0) {
		a->status = LOOKUP_NODATA;
		textf(a->detail, sizeof a->detail, "%s exists but has no TXT record", q->want);
	} else if (a->nrecords == 0) {
		a->status = LOOKUP_ERROR;
		textf(a->detail, sizeof a->detail, "every TXT record at %s exceeds %d octets", q->want,
			 LOOKUP_RECORD_MAX);
	} else {
		a->status = LOOKUP_OK;
		if (a->nrecords_dropped)
			textf(a->detail, sizeof a->detail, "kept %zu TXT records at %s, dropped %zu",
				 a->nrecords, q->want, a->nrecords_dropped);
	}
	return REPLY_FINAL;
}

/* Server s answered with an error rcode: try the others before giving up (as res_send does). */
static void error_rcode(struct dns *d, struct dns_query *q, size_t s, int rcode, int64_t now)
{
	char detail[sizeof ((struct lookup_answer *)0)->detail];
	unsigned all = bit(d->nservers) - 1;
	q->failed |= bit(s);
	q->fail_rcode = rcode;
	q->fail_server = s;
	if (q->failed == all) {
		textf(detail, sizeof detail, "%s from %s for %s", rcode_word(rcode),
			 d->servers[s].label, q->want);
		finish_status(d, q, LOOKUP_SERVFAIL, rcode, d->servers[s].label, detail);
		return;
	}
	int was_tcp = q->state != Q_UDP;
	close_tcp(d, q);
	q->state = Q_UDP;
	if (was_tcp || ((q->asked | q->failed) & all) != all)
		q->next_send = now; /* a server not yet heard from is left: ask it at once */
}

/* A complete reply from server s for q, over UDP or TCP. */
static void handle_reply(struct dns *d, struct dns_query *q, const unsigned char *msg, size_t len,
			 size_t s, int via_tcp, int64_t now)
{
	if (!reply_matches(q, msg, len)) {
		if (via_tcp) /* our own connection: a mismatch is a broken server, not a spoof */
			tcp_failed(d, q, "reply does not match the query", now);
		return;
	}
	if (!via_tcp && (msg[2] & DNS_F2_TC)) {
		start_tcp(d, q, s, now);
		return;
	}
	struct lookup_answer *a;
	enum reply_verdict v = classify(q, msg, len, d->servers[s].label, &a);
	if (v == REPLY_ERROR_RCODE)
		error_rcode(d, q, s, msg[3] & 0x0f, now);
	else
		finish(d, q, a);
}

/* ---------- the event loop ---------- */

static struct dns_query *find_udp_query(const struct dns *d, unsigned id)
{
	for (size_t i = 0; i < d->nq; i++)
		if (d->q[i]->id == id && d->q[i]->state == Q_UDP)
			return d->q[i];
	return NULL;
}

/* Read every datagram waiting on fd; drop those that do not answer an outstanding query. */
static void drain_udp(struct dns *d, int fd, int64_t now)
{
	for (int burst = 0; burst < DNS_RECV_BURST; burst++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = recvfrom(fd, d->rbuf, DNS_MSG_MAX + 1, MSG_TRUNC, (struct sockaddr *)&from,
				     &fromlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue; /* a reported ICMP error or EINTR: the next datagram may be fine */
		}
		if (n < DNS_HEADER_LEN || n > DNS_MSG_MAX)
			continue;
		struct dns_query *q = find_udp_query(d, get16(d->rbuf));
		if (!q)
			continue;
		int s = server_of(d, &from);
		if (s < 0 || !(q->asked & bit((size_t)s)))
			continue; /* wrong source address or port */
		handle_reply(d, q, d->rbuf, (size_t)n, (size_t)s, 0, now);
	}
}

/* Advance one TCP exchange as far as the socket allows. */
static void tcp_progress(struct dns *d, struct dns_query *q, short revents, int64_t now)
{
	if (q->state == Q_TCP_CONNECT) {
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (getsockopt(q->tcp_fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			tcp_failed(d, q, strerror(soerr), now);
			return;
		}
		q->state = Q_TCP_SEND;
		q->tcp_done = 0;
	}
	if (q->state == Q_TCP_SEND) {
		ssize_t n = send(q->tcp_fd, q->packet + q->tcp_done, q->qlen + 2 - q->tcp_done,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				tcp_failed(d, q, strerror(errno), now);
			return;
		}
		q->tcp_done += (size_t)n;
		if (q->tcp_done < q->qlen + 2)
			return;
		q->state = Q_TCP_RECV;
		q->tcp_done = 0;
		return; /* wait for POLLIN */
	}
	if (q->state != Q_TCP_RECV || !(revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	for (;;) {
		unsigned char *dst;
		size_t want;
		if (!q->tcp_reply) {
			dst = q->tcp_lenbuf + q->tcp_done;
			want = 2 - q->tcp_done;
		} else {
			dst = q->tcp_reply + q->tcp_done;
			want = q->tcp_reply_len - q->tcp_done;
		}
		ssize_t n = recv(q->tcp_fd, dst, want, 0);
		if (n == 0) {
			tcp_failed(d, q, "connection closed before the reply was complete", now);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				tcp_failed(d, q, strerror(errno), now);
			return;
		}
		q->tcp_done += (size_t)n;
		if (!q->tcp_reply) {
			if (q->tcp_done < 2)
				continue;
			size_t len = get16(q->tcp_lenbuf);
			if (len < DNS_HEADER_LEN) {
				tcp_failed(d, q, "reply shorter than a DNS header", now);
				return;
			}
			q->tcp_reply = malloc(len);
			if (!q->tcp_reply) {
				tcp_failed(d, q, "out of memory", now);
				return;
			}
			q->tcp_reply_len = len;
			q->tcp_done = 0;
			continue;
		}
		if (q->tcp_done < q->tcp_reply_len)
			continue;
		/* complete: take the reply out of q before handle_reply may close the connection */
		unsigned char *reply = q->tcp_reply;
		size_t len = q->tcp_reply_len;
		q->tcp_reply = NULL;
		size_t s = q->tcp_server;
		close_tcp(d, q);
		handle_reply(d, q, reply, len, s, 1, now);
		free(reply);
		return;
	}
}

/* Deadlines, retransmissions and waiting TCP fallbacks; returns the next time something is due. */
static int64_t service_timers(struct dns *d, int64_t now)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < d->nq; i++) {
		struct dns_query *q = d->q[i];
		if (q->state == Q_DONE)
			continue;
		if (now >= q->deadline) {
			finish_timeout(d, q);
			continue;
		}
		if (q->state == Q_UDP && now >= q->next_send)
			send_udp(d, q, now);
		if (q->state == Q_TCP_WAIT && d->ntcp < DNS_TCP_MAX)
			start_tcp(d, q, q->tcp_server, now);
		if (q->state == Q_DONE)
			continue;
		if (q->deadline < next)
			next = q->deadline;
		if (q->state == Q_UDP && q->next_send < next)
			next = q->next_send;
	}
	return next;
}

static int grow_pollfds(struct dns *d, size_t need)
{
	if (need <= d->cappfd)
		return 0;
	size_t cap = need < 16 ? 16 : need * 2;
	struct pollfd *p = realloc(d->pfd, cap * sizeof *p);
	if (!p)
		return -1;
	d->pfd = p;
	struct dns_query **pq = realloc(d->pfd_q, cap * sizeof *pq);
	if (!pq)
		return -1;
	d->pfd_q = pq;
	d->cappfd = cap;
	return 0;
}

static void add_pollfd(struct dns *d, size_t *n, int fd, short events, struct dns_query *q)
{
	d->pfd[*n].fd = fd;
	d->pfd[*n].events = events;
	d->pfd[*n].revents = 0;
	d->pfd_q[*n] = q;
	(*n)++;
}

/* Fill d->pfd with the UDP sockets and every open TCP connection; returns the count or -1. */
static long build_pollfds(struct dns *d)
{
	size_t n = 0;
	if (grow_pollfds(d, 2 + d->ntcp) < 0)
		return -1;
	if (d->udp4 >= 0)
		add_pollfd(d, &n, d->udp4, POLLIN, NULL);
	if (d->udp6 >= 0)
		add_pollfd(d, &n, d->udp6, POLLIN, NULL);
	for (size_t i = 0; i < d->nq; i++) {
		struct dns_query *q = d->q[i];
		if (q->tcp_fd < 0)
			continue;
		short ev = q->state == Q_TCP_RECV ? POLLIN : POLLOUT;
		add_pollfd(d, &n, q->tcp_fd, ev, q);
	}
	return (long)n;
}

/* One poll(2) round of at most wait_ms, then handle whatever became ready. */
static void poll_once(struct dns *d, int wait_ms)
{
	long n = build_pollfds(d);
	if (n < 0)
		return;
	int r = poll(d->pfd, (nfds_t)n, wait_ms);
	if (r <= 0)
		return; /* timeout, or EINTR: the caller loops */
	int64_t now = now_ms();
	for (long i = 0; i < n; i++) {
		struct pollfd *p = &d->pfd[i];
		if (!p->revents)
			continue;
		struct dns_query *q = d->pfd_q[i];
		if (!q)
			drain_udp(d, p->fd, now);
		else if (q->tcp_fd == p->fd && q->state >= Q_TCP_CONNECT && q->state <= Q_TCP_RECV)
			tcp_progress(d, q, p->revents, now);
	}
}

/* An answer for a query whose answer could not be allocated. */
static void fill_oom_answer(const struct dns_query *q, struct lookup_answer *a)
{
	memset(a, 0, sizeof *a);
	snprintf(a->name, sizeof a->name, "%s", q->want);
	a->status = LOOKUP_ERROR;
	a->source = LOOKUP_SRC_DNS;
	a->rcode = -1;
	a->fetched = time(NULL);
	textf(a->detail, sizeof a->detail, "out of memory");
}

/*
 * Take finished queries out of the in-flight array first, so a callback may
 * start new queries (which can move the array), then hand each answer over.
 */
static void deliver_finished(struct dns *d, dns_done_fn done, void *cbctx)
{
	struct dns_query *list = NULL, **tail = &list;
	size_t kept = 0;
	for (size_t i = 0; i < d->nq; i++) {
		struct dns_query *q = d->q[i];
		if (q->state != Q_DONE) {
			d->q[kept++] = q;
			continue;
		}
		q->next_done = NULL;
		*tail = q;
		tail = &q->next_done;
	}
	d->nq = kept;
	while (list) {
		struct dns_query *q = list;
		struct lookup_answer oom_answer;
		struct lookup_answer *a = q->ans;
		void *user = q->user;
		list = q->next_done;
		if (!a) {
			fill_oom_answer(q, &oom_answer);
			a = &oom_answer;
		}
		q->ans = NULL;
		free_query(d, q);
		if (done)
			done(user, a, cbctx); /* the callee takes the record texts */
		else
			lookup_answer_clear(a);
		if (a != &oom_answer)
			free(a);
	}
}

static int any_finished(const struct dns *d)
{
	for (size_t i = 0; i < d->nq; i++)
		if (d->q[i]->state == Q_DONE)
			return 1;
	return 0;
}

/*
 * Returns as soon as some query has finished (after delivering every finished
 * one), when none is pending, or after timeout_ms (negative: no limit). Even
 * with timeout_ms 0 the sockets are read once, so batch callers make progress.
 */
size_t dns_poll(struct dns *d, int timeout_ms, dns_done_fn done, void *cbctx)
{
	if (!d)
		return 0;
	int64_t until = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
	for (;;) {
		int64_t now = now_ms();
		int64_t next = service_timers(d, now);
		if (d->nq == 0 || any_finished(d))
			break;
		int64_t wait = (next < until ? next : until) - now;
		if (wait < 0)
			wait = 0;
		if (wait > INT_MAX)
			wait = INT_MAX;
		poll_once(d, (int)wait);
		if (any_finished(d))
			break;
		if (now_ms() >= until) {
			service_timers(d, now_ms()); /* deadlines that fell due while we waited */
			break;
		}
	}
	deliver_finished(d, done, cbctx);
	return d->nq;
}
