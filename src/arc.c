/*
 * arc: RFC 8617 chain validation, written as the steps of §5.2:
 *   1 collect the ARC sets            -> arc_collect (none when there are none)
 *   2 check the structure of each set -> arc_collect (fail, naming instance and rule)
 *   3 verify the newest AMS           -> arc_evaluate
 *   4 verify the older AMSs, oldest-pass
 *   5 verify every ARC-Seal
 *   6 pass
 * Every AMS and AS present is verified and reported even when an earlier step
 * already decided the chain, because the reader wants to see each hop.
 */
#include "arc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum arc_kind { ARC_AAR = 0, ARC_AMS = 1, ARC_AS = 2 };

#define ARC_INSTANCE_SCAN_MAX 1000000   /* an i= above this is reported as "above", not by value */

static const char *const arc_field_names[] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

void arc_init(struct arc_chain *c)
{
	memset(c, 0, sizeof *c);
	c->result = VERDICT_NONE;
	c->structure_ok = 1;
	c->oldest_pass = -1;
}

/* The first structural problem decides the chain (§5.2 step 2); later ones are not reported. */
static void structure_fail(struct arc_chain *c, enum verdict_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void structure_fail(struct arc_chain *c, enum verdict_code code, const char *fmt, ...)
{
	c->structure_ok = 0;
	if (c->result == VERDICT_FAIL)
		return;
	c->result = VERDICT_FAIL;
	c->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	va_end(ap);
}

static int arc_kind_of(const struct msg_field *f)
{
	for (int k = 0; k < 3; k++)
		if (!f->malformed && slice_caseeq_str(f->name, arc_field_names[k]))
			return k;
	return -1;
}

/*
 * The i= of an AMS or AS, read tolerantly so that a set with other tag problems
 * still lands in the right place: the tag-spec "i=N" between semicolons.
 * Returns the instance, 0 when absent or malformed, -1 when i= appears twice.
 */
static long scan_tag_instance(struct slice value)
{
	const char *p = value.ptr, *end = value.ptr + value.len;
	long found = 0;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		struct slice spec = slice_trim_wsp(slice_make(p, semi ? (size_t)(semi - p) : (size_t)(end - p)));
		if (spec.len >= 2 && spec.ptr[0] == 'i') {
			struct slice rest = slice_trim_wsp(slice_make(spec.ptr + 1, spec.len - 1));
			if (rest.len && rest.ptr[0] == '=') {
				if (found)
					return -1;
				struct slice num = slice_trim_wsp(slice_make(rest.ptr + 1, rest.len - 1));
				long n = 0;   /* digits past ARC_INSTANCE_SCAN_MAX are not read: the value only has to be too big */
				for (size_t i = 0; i < num.len && n <= ARC_INSTANCE_SCAN_MAX; i++) {
					if (num.ptr[i] < '0' || num.ptr[i] > '9') {
						n = 0;
						break;
					}
					n = n * 10 + (num.ptr[i] - '0');
				}
				found = num.len ? n : 0;
				if (found == 0)
					return 0;
			}
		}
		p = semi ? semi + 1 : end;
	}
	return found;
}

static long field_instance(const struct msg_field *f, int kind)
{
	if (kind == ARC_AAR) {
		unsigned n;
		return authres_aar_instance(f->value, &n) == 0 ? (long)n : 0;
	}
	return scan_tag_instance(f->value);
}

struct arc_census {
	long first[ARC_MAX_INSTANCES + 1][3];
	unsigned count[ARC_MAX_INSTANCES + 1][3];
	unsigned highest;
};

