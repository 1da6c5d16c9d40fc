/*
 * check_dns: the asynchronous DNS source (src/dns.c) against real loopback
 * servers: dnsmasq serving a zone, and a scripted fake responder for the
 * failures dnsmasq does not produce (SERVFAIL, REFUSED, silence, TC, spoofed
 * replies). Generous time bounds: the suite must pass on a loaded 2-core
 * machine and under valgrind.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "dnstest.h"
#include "lookup.h"

Suite *dns_suite(void);

#define ZONE_ORIGIN "example.test"
#define BULK_NAMES 50
#define WAIT_LIMIT_MS 20000   /* a hung query fails the test instead of hanging it */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------- collecting answers ---------- */

struct result {
	int done;
	struct lookup_answer ans;   /* owns the record texts once done */
};

static void take_answer(void *user, struct lookup_answer *ans, void *cbctx)
{
	struct result *r = user;
	(void)cbctx;
	r->ans = *ans;       /* the callee takes the record texts */
	ans->nrecords = 0;
	r->done++;
}

static void result_free(struct result *r)
{
	lookup_answer_clear(&r->ans);
}

static struct dns *open_dns(const char *const *servers, size_t n, int timeout_ms)
{
	struct dns_opts opts;
	char err[256];
	memset(&opts, 0, sizeof opts);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(dns_parse_server(servers[i], &opts.servers[i]) == 0, "server %s", servers[i]);
	opts.nservers = n;
	opts.timeout_ms = timeout_ms;
	struct dns *d = dns_open(&opts, err, sizeof err);
	ck_assert_msg(d != NULL, "dns_open: %s", err);
	return d;
}

static void poll_until_idle(struct dns *d)
{
	double limit = now_s() + WAIT_LIMIT_MS / 1000.0;
	while (dns_pending(d) > 0 && now_s() < limit)
		dns_poll(d, 100, take_answer, NULL);
	ck_assert_msg(dns_pending(d) == 0, "queries still pending after %d ms", WAIT_LIMIT_MS);
}

/* Resolve one name through the given servers; r must be freed with result_free. */
static void resolve_via(const char *const *servers, size_t n, int timeout_ms, const char *name,
			struct result *r)
{
	char err[256];
	memset(r, 0, sizeof *r);
	struct dns *d = open_dns(servers, n, timeout_ms);
	ck_assert_msg(dns_query_txt(d, name, r, err, sizeof err) == 0, "query: %s", err);
	poll_until_idle(d);
	dns_close(d);
	ck_assert_int_eq(r->done, 1);
}

static void resolve(const char *server, int timeout_ms, const char *name, struct result *r)
{
	resolve_via(&server, 1, timeout_ms, name, r);
}

static int has_record(const struct lookup_answer *a, const char *text)
{
	for (size_t i = 0; i < a->nrecords; i++)
		if (a->records[i].len == strlen(text) && memcmp(a->records[i].text, text, a->records[i].len) == 0)
			return 1;
	return 0;
}

/* ---------- dns_parse_server ---------- */

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
		struct dns_server s;
		memset(&s, 0, sizeof s);
		ck_assert_msg(dns_parse_server(ok[i].spec, &s) == 0, "%s rejected", ok[i].spec);
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
	struct dns_server s;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(dns_parse_server(bad[i], &s) == -1, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(dns_parse_server(NULL, &s), -1);
	ck_assert_int_eq(dns_parse_server("127.0.0.1", NULL), -1);
}
END_TEST

/* ---------- dns_open / dns_query_txt argument checks ---------- */

START_TEST(open_rejects_bad_server)
{
	struct dns_opts opts;
	char err[256] = "";
	memset(&opts, 0, sizeof opts);
	snprintf(opts.servers[0].ip, sizeof opts.servers[0].ip, "not-an-ip");
	opts.servers[0].port = 53;
	opts.nservers = 1;
	ck_assert_ptr_null(dns_open(&opts, err, sizeof err));
	ck_assert_msg(strstr(err, "not-an-ip") != NULL, "err: %s", err);
	opts.nservers = DNS_SERVERS_MAX + 1;
	ck_assert_ptr_null(dns_open(&opts, err, sizeof err));
}
END_TEST

