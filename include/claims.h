/*
 * claims: what the receiving hops recorded, next to what arcverify computes.
 * Every ARC-Authentication-Results (RFC 8617 §4.1.1) and Authentication-Results
 * (RFC 8601) field is read tolerantly (authres.h); its arc= and dkim= results
 * are matched to the chain prefix and to the DKIM signature they describe, and
 * disagreements are flagged. Claims are evidence only: they never change a
 * verdict (RFC 8617 §5.2 does not use the AAR payload). The claims own their
 * strings.
 */
#ifndef ARCVERIFY_CLAIMS_H
#define ARCVERIFY_CLAIMS_H

#include <stddef.h>

#include "run.h"

struct claim {
	int from_aar;          /* 1: an ARC-Authentication-Results, 0: an Authentication-Results */
	unsigned instance;     /* AAR instance, or 0 */
	char authserv_id[128];
	char method[16];       /* "arc" or "dkim" */
	char subject[160];     /* what it is about: "chain i=1..2", "d=example.com s=sel b=AbCdEfGh" */
	char said[96];         /* the hop's result, with its comment: "fail (47)" */
	char ours[96];         /* arcverify's result for the same thing, or "" if nothing matches */
	int agree;             /* the result words agree */
	char note[240];        /* why they may differ */
};

struct claims {
	struct claim *v;
	size_t n;
};

/* Build every claim for the message of r. 0, or -1 when out of memory. */
int claims_build(struct claims *c, const struct run_result *r);
size_t claims_disagreements(const struct claims *c);
void claims_free(struct claims *c);

#endif
