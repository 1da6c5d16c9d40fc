/*
 * check_dns: the DNS key source (src/dns.c) against real loopback servers:
 * the test server of dnsserver.c (zones, delays and every fault it injects),
 * dnsmasq as an independent implementation, closed ports for ICMP refusals,
 * resolv.conf options through RES_OPTIONS (in fresh arcverify processes:
 * glibc reads them once per process), and the send plan as numbers.
 * Also the harness itself and the standalone server `make bench` starts.
 * Time bounds are generous upper bounds only ("did not wait for the full
 * timeout"): the suite must pass on a loaded 2-core machine and under valgrind.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "dnstest.h"
#include "fixture.h"
#include "keyans.h"
#include "keysrc.h"
#include "suites.h"

#define ORIGIN "example.test"
#define BULK_NAMES 50
#define WAIT_LIMIT_MS 20000   /* a hung query fails the test instead of hanging it */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------- driving the source ---------- */

struct result {
	int done;
	struct keyans *ans;   /* ours once done */
};

static void take(void *cbctx, void *user, struct keyans *ans)
{
	struct result *r = user;
	(void)cbctx;
	r->ans = ans;
	r->done++;
}

static struct keysrc *open_dns(const char *const *servers, size_t n, int timeout_ms)
{
	struct dns_opts opts;
	char err[256];
	memset(&opts, 0, sizeof opts);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(dnswire_parse_server(servers[i], &opts.servers[i]) == 0, "server %s", servers[i]);
	opts.nservers = n;
	opts.timeout_ms = timeout_ms;
	struct keysrc *s = dns_source_new(&opts, err, sizeof err);
	ck_assert_msg(s != NULL, "dns_source_new: %s", err);
	ck_assert_int_eq(keysrc_async(s), 1);
	return s;
}

static void poll_until_idle(struct keysrc *s)
{
	double limit = now_s() + WAIT_LIMIT_MS / 1000.0;
	size_t open = 1;
	while (open > 0 && now_s() < limit)
		open = keysrc_poll(s, 100, -1, take, NULL);
	ck_assert_msg(open == 0, "queries still open after %d ms", WAIT_LIMIT_MS);
}

/* Resolve one name through the given servers; free r->ans with keyans_free. */
static void resolve_via(const char *const *servers, size_t n, int timeout_ms, const char *name, struct result *r)
{
	memset(r, 0, sizeof *r);
	struct keysrc *s = open_dns(servers, n, timeout_ms);
	keysrc_request(s, name, r, take, NULL);
	poll_until_idle(s);
	keysrc_free(s);
	ck_assert_int_eq(r->done, 1);
	ck_assert_ptr_nonnull(r->ans);
}

static void resolve(const char *server, int timeout_ms, const char *name, struct result *r)
{
	resolve_via(&server, 1, timeout_ms, name, r);
}

static int has_record(const struct keyans *a, const char *text)
{
	for (size_t i = 0; i < a->nrecords; i++)
		if (a->records[i].len == strlen(text) && memcmp(a->records[i].text, text, a->records[i].len) == 0)
			return 1;
	return 0;
}

static void expect_status(const struct result *r, enum keyans_status st)
{
	ck_assert_msg(r->ans->status == st, "status %s, want %s: %s", keyans_status_word(r->ans->status),
		      keyans_status_word(st), r->ans->detail);
}

/* A loopback port nothing listens on: bound, then closed (the kernel answers ICMP port unreachable). */
static void closed_port(char *server, size_t len)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(server, len, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	close(fd);
}

/*
 * The system's /etc/resolv.conf sets an option that RES_OPTIONS cannot take
 * back (edns0, rotate): the tests that assume it unset say so and skip that part.
 */
static int resolv_conf_has(const char *option)
{
	struct buf conf;
	int has = fixture_read_file("/etc/resolv.conf", &conf) == 0 && conf.data && strstr(conf.data, option);
	buf_free(&conf);
	if (has)
		fixture_skip("dns", "/etc/resolv.conf sets \"%s\": the part of a test that needs it unset did not run",
			     option);
	return has;
}

/* ---------- the plan (resolv.conf's timeout and attempts, glibc's split) ---------- */

START_TEST(plan_one_server)
{
	unsigned w[DNS_SERVERS_MAX];
	dns_plan(1, 2, 5, 5000, w); /* glibc: 5 s, then 5 s again; scaled into 5 s */
	ck_assert_uint_eq(w[0], 2500);
	dns_plan(1, 3, 1, 3000, w);
	ck_assert_uint_eq(w[0], 1000);
}
END_TEST

START_TEST(plan_three_servers)
{
	unsigned w[DNS_SERVERS_MAX];
	/* glibc waits 5 s after server 0, (5 << 1) / 3 = 3 s after server 1, (5 << 2) / 3 = 6 s after server 2 */
	dns_plan(3, 2, 5, 28000, w);
	ck_assert_uint_eq(w[0], 5000);
	ck_assert_uint_eq(w[1], 3000);
	ck_assert_uint_eq(w[2], 6000);
	dns_plan(3, 1, 5, 1400, w); /* the same proportions in a shorter total */
	ck_assert_uint_eq(w[0], 500);
	ck_assert_uint_eq(w[1], 300);
	ck_assert_uint_eq(w[2], 600);
}
END_TEST

START_TEST(plan_bounds)
{
	unsigned w[DNS_SERVERS_MAX];
	dns_plan(8, 9, 0, 50, w); /* attempts capped at 5, timeout at least 1 s, no wait under 10 ms */
	for (int i = 0; i < 8; i++)
		ck_assert_uint_ge(w[i], 10);
	dns_plan(2, 0, 5, 1000, w); /* 0 attempts means 1 */
	ck_assert_uint_eq(w[0], 500);
	ck_assert_uint_eq(w[1], 500);
}
END_TEST