START_TEST(query_rejects_long_names)
{
	static const char *const server = "127.0.0.1:9";
	char name[400], err[256];
	struct dns *d = open_dns(&server, 1, 1000);
	/* 253 octets: labels of 63 and dots */
	snprintf(name, sizeof name, "%.63s.%.63s.%.63s.%.61s", "a0123456789012345678901234567890123456789012345678901234567890123",
		 "b0123456789012345678901234567890123456789012345678901234567890123",
		 "c0123456789012345678901234567890123456789012345678901234567890123",
		 "d0123456789012345678901234567890123456789012345678901234567890123");
	ck_assert_uint_eq(strlen(name), 253);
	ck_assert_int_eq(dns_query_txt(d, name, NULL, err, sizeof err), 0);
	strcat(name, "x");
	err[0] = '\0';
	ck_assert_int_eq(dns_query_txt(d, name, NULL, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "too long") != NULL, "err: %s", err);
	memset(name, 'a', 300);
	name[300] = '\0';
	ck_assert_int_eq(dns_query_txt(d, name, NULL, err, sizeof err), -1);
	/* a 64-octet label cannot be encoded (RFC 1035 §2.3.4) */
	snprintf(name, sizeof name, "%.64s.example", "0123456789012345678901234567890123456789012345678901234567890123456789");
	ck_assert_int_eq(dns_query_txt(d, name, NULL, err, sizeof err), -1);
	ck_assert_int_eq(dns_query_txt(d, "", NULL, err, sizeof err), -1);
	ck_assert_uint_eq(dns_pending(d), 1);
	dns_close(d); /* with a query still in flight: must free it */
}
END_TEST

/* ---------- a zone served by dnsmasq ---------- */

static struct dnstest zone_server;
static char long_text[301];     /* one 300-octet string: the harness splits it 255 + 45 */
static char big_text[1501];     /* 1500 octets: the UDP answer is truncated, TCP is needed */

static void make_texts(void)
{
	for (size_t i = 0; i < sizeof long_text - 1; i++)
		long_text[i] = (char)('a' + i % 26);
	long_text[sizeof long_text - 1] = '\0';
	for (size_t i = 0; i < sizeof big_text - 1; i++)
		big_text[i] = (char)('A' + i % 26);
	big_text[sizeof big_text - 1] = '\0';
}

static void zone_setup(void)
{
	struct buf z;
	char err[512];
	make_texts();
	buf_init(&z, 1 << 20);
	buf_printf(&z, "$ORIGIN " ZONE_ORIGIN ".\n"
		       "single._domainkey  300 IN TXT \"v=DKIM1; k=rsa; p=SINGLE\"\n"
		       "multi._domainkey   IN TXT ( \"v=DKIM1; k=rsa; \"\n"
		       "                            \"p=MULTI\" \"PART2\" )\n"
		       "long._domainkey    IN TXT \"%s\"\n"
		       "two                IN TXT \"first record\"\n"
		       "                   IN TXT \"second record\"\n"
		       "host               IN A 127.0.0.9\n"
		       "comma              IN TXT \"a,b\" \"c\\\"d\"\n",
		   long_text);
	/* the big record as six quoted strings of 250 octets, as a zone file would hold it */
	buf_printf(&z, "big IN TXT (");
	for (int i = 0; i < 6; i++)
		buf_printf(&z, " \"%.250s\"", big_text + i * 250);
	buf_printf(&z, " )\n");
	/* 700 octets: truncated over plain UDP (512), fits with EDNS(0) (1232) */
	buf_printf(&z, "mid IN TXT \"%.250s\" \"%.250s\" \"%.200s\"\n", big_text, big_text + 250,
		   big_text + 500);
	for (int i = 0; i < BULK_NAMES; i++)
		buf_printf(&z, "bulk%d IN TXT \"bulk record %d\"\n", i, i);
	int rc = dnstest_start_zone_text(&zone_server, z.data, err, sizeof err);
	buf_free(&z);
	if (rc < 0)
		ck_abort_msg("%s", err);
}

