/*
 * check_dnswire: the DNS wire format on bytes, without sockets: query bytes,
 * RFC 5452 reply matching, name decompression (pointer loops, forward
 * pointers, over-long names), TXT collection (RFC 6376 §3.6.2.2) with its
 * bounds, CNAME chains and loops, rcode classification (RFC 6376 §6.1.2),
 * negative TTLs (RFC 2308 §5), referrals, every truncation of a valid reply,
 * and server addresses. Replies are built here by hand, byte by byte.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"
#include "keyans.h"
#include "suites.h"

#define QNAME "sel._domainkey.example.com"

/* ---------- a packet builder ---------- */

struct pkt {
	unsigned char b[70000];
	size_t n;
};

static void p8(struct pkt *p, unsigned v)
{
	ck_assert(p->n < sizeof p->b);
	p->b[p->n++] = (unsigned char)v;
}

static void p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8);
	p8(p, v & 0xff);
}

static void p32(struct pkt *p, uint32_t v)
{
	p16(p, v >> 16);
	p16(p, v & 0xffff);
}

static void pname(struct pkt *p, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
		p8(p, (unsigned)l);
		for (size_t i = 0; i < l; i++)
			p8(p, (unsigned char)dotted[i]);
		dotted += l + (dot ? 1 : 0);
	}
	p8(p, 0);
}

/* The owner: NULL means a pointer to the question name at offset 12. */
static void powner(struct pkt *p, const char *owner)
{
	if (owner)
		pname(p, owner);
	else
		p16(p, 0xc00c);
}

enum { RCODE_NOERROR = 0, RCODE_NXDOMAIN = 3 };

/* Header (QR, RD, RA; AA when aa) and the question for name. */
static void reply_head(struct pkt *p, uint16_t id, int rcode, int tc, int aa, unsigned an, unsigned ns,
		       const char *name)
{
	p->n = 0;
	p16(p, id);
	p8(p, 0x81 | (tc ? 0x02 : 0) | (aa ? 0x04 : 0));
	p8(p, 0x80 | (unsigned)rcode);
	p16(p, 1);
	p16(p, an);
	p16(p, ns);
	p16(p, 0);
	pname(p, name);
	p16(p, 16);
	p16(p, 1);
}

static void rr_txt(struct pkt *p, const char *owner, uint32_t ttl, const char *const *strings, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += 1 + strlen(strings[i]);
	powner(p, owner);
	p16(p, 16);
	p16(p, 1);
	p32(p, ttl);
	p16(p, (unsigned)len);
	for (size_t i = 0; i < n; i++) {
		p8(p, (unsigned)strlen(strings[i]));
		for (const char *c = strings[i]; *c; c++)
			p8(p, (unsigned char)*c);
	}
}

static void rr_txt1(struct pkt *p, const char *owner, uint32_t ttl, const char *text)
{
	rr_txt(p, owner, ttl, &text, 1);
}

static void rr_cname(struct pkt *p, const char *owner, uint32_t ttl, const char *target)
{
	struct pkt t = { .n = 0 };
	pname(&t, target);
	powner(p, owner);
	p16(p, 5);
	p16(p, 1);
	p32(p, ttl);
	p16(p, (unsigned)t.n);
	for (size_t i = 0; i < t.n; i++)
		p8(p, t.b[i]);
}

static void rr_soa(struct pkt *p, const char *owner, uint32_t ttl, uint32_t minimum)
{
	struct pkt r = { .n = 0 };
	pname(&r, "ns.example.com");
	pname(&r, "host.example.com");
	for (int i = 0; i < 4; i++)
		p32(&r, 1000u + (uint32_t)i);
	p32(&r, minimum);
	pname(p, owner);
	p16(p, 6);
	p16(p, 1);
	p32(p, ttl);
	p16(p, (unsigned)r.n);
	for (size_t i = 0; i < r.n; i++)
		p8(p, r.b[i]);
}

static void rr_ns(struct pkt *p, const char *owner)
{
	struct pkt r = { .n = 0 };
	pname(&r, "ns.example.com");
	pname(p, owner);
	p16(p, 2);
	p16(p, 1);
	p32(p, 3600);
	p16(p, (unsigned)r.n);
	for (size_t i = 0; i < r.n; i++)
		p8(p, r.b[i]);
}

static struct dnswire_query query(const char *name, uint16_t id)
{
	struct dnswire_query q;
	char err[200];
	ck_assert_msg(dnswire_build_query(name, id, 0, &q, err, sizeof err) == 0, "%s", err);
	return q;
}

