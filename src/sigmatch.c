/* sigmatch: signatures matched across two copies and explained (see include/sigmatch.h). */
#include "sigmatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc.h"
#include "change.h"
#include "tags.h"

#define EXPLANATION_MAX 8192

static const struct msg *sent_msg(const struct sigmatch *cx) { return &cx->sent.run->msg; }
static const struct msg *recv_msg(const struct sigmatch *cx) { return &cx->recv.run->msg; }

/* ---- references: every signature of one copy, keyed by b= ---- */

/* Signatures are matched by b= (RFC 6376 §3.5: FWS inside it is not part of the value). */
static char *signature_key(const struct dkim_sig *s, const struct msg *m, size_t *len)
{
	struct buf key;
	buf_init(&key, MSG_HEADER_MAX);
	const struct tag *b = tags_find(&s->tags, "b");
	if (b && b->value.len)
		tags_value_nofws(b->value, &key);
	else
		canon_header(CANON_RELAXED, m->fields[s->field].raw, &key);
	*len = key.len;
	if (!key.data)
		buf_append(&key, "", 0);
	return buf_steal(&key);
}

static int add_ref(struct sigmatch_refs *refs, enum dkim_kind kind, const struct dkim_sig *s, unsigned number,
		   const struct msg *m)
{
	struct sigmatch_ref *r = &refs->items[refs->n];
	r->kind = kind;
	r->sig = s;
	r->number = number;
	r->matched = 0;
	r->key = signature_key(s, m, &r->keylen);
	if (!r->key)
		return -1;
	refs->n++;
	return 0;
}

static int collect_refs(const struct run_result *run, struct sigmatch_refs *refs)
{
	refs->n = 0;
	refs->items = calloc(run->ndkim + 2 * (size_t)run->arc.n + 1, sizeof *refs->items);
	if (!refs->items)
		return -1;
	for (size_t i = 0; i < run->ndkim; i++)
		if (add_ref(refs, DKIM_KIND_SIGNATURE, &run->dkim[i], (unsigned)i + 1, &run->msg) < 0)
			return -1;
	for (unsigned i = 0; i < run->arc.n; i++) {
		const struct arc_set *set = &run->arc.sets[i];
		if (set->has_as && add_ref(refs, DKIM_KIND_SEAL, &set->as, set->instance, &run->msg) < 0)
			return -1;
		if (set->has_ams && add_ref(refs, DKIM_KIND_AMS, &set->ams, set->instance, &run->msg) < 0)
			return -1;
	}
	return 0;
}

static void refs_free(struct sigmatch_refs *refs)
{
	for (size_t i = 0; i < refs->n; i++)
		free(refs->items[i].key);
	free(refs->items);
	refs->items = NULL;
	refs->n = 0;
}

static struct sigmatch_ref *find_partner(struct sigmatch_refs *sent, const struct sigmatch_ref *r)
{
	for (size_t i = 0; i < sent->n; i++) {
		struct sigmatch_ref *s = &sent->items[i];
		if (!s->matched && s->kind == r->kind && s->keylen == r->keylen && memcmp(s->key, r->key, r->keylen) == 0)
			return s;
	}
	return NULL;
}

static void add_entry(struct sigmatch *cx, const struct sigmatch_ref *s, const struct sigmatch_ref *r)
{
	struct sigmatch_entry *e = &cx->items[cx->n++];
	memset(e, 0, sizeof *e);
	e->kind = (s ? s : r)->kind;
	e->instance = (s ? s : r)->number;
	e->sent = s;
	e->recv = r;
	buf_init(&e->explanation, EXPLANATION_MAX);
}

/* DKIM-Signatures first (by position in the sent copy, added ones after), then ARC newest first, AS before AMS. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct sigmatch_entry *a = pa, *b = pb;
	int arc_a = a->kind != DKIM_KIND_SIGNATURE, arc_b = b->kind != DKIM_KIND_SIGNATURE;
	if (arc_a != arc_b)
		return arc_a - arc_b;
	if (!arc_a) {
		unsigned ka = a->sent ? a->sent->number : 100000 + a->recv->number;
		unsigned kb = b->sent ? b->sent->number : 100000 + b->recv->number;
		return ka < kb ? -1 : ka > kb;
	}
	if (a->instance != b->instance)
		return a->instance > b->instance ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind == DKIM_KIND_SEAL ? -1 : 1;
	return (a->sent == NULL) - (b->sent == NULL);
}

static int match_signatures(struct sigmatch *cx)
{
	struct sigmatch_refs *sr = &cx->sent_sigs, *rr = &cx->recv_sigs;
	if (collect_refs(cx->sent.run, sr) < 0 || collect_refs(cx->recv.run, rr) < 0)
		return -1;
	cx->items = calloc(sr->n + rr->n + 1, sizeof *cx->items);
	if (!cx->items)
		return -1;
	for (size_t j = 0; j < rr->n; j++) {
		struct sigmatch_ref *s = find_partner(sr, &rr->items[j]);
		if (s)
			s->matched = 1;
		add_entry(cx, s, &rr->items[j]);
	}
	for (size_t i = 0; i < sr->n; i++)
		if (!sr->items[i].matched)
			add_entry(cx, &sr->items[i], NULL);
	qsort(cx->items, cx->n, sizeof *cx->items, entry_cmp);
	return 0;
}

/* ---- what changed for one signature ---- */

