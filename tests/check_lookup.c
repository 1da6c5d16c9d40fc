/*
 * check_lookup: the shared key cache under threads, against the test DNS
 * server: several threads waiting on one name cause one query; a slow or
 * silent name does not delay another; answers expire with their TTL (and the
 * old one stays valid); failures are kept too; the concurrency limit holds,
 * counted at the server; the statistics add up; the decoded-record cache is
 * one object per record whatever the threads do. And the same cache over
 * zone files, synchronous. Time bounds are generous upper bounds only.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnstest.h"
#include "keysrc.h"
#include "lookup.h"
#include "suites.h"

#define ZONE "$ORIGIN example.com.\n" \
	     "@ 3600 IN SOA ns.example.com. host.example.com. 1 7200 3600 1209600 600\n" \
	     "sel._domainkey 300 IN TXT \"v=DKIM1; p=SEL\"\n" \
	     "fast._domainkey 300 IN TXT \"v=DKIM1; p=FAST\"\n" \
	     "slow._domainkey 300 IN TXT \"v=DKIM1; p=SLOW\"\n" \
	     "short._domainkey 1 IN TXT \"v=DKIM1; p=SHORT\"\n"

static struct dnstest srv;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void serve(unsigned delay, const char *const *faults, size_t nfaults, const char *extra_zone)
{
	char err[300], zone[8192];
	snprintf(zone, sizeof zone, "%s%s", ZONE, extra_zone ? extra_zone : "");
	struct dnstest_opts o = { .zone_text = zone, .delay_ms = delay, .faults = faults, .nfaults = nfaults };
	if (dnstest_serve(&srv, &o, err, sizeof err) < 0)
		ck_abort_msg("%s", err);
}

static struct lookup *over_dns(const char *server, int timeout_ms, unsigned concurrency)
{
	struct dns_opts o;
	char err[300];
	memset(&o, 0, sizeof o);
	ck_assert(dnswire_parse_server(server, &o.servers[0]) == 0);
	o.nservers = 1;
	o.timeout_ms = timeout_ms;
	o.concurrency = concurrency;
	struct lookup *lk = lookup_new_dns(&o, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	ck_assert_int_eq(lookup_async(lk), 1);
	return lk;
}

static void teardown(void)
{
	dnstest_stop(&srv);
}

/* ---------- threads ---------- */

struct waiter {
	struct lookup *lk;
	const char *name;
	const struct keyans *got;
	double took;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	double t0 = now_s();
	w->got = lookup_wait(w->lk, w->name);
	w->took = now_s() - t0;
	return NULL;
}

START_TEST(single_flight_across_threads)
{
	enum { N = 8 };
	pthread_t th[N];
	struct waiter w[N];
	serve(300, NULL, 0, NULL);
	struct lookup *lk = over_dns(srv.server, 5000, 0);
	lookup_request(lk, "sel._domainkey.example.com");
	for (int i = 0; i < N; i++) {
		w[i] = (struct waiter){ lk, i % 2 ? "SEL._domainkey.example.com." : "sel._domainkey.example.com", NULL, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, wait_thread, &w[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		ck_assert_ptr_eq(w[i].got, w[0].got);
		ck_assert_int_eq(w[i].got->status, KEYANS_OK);
	}
	ck_assert_str_eq(w[0].got->records[0].text, "v=DKIM1; p=SEL");
	ck_assert_uint_eq(dnstest_queries(&srv), 1);
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.queries, 1);
	ck_assert_uint_eq(st.answered, 1);
	ck_assert_uint_eq(st.sent, 1);
	ck_assert_uint_eq(st.concurrency, DNS_DEFAULT_CONCURRENCY);
	ck_assert_uint_eq(st.nslowest, 1);
	ck_assert_str_eq(st.slowest[0].name, "sel._domainkey.example.com");
	ck_assert_uint_ge(st.slowest[0].ms, 250);
	lookup_request(lk, "sel._domainkey.example.com"); /* now a cache hit */
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	ck_assert_uint_eq(st.requests, 2);
	lookup_free(lk);
}
END_TEST

/* A name that takes 3 s to answer does not hold up one that is answered at once. */
START_TEST(slow_name_does_not_delay_another)
{
	const char *faults[] = { "slow._domainkey.example.com=delay:3000" };
	serve(0, faults, 1, NULL);
	struct lookup *lk = over_dns(srv.server, 10000, 0);
	pthread_t th;
	struct waiter slow = { lk, "slow._domainkey.example.com", NULL, 0 };
	ck_assert_int_eq(pthread_create(&th, NULL, wait_thread, &slow), 0);
	lookup_request(lk, "slow._domainkey.example.com");
	double t0 = now_s();
	const struct keyans *fast = lookup_wait(lk, "fast._domainkey.example.com");
	double took = now_s() - t0;
	ck_assert_int_eq(fast->status, KEYANS_OK);
	ck_assert_msg(took < 1.5, "the fast name took %.2f s", took);
	/* the generation counts answers: it stands still while the slow name is out, and moves once it is in */
	unsigned long g = lookup_generation(lk);
	ck_assert_msg(!lookup_answered(lk, "slow._domainkey.example.com") && lookup_generation(lk) == g,
		      "no answer has come, so the generation is the same");
	pthread_join(th, NULL);
	ck_assert_msg(lookup_answered(lk, "slow._domainkey.example.com") && lookup_generation(lk) > g,
		      "the slow answer moved the generation (%lu, was %lu)", lookup_generation(lk), g);
	ck_assert_int_eq(slow.got->status, KEYANS_OK);
	ck_assert_str_eq(slow.got->records[0].text, "v=DKIM1; p=SLOW");
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.nslowest, 2);
	ck_assert_str_eq(st.slowest[0].name, "slow._domainkey.example.com"); /* slowest first */
	ck_assert_uint_ge(st.slowest[0].ms, st.slowest[1].ms);
	lookup_free(lk);
}
END_TEST

