/*
 * End-to-end fixtures signed by independent implementations (dkimpy, Mail::DKIM;
 * see testdata/README.md): every testdata/dkim/NAME.eml against NAME.expect.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dnstest.h"
#include "fixture.h"
#include "suites.h"

static char names[FIXTURE_MAX][128];
static size_t count;
static char dir[256];

START_TEST(test_dkim_fixture)
{
	char why[1200];
	ck_assert_msg(fixture_check(dir, names[_i], NULL, 0, why, sizeof why) == 0, "%s", why);
}
END_TEST

START_TEST(test_fixtures_present)
{
	ck_assert_msg(count >= 80, "only %zu fixtures in %s", count, dir);
}
END_TEST

/*
 * The same fixtures with keys from a real DNS server (dnsmasq on 127.0.0.1,
 * serving the same zone files): the results must be identical to --keys.
 */
static struct dnstest dns;
static char dns_error[300];

static void start_dns(void)
{
	char zone[512], arczone[512];
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
	const char *zones[] = { zone, arczone };
	size_t n = access(arczone, R_OK) == 0 ? 2 : 1;
	dns_error[0] = '\0';
	if (dnstest_start_zone(&dns, zones, n, dns_error, sizeof dns_error) < 0 && !dns_error[0])
		snprintf(dns_error, sizeof dns_error, "could not start dnsmasq");
}

static void stop_dns(void)
{
	dnstest_stop(&dns);
}

START_TEST(test_dkim_fixture_over_dns)
{
	ck_assert_msg(dns.pid > 0, "loopback DNS server: %s", dns_error);
	const char *extra[] = { "--dns-server", dns.server, "--dns-timeout", "5" };
	char why[1200];
	ck_assert_msg(fixture_check(dir, names[_i], extra, 4, why, sizeof why) == 0, "over DNS: %s", why);
}
END_TEST

Suite *fixtures_suite(void)
{
	Suite *s = suite_create("fixtures");
	snprintf(dir, sizeof dir, "%s/dkim", fixture_testdata());
	count = fixture_list(dir, names, FIXTURE_MAX);
	TCase *tc = tcase_create("dkim");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fixtures_present);
	tcase_add_loop_test(tc, test_dkim_fixture, 0, (int)count);
	suite_add_tcase(s, tc);
	TCase *td = tcase_create("dkim-over-dns");
	tcase_set_timeout(td, 120);
	tcase_add_unchecked_fixture(td, start_dns, stop_dns);
	tcase_add_loop_test(td, test_dkim_fixture_over_dns, 0, (int)count);
	suite_add_tcase(s, td);
	return s;
}
