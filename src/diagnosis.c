/*
 * diagnosis: who is at fault for each failure (see include/diagnosis.h). The
 * order of work: the interop risks of the verifying signatures; then every
 * failing signature, whose cause is a signer bug the forensics reproduced, a
 * key or tag problem, or a change bracketed by the ARC instances; then every
 * hop record the causes leave unexplained, which points at that hop's
 * verifier; last the ranking. Only what the message shows is claimed proved.
 */
#include "diagnosis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc.h"
#include "change.h"
#include "tags.h"

#define NOT_PROVABLE "(A verifier's bug can be consistent with the message, never proved by it alone.)"

struct diag_ctx {
	struct diagnosis *d;
	const struct run_result *r;
	const struct forensics *f;
	struct claims *c;
	int failed;                    /* out of memory */
};

/* ---- entries ---- */

static void sig_label(const struct run_result *r, const struct dkim_sig *s, char *out, size_t n)
{
	if (s->kind == DKIM_KIND_SIGNATURE)
		snprintf(out, n, "dkim#%zu", (size_t)(s - r->dkim) + 1);
	else
		snprintf(out, n, "%s#%u", s->kind == DKIM_KIND_AMS ? "ams" : "as", s->instance);
}

static struct diagnosis_entry *entry_add(struct diag_ctx *x, enum diagnosis_role role, enum diagnosis_evidence ev,
					 const struct dkim_sig *s)
{
	struct diagnosis *d = x->d;
	struct diagnosis_entry *v = realloc(d->v, (d->n + 1) * sizeof *v);
	if (!v) {
		x->failed = 1;
		return NULL;
	}
	d->v = v;
	struct diagnosis_entry *e = &d->v[d->n++];
	memset(e, 0, sizeof *e);
	e->role = role;
	e->evidence = ev;
	if (s)
		sig_label(x->r, s, e->signature, sizeof e->signature);
	return e;
}

static void say(struct diagnosis_entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct diagnosis_entry *e, const char *fmt, ...)
{
	size_t len = strlen(e->what);
	if (len && len + 1 < sizeof e->what)
		e->what[len++] = ' ';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->what + len, sizeof e->what - len, fmt, ap);
	va_end(ap);
}

/* ---- the hops ---- */

/* ARC sets whose seal lies below field p: there when the field was written (newest fields on top). */
static unsigned sets_below(const struct run_result *r, size_t p)
{
	unsigned k = 0;
	for (unsigned j = 1; j <= r->arc.n; j++)
		if (r->arc.sets[j - 1].as_field > (long)p)
			k = j;
	return k;
}

/* When a signature was made: after the seal of this instance (0 = the origin). */
static unsigned sig_time(const struct run_result *r, const struct dkim_sig *s)
{
	return s->kind == DKIM_KIND_SIGNATURE ? sets_below(r, s->field) : s->instance;
}

static const struct dkim_sig *hop_sig(const struct run_result *r, unsigned j, int seal)
{
	if (j == 0 || j > r->arc.n)
		return NULL;
	const struct arc_set *s = &r->arc.sets[j - 1];
	return seal ? (s->has_as ? &s->as : NULL) : (s->has_ams ? &s->ams : NULL);
}

static int passes(const struct dkim_sig *s)
{
	return s && s->v.result == VERDICT_PASS;
}

/* The domain of hop j: its seal's d=, else its AMS's. */
static const char *hop_domain(const struct run_result *r, unsigned j)
{
	const struct dkim_sig *s = hop_sig(r, j, 1);
	if (!s || !s->d[0])
		s = hop_sig(r, j, 0);
	return s && s->d[0] ? s->d : "";
}

/* ---- signers: a known bug reproduces the hash ---- */

/* The likeliest finding: the first that is not a generic one (a swap, a line end), body first. */
static const struct forensic_finding *primary_finding(const struct forensic_report *fr)
{
	for (size_t i = 0; i < fr->nbody; i++)
		if (!fr->body[i].generic)
			return &fr->body[i];
	for (size_t i = 0; i < fr->nheader; i++)
		if (!fr->header[i].generic)
			return &fr->header[i];
	return fr->nbody ? &fr->body[0] : fr->nheader ? &fr->header[0] : NULL;
}