static void zone_teardown(void)
{
	dnstest_stop(&zone_server);
}

START_TEST(zone_single_string)
{
	struct result r;
	time_t before = time(NULL);
	resolve(zone_server.server, 5000, "single._domainkey." ZONE_ORIGIN, &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_OK);
	ck_assert_uint_eq(r.ans.nrecords, 1);
	ck_assert_str_eq(r.ans.records[0].text, "v=DKIM1; k=rsa; p=SINGLE");
	ck_assert_uint_eq(r.ans.records[0].len, strlen("v=DKIM1; k=rsa; p=SINGLE"));
	ck_assert_uint_eq(r.ans.records[0].nstrings, 1);
	ck_assert_int_eq(r.ans.rcode, 0);
	ck_assert_uint_eq(r.ans.ttl, 300);
	ck_assert_int_eq(r.ans.source, LOOKUP_SRC_DNS);
	ck_assert_str_eq(r.ans.server, zone_server.server);
	ck_assert_str_eq(r.ans.name, "single._domainkey." ZONE_ORIGIN);
	ck_assert(r.ans.fetched >= before && r.ans.fetched <= time(NULL));
	result_free(&r);
}
END_TEST

START_TEST(zone_multi_string_joined)
{
	struct result r;
	resolve(zone_server.server, 5000, "multi._domainkey." ZONE_ORIGIN, &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_OK);
	ck_assert_uint_eq(r.ans.nrecords, 1);
	ck_assert_str_eq(r.ans.records[0].text, "v=DKIM1; k=rsa; p=MULTIPART2");
	ck_assert_uint_eq(r.ans.records[0].nstrings, 3);
	result_free(&r);
}
END_TEST

START_TEST(zone_record_over_255)
{
	struct result r;
	resolve(zone_server.server, 5000, "LONG._domainkey." ZONE_ORIGIN ".", &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_OK);
	ck_assert_uint_eq(r.ans.nrecords, 1);
	ck_assert_uint_eq(r.ans.records[0].len, 300);
	ck_assert_str_eq(r.ans.records[0].text, long_text);
	ck_assert_uint_eq(r.ans.records[0].nstrings, 2);
	result_free(&r);
}
END_TEST

START_TEST(zone_big_record_needs_tcp)
{
	struct result r;
	resolve(zone_server.server, 5000, "big." ZONE_ORIGIN, &r);
	ck_assert_msg(r.ans.status == LOOKUP_OK, "status %s: %s", lookup_status_word(r.ans.status),
		      r.ans.detail);
	ck_assert_uint_eq(r.ans.nrecords, 1);
	ck_assert_uint_eq(r.ans.records[0].len, 1500);
	ck_assert_str_eq(r.ans.records[0].text, big_text);
	ck_assert_uint_eq(r.ans.records[0].nstrings, 6);
	result_free(&r);
}
END_TEST

START_TEST(zone_edns0_from_resolv_options)
{
	struct result r;
	/* res_ninit reads RES_OPTIONS like resolv.conf's "options" line */
	setenv("RES_OPTIONS", "edns0", 1);
	resolve(zone_server.server, 5000, "mid." ZONE_ORIGIN, &r);
	unsetenv("RES_OPTIONS");
	ck_assert_msg(r.ans.status == LOOKUP_OK, "%s", r.ans.detail);
	ck_assert_uint_eq(r.ans.records[0].len, 700);
	ck_assert_int_eq(memcmp(r.ans.records[0].text, big_text, 700), 0);
	result_free(&r);
	resolve(zone_server.server, 5000, "big." ZONE_ORIGIN, &r); /* still too big: TCP */
	ck_assert_msg(r.ans.status == LOOKUP_OK, "%s", r.ans.detail);
	result_free(&r);
}
END_TEST

