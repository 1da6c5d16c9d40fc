/*
 * report: a run_result rendered for people and for scripts: a text block per
 * message (one line per DKIM signature, a hop table for ARC; -v adds what was
 * hashed and which key was used), JSON Lines with a stable schema
 * (man/arcverify-json.5; tests/check_report.c holds the page to every key and
 * code emitted), or an RFC 8601 Authentication-Results field (§2.2 pvalues,
 * 7-bit). Text from messages goes through buf_append_printable. Output goes to
 * a buf, so callers decide where it is written and nothing here touches stdout.
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
	int compact;            /* text: one line per message (batch mode without -v) */
	const char *authserv_id; /* --authserv-id: A-R authserv-id (a token; not ours), NULL for REPORT_AUTHSERV_ID */
	int interop;            /* show the interop risks of verifying signatures in text output (--interop) */
};

#define REPORT_AUTHSERV_ID "arcverify"

/* Everything known about one message: the run and the evidence gathered on it. */
struct report_input {
	const struct run_result *run;
	const struct forensics *forensics;   /* may be NULL (not examined) */
	const struct claims *claims;         /* may be NULL */
	const struct lint *lint;             /* may be NULL */
	const struct diagnosis *diagnosis;   /* may be NULL (not computed) */
};

void report_message(struct buf *out, const struct report_input *in, const struct report_opts *o);
/* The overall word of a message for one-line output: pass, fail, temperror, none, or error (unreadable). */
const char *report_overall_word(const struct run_result *r);
/* The JSON "lookup" word of a key lookup state: "ok", "nxdomain", "nodata", ... (static). */
const char *report_json_lookup_word(enum keyans_status st);
/* An RFC 2045 token (RFC 8601 §2.2 value, the form accepted for --authserv-id): 1 or 0. */
int report_ar_is_token(const char *s);
/* JSON schema version written as "schema" in every object (arcverify-json(5)); it changes when a
 * field changes meaning or a documented value or key goes away. 2: "input", "bom_skipped", token
 * "lookup" states, reason codes; unreadable inputs have every key. */
#define REPORT_JSON_SCHEMA 2

#endif