/* Step 1: place every ARC field by instance; a field we cannot place is a structural failure. */
static void census_fields(struct arc_chain *c, const struct msg *m, struct arc_census *cs)
{
	memset(cs, 0, sizeof *cs);
	for (size_t i = 0; i < m->nfields; i++) {
		int kind = arc_kind_of(&m->fields[i]);
		if (kind < 0)
			continue;
		c->arc_fields++;
		long inst = field_instance(&m->fields[i], kind);
		if (inst < 0) {
			structure_fail(c, VC_ARC_INSTANCE, "an %s field has more than one i= tag (RFC 8617 §4.1)", arc_field_names[kind]);
		} else if (inst == 0) {
			structure_fail(c, VC_ARC_INSTANCE, "an %s field has no valid i= instance tag (RFC 8617 §4.1)",
				       arc_field_names[kind]);
		} else if (inst > ARC_INSTANCE_SCAN_MAX) {
			structure_fail(c, VC_ARC_TOO_MANY, "%s has an i= above %d, beyond the limit of %d ARC sets (RFC 8617 §4.2.1)",
				       arc_field_names[kind], ARC_INSTANCE_SCAN_MAX, ARC_MAX_INSTANCES);
		} else if (inst > ARC_MAX_INSTANCES) {
			structure_fail(c, VC_ARC_TOO_MANY, "%s i=%ld is beyond the limit of %d ARC sets (RFC 8617 §4.2.1)",
				       arc_field_names[kind], inst, ARC_MAX_INSTANCES);
		} else {
			if (cs->count[inst][kind]++ == 0)
				cs->first[inst][kind] = (long)i;
			if ((unsigned)inst > cs->highest)
				cs->highest = (unsigned)inst;
		}
	}
}

/* Step 2: exactly one AAR, AMS and AS for every instance 1..N (RFC 8617 §4.2.1, §5.1.1). */
static void check_set_counts(struct arc_chain *c, const struct arc_census *cs)
{
	for (unsigned i = 1; i <= cs->highest; i++) {
		for (int k = 0; k < 3; k++) {
			if (cs->count[i][k] == 0)
				structure_fail(c, VC_ARC_INCOMPLETE, "ARC set i=%u has no %s (RFC 8617 §4.2.1: instances 1..%u each need one)",
					       i, arc_field_names[k], cs->highest);
			else if (cs->count[i][k] > 1)
				structure_fail(c, VC_ARC_DUPLICATE, "ARC set i=%u has %u %s fields (RFC 8617 §4.2.1: exactly one)",
					       i, cs->count[i][k], arc_field_names[k]);
		}
	}
}

static void fill_sets(struct arc_chain *c, const struct msg *m, const struct arc_census *cs)
{
	for (unsigned i = 1; i <= c->n; i++) {
		struct arc_set *set = &c->sets[i - 1];
		set->instance = i;
		set->aar_field = cs->count[i][ARC_AAR] ? cs->first[i][ARC_AAR] : -1;
		set->ams_field = cs->count[i][ARC_AMS] ? cs->first[i][ARC_AMS] : -1;
		set->as_field = cs->count[i][ARC_AS] ? cs->first[i][ARC_AS] : -1;
		set->aar_count = cs->count[i][ARC_AAR];
		set->ams_count = cs->count[i][ARC_AMS];
		set->as_count = cs->count[i][ARC_AS];
		if (set->aar_field >= 0)
			authres_parse(m->fields[set->aar_field].value, 1, &set->aar);
		if (set->ams_field >= 0) {
			dkim_parse(&set->ams, DKIM_KIND_AMS, m, (size_t)set->ams_field);
			set->has_ams = 1;
		}
		if (set->as_field >= 0) {
			dkim_parse(&set->as, DKIM_KIND_SEAL, m, (size_t)set->as_field);
			set->has_as = 1;
		}
	}
}

static int cv_is(const struct dkim_sig *as, const char *word)
{
	return strcasecmp(as->cv, word) == 0;
}

/*
 * The rest of step 2 and its sub-step 2.1: seal cv= values (RFC 8617 §4.1.3,
 * §5.1.1: "none" on i=1, "pass" after), no h= on a seal (§4.1.3), and no AMS
 * that signs ARC-Seal (§4.1.2).
 */
