/*
 * engine: the per-message driver. Results arrive in input order whatever the
 * number of workers; an unreadable item in the middle is a result like any
 * other; the open hook runs before the body streams, the done hook after the
 * evidence; a delivery that stops the run stops it, with nothing leaked.
 * Deliveries come from whichever worker finished the oldest result, never
 * two at once.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnstest.h"
#include "engine.h"
#include "fixture.h"
#include "report.h"
#include "suites.h"

struct order {
	atomic_int inside;            /* deliveries running now: never more than one */
	size_t seen;
	size_t stop_after;           /* 0: never stop */
	char names[600][256];
	int hashes_seen;             /* the open hook's body hash received the body */
};

static int record(void *ctx, struct engine_result *res)
{
	struct order *o = ctx;
	ck_assert_msg(atomic_fetch_add(&o->inside, 1) == 0, "two deliveries at once");
	struct timespec pause = { 0, 200000 };   /* 0.2 ms: room for another worker to deliver as well */
	nanosleep(&pause, NULL);
	atomic_fetch_sub(&o->inside, 1);
	ck_assert_uint_eq(res->seq, o->seen + 1);
	snprintf(o->names[o->seen++], sizeof o->names[0], "%s|%s|%zu", res->item->name,
		 res->run.input_error ? "error" : verdict_word(res->run.ndkim ? res->run.dkim[0].v.result : VERDICT_NONE),
		 res->out.len);
	return o->stop_after && o->seen == o->stop_after;
}

/* on_open: register one more body hash; on_done: render JSON into res->out. */
static int add_hash(void *ctx, struct engine_result *res)
{
	(void)ctx;
	ck_assert_ptr_nonnull(hash_body_get(&res->run.reg, CANON_RELAXED, HASH_SHA1, HASH_NO_LIMIT, 0));
	return 0;
}

static void render(void *ctx, struct engine_result *res)
{
	(void)ctx;
	if (res->run.msg_open) {
		struct body_hash *bh = hash_body_get(&res->run.reg, CANON_RELAXED, HASH_SHA1, HASH_NO_LIMIT, 0);
		ck_assert_msg(bh && bh->finished, "the hook's body hash saw the whole body");
	}
	struct report_opts ro = { .format = REPORT_JSON, .show_dkim = 1, .show_arc = 1 };
	struct report_input in = { &res->run, &res->forensics, &res->claims, &res->lint, &res->diagnosis };
	report_message(&res->out, &in, &ro);
}

static void build_list(struct input_list *l, const struct input_opts *io)
{
	char dir[512], path[700];
	static char names[FIXTURE_MAX][128];
	input_list_init(l);
	snprintf(dir, sizeof dir, "%s/dkim", fixture_testdata());
	size_t n = fixture_list(dir, names, FIXTURE_MAX);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s.eml", dir, names[i]);
		ck_assert_int_eq(input_add(l, path, INPUT_MBOX_AUTO, io), 0);
		if (i == n / 2)
			ck_assert_int_eq(input_add(l, "/nonexistent/in-the-middle", INPUT_MBOX_AUTO, io), 0);
	}
}