/* The name of the field as written in the message, else as h= wrote it. */
static void field_label(const struct msg *m, long field, struct slice hname, char *dst, size_t dstlen)
{
	struct slice name = field >= 0 ? m->fields[field].name : hname;
	slice_copy(name.len ? name : hname, dst, dstlen);
}

/*
 * The h= fields of a DKIM-Signature or AMS, as selected in each copy (RFC 6376 §5.4.2,
 * bottom-up): which were added, removed or changed between the copies. A change the
 * signature's header canonicalization absorbs (relaxed: white space, folding, name case,
 * §3.4.2) is only noted as tolerated.
 */
static void signed_field_changes(const struct sigmatch *cx, const struct sigmatch_entry *e, struct change *c)
{
	const struct dkim_sig *ss = e->sent->sig, *rs = e->recv->sig;
	if (!ss->usable || !rs->usable)
		return;   /* selected[] is computed only for usable signatures */
	size_t n = ss->nh < rs->nh ? ss->nh : rs->nh;
	for (size_t i = 0; i < n; i++) {
		long a = ss->selected[i], b = rs->selected[i];
		char name[128];
		field_label(b >= 0 ? recv_msg(cx) : sent_msg(cx), b >= 0 ? b : a, rs->h[i], name, sizeof name);
		if (a < 0 && b < 0)
			continue;
		if (a < 0) {
			change_list_add(&c->causes, "%s added", name);
			continue;
		}
		if (b < 0) {
			change_list_add(&c->causes, "%s removed", name);
			continue;
		}
		struct slice fa = sent_msg(cx)->fields[a].raw, fb = recv_msg(cx)->fields[b].raw;
		if (hdrdiff_same_bytes(fa, fb))
			continue;
		if (hdrdiff_canon_equal(rs->hcanon, fa, fb))
			change_list_add(&c->tolerated, "%s (white space or folding only)", name);
		else if (hdrdiff_canon_equal(CANON_RELAXED, fa, fb))
			change_list_add(&c->causes, "%s changed only in white space or folding, which c=simple header "
					"canonicalization keeps (RFC 6376 §3.4.1)", name);
		else
			change_list_add(&c->causes, "%s changed", name);
	}
}

static long arc_field_of(const struct arc_chain *c, unsigned instance, int which)
{
	if (instance == 0 || instance > c->n)
		return -1;
	const struct arc_set *s = &c->sets[instance - 1];
	return which == 0 ? s->aar_field : which == 1 ? s->ams_field : s->as_field;
}

/* An ARC-Seal signs the ARC sets it covers (arc_seal_first, RFC 8617 §5.1.1, §5.1.2): which changed. */
static void seal_input_changes(const struct sigmatch *cx, const struct sigmatch_entry *e, struct change *c)
{
	static const char *const names[] = { "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal" };
	const struct arc_chain *cs = &cx->sent.run->arc, *cr = &cx->recv.run->arc;
	unsigned i = e->instance;
	for (unsigned k = arc_seal_first(cr, i); k <= i; k++)
		for (int which = 0; which < 3; which++) {
			if (which == 2 && k == i)
				continue;   /* the seal itself is compared as the signature field */
			long a = arc_field_of(cs, k, which), b = arc_field_of(cr, k, which);
			if (a < 0 && b < 0)
				continue;
			if (a < 0)
				change_list_add(&c->causes, "%s i=%u added", names[which], k);
			else if (b < 0)
				change_list_add(&c->causes, "%s i=%u removed", names[which], k);
			else if (!hdrdiff_canon_equal(CANON_RELAXED, sent_msg(cx)->fields[a].raw, recv_msg(cx)->fields[b].raw))
				change_list_add(&c->causes, "%s i=%u changed", names[which], k);
			else if (!hdrdiff_same_bytes(sent_msg(cx)->fields[a].raw, recv_msg(cx)->fields[b].raw))
				change_list_add(&c->tolerated, "%s i=%u (white space or folding only)", names[which], k);
		}
}

