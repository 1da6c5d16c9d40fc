/* run: one message through parse -> body -> evaluate (see include/run.h). */
#include "run.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void run_error(struct run_result *r, const char *fmt, ...)
{
	if (r->nerrors == RUN_ERRORS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->errors[r->nerrors++], sizeof r->errors[0], fmt, ap);
	va_end(ap);
}

/* Every DKIM-Signature field, top to bottom, up to max (--max-signatures). */
static int collect_dkim(struct run_result *r, size_t max)
{
	size_t count = 0;
	for (long i = msg_find_field(&r->msg, "DKIM-Signature", 0); i >= 0;
	     i = msg_find_field(&r->msg, "DKIM-Signature", (size_t)i + 1))
		count++;
	if (count > max) {
		r->dkim_ignored = count - max;
		run_error(r, "%zu DKIM-Signature fields; only the first %zu are evaluated (--max-signatures)", count, max);
		count = max;
	}
	if (count == 0)
		return 0;
	r->dkim = calloc(count, sizeof *r->dkim);
	if (!r->dkim)
		return -1;
	for (long i = msg_find_field(&r->msg, "DKIM-Signature", 0); i >= 0 && r->ndkim < count;
	     i = msg_find_field(&r->msg, "DKIM-Signature", (size_t)i + 1))
		dkim_parse(&r->dkim[r->ndkim++], DKIM_KIND_SIGNATURE, &r->msg, (size_t)i);
	return 0;
}

int run_open(struct run_result *r, const char *label, FILE *in, const struct run_opts *o, struct lookup *lk)
{
	memset(r, 0, sizeof *r);
	r->file = label;
	r->evaluated_at = o->policy.now;
	hash_registry_init(&r->reg);
	arc_init(&r->arc);
	char err[200];
	if (msg_open(&r->msg, in, &o->msg, err, sizeof err) < 0) {
		run_error(r, "%s", err);
		r->input_error = 1;
		return -1;
	}
	r->msg_open = 1;
	if (o->do_dkim) {
		if (collect_dkim(r, o->max_signatures ? o->max_signatures : DKIM_SIGS_MAX) < 0) {
			run_error(r, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < r->ndkim; i++)
			dkim_prepare(&r->dkim[i], &r->reg, lk);
	}
	if (o->do_arc) {
		arc_collect(&r->arc, &r->msg);
		arc_prepare(&r->arc, &r->reg, lk);
	}
	return 0;
}

int run_body(struct run_result *r)
{
	return run_body_copy(r, NULL, NULL);
}

int run_body_copy(struct run_result *r, struct buf *copy, int *full)
{
	if (!r->msg_open)
		return -1;
	char *chunk = malloc(MSG_CHUNK);
	if (!chunk) {
		run_error(r, "out of memory");
		return -1;
	}
	long got;
	while ((got = msg_read_body(&r->msg, chunk, MSG_CHUNK)) > 0) {
		hash_registry_feed(&r->reg, chunk, (size_t)got);
		if (copy && !*full && buf_append(copy, chunk, (size_t)got) < 0)
			*full = 1;
	}
	free(chunk);
	hash_registry_finish(&r->reg);
	if (got < 0) {
		run_error(r, "read error in the message body");
		r->input_error = 1;
		return -1;
	}
	return 0;
}

void run_evaluate(struct run_result *r, const struct run_opts *o, struct lookup *lk)
{
	if (!r->msg_open)
		return;
	for (size_t i = 0; i < r->ndkim; i++) {
		struct dkim_sig *s = &r->dkim[i];
		if (s->usable && dkim_header_data(s, &r->msg) == 0)
			dkim_evaluate(s, lk, &o->policy);
	}
	if (o->do_arc)
		arc_evaluate(&r->arc, &r->msg, lk, &o->policy);
}

int run_severity(const struct run_result *r)
{
	int worst = 0;
	for (size_t i = 0; i < r->ndkim; i++) {
		int sev = verdict_severity(r->dkim[i].v.result);
		worst = sev > worst ? sev : worst;
	}
	if (r->arc.result == VERDICT_FAIL) {
		int sev = r->arc.temporary ? 1 : 2;
		worst = sev > worst ? sev : worst;
	}
	return worst;
}

void run_free(struct run_result *r)
{
	for (size_t i = 0; i < r->ndkim; i++)
		dkim_free(&r->dkim[i]);
	free(r->dkim);
	r->dkim = NULL;
	r->ndkim = 0;
	arc_free(&r->arc);
	hash_registry_free(&r->reg);
	if (r->msg_open)
		msg_close(&r->msg);
	r->msg_open = 0;
}