/* ---------- arguments ---------- */

START_TEST(open_rejects_bad_server)
{
	struct dns_opts opts;
	char err[256] = "";
	memset(&opts, 0, sizeof opts);
	snprintf(opts.servers[0].ip, sizeof opts.servers[0].ip, "not-an-ip");
	opts.servers[0].port = 53;
	opts.nservers = 1;
	ck_assert_ptr_null(dns_source_new(&opts, err, sizeof err));
	ck_assert_msg(strstr(err, "not-an-ip") != NULL, "err: %s", err);
	opts.nservers = DNS_SERVERS_MAX + 1;
	ck_assert_ptr_null(dns_source_new(&opts, err, sizeof err));
	ck_assert_msg(strstr(err, "too many") != NULL, "err: %s", err);
}
END_TEST

/* Names that cannot be asked are answered at once, during the request, without a packet. */
START_TEST(request_rejects_bad_names)
{
	static const char *const server = "127.0.0.1:9";
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "", "empty" },
		{ "a..example", "empty label" },
		{ "0123456789012345678901234567890123456789012345678901234567890123.example", "longer than 63" },
		{ "bad\\", "bad escape" },
	};
	struct keysrc *s = open_dns(&server, 1, 1000);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct result r = { 0 };
		keysrc_request(s, bad[i].name, &r, take, NULL);
		ck_assert_msg(r.done == 1, "'%s' answered at once", bad[i].name);
		expect_status(&r, KEYANS_ERROR);
		ck_assert_msg(strstr(r.ans->detail, bad[i].why) != NULL, "'%s': %s", bad[i].name, r.ans->detail);
		keyans_free(r.ans);
	}
	struct keysrc_counters c;
	keysrc_counters(s, &c);
	ck_assert_uint_eq(c.sent, 0);
	keysrc_free(s);
}
END_TEST

/* Freeing the source with a query still open drops it without an answer and leaks nothing. */
START_TEST(free_with_open_query)
{
	char server[64];
	closed_port(server, sizeof server);
	const char *servers[] = { server };
	struct keysrc *s = open_dns(servers, 1, 5000);
	struct result r = { 0 };
	keysrc_request(s, "sel._domainkey.example.com", &r, take, NULL);
	keysrc_free(s);
	ck_assert_int_eq(r.done, 0);
}
END_TEST

/* ---------- a zone served by the test server ---------- */

static struct dnstest zsrv;
static char long_text[301];     /* one 300-octet string: the server splits it 255 + 45 */
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

/* The zone both the test server and dnsmasq serve (dnsmasq ignores the SOA: see dns_zone_text). */
static void zone_text(struct buf *z, int with_soa)
{
	make_texts();
	buf_printf(z, "$ORIGIN " ORIGIN ".\n");
	if (with_soa)
		buf_printf(z, "@ 3600 IN SOA ns." ORIGIN ". host." ORIGIN ". 1 7200 3600 1209600 120\n");
	buf_printf(z, "single._domainkey  300 IN TXT \"v=DKIM1; k=rsa; p=SINGLE\"\n"
		      "multi._domainkey   IN TXT ( \"v=DKIM1; k=rsa; \"\n"
		      "                            \"p=MULTI\" \"PART2\" )\n"
		      "long._domainkey    IN TXT \"%s\"\n"
		      "two                IN TXT \"first record\"\n"
		      "                   IN TXT \"second record\"\n"
		      "host               IN A 127.0.0.9\n"
		      "comma              IN TXT \"a,b\" \"c\\\"d\"\n"
		      "alias._domainkey   60 IN CNAME single._domainkey\n",
		   long_text);
	buf_printf(z, "big IN TXT (");
	for (int i = 0; i < 6; i++)
		buf_printf(z, " \"%.250s\"", big_text + i * 250);
	buf_printf(z, " )\n");
	/* 700 octets: truncated over plain UDP (512), fits with EDNS(0) (1232) */
	buf_printf(z, "mid IN TXT \"%.250s\" \"%.250s\" \"%.200s\"\n", big_text, big_text + 250, big_text + 500);
	for (int i = 0; i < BULK_NAMES; i++)
		buf_printf(z, "bulk%d IN TXT \"bulk record %d\"\n", i, i);
}

static void zsrv_setup(void)
{
	struct buf z;
	char err[512];
	buf_init(&z, 1 << 20);
	zone_text(&z, 1);
	struct dnstest_opts o = { .zone_text = z.data };
	int rc = dnstest_serve(&zsrv, &o, err, sizeof err);
	buf_free(&z);
	if (rc < 0)
		ck_abort_msg("%s", err);
}

static void zsrv_teardown(void)
{
	dnstest_stop(&zsrv);
}

