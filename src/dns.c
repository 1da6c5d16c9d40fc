/*
 * dns: the DNS key source (see include/dns.h).
 *
 * libresolv reads /etc/resolv.conf (res_ninit on our own struct __res_state,
 * so no global resolver state is touched); dnswire builds and reads the
 * packets; the transport here is ours, because glibc's res_nsend blocks and
 * arcverify wants many keys in flight at once.
 *
 * A query walks a plan of attempts x servers steps (dns_plan). Each step sends
 * the question over the query's own UDP socket connected to that step's
 * server. A reply is accepted from any server asked so far, until the
 * deadline: it must come from that server's address and port (the connected
 * socket, checked again on recvfrom) and repeat the query's id and question
 * (RFC 5452 §9.1). A server that answers SERVFAIL, REFUSED or garbage, or
 * whose port is closed (ECONNREFUSED), is skipped and the next step is taken
 * at once; when every server has failed so, the query ends at once too. A
 * truncated reply is asked again over TCP (RFC 7766 §5-§8) within the same
 * deadline. A CNAME chain the server did not resolve is restarted at its
 * target (RFC 1034 §5.3.3), bounded and loop-checked with dnswire.
 *
 * Nothing here prints, exits or keeps global mutable state.
 */
#include "dns.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define DNS_TCP_MAX 32            /* concurrent TCP fallbacks; more wait for a free slot */
#define DNS_RECV_BURST 64         /* datagrams read per socket per wakeup */
#define DNS_RETRY_SOON_MS 20      /* resend soon when the socket buffer was full or no socket was free */
#define DNS_WAIT_MIN_MS 10        /* no step of a scaled plan is shorter */
#define DNS_STEPS_MAX (DNS_ATTEMPTS_MAX * DNS_SERVERS_MAX)

struct dns_srv {
	struct sockaddr_storage sa;
	socklen_t salen;
	char label[80];                /* "ip:port" or "[ip6]:port", for provenance */
};

enum dns_qstate {
	Q_UDP,          /* sent over UDP, waiting or taking the next step */
	Q_TCP_WAIT,     /* truncated; waiting for a free TCP slot */
	Q_TCP_CONNECT,  /* non-blocking connect in progress */
	Q_TCP_SEND,     /* writing length prefix + query */
	Q_TCP_RECV,     /* reading length prefix, then the reply */
	Q_DONE,         /* answer built, waiting to be delivered */
};

struct dns_query {
	char asking[KEYANS_NAME_MAX];  /* the name in the question: the one asked, or a CNAME target */
	char passed[DNSWIRE_CNAME_MAX][KEYANS_NAME_MAX]; /* names asked before a chase, for loops */
	unsigned npassed;
	unsigned hops;                 /* CNAMEs earlier replies led through */
	uint32_t chain_ttl;            /* smallest TTL of those CNAMEs */
	int has_chain_ttl;
	void *user;                    /* the caller's, returned with the answer */
	struct dnswire_query wq;
	int64_t started, deadline, next_send;
	size_t step;                   /* next plan step */
	size_t start;                  /* the plan's first server for this query (rotate) */
	int udp[DNS_SERVERS_MAX];      /* connected UDP socket per server, -1 until needed */
	unsigned asked;                /* bit per server the current question was sent to */
	unsigned failed;               /* bit per server that failed it (error rcode, garbage, refused) */
	unsigned refused;              /* bit per server that refused the connection */
	int fail_rcode;                /* last error rcode seen, -1 if none */
	unsigned qflags;               /* d->qflags, less DNSWIRE_EDNS0 once a server answered FORMERR */
	size_t fail_server;
	char fail_why[160];            /* last garbage or referral, for messages */
	char last_error[96];           /* last local send error, for the timeout message */
	enum dns_qstate state;
	int tcp_fd;                    /* ours while in a TCP state, else -1 */
	size_t tcp_server;
	unsigned tcp_tried;            /* bit per server tried over TCP */
	size_t tcp_done;               /* octets sent, or received, in the current TCP phase */
	unsigned char tcp_lenbuf[2];
	unsigned char *tcp_reply;      /* owned; DNSWIRE_MSG_MAX at most */
	size_t tcp_reply_len;
	struct keyans *ans;            /* owned until delivered */
};

