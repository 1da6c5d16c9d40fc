/*
 * verdict: results in RFC 8601 words (pass, fail, neutral, temperror, permerror,
 * policy, none) with a stable reason code and a human-readable sentence. A
 * verdict moves only forward: permerror and temperror are sticky, and
 * pass/fail are final once set (see verdict_set), so a later check can never
 * silently overwrite an earlier problem. Scripts and tests match the code;
 * the sentence may be reworded freely. The code table is static.
 */
#ifndef ARCVERIFY_VERDICT_H
#define ARCVERIFY_VERDICT_H

#include <stddef.h>

enum verdict_result {
	VERDICT_NONE = 0,   /* not evaluated yet / nothing to evaluate */
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_NEUTRAL,
	VERDICT_POLICY,
	VERDICT_TEMPERROR,
	VERDICT_PERMERROR,
};

/* Stable reason codes: one per distinct cause (see verdict_code_table for the words). */
enum verdict_code {
	VC_NONE = 0,           /* no verdict yet */
	/* a signature (DKIM-Signature, AMS, AS) */
	VC_VERIFIED, VC_TAG_SYNTAX, VC_MISSING_TAG, VC_BAD_VERSION, VC_BAD_INSTANCE, VC_BAD_ALGORITHM,
	VC_BAD_CANON, VC_BAD_DOMAIN, VC_BAD_H, VC_FROM_NOT_SIGNED, VC_BAD_IDENTITY, VC_IDENTITY_DOMAIN,
	VC_BAD_QUERY, VC_BAD_NUMBER, VC_X_BEFORE_T, VC_BAD_BASE64, VC_EXPIRED, VC_FUTURE,
	VC_NO_KEY, VC_DNS_TIMEOUT, VC_DNS_SERVFAIL, VC_DNS_ERROR,
	VC_KEY_SYNTAX, VC_KEY_VERSION, VC_KEY_TYPE, VC_KEY_MISMATCH, VC_KEY_HASH, VC_KEY_SERVICE,
	VC_KEY_STRICT, VC_KEY_REVOKED, VC_KEY_SMALL, VC_KEY_LARGE, VC_KEY_UNUSABLE,
	VC_BODY_HASH, VC_SIG_INVALID, VC_LENGTH, VC_SHA1, VC_LIMIT, VC_INTERNAL, VC_NOT_VERIFIED,
	/* an ARC chain (RFC 8617 §5.2) */
	VC_ARC_NONE, VC_ARC_PASS, VC_ARC_INSTANCE, VC_ARC_TOO_MANY, VC_ARC_INCOMPLETE, VC_ARC_DUPLICATE,
	VC_ARC_CV_FAIL, VC_ARC_CV_INVALID, VC_ARC_CV_WRONG, VC_ARC_SEAL_H, VC_ARC_AMS_SIGNS_SEAL,
	VC_ARC_AMS_FAILED, VC_ARC_SEAL_FAILED,
	VC_COUNT
};

#define VERDICT_REASON_MAX 320

struct verdict {
	enum verdict_result result;
	enum verdict_code code;
	char reason[VERDICT_REASON_MAX];
};

struct verdict_code_info {
	enum verdict_code code;
	const char *word;        /* "body-hash-mismatch": what JSON, summaries and fixtures carry */
	int chain;               /* 1: an ARC chain code, 0: a signature code */
	const char *meaning;     /* one line for the documentation */
};

const char *verdict_word(enum verdict_result r);       /* "pass", "permerror", ... */
int verdict_from_word(const char *word, enum verdict_result *out); /* 0 if word is an RFC 8601 result */
const char *verdict_code_word(enum verdict_code c);    /* "" for VC_NONE */
int verdict_code_from_word(const char *word, enum verdict_code *out); /* 0, or -1 if unknown */
const struct verdict_code_info *verdict_code_table(size_t *n);  /* every code but VC_NONE */
/* Record a result, a code and a reason unless the verdict already holds a final one. 1 if it took. */
int verdict_set(struct verdict *v, enum verdict_result r, enum verdict_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int verdict_is_final(const struct verdict *v);
/* Exit-status rank used to combine many verdicts: 0 pass/none, 1 temperror, 2 fail/permerror/policy. */
int verdict_severity(enum verdict_result r);

#endif
