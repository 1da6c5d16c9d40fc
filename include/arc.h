/*
 * arc: ARC chain validation (RFC 8617). Collects the ARC sets by instance,
 * checks their structure (§4.1, §4.2.1, §5.1.1), verifies every AMS with the
 * DKIM core (§4.1.2: DKIM-Signature semantics with i= as instance) and every
 * ARC-Seal over the sets 1..i (§4.1.3, §5.1.1), and decides the chain as §5.2
 * describes, computing oldest-pass. The chain owns its sets and signatures.
 */
#ifndef ARCVERIFY_ARC_H
#define ARCVERIFY_ARC_H

#include "authres.h"
#include "dkim.h"
#include "hash.h"
#include "lookup.h"
#include "msg.h"
#include "verdict.h"

#define ARC_MAX_INSTANCES 50   /* RFC 8617 §4.2.1 */

struct arc_set {
	unsigned instance;
	long aar_field, ams_field, as_field;   /* field index, -1 when missing */
	unsigned aar_count, ams_count, as_count;
	struct authres aar;                     /* what this hop recorded */
	struct dkim_sig ams, as;
	int has_ams, has_as;                    /* parsed */
};

struct arc_chain {
	enum verdict_result result;   /* NONE, PASS or FAIL */
	enum verdict_code code;       /* VC_ARC_*: which step of §5.2 decided */
	enum verdict_code cause;      /* for a failing AMS or AS: that signature's code, else VC_NONE */
	char reason[VERDICT_REASON_MAX];
	int temporary;                /* the failure comes from a temperror (DNS) */
	int structure_ok;
	unsigned n;                   /* highest instance present (bounded by ARC_MAX_INSTANCES) */
	struct arc_set *sets;         /* sets[0..n-1] hold instances 1..n */
	int oldest_pass;              /* §5.2; -1 when not determined (chain not passing) */
	size_t arc_fields;            /* ARC header fields seen */
};

void arc_init(struct arc_chain *c);
/* Step 1-2: collect sets and check structure; parses the AMS/AS tag lists. */
void arc_collect(struct arc_chain *c, const struct msg *m);
/* Register AMS body hashes and request every key, before the body streams. */
void arc_prepare(struct arc_chain *c, struct hash_registry *reg, struct lookup *lk);
/* Steps 2.1-6 after the body: verify every AMS and AS, decide the chain, compute oldest-pass. */
void arc_evaluate(struct arc_chain *c, const struct msg *m, struct lookup *lk, const struct dkim_policy *pol);
/* Build an ARC-Seal's header data (§5.1.1): sets 1..i as AAR, AMS, AS, the seal itself last. */
int arc_seal_data(const struct arc_chain *c, const struct msg *m, unsigned instance, struct buf *out);
/* The same with known sealing bugs reproduced, for forensics: sets fed newest first, header quirks
 * (enum canon_header_quirk) on the seal itself, its b= kept. */
int arc_seal_data_with(const struct arc_chain *c, const struct msg *m, unsigned instance, int descending,
		       unsigned quirks, int keep_b, struct buf *out);
/* RFC 8617 §5.1.2: the first instance the seal of instance i covers (i when it says cv=fail, else 1). */
unsigned arc_seal_first(const struct arc_chain *c, unsigned instance);
/* RFC 8617 §5.2 applied to the sets 1..k only: the chain as the hop that added set k+1 found it.
 * VERDICT_NONE for k == 0, PASS, FAIL, or TEMPERROR when only a DNS temperror kept it from passing. */
enum verdict_result arc_prefix_result(const struct arc_chain *c, unsigned k);
void arc_free(struct arc_chain *c);

#endif
