/*
 * dnswire: DNS messages as bytes (see include/dnswire.h). Every read is
 * bounds-checked against the message length before it happens; a reply that
 * does not parse is DNSWIRE_MALFORMED, never a crash.
 */
#include "dnswire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

#define F2_QR 0x80
#define F2_AA 0x04
#define F2_TC 0x02
#define F2_RD 0x01
#define F3_AD 0x20
#define RCODE_NOERROR 0
#define RCODE_NXDOMAIN 3
#define RR_FIXED 10               /* type, class, TTL, RDLENGTH */

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ---------- names ---------- */

/* One text label up to '.' or the end, unescaping \X and \DDD; returns octets, -1 on a bad escape. */
static int text_label(const char **s, unsigned char *out, size_t room)
{
	size_t n = 0;
	const char *p = *s;
	while (*p && *p != '.') {
		unsigned v = (unsigned char)*p++;
		if (v == '\\') {
			if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9') {
				v = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
				p += 3;
				if (v > 255)
					return -1;
			} else if (*p) {
				v = (unsigned char)*p++;
			} else {
				return -1;
			}
		}
		if (n < room)
			out[n] = (unsigned char)v;
		n++;
	}
	*s = p;
	return (int)n;
}

/* Text name to wire form (RFC 1035 §3.1): labels of 1 to 63 octets, 255 octets in all. */
static int encode_name(const char *name, unsigned char *wire, size_t *wirelen, char *err, size_t errlen)
{
	size_t out = 0;
	if (!*name || strcmp(name, ".") == 0) {
		snprintf(err, errlen, "empty DNS name");
		return -1;
	}
	for (const char *p = name; *p;) {
		unsigned char label[64];
		int n = text_label(&p, label, sizeof label);
		if (n <= 0 || n > 63) {
			snprintf(err, errlen, "cannot encode DNS name \"%.80s\": %s", name,
				 n < 0 ? "bad escape" : n == 0 ? "empty label" : "label longer than 63 octets");
			return -1;
		}
		if (out + 1 + (size_t)n + 1 > DNSWIRE_NAME_WIRE_MAX) {
			snprintf(err, errlen, "DNS name too long (more than 255 octets in wire form): %.60s...", name);
			return -1;
		}
		wire[out++] = (unsigned char)n;
		memcpy(wire + out, label, (size_t)n);
		out += (size_t)n;
		if (*p == '.')
			p++;
	}
	wire[out++] = 0;
	*wirelen = out;
	return 0;
}

/*
 * RFC 1035 §4.1.4: a pointer refers to a prior occurrence. Each pointer must
 * point before the start of the run of labels it ends, so targets strictly
 * decrease and no sequence of pointers can loop.
 */
int dnswire_name(const unsigned char *msg, size_t len, size_t off, unsigned char *wire, size_t *wirelen,
		 size_t *next)
{
	size_t pos = off, limit = off, out = 0;
	int jumped = 0;
	for (;;) {
		if (pos >= len)
			return -1;
		unsigned c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -1;
			size_t ptr = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (ptr >= limit)
				return -1;
			if (!jumped)
				*next = pos + 2;
			jumped = 1;
			pos = limit = ptr;
			continue;
		}
		if (c & 0xc0)
			return -1; /* extended label types (RFC 6891 §5) are not names we read */
		if (pos + 1 + c > len || out + 1 + c + (c ? 1 : 0) > DNSWIRE_NAME_WIRE_MAX)
			return -1;
		memcpy(wire + out, msg + pos, 1 + c);
		out += 1 + c;
		pos += 1 + c;
		if (c == 0) {
			if (!jumped)
				*next = pos;
			*wirelen = out;
			return 0;
		}
	}
}

int dnswire_name_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

