/* verdict: RFC 8601 result words and the forward-only transition rule. */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const words[] = {
	[VERDICT_NONE] = "none",
	[VERDICT_PASS] = "pass",
	[VERDICT_FAIL] = "fail",
	[VERDICT_NEUTRAL] = "neutral",
	[VERDICT_POLICY] = "policy",
	[VERDICT_TEMPERROR] = "temperror",
	[VERDICT_PERMERROR] = "permerror",
};

const char *verdict_word(enum verdict_result r)
{
	if ((unsigned)r < sizeof(words) / sizeof(words[0]))
		return words[r];
	return "unknown";
}

int verdict_from_word(const char *word, enum verdict_result *out)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(words[i], word) == 0) {
			*out = (enum verdict_result)i;
			return 0;
		}
	}
	return -1;
}

int verdict_is_final(const struct verdict *v)
{
	return v->result != VERDICT_NONE && v->result != VERDICT_TEMPERROR;
}

/*
 * The first problem found decides (RFC 6376 §6.1 lets a verifier stop at the
 * first failed check); a temperror may still turn into a permerror when a
 * later check proves the signature could never verify, whatever DNS does.
 */
int verdict_set(struct verdict *v, enum verdict_result r, const char *fmt, ...)
{
	if (v->result == VERDICT_TEMPERROR && r != VERDICT_PERMERROR)
		return 0;
	if (verdict_is_final(v))
		return 0;
	v->result = r;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof v->reason, fmt, ap);
	va_end(ap);
	return 1;
}

int verdict_severity(enum verdict_result r)
{
	switch (r) {
	case VERDICT_NONE:
	case VERDICT_PASS:
		return 0;
	case VERDICT_TEMPERROR:
		return 1;
	default:
		return 2;
	}
}