/* Parse p as the reply to q into a fresh answer; free with keyans_free. */
static struct keyans *parse(const struct dnswire_query *q, const struct pkt *p, int via_tcp, unsigned hops,
			    struct dnswire_result *res)
{
	struct keyans *a = keyans_new(QNAME, KEYANS_SRC_DNS);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(dnswire_reply_matches(q, p->b, p->n), 1);
	dnswire_parse_reply(q, p->b, p->n, via_tcp, hops, a, res);
	return a;
}

/* ---------- queries ---------- */

START_TEST(query_bytes)
{
	static const unsigned char want[] = {
		0x12, 0x34, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 's', 'e', 'l', 10, '_', 'd', 'o', 'm', 'a', 'i', 'n', 'k', 'e', 'y',
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 16, 0, 1,
	};
	struct dnswire_query q;
	char err[200];
	ck_assert_int_eq(dnswire_build_query(QNAME ".", 0x1234, DNSWIRE_AD, &q, err, sizeof err), 0);
	ck_assert_uint_eq(q.len, sizeof want);
	ck_assert_int_eq(memcmp(q.msg + 2, want, sizeof want), 0);
	ck_assert_uint_eq((unsigned)q.msg[0] << 8 | q.msg[1], sizeof want); /* TCP length prefix */
	ck_assert_uint_eq(q.qnamelen, sizeof want - 12 - 4);
	ck_assert_uint_eq(q.id, 0x1234);
	/* EDNS(0): ARCOUNT 1 and an OPT record offering 1232 octets (RFC 6891 §6.1.2) */
	ck_assert_int_eq(dnswire_build_query(QNAME, 7, DNSWIRE_EDNS0, &q, err, sizeof err), 0);
	ck_assert_uint_eq(q.len, sizeof want + 11);
	ck_assert_int_eq(q.msg[2 + 3], 0); /* no AD asked */
	ck_assert_int_eq(q.msg[2 + 11], 1);
	static const unsigned char opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	ck_assert_int_eq(memcmp(q.msg + 2 + sizeof want, opt, sizeof opt), 0);
}
END_TEST

START_TEST(query_escapes)
{
	struct dnswire_query q = query("a\\.b.\\065x\\\\", 1);
	static const unsigned char want[] = { 3, 'a', '.', 'b', 3, 'A', 'x', '\\', 0 };
	ck_assert_uint_eq(q.qnamelen, sizeof want);
	ck_assert_int_eq(memcmp(q.qname, want, sizeof want), 0);
	char text[64];
	dnswire_name_text(q.qname, q.qnamelen, text, sizeof text);
	ck_assert_str_eq(text, "a\\.b.Ax\\\\"); /* and back, escaped the same way */
}
END_TEST

START_TEST(query_bad_names)
{
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "", "empty" },
		{ ".", "empty" },
		{ "a..b", "empty label" },
		{ ".a", "empty label" },
		{ "a.0123456789012345678901234567890123456789012345678901234567890123", "longer than 63" },
		{ "x\\256", "bad escape" },
		{ "x\\", "bad escape" },
	};
	struct dnswire_query q;
	char err[200];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(dnswire_build_query(bad[i].name, 1, 0, &q, err, sizeof err) == -1, "'%s' accepted", bad[i].name);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "'%s': %s", bad[i].name, err);
	}
	/* 253 octets of text are 255 in wire form: the most there is */
	char name[300];
	snprintf(name, sizeof name, "%.63s.%.63s.%.63s.%.61s", "a012345678901234567890123456789012345678901234567890123456789012",
		 "b012345678901234567890123456789012345678901234567890123456789012",
		 "c012345678901234567890123456789012345678901234567890123456789012",
		 "d012345678901234567890123456789012345678901234567890123456789012");
	ck_assert_uint_eq(strlen(name), 253);
	ck_assert_int_eq(dnswire_build_query(name, 1, 0, &q, err, sizeof err), 0);
	ck_assert_uint_eq(q.qnamelen, 255);
	strcat(name, "x");
	ck_assert_int_eq(dnswire_build_query(name, 1, 0, &q, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "too long") != NULL, "%s", err);
}
END_TEST

/* ---------- matching (RFC 5452 §9.1) ---------- */