START_TEST(zone_single_string)
{
	struct result r;
	time_t before = time(NULL);
	resolve(zsrv.server, 5000, "single._domainkey." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_uint_eq(r.ans->nrecords, 1);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; k=rsa; p=SINGLE");
	ck_assert_uint_eq(r.ans->records[0].len, strlen("v=DKIM1; k=rsa; p=SINGLE"));
	ck_assert_uint_eq(r.ans->records[0].nstrings, 1);
	ck_assert_int_eq(r.ans->rcode, 0);
	ck_assert_uint_eq(r.ans->ttl, 300);
	ck_assert_int_eq(r.ans->has_ttl, 1);
	ck_assert_int_eq(r.ans->source, KEYANS_SRC_DNS);
	ck_assert_str_eq(r.ans->server, zsrv.server);
	ck_assert_str_eq(r.ans->name, "single._domainkey." ORIGIN);
	ck_assert_uint_eq(r.ans->cnames, 0);
	ck_assert(r.ans->fetched >= before && r.ans->fetched <= time(NULL));
	keyans_free(r.ans);
}
END_TEST

START_TEST(zone_multi_string_joined)
{
	struct result r;
	resolve(zsrv.server, 5000, "multi._domainkey." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; k=rsa; p=MULTIPART2");
	ck_assert_uint_eq(r.ans->records[0].nstrings, 3);
	keyans_free(r.ans);
}
END_TEST

START_TEST(zone_record_over_255)
{
	struct result r;
	resolve(zsrv.server, 5000, "LONG._domainkey." ORIGIN ".", &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_uint_eq(r.ans->records[0].len, 300);
	ck_assert_str_eq(r.ans->records[0].text, long_text);
	ck_assert_uint_eq(r.ans->records[0].nstrings, 2);
	keyans_free(r.ans);
}
END_TEST

START_TEST(zone_big_record_needs_tcp)
{
	struct result r;
	unsigned long tcp_before = dnstest_tcp_queries(&zsrv);
	resolve(zsrv.server, 5000, "big." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_uint_eq(r.ans->records[0].len, 1500);
	ck_assert_str_eq(r.ans->records[0].text, big_text);
	ck_assert_uint_eq(r.ans->records[0].nstrings, 6);
	ck_assert_uint_eq(dnstest_tcp_queries(&zsrv), tcp_before + 1);
	keyans_free(r.ans);
}
END_TEST

/* 700 octets: over the 512 of plain UDP, so TCP (with EDNS(0) it fits: see resolv_edns0). */
START_TEST(zone_mid_record_over_tcp)
{
	struct result r;
	unsigned long tcp_before = dnstest_tcp_queries(&zsrv);
	resolve(zsrv.server, 5000, "mid." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_uint_eq(r.ans->records[0].len, 700);
	ck_assert_int_eq(memcmp(r.ans->records[0].text, big_text, 700), 0);
	if (!resolv_conf_has("edns0"))
		ck_assert_uint_eq(dnstest_tcp_queries(&zsrv), tcp_before + 1);
	keyans_free(r.ans);
}
END_TEST

START_TEST(zone_two_records)
{
	struct result r;
	resolve(zsrv.server, 5000, "two." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_uint_eq(r.ans->nrecords, 2);
	ck_assert(has_record(r.ans, "first record"));
	ck_assert(has_record(r.ans, "second record"));
	keyans_free(r.ans);
}
END_TEST

START_TEST(zone_comma_and_quote)
{
	struct result r;
	resolve(zsrv.server, 5000, "comma." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, "a,bc\"d");
	ck_assert_uint_eq(r.ans->records[0].nstrings, 2);
	keyans_free(r.ans);
}
END_TEST

/* RFC 2308 §5: the negative TTL is min(SOA TTL 3600, SOA MINIMUM 120). */
START_TEST(zone_missing_name_nxdomain)
{
	struct result r;
	resolve(zsrv.server, 5000, "missing._domainkey." ORIGIN, &r);
	expect_status(&r, KEYANS_NXDOMAIN);
	ck_assert_int_eq(r.ans->rcode, 3);
	ck_assert_uint_eq(r.ans->nrecords, 0);
	ck_assert_str_eq(r.ans->detail, "NXDOMAIN: missing._domainkey." ORIGIN " does not exist");
	ck_assert_str_eq(r.ans->server, zsrv.server);
	ck_assert_int_eq(r.ans->has_ttl, 1);
	ck_assert_uint_eq(r.ans->ttl, 120);
	keyans_free(r.ans);
}
END_TEST

START_TEST(zone_other_type_nodata)
{
	struct result r;
	resolve(zsrv.server, 5000, "host." ORIGIN, &r);
	expect_status(&r, KEYANS_NODATA);
	ck_assert_int_eq(r.ans->rcode, 0);
	ck_assert_uint_eq(r.ans->nrecords, 0);
	ck_assert_msg(strstr(r.ans->detail, "no TXT record") != NULL, "detail: %s", r.ans->detail);
	ck_assert_uint_eq(r.ans->ttl, 120);
	keyans_free(r.ans);
}
END_TEST

/* The server follows the zone's CNAME in its answer; the TTL is the chain's smallest. */
START_TEST(zone_cname_over_dns)
{
	struct result r;
	resolve(zsrv.server, 5000, "alias._domainkey." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; k=rsa; p=SINGLE");
	ck_assert_uint_eq(r.ans->cnames, 1);
	ck_assert_str_eq(r.ans->target, "single._domainkey." ORIGIN);
	ck_assert_uint_eq(r.ans->ttl, 60);
	ck_assert_str_eq(r.ans->name, "alias._domainkey." ORIGIN);
	keyans_free(r.ans);
}
END_TEST

START_TEST(zone_many_in_flight)
{
	static struct result r[BULK_NAMES];
	char name[64];
	memset(r, 0, sizeof r);
	struct keysrc *s = open_dns((const char *const[]){ zsrv.server }, 1, 10000);
	for (int i = 0; i < BULK_NAMES; i++) {
		snprintf(name, sizeof name, "bulk%d." ORIGIN, i);
		keysrc_request(s, name, &r[i], take, NULL);
	}
	poll_until_idle(s);
	struct keysrc_counters c;
	keysrc_counters(s, &c);
	ck_assert_uint_ge(c.sent, BULK_NAMES);
	keysrc_free(s);
	for (int i = 0; i < BULK_NAMES; i++) {
		char want[64];
		snprintf(want, sizeof want, "bulk record %d", i);
		ck_assert_int_eq(r[i].done, 1);
		expect_status(&r[i], KEYANS_OK);
		ck_assert_str_eq(r[i].ans->records[0].text, want);
		keyans_free(r[i].ans);
	}
}
END_TEST

/* ---------- faults ---------- */

static struct dnstest fsrv, fsrv2;

static void fault_teardown(void)
{
	dnstest_stop(&fsrv);
	dnstest_stop(&fsrv2);
}

#define FAULT_ZONE "$ORIGIN example.com.\n" \
		   "@ 3600 IN SOA ns.example.com. host.example.com. 1 7200 3600 1209600 600\n" \
		   "sel._domainkey 300 IN TXT \"v=DKIM1; p=GENUINE\"\n" \
		   "target._domainkey 100 IN TXT \"v=DKIM1; p=TARGET\"\n"
#define NAME "sel._domainkey.example.com"

static void start_faulty(struct dnstest *t, const char *zone, unsigned delay, const char *const *faults, size_t n)
{
	char err[300];
	struct dnstest_opts o = { .zone_text = zone, .delay_ms = delay, .faults = faults, .nfaults = n };
	if (dnstest_serve(t, &o, err, sizeof err) < 0)
		ck_abort_msg("%s", err);
}

static void start_fault(struct dnstest *t, const char *fault)
{
	start_faulty(t, FAULT_ZONE, 0, &fault, fault ? 1 : 0);
}

START_TEST(fault_servfail)
{
	struct result r;
	char want[128];
	start_fault(&fsrv, NAME "=servfail");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_SERVFAIL);
	ck_assert_int_eq(r.ans->rcode, 2);
	snprintf(want, sizeof want, "SERVFAIL from %s for " NAME, fsrv.server);
	ck_assert_str_eq(r.ans->detail, want);
	ck_assert_str_eq(r.ans->server, fsrv.server);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_refused_rcode)
{
	struct result r;
	start_fault(&fsrv, "*=refused");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_SERVFAIL); /* RFC 6376 §6.1.2: a temporary failure like SERVFAIL */
	ck_assert_int_eq(r.ans->rcode, 5);
	ck_assert_msg(strstr(r.ans->detail, "REFUSED") != NULL, "detail: %s", r.ans->detail);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_drop_times_out)
{
	struct result r;
	char want[160];
	start_fault(&fsrv, "*=drop");
	double t0 = now_s();
	resolve(fsrv.server, 1000, NAME, &r);
	double took = now_s() - t0;
	expect_status(&r, KEYANS_TIMEOUT);
	ck_assert_msg(took >= 0.95 && took < 4.0, "took %.2f s", took);
	snprintf(want, sizeof want, "DNS timeout after 1.0 s querying %s for " NAME, fsrv.server);
	ck_assert_str_eq(r.ans->detail, want);
	ck_assert_int_eq(r.ans->rcode, -1);
	ck_assert_uint_ge(dnstest_queries(&fsrv), 1); /* how often: resolv_attempts_and_timeout */
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_truncated_uses_tcp)
{
	struct result r;
	start_fault(&fsrv, "*=truncate");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; p=GENUINE");
	ck_assert_uint_eq(dnstest_queries(&fsrv), 2); /* UDP (TC, no records), then TCP */
	ck_assert_uint_eq(dnstest_tcp_queries(&fsrv), 1);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_tcp_closed)
{
	struct result r;
	start_fault(&fsrv, "*=tcpclose");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_ERROR);
	ck_assert_msg(strstr(r.ans->detail, "TCP fallback") != NULL, "detail: %s", r.ans->detail);
	keyans_free(r.ans);
}
END_TEST

/* RFC 5452 §9.1: replies with another id, another question or from another port are not answers. */
static void expect_spoof_rejected(const char *fault)
{
	struct result r;
	start_fault(&fsrv, fault);
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_uint_eq(r.ans->nrecords, 1);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; p=GENUINE");
	keyans_free(r.ans);
}

START_TEST(fault_wrong_id_ignored)
{
	expect_spoof_rejected(NAME "=wrongid");
}
END_TEST

START_TEST(fault_wrong_name_ignored)
{
	expect_spoof_rejected(NAME "=wrongname");
}
END_TEST

START_TEST(fault_wrong_port_ignored)
{
	expect_spoof_rejected(NAME "=wrongport");
}
END_TEST

START_TEST(fault_garbage_is_error)
{
	struct result r;
	start_fault(&fsrv, "*=garbage");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_ERROR);
	ck_assert_msg(strstr(r.ans->detail, "malformed") != NULL, "detail: %s", r.ans->detail);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_oversized_bounded)
{
	struct result r;
	start_fault(&fsrv, "*=oversized");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_uint_eq(r.ans->nrecords, KEYANS_RECORDS_MAX); /* 16 of the 20 small ones */
	ck_assert_uint_eq(r.ans->nrecords_dropped, 5);          /* the 20000-octet one and 4 small ones */
	ck_assert(has_record(r.ans, "filler 0"));
	ck_assert_msg(strstr(r.ans->detail, "dropped 5") != NULL, "detail: %s", r.ans->detail);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_cname_loop_in_answer)
{
	struct result r;
	start_fault(&fsrv, NAME "=cnameloop");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_ERROR);
	ck_assert_msg(strstr(r.ans->detail, "CNAME loop") != NULL, "detail: %s", r.ans->detail);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 1);
	keyans_free(r.ans);
}
END_TEST

/* A CNAME the server did not follow is asked for (RFC 1034 §5.3.3). */
START_TEST(fault_cname_chased)
{
	struct result r;
	start_fault(&fsrv, NAME "=cname:target._domainkey.example.com");
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; p=TARGET");
	ck_assert_uint_eq(r.ans->cnames, 1);
	ck_assert_str_eq(r.ans->target, "target._domainkey.example.com");
	ck_assert_uint_eq(r.ans->ttl, 100);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 2);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_cname_loop_across_replies)
{
	struct result r;
	const char *faults[] = { "a.example.com=cname:b.example.com", "b.example.com=cname:a.example.com" };
	start_faulty(&fsrv, FAULT_ZONE, 0, faults, 2);
	resolve(fsrv.server, 5000, "a.example.com", &r);
	expect_status(&r, KEYANS_ERROR);
	ck_assert_msg(strstr(r.ans->detail, "CNAME loop") != NULL, "detail: %s", r.ans->detail);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 2);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_cname_chain_too_long)
{
	struct result r;
	char specs[12][80];
	const char *faults[12];
	for (int i = 0; i < 12; i++) {
		snprintf(specs[i], sizeof specs[i], "c%d.example.com=cname:c%d.example.com", i, i + 1);
		faults[i] = specs[i];
	}
	start_faulty(&fsrv, FAULT_ZONE, 0, faults, 12);
	resolve(fsrv.server, 5000, "c0.example.com", &r);
	expect_status(&r, KEYANS_ERROR);
	ck_assert_msg(strstr(r.ans->detail, "longer than 8") != NULL, "detail: %s", r.ans->detail);
	ck_assert_uint_le(dnstest_queries(&fsrv), 9);
	keyans_free(r.ans);
}
END_TEST