void dnswire_name_text(const unsigned char *wire, size_t wirelen, char *out, size_t outlen)
{
	struct buf b;
	buf_init(&b, outlen ? outlen - 1 : 0);
	for (size_t i = 0; i < wirelen && wire[i];) {
		size_t l = wire[i++];
		if (b.len)
			buf_append_byte(&b, '.');
		for (size_t k = 0; k < l && i < wirelen; k++, i++) {
			unsigned char c = wire[i];
			if (c == '.' || c == '\\')
				buf_printf(&b, "\\%c", c);
			else if (c <= ' ' || c >= 0x7f)
				buf_printf(&b, "\\%03u", c);
			else
				buf_append_byte(&b, (char)c);
		}
	}
	snprintf(out, outlen, "%s", b.data ? b.data : "");
	buf_free(&b);
}

/* ---------- queries ---------- */

int dnswire_build_query(const char *name, uint16_t id, unsigned flags, struct dnswire_query *q, char *err,
			size_t errlen)
{
	static const unsigned char opt[11] = { 0, 0, DNSWIRE_TYPE_OPT, DNSWIRE_EDNS_PAYLOAD >> 8,
					       DNSWIRE_EDNS_PAYLOAD & 0xff, 0, 0, 0, 0, 0, 0 };
	unsigned char *m = q->msg + 2;
	memset(q, 0, sizeof *q);
	if (encode_name(name, q->qname, &q->qnamelen, err, errlen) < 0)
		return -1;
	q->id = id;
	put16(m, id);
	m[2] = F2_RD;                                /* a stub: the server must recurse */
	m[3] = (flags & DNSWIRE_AD) ? F3_AD : 0;
	put16(m + 4, 1);                             /* QDCOUNT */
	put16(m + 10, (flags & DNSWIRE_EDNS0) ? 1 : 0); /* ARCOUNT */
	size_t n = DNSWIRE_HEADER;
	memcpy(m + n, q->qname, q->qnamelen);
	n += q->qnamelen;
	put16(m + n, DNSWIRE_TYPE_TXT);
	put16(m + n + 2, DNSWIRE_CLASS_IN);
	n += 4;
	if (flags & DNSWIRE_EDNS0) {                 /* RFC 6891 §6.1.2: root owner, type OPT, class = payload */
		memcpy(m + n, opt, sizeof opt);
		n += sizeof opt;
	}
	q->len = n;
	put16(q->msg, (unsigned)n);                  /* RFC 1035 §4.2.2 length prefix, for TCP */
	return 0;
}

int dnswire_reply_matches(const struct dnswire_query *q, const unsigned char *msg, size_t len)
{
	unsigned char name[DNSWIRE_NAME_WIRE_MAX];
	size_t namelen, next;
	if (len < DNSWIRE_HEADER || get16(msg) != q->id || !(msg[2] & F2_QR) || ((msg[2] >> 3) & 0x0f) != 0)
		return 0;
	if (get16(msg + 4) != 1 || dnswire_name(msg, len, DNSWIRE_HEADER, name, &namelen, &next) < 0)
		return 0;
	if (next + 4 > len || get16(msg + next) != DNSWIRE_TYPE_TXT || get16(msg + next + 2) != DNSWIRE_CLASS_IN)
		return 0;
	return dnswire_name_eq(name, namelen, q->qname, q->qnamelen);
}

/* ---------- replies ---------- */

struct rr {
	unsigned char owner[DNSWIRE_NAME_WIRE_MAX];
	size_t ownerlen;
	unsigned type, cls;
	uint32_t ttl;
	size_t rdoff, rdlen;
};

/* The RR at *off; *off moves past it. 0, or -1 when it runs past the message. */
static int read_rr(const unsigned char *msg, size_t len, size_t *off, struct rr *rr)
{
	size_t p;
	if (dnswire_name(msg, len, *off, rr->owner, &rr->ownerlen, &p) < 0 || p + RR_FIXED > len)
		return -1;
	rr->type = get16(msg + p);
	rr->cls = get16(msg + p + 2);
	rr->ttl = get32(msg + p + 4) & 0x7fffffffu; /* RFC 2181 §8: a set top bit means zero; clamp instead */
	rr->rdlen = get16(msg + p + 8);
	rr->rdoff = p + RR_FIXED;
	if (rr->rdoff + rr->rdlen > len)
		return -1;
	*off = rr->rdoff + rr->rdlen;
	return 0;
}

