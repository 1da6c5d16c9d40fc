/*
 * dnsserver: the test DNS server (see dnsserver.h). Its wire code is its own,
 * deliberately not src/dnswire.c: a bug shared by client and server would
 * otherwise go unseen.
 */
#include "dnsserver.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX 64
#define UDP_BURST 64
#define MSG_MAX 65535
#define CHAIN_MAX 8                /* CNAMEs followed inside the zone, as a resolver would */
#define T_A 1
#define T_CNAME 5
#define T_SOA 6
#define T_TXT 16
#define T_OPT 41

/* ---------- messages being written ---------- */

struct wmsg {
	unsigned char b[MSG_MAX];
	size_t n;
	int over;                      /* something did not fit */
};

static void w_bytes(struct wmsg *w, const void *p, size_t len)
{
	if (w->over || len > sizeof w->b - w->n) {
		w->over = 1;
		return;
	}
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void w8(struct wmsg *w, unsigned v)
{
	unsigned char c = (unsigned char)v;
	w_bytes(w, &c, 1);
}

static void w16(struct wmsg *w, unsigned v)
{
	w8(w, v >> 8);
	w8(w, v & 0xff);
}

static void w32(struct wmsg *w, uint32_t v)
{
	w16(w, v >> 16);
	w16(w, v & 0xffff);
}

static void put16_at(struct wmsg *w, size_t off, unsigned v)
{
	if (off + 2 <= w->n) {
		w->b[off] = (unsigned char)(v >> 8);
		w->b[off + 1] = (unsigned char)v;
	}
}

/* A dotted name, uncompressed; "" is the root. */
static void w_name(struct wmsg *w, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
		w8(w, (unsigned)(l > 63 ? 63 : l));
		w_bytes(w, dotted, l > 63 ? 63 : l);
		dotted += l + (dot ? 1 : 0);
	}
	w8(w, 0);
}

/* ---------- the query ---------- */

struct question {
	uint16_t id;
	unsigned char f2, f3;
	char name[256];                /* lower case, dotted */
	unsigned qtype, qclass;
	size_t qend;                   /* offset just past the question */
	unsigned edns;                 /* UDP payload the OPT record offers, 0 without EDNS */
	int has_opt;                   /* the query carried an OPT record */
	int tcp;
};