static void check_set_rules(struct arc_chain *c)
{
	struct arc_set *newest = &c->sets[c->n - 1];
	if (newest->has_as && cv_is(&newest->as, "fail"))
		structure_fail(c, VC_ARC_CV_FAIL, "ARC-Seal i=%u says cv=fail: hop %u found the chain already broken "
			       "(RFC 8617 §5.2 step 2.1)", c->n, c->n);
	for (unsigned i = 1; i <= c->n; i++) {
		struct arc_set *set = &c->sets[i - 1];
		if (set->has_as) {
			const char *want = i == 1 ? "none" : "pass";
			if (!cv_is(&set->as, "none") && !cv_is(&set->as, "pass") && !cv_is(&set->as, "fail"))
				structure_fail(c, VC_ARC_CV_INVALID, "ARC-Seal i=%u has cv=%s, which is not none, pass or fail "
					       "(RFC 8617 §4.1.3)", i, set->as.cv[0] ? set->as.cv : "(empty)");
			else if (!cv_is(&set->as, want))
				structure_fail(c, VC_ARC_CV_WRONG, "ARC-Seal i=%u has cv=%s; instance %u must say cv=%s (RFC 8617 §5.1.1)",
					       i, set->as.cv, i, want);
			if (tags_find(&set->as.tags, "h"))
				structure_fail(c, VC_ARC_SEAL_H, "ARC-Seal i=%u has an h= tag; a seal signs no header selection "
					       "(RFC 8617 §4.1.3)", i);
		}
		if (set->has_ams)
			for (size_t k = 0; k < set->ams.nh; k++)
				if (slice_caseeq_str(set->ams.h[k], "arc-seal"))
					structure_fail(c, VC_ARC_AMS_SIGNS_SEAL, "ARC-Message-Signature i=%u signs ARC-Seal (RFC 8617 §4.1.2 "
						       "forbids it)", i);
	}
}

void arc_collect(struct arc_chain *c, const struct msg *m)
{
	struct arc_census *cs = malloc(sizeof *cs);
	if (!cs) {
		structure_fail(c, VC_INTERNAL, "out of memory");
		return;
	}
	census_fields(c, m, cs);
	if (c->arc_fields == 0) {
		c->result = VERDICT_NONE;       /* step 1: no sets, no chain */
		c->code = VC_ARC_NONE;
		snprintf(c->reason, sizeof c->reason, "no ARC header fields");
		free(cs);
		return;
	}
	check_set_counts(c, cs);
	c->n = cs->highest;
	if (c->n > 0) {
		c->sets = calloc(c->n, sizeof *c->sets);
		if (!c->sets) {
			/* says so even over a structural failure already found: the sets are not there to show */
			c->structure_ok = 0;
			c->result = VERDICT_FAIL;
			c->code = VC_INTERNAL;
			snprintf(c->reason, sizeof c->reason, "out of memory collecting %u ARC sets", c->n);
			c->n = 0;
		} else {
			fill_sets(c, m, cs);
			check_set_rules(c);
		}
	}
	free(cs);
}

unsigned arc_seal_first(const struct arc_chain *c, unsigned instance)
{
	if (instance == 0 || instance > c->n)
		return 1;
	return cv_is(&c->sets[instance - 1].as, "fail") ? instance : 1;   /* §5.1.2 */
}

/* The sets a seal covers are complete, so the seal of instance i can be computed. */
static int sets_complete_upto(const struct arc_chain *c, unsigned i)
{
	unsigned first = arc_seal_first(c, i);
	for (unsigned j = first; j <= i; j++) {
		const struct arc_set *s = &c->sets[j - 1];
		if (s->aar_count != 1 || s->ams_count != 1 || s->as_count != 1)
			return 0;
	}
	return 1;
}

void arc_prepare(struct arc_chain *c, struct hash_registry *reg, struct lookup *lk)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->sets[i].has_ams)
			dkim_prepare(&c->sets[i].ams, reg, lk);
		if (c->sets[i].has_as)
			dkim_prepare(&c->sets[i].as, reg, lk);
	}
}

static int append_relaxed_field(const struct msg *m, long field, struct buf *out)
{
	if (canon_header(CANON_RELAXED, m->fields[field].raw, out) < 0)
		return -1;
	return buf_append(out, "\r\n", 2);
}

/*
 * §5.1.1: the seal of instance i covers the ARC sets 1..i in increasing order,
 * each as AAR, AMS, AS, relaxed; the seal being verified comes last with its
 * b= emptied and no CRLF. §5.1.2: a seal that says cv=fail covers only its own
 * set, "as if this newest ARC Set was the only set present". descending feeds
 * the sets newest first instead (a sealing bug forensics looks for); the seal
 * itself still comes last.
 */
