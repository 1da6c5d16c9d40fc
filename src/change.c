/* change: a change to a message held against a signature (see include/change.h). */
#include "change.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CHANGE_TEXT_MAX 8192

static void list_init(struct change_list *l)
{
	buf_init(&l->text, CHANGE_TEXT_MAX);
	buf_init(&l->seen, 4 * CHANGE_TEXT_MAX);
	l->count = 0;
}

static void list_free(struct change_list *l)
{
	buf_free(&l->text);
	buf_free(&l->seen);
	l->count = 0;
}

void change_init(struct change *c)
{
	memset(c, 0, sizeof *c);
	list_init(&c->causes);
	list_init(&c->tolerated);
	c->labels = 1;
}

void change_free(struct change *c)
{
	list_free(&c->causes);
	list_free(&c->tolerated);
}

void change_list_add(struct change_list *l, const char *fmt, ...)
{
	char item[400], marked[404];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(item, sizeof item, fmt, ap);
	va_end(ap);
	snprintf(marked, sizeof marked, "\n%s\n", item);
	if (l->seen.data && strstr(l->seen.data, marked))
		return;
	buf_append_str(&l->seen, marked);
	if (l->count++)
		buf_append_str(&l->text, ", ");
	buf_append_str(&l->text, item);
}

const char *change_list_text(const struct change_list *l)
{
	return l->text.data ? l->text.data : "";
}

const char *change_kind_phrase(enum dkim_kind k)
{
	return k == DKIM_KIND_SIGNATURE ? "DKIM-Signature" : k == DKIM_KIND_AMS ? "ARC-Message-Signature" : "ARC-Seal";
}

