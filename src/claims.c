/* claims: receivers' recorded results (AAR, A-R) beside arcverify's own. */
#include "claims.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"

static struct claim *claim_add(struct claims *c)
{
	struct claim *v = realloc(c->v, (c->n + 1) * sizeof *v);
	if (!v)
		return NULL;
	c->v = v;
	struct claim *cl = &c->v[c->n++];
	memset(cl, 0, sizeof *cl);
	return cl;
}

/* The value of a property such as header.d= in the text after a result. */
static int prop_value(struct slice props, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	for (size_t i = 0; i + n <= props.len; i++) {
		if (strncasecmp(props.ptr + i, name, n) != 0 || (i > 0 && !isspace((unsigned char)props.ptr[i - 1])))
			continue;
		size_t j = i + n;
		while (j < props.len && !strchr(" \t\r\n;()", props.ptr[j]))
			j++;
		slice_copy_printable(slice_make(props.ptr + i + n, j - i - n), out, outlen);
		return j > i + n ? 0 : -1;
	}
	return -1;
}

static void result_text(const struct authres_method *m, char *out, size_t outlen)
{
	char comment[200] = "";
	slice_copy_printable(slice_make(m->comment.ptr, m->comment.len > 48 ? 48 : m->comment.len), comment, sizeof comment);
	if (m->comment.len)
		snprintf(out, outlen, "%.*s (%.90s)", (int)m->result.len, m->result.ptr, comment);
	else
		snprintf(out, outlen, "%.*s", (int)m->result.len, m->result.ptr);
}

static int words_agree(const char *said, const char *ours)
{
	return strcasecmp(said, ours) == 0;
}

static int comment_says(const struct authres_method *m, const char *text)
{
	size_t n = strlen(text);
	for (size_t i = 0; i + n <= m->comment.len; i++)
		if (strncasecmp(m->comment.ptr + i, text, n) == 0)
			return 1;
	return 0;
}

/*
 * The hop's result as an RFC 8601 word, read as the receivers mean it: Yahoo writes
 * "dkim=dkim_pass", Gmail "dkim=neutral (body hash did not verify)" for a body hash mismatch.
 */
static void result_word(const struct authres_method *m, char *out, size_t outlen)
{
	struct slice w = m->result;
	if (w.len > m->method.len + 1 && strncasecmp(w.ptr, m->method.ptr, m->method.len) == 0 &&
	    w.ptr[m->method.len] == '_')
		w = slice_make(w.ptr + m->method.len + 1, w.len - m->method.len - 1);
	slice_copy_printable(w, out, outlen);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(out, "neutral") == 0 && slice_caseeq_str(m->method, "dkim") &&
	    (comment_says(m, "body hash did not verify") || comment_says(m, "signature did not verify")))
		snprintf(out, outlen, "fail");
}

static void disagree(struct claim *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void disagree(struct claim *cl, const char *fmt, ...)
{
	cl->state = CLAIM_DISAGREES;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cl->note, sizeof cl->note, fmt, ap);
	va_end(ap);
}

static void set_state(struct claim *cl, enum claim_state st, const char *note)
{
	cl->state = st;
	snprintf(cl->note, sizeof cl->note, "%s", note);
}

/* A signature can be what a claim is about only if it was there when the claim was written: below it. */
static int existed_before(const struct dkim_sig *s, long claim_field)
{
	return claim_field < 0 || (long)s->field > claim_field;
}

/* Which of our DKIM signatures a dkim= result describes: by header.b prefix (RFC 6008), else d= and s=. */
static const struct dkim_sig *match_dkim(const struct run_result *r, const char *hd, const char *hs, const char *hb,
					 long claim_field)
{
	for (size_t i = 0; hb[0] && i < r->ndkim; i++) {
		const struct tag *b = tags_find(&r->dkim[i].tags, "b");
		struct buf nofws;
		buf_init(&nofws, 8192);
		int hit = b && tags_value_nofws(b->value, &nofws) == 0 && strncmp(nofws.data, hb, strlen(hb)) == 0;
		buf_free(&nofws);
		if (hit && existed_before(&r->dkim[i], claim_field))
			return &r->dkim[i];
	}
	for (size_t i = 0; hd[0] && i < r->ndkim; i++)
		if (strcasecmp(r->dkim[i].d, hd) == 0 && (!hs[0] || strcasecmp(r->dkim[i].s, hs) == 0) &&
		    existed_before(&r->dkim[i], claim_field))
			return &r->dkim[i];
	return NULL;
}

