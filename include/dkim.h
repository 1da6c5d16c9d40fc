/*
 * dkim: one DKIM-Signature (RFC 6376), ARC-Message-Signature or ARC-Seal
 * (RFC 8617 §4.1.2, §4.1.3: the same tag syntax and signing rules) evaluated to
 * a verdict. dkim_parse runs the checks of RFC 6376 §6.1.1 on the field;
 * dkim_prepare registers the body hash and requests the key ahead of need;
 * dkim_evaluate, after the body has streamed, fetches the key (§6.1.2),
 * compares the body hash and verifies the header signature (§6.1.3). A dkim_sig
 * owns its decoded b=/bh=, its header data and its key; tags point into the msg.
 */
#ifndef ARCVERIFY_DKIM_H
#define ARCVERIFY_DKIM_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "hash.h"
#include "keyrec.h"
#include "lookup.h"
#include "msg.h"
#include "sig.h"
#include "tags.h"
#include "verdict.h"

#define DKIM_H_MAX 256     /* h= entries kept */
#define DKIM_SIGS_MAX 64   /* DKIM-Signature fields evaluated per message */

enum dkim_kind { DKIM_KIND_SIGNATURE = 0, DKIM_KIND_AMS, DKIM_KIND_SEAL };

struct dkim_policy {
	time_t now;                /* evaluation time for t=/x= */
	int allow_sha1;            /* RFC 8301 §3.1 refuses rsa-sha1 unless this is set */
	unsigned min_key_bits;     /* RFC 8301 §3.2: 1024 */
	unsigned max_key_bits;     /* larger RSA keys are refused; 0 means KEYREC_MAX_RSA_BITS */
};

struct dkim_sig {
	enum dkim_kind kind;
	size_t field;              /* index of the field in the msg */
	struct tag_list tags;
	struct verdict v;
	int usable;                /* the tags parsed well enough to go on evaluating */
	/* tag values */
	enum sig_alg alg;
	int has_alg;
	enum canon_alg hcanon, bcanon;
	char a[40], c[40], d[256], s[256], identity[512];
	unsigned instance;         /* ARC i= */
	char cv[16];               /* ARC-Seal cv= as written */
	uint64_t l;                /* l= or HASH_NO_LIMIT */
	int has_l, has_t, has_x;
	int has_l_error;           /* l= present but not a number */
	uint64_t t, x;
	struct slice h[DKIM_H_MAX];
	size_t nh;
	struct buf b, bh;          /* decoded */
	char bh_expected[128];     /* bh= as written, FWS removed */
	struct slice b_region;     /* the text §3.7 empties: between "b=" and the next ';' */
	char keyname[KEYANS_NAME_MAX];
	struct body_hash *body;    /* not ours: the registry's shared entry */
	/* outcome */
	int body_ok;               /* 1 match, 0 mismatch, -1 not compared */
	int header_ok;             /* 1 signature verifies, 0 not, -1 not checked */
	int strict_refused;        /* verifies, but libsodium's stricter Ed25519 check refuses it (sig.h) */
	char bh_computed[128];
	long selected[DKIM_H_MAX]; /* field index each h= name selected, -1 for none */
	struct buf hdata;          /* the canonical header data that was hashed */
	struct keyrec key;
	int has_key;
	const struct keyans *answer;   /* not ours: the lookup's cache */
	long record_used;          /* index of the TXT record whose key was used, -1 none */
	int sha1_refused;          /* verified, but rsa-sha1 is not accepted */
};

const char *dkim_kind_name(enum dkim_kind k);  /* "DKIM-Signature", "ARC-Message-Signature", ... */
/* Parse and check the field's tags (§3.5, §6.1.1; RFC 8617 §4.1). Sets a permerror verdict on problems. */
void dkim_parse(struct dkim_sig *s, enum dkim_kind kind, const struct msg *m, size_t field);
/* Register the shared body hash and request the key; no-op for unusable signatures or seals' body. */
void dkim_prepare(struct dkim_sig *s, struct hash_registry *reg, struct lookup *lk);
/* How header data is built; dkim_hdr_default() is RFC 6376 §5.4, the rest reproduce known bugs. */
struct dkim_hdr_opts {
	enum canon_alg canon;
	unsigned quirks;           /* enum canon_header_quirk */
	int top_down;              /* repeated names select fields from the top down */
	int dedupe;                /* each distinct h= name is used once */
	int reuse;                 /* a repeated h= name hashes the same field again */
	int self_crlf;             /* the signature field is followed by CRLF */
	int keep_b;                /* the b= value is not emptied */
};

struct dkim_hdr_opts dkim_hdr_default(const struct dkim_sig *s);
/* Build the §5.4 header hash input for DKIM-Signature/AMS into s->hdata (and s->selected). */
int dkim_header_data(struct dkim_sig *s, const struct msg *m);
/* The same under any options into out; selected (DKIM_H_MAX entries) may be NULL. */
int dkim_header_data_with(const struct dkim_sig *s, const struct msg *m, const struct dkim_hdr_opts *o,
			  struct buf *out, long *selected);
/* Append the signature's own field with b= emptied (§3.7), canonicalized, no CRLF. */
int dkim_append_self(const struct dkim_sig *s, const struct msg *m, enum canon_alg c, struct buf *out);
/* The same with header quirks, or with b= kept (forensics). */
int dkim_append_self_with(const struct dkim_sig *s, const struct msg *m, enum canon_alg c, unsigned quirks,
			  int keep_b, struct buf *out);
/* Digest hdata with the signature's hash and check b= with its key (must have one): 1, 0, or -1. */
int dkim_check_header_data(const struct dkim_sig *s, const struct buf *hdata);
/* After the body: key, body hash, header signature, policy. hdata must be built already. */
void dkim_evaluate(struct dkim_sig *s, struct lookup *lk, const struct dkim_policy *pol);
void dkim_free(struct dkim_sig *s);

#endif