START_TEST(fault_ad_bit_requested_and_recorded)
{
	struct result r;
	start_fault(&fsrv, NULL); /* the server sets AD only when the query asked for it */
	resolve(fsrv.server, 5000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_int_eq(r.ans->ad, 1);
	keyans_free(r.ans);
}
END_TEST

/* ---------- refusals and several servers ---------- */

/* ICMP port unreachable on the connected socket: temperror at once, not after the timeout. */
START_TEST(refused_returns_fast)
{
	struct result r;
	char server[64];
	closed_port(server, sizeof server);
	double t0 = now_s();
	resolve(server, 5000, NAME, &r);
	double took = now_s() - t0;
	expect_status(&r, KEYANS_UNREACHABLE);
	ck_assert_msg(took < 1.0, "took %.2f s of a 5 s timeout", took);
	ck_assert_msg(strstr(r.ans->detail, "connection refused by") && strstr(r.ans->detail, server),
		      "detail: %s", r.ans->detail);
	ck_assert(keyans_is_temporary(r.ans->status));
	keyans_free(r.ans);
}
END_TEST

START_TEST(refused_all_servers_fast)
{
	struct result r;
	char a[64], b[64];
	closed_port(a, sizeof a);
	closed_port(b, sizeof b);
	const char *servers[] = { a, b };
	double t0 = now_s();
	resolve_via(servers, 2, 5000, NAME, &r);
	expect_status(&r, KEYANS_UNREACHABLE);
	ck_assert_msg(now_s() - t0 < 1.0, "took %.2f s", now_s() - t0);
	ck_assert_msg(strstr(r.ans->detail, a) && strstr(r.ans->detail, b), "detail: %s", r.ans->detail);
	keyans_free(r.ans);
}
END_TEST

START_TEST(refused_first_second_answers)
{
	struct result r;
	char closed[64];
	closed_port(closed, sizeof closed);
	start_fault(&fsrv, NULL);
	const char *servers[] = { closed, fsrv.server };
	double t0 = now_s();
	resolve_via(servers, 2, 5000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->server, fsrv.server);
	ck_assert_msg(now_s() - t0 < 1.0, "the second server was not asked at once (%.2f s)", now_s() - t0);
	keyans_free(r.ans);
}
END_TEST

START_TEST(silent_first_second_answers)
{
	struct result r;
	start_fault(&fsrv, "*=drop");
	start_faulty(&fsrv2, FAULT_ZONE, 0, NULL, 0);
	const char *servers[] = { fsrv.server, fsrv2.server };
	resolve_via(servers, 2, 4000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->server, fsrv2.server);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 1);
	ck_assert_uint_eq(dnstest_queries(&fsrv2), 1);
	keyans_free(r.ans);
}
END_TEST

