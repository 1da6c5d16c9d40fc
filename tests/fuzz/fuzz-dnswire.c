/*
 * fuzz-dnswire: the DNS answer parser, the pure wire-format code that reads
 * what a (hostile) DNS server or anyone on the path sends back: reply
 * matching (RFC 5452 §9.1), name decompression (RFC 1035 §4.1.4), TXT
 * collection (RFC 6376 §3.6.2.2), CNAME following, rcodes, negative TTLs.
 * Input: a flags byte (bit 0: the reply came over TCP; bit 1: make the reply
 * match the query, with the input's header counts and flags after it), the
 * CNAMEs followed before, then the reply bytes.
 */
#include <string.h>

#include "dnswire.h"
#include "fuzz.h"
#include "keyans.h"

#define NAME "sel._domainkey.example.com"

/* A reply that repeats the query's ID and question (the query has no OPT record, so the answers
 * follow the question), so the parser goes past matching. */
static size_t matching_reply(const struct dnswire_query *q, const uint8_t *p, size_t n, unsigned char *msg)
{
	memcpy(msg, q->msg + 2, q->len);
	msg[2] = (unsigned char)(0x80 | (n ? (p[0] & 0x7f & ~0x78) : 0));   /* QR, opcode QUERY, AA/TC/RD */
	msg[3] = n > 1 ? p[1] : 0;                                          /* RA, AD, rcode */
	size_t used = n > 1 ? 2 : n;
	for (int k = 0; k < 6 && used < n; k++)                              /* ANCOUNT, NSCOUNT, ARCOUNT */
		msg[6 + k] = p[used++];
	size_t len = q->len;
	size_t rest = n - used < DNSWIRE_MSG_MAX - len ? n - used : DNSWIRE_MSG_MAX - len;
	memcpy(msg + len, p + used, rest);
	return len + rest;
}

static void check_answer(const struct keyans *a, const struct dnswire_result *res)
{
	FUZZ_CHECK(res->kind <= DNSWIRE_LOOP, "a known kind");
	FUZZ_CHECK(memchr(res->why, '\0', sizeof res->why) && memchr(res->target, '\0', sizeof res->target),
		   "strings terminated");
	if (res->kind != DNSWIRE_ANSWER)
		return;
	FUZZ_CHECK(a->status == KEYANS_OK || a->status == KEYANS_NODATA || a->status == KEYANS_NXDOMAIN,
		   "an answer is OK, NODATA or NXDOMAIN");
	FUZZ_CHECK(a->status != KEYANS_OK || a->nrecords > 0, "OK has a record");
	FUZZ_CHECK(a->nrecords <= KEYANS_RECORDS_MAX, "records bounded");
	FUZZ_CHECK(res->cnames <= DNSWIRE_CNAME_MAX, "CNAMEs bounded");
	for (size_t i = 0; i < a->nrecords; i++)
		FUZZ_CHECK(a->records[i].len <= KEYANS_RECORD_MAX && a->records[i].text[a->records[i].len] == '\0',
			   "a record within its bound, NUL-terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	static unsigned char msg[DNSWIRE_MSG_MAX];
	struct dnswire_query q;
	char err[200];
	FUZZ_CHECK(dnswire_build_query(NAME, 0x1234, 0, &q, err, sizeof err) == 0, "the query builds");
	unsigned flags = data[0], hops = data[1] % (DNSWIRE_CNAME_MAX + 2);
	const uint8_t *p = data + 2;
	size_t n = size - 2, len;
	if (flags & 2) {
		len = matching_reply(&q, p, n, msg);
	} else {
		len = n < sizeof msg ? n : sizeof msg;
		memcpy(msg, p, len);
	}
	/* any name anywhere: decompression stays inside the message and within 255 octets */
	unsigned char wire[DNSWIRE_NAME_WIRE_MAX];
	size_t wirelen, next;
	size_t off = len ? (size_t)(flags >> 2) % len : 0;
	if (len && dnswire_name(msg, len, off, wire, &wirelen, &next) == 0) {
		FUZZ_CHECK(wirelen <= DNSWIRE_NAME_WIRE_MAX && next > off && next <= len, "a name in bounds");
		char text[4 * DNSWIRE_NAME_WIRE_MAX + 1];
		dnswire_name_text(wire, wirelen, text, sizeof text);
	}
	if (!dnswire_reply_matches(&q, msg, len))
		return 0;
	struct keyans *a = keyans_new(NAME, KEYANS_SRC_DNS);
	if (!a)
		return 0;
	struct dnswire_result res;
	memset(&res, 0, sizeof res);
	dnswire_parse_reply(&q, msg, len, flags & 1, hops, a, &res);
	check_answer(a, &res);
	keyans_free(a);
	return 0;
}
