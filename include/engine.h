/*
 * engine: the one per-message driver. engine_message opens an input item
 * (file, spool, mbox slice), runs it through parse -> body -> evaluate
 * (run.h) and gathers the evidence (forensics, hop claims, lint) into an
 * engine_result; engine_run does that for a whole input list with worker
 * threads and hands every result to a callback in input order, so output is
 * the same whatever -j says. Every caller that verifies a message (text, JSON
 * and A-R output, --compare, bundles, the test fixture harness) goes through
 * here. A result owns everything it holds until engine_result_free.
 */
#ifndef ARCVERIFY_ENGINE_H
#define ARCVERIFY_ENGINE_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "claims.h"
#include "diagnosis.h"
#include "forensics.h"
#include "input.h"
#include "lint.h"
#include "lookup.h"
#include "run.h"

#define ENGINE_JOBS_MAX 256
#define ENGINE_READ_AHEAD 1024   /* messages whose keys are requested ahead of the oldest one not delivered */
#define ENGINE_WINDOW_ASYNC 256  /* finished results held, with slow keys, while an older message waits */
#define ENGINE_WINDOW_COMPACT 4096 /* the same when results are compacted (a few KB each) */
#define ENGINE_WAIT_ANY_MS 100   /* how long an idle worker waits for some key before taking the oldest */

struct engine_result;

/* Called after the header block is parsed and the keys are requested, before the body streams
 * (register extra body hashes, start a --dump-canon capture). Return 0 to go on. */
typedef int (*engine_open_fn)(void *ctx, struct engine_result *res);
/* Called after the evidence is gathered, in the worker that did the work (render output there). */
typedef void (*engine_done_fn)(void *ctx, struct engine_result *res);
/* Called in input order, one result at a time, by the worker (the caller of engine_run is one) that
 * finished the oldest result not yet delivered. Nonzero stops the run. */
typedef int (*engine_deliver_fn)(void *ctx, struct engine_result *res);

struct engine_opts {
	struct run_opts run;
	struct input_opts input;
	int forensics;            /* examine every failing DKIM-Signature, AMS and AS (--explain, -v, bundles) */
	int diagnose;             /* DIAGNOSE_INTEROP and/or DIAGNOSE_CAUSES (diagnosis.h); 0: none */
	int keep_body;            /* keep the (converted) body in res->body, up to body_max bytes */
	size_t body_max;
	int compact;              /* after on_done, free all but out and the hook fields (so that many
	                           * finished results can wait for an older one at little cost) */
	engine_open_fn on_open;   /* may be NULL */
	engine_done_fn on_done;   /* may be NULL */
	void *ctx;                /* not ours: passed to the hooks */
};

struct engine_result {
	const struct input_item *item;    /* not ours */
	size_t seq;                       /* position in the input list, from 1 */
	struct run_result run;            /* run.file is item->name; input_error set when unreadable */
	struct forensics forensics;       /* empty unless opts.forensics and something failed */
	struct claims claims;
	struct lint lint;
	struct diagnosis diagnosis;       /* computed when opts.diagnose asks (diagnosis.computed, interop.computed) */
	FILE *in;                         /* the open input, readable again from offset start (bundles) */
	long start;
	struct buf body;                  /* keep_body: the converted body */
	int body_full;                    /* keep_body: the body was larger than body_max */
	struct buf out;                   /* free for the hooks: rendered output, say */
	int hook_status;                  /* free for the hooks: their own outcome */
	char hook_error[400];             /* free for the hooks: a problem of the tool, not of the message */
	void *hook_data;                  /* free for the hooks: per-message state, malloc'd; what is left
	                                   * here is freed (free()) with the result */
};

/* Run one item; res must be freed with engine_result_free whatever happened. */
void engine_message(const struct input_list *l, const struct input_item *it, size_t seq,
		    const struct engine_opts *o, struct lookup *lk, struct engine_result *res);
void engine_result_free(struct engine_result *res);
/* Free everything but item, seq, out and the hook fields (engine_result_free still applies). */
void engine_result_compact(struct engine_result *res);
/* Every item of l with jobs worker threads, the caller's among them (1 = no threads besides the
 * caller's, but for the key read-ahead); deliver is called in input order. Returns 0, or the
 * nonzero value deliver returned to stop early. */
int engine_run(const struct input_list *l, const struct engine_opts *o, struct lookup *lk, unsigned jobs,
	       engine_deliver_fn deliver, void *ctx);

#endif