START_TEST(servfail_first_second_answers)
{
	struct result r;
	start_fault(&fsrv, "*=servfail");
	start_faulty(&fsrv2, FAULT_ZONE, 0, NULL, 0);
	const char *servers[] = { fsrv.server, fsrv2.server };
	double t0 = now_s();
	resolve_via(servers, 2, 10000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->server, fsrv2.server);
	ck_assert_msg(now_s() - t0 < 4.0, "the second server was not asked at once");
	keyans_free(r.ans);
}
END_TEST

/*
 * A late answer from the first server still counts after the plan moved on to
 * the second: with 2 servers the first wait is 4 s / (2 * attempts), at most
 * 2 s whatever resolv.conf says, so the second is asked before 2.5 s.
 */
START_TEST(slow_first_answer_accepted)
{
	struct result r;
	const char *slow[] = { "*=delay:2500" };
	start_faulty(&fsrv, FAULT_ZONE, 0, slow, 1);
	start_fault(&fsrv2, "*=drop");
	const char *servers[] = { fsrv.server, fsrv2.server };
	resolve_via(servers, 2, 4000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->server, fsrv.server);
	ck_assert_uint_ge(dnstest_queries(&fsrv2), 1);
	keyans_free(r.ans);
}
END_TEST

/* ---------- resolv.conf options, through RES_OPTIONS, in a fresh process ---------- */

/*
 * glibc parses resolv.conf and RES_OPTIONS once per process and caches the
 * result, so these run the arcverify binary: each run is a new process whose
 * res_ninit sees the RES_OPTIONS given. The message has two signatures, so
 * two key names are asked.
 */