START_TEST(zone_two_records)
{
	struct result r;
	resolve(zone_server.server, 5000, "two." ZONE_ORIGIN, &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_OK);
	ck_assert_uint_eq(r.ans.nrecords, 2);
	ck_assert(has_record(&r.ans, "first record"));
	ck_assert(has_record(&r.ans, "second record"));
	result_free(&r);
}
END_TEST

START_TEST(zone_comma_and_quote)
{
	struct result r;
	resolve(zone_server.server, 5000, "comma." ZONE_ORIGIN, &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_OK);
	ck_assert_str_eq(r.ans.records[0].text, "a,bc\"d");
	ck_assert_uint_eq(r.ans.records[0].nstrings, 2);
	result_free(&r);
}
END_TEST

START_TEST(zone_missing_name_nxdomain)
{
	struct result r;
	resolve(zone_server.server, 5000, "missing._domainkey." ZONE_ORIGIN, &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_NXDOMAIN);
	ck_assert_int_eq(r.ans.rcode, 3);
	ck_assert_uint_eq(r.ans.nrecords, 0);
	ck_assert_str_eq(r.ans.detail, "NXDOMAIN: missing._domainkey." ZONE_ORIGIN " does not exist");
	ck_assert_str_eq(r.ans.server, zone_server.server);
	result_free(&r);
}
END_TEST

START_TEST(zone_other_type_nodata)
{
	struct result r;
	resolve(zone_server.server, 5000, "host." ZONE_ORIGIN, &r);
	ck_assert_msg(r.ans.status == LOOKUP_NODATA, "status %s", lookup_status_word(r.ans.status));
	ck_assert_int_eq(r.ans.rcode, 0);
	ck_assert_uint_eq(r.ans.nrecords, 0);
	ck_assert_msg(strstr(r.ans.detail, "no TXT record") != NULL, "detail: %s", r.ans.detail);
	result_free(&r);
}
END_TEST

START_TEST(zone_many_in_flight)
{
	static struct result r[BULK_NAMES];
	char name[64], err[256];
	memset(r, 0, sizeof r);
	struct dns *d = open_dns((const char *const[]){ zone_server.server }, 1, 10000);
	for (int i = 0; i < BULK_NAMES; i++) {
		snprintf(name, sizeof name, "bulk%d." ZONE_ORIGIN, i);
		ck_assert_msg(dns_query_txt(d, name, &r[i], err, sizeof err) == 0, "%s", err);
	}
	ck_assert_uint_eq(dns_pending(d), BULK_NAMES);
	poll_until_idle(d);
	dns_close(d);
	for (int i = 0; i < BULK_NAMES; i++) {
		char want[64];
		snprintf(want, sizeof want, "bulk record %d", i);
		ck_assert_int_eq(r[i].done, 1);
		ck_assert_msg(r[i].ans.status == LOOKUP_OK, "bulk%d: %s", i, r[i].ans.detail);
		ck_assert_uint_eq(r[i].ans.nrecords, 1);
		ck_assert_str_eq(r[i].ans.records[0].text, want);
		result_free(&r[i]);
	}
}
END_TEST