START_TEST(match_rules)
{
	struct dnswire_query q = query(QNAME, 0xbeef);
	struct pkt p;
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, QNAME);
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 1);
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, "SEL._DomainKey.Example.COM");
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 1); /* RFC 4343: case does not matter */
	reply_head(&p, 0xbeee, 0, 0, 0, 0, 0, QNAME);
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0); /* id */
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, "sel._domainkey.example.org");
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0); /* name */
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, "el._domainkey.example.com");
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0);
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, QNAME);
	p.b[p.n - 3] = 1; /* type A */
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0);
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, QNAME);
	p.b[p.n - 1] = 3; /* class CH */
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0);
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, QNAME);
	p.b[2] &= 0x7f; /* QR clear: a query, not a reply */
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0);
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, QNAME);
	p.b[2] |= 0x10; /* opcode 2 */
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0);
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, QNAME);
	p.b[5] = 0; /* no question */
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0);
	p.b[5] = 2; /* two questions */
	ck_assert_int_eq(dnswire_reply_matches(&q, p.b, p.n), 0);
	reply_head(&p, 0xbeef, 0, 0, 0, 0, 0, QNAME);
	for (size_t len = 0; len < p.n; len++) /* any cut question is no match */
		ck_assert_msg(dnswire_reply_matches(&q, p.b, len) == 0, "matched with %zu octets", len);
}
END_TEST

/* ---------- names ---------- */

START_TEST(name_compression)
{
	unsigned char msg[64] = { 0 }, wire[255];
	size_t wl, next;
	/* at 12: "a" "b" root; at 16: "x" + pointer to 12 */
	static const unsigned char base[] = { 1, 'a', 1, 'b', 0, 1, 'x', 0xc0, 12 };
	memcpy(msg + 12, base, sizeof base);
	ck_assert_int_eq(dnswire_name(msg, 12 + sizeof base, 17, wire, &wl, &next), 0);
	ck_assert_uint_eq(wl, 7);
	ck_assert_int_eq(memcmp(wire, "\1x\1a\1b", 7), 0);
	ck_assert_uint_eq(next, 21); /* past the pointer, not past the name it points at */
	/* a pointer to itself, a forward pointer, a pointer into a run that reaches the pointer again */
	unsigned char self[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 12 };
	ck_assert_int_eq(dnswire_name(self, sizeof self, 12, wire, &wl, &next), -1);
	unsigned char fwd[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 'a', 0 };
	ck_assert_int_eq(dnswire_name(fwd, sizeof fwd, 12, wire, &wl, &next), -1);
	unsigned char run[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'x', 0xc0, 12 };
	ck_assert_int_eq(dnswire_name(run, sizeof run, 14, wire, &wl, &next), -1);
	ck_assert_int_eq(dnswire_name(run, sizeof run, 12, wire, &wl, &next), -1); /* x, then back to x */
	/* a chain of backward pointers is fine */
	unsigned char chain[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 0, 0xc0, 12, 0xc0, 15 };
	ck_assert_int_eq(dnswire_name(chain, sizeof chain, 17, wire, &wl, &next), 0);
	ck_assert_uint_eq(wl, 3);
	/* extended label types, a label past the end, a name without its root */
	unsigned char ext[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0 };
	ck_assert_int_eq(dnswire_name(ext, sizeof ext, 12, wire, &wl, &next), -1);
	unsigned char cut[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 'a', 'b' };
	ck_assert_int_eq(dnswire_name(cut, sizeof cut, 12, wire, &wl, &next), -1);
	unsigned char noroot[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a' };
	ck_assert_int_eq(dnswire_name(noroot, sizeof noroot, 12, wire, &wl, &next), -1);
}
END_TEST

/* Pointers can make a name of more than 255 octets out of a short message: refused. */
START_TEST(name_too_long)
{
	struct pkt p = { .n = 12 };
	memset(p.b, 0, 12);
	size_t prev = 0;
	for (int i = 0; i < 5; i++) { /* 5 labels of 63 = 320 octets */
		size_t at = p.n;
		p8(&p, 63);
		for (int k = 0; k < 63; k++)
			p8(&p, 'a');
		if (i == 0)
			p8(&p, 0);
		else
			p16(&p, 0xc000 | (unsigned)prev);
		prev = at;
	}
	unsigned char wire[255];
	size_t wl, next;
	ck_assert_int_eq(dnswire_name(p.b, p.n, prev, wire, &wl, &next), -1);
}
END_TEST

START_TEST(name_text_escapes)
{
	static const unsigned char wire[] = { 3, 'a', '.', 'b', 2, 0x07, 'Z', 1, '\\', 0 };
	char out[64];
	dnswire_name_text(wire, sizeof wire, out, sizeof out);
	ck_assert_str_eq(out, "a\\.b.\\007Z.\\\\");
	dnswire_name_text((const unsigned char *)"", 1, out, sizeof out);
	ck_assert_str_eq(out, "");
	ck_assert(dnswire_name_eq((const unsigned char *)"\1A\0", 3, (const unsigned char *)"\1a\0", 3));
	ck_assert(!dnswire_name_eq((const unsigned char *)"\1A\0", 3, (const unsigned char *)"\1b\0", 3));
	ck_assert(!dnswire_name_eq((const unsigned char *)"\1a\0", 3, (const unsigned char *)"\2aa\0", 4));
}
END_TEST

/* ---------- answers ---------- */

START_TEST(parse_txt_strings_and_records)
{
	struct dnswire_query q = query(QNAME, 5);
	struct pkt p;
	struct dnswire_result res;
	const char *parts[] = { "v=DKIM1; ", "p=AB", "" };
	reply_head(&p, 5, 0, 0, 0, 4, 0, QNAME);
	rr_txt(&p, NULL, 600, parts, 3);
	rr_txt1(&p, NULL, 300, "second");
	rr_txt1(&p, "other.example.com", 1, "not ours");
	powner(&p, NULL); /* a TXT record in class CH: not an IN key */
	p16(&p, 16);
	p16(&p, 3);
	p32(&p, 1);
	p16(&p, 2);
	p8(&p, 1);
	p8(&p, 'c');
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_ANSWER);
	ck_assert_int_eq(a->status, KEYANS_OK);
	ck_assert_uint_eq(a->nrecords, 2);
	ck_assert_str_eq(a->records[0].text, "v=DKIM1; p=AB");
	ck_assert_uint_eq(a->records[0].nstrings, 3);
	ck_assert_str_eq(a->records[1].text, "second");
	ck_assert_uint_eq(a->ttl, 300);
	ck_assert_int_eq(a->has_ttl, 1);
	ck_assert_int_eq(a->rcode, 0);
	ck_assert_int_eq(a->ad, 0);
	ck_assert_uint_eq(a->cnames, 0);
	ck_assert_str_eq(a->detail, "");
	keyans_free(a);
	p.b[3] |= 0x20; /* AD */
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(a->ad, 1);
	keyans_free(a);
}
END_TEST