static enum canon_alg header_canon_of(const struct dkim_sig *s)
{
	return s->kind == DKIM_KIND_SEAL ? CANON_RELAXED : s->hcanon;   /* RFC 8617 §4.1.3: seals are relaxed */
}

/* The signature field itself changed beyond what its header canonicalization absorbs. */
static int signature_field_changed(const struct sigmatch *cx, const struct sigmatch_entry *e)
{
	struct slice a = sent_msg(cx)->fields[e->sent->sig->field].raw;
	struct slice b = recv_msg(cx)->fields[e->recv->sig->field].raw;
	return !hdrdiff_same_bytes(a, b) && !hdrdiff_canon_equal(header_canon_of(e->recv->sig), a, b);
}

/* The change between the copies, as it concerns one signature present in both. */
static void entry_change(const struct sigmatch *cx, const struct sigmatch_entry *e, struct change *c)
{
	change_init(c);
	c->body_identical = cx->bd.kind == BODYDIFF_IDENTICAL;
	c->simple_changed = !cx->bd.simple_equal;
	c->relaxed_changed = !cx->bd.relaxed_equal;
	snprintf(c->body_summary, sizeof c->body_summary, "%s", cx->bd.summary);
	if (e->kind == DKIM_KIND_SEAL)
		seal_input_changes(cx, e, c);
	else
		signed_field_changes(cx, e, c);
	c->self_changed = signature_field_changed(cx, e);
}

/* ---- explanations ---- */


static void explain_added(struct sigmatch_entry *e)
{
	const struct dkim_sig *r = e->recv->sig;
	e->outcome = SIGMATCH_ADDED;
	if (e->kind == DKIM_KIND_SIGNATURE)
		buf_append_sentence(&e->explanation, "added in transit (by d=%s).", r->d[0] ? r->d : "?");
	else
		buf_append_sentence(&e->explanation, "added in transit (by d=%s, ARC set i=%u, RFC 8617 §5.1).", r->d[0] ? r->d : "?", e->instance);
	if (r->v.result != VERDICT_PASS)
		buf_append_sentence(&e->explanation, "It does not pass in the received copy (%s); the sent copy never had it, so the comparison "
			"cannot say why: run --explain on the received copy.", r->v.reason);
}

static void explain_removed(struct sigmatch_entry *e)
{
	const struct dkim_sig *s = e->sent->sig;
	e->outcome = SIGMATCH_REMOVED;
	e->explained = 1;
	buf_append_sentence(&e->explanation, "removed in transit: the received copy no longer has this %s (in the sent copy: %s, %s).",
		change_kind_phrase(e->kind), verdict_word(s->v.result), s->v.reason[0] ? s->v.reason : "not evaluated");
}

static void explain_both(const struct sigmatch *cx, struct sigmatch_entry *e)
{
	const struct verdict *vs = &e->sent->sig->v, *vr = &e->recv->sig->v;
	int pass_s = vs->result == VERDICT_PASS, pass_r = vr->result == VERDICT_PASS;
	struct change c;
	entry_change(cx, e, &c);
	if (vs->result == vr->result && strcmp(vs->reason, vr->reason) == 0) {
		e->outcome = SIGMATCH_UNCHANGED;
		if (pass_s)
			change_explain_survived(&c, e->recv->sig, &e->explanation);
		else
			buf_append_sentence(&e->explanation, "fails in the sent copy too (%s): the failure predates transit, so no change between "
				"the copies explains it; run --explain on the sent copy.", vs->reason[0] ? vs->reason : verdict_word(vs->result));
	} else if (pass_r) {
		e->outcome = pass_s ? SIGMATCH_BROKEN : SIGMATCH_REPAIRED;
		buf_append_sentence(&e->explanation, "passes in the received copy but not in the sent copy (%s): the sent copy is not the message "
			"as it was signed; check how it was saved.", vs->reason);
	} else {
		e->outcome = pass_s ? SIGMATCH_BROKEN : SIGMATCH_DIFFERENT;
		if (!pass_s)
			buf_append_sentence(&e->explanation, "in the sent copy it already did not pass (%s);", vs->reason);
		e->explained = change_explain_failure(&c, e->recv->sig, &e->explanation);
	}
	change_free(&c);
}

static void explain_entry(const struct sigmatch *cx, struct sigmatch_entry *e)
{
	if (!e->sent)
		explain_added(e);
	else if (!e->recv)
		explain_removed(e);
	else
		explain_both(cx, e);
}