static const char *sig_owner(const struct dkim_sig *s, char *out, size_t n)
{
	if (s->kind == DKIM_KIND_SIGNATURE)
		snprintf(out, n, "The DKIM-Signature of d=%s", s->d);
	else
		snprintf(out, n, "The %s of hop %u (d=%s)", s->kind == DKIM_KIND_AMS ? "ARC-Message-Signature" : "ARC-Seal",
			 s->instance, s->d);
	return out;
}

/* The other findings that give the same hash: the message cannot tell them apart. */
static void say_alternatives(struct diagnosis_entry *e, const struct forensic_finding *list, size_t n,
			     const struct forensic_finding *skip)
{
	struct buf alt;
	buf_init(&alt, sizeof e->what);
	for (size_t i = 0; i < n; i++)
		if (&list[i] != skip)
			buf_printf(&alt, "%s%s [%s]", alt.len ? "; " : "", list[i].what, list[i].id);
	if (alt.len)
		say(e, "This message cannot tell it apart from: %s (they give the same hash).", alt.data);
	buf_free(&alt);
}

static void signer_entry(struct diag_ctx *x, const struct dkim_sig *s, const struct forensic_report *fr,
			 const struct forensic_finding *p)
{
	struct diagnosis_entry *e = entry_add(x, DIAGNOSIS_SIGNER, DIAGNOSIS_PROVED, s);
	if (!e)
		return;
	snprintf(e->party, sizeof e->party, "%s", s->d);
	e->instance = s->kind == DKIM_KIND_SIGNATURE ? 0 : s->instance;
	e->variant = p->id;
	snprintf(e->rule, sizeof e->rule, "%s", p->rule);
	char owner[320];
	int in_body = p >= fr->body && p < fr->body + fr->nbody;
	say(e, "%s was made with a known non-conformant canonicalization: %s [%s]; that reproduces its %s exactly.",
	    sig_owner(s, owner, sizeof owner), p->what, p->id, in_body ? "bh=" : "b=");
	say_alternatives(e, in_body ? fr->body : fr->header, in_body ? fr->nbody : fr->nheader, p);
	if (in_body && fr->nheader)
		say(e, "Its b= verifies only under a known bug too: %s [%s].", fr->header[0].what, fr->header[0].id);
	if (p->seen_in[0])
		say(e, "Seen in: %s.", p->seen_in);
}

/* ---- signers: the key or the field itself ---- */

static int is_tag_problem(enum verdict_code c)
{
	return c >= VC_TAG_SYNTAX && c <= VC_BAD_BASE64 && c != VC_EXPIRED && c != VC_FUTURE;
}

static int is_key_problem(enum verdict_code c)
{
	return c == VC_NO_KEY || (c >= VC_KEY_SYNTAX && c <= VC_KEY_UNUSABLE);
}

/* A signature that fails for its own field or key, not for what it signs. 1 when an entry was made. */
static int setup_entry(struct diag_ctx *x, const struct dkim_sig *s)
{
	enum verdict_code c = s->v.code;
	int tag = is_tag_problem(c), key = is_key_problem(c), sha1 = c == VC_SHA1;
	if (!tag && !key && !sha1)
		return 0;
	/* consistent, not proved: a signer's bug is proved only by a variant that reproduces its hash, and a
	 * field as it is now may have been rewritten by a later hop, a key may have changed since */
	struct diagnosis_entry *e = entry_add(x, DIAGNOSIS_SIGNER, DIAGNOSIS_CONSISTENT, s);
	if (!e)
		return 1;
	snprintf(e->party, sizeof e->party, "%s", s->d);
	e->instance = s->kind == DKIM_KIND_SIGNATURE ? 0 : s->instance;
	snprintf(e->rule, sizeof e->rule, "%s", key ? "RFC 6376 §6.1.2, §3.6.1" : sha1 ? "RFC 8301 §3.1" : "RFC 6376 §3.5, §6.1.1");
	char owner[320];
	if (key)
		say(e, "%s cannot be verified with the key published now: %s. The signer's domain publishes the key; "
		    "if it changed after the message was sent, give the key of that time with --keys.",
		    sig_owner(s, owner, sizeof owner), s->v.reason);
	else
		say(e, "%s is %s: %s.", sig_owner(s, owner, sizeof owner), sha1 ? "signed with rsa-sha1" : "malformed",
		    s->v.reason);
	return 1;
}