/* A verdict on the explanation: "explained: the body ..." with labels, else "The body ...". */
static void verdict_say(struct buf *out, const struct change *c, int explained, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void verdict_say(struct buf *out, const struct change *c, int explained, const char *fmt, ...)
{
	char text[CHANGE_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (!c->labels && text[0] >= 'a' && text[0] <= 'z')
		text[0] = (char)(text[0] - 'a' + 'A');
	buf_append_sentence(out, "%s%s", c->labels ? (explained ? "explained: " : "not explained: ") : "", text);
}

static enum canon_alg header_canon_of(const struct dkim_sig *s)
{
	return s->kind == DKIM_KIND_SEAL ? CANON_RELAXED : s->hcanon;   /* RFC 8617 §4.1.3: seals are relaxed */
}

int change_body_breaks(const struct change *c, const struct dkim_sig *s)
{
	return s->bcanon == CANON_RELAXED ? c->relaxed_changed : c->simple_changed;
}

static int explain_body_mismatch(const struct change *c, const struct dkim_sig *s, struct buf *out)
{
	if (change_body_breaks(c, s)) {
		verdict_say(out, c, 1, "the body was changed (%s); bh= is the hash of the %s canonicalized body "
		    "(RFC 6376 §3.7), which the change alters.", c->body_summary, canon_name(s->bcanon));
		return 1;
	}
	if (c->self_changed) {
		verdict_say(out, c, 1, "the %s field itself was changed in transit, so its bh= is no longer what the "
		    "signer wrote.", change_kind_phrase(s->kind));
		return 1;
	}
	if (c->body_identical)
		verdict_say(out, c, 0, "the body is identical in both copies.");
	else
		verdict_say(out, c, 0, "the bodies differ (%s) but are equal under its %s body canonicalization.",
		    c->body_summary, canon_name(s->bcanon));
	buf_append_sentence(out, "Something else differs, e.g. a canonicalization disagreement between signer and verifier: "
	    "run --explain.");
	return 0;
}

static int explain_header_mismatch(const struct change *c, const struct dkim_sig *s, struct buf *out)
{
	if (c->causes.count) {
		verdict_say(out, c, 1, "signed field%s %s (%s).", c->causes.count > 1 ? "s" : "", change_list_text(&c->causes),
		    s->kind == DKIM_KIND_SEAL ? "an ARC-Seal signs the ARC sets 1..i, RFC 8617 §5.1.1"
					      : "b= covers the fields h= names, RFC 6376 §3.7, §5.4");
		return 1;
	}
	if (c->self_changed) {
		verdict_say(out, c, 1, "the %s field itself was changed in transit (b= covers it with b= emptied, "
		    "RFC 6376 §3.7).", change_kind_phrase(s->kind));
		return 1;
	}
	buf_append_sentence(out, "not explained by the header changes: none of the signed fields changed. The signer and "
	    "verifier may disagree on header canonicalization or field selection: run --explain.");
	return 0;
}

/* "Also, b= no longer verifies: signed field Subject changed; and the DKIM-Signature field itself changed." */
static void also_header(const struct change *c, const struct dkim_sig *s, struct buf *out)
{
	size_t n = c->causes.count;
	buf_append_sentence(out, "Also, b= no longer verifies: %s%s%s%s%s.", n ? "signed field" : "", n > 1 ? "s " : n ? " " : "",
	    change_list_text(&c->causes), n && c->self_changed ? "; and " : "",
	    c->self_changed ? (s->kind == DKIM_KIND_SIGNATURE ? "the DKIM-Signature field itself changed"
			       : "the signature field itself changed") : "");
}

int change_explain_failure(const struct change *c, const struct dkim_sig *s, struct buf *out)
{
	int l_beyond_body = s->has_l && s->body && s->l > s->body->canon_len;
	if (s->body_ok == 0) {
		int explained = explain_body_mismatch(c, s, out);
		if (s->header_ok == 0 && (c->causes.count || c->self_changed))
			also_header(c, s, out);
		return explained;
	}
	if (l_beyond_body) {
		buf_append_sentence(out, "%s: l=%llu is now longer than the body (%s).", c->body_identical ? "not explained" : "explained",
		    (unsigned long long)s->l, c->body_summary);
		return !c->body_identical;
	}
	if (s->header_ok == 0)
		return explain_header_mismatch(c, s, out);
	if (c->self_changed) {
		verdict_say(out, c, 1, "the %s field itself was changed in transit.", change_kind_phrase(s->kind));
		return 1;
	}
	buf_append_sentence(out, "not explained by the changes between the copies: the received copy fails for a reason "
	    "that does not depend on the message (%s).", s->v.reason);
	return 0;
}

void change_explain_survived(const struct change *c, const struct dkim_sig *s, struct buf *out)
{
	buf_append_sentence(out, "passes in both copies.");
	if (!c->body_identical && s->kind != DKIM_KIND_SEAL) {
		if (s->has_l && change_body_breaks(c, s))
			buf_append_sentence(out, "The body change (%s) lies beyond l=%llu, the part the signature covers "
			    "(RFC 6376 §3.5; §8.2 warns what l= lets others add).", c->body_summary,
			    (unsigned long long)s->l);
		else if (!change_body_breaks(c, s))
			buf_append_sentence(out, "The body change (%s) disappears under its %s body canonicalization (RFC 6376 §3.4).",
			    c->body_summary, canon_name(s->bcanon));
	}
	if (c->tolerated.count)
		buf_append_sentence(out, "Signed fields changed only where %s header canonicalization does not look: %s.",
		    canon_name(header_canon_of(s)), change_list_text(&c->tolerated));
}

void change_fields_above(const struct dkim_sig *s, const struct msg *m, struct change_list *out)
{
	if (!s->usable || s->kind == DKIM_KIND_SEAL)
		return;   /* selected[] is computed for usable DKIM-Signatures and AMSs only */
	for (size_t i = 0; i < s->nh; i++) {
		long f = s->selected[i];
		if (f < 0 || f >= (long)s->field)
			continue;
		char name[128];
		slice_copy(m->fields[f].name, name, sizeof name);
		change_list_add(out, "%s added (it lies above the signature, where later hops add their fields)", name);
	}
}