START_TEST(zone_through_lookup_cache)
{
	struct dns_opts opts;
	char err[256];
	memset(&opts, 0, sizeof opts);
	ck_assert_int_eq(dns_parse_server(zone_server.server, &opts.servers[0]), 0);
	opts.nservers = 1;
	opts.timeout_ms = 5000;
	struct lookup *lk = lookup_new_dns(&opts, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	lookup_request(lk, "single._domainkey." ZONE_ORIGIN);
	lookup_request(lk, "two." ZONE_ORIGIN);
	lookup_request(lk, "missing." ZONE_ORIGIN);
	const struct lookup_answer *two = lookup_wait(lk, "two." ZONE_ORIGIN);
	ck_assert_int_eq(two->status, LOOKUP_OK);
	ck_assert_uint_eq(two->nrecords, 2);
	const struct lookup_answer *a = lookup_wait(lk, "single._domainkey." ZONE_ORIGIN);
	ck_assert_int_eq(a->status, LOOKUP_OK);
	ck_assert_str_eq(a->records[0].text, "v=DKIM1; k=rsa; p=SINGLE");
	ck_assert_str_eq(a->name, "single._domainkey." ZONE_ORIGIN);
	ck_assert_int_eq(lookup_wait(lk, "missing." ZONE_ORIGIN)->status, LOOKUP_NXDOMAIN);
	/* cached: same answer object, case and trailing dot do not matter */
	ck_assert_ptr_eq(lookup_wait(lk, "single._domainkey." ZONE_ORIGIN), a);
	ck_assert_ptr_eq(lookup_wait(lk, "SINGLE._domainkey.Example.Test."), a);
	lookup_free(lk);
}
END_TEST

/* ---------- the fake responder ---------- */

static struct dnstest fake, fake2;

static void fake_teardown(void)
{
	dnstest_stop(&fake);
	dnstest_stop(&fake2);
}

static void start_fake(struct dnstest *t, enum dnstest_mode mode, const char *txt)
{
	char err[256];
	if (dnstest_start_fake(t, mode, txt, err, sizeof err) < 0)
		ck_abort_msg("%s", err);
}

START_TEST(fake_cache_asks_once)
{
	struct dns_opts opts;
	char err[256];
	start_fake(&fake, DNSTEST_ANSWER, "v=DKIM1; p=CACHED");
	memset(&opts, 0, sizeof opts);
	ck_assert_int_eq(dns_parse_server(fake.server, &opts.servers[0]), 0);
	opts.nservers = 1;
	opts.timeout_ms = 5000;
	struct lookup *lk = lookup_new_dns(&opts, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	const struct lookup_answer *a = lookup_wait(lk, "sel._domainkey.example.com");
	ck_assert_int_eq(a->status, LOOKUP_OK);
	ck_assert_str_eq(a->records[0].text, "v=DKIM1; p=CACHED");
	unsigned long asked = dnstest_queries(&fake); /* 1, or 2 if a stalled machine retransmitted */
	ck_assert_uint_ge(asked, 1);
	lookup_request(lk, "sel._domainkey.example.com");
	ck_assert_ptr_eq(lookup_wait(lk, "sel._domainkey.example.com"), a);
	ck_assert_ptr_eq(lookup_wait(lk, "SEL._domainkey.example.com."), a);
	lookup_poll(lk, 50);
	ck_assert_uint_eq(dnstest_queries(&fake), asked);
	lookup_free(lk);
}
END_TEST

START_TEST(fake_servfail)
{
	struct result r;
	char want[128];
	start_fake(&fake, DNSTEST_SERVFAIL, NULL);
	resolve(fake.server, 5000, "sel._domainkey.example.com", &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_SERVFAIL);
	ck_assert_int_eq(r.ans.rcode, 2);
	snprintf(want, sizeof want, "SERVFAIL from %s for sel._domainkey.example.com", fake.server);
	ck_assert_str_eq(r.ans.detail, want);
	ck_assert_str_eq(r.ans.server, fake.server);
	result_free(&r);
}
END_TEST

START_TEST(fake_refused)
{
	struct result r;
	start_fake(&fake, DNSTEST_REFUSED, NULL);
	resolve(fake.server, 5000, "sel._domainkey.example.com", &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_SERVFAIL);
	ck_assert_int_eq(r.ans.rcode, 5);
	ck_assert_msg(strstr(r.ans.detail, "REFUSED") != NULL, "detail: %s", r.ans.detail);
	result_free(&r);
}
END_TEST

START_TEST(fake_silent_times_out)
{
	struct result r;
	char want[160];
	start_fake(&fake, DNSTEST_SILENT, NULL);
	double t0 = now_s();
	resolve(fake.server, 1000, "sel._domainkey.example.com", &r);
	double took = now_s() - t0;
	ck_assert_int_eq(r.ans.status, LOOKUP_TIMEOUT);
	ck_assert_msg(took >= 0.95 && took < 4.0, "took %.2f s", took);
	snprintf(want, sizeof want, "DNS timeout after 1.0 s querying %s for sel._domainkey.example.com",
		 fake.server);
	ck_assert_str_eq(r.ans.detail, want);
	ck_assert_int_eq(r.ans.rcode, -1);
	ck_assert_uint_ge(dnstest_queries(&fake), 1);
	result_free(&r);
}
END_TEST

START_TEST(fake_truncated_uses_tcp)
{
	struct result r;
	char text[1001];
	for (size_t i = 0; i < sizeof text - 1; i++)
		text[i] = (char)('0' + i % 10);
	text[sizeof text - 1] = '\0';
	start_fake(&fake, DNSTEST_TRUNCATE, text);
	resolve(fake.server, 5000, "sel._domainkey.example.com", &r);
	ck_assert_msg(r.ans.status == LOOKUP_OK, "%s", r.ans.detail);
	ck_assert_uint_eq(r.ans.nrecords, 1);
	ck_assert_str_eq(r.ans.records[0].text, text);
	ck_assert_uint_eq(r.ans.records[0].nstrings, 4);
	ck_assert_uint_ge(dnstest_queries(&fake), 2); /* UDP (TC, no records), then TCP */
	result_free(&r);
}
END_TEST

static void expect_spoof_rejected(enum dnstest_mode mode)
{
	struct result r;
	start_fake(&fake, mode, "v=DKIM1; p=GENUINE");
	resolve(fake.server, 5000, "sel._domainkey.example.com", &r);
	ck_assert_msg(r.ans.status == LOOKUP_OK, "%s", r.ans.detail);
	ck_assert_uint_eq(r.ans.nrecords, 1);
	ck_assert_str_eq(r.ans.records[0].text, "v=DKIM1; p=GENUINE");
	result_free(&r);
}

START_TEST(fake_wrong_id_ignored)
{
	expect_spoof_rejected(DNSTEST_WRONG_ID);
}
END_TEST

START_TEST(fake_wrong_question_ignored)
{
	expect_spoof_rejected(DNSTEST_WRONG_NAME);
}
END_TEST

START_TEST(fake_wrong_port_ignored)
{
	expect_spoof_rejected(DNSTEST_WRONG_PORT);
}
END_TEST

START_TEST(fake_cname_followed)
{
	struct result r;
	start_fake(&fake, DNSTEST_CNAME, "v=DKIM1; p=TARGET");
	resolve(fake.server, 5000, "sel._domainkey.example.com", &r);
	ck_assert_msg(r.ans.status == LOOKUP_OK, "%s", r.ans.detail);
	ck_assert_uint_eq(r.ans.nrecords, 2);
	ck_assert(has_record(&r.ans, "v=DKIM1; p=TARGET"));
	ck_assert(has_record(&r.ans, "second"));
	ck_assert(!has_record(&r.ans, "decoy"));
	ck_assert_uint_eq(r.ans.ttl, 120);
	result_free(&r);
}
END_TEST

START_TEST(fake_malformed_is_error)
{
	struct result r;
	start_fake(&fake, DNSTEST_MALFORMED, NULL);
	resolve(fake.server, 5000, "sel._domainkey.example.com", &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_ERROR);
	ck_assert_msg(strstr(r.ans.detail, "malformed") != NULL, "detail: %s", r.ans.detail);
	result_free(&r);
}
END_TEST

START_TEST(fake_ad_bit_requested_and_recorded)
{
	struct result r;
	start_fake(&fake, DNSTEST_ANSWER, NULL); /* echoes AD only if the query set it */
	resolve(fake.server, 5000, "sel._domainkey.example.com", &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_OK);
	ck_assert_int_eq(r.ans.ad, 1);
	result_free(&r);
}
END_TEST

START_TEST(fake_first_server_silent_second_answers)
{
	struct result r;
	start_fake(&fake, DNSTEST_SILENT, NULL);
	start_fake(&fake2, DNSTEST_ANSWER, "v=DKIM1; p=SECOND");
	const char *servers[] = { fake.server, fake2.server };
	double t0 = now_s();
	resolve_via(servers, 2, 4000, "sel._domainkey.example.com", &r);
	double took = now_s() - t0;
	ck_assert_msg(r.ans.status == LOOKUP_OK, "%s", r.ans.detail);
	ck_assert_str_eq(r.ans.records[0].text, "v=DKIM1; p=SECOND");
	ck_assert_str_eq(r.ans.server, fake2.server);
	ck_assert_msg(took < 4.0, "took %.2f s", took);
	ck_assert_uint_ge(dnstest_queries(&fake), 1);
	result_free(&r);
}
END_TEST

START_TEST(fake_first_server_fails_second_answers)
{
	struct result r;
	start_fake(&fake, DNSTEST_SERVFAIL, NULL);
	start_fake(&fake2, DNSTEST_ANSWER, "v=DKIM1; p=SECOND");
	const char *servers[] = { fake.server, fake2.server };
	double t0 = now_s();
	resolve_via(servers, 2, 10000, "sel._domainkey.example.com", &r);
	ck_assert_msg(r.ans.status == LOOKUP_OK, "%s", r.ans.detail);
	ck_assert_str_eq(r.ans.server, fake2.server);
	ck_assert_msg(now_s() - t0 < 4.0, "the second server was not asked at once");
	result_free(&r);
}
END_TEST

/* ---------- the harness itself ---------- */

START_TEST(harness_zone_file)
{
	static const char zone[] =
		"; a zone file as the end-to-end tests write them\n"
		"$TTL 3600\n"
		"$ORIGIN Mail.Example.\n"
		"@                     IN TXT \"v=spf1 -all\"\n"
		"s1._domainkey         IN TXT ( \"v=DKIM1; \"   ; a comment inside\n"
		"                               \"p=ABC\\068\" )\n"
		"                      IN TXT \"history\"\n"
		"v6                    IN AAAA ::1\n"
		"abs.example.org.   60 IN TXT \"absolute\"\n";
	char path[256], err[512];
	const char *tmp = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/check_dns_zone.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp %s", path);
	ck_assert_int_eq(write(fd, zone, sizeof zone - 1), (ssize_t)(sizeof zone - 1));
	close(fd);
	struct dnstest t;
	const char *files[] = { path };
	int rc = dnstest_start_zone(&t, files, 1, err, sizeof err);
	unlink(path);
	ck_assert_msg(rc == 0, "%s", err);
	pid_t pid = t.pid;
	struct result r;
	resolve(t.server, 5000, "mail.example", &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_OK);
	ck_assert_str_eq(r.ans.records[0].text, "v=spf1 -all");
	result_free(&r);
	resolve(t.server, 5000, "s1._domainkey.mail.example", &r);
	ck_assert_uint_eq(r.ans.nrecords, 2);
	ck_assert(has_record(&r.ans, "v=DKIM1; p=ABCD"));
	ck_assert(has_record(&r.ans, "history"));
	result_free(&r);
	resolve(t.server, 5000, "v6.mail.example", &r);
	ck_assert_int_eq(r.ans.status, LOOKUP_NODATA);
	result_free(&r);
	resolve(t.server, 5000, "abs.example.org", &r);
	ck_assert_str_eq(r.ans.records[0].text, "absolute");
	result_free(&r);
	dnstest_stop(&t);
	ck_assert_int_eq(t.pid, 0);
	ck_assert_int_eq(kill(pid, 0), -1); /* killed and reaped, not a zombie */
	dnstest_stop(&t);                   /* twice is harmless */
}
END_TEST

START_TEST(harness_missing_dnsmasq_is_loud)
{
	struct dnstest t;
	char err[512] = "";
	setenv("DNSTEST_DNSMASQ", "/nonexistent/dnsmasq", 1);
	int rc = dnstest_start_zone_text(&t, "a.example. IN TXT \"x\"\n", err, sizeof err);
	unsetenv("DNSTEST_DNSMASQ");
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, "dnsmasq NOT FOUND") && strstr(err, "dnsmasq-base"), "err: %s", err);
	ck_assert_int_eq(t.pid, 0);
	dnstest_stop(&t);
}
END_TEST