/* ---- modifiers: the message changed after a signature was made ---- */

struct bracket {
	unsigned from;                 /* changed after this instance's seal (0 = the origin) */
	unsigned to;                   /* and before this one's, whose signature verifies; 0 = none does */
};

static int same_body_hash(const struct dkim_sig *a, const struct dkim_sig *b)
{
	return a->bcanon == b->bcanon && sig_alg_hash(a->alg) == sig_alg_hash(b->alg) && a->has_l == b->has_l &&
	       (!a->has_l || a->l == b->l) && a->bh.len == b->bh.len && a->bh.len &&
	       memcmp(a->bh.data, b->bh.data, a->bh.len) == 0;
}

/*
 * RFC 8617 §5.2 per instance: the first later signature of the same kind that verifies closes the
 * bracket (the message is as that hop sealed it); a later AMS that fails with the same body hash as s
 * saw the same body, which moves the start of the bracket up to it.
 */
static struct bracket bracket_of(const struct run_result *r, const struct dkim_sig *s)
{
	struct bracket b = { sig_time(r, s), 0 };
	int seal = s->kind == DKIM_KIND_SEAL;
	for (unsigned j = b.from + 1; j <= r->arc.n && !b.to; j++)
		if (passes(hop_sig(r, j, seal)))
			b.to = j;
	unsigned last = b.to ? b.to - 1 : r->arc.n;
	for (unsigned j = b.from + 1; !seal && s->body_ok == 0 && j <= last; j++) {
		const struct dkim_sig *a = hop_sig(r, j, 0);
		if (a && a->body_ok == 0 && same_body_hash(a, s))
			b.from = j;
	}
	return b;
}

/* Another failing signature hashed the same body as s: two signers saw it, so it changed since. */
static int body_seen_twice(const struct run_result *r, const struct dkim_sig *s)
{
	for (size_t i = 0; i < r->ndkim; i++)
		if (&r->dkim[i] != s && r->dkim[i].body_ok == 0 && same_body_hash(&r->dkim[i], s))
			return 1;
	for (unsigned j = 1; j <= r->arc.n; j++) {
		const struct dkim_sig *a = hop_sig(r, j, 0);
		if (a && a != s && a->body_ok == 0 && same_body_hash(a, s))
			return 1;
	}
	return 0;
}

static void say_where(struct diagnosis_entry *e, const struct run_result *r, struct bracket b)
{
	char after[64];
	if (b.from == 0)
		snprintf(after, sizeof after, "after it was signed");
	else
		snprintf(after, sizeof after, "after hop %u sealed it", b.from);
	if (b.to && b.to == b.from + 1)
		say(e, "The message changed %s and before hop %u sealed it (hop %u's signature verifies), so hop %u "
		    "(%s) changed it.", after, b.to, b.to, b.to, hop_domain(r, b.to));
	else if (b.to)
		say(e, "The message changed %s and before hop %u sealed it (hop %u's signature verifies): one of hops "
		    "%u to %u changed it.", after, b.to, b.to, b.from + 1, b.to);
	else if (r->arc.n)
		say(e, "The message changed %s, and no later signature verifies: it changed after the newest hop "
		    "(i=%u) sealed it, at the receiving system or wherever this copy was stored.", after, r->arc.n);
	else
		say(e, "The message changed %s; no later signature says where (a relay, the receiving system, or "
		    "wherever this copy was stored).", after);
}

