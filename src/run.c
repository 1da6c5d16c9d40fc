/* run: one message through parse -> body -> evaluate (see include/run.h). */
#include "run.h"

#include <stdarg.h>
#include <stdint.h>
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

/* Heuristics for what an input that holds no header field is instead, to say so in words; they
 * look at the header block and the body bytes read with it (the first chunk). */
static int looks_binary(const struct buf *h)
{
	for (size_t i = 0; i < h->len; i++) {
		unsigned char c = (unsigned char)h->data[i];
		if (c == 0 || (c < 0x20 && c != '\r' && c != '\n' && c != '\t'))
			return 1;
	}
	return 0;
}

/* A line of zone-file text: "name [ttl] [class] TXT \"...\"", or a $ORIGIN / $TTL directive. */
static int looks_like_zone(const struct buf *h)
{
	if (!h->data)
		return 0;
	for (const char *p = h->data, *end = p + h->len; p < end;) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf ? (size_t)(lf - p) : (size_t)(end - p);
		char line[512];
		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
		if (strncmp(line, "$ORIGIN", 7) == 0 || strncmp(line, "$TTL", 4) == 0 ||
		    ((strstr(line, " TXT ") || strstr(line, "\tTXT\t") || strstr(line, " TXT\t") || strstr(line, "\tTXT ")) &&
		     strchr(line, '"')))
			return 1;
		p = lf ? lf + 1 : end;
	}
	return 0;
}

/* RFC 5322 §2.1: a message is header fields, then an empty line and the body. Say what an input
 * in which no field parses is instead; 1 when it is not a message. */
static int not_a_message(const struct msg *m, const char *label, char *why, size_t whylen)
{
	if (msg_count_well_formed(m) > 0)
		return 0;
	uint64_t content = m->raw_bytes - (m->bom_skipped ? 3 : 0);
	if (content == 0)
		snprintf(why, whylen, "the input is empty%s", strcmp(label, "-") == 0 ? " (nothing on standard input)" : "");
	else if (m->has_separator && m->header.len == 0)
		snprintf(why, whylen, "the input starts with a blank line: the whole message was read as body, and "
			 "the header block is empty (RFC 5322 §2.1); remove the blank line");
	else if (looks_binary(&m->header) || looks_binary(&m->pending))
		snprintf(why, whylen, "the input looks like binary data (a NUL or control byte before the first empty "
			 "line), no header field");
	else if (looks_like_zone(&m->header) || looks_like_zone(&m->pending))
		snprintf(why, whylen, "the input looks like a zone file (TXT records), no header field; key files are "
			 "read with --keys");
	else if (m->header.data[0] == ' ' || m->header.data[0] == '\t')
		snprintf(why, whylen, "every line of the header block is indented, so each continues the line before "
			 "it and none starts a header field (RFC 5322 §2.2.3); remove the indentation");
	else
		snprintf(why, whylen, "no header field (no line of the form \"Name: value\" before the first empty "
			 "line, RFC 5322 §2.2)");
	return 1;
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
		r->not_message = r->msg.data_error;
		r->input_error = !r->msg.data_error;
		return -1;
	}
	r->msg_open = 1;
	char why[RUN_ERROR_MAX - 32];
	if (not_a_message(&r->msg, label, why, sizeof why)) {
		/* nothing to verify; the (empty) pipeline still runs, and reports show no verdict */
		run_error(r, "not a message: %s", why);
		r->not_message = 1;
	}
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

static void request_key_of(const struct msg *m, size_t field, enum dkim_kind kind, struct lookup *lk,
			   struct buf *names)
{
	struct dkim_sig *s = malloc(sizeof *s);
	if (!s)
		return;
	dkim_parse(s, kind, m, field);   /* the same key name the evaluation will ask for */
	if (s->usable) {
		lookup_request(lk, s->keyname);
		if (names)
			buf_append(names, s->keyname, strlen(s->keyname) + 1);
	}
	dkim_free(s);
	free(s);
}

void run_request_keys(const struct msg *m, const struct run_opts *o, struct lookup *lk, struct buf *names)
{
	static const struct { const char *name; enum dkim_kind kind; int arc; } kinds[] = {
		{ "DKIM-Signature", DKIM_KIND_SIGNATURE, 0 },
		{ "ARC-Message-Signature", DKIM_KIND_AMS, 1 },
		{ "ARC-Seal", DKIM_KIND_SEAL, 1 },
	};
	size_t asked = 0;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (kinds[k].arc ? !o->do_arc : !o->do_dkim)
			continue;
		for (long i = msg_find_field(m, kinds[k].name, 0); i >= 0 && asked < DKIM_SIGS_MAX + 2 * ARC_MAX_INSTANCES;
		     i = msg_find_field(m, kinds[k].name, (size_t)i + 1), asked++)
			request_key_of(m, (size_t)i, kinds[k].kind, lk, names);
	}
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

int run_evaluated(const struct run_result *r)
{
	return r->msg_open && !r->input_error && !r->not_message;
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
