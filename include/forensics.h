/*
 * forensics: why a signature fails. When a body hash does not match bh=, the
 * body is streamed once more through a catalogue of known non-conformant
 * canonicalizations (RFC 6376 §3.4 rules broken the ways real implementations
 * broke them) and every variant that reproduces the signer's bh= is named; a
 * prefix search finds a body that was appended to after signing. When b= does
 * not verify with a good key, the header data is rebuilt under known header
 * bugs the same way. The catalogue is ordered most specific first, so when
 * several variants reproduce one hash (they coincide on this message) the
 * first names the likeliest. The same pass can probe signatures that verify:
 * under which variants (a verifier with that bug) they would not (interop.h).
 * Cost stays linear in the body size: one extra pass, a fixed number of
 * hashers. The forensics object owns its reports.
 */
#ifndef ARCVERIFY_FORENSICS_H
#define ARCVERIFY_FORENSICS_H

#include <stdint.h>
#include <stdio.h>

#include "dkim.h"
#include "msg.h"
#include "run.h"

#define FORENSICS_FINDINGS_MAX 24

struct forensic_finding {
	const char *id;          /* stable identifier, e.g. "relaxed-empty-crlf" (static) */
	const char *what;        /* what the signer did differently, for this signature's c= (static) */
	const char *rule;        /* the rule it breaks, e.g. "RFC 6376 §3.4.4 b" (static) */
	const char *seen_in;     /* implementations known to have shipped it, "" if none known (static) */
	int copy_changed;        /* the copy was changed after signing (storage, transport), not by the signer */
	int generic;             /* reproduces many hashes (a swap, a line end added): least telling */
};

struct forensic_report {
	const struct dkim_sig *sig;      /* not ours: the signature examined */
	const char *label;               /* "DKIM", "AMS", "AS" (static) */
	int body_examined;               /* body variants were tried */
	size_t body_tried;
	struct forensic_finding body[FORENSICS_FINDINGS_MAX];   /* most specific first; all give bh= */
	size_t nbody;
	int prefix_searched;             /* the body was searched for a signed prefix */
	int prefix_found;
	uint64_t prefix_bytes;           /* body bytes (after LF conversion) that match bh= */
	uint64_t body_bytes;             /* body bytes present */
	int header_examined;             /* header variants were tried (b= failed with a usable key) */
	size_t header_tried;
	struct forensic_finding header[FORENSICS_FINDINGS_MAX]; /* most specific first */
	size_t nheader;
	char header_notes[600];          /* signed fields that repeat or are absent, when nothing matched */
	int probed;                      /* a verifying signature: probe variants were tried */
	struct forensic_finding breaks[FORENSICS_FINDINGS_MAX];   /* probes that change its hash */
	size_t nbreaks;
};

struct forensics {
	struct forensic_report *reports;
	size_t n;
};

/* What one pass examines. */
struct forensics_opts {
	int failing;                     /* every failing DKIM-Signature, AMS and AS (--explain) */
	const char *const *probe;        /* variant ids (body or header) to try on every verifying signature */
	size_t nprobe;
};

/* Examine r as o says. in must be positioned-readable from offset start (the message is read again
 * for body variants, once for all signatures). 0, or -1 with a reason in err. */
int forensics_examine(struct forensics *f, const struct run_result *r, FILE *in, long start,
		      const struct msg_opts *mo, const struct forensics_opts *o, char *err, size_t errlen);
/* forensics_examine of every failing signature only. */
int forensics_run(struct forensics *f, const struct run_result *r, FILE *in, long start,
		  const struct msg_opts *mo, char *err, size_t errlen);
/* The report for a signature, or NULL. */
const struct forensic_report *forensics_for(const struct forensics *f, const struct dkim_sig *s);
/* The catalogue entry of a variant id (body or header), for this signature's c=; NULL if unknown. */
const struct forensic_finding *forensics_variant(const char *id);
void forensics_free(struct forensics *f);
/* The i-th finding of the catalogue (body variants, then header variants; static), NULL past the
 * last: for documentation checks. */
const struct forensic_finding *forensics_known(size_t i);

#endif