int arc_seal_data_with(const struct arc_chain *c, const struct msg *m, unsigned instance, int descending,
		       unsigned quirks, int keep_b, struct buf *out)
{
	buf_reset(out);
	unsigned first = arc_seal_first(c, instance);
	for (unsigned k = first; k <= instance; k++) {
		unsigned j = descending ? instance + first - k : k;
		const struct arc_set *s = &c->sets[j - 1];
		if (append_relaxed_field(m, s->aar_field, out) < 0 || append_relaxed_field(m, s->ams_field, out) < 0)
			return -1;
		if (j != instance && append_relaxed_field(m, s->as_field, out) < 0)
			return -1;
	}
	return dkim_append_self_with(&c->sets[instance - 1].as, m, CANON_RELAXED, quirks, keep_b, out);
}

int arc_seal_data(const struct arc_chain *c, const struct msg *m, unsigned instance, struct buf *out)
{
	return arc_seal_data_with(c, m, instance, 0, 0, 0, out);
}

static void evaluate_ams(struct arc_set *set, const struct msg *m, struct lookup *lk,
			 const struct dkim_policy *pol)
{
	if (set->has_ams && set->ams.usable && dkim_header_data(&set->ams, m) == 0)
		dkim_evaluate(&set->ams, lk, pol);
}

static void evaluate_seal(struct arc_chain *c, struct arc_set *set, const struct msg *m, struct lookup *lk,
			  const struct dkim_policy *pol)
{
	if (!set->has_as || !set->as.usable)
		return;
	if (!sets_complete_upto(c, set->instance)) {
		verdict_set(&set->as.v, VERDICT_NONE, VC_NOT_VERIFIED, "not verified: ARC sets 1..%u are incomplete", set->instance);
		return;
	}
	if (arc_seal_data(c, m, set->instance, &set->as.hdata) < 0) {
		if (set->as.hdata.nomem)
			verdict_set(&set->as.v, VERDICT_PERMERROR, VC_INTERNAL, "out of memory building the seal data");
		else
			verdict_set(&set->as.v, VERDICT_PERMERROR, VC_LIMIT, "seal data larger than %u bytes", MSG_HEADER_MAX);
		return;
	}
	dkim_evaluate(&set->as, lk, pol);
}

static void chain_fail(struct arc_chain *c, enum verdict_code code, const struct verdict *why, const char *fmt,
		       unsigned i)
{
	c->result = VERDICT_FAIL;
	c->code = code;
	c->cause = why->code;
	c->temporary = why->result == VERDICT_TEMPERROR;
	struct buf text;
	buf_init(&text, 4 * VERDICT_REASON_MAX);
	buf_printf(&text, fmt, i);
	buf_printf(&text, ": %s (%s)", why->reason, verdict_word(why->result));
	slice_copy(slice_make(text.data ? text.data : "", text.len), c->reason, sizeof c->reason);
	buf_free(&text);
}

/* Step 4 / §5.2: the oldest instance from which every AMS up to the newest validates; 0 if all do. */
static int compute_oldest_pass(const struct arc_chain *c)
{
	for (unsigned i = c->n; i-- > 1;) {
		const struct arc_set *s = &c->sets[i - 1];
		if (!s->has_ams || s->ams.v.result != VERDICT_PASS)
			return (int)i + 1;
	}
	return 0;
}

static const struct verdict *sig_verdict(const struct arc_set *s, int seal)
{
	static const struct verdict missing = { VERDICT_PERMERROR, VC_MISSING_TAG, "missing" };
	if (seal)
		return s->has_as ? &s->as.v : &missing;
	return s->has_ams ? &s->ams.v : &missing;
}