struct dns {
	struct __res_state res;        /* our own resolver state (res_ninit/res_nclose) */
	int res_ready;
	struct dns_srv servers[DNS_SERVERS_MAX];
	size_t nservers;
	int timeout_ms;                /* total per query */
	unsigned attempts;
	unsigned wait_ms[DNS_SERVERS_MAX]; /* the scaled plan: wait after a send to server i */
	int rotate;                    /* resolv.conf "options rotate" */
	size_t next_start;             /* rotation position */
	unsigned qflags;               /* DNSWIRE_EDNS0 ("options edns0"), DNSWIRE_AD */
	struct dns_query **q;          /* in-flight queries, owned; dynamic array */
	size_t nq, capq;
	size_t ntcp;                   /* open TCP connections */
	struct pollfd *pfd;            /* scratch for poll(2), grown as needed */
	struct dns_query **pfd_q;      /* query behind each pollfd, NULL for the wake fd */
	size_t *pfd_srv;               /* server behind each UDP pollfd */
	size_t cappfd;
	unsigned char *rbuf;           /* one receive buffer of DNSWIRE_MSG_MAX + 1 octets */
	struct keysrc_counters counters;
};

static void tcp_failed(struct dns *d, struct dns_query *q, const char *why, int64_t now);

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

static unsigned all_servers(const struct dns *d)
{
	return bit(d->nservers) - 1;
}

static int in_tcp(const struct dns_query *q)
{
	return q->state >= Q_TCP_WAIT && q->state <= Q_TCP_RECV;
}

/* ---------- the plan ---------- */

void dns_plan(size_t nservers, unsigned attempts, unsigned timeout_s, int total_ms, unsigned wait_ms[])
{
	uint64_t sum = 0, raw[DNS_SERVERS_MAX];
	if (nservers == 0 || nservers > DNS_SERVERS_MAX)
		return;
	attempts = attempts < 1 ? 1 : attempts > DNS_ATTEMPTS_MAX ? DNS_ATTEMPTS_MAX : attempts;
	timeout_s = timeout_s < 1 ? 1 : timeout_s;
	for (size_t i = 0; i < nservers; i++) {
		/* glibc send_dg: seconds = retrans << ns, divided by nscount for ns > 0, at least 1 */
		uint64_t s = (uint64_t)timeout_s << i;
		if (i > 0)
			s /= nservers;
		raw[i] = s ? s : 1;
		sum += raw[i];
	}
	sum *= attempts;
	for (size_t i = 0; i < nservers; i++) {
		uint64_t w = raw[i] * (uint64_t)(total_ms > 0 ? total_ms : 1) / sum;
		wait_ms[i] = w < DNS_WAIT_MIN_MS ? DNS_WAIT_MIN_MS : (unsigned)w;
	}
}

/* ---------- opening ---------- */

/* glibc keeps IPv4 servers in nsaddr_list and IPv6 ones in _u._ext.nsaddrs (res_init.c). */
static void servers_from_resolv_conf(struct dns *d)
{
	for (int i = 0; i < d->res.nscount && i < MAXNS && d->nservers < DNS_SERVERS_MAX; i++) {
		struct dns_srv *out = &d->servers[d->nservers];
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
		dnswire_addr_label((const struct sockaddr *)&out->sa, out->label, sizeof out->label);
		d->nservers++;
	}
}

static int servers_from_opts(struct dns *d, const struct dns_opts *opts, char *err, size_t errlen)
{
	if (opts->nservers > DNS_SERVERS_MAX) {
		snprintf(err, errlen, "too many DNS servers (%zu, at most %d)", opts->nservers, DNS_SERVERS_MAX);
		return -1;
	}
	for (size_t i = 0; i < opts->nservers; i++) {
		struct dns_srv *s = &d->servers[i];
		if (dnswire_server_addr(&opts->servers[i], &s->sa, &s->salen) < 0) {
			snprintf(err, errlen, "bad DNS server address \"%.64s\" port %u", opts->servers[i].ip,
				 (unsigned)opts->servers[i].port);
			return -1;
		}
		dnswire_addr_label((const struct sockaddr *)&s->sa, s->label, sizeof s->label);
	}
	d->nservers = opts->nservers;
	return 0;
}