/* Every prefix of a valid reply is refused cleanly: malformed, never a crash or an answer. */
START_TEST(parse_every_truncation)
{
	struct dnswire_query q = query(QNAME, 9);
	struct pkt p;
	reply_head(&p, 9, 0, 0, 0, 3, 1, QNAME);
	rr_cname(&p, NULL, 60, "a.example.com");
	rr_txt1(&p, "a.example.com", 60, "v=DKIM1; p=X");
	rr_txt1(&p, "a.example.com", 60, "two");
	rr_soa(&p, "example.com", 60, 60);
	size_t question_end = 12 + q.qnamelen + 4;
	for (size_t len = question_end; len < p.n; len++) {
		struct keyans *a = keyans_new(QNAME, KEYANS_SRC_DNS);
		struct dnswire_result res;
		dnswire_parse_reply(&q, p.b, len, 0, 0, a, &res);
		ck_assert_msg(res.kind == DNSWIRE_MALFORMED, "%zu of %zu octets: kind %d", len, p.n, (int)res.kind);
		ck_assert_uint_eq(a->nrecords, 0);
		keyans_free(a);
	}
	struct keyans *a = keyans_new(QNAME, KEYANS_SRC_DNS);
	struct dnswire_result res;
	dnswire_parse_reply(&q, p.b, 11, 0, 0, a, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_MALFORMED);
	dnswire_parse_reply(&q, p.b, p.n, 0, 0, a, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_ANSWER);
	ck_assert_uint_eq(a->nrecords, 2);
	keyans_free(a);
}
END_TEST

