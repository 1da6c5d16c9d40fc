/*
 * claims: what the receiving hops recorded, next to what arcverify computes.
 * Every ARC-Authentication-Results (RFC 8617 §4.1.1) and Authentication-Results
 * (RFC 8601) field is read tolerantly (authres.h, plus the receivers' own
 * words: Gmail's "dkim=neutral (body hash did not verify)" is a fail, Yahoo's
 * "dkim_pass" a pass, "header.s=@sel" a selector); its arc= and dkim= results
 * are matched to the chain prefix that hop saw (arc.h) and to the DKIM
 * signature they describe. A claim agrees, disagrees, could not be checked
 * (our own result is a temperror), is not compared (the method was not
 * evaluated, or no signature matches), or is explained by the diagnosis
 * (claims_explain). Claims are evidence only: they never change a verdict
 * (RFC 8617 §5.2 does not use the AAR payload). The claims own their strings.
 */
#ifndef ARCVERIFY_CLAIMS_H
#define ARCVERIFY_CLAIMS_H

#include <stddef.h>

#include "run.h"

enum claim_state {
	CLAIM_AGREES = 0,
	CLAIM_DISAGREES,        /* the result words differ and nothing explains why */
	CLAIM_EXPLAINED,        /* they differ, and the diagnosis says why (note) */
	CLAIM_UNCHECKED,        /* our own result is a temperror: could not check */
	CLAIM_NOT_COMPARED,     /* the method was not evaluated, or nothing in the message matches */
};

struct claim {
	int from_aar;          /* 1: an ARC-Authentication-Results, 0: an Authentication-Results */
	unsigned instance;     /* AAR instance, or 0 */
	unsigned sets_before;  /* ARC sets present when the hop wrote it: the chain prefix it judged */
	char authserv_id[128];
	char method[16];       /* "arc" or "dkim" */
	char subject[160];     /* what it is about: "chain i=1..2", "d=example.com s=sel b=AbCdEfGh" */
	char said[96];         /* the hop's result, with its comment: "fail (47)" */
	char said_word[16];    /* its result as an RFC 8601 word: "neutral (body hash did not verify)" -> "fail" */
	char ours[96];         /* arcverify's result for the same thing, or "" if nothing matches */
	const struct dkim_sig *sig;   /* not ours: the DKIM-Signature a dkim= claim describes, or NULL */
	enum claim_state state;
	int agree;             /* state is not CLAIM_DISAGREES */
	char note[400];        /* why they may differ, or what explains it */
};

struct claims {
	struct claim *v;
	size_t n;
};

/* Build every claim for the message of r, evaluated with o (methods o did not evaluate are not
 * compared). 0, or -1 when out of memory. */
int claims_build(struct claims *c, const struct run_result *r, const struct run_opts *o);
/* Mark claim i as explained by the diagnosis, with the reason. */
void claims_explain(struct claims *c, size_t i, const char *why);
const char *claims_state_word(enum claim_state s);   /* "agrees", "disagrees", "explained", ... */
size_t claims_disagreements(const struct claims *c);  /* unexplained disagreements */
void claims_free(struct claims *c);

#endif