struct sections {
	size_t an, ns;              /* offsets of the answer and authority sections */
	unsigned ancount, nscount;
};

/* Walk the question, answer and authority sections once, so later passes cannot fail. */
static int index_sections(const unsigned char *msg, size_t len, struct sections *s, char *why, size_t whylen)
{
	unsigned char name[DNSWIRE_NAME_WIRE_MAX];
	size_t namelen, off;
	struct rr rr;
	if (dnswire_name(msg, len, DNSWIRE_HEADER, name, &namelen, &off) < 0 || off + 4 > len) {
		snprintf(why, whylen, "bad question");
		return -1;
	}
	s->an = off + 4;
	s->ancount = get16(msg + 6);
	s->nscount = get16(msg + 8);
	off = s->an;
	for (unsigned i = 0; i < s->ancount + s->nscount; i++) {
		if (i == s->ancount)
			s->ns = off;
		if (read_rr(msg, len, &off, &rr) < 0) {
			snprintf(why, whylen, "bad %s record %u", i < s->ancount ? "answer" : "authority",
				 i < s->ancount ? i + 1 : i - s->ancount + 1);
			return -1;
		}
	}
	if (s->nscount == 0)
		s->ns = off;
	return 0;
}

/* One TXT RDATA: character-strings (RFC 1035 §3.3.14) joined with nothing between (RFC 6376 §3.6.2.2). */
static int add_txt(struct keyans *a, const unsigned char *rd, size_t rdlen)
{
	struct buf joined;
	unsigned nstrings = 0;
	int over = 0;
	buf_init(&joined, KEYANS_RECORD_MAX);
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
		a->nrecords_dropped++; /* larger than KEYANS_RECORD_MAX */
	else
		(void)keyans_add(a, joined.data ? joined.data : "", joined.len, nstrings);
	buf_free(&joined);
	return 0;
}

struct chain {
	unsigned char cur[DNSWIRE_NAME_WIRE_MAX];    /* the name whose data we look for */
	size_t curlen;
	unsigned char seen[DNSWIRE_CNAME_MAX + 1][DNSWIRE_NAME_WIRE_MAX];
	size_t seenlen[DNSWIRE_CNAME_MAX + 1];
	unsigned hops;
	uint32_t ttl;                                /* smallest TTL along the chain */
	int has_ttl;
};

static void chain_ttl(struct chain *c, uint32_t ttl)
{
	if (!c->has_ttl || ttl < c->ttl)
		c->ttl = ttl;
	c->has_ttl = 1;
}

/* Answer RRs at c->cur: TXT into a (returns how many), and the first CNAME's target into target. */
static int data_at(const unsigned char *msg, size_t len, const struct sections *s, struct chain *c,
		   struct keyans *a, unsigned char *target, size_t *targetlen, int *malformed)
{
	int txt = 0, have_cname = 0;
	size_t off = s->an, next;
	struct rr rr;
	for (unsigned i = 0; i < s->ancount && read_rr(msg, len, &off, &rr) == 0; i++) {
		if (rr.cls != DNSWIRE_CLASS_IN || !dnswire_name_eq(rr.owner, rr.ownerlen, c->cur, c->curlen))
			continue;
		if (rr.type == DNSWIRE_TYPE_TXT) {
			if (add_txt(a, msg + rr.rdoff, rr.rdlen) < 0)
				*malformed = 1;
			chain_ttl(c, rr.ttl);
			txt++;
		} else if (rr.type == DNSWIRE_TYPE_CNAME && !have_cname) {
			if (dnswire_name(msg, rr.rdoff + rr.rdlen, rr.rdoff, target, targetlen, &next) < 0)
				*malformed = 1;
			chain_ttl(c, rr.ttl);
			have_cname = 1;
		}
	}
	if (!have_cname)
		*targetlen = 0;
	return txt;
}

