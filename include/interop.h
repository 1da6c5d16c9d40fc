/*
 * interop: the risks of signatures that verify. For every DKIM-Signature, AMS
 * and AS that verifies under the RFC, the known-buggy verifier behaviours
 * under which it would not verify on this very message, with the
 * implementations known to have shipped each: a canonicalization bug of the
 * forensics catalogue counts only when it changes the hash this signature's
 * verifier computes (forensics probes it on the message; RFC 6376 §3.4,
 * §5.4.2, RFC 8617 §4.1.2), a trait no hash shows (Ed25519, RFC 8463; l=,
 * RFC 6376 §3.5) when the signature has it. The diagnosis lists these traits
 * for a hop that recorded fail for a signature that verifies. The risk table
 * is static; the interop object owns its list.
 */
#ifndef ARCVERIFY_INTEROP_H
#define ARCVERIFY_INTEROP_H

#include <stddef.h>

#include "forensics.h"
#include "run.h"

struct interop_risk {
	const struct dkim_sig *sig;   /* not ours: the verifying signature */
	const char *id;               /* the forensic variant id, or a trait id ("ed25519-unsupported") (static) */
	const char *what;             /* what those verifiers do (static) */
	const char *verifiers;        /* implementations known to have shipped it (static) */
	const char *rule;             /* the RFC rule they break (static) */
};

struct interop {
	int computed;                 /* interop_build ran */
	struct interop_risk *v;
	size_t n;
};

/* The variant ids forensics must probe on verifying signatures for interop_build (static list). */
const char *const *interop_probe_ids(size_t *n);
/* Every risk of every verifying signature of r, from the probes in f. 0, or -1 when out of memory. */
int interop_build(struct interop *io, const struct run_result *r, const struct forensics *f);
/* How many risks signature s has; *first points at the first of them (they are consecutive). */
size_t interop_for(const struct interop *io, const struct dkim_sig *s, const struct interop_risk **first);
void interop_free(struct interop *io);

#endif