START_TEST(parse_bad_rdata)
{
	struct dnswire_query q = query(QNAME, 3);
	struct pkt p;
	struct dnswire_result res;
	reply_head(&p, 3, 0, 0, 0, 1, 0, QNAME);
	powner(&p, NULL);
	p16(&p, 16);
	p16(&p, 1);
	p32(&p, 60);
	p16(&p, 3);
	p8(&p, 5); /* a string of 5 in RDATA of 3 */
	p8(&p, 'a');
	p8(&p, 'b');
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_MALFORMED);
	ck_assert_msg(strstr(res.why, "RDATA") != NULL, "%s", res.why);
	ck_assert_uint_eq(a->nrecords, 0);
	keyans_free(a);
	reply_head(&p, 3, 0, 0, 0, 1, 0, QNAME); /* RDLENGTH past the end of the message */
	powner(&p, NULL);
	p16(&p, 16);
	p16(&p, 1);
	p32(&p, 60);
	p16(&p, 200);
	p8(&p, 1);
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_MALFORMED);
	ck_assert_msg(strstr(res.why, "answer record 1") != NULL, "%s", res.why);
	keyans_free(a);
}
END_TEST

START_TEST(parse_record_bounds)
{
	struct dnswire_query q = query(QNAME, 4);
	struct pkt p;
	struct dnswire_result res;
	char text[32];
	reply_head(&p, 4, 0, 0, 0, KEYANS_RECORDS_MAX + 2, 0, QNAME);
	for (int i = 0; i < KEYANS_RECORDS_MAX + 2; i++) {
		snprintf(text, sizeof text, "record %d", i);
		rr_txt1(&p, NULL, 60, text);
	}
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(a->status, KEYANS_OK);
	ck_assert_uint_eq(a->nrecords, KEYANS_RECORDS_MAX);
	ck_assert_uint_eq(a->nrecords_dropped, 2);
	ck_assert_msg(strstr(a->detail, "dropped 2") != NULL, "%s", a->detail);
	keyans_free(a);
	/* one record over KEYANS_RECORD_MAX (65 strings of 255): dropped, and nothing is left */
	reply_head(&p, 4, 0, 0, 0, 1, 0, QNAME);
	powner(&p, NULL);
	p16(&p, 16);
	p16(&p, 1);
	p32(&p, 60);
	p16(&p, 65 * 256);
	for (int s = 0; s < 65; s++) {
		p8(&p, 255);
		for (int k = 0; k < 255; k++)
			p8(&p, 'k');
	}
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_ANSWER);
	ck_assert_int_eq(a->status, KEYANS_ERROR);
	ck_assert_msg(strstr(a->detail, "exceeds 16384") != NULL, "%s", a->detail);
	keyans_free(a);
}
END_TEST

/* ---------- classification (RFC 6376 §6.1.2) ---------- */

START_TEST(classify_rcodes)
{
	static const struct {
		int rcode;
		enum dnswire_kind kind;
		const char *word;
	} cases[] = {
		{ 1, DNSWIRE_SERVER_FAIL, "FORMERR" }, { 2, DNSWIRE_SERVER_FAIL, "SERVFAIL" },
		{ 4, DNSWIRE_SERVER_FAIL, "NOTIMP" },  { 5, DNSWIRE_SERVER_FAIL, "REFUSED" },
		{ 9, DNSWIRE_SERVER_FAIL, "NOTAUTH" }, { 15, DNSWIRE_SERVER_FAIL, "unknown rcode" },
	};
	struct dnswire_query q = query(QNAME, 6);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pkt p;
		struct dnswire_result res;
		reply_head(&p, 6, cases[i].rcode, 0, 0, 1, 0, QNAME);
		rr_txt1(&p, NULL, 60, "ignored");
		struct keyans *a = parse(&q, &p, 0, 0, &res);
		ck_assert_int_eq(res.kind, cases[i].kind);
		ck_assert_int_eq(res.rcode, cases[i].rcode);
		ck_assert_str_eq(res.why, cases[i].word);
		ck_assert_uint_eq(a->nrecords, 0);
		keyans_free(a);
	}
}
END_TEST

START_TEST(classify_truncated)
{
	struct dnswire_query q = query(QNAME, 7);
	struct pkt p;
	struct dnswire_result res;
	reply_head(&p, 7, 0, 1, 0, 1, 0, QNAME);
	rr_txt1(&p, NULL, 60, "partial");
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_TRUNCATED);
	ck_assert_uint_eq(a->nrecords, 0);
	dnswire_parse_reply(&q, p.b, p.n, 1, 0, a, &res); /* over TCP the TC bit means nothing */
	ck_assert_int_eq(res.kind, DNSWIRE_ANSWER);
	ck_assert_uint_eq(a->nrecords, 1);
	keyans_free(a);
}
END_TEST