static struct lookup *open_keys(void)
{
	char z[512], err[300];
	snprintf(z, sizeof z, "%s/keys.zone", fixture_testdata());
	const char *zones[] = { z };
	struct lookup *lk = lookup_new_zone(zones, 1, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	return lk;
}

START_TEST(test_order_and_hooks)
{
	static const unsigned jobs[] = { 1, 2, 3, 8 };
	struct lookup *lk = open_keys();
	struct engine_opts eo = { .run = { .policy = { .now = 1764003600, .min_key_bits = 1024 }, .do_dkim = 1,
					   .do_arc = 1 },
				  .forensics = 1, .on_open = add_hash, .on_done = render };
	struct input_list l;
	build_list(&l, &eo.input);
	struct order *first = calloc(1, sizeof *first);
	for (size_t j = 0; j < sizeof jobs / sizeof jobs[0]; j++) {
		struct order *o = calloc(1, sizeof *o);
		ck_assert_int_eq(engine_run(&l, &eo, lk, jobs[j], record, o), 0);
		ck_assert_uint_eq(o->seen, l.n);
		const char *middle = o->names[(l.n - 1) / 2 + 1];
		ck_assert_msg(strstr(middle, "in-the-middle|error|"), "%s", middle);
		if (j == 0)
			memcpy(first, o, sizeof *o);
		for (size_t i = 0; i < l.n; i++)
			ck_assert_msg(strcmp(first->names[i], o->names[i]) == 0, "-j%u item %zu: %s, -j1: %s", jobs[j], i,
				      o->names[i], first->names[i]);
		free(o);
	}
	free(first);
	input_list_free(&l);
	lookup_free(lk);
}
END_TEST

START_TEST(test_stop_early)
{
	struct lookup *lk = open_keys();
	struct engine_opts eo = { .run = { .policy = { .now = 1764003600, .min_key_bits = 1024 }, .do_dkim = 1 } };
	struct input_list l;
	build_list(&l, &eo.input);
	for (unsigned jobs = 1; jobs <= 4; jobs += 3) {
		struct order *o = calloc(1, sizeof *o);
		o->stop_after = 5;
		ck_assert_int_eq(engine_run(&l, &eo, lk, jobs, record, o), 1);
		ck_assert_uint_eq(o->seen, 5);
		free(o);
	}
	input_list_free(&l);
	lookup_free(lk);
}
END_TEST

/* Completion order, as the workers finish (on_done runs in the worker). */
struct finish_order {
	pthread_mutex_t mu;
	size_t n, at[600];
};

static void note_done(void *ctx, struct engine_result *res)
{
	struct finish_order *f = ctx;
	pthread_mutex_lock(&f->mu);
	if (f->n < 600)
		f->at[f->n++] = res->seq;
	pthread_mutex_unlock(&f->mu);
}

static int count_delivered(void *ctx, struct engine_result *res)
{
	size_t *n = ctx;
	ck_assert_uint_eq(res->seq, ++*n);
	return 0;
}

/*
 * One thread, keys over DNS, the first message's key answered only after 2 s:
 * the worker goes on with the messages behind it, so the first message is
 * finished last, and still delivered first. The others' key is in the cache
 * before the run (_i == 0), or answered 20 ms after the read-ahead asks for it
 * (_i == 1): then the worker has already found those messages waiting, and
 * must look at them again when the answer comes, not fall back on the oldest.
 */
START_TEST(test_slow_key_does_not_hold_others)
{
	char z[512], err[300], first[512];
	snprintf(z, sizeof z, "%s/keys.zone", fixture_testdata());
	snprintf(first, sizeof first, "%s/dkim/alg-ed25519-sha256.eml", fixture_testdata());
	const char *zones[] = { z };
	const char *faults[] = { "ed25519._domainkey.example.net=delay:2000", "rsa2048._domainkey.example.com=delay:20" };
	struct dnstest t = { 0 };
	struct dnstest_opts so = { .zone_files = zones, .nzone_files = 1, .faults = faults, .nfaults = 1 + (size_t)_i };
	ck_assert_msg(dnstest_serve(&t, &so, err, sizeof err) == 0, "%s", err);
	struct dns_opts dopts = { .nservers = 1, .timeout_ms = 5000 };
	ck_assert_int_eq(dnswire_parse_server(t.server, &dopts.servers[0]), 0);
	struct lookup *lk = lookup_new_dns(&dopts, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	/* the others' key is in the cache before the run: an idle worker waits only ENGINE_WAIT_ANY_MS
	 * for some answer before it takes the oldest, and a loaded machine (ASan, valgrind) can be slower */
	if (_i == 0)
		ck_assert_int_eq(lookup_wait(lk, "rsa2048._domainkey.example.com")->status, KEYANS_OK);
	struct finish_order *f = calloc(1, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	struct engine_opts eo = { .run = { .policy = { .now = 1764003600, .min_key_bits = 1024 }, .do_dkim = 1 },
				  .on_done = note_done, .ctx = f };
	struct input_list l;
	input_list_init(&l);
	ck_assert_int_eq(input_add(&l, first, INPUT_MBOX_AUTO, &eo.input), 0);
	for (int k = 0; k < 20; k++) {
		char path[512];
		snprintf(path, sizeof path, "%s/dkim/canon-relaxed-relaxed.eml", fixture_testdata());
		ck_assert_int_eq(input_add(&l, path, INPUT_MBOX_AUTO, &eo.input), 0);
	}
	size_t delivered = 0;
	ck_assert_int_eq(engine_run(&l, &eo, lk, 1, count_delivered, &delivered), 0);
	ck_assert_uint_eq(delivered, l.n);
	ck_assert_uint_eq(f->n, l.n);
	ck_assert_msg(f->at[0] != 1 && f->at[l.n - 1] == 1, "the slow message finished last (first finished: %zu)",
		      f->at[0]);
	pthread_mutex_destroy(&f->mu);
	free(f);
	input_list_free(&l);
	lookup_free(lk);
	dnstest_stop(&t);
}
END_TEST

Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_order_and_hooks);
	tcase_add_test(tc, test_stop_early);
	tcase_add_loop_test(tc, test_slow_key_does_not_hold_others, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
