/*
 * check_keysrc: the key-source interface: the wrappers reach the
 * implementation, counters default to zero, freeing destroys the
 * implementation. A mock source stands for zone files and DNS.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "keysrc.h"
#include "suites.h"

struct mock {
	int requests, polls, destroyed;
	const char *last_name;
	int last_timeout, last_wake;
};

static void mock_request(void *impl, const char *name, void *user, keysrc_done_fn done, void *cbctx)
{
	struct mock *m = impl;
	m->requests++;
	m->last_name = name;
	done(cbctx, user, keyans_new(name, KEYANS_SRC_KEYS));
}

static size_t mock_poll(void *impl, int timeout_ms, int wake_fd, keysrc_done_fn done, void *cbctx)
{
	struct mock *m = impl;
	(void)done, (void)cbctx;
	m->polls++;
	m->last_timeout = timeout_ms;
	m->last_wake = wake_fd;
	return 3;
}

static void mock_counters(const void *impl, struct keysrc_counters *out)
{
	const struct mock *m = impl;
	out->sent = (unsigned long)m->requests * 2;
	out->tcp = 1;
}

static void mock_destroy(void *impl)
{
	struct mock *m = impl;
	m->destroyed++;
}

struct got {
	int n;
	void *user;
	struct keyans *ans;
};

static void got_answer(void *cbctx, void *user, struct keyans *ans)
{
	struct got *g = cbctx;
	g->n++;
	g->user = user;
	keyans_free(g->ans);
	g->ans = ans;
}

START_TEST(wrappers_dispatch)
{
	static const struct keysrc_ops ops = { .async = 1, .request = mock_request, .poll = mock_poll,
					       .counters = mock_counters, .destroy = mock_destroy };
	struct mock m = { 0 };
	struct got g = { 0 };
	int user;
	struct keysrc *s = keysrc_new(&ops, &m);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(keysrc_async(s), 1);
	keysrc_request(s, "a.example", &user, got_answer, &g);
	ck_assert_int_eq(m.requests, 1);
	ck_assert_str_eq(m.last_name, "a.example");
	ck_assert_int_eq(g.n, 1);
	ck_assert_ptr_eq(g.user, &user);
	ck_assert_str_eq(g.ans->name, "a.example");
	ck_assert_uint_eq(keysrc_poll(s, 250, 7, got_answer, &g), 3);
	ck_assert_int_eq(m.last_timeout, 250);
	ck_assert_int_eq(m.last_wake, 7);
	struct keysrc_counters c;
	keysrc_counters(s, &c);
	ck_assert_uint_eq(c.sent, 2);
	ck_assert_uint_eq(c.tcp, 1);
	ck_assert_uint_eq(c.cname_chased, 0);
	keysrc_free(s);
	ck_assert_int_eq(m.destroyed, 1);
	keysrc_free(NULL);
	keyans_free(g.ans);
}
END_TEST

START_TEST(counters_optional)
{
	static const struct keysrc_ops ops = { .async = 0, .request = mock_request, .poll = mock_poll,
					       .counters = NULL, .destroy = mock_destroy };
	struct mock m = { 0 };
	struct keysrc *s = keysrc_new(&ops, &m);
	struct keysrc_counters c;
	memset(&c, 0xff, sizeof c);
	keysrc_counters(s, &c);
	ck_assert_uint_eq(c.sent, 0);
	ck_assert_uint_eq(c.tcp, 0);
	ck_assert_int_eq(keysrc_async(s), 0);
	keysrc_free(s);
}
END_TEST

Suite *keysrc_suite(void)
{
	Suite *s = suite_create("keysrc");
	TCase *tc = tcase_create("keysrc");
	tcase_add_test(tc, wrappers_dispatch);
	tcase_add_test(tc, counters_optional);
	suite_add_tcase(s, tc);
	return s;
}