/* header.d=, or the domain of header.i= ("@d" as Yahoo writes it); header.s= without Yahoo's "@". */
static void dkim_props(const struct authres_method *m, char *hd, size_t dlen, char *hs, size_t slen, char *hb,
		       size_t blen)
{
	prop_value(m->props, "header.d=", hd, dlen);
	if (!hd[0] && prop_value(m->props, "header.i=", hd, dlen) == 0) {
		const char *at = strrchr(hd, '@');
		if (at)
			memmove(hd, at + 1, strlen(at + 1) + 1);
	}
	prop_value(m->props, "header.s=", hs, slen);
	if (hs[0] == '@')
		memmove(hs, hs + 1, strlen(hs));
	prop_value(m->props, "header.b=", hb, blen);
	if (hb[0] == '"') {             /* Gmail quotes header.b when it holds / or + */
		memmove(hb, hb + 1, strlen(hb));
		char *q = strchr(hb, '"');
		if (q)
			*q = '\0';
	}
}

static void dkim_claim(struct claim *cl, const struct run_result *r, const struct authres_method *m, long field)
{
	char hd[256] = "", hs[128] = "", hb[128] = "";
	dkim_props(m, hd, sizeof hd, hs, sizeof hs, hb, sizeof hb);
	snprintf(cl->subject, sizeof cl->subject, "DKIM d=%.80s%s%.40s%s%.16s", hd[0] ? hd : "?", hs[0] ? " s=" : "",
		 hs, hb[0] ? " b=" : "", hb);
	const struct dkim_sig *s = match_dkim(r, hd, hs, hb, field);
	cl->sig = s;
	if (!s) {
		set_state(cl, CLAIM_NOT_COMPARED, "no DKIM-Signature of the message now matches it (removed or replaced "
			  "by a later hop?)");
		return;
	}
	snprintf(cl->ours, sizeof cl->ours, "%s", verdict_word(s->v.result));
	if (s->v.result == VERDICT_TEMPERROR) {
		set_state(cl, CLAIM_UNCHECKED, "could not check: arcverify's own result is a temperror");
		snprintf(cl->note + strlen(cl->note), sizeof cl->note - strlen(cl->note), " (%.200s)", s->v.reason);
	} else if (words_agree(cl->said_word, cl->ours)) {
		cl->state = CLAIM_AGREES;
	} else if (s->v.result != VERDICT_PASS) {
		disagree(cl, "%.100s now; the message may have been changed after this hop evaluated it, or the hop "
			 "accepted what the RFC refuses", s->v.reason);
	} else {
		disagree(cl, "the signature verifies now: the hop's verifier or its keys differ");
	}
}

static void arc_claim(struct claim *cl, const struct run_result *r, unsigned prefix, const struct arc_set *own)
{
	snprintf(cl->subject, sizeof cl->subject, prefix ? "ARC chain i=1..%u" : "ARC chain (no sets yet)", prefix);
	enum verdict_result ours = arc_prefix_result(&r->arc, prefix);
	snprintf(cl->ours, sizeof cl->ours, "%s", verdict_word(ours));
	if (ours == VERDICT_TEMPERROR)
		set_state(cl, CLAIM_UNCHECKED, "could not check: a key of the chain could not be fetched (temperror)");
	else if (words_agree(cl->said_word, cl->ours))
		cl->state = CLAIM_AGREES;
	else if (own && own->has_as && own->as.cv[0] && strcasecmp(cl->said_word, own->as.cv) != 0)
		disagree(cl, "the same hop's ARC-Seal says cv=%s", own->as.cv);
	else if (ours == VERDICT_FAIL)
		disagree(cl, "the chain i=1..%u fails on the message as it is now; it may have been changed after this "
			 "hop sealed", prefix);
	else
		disagree(cl, "the chain i=1..%u verifies on these bytes: the hop's verifier or its keys differ", prefix);
}