/* What changed, as far as one copy shows it (the prefix search, fields above the signature). */
static int say_what_changed(struct diagnosis_entry *e, const struct run_result *r, const struct dkim_sig *s,
			    const struct forensic_report *fr)
{
	struct change c;
	change_init(&c);
	c.labels = 0;
	int known = fr && fr->prefix_found;
	if (known) {
		c.simple_changed = c.relaxed_changed = 1;
		snprintf(c.body_summary, sizeof c.body_summary, "%llu bytes appended after the signed %llu",
			 (unsigned long long)(fr->body_bytes - fr->prefix_bytes), (unsigned long long)fr->prefix_bytes);
	}
	change_fields_above(s, &r->msg, &c.causes);
	int any = known || c.causes.count;
	struct buf text;
	buf_init(&text, sizeof e->what);
	if (any && (s->body_ok != 0 || known))
		change_explain_failure(&c, s, &text);
	if (text.len)
		say(e, "%s", text.data);
	else if (s->body_ok == 0)
		say(e, "No known canonicalization bug reproduces bh=%s: its body was changed after signing (or hashed "
		    "by a bug the catalogue does not know).", fr && fr->prefix_searched ? ", and no prefix of the body does" : "");
	if (s->header_ok == 0 && !c.causes.count && fr && fr->header_examined && !fr->nheader)
		say(e, "b= fails too, under every known header variant; signed fields: %s.", fr->header_notes);
	buf_free(&text);
	change_free(&c);
	return any;
}

static const struct claim *aar_pass_claim(const struct claims *c, unsigned hop, const struct dkim_sig *s)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct claim *cl = &c->v[i];
		if (!cl->from_aar || cl->instance != hop || strcmp(cl->said_word, "pass") != 0)
			continue;
		if (s->kind == DKIM_KIND_SIGNATURE ? cl->sig == s : strcmp(cl->method, "arc") == 0)
			return cl;
	}
	return NULL;
}

/* Hop `to` recorded a pass for s in its AAR and then changed the message: what a mailing list does. */
static int say_expected(struct diagnosis_entry *e, const struct diag_ctx *x, const struct dkim_sig *s, struct bracket b)
{
	if (!b.to || b.to != b.from + 1)
		return 0;
	const struct claim *cl = aar_pass_claim(x->c, b.to, s);
	if (!cl)
		return 0;
	int list = msg_find_field(&x->r->msg, "List-Id", 0) >= 0;
	say(e, "Hop %u (%s) recorded %s=%s in its ARC-Authentication-Results (i=%u) before changing the message: "
	    "what a mailing list does%s. Its ARC set i=%u vouches for the result it recorded (RFC 8617 §4.1.1); "
	    "this is the expected case, not a bug.", b.to, cl->authserv_id, cl->method, cl->said, b.to,
	    list ? " (the message carries a List-Id)" : "", b.to);
	return 1;
}

/* Hops that recorded a pass for s before the change did not see it: their records are explained. */
static void explain_earlier_claims(struct diag_ctx *x, const struct dkim_sig *s, struct bracket b, int expected)
{
	unsigned t = sig_time(x->r, s);
	for (size_t i = 0; i < x->c->n; i++) {
		struct claim *cl = &x->c->v[i];
		int about = s->kind == DKIM_KIND_SIGNATURE ? cl->sig == s : strcmp(cl->method, "arc") == 0 && cl->sets_before >= t;
		if (cl->state != CLAIM_DISAGREES || !about || strcmp(cl->said_word, "pass") != 0 || cl->sets_before > b.from)
			continue;
		char why[300];
		if (expected && cl->sets_before + 1 == b.to)
			snprintf(why, sizeof why, "hop %u recorded this before it changed the message, as a mailing "
				 "list does (see the diagnosis)", b.to);
		else
			snprintf(why, sizeof why, "this hop evaluated the message before it was changed (see the "
				 "diagnosis)");
		claims_explain(x->c, i, why);
	}
}