/* Step along a CNAME to target; -1 (res->why set) when that closes a loop or passes the bound. */
static int chain_step(struct chain *c, const unsigned char *target, size_t targetlen, unsigned hops_before,
		      struct dnswire_result *res)
{
	char from[KEYANS_NAME_MAX], to[KEYANS_NAME_MAX];
	dnswire_name_text(c->cur, c->curlen, from, sizeof from);
	dnswire_name_text(target, targetlen, to, sizeof to);
	for (unsigned k = 0; k <= c->hops; k++)
		if (dnswire_name_eq(c->seen[k], c->seenlen[k], target, targetlen)) {
			snprintf(res->why, sizeof res->why, "CNAME loop: %.60s points back to %.60s", from, to);
			return -1;
		}
	if (hops_before + c->hops + 1 > DNSWIRE_CNAME_MAX) {
		snprintf(res->why, sizeof res->why, "CNAME chain longer than %d (at %.80s)", DNSWIRE_CNAME_MAX, to);
		return -1;
	}
	c->hops++;
	memcpy(c->seen[c->hops], target, targetlen);
	c->seenlen[c->hops] = targetlen;
	memcpy(c->cur, target, targetlen);
	c->curlen = targetlen;
	return 0;
}

/* RFC 2308 §5: the negative TTL is the smaller of the SOA record's TTL and its MINIMUM field. */
static int negative_ttl(const unsigned char *msg, size_t len, const struct sections *s, uint32_t *ttl, int *has_ns)
{
	size_t off = s->ns;
	struct rr rr;
	*has_ns = 0;
	for (unsigned i = 0; i < s->nscount && read_rr(msg, len, &off, &rr) == 0; i++) {
		unsigned char name[DNSWIRE_NAME_WIRE_MAX];
		size_t namelen, p;
		size_t end = rr.rdoff + rr.rdlen;
		*has_ns |= rr.type == DNSWIRE_TYPE_NS;
		if (rr.type != DNSWIRE_TYPE_SOA || rr.cls != DNSWIRE_CLASS_IN)
			continue;
		if (dnswire_name(msg, end, rr.rdoff, name, &namelen, &p) < 0 ||
		    dnswire_name(msg, end, p, name, &namelen, &p) < 0 || p + 20 != end)
			return -1;
		uint32_t minimum = get32(msg + p + 16);
		*ttl = rr.ttl < minimum ? rr.ttl : minimum;
		return 1;
	}
	return 0;
}

static void result_why(struct dnswire_result *res, enum dnswire_kind k, const char *why)
{
	res->kind = k;
	snprintf(res->why, sizeof res->why, "%s", why);
}

/* Follow the chain from the question through the answer section; the number of TXT records at its end. */
static int follow_chain(const unsigned char *msg, size_t len, const struct sections *s, struct chain *c,
			unsigned hops_before, struct keyans *ans, struct dnswire_result *res)
{
	for (;;) {
		unsigned char target[DNSWIRE_NAME_WIRE_MAX];
		size_t targetlen;
		int malformed = 0;
		int txt = data_at(msg, len, s, c, ans, target, &targetlen, &malformed);
		if (malformed) {
			result_why(res, DNSWIRE_MALFORMED, "bad TXT or CNAME RDATA");
			return -1;
		}
		if (txt || targetlen == 0)
			return txt;
		if (chain_step(c, target, targetlen, hops_before, res) < 0) {
			res->kind = DNSWIRE_LOOP;
			return -1;
		}
	}
}

