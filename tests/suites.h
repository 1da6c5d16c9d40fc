/* One Check suite per module (tests/check_<module>.c), in pipeline order. */
#ifndef ARCVERIFY_TEST_SUITES_H
#define ARCVERIFY_TEST_SUITES_H

#include <check.h>

/* Declared weak so that the runner links whichever suites exist. */
#define SUITE_DECL(name) Suite *name##_suite(void) __attribute__((weak))
SUITE_DECL(buf);
SUITE_DECL(verdict);
SUITE_DECL(b64);
SUITE_DECL(json);
SUITE_DECL(msg);
SUITE_DECL(tags);
SUITE_DECL(canon);
SUITE_DECL(hash);
SUITE_DECL(keyrec);
SUITE_DECL(zone);
SUITE_DECL(dns);
SUITE_DECL(lookup);
SUITE_DECL(sig);
SUITE_DECL(authres);
SUITE_DECL(dkim);
SUITE_DECL(fixtures);
SUITE_DECL(corpus);
SUITE_DECL(arc);
SUITE_DECL(arcsuite);
SUITE_DECL(report);
SUITE_DECL(cli);
SUITE_DECL(forensics);
SUITE_DECL(claims);
SUITE_DECL(lint);
SUITE_DECL(bundle);
SUITE_DECL(compare);

#endif