#define TWO_SIGS "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel1; h=from; bh=AAAA; b=AAAA\r\n" \
		 "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel2; h=from; bh=AAAA; b=AAAA\r\n" \
		 "From: a@example.com\r\n\r\nbody\r\n"

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* arcverify --dkim-only over servers with RES_OPTIONS set; returns the exit status. */
static int run_with_options(const char *options, const char *const *servers, size_t n, const char *timeout,
			    const char *msg)
{
	const char *argv[20];
	size_t k = 0;
	struct buf out, err;
	argv[k++] = "arcverify";
	argv[k++] = "--dkim-only";
	for (size_t i = 0; i < n; i++) {
		argv[k++] = "--dns-server";
		argv[k++] = servers[i];
	}
	argv[k++] = "--dns-timeout";
	argv[k++] = timeout;
	argv[k++] = msg;
	argv[k] = NULL;
	setenv("RES_OPTIONS", options, 1);
	int status = fixture_exec(argv, &out, &err, NULL);
	unsetenv("RES_OPTIONS");
	buf_free(&out);
	buf_free(&err);
	return status;
}

static void two_sig_message(char *dir, char *msg, size_t len)
{
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(msg, len, "%s/two.eml", dir);
	write_text(msg, TWO_SIGS);
}

static void remove_message(const char *dir, const char *msg)
{
	unlink(msg);
	rmdir(dir);
}

/* "options attempts:N timeout:N": N sends within --dns-timeout, whatever the timeout says. */
START_TEST(resolv_attempts_and_timeout)
{
	char dir[] = "/tmp/check_dns_res.XXXXXX", msg[64];
	two_sig_message(dir, msg, sizeof msg);
	start_fault(&fsrv, "*=drop");
	const char *servers[] = { fsrv.server };
	ck_assert_int_eq(run_with_options("attempts:3 timeout:1", servers, 1, "1.5", msg), 75);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 2 * 3);
	ck_assert_int_eq(run_with_options("attempts:1 timeout:30", servers, 1, "0.5", msg), 75);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 2 * 3 + 2 * 1);
	remove_message(dir, msg);
}
END_TEST

/* Without rotate every query starts at the first server; with it, each starts one further. */
START_TEST(resolv_rotate)
{
	char dir[] = "/tmp/check_dns_res.XXXXXX", msg[64];
	two_sig_message(dir, msg, sizeof msg);
	start_faulty(&fsrv, FAULT_ZONE, 0, NULL, 0);
	start_faulty(&fsrv2, FAULT_ZONE, 0, NULL, 0);
	const char *servers[] = { fsrv.server, fsrv2.server };
	ck_assert_int_eq(run_with_options("rotate", servers, 2, "5", msg), 1); /* NXDOMAIN: permerror */
	ck_assert_uint_eq(dnstest_queries(&fsrv), 1);
	ck_assert_uint_eq(dnstest_queries(&fsrv2), 1);
	if (!resolv_conf_has("rotate")) {
		ck_assert_int_eq(run_with_options("", servers, 2, "5", msg), 1);
		ck_assert_uint_eq(dnstest_queries(&fsrv), 3);
		ck_assert_uint_eq(dnstest_queries(&fsrv2), 1);
	}
	remove_message(dir, msg);
}
END_TEST

/* A closed port end to end: temperror with code dns-timeout at once, exit 75. */
START_TEST(refused_end_to_end)
{
	char dir[] = "/tmp/check_dns_res.XXXXXX", msg[64], server[64];
	struct buf out, err;
	two_sig_message(dir, msg, sizeof msg);
	closed_port(server, sizeof server);
	const char *argv[] = { "arcverify", "--json", "--dkim-only", "--dns-server", server, "--dns-timeout", "5", msg, NULL };
	double t0 = now_s();
	ck_assert_int_eq(fixture_exec(argv, &out, &err, NULL), 75);
	ck_assert_msg(now_s() - t0 < 2.0, "took %.2f s of a 5 s timeout", now_s() - t0);
	ck_assert_msg(strstr(out.data, "\"code\":\"dns-timeout\"") && strstr(out.data, "DNS server unreachable") &&
			      strstr(out.data, "connection refused by"),
		      "%s", out.data);
	buf_free(&out);
	buf_free(&err);
	remove_message(dir, msg);
}
END_TEST

/* "options edns0": a 700-octet key fits the 1232 octets offered, so no TCP. */
START_TEST(resolv_edns0)
{
	char dir[] = "/tmp/check_dns_res.XXXXXX", msg[64], zone[1200];
	two_sig_message(dir, msg, sizeof msg);
	make_texts();
	snprintf(zone, sizeof zone, "sel1._domainkey.example.com. IN TXT \"%.250s\" \"%.250s\" \"%.200s\"\n",
		 big_text, big_text + 250, big_text + 500);
	start_faulty(&fsrv, zone, 0, NULL, 0);
	const char *servers[] = { fsrv.server };
	run_with_options("edns0", servers, 1, "5", msg);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 2);
	ck_assert_uint_eq(dnstest_tcp_queries(&fsrv), 0);
	if (!resolv_conf_has("edns0")) {
		run_with_options("", servers, 1, "5", msg);
		ck_assert_uint_eq(dnstest_tcp_queries(&fsrv), 1);
	}
	remove_message(dir, msg);
}
END_TEST

/* A server without EDNS answers FORMERR to a question with an OPT record (RFC 6891 §7): each
 * question is asked again without it and answered (the signatures then fail on their made-up b=,
 * exit 1), instead of a temperror (75) for that server. In a child process each time, since glibc
 * keeps RES_OPTIONS from its first resolver initialisation. */