/* RFC 2308 §5: min(SOA TTL, SOA MINIMUM); no SOA, no negative TTL. */
START_TEST(negative_answers)
{
	struct dnswire_query q = query(QNAME, 8);
	struct pkt p;
	struct dnswire_result res;
	reply_head(&p, 8, RCODE_NXDOMAIN, 0, 1, 0, 1, QNAME);
	rr_soa(&p, "example.com", 3600, 300);
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(a->status, KEYANS_NXDOMAIN);
	ck_assert_int_eq(a->rcode, 3);
	ck_assert_int_eq(a->has_ttl, 1);
	ck_assert_uint_eq(a->ttl, 300);
	ck_assert_str_eq(a->detail, "NXDOMAIN: " QNAME " does not exist");
	keyans_free(a);
	reply_head(&p, 8, RCODE_NOERROR, 0, 1, 0, 1, QNAME);
	rr_soa(&p, "example.com", 60, 300);
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(a->status, KEYANS_NODATA);
	ck_assert_uint_eq(a->ttl, 60);
	ck_assert_str_eq(a->detail, QNAME " exists but has no TXT record");
	keyans_free(a);
	reply_head(&p, 8, RCODE_NXDOMAIN, 0, 1, 0, 0, QNAME);
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(a->status, KEYANS_NXDOMAIN);
	ck_assert_int_eq(a->has_ttl, 0);
	keyans_free(a);
	reply_head(&p, 8, RCODE_NOERROR, 0, 1, 0, 1, QNAME); /* an SOA whose RDATA is cut */
	pname(&p, "example.com");
	p16(&p, 6);
	p16(&p, 1);
	p32(&p, 60);
	p16(&p, 3);
	p8(&p, 0);
	p8(&p, 0);
	p8(&p, 0);
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_MALFORMED);
	keyans_free(a);
}
END_TEST

/* NOERROR, nothing, NS records and no AA: a referral from a server that does not recurse. */
START_TEST(referral_is_server_failure)
{
	struct dnswire_query q = query(QNAME, 10);
	struct pkt p;
	struct dnswire_result res;
	reply_head(&p, 10, 0, 0, 0, 0, 1, QNAME);
	rr_ns(&p, "example.com");
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_SERVER_FAIL);
	ck_assert_msg(strstr(res.why, "referral") != NULL, "%s", res.why);
	keyans_free(a);
	reply_head(&p, 10, 0, 0, 1, 0, 1, QNAME); /* authoritative: a real NODATA */
	rr_ns(&p, "example.com");
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_ANSWER);
	ck_assert_int_eq(a->status, KEYANS_NODATA);
	keyans_free(a);
}
END_TEST

/* ---------- CNAME chains (RFC 1034 §3.6.2) ---------- */

START_TEST(cname_chain_in_reply)
{
	struct dnswire_query q = query(QNAME, 11);
	struct pkt p;
	struct dnswire_result res;
	reply_head(&p, 11, 0, 0, 0, 4, 0, QNAME);
	rr_txt1(&p, "b.example.net", 900, "v=DKIM1; p=AT-B"); /* before the chain that leads to it */
	rr_cname(&p, NULL, 600, "a.example.net");
	rr_cname(&p, "A.example.net", 120, "b.example.net");
	rr_txt1(&p, "decoy.example.net", 900, "decoy");
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(a->status, KEYANS_OK);
	ck_assert_uint_eq(a->nrecords, 1);
	ck_assert_str_eq(a->records[0].text, "v=DKIM1; p=AT-B");
	ck_assert_uint_eq(a->cnames, 2);
	ck_assert_str_eq(a->target, "b.example.net");
	ck_assert_uint_eq(a->ttl, 120); /* the chain's smallest TTL */
	keyans_free(a);
	a = parse(&q, &p, 0, 3, &res); /* after 3 CNAMEs in earlier replies */
	ck_assert_uint_eq(a->cnames, 5);
	keyans_free(a);
}
END_TEST

