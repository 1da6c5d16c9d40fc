/* lint: result-neutral warnings about signatures, keys and ARC sets. */
#include "lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every code warn() is called with: the documentation (arcverify-json(5)) is checked against it. */
static const char *const codes[] = {
	"rsa-sha1", "rsa-under-2048", "key-testing", "key-pkcs1", "several-txt-records", "partial-body",
	"unsigned-extra-field", "arc-i-not-first", "ams-signs-trace", "ams-misses-dkim-signature",
};

const char *lint_code(size_t i)
{
	return i < sizeof codes / sizeof codes[0] ? codes[i] : NULL;
}

static int warn(struct lint *l, const char *code, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int warn(struct lint *l, const char *code, const char *where, const char *fmt, ...)
{
	struct lint_warning *v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		return -1;
	l->v = v;
	struct lint_warning *w = &l->v[l->n++];
	snprintf(w->code, sizeof w->code, "%s", code);
	snprintf(w->where, sizeof w->where, "%s", where);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->text, sizeof w->text, fmt, ap);
	va_end(ap);
	return 0;
}

static int signs(const struct dkim_sig *s, const char *name)
{
	for (size_t i = 0; i < s->nh; i++)
		if (slice_caseeq_str(s->h[i], name))
			return 1;
	return 0;
}

static size_t signed_count(const struct dkim_sig *s, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nh; i++)
		n += slice_caseeq_str(s->h[i], name);
	return n;
}

/* Signature and key warnings common to DKIM-Signature, AMS and AS. */
static int lint_sig(struct lint *l, const struct dkim_sig *s, const struct msg *m, const char *where)
{
	int rc = 0;
	if (s->has_alg && s->alg == SIG_RSA_SHA1)
		rc |= warn(l, "rsa-sha1", where, "rsa-sha1 is obsolete (RFC 8301 §3.1); sign with rsa-sha256 or ed25519-sha256");
	if (s->has_key && s->key.type == KEY_RSA && s->key.bits < 2048)
		rc |= warn(l, "rsa-under-2048", where, "%u-bit RSA key; RFC 8301 §3.2 asks signers for at least 2048 bits",
			   s->key.bits);
	if (s->has_key && s->key.testing)
		rc |= warn(l, "key-testing", where, "key %s has t=y (testing): receivers must treat the signature no "
			   "differently (RFC 6376 §3.6.1)", s->keyname);
	if (s->has_key && s->key.pkcs1)
		rc |= warn(l, "key-pkcs1", where, "key %s is published as a PKCS#1 RSAPublicKey; most verifiers only "
			   "accept SubjectPublicKeyInfo (RFC 6376 Appendix C)", s->keyname);
	if (s->answer && s->answer->nrecords > 1)
		rc |= warn(l, "several-txt-records", where, "%zu TXT records at %s; RFC 6376 §3.6.2.2 leaves the result "
			   "undefined, verifiers pick different ones", s->answer->nrecords, s->keyname);
	if (s->has_l && s->body && s->body->finished) {
		uint64_t total = s->body->canon_len;
		rc |= warn(l, "partial-body", where, "l=%llu covers %llu of %llu canonical body bytes (%.0f%%): anything "
			   "appended is unsigned (RFC 6376 §8.2)", (unsigned long long)s->l,
			   (unsigned long long)(s->l < total ? s->l : total), (unsigned long long)total,
			   total ? 100.0 * (double)(s->l < total ? s->l : total) / (double)total : 100.0);
	}
	static const char *const watched[] = { "From", "Subject" };
	for (size_t i = 0; s->kind != DKIM_KIND_SEAL && s->usable && i < 2; i++) {
		size_t present = msg_count_fields(m, slice_cstr(watched[i])), signed_n = signed_count(s, watched[i]);
		if (present > signed_n)
			rc |= warn(l, "unsigned-extra-field", where, "%s appears %zu times but h= names it %zu time%s: an "
				   "added %s would not break the signature (over-sign it, RFC 6376 §8.15)", watched[i],
				   present, signed_n, signed_n == 1 ? "" : "s", watched[i]);
	}
	return rc;
}

/* RFC 8617 §4.1.2 and §4.1.3 ABNF put the instance tag first. */
static int lint_instance_first(struct lint *l, const struct dkim_sig *s, const char *where)
{
	if (s->tags.n && !slice_eq(s->tags.tags[0].name, "i"))
		return warn(l, "arc-i-not-first", where, "i= is not the first tag (RFC 8617 §4.1 ABNF has the instance "
			    "first; some validators insist)");
	return 0;
}

static int lint_ams(struct lint *l, const struct arc_set *set, const struct msg *m, const char *where)
{
	const struct dkim_sig *s = &set->ams;
	int rc = lint_instance_first(l, s, where);
	static const char *const arc_fields[] = { "ARC-Authentication-Results", "ARC-Message-Signature",
						  "Authentication-Results" };
	for (size_t i = 0; i < 3; i++)
		if (signs(s, arc_fields[i]))
			rc |= warn(l, "ams-signs-trace", where, "the AMS signs %s, which later hops add or rewrite "
				   "(RFC 8617 §4.1.2 excludes ARC fields)", arc_fields[i]);
	if (msg_count_fields(m, slice_cstr("DKIM-Signature")) > 0 && !signs(s, "DKIM-Signature"))
		rc |= warn(l, "ams-misses-dkim-signature", where, "the AMS does not cover DKIM-Signature, so a removed or "
			   "replaced DKIM-Signature goes unnoticed");
	return rc;
}

int lint_build(struct lint *l, const struct run_result *r)
{
	memset(l, 0, sizeof *l);
	if (!r->msg_open)
		return 0;
	int rc = 0;
	char where[48];
	for (size_t i = 0; i < r->ndkim; i++) {
		snprintf(where, sizeof where, "DKIM #%zu", i + 1);
		rc |= lint_sig(l, &r->dkim[i], &r->msg, where);
	}
	for (unsigned i = 1; i <= r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i - 1];
		if (set->has_ams) {
			snprintf(where, sizeof where, "AMS i=%u", i);
			rc |= lint_sig(l, &set->ams, &r->msg, where);
			rc |= lint_ams(l, set, &r->msg, where);
		}
		if (set->has_as) {
			snprintf(where, sizeof where, "AS i=%u", i);
			rc |= lint_sig(l, &set->as, &r->msg, where);
			rc |= lint_instance_first(l, &set->as, where);
		}
	}
	return rc ? -1 : 0;
}

void lint_free(struct lint *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