/* The question (uncompressed, as queries are) and an OPT record if there is one; 0 or -1. */
static int parse_query(const unsigned char *q, size_t len, struct question *out)
{
	size_t off = 12, n = 0;
	memset(out, 0, sizeof *out);
	if (len < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
		return -1;
	while (off < len && q[off] != 0) {
		size_t l = q[off];
		if ((l & 0xc0) || off + 1 + l >= len || n + l + 2 > sizeof out->name)
			return -1;
		if (n)
			out->name[n++] = '.';
		for (size_t k = 0; k < l; k++)
			out->name[n++] = (char)tolower(q[off + 1 + k]);
		off += 1 + l;
	}
	if (off + 5 > len)
		return -1;
	out->qtype = (unsigned)q[off + 1] << 8 | q[off + 2];
	out->qclass = (unsigned)q[off + 3] << 8 | q[off + 4];
	out->qend = off + 5;
	out->id = (uint16_t)(q[0] << 8 | q[1]);
	out->f2 = q[2];
	out->f3 = q[3];
	if ((q[10] || q[11]) && out->qend + 11 <= len && q[out->qend] == 0 &&
	    ((unsigned)q[out->qend + 1] << 8 | q[out->qend + 2]) == T_OPT) {
		out->has_opt = 1;
		out->edns = (unsigned)q[out->qend + 3] << 8 | q[out->qend + 4];
	}
	return 0;
}

/* Header and question of a reply; the counts are patched once known. */
static void w_header(struct wmsg *w, const unsigned char *query, const struct question *qs, int rcode, int tc)
{
	w->n = 0;
	w->over = 0;
	w16(w, qs->id);
	w8(w, 0x80 | 0x04 | (qs->f2 & 0x01) | (tc ? 0x02 : 0)); /* QR, AA, RD copied, TC */
	w8(w, 0x80 | (qs->f3 & 0x20) | (unsigned)(rcode & 0x0f)); /* RA, AD as asked: we "validate" */
	w16(w, 1);
	w16(w, 0);
	w16(w, 0);
	w16(w, 0);
	w_bytes(w, query + 12, qs->qend - 12);
}

static void set_counts(struct wmsg *w, unsigned an, unsigned ns, unsigned ar)
{
	put16_at(w, 6, an);
	put16_at(w, 8, ns);
	put16_at(w, 10, ar);
}

/* RR header: the owner is the question (a pointer to offset 12) or written out. */
static void w_rr_head(struct wmsg *w, const struct question *qs, const char *owner, unsigned type, uint32_t ttl)
{
	if (strcmp(owner, qs->name) == 0)
		w16(w, 0xc00c);
	else
		w_name(w, owner);
	w16(w, type);
	w16(w, 1);
	w32(w, ttl);
}

/* TXT RDATA from strings with their lengths; a string over 255 octets is split (RFC 1035 §3.3). */
static void w_txt_rdata(struct wmsg *w, const char *text, const size_t *lens, unsigned nstrings)
{
	size_t rdlen_at = w->n, off = 0;
	w16(w, 0);
	for (unsigned i = 0; i < nstrings; i++) {
		size_t l = lens[i], done = 0;
		do {
			size_t chunk = l - done > 255 ? 255 : l - done;
			w8(w, (unsigned)chunk);
			w_bytes(w, text + off + done, chunk);
			done += chunk;
		} while (done < l);
		off += l;
	}
	if (nstrings == 0)
		w8(w, 0);
	put16_at(w, rdlen_at, (unsigned)(w->n - rdlen_at - 2));
}

static void w_txt_rr(struct wmsg *w, const struct question *qs, const char *owner, const char *text, uint32_t ttl)
{
	size_t len = strlen(text);
	w_rr_head(w, qs, owner, T_TXT, ttl);
	w_txt_rdata(w, text, &len, 1);
}

static void w_cname_rr(struct wmsg *w, const struct question *qs, const char *owner, const char *target,
		       uint32_t ttl)
{
	w_rr_head(w, qs, owner, T_CNAME, ttl);
	size_t at = w->n;
	w16(w, 0);
	w_name(w, target);
	put16_at(w, at, (unsigned)(w->n - at - 2));
}

/* ---------- answers from the zone ---------- */

struct walk {
	struct wmsg *w;
	const struct question *qs;
	unsigned ntxt, nother, count;  /* records seen at the name; RRs written */
	char cname[256];               /* the name's CNAME target, "" if none */
	uint32_t cname_ttl;
	int write;                     /* 0: only look, 1: write the TXT records */
};

static int walk_record(void *ctx, const struct zone_record *r)
{
	struct walk *k = ctx;
	if (r->type == ZONE_CNAME) {
		snprintf(k->cname, sizeof k->cname, "%s", r->text);
		k->cname_ttl = r->ttl;
	} else if (r->type == ZONE_TXT) {
		k->ntxt++;
		if (k->write) {
			w_rr_head(k->w, k->qs, r->name, T_TXT, r->ttl);
			w_txt_rdata(k->w, r->text, r->lens, r->nstrings);
			k->count++;
		}
	} else {
		k->nother++;
	}
	return 0;
}

/* The SOA closest above name, as RFC 2308 §3 puts it in a negative answer; 1 when one was written. */
struct soa_find {
	struct wmsg *w;
	const struct question *qs;
	int found;
};

static int soa_record(void *ctx, const struct zone_record *r)
{
	struct soa_find *f = ctx;
	char word[7][256];
	size_t off = 0;
	if (r->type != ZONE_SOA || r->nstrings != 7 || f->found)
		return 0;
	for (unsigned i = 0; i < 7; i++) {
		size_t l = r->lens[i] < 255 ? r->lens[i] : 255;
		memcpy(word[i], r->text + off, l);
		word[i][l] = '\0';
		if (l && word[i][l - 1] == '.')
			word[i][l - 1] = '\0';
		off += r->lens[i];
	}
	w_rr_head(f->w, f->qs, r->name, T_SOA, r->ttl);
	size_t at = f->w->n;
	w16(f->w, 0);
	w_name(f->w, word[0]);
	w_name(f->w, word[1]);
	for (int i = 2; i < 7; i++)
		w32(f->w, (uint32_t)strtoul(word[i], NULL, 10));
	put16_at(f->w, at, (unsigned)(f->w->n - at - 2));
	f->found = 1;
	return 0;
}

static int w_soa(struct wmsg *w, const struct question *qs, const struct zone *z, const char *name)
{
	struct soa_find f = { w, qs, 0 };
	for (const char *p = name; z && !f.found;) {
		zone_find(z, p, soa_record, &f);
		const char *dot = strchr(p, '.');
		if (!dot)
			break;
		p = dot + 1;
	}
	return f.found;
}

/* The zone's answer: CNAMEs followed, then TXT at the end, or NXDOMAIN/NODATA with the SOA. */
static void zone_reply(struct wmsg *w, const unsigned char *query, const struct question *qs, const struct zone *z)
{
	char cur[256];
	unsigned an = 0;
	struct walk k = { .w = w, .qs = qs };
	snprintf(cur, sizeof cur, "%s", qs->name);
	w_header(w, query, qs, 0, 0);
	for (int hops = 0; z; hops++) {
		memset(&k, 0, sizeof k);
		k.w = w;
		k.qs = qs;
		zone_find(z, cur, walk_record, &k);
		if (!k.cname[0] || hops == CHAIN_MAX)
			break;
		w_cname_rr(w, qs, cur, k.cname, k.cname_ttl);
		an++;
		snprintf(cur, sizeof cur, "%s", k.cname);
	}
	if (k.ntxt && qs->qtype == T_TXT) {
		k.write = 1;
		k.count = 0;
		zone_find(z, cur, walk_record, &k);
		an += k.count;
	}
	int exists = k.ntxt || k.nother || k.cname[0];
	unsigned ns = 0;
	if (k.count == 0) /* NXDOMAIN or NODATA at the end of the chain: the SOA gives the negative TTL */
		ns = (unsigned)w_soa(w, qs, z, cur);
	if (!exists)
		w->b[3] = (unsigned char)((w->b[3] & 0xf0) | 3); /* NXDOMAIN, for the last name of the chain */
	set_counts(w, an, ns, 0);
}

/* ---------- faults ---------- */

static const struct dnsserver_fault *fault_for(const struct dnsserver_config *c, const char *name)
{
	for (size_t i = 0; i < c->nfaults; i++)
		if (strcmp(c->faults[i].name, name) == 0 || strcmp(c->faults[i].name, "*") == 0)
			return &c->faults[i];
	return NULL;
}

int dnsserver_parse_fault(const char *spec, struct dnsserver_fault *out, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		enum dnsserver_fault_kind kind;
	} kinds[] = {
		{ "drop", DNSSERVER_DROP }, { "servfail", DNSSERVER_SERVFAIL }, { "refused", DNSSERVER_REFUSED },
		{ "truncate", DNSSERVER_TRUNCATE }, { "wrongid", DNSSERVER_WRONG_ID },
		{ "wrongname", DNSSERVER_WRONG_NAME }, { "wrongport", DNSSERVER_WRONG_PORT },
		{ "garbage", DNSSERVER_GARBAGE }, { "oversized", DNSSERVER_OVERSIZED },
		{ "cnameloop", DNSSERVER_CNAME_LOOP }, { "cname", DNSSERVER_CNAME_TO }, { "delay", DNSSERVER_DELAY },
		{ "tcpclose", DNSSERVER_TCP_CLOSE }, { "noedns", DNSSERVER_NO_EDNS },
	};
	const char *eq = strchr(spec, '=');
	memset(out, 0, sizeof *out);
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof out->name) {
		snprintf(err, errlen, "fault '%s': want NAME=KIND", spec);
		return -1;
	}
	for (size_t i = 0; i < (size_t)(eq - spec); i++)
		out->name[i] = (char)tolower((unsigned char)spec[i]);
	size_t n = strlen(out->name);
	if (n > 1 && out->name[n - 1] == '.')
		out->name[n - 1] = '\0';
	const char *kind = eq + 1, *colon = strchr(kind, ':');
	size_t klen = colon ? (size_t)(colon - kind) : strlen(kind);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (strlen(kinds[k].word) != klen || strncmp(kinds[k].word, kind, klen) != 0)
			continue;
		out->kind = kinds[k].kind;
		int needs = out->kind == DNSSERVER_DELAY || out->kind == DNSSERVER_CNAME_TO;
		if (needs != (colon != NULL) || (colon && !colon[1])) {
			snprintf(err, errlen, "fault '%s': %s %s an argument", spec, kinds[k].word, needs ? "needs" : "takes no");
			return -1;
		}
		if (out->kind == DNSSERVER_DELAY)
			out->ms = (unsigned)strtoul(colon + 1, NULL, 10);
		if (out->kind == DNSSERVER_CNAME_TO)
			snprintf(out->target, sizeof out->target, "%s", colon + 1);
		return 0;
	}
	snprintf(err, errlen, "fault '%s': unknown kind (drop servfail refused truncate wrongid wrongname "
			      "wrongport garbage oversized cnameloop cname:TARGET delay:MS tcpclose noedns)", spec);
	return -1;
}

