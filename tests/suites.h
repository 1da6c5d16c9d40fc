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
SUITE_DECL(simd);
SUITE_DECL(verdict);
SUITE_DECL(b64);
SUITE_DECL(der);
SUITE_DECL(json);
SUITE_DECL(jsonin);
SUITE_DECL(input);
SUITE_DECL(msg);
SUITE_DECL(tags);
SUITE_DECL(canon);
SUITE_DECL(hash);
SUITE_DECL(keyrec);
SUITE_DECL(keyans);
SUITE_DECL(keysrc);
SUITE_DECL(sig);
SUITE_DECL(zone);
SUITE_DECL(dnswire);
SUITE_DECL(dns);
SUITE_DECL(lookup);
SUITE_DECL(authres);
SUITE_DECL(dkim);
SUITE_DECL(arc);
SUITE_DECL(fixtures);
SUITE_DECL(corpus);
SUITE_DECL(arcsuite);
SUITE_DECL(engine);
SUITE_DECL(summary);
SUITE_DECL(cli);
SUITE_DECL(batch);
SUITE_DECL(claims);
SUITE_DECL(lint);
SUITE_DECL(bundle);
SUITE_DECL(compare);
SUITE_DECL(report);
SUITE_DECL(forensics);
SUITE_DECL(interop);
SUITE_DECL(diagnosis);
SUITE_DECL(change);
SUITE_DECL(mime);
SUITE_DECL(hdrdiff);
SUITE_DECL(bodydiff);
SUITE_DECL(sigmatch);
SUITE_DECL(cmpout);
SUITE_DECL(bad);

#endif
