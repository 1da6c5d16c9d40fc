/*
 * fuzz: what the libFuzzer targets in tests/fuzz/ share. Each fuzz-NAME.c
 * defines LLVMFuzzerTestOneInput for one parser (or one invariant); `make
 * fuzz` builds it with clang -fsanitize=fuzzer,address,undefined and runs it
 * from the seed corpus tests/fuzz/corpus/NAME/ (see tests/fuzz/README.md).
 * FUZZ_CHECK turns a broken invariant into a crash the fuzzer reports, so a
 * wrong result is found as surely as a bad memory access.
 */
#ifndef ARCVERIFY_FUZZ_H
#define ARCVERIFY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, what)                                                        \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", what,  \
				__FILE__, __LINE__);                                  \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* A slice lies inside [base, base + len). */
static inline int fuzz_within(struct slice s, const void *base, size_t len)
{
	const char *b = base;
	return s.len == 0 || (s.ptr >= b && s.len <= len && s.ptr - b <= (ptrdiff_t)(len - s.len));
}

#endif