START_TEST(resolv_edns0_formerr)
{
	char dir[] = "/tmp/check_dns_res.XXXXXX", msg[64];
	two_sig_message(dir, msg, sizeof msg);
	const char *zone = "sel1._domainkey.example.com. IN TXT \"v=DKIM1; p=AAAA\"\n"
			   "sel2._domainkey.example.com. IN TXT \"v=DKIM1; p=AAAA\"\n";
	const char *fault = "*=noedns";
	start_faulty(&fsrv, zone, 0, &fault, 1);
	const char *servers[] = { fsrv.server };
	ck_assert_int_eq(run_with_options("edns0", servers, 1, "5", msg), 1);
	ck_assert_uint_eq(dnstest_queries(&fsrv), 4);   /* each name: FORMERR, then the answer */
	if (!resolv_conf_has("edns0")) {   /* without EDNS nothing to fall back from */
		ck_assert_int_eq(run_with_options("", servers, 1, "5", msg), 1);
		ck_assert_uint_eq(dnstest_queries(&fsrv), 6);
	}
	remove_message(dir, msg);
}
END_TEST

/* ---------- dnsmasq: an independent server for the same zone ---------- */

static struct dnstest msrv;

static void msrv_setup(void)
{
	struct buf z;
	char err[512];
	buf_init(&z, 1 << 20);
	zone_text(&z, 0);
	int rc = dnstest_start_zone_text(&msrv, z.data, err, sizeof err);
	buf_free(&z);
	if (rc < 0)
		ck_abort_msg("%s", err);
}

static void msrv_teardown(void)
{
	dnstest_stop(&msrv);
}

START_TEST(dnsmasq_interop)
{
	struct result r;
	resolve(msrv.server, 5000, "multi._domainkey." ORIGIN, &r);
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; k=rsa; p=MULTIPART2");
	ck_assert_uint_eq(r.ans->records[0].nstrings, 3);
	keyans_free(r.ans);
	resolve(msrv.server, 5000, "long._domainkey." ORIGIN, &r);
	ck_assert_str_eq(r.ans->records[0].text, long_text);
	keyans_free(r.ans);
	resolve(msrv.server, 5000, "big." ORIGIN, &r); /* over TCP */
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, big_text);
	keyans_free(r.ans);
	resolve(msrv.server, 5000, "two." ORIGIN, &r);
	ck_assert_uint_eq(r.ans->nrecords, 2);
	keyans_free(r.ans);
	resolve(msrv.server, 5000, "missing." ORIGIN, &r);
	expect_status(&r, KEYANS_NXDOMAIN);
	keyans_free(r.ans);
	resolve(msrv.server, 5000, "host." ORIGIN, &r);
	expect_status(&r, KEYANS_NODATA);
	keyans_free(r.ans);
	resolve(msrv.server, 5000, "alias._domainkey." ORIGIN, &r); /* dnsmasq --cname */
	expect_status(&r, KEYANS_OK);
	ck_assert_str_eq(r.ans->records[0].text, "v=DKIM1; k=rsa; p=SINGLE");
	ck_assert_uint_eq(r.ans->cnames, 1);
	keyans_free(r.ans);
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
	ck_assert_str_eq(r.ans->records[0].text, "v=spf1 -all");
	keyans_free(r.ans);
	resolve(t.server, 5000, "s1._domainkey.mail.example", &r);
	ck_assert_uint_eq(r.ans->nrecords, 2);
	ck_assert(has_record(r.ans, "v=DKIM1; p=ABCD"));
	ck_assert(has_record(r.ans, "history"));
	keyans_free(r.ans);
	resolve(t.server, 5000, "v6.mail.example", &r);
	expect_status(&r, KEYANS_NODATA);
	keyans_free(r.ans);
	resolve(t.server, 5000, "abs.example.org", &r);
	ck_assert_str_eq(r.ans->records[0].text, "absolute");
	keyans_free(r.ans);
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
	ck_assert_int_eq(dnstest_start_zone_text(&t, "a.example. IN TXT \"x\"\n$INCLUDE other\n", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "<zone text>:2") != NULL, "err: %s", err);
	struct dnstest_opts o = { .zone_text = "a.example. IN TXT \"x\"\nb.example. IN WHAT x\n" };
	ck_assert_int_eq(dnstest_serve(&t, &o, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "<zone text>:2") && strstr(err, "WHAT"), "err: %s", err);
	const char *bad_fault[] = { "x.example=explode" };
	struct dnstest_opts f = { .faults = bad_fault, .nfaults = 1 };
	ck_assert_int_eq(dnstest_serve(&t, &f, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "unknown kind") != NULL, "err: %s", err);
	ck_assert_int_eq(t.pid, 0);
}
END_TEST

START_TEST(harness_stop_on_unstarted_is_noop)
{
	struct dnstest t = { 0 };
	dnstest_stop(&t);
	dnstest_stop(NULL);
}
END_TEST

/* 1 when a DNS query to port gets ECONNREFUSED (nothing bound there any more). */
static int port_refuses(unsigned short port)
{
	static const unsigned char q[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'x', 0, 0, 16, 0, 1 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), refused = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char b[512];
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return 0;
	}
	if (send(fd, q, sizeof q, 0) < 0 && errno == ECONNREFUSED)
		refused = 1;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (!refused && poll(&p, 1, 500) == 1 && recv(fd, b, sizeof b, 0) < 0 && errno == ECONNREFUSED)
		refused = 1;
	close(fd);
	return refused;
}

/* The server dies with the process that started it, even when that one never stops it. */
START_TEST(harness_server_dies_with_parent)
{
	int pfd[2];
	unsigned short port = 0;
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t child = fork();
	if (child == 0) {
		struct dnstest t;
		char err[300];
		close(pfd[0]);
		if (dnstest_serve(&t, NULL, err, sizeof err) == 0)
			(void)!write(pfd[1], &t.port, sizeof t.port);
		_exit(0); /* without dnstest_stop and without atexit handlers */
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &port, sizeof port), (ssize_t)sizeof port);
	close(pfd[0]);
	waitpid(child, NULL, 0);
	int refused = 0;
	for (int i = 0; i < 50 && !refused; i++)
		refused = port_refuses(port);
	ck_assert_msg(refused, "the server on port %u outlived its parent", (unsigned)port);
}
END_TEST