/* A reply carrying DNSSERVER_SPOOFED, for the faults that send one before the answer. */
static void spoof_reply(struct wmsg *w, const unsigned char *query, const struct question *qs,
			enum dnsserver_fault_kind kind)
{
	w_header(w, query, qs, 0, 0);
	w_txt_rr(w, qs, qs->name, DNSSERVER_SPOOFED, 300);
	set_counts(w, 1, 0, 0);
	if (kind == DNSSERVER_WRONG_ID)
		put16_at(w, 0, qs->id ^ 0x5a5au);
	if (kind == DNSSERVER_WRONG_NAME && w->n > 13) /* first letter of the question: another name */
		w->b[13] = (unsigned char)(w->b[13] == 'x' ? 'y' : 'x');
}

/* A 20000-octet record and 20 small ones: over both bounds a client keeps (size, count). */
static void oversized_reply(struct wmsg *w, const unsigned char *query, const struct question *qs)
{
	char small[32], *big = malloc(20000);
	size_t lens[80];
	w_header(w, query, qs, 0, 0);
	if (!big) {
		w->over = 1;
		return;
	}
	memset(big, 'o', 20000);
	for (int i = 0; i < 80; i++)
		lens[i] = 250;
	w_rr_head(w, qs, qs->name, T_TXT, 300);
	w_txt_rdata(w, big, lens, 80);
	free(big);
	for (int i = 0; i < 20; i++) {
		snprintf(small, sizeof small, "filler %d", i);
		w_txt_rr(w, qs, qs->name, small, 300);
	}
	set_counts(w, 21, 0, 0);
}

