/*
 * sigmatch: the signatures of two copies of one message, matched and
 * explained. Every DKIM-Signature, AMS and AS present in either copy is
 * matched to its partner by its b= value (RFC 6376 §3.5: FWS inside it is not
 * part of the value) and gets an outcome (unchanged, broken, repaired,
 * different, added, removed) and an explanation: which difference between the
 * copies (hdrdiff.h, bodydiff.h), told through change.h, accounts for a
 * failure. It also says whether the content the sent copy's signatures cover
 * changed at all (the --compare exit status). The comparison state lives
 * here; the copies' runs and bodies are not ours, the tables are.
 */
#ifndef ARCVERIFY_SIGMATCH_H
#define ARCVERIFY_SIGMATCH_H

#include <stddef.h>

#include "bodydiff.h"
#include "hash.h"
#include "hdrdiff.h"
#include "run.h"

enum sigmatch_outcome { SIGMATCH_UNCHANGED = 0, SIGMATCH_BROKEN, SIGMATCH_REPAIRED, SIGMATCH_DIFFERENT,
			SIGMATCH_ADDED, SIGMATCH_REMOVED };

/* One copy. */
struct sigmatch_copy {
	const char *role;                      /* "sent" or "received" */
	const char *path;                      /* as given */
	const struct run_result *run;          /* not ours */
	const struct buf *body;                /* not ours: the body after LF conversion */
	unsigned char simple_digest[HASH_MAX_DIGEST], relaxed_digest[HASH_MAX_DIGEST];
	int digests_ok;                        /* the SHA-256 canonical body digests were computed */
};

/* One signature in one copy. */
struct sigmatch_ref {
	enum dkim_kind kind;
	const struct dkim_sig *sig;    /* not ours: the run's */
	unsigned number;               /* ARC i=, or the DKIM-Signature's position (1 = topmost) */
	char *key;                     /* b= without FWS, or the relaxed field when it has no b= */
	size_t keylen;
	int matched;
};

struct sigmatch_refs {
	struct sigmatch_ref *items;
	size_t n;
};

/* A signature across both copies. */
struct sigmatch_entry {
	enum dkim_kind kind;
	unsigned instance;
	const struct sigmatch_ref *sent, *recv;   /* NULL when absent from that copy */
	enum sigmatch_outcome outcome;
	int explained;
	struct buf explanation;
};

/* The whole comparison: what the output writes. */
struct sigmatch {
	struct sigmatch_copy sent, recv;
	struct header_diff hd;
	struct body_diff bd;
	struct sigmatch_refs sent_sigs, recv_sigs;
	struct sigmatch_entry *items;             /* DKIM first, then ARC newest first, AS before AMS */
	size_t n;
};

/* Align the headers, classify the body, match and explain every signature. 0, or -1 when out of memory. */
int sigmatch_build(struct sigmatch *cx);
/* The content a signature of the sent copy covers differs in the received copy (or, with no signature
 * in the sent copy, any sent field or body byte does). */
int sigmatch_signed_content_changed(const struct sigmatch *cx);
size_t sigmatch_count(const struct sigmatch *cx, enum sigmatch_outcome o);
size_t sigmatch_unexplained(const struct sigmatch *cx);    /* broken or different, not explained */
int sigmatch_identical(const struct sigmatch *cx);          /* no header field and no body byte differs */
const char *sigmatch_outcome_name(enum sigmatch_outcome o);
const struct dkim_sig *sigmatch_any_sig(const struct sigmatch_entry *e);   /* the received one if present */
void sigmatch_free(struct sigmatch *cx);

#endif