/* Where a claim comes from, and what the hop could see when it wrote it. */
struct claim_source {
	const struct authres *ar;
	int aar;
	unsigned prefix;               /* ARC sets below the field */
	const struct arc_set *own;     /* the AAR's own set, or NULL */
	long field;                    /* the field's index */
};

static void fill_claim(struct claim *cl, const struct claim_source *src, const struct authres_method *m, int is_arc)
{
	cl->from_aar = src->aar;
	cl->instance = src->aar ? src->ar->instance : 0;
	cl->sets_before = src->prefix;
	slice_copy_printable(src->ar->authserv_id, cl->authserv_id, sizeof cl->authserv_id);
	snprintf(cl->method, sizeof cl->method, "%s", is_arc ? "arc" : "dkim");
	result_text(m, cl->said, sizeof cl->said);
	result_word(m, cl->said_word, sizeof cl->said_word);
}

static int add_method_claims(struct claims *c, const struct run_result *r, const struct run_opts *o,
			     const struct claim_source *src)
{
	for (size_t k = 0; k < src->ar->nmethods; k++) {
		const struct authres_method *m = &src->ar->methods[k];
		int is_arc = slice_caseeq_str(m->method, "arc"), is_dkim = slice_caseeq_str(m->method, "dkim");
		if (!is_arc && !is_dkim)
			continue;
		struct claim *cl = claim_add(c);
		if (!cl)
			return -1;
		fill_claim(cl, src, m, is_arc);
		if (is_arc && !o->do_arc)
			set_state(cl, CLAIM_NOT_COMPARED, "not compared: ARC was not evaluated (--dkim-only)");
		else if (is_dkim && !o->do_dkim)
			set_state(cl, CLAIM_NOT_COMPARED, "not compared: DKIM was not evaluated (--arc-only)");
		else if (is_arc)
			arc_claim(cl, r, src->prefix, src->own);
		else
			dkim_claim(cl, r, m, src->field);
		cl->agree = cl->state != CLAIM_DISAGREES;
	}
	return 0;
}

/* ARC sets whose seal lies below field p were there when that field was written (newest fields on top). */
static unsigned sets_below(const struct run_result *r, size_t p)
{
	unsigned k = 0;
	for (unsigned j = 1; j <= r->arc.n; j++)
		if (r->arc.sets[j - 1].as_field > (long)p)
			k = j;
	return k;
}

int claims_build(struct claims *c, const struct run_result *r, const struct run_opts *o)
{
	memset(c, 0, sizeof *c);
	if (!r->msg_open)
		return 0;
	for (unsigned i = 1; i <= r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i - 1];
		struct claim_source src = { &set->aar, 1, i - 1, set, set->aar_field };
		if (set->aar_field >= 0 && add_method_claims(c, r, o, &src) < 0)
			return -1;
	}
	for (long f = msg_find_field(&r->msg, "Authentication-Results", 0); f >= 0;
	     f = msg_find_field(&r->msg, "Authentication-Results", (size_t)f + 1)) {
		struct authres ar;
		authres_parse(r->msg.fields[f].value, 0, &ar);
		struct claim_source src = { &ar, 0, sets_below(r, (size_t)f), NULL, f };
		if (add_method_claims(c, r, o, &src) < 0)
			return -1;
	}
	return 0;
}

void claims_explain(struct claims *c, size_t i, const char *why)
{
	if (i >= c->n || c->v[i].state != CLAIM_DISAGREES)
		return;
	c->v[i].state = CLAIM_EXPLAINED;
	c->v[i].agree = 1;
	snprintf(c->v[i].note, sizeof c->v[i].note, "%s", why);
}

const char *claims_state_word(enum claim_state st)
{
	static const char *const words[] = { "agrees", "disagrees", "explained", "unchecked", "not-compared" };
	return (unsigned)st < sizeof words / sizeof words[0] ? words[st] : "";
}

size_t claims_disagreements(const struct claims *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->v[i].state == CLAIM_DISAGREES;
	return n;
}

void claims_free(struct claims *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
