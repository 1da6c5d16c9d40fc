/*
 * run: one message through the whole pipeline, in three phases so a batch
 * driver can overlap them across messages: run_open reads the header block,
 * parses every signature and requests every key (DNS queries go out now);
 * run_body streams the body once through the shared body hashes; run_evaluate
 * collects the keys and produces the verdicts. A run_result owns everything it
 * holds; run_free releases it.
 */
#ifndef ARCVERIFY_RUN_H
#define ARCVERIFY_RUN_H

#include <stdio.h>

#include "arc.h"
#include "dkim.h"
#include "hash.h"
#include "lookup.h"
#include "msg.h"

#define RUN_ERRORS_MAX 8
#define RUN_ERROR_MAX 256     /* bytes of one error text */

struct run_opts {
	struct dkim_policy policy;
	struct msg_opts msg;
	int do_dkim;              /* evaluate DKIM-Signature fields */
	int do_arc;               /* evaluate the ARC chain */
	unsigned max_signatures;  /* DKIM-Signature fields evaluated; 0 means DKIM_SIGS_MAX */
};

struct run_result {
	const char *file;                 /* not ours: the name to report */
	int input_error;                  /* the input could not be read (exit 66) */
	int not_message;                  /* read, but not a message: no header field parses, or the header
					   * block is over the limits (exit 65); errors[0] says what was found */
	char errors[RUN_ERRORS_MAX][RUN_ERROR_MAX];
	size_t nerrors;
	struct msg msg;
	int msg_open;
	struct dkim_sig *dkim;            /* DKIM-Signature fields, top to bottom */
	size_t ndkim;
	size_t dkim_ignored;              /* DKIM-Signature fields beyond DKIM_SIGS_MAX */
	struct arc_chain arc;
	struct hash_registry reg;
	time_t evaluated_at;              /* the --now used */
};

/* Phase 1: header block, signatures, key requests. 0 (with not_message set when no header field
 * parses: nothing to verify), or -1 when the header block could not be read (input_error) or is over
 * the limits (not_message); the reason is in errors. */
int run_open(struct run_result *r, const char *label, FILE *in, const struct run_opts *o, struct lookup *lk);
/* Request the key of every DKIM-Signature, AMS and AS of an open message, and nothing else: the
 * read-ahead of a batch, which asks for the keys of messages before a worker reaches them. The
 * names asked are appended to names (each followed by a NUL) when names is not NULL. */
void run_request_keys(const struct msg *m, const struct run_opts *o, struct lookup *lk, struct buf *names);
/* Phase 2: the body through every registered body hash. 0 or -1 (read error, recorded). */
int run_body(struct run_result *r);
/* The same, also keeping the (converted) body in copy, up to copy's cap: *full is set when it did
 * not fit (the hashes still see every byte). For --compare, which needs both bodies in memory. */
int run_body_copy(struct run_result *r, struct buf *copy, int *full);
/* Phase 3: keys, hashes and signatures to verdicts. */
void run_evaluate(struct run_result *r, const struct run_opts *o, struct lookup *lk);
void run_free(struct run_result *r);
/* The message was read and evaluated: a verdict means something (not input_error, not not_message). */
int run_evaluated(const struct run_result *r);
/* 0 all pass / nothing found, 1 only temperrors, 2 any fail or permerror (and ARC fail). */
int run_severity(const struct run_result *r);
void run_error(struct run_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