static void modifier_entry(struct diag_ctx *x, const struct dkim_sig *s, const struct forensic_report *fr,
			   const struct forensic_finding *copy_variant)
{
	struct bracket b = bracket_of(x->r, s);
	struct diagnosis_entry *e = entry_add(x, DIAGNOSIS_MODIFIER, DIAGNOSIS_UNEXPLAINED, s);
	if (!e)
		return;
	e->has_between = 1;
	e->between_from = b.from;
	e->between_to = b.to;
	if (b.to && b.to == b.from + 1) {
		snprintf(e->party, sizeof e->party, "%s", hop_domain(x->r, b.to));
		e->instance = b.to;
	}
	snprintf(e->rule, sizeof e->rule, "%s", s->kind == DKIM_KIND_SEAL ? "RFC 8617 §5.1.1"
		 : s->body_ok == 0 ? "RFC 6376 §3.7" : "RFC 6376 §3.7, §5.4");
	say_where(e, x->r, b);
	int shown = 0;
	if (copy_variant) {
		e->variant = copy_variant->id;
		say(e, "This copy differs from what was signed in a known way: %s [%s] (%s).", copy_variant->what,
		    copy_variant->id, copy_variant->rule);
	} else {
		shown = say_what_changed(e, x->r, s, fr);
		if (fr && fr->prefix_found)
			e->variant = "body-appended";
	}
	int proved = copy_variant || (fr && fr->prefix_found) || (s->body_ok == 0 && body_seen_twice(x->r, s));
	e->evidence = proved ? DIAGNOSIS_PROVED : (b.to || shown) ? DIAGNOSIS_CONSISTENT : DIAGNOSIS_UNEXPLAINED;
	int expected = say_expected(e, x, s, b);
	explain_earlier_claims(x, s, b, expected);
}

/* ---- every failing signature ---- */

static int content_failure(const struct dkim_sig *s)
{
	if (!s->usable || s->v.result == VERDICT_PASS || s->v.result == VERDICT_TEMPERROR)
		return 0;
	return s->body_ok == 0 || (s->header_ok == 0 && s->has_key) || s->v.code == VC_LENGTH;
}

static void diagnose_sig(struct diag_ctx *x, const struct dkim_sig *s)
{
	if (s->v.result == VERDICT_PASS || s->v.result == VERDICT_NONE || setup_entry(x, s) || !content_failure(s))
		return;
	const struct forensic_report *fr = forensics_for(x->f, s);
	const struct forensic_finding *p = fr ? primary_finding(fr) : NULL;
	if (p && !p->copy_changed)
		signer_entry(x, s, fr, p);
	else
		modifier_entry(x, s, fr, p);
}

static int same_change(const struct diagnosis_entry *a, const struct diagnosis_entry *b)
{
	return a->role == DIAGNOSIS_MODIFIER && b->role == DIAGNOSIS_MODIFIER && a->between_from == b->between_from &&
	       a->between_to == b->between_to && strcmp(a->party, b->party) == 0 && a->variant == b->variant;
}

/* One change that breaks several signatures is one cause: the newest signature names it. */
static void merge_modifiers(struct diagnosis *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char also[256] = "";
		for (size_t j = i + 1; j < d->n; j++) {
			if (!same_change(&d->v[i], &d->v[j]))
				continue;
			size_t len = strlen(also);
			snprintf(also + len, sizeof also - len, "%s%s", len ? ", " : "", d->v[i].signature);
			enum diagnosis_evidence ev = d->v[i].evidence < d->v[j].evidence ? d->v[i].evidence : d->v[j].evidence;
			d->v[i] = d->v[j];
			d->v[i].evidence = ev;
			memmove(&d->v[j], &d->v[j + 1], (d->n - j - 1) * sizeof d->v[j]);
			d->n--;
			j--;
		}
		if (also[0])
			say(&d->v[i], "The same change breaks %s too.", also);
	}
}

/* ---- verifiers: what the hops recorded ---- */

static int said(const struct claim *cl, const char *word)
{
	return strcmp(cl->said_word, word) == 0 || (!strcmp(word, "fail") && !strcmp(cl->said_word, "permerror"));
}

