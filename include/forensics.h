/*
 * forensics: why a signature fails. When a body hash does not match bh=, the
 * body is streamed once more through a catalogue of known non-conformant
 * canonicalizations (RFC 6376 §3.4 rules broken the ways real implementations
 * broke them) and every variant that reproduces the signer's bh= is named; a
 * prefix search finds a body that was appended to after signing. When b= does
 * not verify with a good key, the header data is rebuilt under known header
 * bugs the same way. Cost stays linear in the body size: one extra pass, a
 * fixed number of hashers. The forensics object owns its reports.
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
	const char *what;        /* what the signer did differently (static) */
	const char *rule;        /* the rule it breaks, e.g. "RFC 6376 §3.4.4 b" (static) */
	const char *seen_in;     /* implementations known to have shipped it, "" if none known (static) */
};

struct forensic_report {
	const struct dkim_sig *sig;      /* not ours: the signature examined */
	const char *label;               /* "DKIM #1", "AMS i=2", "AS i=3" (static or run-owned) */
	int body_examined;               /* body variants were tried */
	size_t body_tried;
	struct forensic_finding body[FORENSICS_FINDINGS_MAX];
	size_t nbody;
	int prefix_searched;             /* the body was searched for a signed prefix */
	int prefix_found;
	uint64_t prefix_bytes;           /* body bytes (after LF conversion) that match bh= */
	uint64_t body_bytes;             /* body bytes present */
	int header_examined;             /* header variants were tried (b= failed with a usable key) */
	size_t header_tried;
	struct forensic_finding header[FORENSICS_FINDINGS_MAX];
	size_t nheader;
	char header_notes[600];          /* signed fields that repeat or are absent, when nothing matched */
};

struct forensics {
	struct forensic_report *reports;
	size_t n;
};

/* Examine every failing DKIM-Signature, AMS and AS of r. in must be positioned-readable from
 * offset start (the message is read again for body variants). 0, or -1 with a reason in err. */
int forensics_run(struct forensics *f, const struct run_result *r, FILE *in, long start,
		  const struct msg_opts *mo, char *err, size_t errlen);
/* The report for a signature, or NULL. */
const struct forensic_report *forensics_for(const struct forensics *f, const struct dkim_sig *s);
void forensics_free(struct forensics *f);
/* The i-th finding of the catalogue (body variants, then header variants; static), NULL past the
 * last: for documentation checks. */
const struct forensic_finding *forensics_known(size_t i);

#endif