/* resolv.conf (and RES_OPTIONS): servers unless opts names them, timeout, attempts, rotate, edns0. */
static int configure(struct dns *d, const struct dns_opts *opts, char *err, size_t errlen)
{
	if (res_ninit(&d->res) < 0) {
		snprintf(err, errlen, "cannot initialise the resolver (res_ninit)");
		return -1;
	}
	d->res_ready = 1;
	d->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
	if (opts && opts->nservers > 0) {
		if (servers_from_opts(d, opts, err, errlen) < 0)
			return -1;
	} else {
		servers_from_resolv_conf(d);
		if (d->nservers == 0) {
			snprintf(err, errlen, "no usable nameserver in /etc/resolv.conf");
			return -1;
		}
	}
	d->attempts = d->res.retry > 0 ? (unsigned)d->res.retry : 2;
	d->rotate = (d->res.options & RES_ROTATE) != 0;
	d->qflags = DNSWIRE_AD | ((d->res.options & RES_USE_EDNS0) ? DNSWIRE_EDNS0 : 0);
	dns_plan(d->nservers, d->attempts, d->res.retrans > 0 ? (unsigned)d->res.retrans : 5, d->timeout_ms,
		 d->wait_ms);
	return 0;
}

static void free_query(struct dns *d, struct dns_query *q);

static void dns_destroy(void *impl)
{
	struct dns *d = impl;
	if (!d)
		return;
	for (size_t i = 0; i < d->nq; i++)
		free_query(d, d->q[i]);
	free(d->q);
	if (d->res_ready)
		res_nclose(&d->res);
	free(d->pfd);
	free(d->pfd_q);
	free(d->pfd_srv);
	free(d->rbuf);
	free(d);
}

/* ---------- finishing a query ---------- */

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

static void close_udp(struct dns *d, struct dns_query *q)
{
	for (size_t s = 0; s < d->nservers; s++)
		if (q->udp[s] >= 0) {
			close(q->udp[s]);
			q->udp[s] = -1;
		}
}

static void free_query(struct dns *d, struct dns_query *q)
{
	close_tcp(d, q);
	close_udp(d, q);
	keyans_free(q->ans);
	free(q);
}

/* The answer is complete (status and detail set): stop all I/O and wait for delivery. */
static void finish(struct dns *d, struct dns_query *q)
{
	close_tcp(d, q);
	close_udp(d, q);
	if (q->ans) {
		q->ans->ms = (unsigned)(now_ms() - q->started);
		q->ans->fetched = time(NULL);
	}
	q->state = Q_DONE;
}

/* The servers a query was sent to, "a, b", for messages. */
static void asked_list(const struct dns *d, unsigned mask, char *out, size_t outlen)
{
	struct buf b;
	buf_init(&b, outlen ? outlen - 1 : 0);
	if (mask == 0) /* every send failed: name the servers we tried to reach */
		mask = all_servers(d);
	for (size_t i = 0; i < d->nservers; i++)
		if (mask & bit(i))
			buf_printf(&b, "%s%s", b.len ? ", " : "", d->servers[i].label);
	snprintf(out, outlen, "%s", b.data ? b.data : "");
	buf_free(&b);
}

/* The name being asked, for messages: "x", or "t (CNAME target of x)" after a chase. */
static void asking_text(const struct dns_query *q, char *out, size_t outlen)
{
	if (strcmp(q->asking, q->ans->name) == 0)
		snprintf(out, outlen, "%.230s", q->ans->name);
	else
		snprintf(out, outlen, "%.100s (CNAME target of %.100s)", q->asking, q->ans->name);
}

/* Every server failed, or the time is up after some did: say the most useful thing. */
static int finish_failed(struct dns *d, struct dns_query *q)
{
	char servers[160], name[240];
	struct keyans *a = q->ans;
	const char *srv = d->servers[q->fail_server].label;
	asking_text(q, name, sizeof name);
	if (q->fail_rcode >= 0) { /* a server did answer, with an error: more useful than anything else */
		keyans_fail(a, KEYANS_SERVFAIL, "%s from %s for %s", dnswire_rcode_word(q->fail_rcode), srv, name);
		a->rcode = q->fail_rcode;
	} else if (q->fail_why[0]) {
		keyans_fail(a, KEYANS_ERROR, "%s from %s for %s", q->fail_why, srv, name);
	} else if ((q->refused & all_servers(d)) == all_servers(d)) {
		asked_list(d, q->refused, servers, sizeof servers);
		keyans_fail(a, KEYANS_UNREACHABLE, "connection refused by %s for %s (no DNS server on that port)",
			    servers, name);
	} else {
		return -1;
	}
	snprintf(a->server, sizeof a->server, "%s", srv);
	finish(d, q);
	return 0;
}

