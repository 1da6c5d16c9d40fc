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

static const struct verdict_code_info codes[] = {
	{ VC_VERIFIED, "verified", 0, "the signature verifies (pass)" },
	{ VC_TAG_SYNTAX, "tag-syntax", 0, "the tag-list does not parse, or a tag appears twice (RFC 6376 §3.2)" },
	{ VC_MISSING_TAG, "missing-tag", 0, "a required tag is absent (RFC 6376 §3.5, RFC 8617 §4.1.2, §4.1.3)" },
	{ VC_BAD_VERSION, "bad-version", 0, "v= is not 1 (RFC 6376 §3.5)" },
	{ VC_BAD_INSTANCE, "bad-instance", 0, "the ARC i= is not a number from 1 to 50 (RFC 8617 §4.2.1)" },
	{ VC_BAD_ALGORITHM, "unknown-algorithm", 0, "a= names no known signing algorithm (RFC 6376 §3.5, RFC 8463)" },
	{ VC_BAD_CANON, "bad-canonicalization", 0, "c= names no known canonicalization (RFC 6376 §3.5)" },
	{ VC_BAD_DOMAIN, "bad-domain", 0, "d= or s= is not a domain name or selector, or the key name is too long" },
	{ VC_BAD_H, "bad-h", 0, "h= holds an empty name or too many names (RFC 6376 §3.5)" },
	{ VC_FROM_NOT_SIGNED, "from-not-signed", 0, "h= does not include From (RFC 6376 §5.4)" },
	{ VC_BAD_IDENTITY, "bad-identity", 0, "i= is not a valid identity (RFC 6376 §2.11, §3.5)" },
	{ VC_IDENTITY_DOMAIN, "identity-outside-domain", 0, "the i= domain is not d= or below it (RFC 6376 §3.5)" },
	{ VC_BAD_QUERY, "bad-query-method", 0, "q= does not offer dns/txt (RFC 6376 §3.5)" },
	{ VC_BAD_NUMBER, "bad-number", 0, "l=, t= or x= is not a valid number (RFC 6376 §3.5)" },
	{ VC_X_BEFORE_T, "expiry-before-timestamp", 0, "x= is not after t= (RFC 6376 §3.5)" },
	{ VC_BAD_BASE64, "bad-base64", 0, "b= or bh= is empty or not base64 (RFC 6376 §2.7)" },
	{ VC_EXPIRED, "expired", 0, "x= is before the evaluation time (RFC 6376 §3.5)" },
	{ VC_FUTURE, "timestamp-in-future", 0, "t= is after the evaluation time (RFC 6376 §3.5)" },
	{ VC_NO_KEY, "no-key", 0, "no key record: NXDOMAIN or no TXT record (RFC 6376 §6.1.2: permerror)" },
	{ VC_DNS_TIMEOUT, "dns-timeout", 0, "the key lookup timed out or was refused at once (temperror)" },
	{ VC_DNS_SERVFAIL, "dns-servfail", 0, "the DNS server failed or refused (temperror)" },
	{ VC_DNS_ERROR, "dns-error", 0, "the DNS answer was malformed or could not be asked (temperror)" },
	{ VC_KEY_SYNTAX, "key-syntax", 0, "the key record does not parse (RFC 6376 §3.6.1)" },
	{ VC_KEY_VERSION, "key-version", 0, "the key record's v= is not DKIM1 (RFC 6376 §3.6.1)" },
	{ VC_KEY_TYPE, "key-unknown-type", 0, "the key record's k= names no known key type (RFC 6376 §3.6.1)" },
	{ VC_KEY_MISMATCH, "key-type-mismatch", 0, "the key's type does not match a= or its own k=" },
	{ VC_KEY_HASH, "key-hash-not-allowed", 0, "the key's h= does not allow the signature's hash (RFC 6376 §3.6.1)" },
	{ VC_KEY_SERVICE, "key-service-not-email", 0, "the key's s= does not include email (RFC 6376 §3.6.1)" },
	{ VC_KEY_STRICT, "key-strict-identity", 0, "the key says t=s and the i= domain is not d= (RFC 6376 §3.6.1)" },
	{ VC_KEY_REVOKED, "key-revoked", 0, "the key record has an empty p= (RFC 6376 §3.6.1)" },
	{ VC_KEY_SMALL, "key-too-small", 0, "the RSA key is below --min-key-bits (RFC 8301 §3.2)" },
	{ VC_KEY_LARGE, "key-too-large", 0, "the RSA key is above arcverify's bound" },
	{ VC_KEY_UNUSABLE, "key-unusable", 0, "the key material does not decode into a public key" },
	{ VC_BODY_HASH, "body-hash-mismatch", 0, "the body hash differs from bh= (RFC 6376 §3.7)" },
	{ VC_SIG_INVALID, "sig-invalid", 0, "b= does not verify over the header data (RFC 6376 §3.7)" },
	{ VC_LENGTH, "length-exceeds-body", 0, "l= is larger than the canonicalized body (RFC 6376 §3.5)" },
	{ VC_SHA1, "sha1-refused", 0, "an rsa-sha1 signature that verifies, refused by RFC 8301 §3.1" },
	{ VC_LIMIT, "limit-exceeded", 0, "a bound of arcverify was reached (body hashes, header data)" },
	{ VC_INTERNAL, "internal-error", 0, "OpenSSL or memory failed while checking" },
	{ VC_NOT_VERIFIED, "not-verified", 0, "a seal not checked because the sets it covers are incomplete" },
	{ VC_ARC_NONE, "no-arc", 1, "the message has no ARC header fields (RFC 8617 §5.2 step 1)" },
	{ VC_ARC_PASS, "chain-verified", 1, "every ARC-Seal and the newest AMS verify (pass)" },
	{ VC_ARC_INSTANCE, "arc-bad-instance", 1, "an ARC field has no valid or a repeated i= (RFC 8617 §4.1)" },
	{ VC_ARC_TOO_MANY, "arc-too-many-sets", 1, "an instance above 50 (RFC 8617 §4.2.1)" },
	{ VC_ARC_INCOMPLETE, "arc-incomplete-set", 1, "an instance lacks its AAR, AMS or AS (RFC 8617 §4.2.1)" },
	{ VC_ARC_DUPLICATE, "arc-duplicate-field", 1, "an instance has two AARs, AMSs or ASs (RFC 8617 §4.2.1)" },
	{ VC_ARC_CV_FAIL, "arc-cv-fail", 1, "the newest seal says cv=fail (RFC 8617 §5.2 step 2.1)" },
	{ VC_ARC_CV_INVALID, "arc-cv-invalid", 1, "a seal's cv= is not none, pass or fail (RFC 8617 §4.1.3)" },
	{ VC_ARC_CV_WRONG, "arc-cv-wrong", 1, "cv= is not none on i=1 or not pass after (RFC 8617 §5.1.1)" },
	{ VC_ARC_SEAL_H, "arc-seal-has-h", 1, "an ARC-Seal carries h= (RFC 8617 §4.1.3)" },
	{ VC_ARC_AMS_SIGNS_SEAL, "arc-ams-signs-seal", 1, "an AMS signs ARC-Seal (RFC 8617 §4.1.2)" },
	{ VC_ARC_AMS_FAILED, "arc-newest-ams-failed", 1, "the newest AMS does not verify (RFC 8617 §5.2 step 3)" },
	{ VC_ARC_SEAL_FAILED, "arc-seal-failed", 1, "an ARC-Seal does not verify (RFC 8617 §5.2 step 5)" },
};

const struct verdict_code_info *verdict_code_table(size_t *n)
{
	*n = sizeof codes / sizeof codes[0];
	return codes;
}

const char *verdict_code_word(enum verdict_code c)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i].code == c)
			return codes[i].word;
	return "";
}

int verdict_code_from_word(const char *word, enum verdict_code *out)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcmp(codes[i].word, word) == 0) {
			*out = codes[i].code;
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
int verdict_set(struct verdict *v, enum verdict_result r, enum verdict_code code, const char *fmt, ...)
{
	if (v->result == VERDICT_TEMPERROR && r != VERDICT_PERMERROR)
		return 0;
	if (verdict_is_final(v))
		return 0;
	v->result = r;
	v->code = code;
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