int sigmatch_build(struct sigmatch *cx)
{
	struct bodydiff_side s = { cx->sent.body, sent_msg(cx), cx->sent.digests_ok ? cx->sent.simple_digest : NULL,
				   cx->sent.digests_ok ? cx->sent.relaxed_digest : NULL };
	struct bodydiff_side r = { cx->recv.body, recv_msg(cx), cx->recv.digests_ok ? cx->recv.simple_digest : NULL,
				   cx->recv.digests_ok ? cx->recv.relaxed_digest : NULL };
	if (hdrdiff_align(sent_msg(cx), recv_msg(cx), &cx->hd) < 0 || match_signatures(cx) < 0)
		return -1;
	bodydiff_classify(&cx->bd, &s, &r);
	for (size_t i = 0; i < cx->n; i++)
		explain_entry(cx, &cx->items[i]);
	return 0;
}

/* ---- signed content (the --compare exit status) ---- */

/* A field of the sent copy: gone, or changed beyond canonicalization alg, in the received copy. */
static int sent_field_changed(const struct sigmatch *cx, long f, enum canon_alg alg)
{
	long p = cx->hd.sent_partner[f];
	return p < 0 || !hdrdiff_canon_equal(alg, sent_msg(cx)->fields[f].raw, recv_msg(cx)->fields[p].raw);
}

/* The body as a signature with l= sees it: unknowable from two digests, so the received signature says. */
static int body_changed_for(const struct sigmatch *cx, const struct sigmatch_entry *e, const struct dkim_sig *s)
{
	int changed = s->bcanon == CANON_RELAXED ? !cx->bd.relaxed_equal : !cx->bd.simple_equal;
	if (changed && s->has_l && e->recv)
		return e->recv->sig->body_ok == 0 && s->body_ok == 1;   /* the change lies within l= */
	return changed;
}

static int seal_content_changed(const struct sigmatch *cx, const struct dkim_sig *s)
{
	const struct arc_chain *cs = &cx->sent.run->arc;
	for (unsigned k = arc_seal_first(cs, s->instance); k <= s->instance; k++)
		for (int which = 0; which < 3; which++) {
			long f = arc_field_of(cs, k, which);
			if (f >= 0 && !(which == 2 && k == s->instance) && sent_field_changed(cx, f, CANON_RELAXED))
				return 1;
		}
	return 0;
}

static int entry_content_changed(const struct sigmatch *cx, const struct sigmatch_entry *e)
{
	const struct dkim_sig *s = e->sent->sig;
	if (s->kind == DKIM_KIND_SEAL)
		return seal_content_changed(cx, s);
	for (size_t i = 0; i < s->nh; i++)
		if (s->selected[i] >= 0 && sent_field_changed(cx, s->selected[i], s->hcanon))
			return 1;
	return body_changed_for(cx, e, s);
}

int sigmatch_signed_content_changed(const struct sigmatch *cx)
{
	size_t signatures = 0;
	for (size_t i = 0; i < cx->n; i++) {
		const struct sigmatch_entry *e = &cx->items[i];
		if (!e->sent || !e->sent->sig->usable)
			continue;   /* a malformed signature covers nothing we can name */
		signatures++;
		if (entry_content_changed(cx, e))
			return 1;
	}
	if (signatures)
		return 0;
	/* nothing is signed: every field of the sent copy and the body count */
	return cx->hd.removed || cx->hd.changed || cx->bd.kind != BODYDIFF_IDENTICAL;
}

/* ---- counts and names ---- */

size_t sigmatch_count(const struct sigmatch *cx, enum sigmatch_outcome o)
{
	size_t n = 0;
	for (size_t i = 0; i < cx->n; i++)
		n += cx->items[i].outcome == o;
	return n;
}

size_t sigmatch_unexplained(const struct sigmatch *cx)
{
	size_t n = 0;
	for (size_t i = 0; i < cx->n; i++) {
		const struct sigmatch_entry *e = &cx->items[i];
		n += (e->outcome == SIGMATCH_BROKEN || e->outcome == SIGMATCH_DIFFERENT) && !e->explained;
	}
	return n;
}

int sigmatch_identical(const struct sigmatch *cx)
{
	return cx->hd.added == 0 && cx->hd.removed == 0 && cx->hd.changed == 0 && cx->bd.kind == BODYDIFF_IDENTICAL;
}

const char *sigmatch_outcome_name(enum sigmatch_outcome o)
{
	static const char *const names[] = { "unchanged", "broken", "repaired", "different", "added", "removed" };
	return names[o];
}

const struct dkim_sig *sigmatch_any_sig(const struct sigmatch_entry *e)
{
	return e->recv ? e->recv->sig : e->sent->sig;
}

void sigmatch_free(struct sigmatch *cx)
{
	for (size_t i = 0; i < cx->n; i++)
		buf_free(&cx->items[i].explanation);
	free(cx->items);
	cx->items = NULL;
	cx->n = 0;
	refs_free(&cx->sent_sigs);
	refs_free(&cx->recv_sigs);
	hdrdiff_free(&cx->hd);
}