/* A name that times out delays only who waits for it; the failure is kept (no second query). */
START_TEST(timeout_does_not_delay_others)
{
	const char *faults[] = { "slow._domainkey.example.com=drop" };
	serve(0, faults, 1, NULL);
	struct lookup *lk = over_dns(srv.server, 2000, 0);
	lookup_request(lk, "slow._domainkey.example.com");
	double t0 = now_s();
	ck_assert_int_eq(lookup_wait(lk, "fast._domainkey.example.com")->status, KEYANS_OK);
	ck_assert_msg(now_s() - t0 < 1.5, "the fast name waited %.2f s", now_s() - t0);
	const struct keyans *dead = lookup_wait(lk, "slow._domainkey.example.com");
	ck_assert_int_eq(dead->status, KEYANS_TIMEOUT);
	unsigned long asked = dnstest_queries(&srv);
	lookup_request(lk, "slow._domainkey.example.com");
	ck_assert_ptr_eq(lookup_wait(lk, "slow._domainkey.example.com"), dead);
	ck_assert_uint_eq(dnstest_queries(&srv), asked);
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.answered, 1);
	ck_assert_uint_eq(st.cache_hits, 1);
	lookup_free(lk);
}
END_TEST

/* After its TTL a name is asked again; the answer handed out before stays valid. */
START_TEST(ttl_expiry)
{
	serve(0, NULL, 0, NULL);
	struct lookup *lk = over_dns(srv.server, 5000, 0);
	const struct keyans *first = lookup_wait(lk, "short._domainkey.example.com");
	const struct keyans *kept = lookup_wait(lk, "sel._domainkey.example.com");
	ck_assert_int_eq(first->status, KEYANS_OK);
	ck_assert_uint_eq(first->ttl, 1);
	usleep(1300000);
	lookup_request(lk, "short._domainkey.example.com");
	lookup_request(lk, "sel._domainkey.example.com"); /* TTL 300: still fresh */
	const struct keyans *second = lookup_wait(lk, "short._domainkey.example.com");
	ck_assert_ptr_ne(second, first);
	ck_assert_int_eq(second->status, KEYANS_OK);
	ck_assert_str_eq(first->records[0].text, "v=DKIM1; p=SHORT"); /* still ours to read */
	ck_assert_ptr_eq(lookup_wait(lk, "sel._domainkey.example.com"), kept);
	ck_assert_uint_eq(dnstest_queries(&srv), 3);
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.expired, 1);
	ck_assert_uint_eq(st.queries, 3);
	lookup_free(lk);
}
END_TEST

/* Failures are cached too (RFC 2308 §7), and counted by kind. */
START_TEST(failures_cached_and_counted)
{
	const char *faults[] = { "slow._domainkey.example.com=servfail" };
	serve(0, faults, 1, NULL);
	struct lookup *lk = over_dns(srv.server, 5000, 0);
	for (int i = 0; i < 3; i++) {
		lookup_request(lk, "slow._domainkey.example.com");
		ck_assert_int_eq(lookup_wait(lk, "slow._domainkey.example.com")->status, KEYANS_SERVFAIL);
	}
	ck_assert_int_eq(lookup_wait(lk, "missing._domainkey.example.com")->status, KEYANS_NXDOMAIN);
	ck_assert_uint_eq(dnstest_queries(&srv), 2);
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.servfail, 1);
	ck_assert_uint_eq(st.answered, 1);
	ck_assert_uint_eq(st.queries, 2);
	ck_assert_uint_eq(st.cache_hits, 2);
	lookup_free(lk);
}
END_TEST