START_TEST(harness_bad_zone_reports_line)
{
	struct dnstest t;
	char err[512] = "";
	ck_assert_int_eq(dnstest_start_zone_text(&t, "a.example. IN TXT \"x\"\n$INCLUDE other\n", err,
						 sizeof err), -1);
	ck_assert_msg(strstr(err, "<zone text>:2") != NULL, "err: %s", err);
	ck_assert_int_eq(dnstest_start_zone_text(&t, "a.example. IN TXT \"x\n", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "unterminated") != NULL, "err: %s", err);
}
END_TEST

START_TEST(harness_stop_on_unstarted_is_noop)
{
	struct dnstest t = { 0 };
	dnstest_stop(&t);
	dnstest_stop(NULL);
}
END_TEST

Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");

	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, parse_server_valid);
	tcase_add_test(tc, parse_server_invalid);
	tcase_add_test(tc, open_rejects_bad_server);
	tcase_add_test(tc, query_rejects_long_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("zone");
	tcase_add_unchecked_fixture(tc, zone_setup, zone_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, zone_single_string);
	tcase_add_test(tc, zone_multi_string_joined);
	tcase_add_test(tc, zone_record_over_255);
	tcase_add_test(tc, zone_big_record_needs_tcp);
	tcase_add_test(tc, zone_edns0_from_resolv_options);
	tcase_add_test(tc, zone_two_records);
	tcase_add_test(tc, zone_comma_and_quote);
	tcase_add_test(tc, zone_missing_name_nxdomain);
	tcase_add_test(tc, zone_other_type_nodata);
	tcase_add_test(tc, zone_many_in_flight);
	tcase_add_test(tc, zone_through_lookup_cache);
	suite_add_tcase(s, tc);

	tc = tcase_create("harness");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, harness_zone_file);
	tcase_add_test(tc, harness_missing_dnsmasq_is_loud);
	tcase_add_test(tc, harness_bad_zone_reports_line);
	tcase_add_test(tc, harness_stop_on_unstarted_is_noop);
	suite_add_tcase(s, tc);

	tc = tcase_create("fake");
	tcase_add_checked_fixture(tc, NULL, fake_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fake_cache_asks_once);
	tcase_add_test(tc, fake_servfail);
	tcase_add_test(tc, fake_refused);
	tcase_add_test(tc, fake_silent_times_out);
	tcase_add_test(tc, fake_truncated_uses_tcp);
	tcase_add_test(tc, fake_wrong_id_ignored);
	tcase_add_test(tc, fake_wrong_question_ignored);
	tcase_add_test(tc, fake_wrong_port_ignored);
	tcase_add_test(tc, fake_cname_followed);
	tcase_add_test(tc, fake_malformed_is_error);
	tcase_add_test(tc, fake_ad_bit_requested_and_recorded);
	tcase_add_test(tc, fake_first_server_silent_second_answers);
	tcase_add_test(tc, fake_first_server_fails_second_answers);
	suite_add_tcase(s, tc);
	return s;
}