/* The reply for a question, faults applied; 0 when there is none to send. */
static int build_reply(struct wmsg *w, const unsigned char *query, const struct question *qs,
		       const struct dnsserver_config *c, const struct dnsserver_fault *f)
{
	char loop[300];
	if (!f) {
		zone_reply(w, query, qs, c->zone);
		return 1;
	}
	switch (f->kind) {
	case DNSSERVER_DROP:
		return 0;
	case DNSSERVER_SERVFAIL:
	case DNSSERVER_REFUSED:
		w_header(w, query, qs, f->kind == DNSSERVER_SERVFAIL ? 2 : 5, 0);
		return 1;
	case DNSSERVER_TCP_CLOSE: /* over UDP it is truncated, so the client comes over TCP */
	case DNSSERVER_TRUNCATE:
		if (qs->tcp && f->kind == DNSSERVER_TCP_CLOSE)
			return 0;
		if (qs->tcp)
			zone_reply(w, query, qs, c->zone);
		else
			w_header(w, query, qs, 0, 1);
		return 1;
	case DNSSERVER_GARBAGE:
		w_header(w, query, qs, 0, 0);
		w16(w, 0xc00c);
		w16(w, T_TXT); /* then nothing: class, TTL and RDATA are missing */
		set_counts(w, 1, 0, 0);
		return 1;
	case DNSSERVER_OVERSIZED:
		oversized_reply(w, query, qs);
		return 1;
	case DNSSERVER_CNAME_LOOP:
		snprintf(loop, sizeof loop, "loop.%.250s", qs->name);
		w_header(w, query, qs, 0, 0);
		w_cname_rr(w, qs, qs->name, loop, 300);
		w_cname_rr(w, qs, loop, qs->name, 300);
		set_counts(w, 2, 0, 0);
		return 1;
	case DNSSERVER_NO_EDNS:
		if (qs->has_opt) {
			w_header(w, query, qs, 1, 0);   /* FORMERR, question echoed, no OPT */
			return 1;
		}
		zone_reply(w, query, qs, c->zone);
		return 1;
	case DNSSERVER_CNAME_TO:
		w_header(w, query, qs, 0, 0);
		w_cname_rr(w, qs, qs->name, f->target, 300);
		set_counts(w, 1, 0, 0);
		return 1;
	default: /* delay and the spoofs: the real answer follows */
		zone_reply(w, query, qs, c->zone);
		return 1;
	}
}

