/*
 * summary: totals over a batch, for people and for scripts: DKIM signatures by
 * RFC 8601 result, ARC chains by result, the most frequent reason codes
 * (verdict.h), and the signing domains and selectors that fail most. The same
 * tallies are built from live results (summary_add_run) and from the JSON Lines
 * records of earlier runs (summary_add_record, for --summarize over shards), so
 * a summary of shards equals the summary of one run over the same messages.
 * The summary owns its tables.
 */
#ifndef ARCVERIFY_SUMMARY_H
#define ARCVERIFY_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "jsonin.h"
#include "run.h"
#include "verdict.h"

#define SUMMARY_TOP_TEXT 10     /* rows per list in the text summary */
#define SUMMARY_TOP_JSON 50     /* rows per list in --summary-json */
#define SUMMARY_SCHEMA 1

struct summary_counter;        /* a string -> count table */

struct summary {
	uint64_t messages;
	uint64_t unreadable;        /* inputs that could not be read */
	uint64_t not_message;       /* inputs that hold no message */
	uint64_t unsigned_messages; /* read, but without any DKIM-Signature */
	uint64_t dkim[VERDICT_PERMERROR + 1];   /* DKIM-Signature fields by result */
	uint64_t arc[VERDICT_PERMERROR + 1];    /* chains by result (none, pass, fail) */
	int worst;                  /* run_severity over the messages: 0, 1 temperror, 2 fail */
	struct summary_counter *codes;      /* "code" of every signature or chain that did not pass */
	struct summary_counter *domains;    /* "kind d=domain" of every signature that did not pass */
	struct summary_counter *selectors;  /* "selector._domainkey.domain" of those */
};

int summary_init(struct summary *s);     /* 0, or -1 when out of memory */
void summary_free(struct summary *s);
/* Fold one message in. An unreadable run counts as unreadable (not_message: no header field). */
int summary_add_run(struct summary *s, const struct run_result *r, int not_message);
/* Fold in one JSON Lines record as --json writes it. 0, or -1 with err when it is not such a record. */
int summary_add_record(struct summary *s, const struct jsonin *rec, char *err, size_t errlen);
/* The summary as text (for a terminal), and as one JSON object (--summary-json); extra, when not NULL,
 * writes more members into the object (the DNS figures of a live run). */
void summary_text(const struct summary *s, struct buf *out);
void summary_json(const struct summary *s, void (*extra)(void *ctx, struct json *j), void *ctx, struct buf *out);

#endif