/* ---------- the standalone server that make bench starts ---------- */

static const char *server_binary(void)
{
	const char *b = getenv("DNSTEST_SERVER");
	return b && *b ? b : "build/dnstest-server";
}

START_TEST(standalone_server)
{
	char dir[] = "/tmp/check_dns_srv.XXXXXX", zone[64], portfile[64], errfile[64], line[32] = "";
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(zone, sizeof zone, "%s/k.zone", dir);
	snprintf(portfile, sizeof portfile, "%s/port", dir);
	snprintf(errfile, sizeof errfile, "%s/err", dir);
	FILE *f = fopen(zone, "w");
	ck_assert(f != NULL);
	fputs(FAULT_ZONE, f);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		int e = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600), n = open("/dev/null", O_WRONLY);
		dup2(e, 2);
		dup2(n, 1);
		execl(server_binary(), "dnstest-server", "--zone", zone, "--delay-ms", "20", "--fault",
		      "bad.example.com=servfail", "--port-file", portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(portfile, R_OK) != 0; i++)
		usleep(20000);
	f = fopen(portfile, "r");
	ck_assert_msg(f != NULL, "%s never wrote its port (is it built? make %s)", server_binary(), server_binary());
	ck_assert(fgets(line, sizeof line, f) != NULL);
	fclose(f);
	char server[64];
	snprintf(server, sizeof server, "127.0.0.1:%d", atoi(line));
	struct result r;
	resolve(server, 5000, NAME, &r);
	expect_status(&r, KEYANS_OK);
	keyans_free(r.ans);
	resolve(server, 5000, "bad.example.com", &r);
	expect_status(&r, KEYANS_SERVFAIL);
	keyans_free(r.ans);
	int status;
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	struct buf log;
	ck_assert_int_eq(fixture_read_file(errfile, &log), 0);
	ck_assert_msg(strstr(log.data, "2 queries (2 UDP, 0 TCP)") != NULL, "log: %s", log.data);
	buf_free(&log);
	unlink(zone);
	unlink(portfile);
	unlink(errfile);
	rmdir(dir);
}
END_TEST

Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");

	TCase *tc = tcase_create("plan");
	tcase_add_test(tc, plan_one_server);
	tcase_add_test(tc, plan_three_servers);
	tcase_add_test(tc, plan_bounds);
	tcase_add_test(tc, open_rejects_bad_server);
	tcase_add_test(tc, request_rejects_bad_names);
	tcase_add_test(tc, free_with_open_query);
	suite_add_tcase(s, tc);

	tc = tcase_create("zone");
	tcase_add_unchecked_fixture(tc, zsrv_setup, zsrv_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, zone_single_string);
	tcase_add_test(tc, zone_multi_string_joined);
	tcase_add_test(tc, zone_record_over_255);
	tcase_add_test(tc, zone_big_record_needs_tcp);
	tcase_add_test(tc, zone_mid_record_over_tcp);
	tcase_add_test(tc, zone_two_records);
	tcase_add_test(tc, zone_comma_and_quote);
	tcase_add_test(tc, zone_missing_name_nxdomain);
	tcase_add_test(tc, zone_other_type_nodata);
	tcase_add_test(tc, zone_cname_over_dns);
	tcase_add_test(tc, zone_many_in_flight);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, NULL, fault_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fault_servfail);
	tcase_add_test(tc, fault_refused_rcode);
	tcase_add_test(tc, fault_drop_times_out);
	tcase_add_test(tc, fault_truncated_uses_tcp);
	tcase_add_test(tc, fault_tcp_closed);
	tcase_add_test(tc, fault_wrong_id_ignored);
	tcase_add_test(tc, fault_wrong_name_ignored);
	tcase_add_test(tc, fault_wrong_port_ignored);
	tcase_add_test(tc, fault_garbage_is_error);
	tcase_add_test(tc, fault_oversized_bounded);
	tcase_add_test(tc, fault_cname_loop_in_answer);
	tcase_add_test(tc, fault_cname_chased);
	tcase_add_test(tc, fault_cname_loop_across_replies);
	tcase_add_test(tc, fault_cname_chain_too_long);
	tcase_add_test(tc, fault_ad_bit_requested_and_recorded);
	tcase_add_test(tc, refused_returns_fast);
	tcase_add_test(tc, refused_all_servers_fast);
	tcase_add_test(tc, refused_first_second_answers);
	tcase_add_test(tc, silent_first_second_answers);
	tcase_add_test(tc, servfail_first_second_answers);
	tcase_add_test(tc, slow_first_answer_accepted);
	tcase_add_test(tc, resolv_attempts_and_timeout);
	tcase_add_test(tc, resolv_rotate);
	tcase_add_test(tc, resolv_edns0);
	tcase_add_test(tc, resolv_edns0_formerr);
	tcase_add_test(tc, refused_end_to_end);
	suite_add_tcase(s, tc);

	tc = tcase_create("dnsmasq");
	tcase_add_unchecked_fixture(tc, msrv_setup, msrv_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dnsmasq_interop);
	suite_add_tcase(s, tc);

	tc = tcase_create("harness");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, harness_zone_file);
	tcase_add_test(tc, harness_missing_dnsmasq_is_loud);
	tcase_add_test(tc, harness_bad_zone_reports_line);
	tcase_add_test(tc, harness_stop_on_unstarted_is_noop);
	tcase_add_test(tc, harness_server_dies_with_parent);
	tcase_add_test(tc, standalone_server);
	suite_add_tcase(s, tc);
	return s;
}
