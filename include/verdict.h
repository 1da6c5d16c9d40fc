/*
 * verdict: results in RFC 8601 words (pass, fail, neutral, temperror, permerror,
 * policy, none) with a human-readable reason. A verdict moves only forward:
 * permerror and temperror are sticky, and pass/fail are final once set (see
 * verdict_set), so a later check can never silently overwrite an earlier problem.
 */
#ifndef ARCVERIFY_VERDICT_H
#define ARCVERIFY_VERDICT_H

enum verdict_result {
	VERDICT_NONE = 0,   /* not evaluated yet / nothing to evaluate */
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_NEUTRAL,
	VERDICT_POLICY,
	VERDICT_TEMPERROR,
	VERDICT_PERMERROR,
};

#define VERDICT_REASON_MAX 320

struct verdict {
	enum verdict_result result;
	char reason[VERDICT_REASON_MAX];
};

const char *verdict_word(enum verdict_result r);       /* "pass", "permerror", ... */
int verdict_from_word(const char *word, enum verdict_result *out); /* 0 if word is an RFC 8601 result */
/* Record a result with a reason unless the verdict already holds a final one. Returns 1 if it took. */
int verdict_set(struct verdict *v, enum verdict_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int verdict_is_final(const struct verdict *v);
/* Exit-status rank used to combine many verdicts: 0 pass/none, 1 temperror, 2 fail/permerror/policy. */
int verdict_severity(enum verdict_result r);

#endif
