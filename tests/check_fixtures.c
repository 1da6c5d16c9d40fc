/*
 * End-to-end fixtures signed by independent implementations (dkimpy, Mail::DKIM;
 * see testdata/README.md): every testdata/dkim/NAME.eml against NAME.expect.
 */
#include <check.h>
#include <stdio.h>

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
	return s;
}