static void finish_timeout(struct dns *d, struct dns_query *q)
{
	char servers[160], name[240];
	struct keyans *a = q->ans;
	if (finish_failed(d, q) == 0)
		return;
	unsigned mask = q->asked | q->tcp_tried | (in_tcp(q) ? bit(q->tcp_server) : 0);
	asked_list(d, mask & ~q->refused, servers, sizeof servers);
	asking_text(q, name, sizeof name);
	keyans_fail(a, KEYANS_TIMEOUT, "DNS timeout after %.1f s querying %s%s for %s%s%s%s",
		    (double)(q->deadline - q->started) / 1000.0, servers, in_tcp(q) ? " (TCP)" : "", name,
		    q->refused ? "; refused by others" : "", q->last_error[0] ? "; " : "", q->last_error);
	finish(d, q);
}

static void finish_status(struct dns *d, struct dns_query *q, enum keyans_status st, const char *srv,
			  const char *why)
{
	keyans_fail(q->ans, st, "%s", why);
	snprintf(q->ans->server, sizeof q->ans->server, "%s", srv ? srv : "");
	finish(d, q);
}

/* ---------- sending ---------- */

/* A fresh unpredictable id (RFC 5452 §4.3); each query has its own sockets, so ids need not differ. */
static uint16_t random_id(void)
{
	uint16_t r = 0;
	if (getentropy(&r, sizeof r) < 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint16_t)(ts.tv_nsec ^ (ts.tv_nsec >> 16));
	}
	return r;
}

/*
 * The query's socket to server s, connected so the kernel reports ICMP errors
 * on it. -1 when no socket could be had now (out of descriptors: try again
 * soon), -2 when the server cannot be reached at all (no route, no IPv6).
 */
static int udp_socket(struct dns_query *q, const struct dns_srv *srv, size_t s)
{
	if (q->udp[s] >= 0)
		return q->udp[s];
	int fd = socket(srv->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		snprintf(q->last_error, sizeof q->last_error, "socket: %s", strerror(e));
		if (e == EAFNOSUPPORT)
			snprintf(q->fail_why, sizeof q->fail_why, "no socket for its address family (%s)", strerror(e));
		return e == EAFNOSUPPORT ? -2 : -1;
	}
	if (connect(fd, (const struct sockaddr *)&srv->sa, srv->salen) < 0) {
		snprintf(q->fail_why, sizeof q->fail_why, "cannot connect (%s)", strerror(errno));
		close(fd);
		return -2;
	}
	q->udp[s] = fd;
	return fd;
}

/* The next plan step whose server has not failed; -1 when the plan is used up. */
static int next_step_server(const struct dns *d, struct dns_query *q)
{
	while (q->step < d->attempts * d->nservers) {
		size_t s = (q->start + q->step % d->nservers) % d->nservers;
		q->step++;
		if (!(q->failed & bit(s)))
			return (int)s;
	}
	return -1;
}

static void server_failed(struct dns *d, struct dns_query *q, size_t s, int64_t now);

/* One step: send to its server and schedule the next step after that server's wait. */
static void send_udp(struct dns *d, struct dns_query *q, int64_t now)
{
	int s = next_step_server(d, q);
	if (s < 0) {
		q->next_send = q->deadline; /* the plan is done: only late replies can still come */
		return;
	}
	int fd = udp_socket(q, &d->servers[s], (size_t)s);
	if (fd == -1) {
		q->step--; /* no socket now: the same step again, soon */
		q->next_send = now + DNS_RETRY_SOON_MS;
		return;
	}
	if (fd == -2) {
		q->fail_server = (size_t)s;
		server_failed(d, q, (size_t)s, now);
		return;
	}
	q->next_send = now + d->wait_ms[s];
	if (send(fd, q->wq.msg + 2, q->wq.len, 0) < 0) {
		int e = errno;
		snprintf(q->last_error, sizeof q->last_error, "send to %s: %s", d->servers[s].label, strerror(e));
		if (e == ECONNREFUSED) {
			q->refused |= bit((size_t)s);
			server_failed(d, q, (size_t)s, now);
		} else if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) {
			q->step--;
			q->next_send = now + DNS_RETRY_SOON_MS;
		}
		return;
	}
	d->counters.sent++;
	q->asked |= bit((size_t)s);
}