/* Say where the answer is, in words, once it is known to be final. */
static void describe(struct keyans *ans)
{
	int via = ans->cnames > 0;
	const char *at = via ? ans->target : ans->name;
	if (ans->status == KEYANS_NXDOMAIN)
		keyans_fail(ans, KEYANS_NXDOMAIN, "NXDOMAIN: %.100s%s%.100s%s does not exist", at,
			    via ? " (CNAME target of " : "", via ? ans->name : "", via ? ")" : "");
	else if (ans->status == KEYANS_NODATA)
		keyans_fail(ans, KEYANS_NODATA, "%.100s%s%.100s%s exists but has no TXT record", at,
			    via ? " (CNAME target of " : "", via ? ans->name : "", via ? ")" : "");
	else if (ans->nrecords == 0)
		keyans_fail(ans, KEYANS_ERROR, "every TXT record at %.150s exceeds %d octets", ans->name,
			    KEYANS_RECORD_MAX);
	else if (ans->nrecords_dropped)
		keyans_fail(ans, KEYANS_OK, "kept %zu TXT records at %.120s, dropped %zu", ans->nrecords, ans->name,
			    ans->nrecords_dropped);
}

/* NOERROR without data at the end of the chain: NODATA, a CNAME target to ask, or a referral. */
static void no_data(const unsigned char *msg, size_t len, const struct sections *s, const struct chain *c,
		    struct keyans *ans, struct dnswire_result *res)
{
	uint32_t neg;
	int has_ns;
	int soa = negative_ttl(msg, len, s, &neg, &has_ns);
	if (soa < 0) {
		result_why(res, DNSWIRE_MALFORMED, "bad SOA record");
		return;
	}
	if (soa == 0 && c->hops > 0) {
		res->kind = DNSWIRE_CHASE; /* RFC 1034 §5.3.3: restart at the canonical name */
		return;
	}
	if (soa == 0 && has_ns && !(msg[2] & F2_AA)) {
		/* RFC 2308 §2.2: NS only and not authoritative is a referral: this server does not recurse */
		result_why(res, DNSWIRE_SERVER_FAIL, "a referral: the server does not resolve recursively");
		return;
	}
	ans->status = KEYANS_NODATA;
	ans->ttl = neg;
	ans->has_ttl = soa;
	res->kind = DNSWIRE_ANSWER;
}

/* NOERROR or NXDOMAIN: what the sections say. */
static void read_answer(const struct dnswire_query *q, const unsigned char *msg, size_t len, unsigned hops_before,
			struct keyans *ans, struct dnswire_result *res)
{
	struct chain c;
	struct sections s;
	memset(&c, 0, sizeof c);
	if (index_sections(msg, len, &s, res->why, sizeof res->why) < 0) {
		res->kind = DNSWIRE_MALFORMED;
		return;
	}
	memcpy(c.cur, q->qname, q->qnamelen);
	c.curlen = q->qnamelen;
	memcpy(c.seen[0], q->qname, q->qnamelen);
	c.seenlen[0] = q->qnamelen;
	int txt = follow_chain(msg, len, &s, &c, hops_before, ans, res);
	if (txt < 0) {
		keyans_clear(ans);
		return;
	}
	res->cnames = c.hops;
	res->ttl = c.ttl;
	res->has_ttl = c.has_ttl;
	if (c.hops)
		dnswire_name_text(c.cur, c.curlen, res->target, sizeof res->target);
	if (txt > 0) {
		ans->status = KEYANS_OK;
		ans->ttl = c.ttl;
		ans->has_ttl = 1;
		res->kind = DNSWIRE_ANSWER;
	} else if (res->rcode == RCODE_NXDOMAIN) {
		uint32_t neg = 0;
		int has_ns;
		ans->status = KEYANS_NXDOMAIN; /* RFC 6604 §2: it applies to the last name of the chain */
		ans->has_ttl = negative_ttl(msg, len, &s, &neg, &has_ns) == 1;
		ans->ttl = neg;
		res->kind = DNSWIRE_ANSWER;
	} else {
		no_data(msg, len, &s, &c, ans, res);
	}
}

