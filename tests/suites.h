/* One Check suite per module (tests/check_<module>.c), in pipeline order. */
#ifndef ARCVERIFY_TEST_SUITES_H
#define ARCVERIFY_TEST_SUITES_H

#include <check.h>

/*
 * Declared strongly: a suite named here that no tests/check_*.c defines is a
 * link error, so a suite can never vanish from the run unnoticed. The list in
 * check_main.c names each of these once.
 */
#define SUITE_DECL(name) Suite *name##_suite(void)
SUITE_DECL(buf);
SUITE_DECL(verdict);
SUITE_DECL(b64);
SUITE_DECL(json);
SUITE_DECL(msg);
SUITE_DECL(tags);
SUITE_DECL(canon);
SUITE_DECL(hash);
SUITE_DECL(keyrec);
SUITE_DECL(sig);
SUITE_DECL(zone);
SUITE_DECL(dns);
SUITE_DECL(authres);
SUITE_DECL(dkim);
SUITE_DECL(arc);
SUITE_DECL(fixtures);
SUITE_DECL(corpus);
SUITE_DECL(arcsuite);
SUITE_DECL(cli);
SUITE_DECL(claims);
SUITE_DECL(lint);
SUITE_DECL(bundle);
SUITE_DECL(compare);
SUITE_DECL(bad);

#endif
