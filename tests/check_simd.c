/*
 * simd: the level the byte scans use. SIMD_AUTO is the widest this build and
 * CPU run (at least SSE2 on x86-64, whose baseline it is); a level asked for
 * is kept if the CPU runs it and lowered to the widest otherwise, so a test
 * that pins each level in turn runs on any machine. The scans themselves are
 * checked level by level where they live: check_msg (bare LFs) and
 * check_canon (unchanged runs, canon_relaxed_keeps).
 */
#include <check.h>

#include "simd.h"
#include "suites.h"

START_TEST(test_auto_is_the_widest)
{
	enum simd_isa best = simd_resolve(SIMD_AUTO);
	ck_assert_msg(best >= SIMD_SCALAR && best <= SIMD_AVX2, "a level, never SIMD_AUTO itself: %d", (int)best);
#ifdef __SSE2__
	ck_assert_msg(best >= SIMD_SSE2, "every x86-64 has SSE2: %d", (int)best);
#endif
	for (enum simd_isa want = SIMD_SCALAR; want <= SIMD_AVX2; want++)
		ck_assert_msg(simd_resolve(want) <= best, "level %d resolves to %d, above the widest %d", (int)want,
			      (int)simd_resolve(want), (int)best);
	ck_assert_msg(simd_resolve(SIMD_AVX2) == best, "asking for the widest level there is gives the CPU's");
}
END_TEST

START_TEST(test_pinned_levels)
{
	enum simd_isa best = simd_resolve(SIMD_AUTO);
	ck_assert_msg(simd_resolve(SIMD_SCALAR) == SIMD_SCALAR, "scalar runs everywhere");
	for (enum simd_isa want = SIMD_SCALAR; want <= SIMD_AVX2; want++) {
		enum simd_isa got = simd_resolve(want);
		ck_assert_msg(got == (want <= best ? want : best), "level %d: %d (widest %d)", (int)want, (int)got,
			      (int)best);
		ck_assert_msg(simd_resolve(got) == got, "a resolved level stays as it is");
	}
}
END_TEST

Suite *simd_suite(void)
{
	Suite *s = suite_create("simd");
	TCase *tc = tcase_create("resolve");
	tcase_add_test(tc, test_auto_is_the_widest);
	tcase_add_test(tc, test_pinned_levels);
	suite_add_tcase(s, tc);
	return s;
}
