/*
 * simd: which vector instructions the byte scans of msg (bare LFs) and canon
 * (runs the canonicalization leaves unchanged) use. SSE2, which every x86-64
 * has, looks at 16 bytes at a time; AVX2 at 32, where the CPU has it, chosen
 * at run time so that one binary serves every x86-64. Each rule is stated once
 * by its scalar loop; the vector code must give the same answers, which the
 * tests check by pinning every level in turn (struct msg_opts, struct
 * canon_body).
 */
#ifndef ARCVERIFY_SIMD_H
#define ARCVERIFY_SIMD_H

enum simd_isa { SIMD_AUTO = 0, SIMD_SCALAR, SIMD_SSE2, SIMD_AVX2 };

/* GCC and clang compile AVX2 functions into an x86-64 build by attribute. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SIMD_AVX2_BUILD 1
#define SIMD_AVX2_FN __attribute__((target("avx2")))
#else
#define SIMD_AVX2_BUILD 0
#endif

/* The level to use for want: SIMD_AUTO is the widest this build and CPU run; a wider one is lowered to it. */
enum simd_isa simd_resolve(enum simd_isa want);

#endif