/* Over UDP, an answer larger than the client can take is cut to header and question with TC. */
static void fit_udp(struct wmsg *w, const unsigned char *query, const struct question *qs)
{
	size_t limit = qs->edns > 512 ? (qs->edns > 4096 ? 4096 : qs->edns) : 512;
	if (w->n > limit || w->over) {
		int rcode = w->b[3] & 0x0f;
		w_header(w, query, qs, rcode, 1);
	}
}

/* ---------- the server ---------- */

struct conn {
	int fd;                        /* -1: free slot */
	unsigned long id;              /* replies name the connection by id, never by a reusable fd */
	unsigned char buf[2 + MSG_MAX];
	size_t have;
};

struct pending {
	int64_t due;
	int tcp;
	struct sockaddr_in to;         /* UDP */
	unsigned long conn;            /* TCP */
	unsigned char *msg;            /* ours */
	size_t len;
};

struct server {
	const struct dnsserver_config *c;
	struct dnsserver_stats *st;
	struct conn conns[CONNS_MAX];
	unsigned long next_conn;
	struct pending *p;
	size_t np, capp;
	struct wmsg w;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void queue_reply(struct server *s, const struct question *qs, const struct sockaddr_in *to,
			unsigned long conn, unsigned delay)
{
	if (s->np == s->capp) {
		size_t cap = s->capp ? s->capp * 2 : 64;
		struct pending *p = realloc(s->p, cap * sizeof *p);
		if (!p)
			return;
		s->p = p;
		s->capp = cap;
	}
	struct pending *p = &s->p[s->np];
	if (!(p->msg = malloc(s->w.n)))
		return;
	memcpy(p->msg, s->w.b, s->w.n);
	p->len = s->w.n;
	p->due = now_ms() + delay;
	p->tcp = qs->tcp;
	if (to)
		p->to = *to;
	p->conn = conn;
	s->np++;
	if (++s->st->pending > s->st->max_pending)
		s->st->max_pending = s->st->pending;
}

static struct conn *conn_by_id(struct server *s, unsigned long id)
{
	for (size_t i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd >= 0 && s->conns[i].id == id)
			return &s->conns[i];
	return NULL;
}

static void close_conn(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->have = 0;
}

static void send_pending(struct server *s, const struct pending *p)
{
	if (!p->tcp) {
		sendto(s->c->udp, p->msg, p->len, 0, (const struct sockaddr *)&p->to, sizeof p->to);
	} else {
		struct conn *c = conn_by_id(s, p->conn);
		unsigned char pre[2] = { (unsigned char)(p->len >> 8), (unsigned char)p->len };
		if (c && (send(c->fd, pre, 2, MSG_NOSIGNAL) != 2 ||
			  send(c->fd, p->msg, p->len, MSG_NOSIGNAL) != (ssize_t)p->len))
			close_conn(c);
	}
	s->st->answers++;
}

/* Send what is due; returns the ms until the next one (or 200 so *stop is looked at). */
static int flush_due(struct server *s)
{
	int64_t now = now_ms(), next = now + 200;
	for (size_t i = 0; i < s->np;) {
		if (s->p[i].due <= now) {
			send_pending(s, &s->p[i]);
			free(s->p[i].msg);
			s->p[i] = s->p[--s->np];
			s->st->pending--;
			continue;
		}
		if (s->p[i].due < next)
			next = s->p[i].due;
		i++;
	}
	return (int)(next - now);
}

/* One query, from UDP (to set) or from a TCP connection. */
static void handle_query(struct server *s, const unsigned char *q, size_t len, const struct sockaddr_in *to,
			 struct conn *conn)
{
	struct question qs;
	if (parse_query(q, len, &qs) < 0)
		return;
	qs.tcp = conn != NULL;
	if (qs.tcp)
		s->st->tcp_queries++;
	else
		s->st->udp_queries++;
	const struct dnsserver_fault *f = fault_for(s->c, qs.name);
	if (f && f->kind == DNSSERVER_TCP_CLOSE && conn) {
		close_conn(conn);
		return;
	}
	if (f && !qs.tcp && (f->kind == DNSSERVER_WRONG_ID || f->kind == DNSSERVER_WRONG_NAME ||
			     f->kind == DNSSERVER_WRONG_PORT)) {
		spoof_reply(&s->w, q, &qs, f->kind);
		int fd = f->kind == DNSSERVER_WRONG_PORT && s->c->alt >= 0 ? s->c->alt : s->c->udp;
		sendto(fd, s->w.b, s->w.n, 0, (const struct sockaddr *)to, sizeof *to);
	}
	if (!build_reply(&s->w, q, &qs, s->c, f)) {
		s->st->dropped++;
		return;
	}
	if (!qs.tcp)
		fit_udp(&s->w, q, &qs);
	queue_reply(s, &qs, to, conn ? conn->id : 0, f && f->kind == DNSSERVER_DELAY ? f->ms : s->c->delay_ms);
}

static void read_udp(struct server *s)
{
	unsigned char q[4096];
	for (int i = 0; i < UDP_BURST; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s->c->udp, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			return;
		handle_query(s, q, (size_t)n, &from, NULL);
	}
}

static void accept_conn(struct server *s)
{
	int fd = accept(s->c->tcp, NULL, NULL);
	if (fd < 0)
		return;
	for (size_t i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd < 0) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			s->conns[i].fd = fd;
			s->conns[i].id = ++s->next_conn;
			s->conns[i].have = 0;
			return;
		}
	close(fd); /* full: the client sees the connection close */
}

