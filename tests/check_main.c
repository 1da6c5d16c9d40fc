/*
 * The test runner: every suite (see suites.h), one SRunner, Check's summary
 * line, then the tests that were skipped here and why, so the closing lines
 * say what actually ran. ARCVERIFY_SHARED points at ../shared (public test
 * suites); ARCVERIFY_BIN at the built binary for command-line tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

typedef Suite *(*suite_fn)(void);

/* Tests call fixture_skip, which appends to this file; forked test processes inherit the name. */
static void print_skip_line(const char *line, size_t repeats)
{
	if (repeats > 1)
		printf("  SKIPPED (%zu cases) %s", repeats, line);
	else if (repeats == 1)
		printf("  SKIPPED %s", line);
}

static void print_skips(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[600], prev[600] = "";
	size_t n = 0, repeats = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (n++ == 0)
			printf("Skipped here (counted above as passes, but NOT run):\n");
		if (strcmp(line, prev) == 0) {
			repeats++;
			continue;
		}
		print_skip_line(prev, repeats);
		snprintf(prev, sizeof prev, "%s", line);
		repeats = 1;
	}
	print_skip_line(prev, repeats);
	if (f)
		fclose(f);
	printf("%zu skipped\n", n);
}

int main(void)
{
	suite_fn all[] = {
		buf_suite, simd_suite, verdict_suite, b64_suite, der_suite, json_suite, jsonin_suite, input_suite, msg_suite,
		tags_suite, canon_suite, hash_suite, keyrec_suite, keyans_suite, keysrc_suite, zone_suite, dnswire_suite,
		dns_suite, lookup_suite, sig_suite, authres_suite, dkim_suite, arc_suite, fixtures_suite,
		corpus_suite, arcsuite_suite, forensics_suite, interop_suite, diagnosis_suite, change_suite,
		mime_suite, hdrdiff_suite, bodydiff_suite, sigmatch_suite, cmpout_suite, engine_suite, summary_suite,
		cli_suite, batch_suite, claims_suite, lint_suite, bundle_suite, compare_suite, report_suite,
		bad_suite,
	};
	char log[] = "/tmp/arcverify-skips-XXXXXX";
	int fd = mkstemp(log);
	if (fd < 0)
		return EXIT_FAILURE;
	close(fd);
	setenv("ARCVERIFY_SKIPLOG", log, 1);
	SRunner *sr = srunner_create(all[0]());
	for (size_t i = 1; i < sizeof all / sizeof all[0]; i++)
		srunner_add_suite(sr, all[i]());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	print_skips(log);
	unlink(log);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
