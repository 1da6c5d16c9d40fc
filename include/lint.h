/*
 * lint: warnings that never change a result, about things a careful operator
 * wants to know: ARC tag order (RFC 8617 §4.1 ABNF puts i= first), what an AMS
 * signs or misses, fields present more often than signed, l= coverage, weak or
 * testing keys, key form, several TXT records at one key name. The lint owns
 * its warnings.
 */
#ifndef ARCVERIFY_LINT_H
#define ARCVERIFY_LINT_H

#include <stddef.h>

#include "run.h"

struct lint_warning {
	char code[32];          /* stable identifier, e.g. "rsa-under-2048" */
	char where[48];         /* "DKIM #1", "AMS i=2", "AS i=1" */
	char text[300];
};

struct lint {
	struct lint_warning *v;
	size_t n;
};

/* Every warning for the message of r. 0, or -1 when out of memory. */
int lint_build(struct lint *l, const struct run_result *r);
void lint_free(struct lint *l);
/* The i-th warning code lint can emit (static), NULL past the last: for documentation checks. */
const char *lint_code(size_t i);

#endif