START_TEST(cname_loops_and_bounds)
{
	struct dnswire_query q = query(QNAME, 12);
	struct pkt p;
	struct dnswire_result res;
	reply_head(&p, 12, 0, 0, 0, 2, 0, QNAME);
	rr_cname(&p, NULL, 60, "a.example.net");
	rr_cname(&p, "a.example.net", 60, QNAME);
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_LOOP);
	ck_assert_msg(strstr(res.why, "CNAME loop") != NULL, "%s", res.why);
	keyans_free(a);
	reply_head(&p, 12, 0, 0, 0, 1, 0, QNAME); /* onto itself */
	rr_cname(&p, NULL, 60, QNAME);
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_LOOP);
	keyans_free(a);
	/* 9 CNAMEs: one more than DNSWIRE_CNAME_MAX */
	reply_head(&p, 12, 0, 0, 0, 10, 0, QNAME);
	char from[32], to[32];
	rr_cname(&p, NULL, 60, "c1.example.net");
	for (int i = 1; i < 9; i++) {
		snprintf(from, sizeof from, "c%d.example.net", i);
		snprintf(to, sizeof to, "c%d.example.net", i + 1);
		rr_cname(&p, from, 60, to);
	}
	rr_txt1(&p, "c9.example.net", 60, "too far");
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_LOOP);
	ck_assert_msg(strstr(res.why, "longer than 8") != NULL, "%s", res.why);
	keyans_free(a);
	/* 2 CNAMEs are fine alone, but not after 7 in earlier replies */
	reply_head(&p, 12, 0, 0, 0, 3, 0, QNAME);
	rr_cname(&p, NULL, 60, "c1.example.net");
	rr_cname(&p, "c1.example.net", 60, "c2.example.net");
	rr_txt1(&p, "c2.example.net", 60, "near");
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_ANSWER);
	keyans_free(a);
	a = parse(&q, &p, 0, 7, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_LOOP);
	keyans_free(a);
}
END_TEST

/* The chain ends at a name the reply has nothing for: without an SOA, ask it; with one, NODATA. */
START_TEST(cname_to_chase)
{
	struct dnswire_query q = query(QNAME, 13);
	struct pkt p;
	struct dnswire_result res;
	reply_head(&p, 13, 0, 0, 0, 1, 0, QNAME);
	rr_cname(&p, NULL, 60, "Key.Provider.example");
	struct keyans *a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_CHASE);
	ck_assert_str_eq(res.target, "Key.Provider.example");
	ck_assert_uint_eq(res.cnames, 1);
	ck_assert_uint_eq(res.ttl, 60);
	ck_assert_uint_eq(a->nrecords, 0);
	keyans_free(a);
	reply_head(&p, 13, 0, 0, 0, 1, 1, QNAME);
	rr_cname(&p, NULL, 60, "key.provider.example");
	rr_soa(&p, "provider.example", 30, 30);
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(res.kind, DNSWIRE_ANSWER);
	ck_assert_int_eq(a->status, KEYANS_NODATA);
	ck_assert_str_eq(a->detail, "key.provider.example (CNAME target of " QNAME ") exists but has no TXT record");
	keyans_free(a);
	reply_head(&p, 13, RCODE_NXDOMAIN, 0, 0, 1, 0, QNAME); /* RFC 6604: NXDOMAIN is about the target */
	rr_cname(&p, NULL, 60, "gone.provider.example");
	a = parse(&q, &p, 0, 0, &res);
	ck_assert_int_eq(a->status, KEYANS_NXDOMAIN);
	ck_assert_str_eq(a->target, "gone.provider.example");
	ck_assert_msg(strstr(a->detail, "gone.provider.example (CNAME target of") != NULL, "%s", a->detail);
	keyans_free(a);
	/* the answer to the chased question names the target even without a CNAME of its own */
	struct dnswire_query t = query("key.provider.example", 14);
	reply_head(&p, 14, 0, 0, 0, 1, 0, "key.provider.example");
	rr_txt1(&p, NULL, 60, "v=DKIM1; p=Q");
	a = keyans_new(QNAME, KEYANS_SRC_DNS);
	dnswire_parse_reply(&t, p.b, p.n, 0, 1, a, &res);
	ck_assert_int_eq(a->status, KEYANS_OK);
	ck_assert_uint_eq(a->cnames, 1);
	ck_assert_str_eq(a->target, "key.provider.example");
	keyans_free(a);
}
END_TEST

/* ---------- server addresses ---------- */

