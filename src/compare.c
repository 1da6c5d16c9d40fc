/*
 * compare: two copies of one message, as sent and as received (include/compare.h).
 * Each copy is one engine run (the same open/parse/body/evaluate as any input),
 * keeping its body and two extra body hashes; the analysis and the output are
 * the modules below (sigmatch, cmpout).
 */
#include "compare.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmpout.h"
#include "engine.h"
#include "sigmatch.h"

/* Defaults of a normal run when the caller gives no policy: RFC 8301 minimums, both DKIM and ARC. */
static struct run_opts default_run_opts(void)
{
	struct run_opts ro;
	memset(&ro, 0, sizeof ro);
	ro.policy.now = time(NULL);
	ro.policy.min_key_bits = 1024;
	ro.do_dkim = ro.do_arc = 1;
	return ro;
}

/* Before the body streams: the simple and relaxed SHA-256 body hashes (RFC 6376 §3.4.3, §3.4.4) beside
 * the signatures' own, so they share the one pass with any signature that uses them. */
static int add_canonical_hashes(void *ctx, struct engine_result *res)
{
	(void)ctx;
	hash_body_get(&res->run.reg, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	hash_body_get(&res->run.reg, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0);
	return 0;
}

static const struct body_hash *find_hash(const struct hash_registry *r, enum canon_alg c)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct body_hash *bh = r->items[i];
		if (bh->canon == c && bh->alg == HASH_SHA256 && bh->limit == HASH_NO_LIMIT && !bh->quirks)
			return bh->finished && !bh->failed ? bh : NULL;
	}
	return NULL;
}

struct copy {
	const char *role, *path;
	size_t item;                   /* index in the input list */
	struct engine_result res;
	int ran;
};

static int copy_error(const struct copy *c, int status, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s (the %s copy): %s", c->path, c->role, why);
	return status;
}

/* One name must give one message: a file, or "-" (never a Maildir or an mbox of several). */
static int add_copy(struct input_list *l, struct copy *c, const struct input_opts *io, char *err, size_t errlen)
{
	size_t before = l->n;
	if (input_add(l, c->path, INPUT_MBOX_AUTO, io) < 0)
		return copy_error(c, COMPARE_UNREADABLE, "out of memory", err, errlen);
	c->item = before;
	if (l->n != before + 1) {
		char why[160];
		snprintf(why, sizeof why, "holds %zu messages; --compare takes one message per copy", l->n - before);
		return copy_error(c, COMPARE_NOT_MESSAGE, why, err, errlen);
	}
	return 0;
}

/* Why a copy cannot be compared: unreadable (66), or read but not a message or past a limit (65). */
static int copy_problem(const struct copy *c, char *err, size_t errlen)
{
	const struct run_result *r = &c->res.run;
	const char *why = r->nerrors ? r->errors[0] : "unreadable";
	if (!c->res.in)
		return copy_error(c, c->res.item->not_message ? COMPARE_NOT_MESSAGE : COMPARE_UNREADABLE, why, err, errlen);
	if (!r->msg_open)
		return copy_error(c, strcmp(why, "read error") == 0 ? COMPARE_UNREADABLE : COMPARE_NOT_MESSAGE, why, err,
				  errlen);
	if (r->msg.nfields == 0)
		return copy_error(c, COMPARE_NOT_MESSAGE, "not a message: no header field", err, errlen);
	if (r->input_error)
		return copy_error(c, COMPARE_UNREADABLE, r->nerrors ? r->errors[r->nerrors - 1] : why, err, errlen);
	if (c->res.body_full) {
		char big[128];
		snprintf(big, sizeof big, "body larger than %zu MiB (--compare holds both bodies in memory)",
			 COMPARE_BODY_MAX >> 20);
		return copy_error(c, COMPARE_NOT_MESSAGE, big, err, errlen);
	}
	return 0;
}

static void fill_side(struct sigmatch_copy *side, const struct copy *c)
{
	memset(side, 0, sizeof *side);
	side->role = c->role;
	side->path = c->path;
	side->run = &c->res.run;
	side->body = &c->res.body;
	const struct body_hash *simple = find_hash(&c->res.run.reg, CANON_SIMPLE);
	const struct body_hash *relaxed = find_hash(&c->res.run.reg, CANON_RELAXED);
	side->digests_ok = simple && relaxed;
	if (side->digests_ok) {
		memcpy(side->simple_digest, simple->digest, sizeof side->simple_digest);
		memcpy(side->relaxed_digest, relaxed->digest, sizeof side->relaxed_digest);
	}
}

/* Both copies through the engine, then the analysis and the report. */
static int compare_copies(struct copy *c, const struct input_list *l, const struct engine_opts *eo,
			  struct lookup *lk, const struct compare_opts *o, struct buf *out, char *err, size_t errlen)
{
	for (int k = 0; k < 2; k++) {
		engine_message(l, &l->items[c[k].item], (size_t)k + 1, eo, lk, &c[k].res);
		c[k].ran = 1;
		if (!c[k].res.body.data)
			buf_append(&c[k].res.body, "", 0);
	}
	int rc = copy_problem(&c[0], err, errlen);
	if (rc == 0)
		rc = copy_problem(&c[1], err, errlen);
	if (rc != 0)
		return rc;
	struct sigmatch cx;
	memset(&cx, 0, sizeof cx);
	fill_side(&cx.sent, &c[0]);
	fill_side(&cx.recv, &c[1]);
	if (sigmatch_build(&cx) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = COMPARE_NOT_MESSAGE;
	} else {
		if (o->json)
			cmpout_json(out, &cx);
		else
			cmpout_text(out, &cx, o->verbose);
		rc = sigmatch_signed_content_changed(&cx) ? COMPARE_CHANGED : COMPARE_SAME;
	}
	sigmatch_free(&cx);
	return rc;
}

int compare_run(const char *sent, const char *received, const struct compare_opts *o, struct lookup *lk,
		struct buf *out, char *err, size_t errlen)
{
	if (!sent || !received || !o || !lk || !out) {
		snprintf(err, errlen, "compare: missing argument");
		return COMPARE_USAGE;
	}
	if (strcmp(sent, "-") == 0 && strcmp(received, "-") == 0) {
		snprintf(err, errlen, "only one of the two copies can be read from standard input");
		return COMPARE_USAGE;
	}
	struct run_opts defaults = default_run_opts();
	struct input_opts no_input = { 0 };
	struct engine_opts eo = { .run = o->run ? *o->run : defaults, .input = o->input ? *o->input : no_input,
				  .keep_body = 1, .body_max = COMPARE_BODY_MAX, .on_open = add_canonical_hashes };
	struct copy c[2] = { { .role = "sent", .path = sent }, { .role = "received", .path = received } };
	struct input_list l;
	input_list_init(&l);
	int rc = add_copy(&l, &c[0], &eo.input, err, errlen);
	if (rc == 0)
		rc = add_copy(&l, &c[1], &eo.input, err, errlen);
	if (rc == 0)
		rc = compare_copies(c, &l, &eo, lk, o, out, err, errlen);
	for (int k = 0; k < 2; k++)
		if (c[k].ran)
			engine_result_free(&c[k].res);
	input_list_free(&l);
	return rc;
}