static unsigned claim_hop(const struct run_result *r, const struct claim *cl)
{
	if (cl->from_aar)
		return cl->instance;
	unsigned next = cl->sets_before + 1;   /* an A-R that the next hop copied into its AAR is that hop's */
	if (next <= r->arc.n && r->arc.sets[next - 1].aar_field >= 0) {
		char id[sizeof cl->authserv_id];
		slice_copy_printable(r->arc.sets[next - 1].aar.authserv_id, id, sizeof id);
		if (strcmp(id, cl->authserv_id) == 0)
			return next;
	}
	return 0;
}

/* A verifier cause is already named for this hop (and signature, unless sig is NULL). */
static int verifier_known(const struct diagnosis *d, const char *party, const char *sig)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].role == DIAGNOSIS_VERIFIER && !strcmp(d->v[i].party, party) &&
		    (!sig || !strcmp(d->v[i].signature, sig)))
			return 1;
	return 0;
}

/* The signatures a hop must have verified for what it recorded: the dkim= one, or the chain prefix. */
static size_t judged_sigs(const struct run_result *r, const struct claim *cl, const struct dkim_sig **out, size_t max)
{
	size_t n = 0;
	if (strcmp(cl->method, "dkim") == 0) {
		if (cl->sig)
			out[n++] = cl->sig;
		return n;
	}
	if (hop_sig(r, cl->sets_before, 0))
		out[n++] = hop_sig(r, cl->sets_before, 0);           /* RFC 8617 §5.2 step 3 */
	for (unsigned j = cl->sets_before; j >= 1 && n < max; j--)
		if (hop_sig(r, j, 1))
			out[n++] = hop_sig(r, j, 1);                     /* step 5 */
	return n;
}

/* "On this message ams#1 would fail at verifiers that A (who) [a]; that B (who) [b]." per signature. */
static size_t say_risks(struct diagnosis_entry *e, const struct run_result *r, const struct interop *io,
			const struct dkim_sig *const *sigs, size_t n)
{
	size_t shown = 0;
	for (size_t k = 0; k < n; k++) {
		const struct interop_risk *first;
		size_t m = interop_for(io, sigs[k], &first);
		if (!m)
			continue;
		struct buf list;
		buf_init(&list, sizeof e->what);
		for (size_t i = 0; i < m; i++)
			buf_printf(&list, "%sthat %s (%s) [%s]", i ? "; " : "", first[i].what, first[i].verifiers, first[i].id);
		char label[16];
		sig_label(r, sigs[k], label, sizeof label);
		say(e, "On this message %s would fail at verifiers %s.", label, list.data);
		buf_free(&list);
		shown += m;
	}
	return shown;
}

/* "Hop 2 (mx.example)" or "The receiver mx.example" (a record no ARC set of the message is from). */
static void say_hop(struct diagnosis_entry *e, const char *authserv)
{
	if (e->instance)
		say(e, "Hop %u (%s)", e->instance, authserv);
	else
		say(e, "The receiver %s", authserv);
}

/* The first of the judged signatures that has interop risks, and its first risk. */
static const struct dkim_sig *first_with_risk(const struct interop *io, const struct dkim_sig *const *sigs, size_t n,
					      const struct interop_risk **first)
{
	for (size_t k = 0; k < n; k++)
		if (interop_for(io, sigs[k], first))
			return sigs[k];
	*first = NULL;
	return NULL;
}

