/* simd: the vector level the byte scans use (see include/simd.h). */
#include "simd.h"

enum simd_isa simd_resolve(enum simd_isa want)
{
	enum simd_isa best = SIMD_SCALAR;
#ifdef __SSE2__
	best = SIMD_SSE2;
#endif
#if SIMD_AVX2_BUILD
	if (__builtin_cpu_supports("avx2"))
		best = SIMD_AVX2;
#endif
	return want == SIMD_AUTO || want > best ? best : want;
}