/* Build the question for name (asked, or a CNAME target) with a fresh id; 0 or -1 with the answer failed. */
static int set_question(struct dns_query *q, const char *name)
{
	char err[200];
	if (dnswire_build_query(name, random_id(), q->qflags, &q->wq, err, sizeof err) < 0) {
		keyans_fail(q->ans, KEYANS_ERROR, "%s", err);
		return -1;
	}
	snprintf(q->asking, sizeof q->asking, "%s", name);
	q->asked = q->failed = q->refused = q->tcp_tried = 0;
	q->fail_rcode = -1;
	q->fail_why[0] = '\0';
	q->step = 0;
	return 0;
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

static struct dns_query *new_query(struct dns *d, const char *name, void *user)
{
	struct dns_query *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->ans = keyans_new(name, KEYANS_SRC_DNS);
	if (!q->ans) {
		free(q);
		return NULL;
	}
	q->user = user;
	q->tcp_fd = -1;
	for (size_t s = 0; s < DNS_SERVERS_MAX; s++)
		q->udp[s] = -1;
	q->start = d->rotate ? d->next_start++ % d->nservers : 0;
	q->qflags = d->qflags;
	return q;
}

/* keysrc request: a query goes out at once; a name that cannot be asked is answered at once. */
static void dns_request(void *impl, const char *name, void *user, keysrc_done_fn done, void *cbctx)
{
	struct dns *d = impl;
	struct dns_query *q = grow_queries(d) == 0 ? new_query(d, name, user) : NULL;
	if (!q) {
		done(cbctx, user, NULL);
		return;
	}
	if (set_question(q, name) < 0) {
		struct keyans *a = q->ans;
		q->ans = NULL;
		free_query(d, q);
		done(cbctx, user, a);
		return;
	}
	d->q[d->nq++] = q;
	q->started = now_ms();
	q->deadline = q->started + d->timeout_ms;
	q->state = Q_UDP;
	send_udp(d, q, q->started);
}

/* ---------- TCP fallback (RFC 7766) ---------- */

static void start_tcp(struct dns *d, struct dns_query *q, size_t server, int64_t now)
{
	q->tcp_server = server;
	if (d->ntcp >= DNS_TCP_MAX) {
		q->state = Q_TCP_WAIT; /* bounded: started when a connection closes */
		return;
	}
	const struct dns_srv *srv = &d->servers[server];
	int fd = socket(srv->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	q->state = Q_TCP_CONNECT;
	if (fd < 0) {
		tcp_failed(d, q, strerror(errno), now);
		return;
	}
	q->tcp_fd = fd;
	d->ntcp++;
	d->counters.tcp++;
	q->tcp_done = 0;
	if (connect(fd, (const struct sockaddr *)&srv->sa, srv->salen) == 0)
		q->state = Q_TCP_SEND;
	else if (errno != EINPROGRESS)
		tcp_failed(d, q, strerror(errno), now);
}

/* Try the next server over TCP, or give up with KEYANS_ERROR. */
static void tcp_failed(struct dns *d, struct dns_query *q, const char *why, int64_t now)
{
	char detail[200];
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
	snprintf(detail, sizeof detail, "TCP fallback to %s failed for %.100s: %.60s", d->servers[failed_server].label,
		 q->ans->name, why);
	finish_status(d, q, KEYANS_ERROR, d->servers[failed_server].label, detail);
}

/* ---------- replies ---------- */

/*
 * Server s failed this question: skip it from now on. When every server has,
 * the query ends now; otherwise the next step is taken at once (as res_send does).
 */
static void server_failed(struct dns *d, struct dns_query *q, size_t s, int64_t now)
{
	q->failed |= bit(s);
	if ((q->failed & all_servers(d)) == all_servers(d) && finish_failed(d, q) == 0)
		return;
	if (in_tcp(q)) {
		close_tcp(d, q);
		q->state = Q_UDP;
	}
	q->next_send = now;
}

/* Ask the question for name afresh over UDP, from the plan's first step (a CNAME target, or the
 * same name without EDNS); the answer fails when the question cannot be built. */
static void ask_again(struct dns *d, struct dns_query *q, const char *name, int64_t now)
{
	close_tcp(d, q);
	q->state = Q_UDP;
	if (set_question(q, name) < 0)
		finish(d, q);
	else
		q->next_send = now;
}

/* The chain ends at target, which the server did not resolve: ask for it (RFC 1034 §5.3.3). */
static void chase(struct dns *d, struct dns_query *q, const struct dnswire_result *res, int64_t now)
{
	char why[200];
	for (unsigned k = 0; k < q->npassed; k++)
		if (strcasecmp(q->passed[k], res->target) == 0) {
			snprintf(why, sizeof why, "CNAME loop: %.80s points back to %.80s", q->asking, res->target);
			finish_status(d, q, KEYANS_ERROR, "", why);
			return;
		}
	if (q->npassed == DNSWIRE_CNAME_MAX || q->hops + res->cnames > DNSWIRE_CNAME_MAX) {
		snprintf(why, sizeof why, "CNAME chain longer than %d (at %.80s)", DNSWIRE_CNAME_MAX, res->target);
		finish_status(d, q, KEYANS_ERROR, "", why);
		return;
	}
	memcpy(q->passed[q->npassed++], q->asking, sizeof q->asking);
	q->hops += res->cnames;
	if (res->has_ttl && (!q->has_chain_ttl || res->ttl < q->chain_ttl)) {
		q->chain_ttl = res->ttl;
		q->has_chain_ttl = 1;
	}
	d->counters.cname_chased++;
	ask_again(d, q, res->target, now);
}

static void got_answer(struct dns *d, struct dns_query *q, size_t s)
{
	struct keyans *a = q->ans;
	snprintf(a->server, sizeof a->server, "%s", d->servers[s].label);
	if (q->has_chain_ttl && a->has_ttl && q->chain_ttl < a->ttl)
		a->ttl = q->chain_ttl; /* the answer is only as fresh as the CNAMEs that led to it */
	finish(d, q);
}

/*
 * FORMERR to a question that carried an OPT record: a server that does not implement EDNS
 * (RFC 6891 §7). The question is asked again without it, from the first step of the plan and
 * within the same deadline; the size of an answer that no longer fits comes back as TC (TCP).
 */
static void retry_without_edns(struct dns *d, struct dns_query *q, int64_t now)
{
	char name[KEYANS_NAME_MAX];
	snprintf(name, sizeof name, "%s", q->asking);
	q->qflags &= ~DNSWIRE_EDNS0;
	d->counters.edns_fallbacks++;
	ask_again(d, q, name, now);   /* name is a copy: the new question is written over q->asking */
}

/* A complete reply from server s for q, over UDP or TCP. */
static void handle_reply(struct dns *d, struct dns_query *q, const unsigned char *msg, size_t len, size_t s,
			 int via_tcp, int64_t now)
{
	struct dnswire_result res;
	if (!dnswire_reply_matches(&q->wq, msg, len)) {
		if (via_tcp) /* our own connection: a mismatch is a broken server, not a spoof */
			tcp_failed(d, q, "reply does not match the query", now);
		return; /* over UDP: a stray or spoofed datagram; keep waiting (RFC 5452 §9.1) */
	}
	dnswire_parse_reply(&q->wq, msg, len, via_tcp, q->hops, q->ans, &res);
	switch (res.kind) {
	case DNSWIRE_ANSWER:
		got_answer(d, q, s);
		break;
	case DNSWIRE_TRUNCATED:
		start_tcp(d, q, s, now);
		break;
	case DNSWIRE_CHASE:
		chase(d, q, &res, now);
		break;
	case DNSWIRE_LOOP:
		finish_status(d, q, KEYANS_ERROR, d->servers[s].label, res.why);
		break;
	case DNSWIRE_SERVER_FAIL:
		if (res.rcode == DNSWIRE_RCODE_FORMERR && (q->qflags & DNSWIRE_EDNS0)) {
			retry_without_edns(d, q, now);
			break;
		}
		if (res.rcode != 0)
			q->fail_rcode = res.rcode;
		else
			snprintf(q->fail_why, sizeof q->fail_why, "%.120s", res.why);
		q->fail_server = s;
		server_failed(d, q, s, now);
		break;
	case DNSWIRE_MALFORMED:
		snprintf(q->fail_why, sizeof q->fail_why, "malformed DNS reply: %.120s", res.why);
		q->fail_server = s;
		server_failed(d, q, s, now);
		break;
	}
}

/* Read what waits on q's socket to server s; a refusal fails that server. */
static void drain_udp(struct dns *d, struct dns_query *q, size_t s, int64_t now)
{
	for (int burst = 0; burst < DNS_RECV_BURST && q->state == Q_UDP && q->udp[s] >= 0; burst++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = recvfrom(q->udp[s], d->rbuf, DNSWIRE_MSG_MAX + 1, MSG_TRUNC, (struct sockaddr *)&from,
				     &fromlen);
		if (n < 0) {
			int e = errno;
			if (e == ECONNREFUSED) {
				/* ICMP port unreachable for what we sent: nobody serves DNS there */
				close(q->udp[s]);
				q->udp[s] = -1;
				q->refused |= bit(s);
				server_failed(d, q, s, now);
			}
			if (e != EINTR)
				return;
			continue;
		}
		if (n > DNSWIRE_MSG_MAX || !dnswire_addr_eq(&from, &d->servers[s].sa))
			continue;
		handle_reply(d, q, d->rbuf, (size_t)n, s, 0, now);
	}
}

/* Connect finished (or failed): start sending. */
static int tcp_connected(struct dns *d, struct dns_query *q, short revents, int64_t now)
{
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
		return -1;
	if (getsockopt(q->tcp_fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr) {
		tcp_failed(d, q, strerror(soerr), now);
		return -1;
	}
	q->state = Q_TCP_SEND;
	q->tcp_done = 0;
	return 0;
}

static void tcp_send(struct dns *d, struct dns_query *q, int64_t now)
{
	ssize_t n = send(q->tcp_fd, q->wq.msg + q->tcp_done, q->wq.len + 2 - q->tcp_done, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			tcp_failed(d, q, strerror(errno), now);
		return;
	}
	q->tcp_done += (size_t)n;
	if (q->tcp_done < q->wq.len + 2)
		return;
	d->counters.sent++;
	q->state = Q_TCP_RECV;
	q->tcp_done = 0;
}

/* The length prefix is complete: make room for the reply. 0, or -1 when the query failed. */
static int tcp_got_length(struct dns *d, struct dns_query *q, int64_t now)
{
	size_t len = (size_t)q->tcp_lenbuf[0] << 8 | q->tcp_lenbuf[1];
	if (len < DNSWIRE_HEADER) {
		tcp_failed(d, q, "reply shorter than a DNS header", now);
		return -1;
	}
	q->tcp_reply = malloc(len);
	if (!q->tcp_reply) {
		tcp_failed(d, q, "out of memory", now);
		return -1;
	}
	q->tcp_reply_len = len;
	q->tcp_done = 0;
	return 0;
}

/* Read the length prefix, then the reply, as far as the socket allows. */
static void tcp_recv(struct dns *d, struct dns_query *q, int64_t now)
{
	for (;;) {
		unsigned char *dst = q->tcp_reply ? q->tcp_reply + q->tcp_done : q->tcp_lenbuf + q->tcp_done;
		size_t want = q->tcp_reply ? q->tcp_reply_len - q->tcp_done : 2 - q->tcp_done;
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
			if (q->tcp_done == 2 && tcp_got_length(d, q, now) < 0)
				return;
			continue;
		}
		if (q->tcp_done < q->tcp_reply_len)
			continue;
		/* complete: take the reply out of q before handle_reply may close the connection */
		unsigned char *reply = q->tcp_reply;
		size_t len = q->tcp_reply_len, s = q->tcp_server;
		q->tcp_reply = NULL;
		close_tcp(d, q);
		handle_reply(d, q, reply, len, s, 1, now);
		free(reply);
		return;
	}
}

static void tcp_progress(struct dns *d, struct dns_query *q, short revents, int64_t now)
{
	if (q->state == Q_TCP_CONNECT && tcp_connected(d, q, revents, now) < 0)
		return;
	if (q->state == Q_TCP_SEND) {
		tcp_send(d, q, now);
		return; /* wait for POLLIN */
	}
	if (q->state == Q_TCP_RECV && (revents & (POLLIN | POLLERR | POLLHUP)))
		tcp_recv(d, q, now);
}

/* ---------- the event loop ---------- */

/* Deadlines, plan steps and waiting TCP fallbacks; returns the next time something is due. */
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
		while (q->state == Q_UDP && now >= q->next_send && q->next_send < q->deadline)
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
	size_t *ps = realloc(d->pfd_srv, cap * sizeof *ps);
	if (!ps)
		return -1;
	d->pfd_srv = ps;
	d->cappfd = cap;
	return 0;
}

static void add_pollfd(struct dns *d, size_t *n, int fd, short events, struct dns_query *q, size_t s)
{
	d->pfd[*n] = (struct pollfd){ .fd = fd, .events = events };
	d->pfd_q[*n] = q;
	d->pfd_srv[*n] = s;
	(*n)++;
}

/* Fill d->pfd with the wake fd and every open socket; returns the count or -1. */
static long build_pollfds(struct dns *d, int wake_fd)
{
	size_t n = 0;
	if (grow_pollfds(d, 1 + d->nq * (d->nservers + 1)) < 0)
		return -1;
	if (wake_fd >= 0)
		add_pollfd(d, &n, wake_fd, POLLIN, NULL, 0);
	for (size_t i = 0; i < d->nq; i++) {
		struct dns_query *q = d->q[i];
		if (q->state == Q_UDP)
			for (size_t s = 0; s < d->nservers; s++)
				if (q->udp[s] >= 0)
					add_pollfd(d, &n, q->udp[s], POLLIN, q, s);
		if (q->tcp_fd >= 0)
			add_pollfd(d, &n, q->tcp_fd, q->state == Q_TCP_RECV ? POLLIN : POLLOUT, q, q->tcp_server);
	}
	return (long)n;
}

/* One poll(2) round of at most wait_ms, then handle whatever became ready; 1 when wake_fd woke us. */
static int poll_once(struct dns *d, int wait_ms, int wake_fd)
{
	long n = build_pollfds(d, wake_fd);
	int woke = 0;
	if (n < 0 || poll(d->pfd, (nfds_t)n, wait_ms) <= 0)
		return 0; /* timeout, EINTR or no memory: the caller loops */
	int64_t now = now_ms();
	for (long i = 0; i < n; i++) {
		struct pollfd *p = &d->pfd[i];
		struct dns_query *q = d->pfd_q[i];
		if (!p->revents)
			continue;
		if (!q)
			woke = 1;
		else if (q->tcp_fd == p->fd && in_tcp(q))
			tcp_progress(d, q, p->revents, now);
		else if (q->state == Q_UDP && q->udp[d->pfd_srv[i]] == p->fd)
			drain_udp(d, q, d->pfd_srv[i], now);
	}
	return woke;
}

/* Take finished queries out of the in-flight array first (done may start new ones), then hand them over. */
static void deliver_finished(struct dns *d, keysrc_done_fn done, void *cbctx)
{
	struct dns_query *list[64];
	size_t kept = 0, nlist = 0;
	for (size_t i = 0; i < d->nq; i++) {
		struct dns_query *q = d->q[i];
		if (q->state == Q_DONE && nlist < sizeof list / sizeof list[0])
			list[nlist++] = q;
		else
			d->q[kept++] = q;
	}
	d->nq = kept;
	for (size_t i = 0; i < nlist; i++) {
		struct keyans *a = list[i]->ans;
		void *user = list[i]->user;
		list[i]->ans = NULL;
		free_query(d, list[i]);
		done(cbctx, user, a); /* the callee owns the answer */
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
 * Returns as soon as some query has finished (after delivering the finished
 * ones), when wake_fd is readable, or after timeout_ms (negative: no limit).
 */
static size_t dns_poll(void *impl, int timeout_ms, int wake_fd, keysrc_done_fn done, void *cbctx)
{
	struct dns *d = impl;
	int64_t until = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
	for (;;) {
		int64_t now = now_ms();
		int64_t next = service_timers(d, now);
		if (any_finished(d) || (d->nq == 0 && wake_fd < 0))
			break;
		int64_t wait = (next < until ? next : until) - now;
		wait = wait < 0 ? 0 : wait > INT_MAX ? INT_MAX : wait;
		if (poll_once(d, (int)wait, wake_fd) || any_finished(d))
			break;
		if (now_ms() >= until) {
			service_timers(d, now_ms()); /* deadlines that fell due while we waited */
			break;
		}
	}
	deliver_finished(d, done, cbctx);
	return d->nq;
}

static void dns_counters(const void *impl, struct keysrc_counters *out)
{
	const struct dns *d = impl;
	*out = d->counters;
}

static const struct keysrc_ops dns_ops = {
	.async = 1, .request = dns_request, .poll = dns_poll, .counters = dns_counters, .destroy = dns_destroy,
};

struct keysrc *dns_source_new(const struct dns_opts *opts, char *err, size_t errlen)
{
	struct dns *d = calloc(1, sizeof *d);
	if (!d || !(d->rbuf = malloc(DNSWIRE_MSG_MAX + 1))) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (configure(d, opts, err, errlen) < 0) {
		dns_destroy(d);
		return NULL;
	}
	struct keysrc *s = keysrc_new(&dns_ops, d);
	if (!s)
		snprintf(err, errlen, "out of memory");
	return s;
}