/* A hop recorded fail for what verifies on the bytes it saw. */
static void verifier_fail_entry(struct diag_ctx *x, size_t ci)
{
	struct claim *cl = &x->c->v[ci];
	const struct dkim_sig *sigs[ARC_MAX_INSTANCES + 1];
	size_t n = judged_sigs(x->r, cl, sigs, ARC_MAX_INSTANCES + 1);
	if (!n)
		return;
	const struct interop_risk *first = NULL;
	const struct dkim_sig *with_risk = first_with_risk(&x->d->interop, sigs, n, &first);
	char label[16];
	sig_label(x->r, with_risk ? with_risk : sigs[0], label, sizeof label);
	if (verifier_known(x->d, cl->authserv_id, label)) {
		if (with_risk)
			claims_explain(x->c, ci, "consistent with a verifier bug this message can trigger (see the diagnosis)");
		return;
	}
	struct diagnosis_entry *e = entry_add(x, DIAGNOSIS_VERIFIER, with_risk ? DIAGNOSIS_CONSISTENT : DIAGNOSIS_UNEXPLAINED,
					      with_risk ? with_risk : sigs[0]);
	if (!e)
		return;
	snprintf(e->party, sizeof e->party, "%s", cl->authserv_id);
	e->instance = claim_hop(x->r, cl);
	e->variant = first ? first->id : NULL;
	snprintf(e->rule, sizeof e->rule, "%s", first ? first->rule : "RFC 6376 §6.1.3");
	say_hop(e, cl->authserv_id);
	say(e, "recorded %s=%s for %s, which verifies on the bytes that hop saw (it verifies now, so nothing it "
	    "covers changed since).", cl->method, cl->said, cl->subject);
	if (with_risk)
		say_risks(e, x->r, &x->d->interop, sigs, n);
	else
		say(e, "No canonicalization bug this message can trigger explains it; more likely the hop's key lookup, "
		    "missing Ed25519 support or a rewrite before verifying.");
	say(e, "%s", NOT_PROVABLE);
	if (with_risk)
		claims_explain(x->c, ci, "consistent with a verifier bug this message can trigger (see the diagnosis)");
}

/* A hop recorded pass for what fails because of a known signer bug: its verifier accepted the bug. */
static void verifier_pass_entry(struct diag_ctx *x, size_t ci)
{
	struct claim *cl = &x->c->v[ci];
	const struct dkim_sig *sigs[ARC_MAX_INSTANCES + 1];
	size_t n = judged_sigs(x->r, cl, sigs, ARC_MAX_INSTANCES + 1);
	for (size_t k = 0; k < n; k++) {
		const struct forensic_report *fr = forensics_for(x->f, sigs[k]);
		const struct forensic_finding *p = fr ? primary_finding(fr) : NULL;
		if (!p || p->copy_changed || sigs[k]->v.result == VERDICT_PASS)
			continue;
		const char *variant = p->id;
		for (size_t i = 0; i < fr->nbody; i++)
			if (!strcmp(fr->body[i].id, "crlf-appended"))
				variant = "crlf-appended";
		struct diagnosis_entry *e = entry_add(x, DIAGNOSIS_VERIFIER, DIAGNOSIS_CONSISTENT, sigs[k]);
		if (!e)
			return;
		snprintf(e->party, sizeof e->party, "%s", cl->authserv_id);
		e->instance = claim_hop(x->r, cl);
		e->variant = variant;
		snprintf(e->rule, sizeof e->rule, "%s", p->rule);
		say_hop(e, cl->authserv_id);
		say(e, "recorded %s=%s for %s, although it verifies only under the known bug %s [%s]: its verifier "
		    "shares the signer's bug, or silently retries with an extra CRLF (as rspamd does, #5590). %s",
		    cl->method, cl->said, e->signature, p->what, p->id, NOT_PROVABLE);
		claims_explain(x->c, ci, "the hop accepted a known signer bug (see the diagnosis)");
		return;
	}
}