void dnswire_parse_reply(const struct dnswire_query *q, const unsigned char *msg, size_t len, int via_tcp,
			 unsigned hops_before, struct keyans *ans, struct dnswire_result *res)
{
	memset(res, 0, sizeof *res);
	res->kind = DNSWIRE_MALFORMED;
	if (len < DNSWIRE_HEADER) {
		snprintf(res->why, sizeof res->why, "shorter than a DNS header");
		return;
	}
	res->rcode = msg[3] & 0x0f;
	res->ad = (msg[3] & F3_AD) != 0;
	if (!via_tcp && (msg[2] & F2_TC)) {
		res->kind = DNSWIRE_TRUNCATED;
		return;
	}
	if (res->rcode != RCODE_NOERROR && res->rcode != RCODE_NXDOMAIN) {
		/* SERVFAIL, REFUSED, FORMERR, NOTIMP...: temporary (RFC 6376 §6.1.2); another server may do better */
		result_why(res, DNSWIRE_SERVER_FAIL, dnswire_rcode_word(res->rcode));
		return;
	}
	read_answer(q, msg, len, hops_before, ans, res);
	if (res->kind != DNSWIRE_ANSWER)
		return;
	ans->rcode = res->rcode;
	ans->ad = res->ad;
	ans->cnames = hops_before + res->cnames;
	if (res->cnames)
		snprintf(ans->target, sizeof ans->target, "%s", res->target);
	else if (hops_before) /* the name asked is the CNAME target an earlier reply named */
		dnswire_name_text(q->qname, q->qnamelen, ans->target, sizeof ans->target);
	describe(ans);
}

const char *dnswire_rcode_word(int rcode)
{
	static const char *const words[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
					     "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
					     "NOTZONE" };
	if (rcode >= 0 && (size_t)rcode < sizeof words / sizeof words[0])
		return words[rcode];
	return "unknown rcode";
}

/* ---------- server addresses ---------- */

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

/* Split spec into host text and port text ("[v6]:p", "v4:p", bare v6); -1 if it cannot be a server. */
static int split_host_port(const char *spec, char *host, size_t hostcap, const char **port, int *want_v6)
{
	size_t n = strlen(spec);
	*port = NULL;
	*want_v6 = 0;
	if (n == 0 || n > 80)
		return -1;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || (size_t)(close - spec - 1) >= hostcap)
			return -1;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		if (close[1] == ':')
			*port = close + 2;
		else if (close[1] != '\0')
			return -1;
		*want_v6 = 1;
		return 0;
	}
	/* a bare literal with more than one colon is IPv6 as a whole ("::1:53" is an address) */
	const char *colon = strchr(spec, ':');
	size_t hostlen = n;
	if (colon && !strchr(colon + 1, ':')) {
		hostlen = (size_t)(colon - spec);
		*port = colon + 1;
	}
	if (hostlen >= hostcap)
		return -1;
	memcpy(host, spec, hostlen);
	host[hostlen] = '\0';
	return 0;
}

int dnswire_parse_server(const char *spec, struct dnswire_server *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	int want_v6, family;
	unsigned char addr[16];
	unsigned short portnum = 53;
	if (!spec || !out || split_host_port(spec, host, sizeof host, &port, &want_v6) < 0)
		return -1;
	if (parse_ip(host, &family, addr) < 0 || (want_v6 && family != AF_INET6))
		return -1;
	if (port && parse_port(port, &portnum) < 0)
		return -1;
	if (!inet_ntop(family, addr, out->ip, sizeof out->ip))
		return -1;
	out->port = portnum;
	return 0;
}

int dnswire_server_addr(const struct dnswire_server *s, struct sockaddr_storage *sa, socklen_t *salen)
{
	int family;
	unsigned char addr[16];
	if (s->port == 0 || parse_ip(s->ip, &family, addr) < 0)
		return -1;
	memset(sa, 0, sizeof *sa);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)sa;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(s->port);
		memcpy(&s4->sin_addr, addr, 4);
		*salen = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(s->port);
		memcpy(&s6->sin6_addr, addr, 16);
		*salen = sizeof *s6;
	}
	return 0;
}

void dnswire_addr_label(const struct sockaddr *sa, char *out, size_t outlen)
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

int dnswire_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
		return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
	}
	return 0;
}