/* Connection refused: a temperror at once, counted as refused. */
START_TEST(refused_counted)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	char server[64];
	ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(server, sizeof server, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	close(fd);
	struct lookup *lk = over_dns(server, 5000, 0);
	double t0 = now_s();
	ck_assert_int_eq(lookup_wait(lk, "sel._domainkey.example.com")->status, KEYANS_UNREACHABLE);
	ck_assert_msg(now_s() - t0 < 1.0, "took %.2f s", now_s() - t0);
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.refused, 1);
	lookup_free(lk);
}
END_TEST

/* At most --dns-concurrency names in flight, counted at the server; the rest wait their turn. */
START_TEST(concurrency_limit_holds)
{
	enum { NAMES = 40 };
	char zone[4096], name[64];
	size_t used = 0;
	for (int i = 0; i < NAMES; i++)
		used += (size_t)snprintf(zone + used, sizeof zone - used, "n%d IN TXT \"v=DKIM1; p=N%d\"\n", i, i);
	serve(200, NULL, 0, zone);
	struct lookup *lk = over_dns(srv.server, 10000, 4);
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof name, "n%d.example.com", i);
		lookup_request(lk, name);
	}
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof name, "n%d.example.com", i);
		const struct keyans *a = lookup_wait(lk, name);
		ck_assert_msg(a->status == KEYANS_OK, "%s: %s", name, a->detail);
	}
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.concurrency, 4);
	ck_assert_uint_eq(st.max_in_flight, 4);
	ck_assert_uint_le(dnstest_max_pending(&srv), 4);
	ck_assert_uint_ge(dnstest_max_pending(&srv), 2);
	ck_assert_uint_eq(dnstest_queries(&srv), NAMES);
	ck_assert_uint_eq(st.answered, NAMES);
	ck_assert_uint_eq(st.nslowest, LOOKUP_SLOWEST);
	lookup_free(lk);
}
END_TEST

/* Freed with queries in flight and nobody waiting: no hang, nothing left behind. */
START_TEST(free_while_in_flight)
{
	const char *faults[] = { "*=drop" };
	serve(0, faults, 1, NULL);
	struct lookup *lk = over_dns(srv.server, 5000, 0);
	lookup_request(lk, "a.example.com");
	lookup_request(lk, "b.example.com");
	double t0 = now_s();
	lookup_free(lk);
	ck_assert_msg(now_s() - t0 < 1.0, "lookup_free waited %.2f s", now_s() - t0);
}
END_TEST

/* ---------- zone files: synchronous, same cache ---------- */

