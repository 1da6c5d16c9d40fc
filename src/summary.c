/* summary: batch totals from live runs or JSON Lines records (see include/summary.h). */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

/* ---- string -> count ---- */

#define COUNTER_BUCKETS 4096

struct counter_entry {
	char *key;
	uint64_t n;
	struct counter_entry *next;
};

struct summary_counter {
	struct counter_entry *buckets[COUNTER_BUCKETS];
	size_t n;
};

static unsigned key_bucket(const char *k)
{
	unsigned h = 2166136261u;   /* FNV-1a */
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h % COUNTER_BUCKETS;
}

static int counter_add(struct summary_counter *c, const char *key)
{
	unsigned b = key_bucket(key);
	for (struct counter_entry *e = c->buckets[b]; e; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			e->n++;
			return 0;
		}
	}
	struct counter_entry *e = malloc(sizeof *e);
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return -1;
	}
	e->n = 1;
	e->next = c->buckets[b];
	c->buckets[b] = e;
	c->n++;
	return 0;
}

static void counter_free(struct summary_counter *c)
{
	if (!c)
		return;
	for (size_t b = 0; b < COUNTER_BUCKETS; b++) {
		for (struct counter_entry *e = c->buckets[b], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(c);
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct counter_entry *a = *(const struct counter_entry *const *)pa;
	const struct counter_entry *b = *(const struct counter_entry *const *)pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Entries by count, most first, ties by key: the same order on every machine. Caller frees the array. */
static struct counter_entry **counter_sorted(const struct summary_counter *c)
{
	struct counter_entry **v = malloc((c->n ? c->n : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t b = 0; b < COUNTER_BUCKETS; b++)
		for (struct counter_entry *e = c->buckets[b]; e; e = e->next)
			v[k++] = e;
	qsort(v, k, sizeof *v, entry_cmp);
	return v;
}

/* ---- folding results in ---- */

int summary_init(struct summary *s)
{
	memset(s, 0, sizeof *s);
	s->codes = calloc(1, sizeof *s->codes);
	s->domains = calloc(1, sizeof *s->domains);
	s->selectors = calloc(1, sizeof *s->selectors);
	if (!s->codes || !s->domains || !s->selectors) {
		summary_free(s);
		return -1;
	}
	return 0;
}

void summary_free(struct summary *s)
{
	counter_free(s->codes);
	counter_free(s->domains);
	counter_free(s->selectors);
	memset(s, 0, sizeof *s);
}

/* One signature as the tallies see it, whether it comes from a run or from a JSON record. */
struct sig_view {
	const char *kind;        /* "dkim", "ams", "as" */
	enum verdict_result result;
	const char *code, *d, *s;
};

static int add_sig(struct summary *s, const struct sig_view *v)
{
	if (strcmp(v->kind, "dkim") == 0)
		s->dkim[v->result]++;
	if (v->result == VERDICT_PASS || v->result == VERDICT_NONE)
		return 0;
	char key[600];
	int rc = 0;
	if (v->code && *v->code)
		rc |= counter_add(s->codes, v->code);
	if (v->d && *v->d) {
		snprintf(key, sizeof key, "%s d=%s", v->kind, v->d);
		rc |= counter_add(s->domains, key);
		if (v->s && *v->s) {
			snprintf(key, sizeof key, "%s._domainkey.%s", v->s, v->d);
			rc |= counter_add(s->selectors, key);
		}
	}
	return rc;
}

static void add_severity(struct summary *s, int sev)
{
	s->worst = sev > s->worst ? sev : s->worst;
}

static int add_run_sig(struct summary *s, const char *kind, const struct dkim_sig *sig)
{
	struct sig_view v = { kind, sig->v.result, verdict_code_word(sig->v.code), sig->d, sig->s };
	return add_sig(s, &v);
}

int summary_add_run(struct summary *s, const struct run_result *r, int not_message)
{
	s->messages++;
	if (r->input_error || not_message) {
		if (not_message)
			s->not_message++;
		else
			s->unreadable++;
		return 0;
	}
	int rc = 0;
	s->unsigned_messages += r->ndkim == 0;
	for (size_t i = 0; i < r->ndkim; i++)
		rc |= add_run_sig(s, "dkim", &r->dkim[i]);
	for (unsigned i = 0; i < r->arc.n; i++) {
		if (r->arc.sets[i].has_ams)
			rc |= add_run_sig(s, "ams", &r->arc.sets[i].ams);
		if (r->arc.sets[i].has_as)
			rc |= add_run_sig(s, "as", &r->arc.sets[i].as);
	}
	s->arc[r->arc.result]++;
	if (r->arc.result == VERDICT_FAIL)
		rc |= counter_add(s->codes, verdict_code_word(r->arc.code));
	add_severity(s, run_severity(r));
	return rc;
}

/* ---- the same from a JSON record ---- */

static int record_result(const struct jsonin *obj, enum verdict_result *out)
{
	const char *w = jsonin_str(obj, "result");
	return w && verdict_from_word(w, out) == 0 ? 0 : -1;
}

static int add_record_sig(struct summary *s, const char *kind, const struct jsonin *sig, int *sev)
{
	struct sig_view v = { kind, VERDICT_NONE, jsonin_str(sig, "code"), jsonin_str(sig, "d"), jsonin_str(sig, "s") };
	if (!sig || sig->type == JSONIN_NULL)
		return 0;
	if (record_result(sig, &v.result) < 0)
		return -1;
	if (strcmp(kind, "dkim") == 0) {
		int sv = verdict_severity(v.result);
		*sev = sv > *sev ? sv : *sev;
	}
	return add_sig(s, &v) < 0 ? -2 : 0;
}

static int add_record_arc(struct summary *s, const struct jsonin *arc, int *sev)
{
	enum verdict_result res;
	if (!arc || arc->type == JSONIN_NULL)
		return 0;   /* --dkim-only */
	if (record_result(arc, &res) < 0)
		return -1;
	const struct jsonin *inst = jsonin_get(arc, "instances");
	for (size_t i = 0; inst && inst->type == JSONIN_ARRAY && i < inst->n; i++) {
		/* records list instances newest first; runs count them oldest first: the tallies do not care */
		int rc = add_record_sig(s, "ams", jsonin_get(&inst->items[i], "ams"), sev);
		rc = rc ? rc : add_record_sig(s, "as", jsonin_get(&inst->items[i], "as"), sev);
		if (rc)
			return rc;
	}
	s->arc[res]++;
	if (res == VERDICT_FAIL) {
		const struct jsonin *t = jsonin_get(arc, "temporary");
		int sv = t && t->type == JSONIN_BOOL && t->boolean ? 1 : 2;
		*sev = sv > *sev ? sv : *sev;
		const char *code = jsonin_str(arc, "code");
		if (code && counter_add(s->codes, code) < 0)
			return -2;
	}
	return 0;
}

static int record_unreadable(const struct jsonin *rec, int *not_message)
{
	const char *input = jsonin_str(rec, "input");
	*not_message = input && strcmp(input, "not-message") == 0;
	if (input)
		return strcmp(input, "ok") != 0;
	/* records without "input" (schema 1): an unreadable input has no body_bytes */
	return jsonin_get(rec, "body_bytes") == NULL;
}

int summary_add_record(struct summary *s, const struct jsonin *rec, char *err, size_t errlen)
{
	if (!rec || rec->type != JSONIN_OBJECT || !jsonin_get(rec, "schema") || !jsonin_get(rec, "file")) {
		snprintf(err, errlen, "not an arcverify --json record (no schema or file)");
		return -1;
	}
	int not_message;
	if (record_unreadable(rec, &not_message)) {
		s->messages++;
		s->not_message += not_message;
		s->unreadable += !not_message;
		return 0;
	}
	const struct jsonin *dkim = jsonin_get(rec, "dkim");
	int sev = 0, rc = 0;
	for (size_t i = 0; dkim && dkim->type == JSONIN_ARRAY && i < dkim->n && rc == 0; i++)
		rc = add_record_sig(s, "dkim", &dkim->items[i], &sev);
	if (rc == 0)
		rc = add_record_arc(s, jsonin_get(rec, "arc"), &sev);
	if (rc) {
		snprintf(err, errlen, rc == -2 ? "out of memory" : "a signature or chain without a valid result");
		return -1;
	}
	s->messages++;
	s->unsigned_messages += !dkim || dkim->type != JSONIN_ARRAY || dkim->n == 0;
	add_severity(s, sev);
	return 0;
}

/* ---- output ---- */

static const enum verdict_result dkim_order[] = { VERDICT_PASS, VERDICT_FAIL, VERDICT_PERMERROR,
						  VERDICT_TEMPERROR, VERDICT_NEUTRAL, VERDICT_POLICY };

static void text_list(struct buf *out, const char *title, const struct summary_counter *c)
{
	if (!c->n)
		return;
	struct counter_entry **v = counter_sorted(c);
	if (!v)
		return;
	buf_printf(out, "  %s:\n", title);
	for (size_t i = 0; i < c->n && i < SUMMARY_TOP_TEXT; i++) {
		buf_printf(out, "    %8llu  ", (unsigned long long)v[i]->n);
		buf_append_printable(out, v[i]->key, strlen(v[i]->key));
		buf_append_byte(out, '\n');
	}
	if (c->n > SUMMARY_TOP_TEXT)
		buf_printf(out, "    (%zu more)\n", c->n - SUMMARY_TOP_TEXT);
	free(v);
}

void summary_text(const struct summary *s, struct buf *out)
{
	buf_printf(out, "Summary: %llu messages", (unsigned long long)s->messages);
	if (s->unreadable)
		buf_printf(out, ", %llu unreadable", (unsigned long long)s->unreadable);
	if (s->not_message)
		buf_printf(out, ", %llu not a message", (unsigned long long)s->not_message);
	buf_printf(out, ", %llu without DKIM-Signature\n", (unsigned long long)s->unsigned_messages);
	buf_append_str(out, "  DKIM signatures:");
	for (size_t i = 0; i < sizeof dkim_order / sizeof dkim_order[0]; i++)
		if (s->dkim[dkim_order[i]] || i < 4)
			buf_printf(out, " %s %llu", verdict_word(dkim_order[i]), (unsigned long long)s->dkim[dkim_order[i]]);
	buf_printf(out, "\n  ARC chains: none %llu pass %llu fail %llu\n", (unsigned long long)s->arc[VERDICT_NONE],
		   (unsigned long long)s->arc[VERDICT_PASS], (unsigned long long)s->arc[VERDICT_FAIL]);
	text_list(out, "most frequent reason codes", s->codes);
	text_list(out, "signing domains that fail most", s->domains);
	text_list(out, "selectors that fail most", s->selectors);
}

static void json_list(struct json *j, const char *key, const char *name, const struct summary_counter *c)
{
	struct counter_entry **v = counter_sorted(c);
	json_key(j, key);
	json_arr_begin(j);
	for (size_t i = 0; v && i < c->n && i < SUMMARY_TOP_JSON; i++) {
		json_obj_begin(j);
		json_kv_str(j, name, v[i]->key);
		json_key(j, "count");
		json_uint(j, v[i]->n);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "more");
	json_uint(j, c->n > SUMMARY_TOP_JSON ? c->n - SUMMARY_TOP_JSON : 0);
	free(v);
}

static void json_results(struct json *j, const char *key, const uint64_t *counts,
			 const enum verdict_result *which, size_t n)
{
	json_key(j, key);
	json_obj_begin(j);
	for (size_t i = 0; i < n; i++) {
		json_key(j, verdict_word(which[i]));
		json_uint(j, counts[which[i]]);
	}
	json_obj_end(j);
}

void summary_json(const struct summary *s, void (*extra)(void *ctx, struct json *j), void *ctx, struct buf *out)
{
	static const enum verdict_result arc_order[] = { VERDICT_NONE, VERDICT_PASS, VERDICT_FAIL };
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_int(&j, "summary_schema", SUMMARY_SCHEMA);
	json_key(&j, "messages");
	json_uint(&j, s->messages);
	json_key(&j, "unreadable");
	json_uint(&j, s->unreadable);
	json_key(&j, "not_message");
	json_uint(&j, s->not_message);
	json_key(&j, "unsigned_messages");
	json_uint(&j, s->unsigned_messages);
	json_results(&j, "dkim", s->dkim, dkim_order, sizeof dkim_order / sizeof dkim_order[0]);
	json_results(&j, "arc", s->arc, arc_order, sizeof arc_order / sizeof arc_order[0]);
	json_key(&j, "codes");
	json_obj_begin(&j);
	json_list(&j, "top", "code", s->codes);
	json_obj_end(&j);
	json_key(&j, "failing_domains");
	json_obj_begin(&j);
	json_list(&j, "top", "domain", s->domains);
	json_obj_end(&j);
	json_key(&j, "failing_selectors");
	json_obj_begin(&j);
	json_list(&j, "top", "selector", s->selectors);
	json_obj_end(&j);
	if (extra)
		extra(ctx, &j);
	json_obj_end(&j);
	buf_append_byte(out, '\n');
}