START_TEST(parse_server_valid)
{
	static const struct {
		const char *spec, *ip;
		unsigned port;
	} ok[] = {
		{ "127.0.0.1", "127.0.0.1", 53 },
		{ "127.0.0.1:5353", "127.0.0.1", 5353 },
		{ "192.0.2.1:65535", "192.0.2.1", 65535 },
		{ "[::1]:5353", "::1", 5353 },
		{ "[::1]", "::1", 53 },
		{ "::1", "::1", 53 },
		{ "2001:db8::1", "2001:db8::1", 53 },
		{ "[2001:DB8:0::53]:1053", "2001:db8::53", 1053 },
		{ "2001:db8::1:53", "2001:db8::1:53", 53 }, /* a bare literal is IPv6 as a whole */
		{ "10.0.0.1:1", "10.0.0.1", 1 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct dnswire_server s;
		memset(&s, 0, sizeof s);
		ck_assert_msg(dnswire_parse_server(ok[i].spec, &s) == 0, "%s rejected", ok[i].spec);
		ck_assert_str_eq(s.ip, ok[i].ip);
		ck_assert_uint_eq(s.port, ok[i].port);
	}
}
END_TEST

START_TEST(parse_server_invalid)
{
	static const char *const bad[] = {
		"", "localhost", "dns.example", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:",
		"1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:123456", "1.2.3.4:53x", "1.2.3.4:+53",
		"1.2.3.4:-1", "1.2.3.4: 53", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4:53:53", "[::1",
		"[::1]x", "[::1]:", "[::1]:0", "[127.0.0.1]:53", "[]:53", "::1]", "0.0.0.0", "::",
		"[::]:53", "fe80::1%eth0", ":53", "1.2.3.4/24",
	};
	struct dnswire_server s;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(dnswire_parse_server(bad[i], &s) == -1, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(dnswire_parse_server(NULL, &s), -1);
	ck_assert_int_eq(dnswire_parse_server("127.0.0.1", NULL), -1);
}
END_TEST

START_TEST(server_addresses)
{
	struct dnswire_server s4 = { "127.0.0.1", 5353 }, s6 = { "::1", 53 }, bad = { "nope", 53 };
	struct sockaddr_storage a, b;
	socklen_t al, bl;
	char label[80];
	ck_assert_int_eq(dnswire_server_addr(&s4, &a, &al), 0);
	ck_assert_uint_eq(al, sizeof(struct sockaddr_in));
	dnswire_addr_label((struct sockaddr *)&a, label, sizeof label);
	ck_assert_str_eq(label, "127.0.0.1:5353");
	ck_assert_int_eq(dnswire_server_addr(&s6, &b, &bl), 0);
	dnswire_addr_label((struct sockaddr *)&b, label, sizeof label);
	ck_assert_str_eq(label, "[::1]:53");
	ck_assert_int_eq(dnswire_server_addr(&bad, &b, &bl), -1);
	ck_assert(dnswire_addr_eq(&a, &a));
	ck_assert(!dnswire_addr_eq(&a, &b));
	struct sockaddr_storage c = a;
	((struct sockaddr_in *)(void *)&c)->sin_port = htons(5354); /* another port: not the server */
	ck_assert(!dnswire_addr_eq(&a, &c));
	ck_assert_int_eq(dnswire_server_addr(&s6, &c, &bl), 0);
	ck_assert(dnswire_addr_eq(&b, &c));
}
END_TEST

Suite *dnswire_suite(void)
{
	Suite *s = suite_create("dnswire");
	TCase *tc = tcase_create("queries");
	tcase_add_test(tc, query_bytes);
	tcase_add_test(tc, query_escapes);
	tcase_add_test(tc, query_bad_names);
	tcase_add_test(tc, match_rules);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_test(tc, name_compression);
	tcase_add_test(tc, name_too_long);
	tcase_add_test(tc, name_text_escapes);
	suite_add_tcase(s, tc);
	tc = tcase_create("replies");
	tcase_add_test(tc, parse_txt_strings_and_records);
	tcase_add_test(tc, parse_every_truncation);
	tcase_add_test(tc, parse_bad_rdata);
	tcase_add_test(tc, parse_record_bounds);
	tcase_add_test(tc, classify_rcodes);
	tcase_add_test(tc, classify_truncated);
	tcase_add_test(tc, negative_answers);
	tcase_add_test(tc, referral_is_server_failure);
	tcase_add_test(tc, cname_chain_in_reply);
	tcase_add_test(tc, cname_loops_and_bounds);
	tcase_add_test(tc, cname_to_chase);
	suite_add_tcase(s, tc);
	tc = tcase_create("servers");
	tcase_add_test(tc, parse_server_valid);
	tcase_add_test(tc, parse_server_invalid);
	tcase_add_test(tc, server_addresses);
	suite_add_tcase(s, tc);
	return s;
}
