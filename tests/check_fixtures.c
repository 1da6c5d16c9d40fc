/*
 * End-to-end fixtures signed by independent implementations (dkimpy, Mail::DKIM;
 * see testdata/README.md and the README of each fixture directory): every
 * testdata/{dkim,arc,forensics,diagnosis}/NAME.eml against NAME.expect, with keys from
 * the zone files and, a second time, from a real DNS server on 127.0.0.1
 * (dnsmasq) serving the same zone files: the results must be identical.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dnstest.h"
#include "fixture.h"
#include "suites.h"

static const char *const fixture_dirs[] = { "dkim", "arc", "forensics", "diagnosis" };
#define NDIRS (sizeof fixture_dirs / sizeof fixture_dirs[0])

struct fixture_ref {
	char dir[256];
	char name[128];
};

static struct fixture_ref refs[FIXTURE_MAX * NDIRS];
static size_t count;
static size_t per_dir[NDIRS];

static void collect_fixtures(void)
{
	static char names[FIXTURE_MAX][128];
	count = 0;
	for (size_t d = 0; d < NDIRS; d++) {
		char dir[256];
		snprintf(dir, sizeof dir, "%s/%s", fixture_testdata(), fixture_dirs[d]);
		size_t n = fixture_list(dir, names, FIXTURE_MAX);
		per_dir[d] = n;
		for (size_t i = 0; i < n; i++, count++) {
			snprintf(refs[count].dir, sizeof refs[count].dir, "%s", dir);
			snprintf(refs[count].name, sizeof refs[count].name, "%s", names[i]);
		}
	}
}

START_TEST(test_fixture)
{
	char why[1200];
	ck_assert_msg(fixture_check(refs[_i].dir, refs[_i].name, NULL, 0, why, sizeof why) == 0, "%s", why);
}
END_TEST

START_TEST(test_fixtures_present)
{
	ck_assert_msg(per_dir[0] >= 80, "only %zu DKIM fixtures", per_dir[0]);
}
END_TEST

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

START_TEST(test_fixture_over_dns)
{
	ck_assert_msg(dns.pid > 0, "loopback DNS server: %s", dns_error);
	const char *extra[] = { "--dns-server", dns.server, "--dns-timeout", "5" };
	char why[1200];
	ck_assert_msg(fixture_check(refs[_i].dir, refs[_i].name, extra, 4, why, sizeof why) == 0, "over DNS: %s", why);
}
END_TEST

Suite *fixtures_suite(void)
{
	Suite *s = suite_create("fixtures");
	collect_fixtures();
	TCase *tc = tcase_create("keys-file");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fixtures_present);
	tcase_add_loop_test(tc, test_fixture, 0, (int)count);
	suite_add_tcase(s, tc);
	TCase *td = tcase_create("over-dns");
	tcase_set_timeout(td, 300);
	tcase_add_unchecked_fixture(td, start_dns, stop_dns);
	tcase_add_loop_test(td, test_fixture_over_dns, 0, (int)count);
	suite_add_tcase(s, td);
	return s;
}