/* Read what the connection has; each complete length-prefixed query is handled (RFC 1035 §4.2.2). */
static void read_conn(struct server *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			close_conn(c);
		return;
	}
	c->have += (size_t)n;
	while (c->fd >= 0 && c->have >= 2) {
		size_t len = (size_t)c->buf[0] << 8 | c->buf[1];
		if (c->have < 2 + len)
			return;
		handle_query(s, c->buf + 2, len, NULL, c);
		if (c->fd < 0)
			return;
		memmove(c->buf, c->buf + 2 + len, c->have - 2 - len);
		c->have -= 2 + len;
	}
}

static size_t fill_pollfds(struct server *s, struct pollfd *pfd, struct conn **who)
{
	size_t n = 0;
	pfd[n] = (struct pollfd){ .fd = s->c->udp, .events = POLLIN };
	who[n++] = NULL;
	pfd[n] = (struct pollfd){ .fd = s->c->tcp, .events = POLLIN };
	who[n++] = NULL;
	for (size_t i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = s->conns[i].fd, .events = POLLIN };
			who[n++] = &s->conns[i];
		}
	return n;
}

int dnsserver_run(const struct dnsserver_config *c, struct dnsserver_stats *st, volatile sig_atomic_t *stop)
{
	struct server *s = calloc(1, sizeof *s);
	struct pollfd pfd[2 + CONNS_MAX];
	struct conn *who[2 + CONNS_MAX];
	int rc = 0;
	if (!s)
		return -1;
	s->c = c;
	s->st = st;
	for (size_t i = 0; i < CONNS_MAX; i++)
		s->conns[i].fd = -1;
	while (!stop || !*stop) {
		int wait = flush_due(s);
		size_t n = fill_pollfds(s, pfd, who);
		if (poll(pfd, (nfds_t)n, wait) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (pfd[0].revents & POLLIN)
			read_udp(s);
		if (pfd[1].revents & POLLIN)
			accept_conn(s);
		for (size_t i = 2; i < n; i++)
			if (pfd[i].revents && who[i]->fd == pfd[i].fd)
				read_conn(s, who[i]);
	}
	for (size_t i = 0; i < s->np; i++)
		free(s->p[i].msg);
	for (size_t i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd >= 0)
			close(s->conns[i].fd);
	free(s->p);
	free(s);
	return rc;
}

int dnsserver_bind(unsigned short port, int *udp, int *tcp, unsigned short *bound)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		int one = 1;
		*udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		*tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (*udp >= 0 && *tcp >= 0 && setsockopt(*tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
		    bind(*udp, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    getsockname(*udp, (struct sockaddr *)&sa, &sl) == 0 &&
		    bind(*tcp, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(*tcp, 64) == 0) {
			*bound = ntohs(sa.sin_port);
			return 0;
		}
		if (*udp >= 0)
			close(*udp);
		if (*tcp >= 0)
			close(*tcp);
		*udp = *tcp = -1;
		if (port != 0)
			break; /* a given port is taken: say so rather than take another */
	}
	return -1;
}