void arc_evaluate(struct arc_chain *c, const struct msg *m, struct lookup *lk, const struct dkim_policy *pol)
{
	for (unsigned i = 0; i < c->n; i++)
		evaluate_ams(&c->sets[i], m, lk, pol);
	for (unsigned i = 0; i < c->n; i++)
		evaluate_seal(c, &c->sets[i], m, lk, pol);
	if (c->result != VERDICT_NONE || c->n == 0)
		return; /* none, or a structural failure already decided the chain */
	const struct verdict *newest_ams = sig_verdict(&c->sets[c->n - 1], 0);
	if (newest_ams->result != VERDICT_PASS) {
		chain_fail(c, VC_ARC_AMS_FAILED, newest_ams, "the newest ARC-Message-Signature (i=%u) does not verify "
			   "(RFC 8617 §5.2 step 3)", c->n);
		return;
	}
	for (unsigned i = c->n; i >= 1; i--) {
		const struct verdict *seal = sig_verdict(&c->sets[i - 1], 1);
		if (seal->result != VERDICT_PASS) {
			chain_fail(c, VC_ARC_SEAL_FAILED, seal, "ARC-Seal i=%u does not verify (RFC 8617 §5.2 step 5)", i);
			return;
		}
	}
	c->result = VERDICT_PASS;
	c->code = VC_ARC_PASS;
	c->oldest_pass = compute_oldest_pass(c);
	snprintf(c->reason, sizeof c->reason, "all %u ARC-Seals and the newest ARC-Message-Signature verify",
		 c->n);
}

/* §4.2.1, §4.1.3, §5.1.1 for one set of a prefix: complete, valid cv= for its place, no seal h=. */
static int prefix_set_ok(const struct arc_set *s, unsigned k)
{
	if (s->aar_count != 1 || s->ams_count != 1 || s->as_count != 1 || !s->has_as || !s->has_ams)
		return 0;
	if (tags_find(&s->as.tags, "h"))
		return 0;
	for (size_t i = 0; i < s->ams.nh; i++)
		if (slice_caseeq_str(s->ams.h[i], "arc-seal"))
			return 0;
	if (s->instance == k && cv_is(&s->as, "fail"))
		return 0;                                      /* §5.2 step 2.1 */
	return cv_is(&s->as, s->instance == 1 ? "none" : "pass");
}

/* A verdict of the prefix: 0 pass, 1 temperror (could not check), 2 fail. */
static int prefix_sig_rank(const struct dkim_sig *s)
{
	if (s->v.result == VERDICT_PASS)
		return 0;
	return s->v.result == VERDICT_TEMPERROR ? 1 : 2;
}

enum verdict_result arc_prefix_result(const struct arc_chain *c, unsigned k)
{
	if (k == 0)
		return VERDICT_NONE;
	if (k > c->n)
		return VERDICT_FAIL;
	if (k == c->n && c->result != VERDICT_NONE)
		return c->temporary ? VERDICT_TEMPERROR : c->result;
	if (!c->structure_ok && c->code != VC_ARC_CV_FAIL && c->code != VC_ARC_INCOMPLETE &&
	    c->code != VC_ARC_DUPLICATE && c->code != VC_ARC_CV_WRONG && c->code != VC_ARC_CV_INVALID &&
	    c->code != VC_ARC_SEAL_H && c->code != VC_ARC_AMS_SIGNS_SEAL)
		return VERDICT_FAIL;   /* a field that cannot be placed (§5.2 step 2): no prefix is sound */
	int worst = 0;
	for (unsigned j = 1; j <= k; j++) {
		const struct arc_set *s = &c->sets[j - 1];
		if (!prefix_set_ok(s, k))
			return VERDICT_FAIL;
		int rank = prefix_sig_rank(&s->as);                      /* step 5: every seal 1..k */
		worst = rank > worst ? rank : worst;
	}
	int ams = prefix_sig_rank(&c->sets[k - 1].ams);               /* step 3: the newest AMS */
	worst = ams > worst ? ams : worst;
	return worst == 0 ? VERDICT_PASS : worst == 1 ? VERDICT_TEMPERROR : VERDICT_FAIL;
}

void arc_free(struct arc_chain *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->sets[i].has_ams)
			dkim_free(&c->sets[i].ams);
		if (c->sets[i].has_as)
			dkim_free(&c->sets[i].as);
	}
	free(c->sets);
	c->sets = NULL;
	c->n = 0;
}
