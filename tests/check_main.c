/*
 * The test runner: every suite that exists (see suites.h), one SRunner, Check's
 * summary line at the end. ARCVERIFY_SHARED points at ../shared (public test
 * suites); ARCVERIFY_BIN at the built binary for command-line tests.
 */
#include <stdlib.h>

#include "suites.h"

typedef Suite *(*suite_fn)(void);

int main(void)
{
	suite_fn all[] = {
		buf_suite, verdict_suite, b64_suite, json_suite, msg_suite, tags_suite, canon_suite,
		hash_suite, keyrec_suite, zone_suite, dns_suite, lookup_suite, sig_suite, authres_suite,
		dkim_suite, fixtures_suite, corpus_suite, arc_suite, arcsuite_suite, report_suite,
		cli_suite, forensics_suite, claims_suite, lint_suite, bundle_suite, compare_suite,
	};
	SRunner *sr = NULL;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (!all[i])
			continue;
		if (!sr)
			sr = srunner_create(all[i]());
		else
			srunner_add_suite(sr, all[i]());
	}
	if (!sr)
		return EXIT_FAILURE;
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
