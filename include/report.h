/*
 * report: a run_result rendered for people and for scripts: a text block per
 * message (one line per DKIM signature, a hop table for ARC; -v adds what was
 * hashed and which key was used), JSON Lines with a stable schema, or an
 * RFC 8601 Authentication-Results field. Output goes to a buf, so callers
 * decide where it is written and nothing here touches stdout directly.
 */
#ifndef ARCVERIFY_REPORT_H
#define ARCVERIFY_REPORT_H

#include "buf.h"
#include "claims.h"
#include "diagnosis.h"
#include "forensics.h"
#include "lint.h"
#include "run.h"

enum report_format { REPORT_TEXT = 0, REPORT_JSON, REPORT_AR };

struct report_opts {
	enum report_format format;
	int verbose;
	int color;              /* ANSI colours in text output */
	int show_dkim, show_arc;
	int multiple;           /* several inputs: label AR output with the file name */
	int explain;            /* show forensic findings in text output */
	int redact;             /* JSON without message text: no file path, AAR values or i= */
	int interop;            /* show the interop risks of verifying signatures in text output (--interop) */
};

/* Everything known about one message: the run and the evidence gathered on it. */
struct report_input {
	const struct run_result *run;
	const struct forensics *forensics;   /* may be NULL (not examined) */
	const struct claims *claims;         /* may be NULL */
	const struct lint *lint;             /* may be NULL */
	const struct diagnosis *diagnosis;   /* may be NULL (not computed) */
};

void report_message(struct buf *out, const struct report_input *in, const struct report_opts *o);
/* JSON schema version written as "schema" in every object. */
#define REPORT_JSON_SCHEMA 1

#endif