static struct lookup *over_zone(const char *text, char *path, size_t pathlen)
{
	char err[300];
	snprintf(path, pathlen, "/tmp/check_lookup.XXXXXX");
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	const char *files[] = { path };
	struct lookup *lk = lookup_new_zone(files, 1, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	return lk;
}

/* A synchronous source that runs out of memory on its first answer, then answers. */
struct flaky_source {
	unsigned asked;
};

static void flaky_request(void *impl, const char *name, void *user, keysrc_done_fn done, void *cbctx)
{
	struct flaky_source *f = impl;
	struct keyans *a = f->asked++ == 0 ? NULL : keyans_new(name, KEYANS_SRC_KEYS);
	if (a) {
		a->status = KEYANS_OK;
		ck_assert_int_eq(keyans_add(a, "v=DKIM1; p=AAAA", 15, 1), 0);
	}
	done(cbctx, user, a);
}

static void flaky_destroy(void *impl)
{
	(void)impl;
}

/* Out of memory while answering is the verifier's trouble, not the name's: never cached, so the
 * next message that needs the name asks again instead of inheriting the error for the run. */
START_TEST(out_of_memory_not_cached)
{
	static const struct keysrc_ops ops = { .async = 0, .request = flaky_request, .destroy = flaky_destroy };
	struct flaky_source f = { 0 };
	char err[300];
	struct lookup *lk = lookup_new(keysrc_new(&ops, &f), 4, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	lookup_request(lk, "sel._domainkey.example.com");
	const struct keyans *a = lookup_wait(lk, "sel._domainkey.example.com");
	ck_assert_int_eq(a->status, KEYANS_ERROR);
	ck_assert_str_eq(a->detail, "out of memory");
	lookup_request(lk, "sel._domainkey.example.com");
	a = lookup_wait(lk, "sel._domainkey.example.com");
	ck_assert_int_eq(a->status, KEYANS_OK);
	ck_assert_uint_eq(f.asked, 2);
	lookup_free(lk);
}
END_TEST

START_TEST(zone_cached_and_sync)
{
	char path[64], name[300];
	struct lookup *lk = over_zone(ZONE, path, sizeof path);
	ck_assert_int_eq(lookup_async(lk), 0);
	const struct keyans *a = lookup_wait(lk, "sel._domainkey.example.com");
	ck_assert_int_eq(a->status, KEYANS_OK);
	ck_assert_str_eq(a->server, path);
	ck_assert_ptr_eq(lookup_wait(lk, "SEL._domainkey.Example.Com."), a);
	lookup_request(lk, "sel._domainkey.example.com");
	ck_assert_int_eq(lookup_wait(lk, "nope.example.com")->status, KEYANS_NXDOMAIN);
	memset(name, 'a', 260);
	name[260] = '\0';
	const struct keyans *too_long = lookup_wait(lk, name);
	ck_assert_int_eq(too_long->status, KEYANS_ERROR);
	ck_assert_msg(strstr(too_long->detail, "253") != NULL, "%s", too_long->detail);
	name[259] = 'b'; /* another over-long name: the same answer, never a cut name's */
	ck_assert_ptr_eq(lookup_wait(lk, name), too_long);
	struct lookup_stats st;
	lookup_stats(lk, &st);
	ck_assert_uint_eq(st.queries, 2);
	ck_assert_uint_eq(st.cache_hits, 1);
	ck_assert_uint_eq(st.sent, 0);
	ck_assert_uint_eq(st.nslowest, 0);
	usleep(1100000); /* zone answers never expire, whatever their TTL */
	lookup_request(lk, "short._domainkey.example.com");
	const struct keyans *s1 = lookup_wait(lk, "short._domainkey.example.com");
	usleep(1100000);
	lookup_request(lk, "short._domainkey.example.com");
	ck_assert_ptr_eq(lookup_wait(lk, "short._domainkey.example.com"), s1);
	lookup_free(lk);
	unlink(path);
}
END_TEST

/* ---------- the decoded-record cache ---------- */

struct made {
	pthread_mutex_t mu;
	int made, destroyed;
};

static struct made counts = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };

static void *make_obj(const char *text, size_t len, void *ctx)
{
	struct made *m = ctx;
	char *copy = malloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	usleep(2000); /* a slow decode, so threads race on installing */
	pthread_mutex_lock(&m->mu);
	m->made++;
	pthread_mutex_unlock(&m->mu);
	return copy;
}

static void destroy_obj(void *p)
{
	pthread_mutex_lock(&counts.mu);
	counts.destroyed++;
	pthread_mutex_unlock(&counts.mu);
	free(p);
}

struct racer {
	struct lookup *lk;
	void *got;
};

static void *race_thread(void *arg)
{
	struct racer *r = arg;
	const struct keyans *a = lookup_wait(r->lk, "sel._domainkey.example.com");
	r->got = lookup_record_cache(r->lk, a, 0, make_obj, destroy_obj, &counts);
	return NULL;
}

START_TEST(record_cache_get_or_create)
{
	enum { N = 8 };
	char path[64];
	pthread_t th[N];
	struct racer r[N];
	counts.made = counts.destroyed = 0;
	struct lookup *lk = over_zone(ZONE, path, sizeof path);
	for (int i = 0; i < N; i++) {
		r[i] = (struct racer){ lk, NULL };
		ck_assert_int_eq(pthread_create(&th[i], NULL, race_thread, &r[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++)
		ck_assert_ptr_eq(r[i].got, r[0].got);
	ck_assert_str_eq(r[0].got, "v=DKIM1; p=SEL");
	ck_assert_int_eq(counts.destroyed, counts.made - 1); /* the losers' copies, at once */
	const struct keyans *a = lookup_wait(lk, "sel._domainkey.example.com");
	ck_assert_ptr_null(lookup_record_cache(lk, a, 1, make_obj, destroy_obj, &counts)); /* no record 1 */
	ck_assert_ptr_eq(lookup_record_cache(lk, a, 0, make_obj, destroy_obj, &counts), r[0].got);
	lookup_free(lk);
	ck_assert_int_eq(counts.destroyed, counts.made); /* the kept one, with the answer */
	unlink(path);
}
END_TEST

Suite *lookup_suite(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc = tcase_create("dns");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, single_flight_across_threads);
	tcase_add_test(tc, slow_name_does_not_delay_another);
	tcase_add_test(tc, timeout_does_not_delay_others);
	tcase_add_test(tc, ttl_expiry);
	tcase_add_test(tc, failures_cached_and_counted);
	tcase_add_test(tc, refused_counted);
	tcase_add_test(tc, concurrency_limit_holds);
	tcase_add_test(tc, free_while_in_flight);
	suite_add_tcase(s, tc);
	tc = tcase_create("zone");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, zone_cached_and_sync);
	tcase_add_test(tc, out_of_memory_not_cached);
	tcase_add_test(tc, record_cache_get_or_create);
	suite_add_tcase(s, tc);
	return s;
}