/* A seal that says cv=fail about a chain that verifies (its AAR may say nothing about arc=). */
static void seal_cv_entries(struct diag_ctx *x)
{
	const struct arc_chain *ch = &x->r->arc;
	for (unsigned j = 2; j <= ch->n; j++) {
		const struct dkim_sig *as = hop_sig(x->r, j, 1);
		if (!as || strcasecmp(as->cv, "fail") != 0 || arc_prefix_result(ch, j - 1) != VERDICT_PASS)
			continue;
		char party[256];
		slice_copy_printable(ch->sets[j - 1].aar.authserv_id, party, sizeof party);
		if (!party[0])
			snprintf(party, sizeof party, "%.255s", as->d);
		if (verifier_known(x->d, party, NULL))
			continue;   /* its AAR's arc=fail already named it */
		struct diagnosis_entry *e = entry_add(x, DIAGNOSIS_VERIFIER, DIAGNOSIS_UNEXPLAINED, hop_sig(x->r, j - 1, 0));
		if (!e)
			return;
		snprintf(e->party, sizeof e->party, "%s", party);
		e->instance = j;
		snprintf(e->rule, sizeof e->rule, "RFC 8617 §5.2");
		say(e, "Hop %u (%s) sealed with cv=fail, but the chain i=1..%u it received verifies on these bytes.", j,
		    party, j - 1);
		const struct dkim_sig *sigs[ARC_MAX_INSTANCES + 1];
		struct claim probe = { .sets_before = j - 1 };
		snprintf(probe.method, sizeof probe.method, "arc");
		size_t n = judged_sigs(x->r, &probe, sigs, ARC_MAX_INSTANCES + 1);
		if (say_risks(e, x->r, &x->d->interop, sigs, n))
			e->evidence = DIAGNOSIS_CONSISTENT;
		else
			say(e, "No canonicalization bug this message can trigger explains it.");
		say(e, "%s", NOT_PROVABLE);
	}
}

static void diagnose_claims(struct diag_ctx *x)
{
	for (size_t i = 0; i < x->c->n && !x->failed; i++) {
		const struct claim *cl = &x->c->v[i];
		if (cl->state != CLAIM_DISAGREES)
			continue;
		if (said(cl, "fail") && strcmp(cl->ours, "pass") == 0)
			verifier_fail_entry(x, i);
		else if (said(cl, "pass") && strcmp(cl->ours, "fail") == 0)
			verifier_pass_entry(x, i);
	}
	seal_cv_entries(x);
}

/* ---- ranking ---- */

static int entry_cmp(const void *pa, const void *pb)
{
	const struct diagnosis_entry *a = pa, *b = pb;
	if (a->evidence != b->evidence)
		return (int)a->evidence - (int)b->evidence;
	return (int)a->role - (int)b->role;
}

/* A stable sort: entries of the same rank keep the order they were found in. */
static void rank(struct diagnosis *d)
{
	for (size_t i = 1; i < d->n; i++) {
		struct diagnosis_entry tmp = d->v[i];
		size_t j = i;
		while (j > 0 && entry_cmp(&d->v[j - 1], &tmp) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = tmp;
	}
}

static void diagnose_all(struct diag_ctx *x)
{
	const struct run_result *r = x->r;
	for (size_t i = 0; i < r->ndkim; i++)
		diagnose_sig(x, &r->dkim[i]);
	for (unsigned j = 1; j <= r->arc.n; j++) {
		if (hop_sig(r, j, 0))
			diagnose_sig(x, hop_sig(r, j, 0));
		if (hop_sig(r, j, 1))
			diagnose_sig(x, hop_sig(r, j, 1));
	}
	merge_modifiers(x->d);
	diagnose_claims(x);
	rank(x->d);
}

int diagnosis_build(struct diagnosis *d, const struct run_result *r, const struct forensics *f, struct claims *c,
		    int what)
{
	memset(d, 0, sizeof *d);
	if (interop_build(&d->interop, r, f) < 0)
		return -1;
	if (!(what & DIAGNOSE_CAUSES) || !r->msg_open)
		return 0;
	d->computed = 1;
	struct diag_ctx x = { d, r, f, c, 0 };
	diagnose_all(&x);
	return x.failed ? -1 : 0;
}

const char *diagnosis_role_word(enum diagnosis_role r)
{
	static const char *const words[] = { "signer", "modifier", "verifier" };
	return words[r];
}

const char *diagnosis_evidence_word(enum diagnosis_evidence e)
{
	static const char *const words[] = { "proved", "consistent", "unexplained" };
	return words[e];
}

void diagnosis_free(struct diagnosis *d)
{
	interop_free(&d->interop);
	free(d->v);
	d->v = NULL;
	d->n = 0;
	d->computed = 0;
}
