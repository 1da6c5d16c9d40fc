/*
 * diagnosis: whose bug it is, from the message alone. For every failure, a
 * cause: a signer (a known non-conformant canonicalization of the forensics
 * catalogue reproduces its bh= or b= exactly, RFC 6376 §3.4, §5.4; or its
 * key or tags are unusable), a modifier (the message changed after a
 * signature was made: the per-instance AMS results bracket where, RFC 8617
 * §5.2, and the prefix search and the field order say what changed, told
 * through change.h), or a verifier (a hop recorded, in an AAR, an A-R or its
 * seal's cv=, a result the RFC contradicts on the bytes that hop saw; its
 * bug is at most "consistent": the traits of interop.h that break known
 * verifiers, or "unexplained" when there are none). Causes are ranked, most
 * likely first; hops' records a cause accounts for are marked explained in
 * the claims. The interop risks of the verifying signatures are computed
 * here too. The diagnosis owns its entries.
 */
#ifndef ARCVERIFY_DIAGNOSIS_H
#define ARCVERIFY_DIAGNOSIS_H

#include <stddef.h>

#include "claims.h"
#include "forensics.h"
#include "interop.h"
#include "run.h"

#define DIAGNOSE_INTEROP 1   /* the interop risks of verifying signatures (--interop) */
#define DIAGNOSE_CAUSES 2    /* the causes of every failure (--explain, -v, --bundle) */

enum diagnosis_role { DIAGNOSIS_SIGNER = 0, DIAGNOSIS_MODIFIER, DIAGNOSIS_VERIFIER };
enum diagnosis_evidence { DIAGNOSIS_PROVED = 0, DIAGNOSIS_CONSISTENT, DIAGNOSIS_UNEXPLAINED };

struct diagnosis_entry {
	enum diagnosis_role role;
	char party[256];             /* d= of the signer, authserv-id of the verifying hop, domain of the hop
					that modified; "" when no party in the message can be named (null) */
	unsigned instance;           /* ARC instance of that hop; 0 for none (null) */
	char signature[16];          /* "dkim#N" (N from the top), "ams#I", "as#I" */
	int has_between;             /* modifier: the change is bracketed */
	unsigned between_from;       /* the change came after this instance's seal (0 = the origin) */
	unsigned between_to;         /* ... and before this one's; 0 = after the newest (null) */
	enum diagnosis_evidence evidence;
	const char *variant;         /* forensic or interop id, or NULL (static) */
	char rule[120];              /* the RFC section */
	char what[1400];             /* one sentence (or a few) */
};

struct diagnosis {
	int computed;                /* the causes were computed (DIAGNOSE_CAUSES) */
	struct interop interop;      /* the risks of verifying signatures (computed when asked) */
	struct diagnosis_entry *v;   /* most likely first */
	size_t n;
};

/* what is DIAGNOSE_INTEROP and/or DIAGNOSE_CAUSES. f holds the forensics of failing signatures and the
 * probes of verifying ones; claims the diagnosis explains are marked in c. 0, or -1 out of memory. */
int diagnosis_build(struct diagnosis *d, const struct run_result *r, const struct forensics *f, struct claims *c,
		    int what);
const char *diagnosis_role_word(enum diagnosis_role r);          /* "signer", "modifier", "verifier" */
const char *diagnosis_evidence_word(enum diagnosis_evidence e);  /* "proved", "consistent", "unexplained" */
void diagnosis_free(struct diagnosis *d);

#endif
