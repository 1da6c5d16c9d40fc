/* claims: receivers' recorded results (AAR, A-R) beside arcverify's own. */
#include "claims.h"

#include <ctype.h>
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

/* The chain as hop k+1 found it: sets 1..k; "none" when k is 0 (RFC 8617 §5.2 applied to a prefix). */
static const char *chain_prefix_word(const struct run_result *r, unsigned k)
{
	if (k == 0)
		return "none";
	if (k == r->arc.n && r->arc.result != VERDICT_NONE)
		return verdict_word(r->arc.result);
	for (unsigned j = 1; j <= k; j++) {
		const struct arc_set *s = &r->arc.sets[j - 1];
		if (!s->has_as || s->as.v.result != VERDICT_PASS || s->aar_count != 1 || s->ams_count != 1 ||
		    s->as_count != 1)
			return "fail";
	}
	const struct arc_set *top = &r->arc.sets[k - 1];
	return top->has_ams && top->ams.v.result == VERDICT_PASS ? "pass" : "fail";
}

/* Claims hold display text: whatever a hop wrote is made printable once, here (buf_append_printable). */
static void printable_copy(struct slice s, char *out, size_t outlen)
{
	struct buf b;
	buf_init(&b, 4 * s.len + 1);
	buf_append_printable(&b, s.ptr, s.len);
	slice_copy(slice_make(b.data ? b.data : "", b.len), out, outlen);
	buf_free(&b);
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
		printable_copy(slice_make(props.ptr + i + n, j - i - n), out, outlen);
		return j > i + n ? 0 : -1;
	}
	return -1;
}

static void result_text(const struct authres_method *m, char *out, size_t outlen)
{
	char comment[200] = "";
	printable_copy(slice_make(m->comment.ptr, m->comment.len > 48 ? 48 : m->comment.len), comment, sizeof comment);
	if (m->comment.len)
		snprintf(out, outlen, "%.*s (%.90s)", (int)m->result.len, m->result.ptr, comment);
	else
		snprintf(out, outlen, "%.*s", (int)m->result.len, m->result.ptr);
}

static int words_agree(const char *said, const char *ours)
{
	size_t n = strcspn(said, " ");
	return strlen(ours) == n && strncasecmp(said, ours, n) == 0;
}

/* Which of our DKIM signatures a dkim= result describes: by header.b prefix (RFC 6008), else d= and s=. */
static const struct dkim_sig *match_dkim(const struct run_result *r, const char *hd, const char *hs, const char *hb)
{
	for (size_t i = 0; hb[0] && i < r->ndkim; i++) {
		const struct tag *b = tags_find(&r->dkim[i].tags, "b");
		struct buf nofws;
		buf_init(&nofws, 8192);
		int hit = b && tags_value_nofws(b->value, &nofws) == 0 && strncmp(nofws.data, hb, strlen(hb)) == 0;
		buf_free(&nofws);
		if (hit)
			return &r->dkim[i];
	}
	for (size_t i = 0; hd[0] && i < r->ndkim; i++)
		if (strcasecmp(r->dkim[i].d, hd) == 0 && (!hs[0] || strcasecmp(r->dkim[i].s, hs) == 0))
			return &r->dkim[i];
	return NULL;
}

static void dkim_claim(struct claim *cl, const struct run_result *r, const struct authres_method *m)
{
	char hd[256] = "", hs[128] = "", hb[128] = "";
	prop_value(m->props, "header.d=", hd, sizeof hd);
	if (!hd[0] && prop_value(m->props, "header.i=", hd, sizeof hd) == 0) {
		const char *at = strrchr(hd, '@');
		if (at)
			memmove(hd, at + 1, strlen(at + 1) + 1);
	}
	prop_value(m->props, "header.s=", hs, sizeof hs);
	prop_value(m->props, "header.b=", hb, sizeof hb);
	snprintf(cl->subject, sizeof cl->subject, "DKIM d=%.80s%s%.40s%s%.16s", hd[0] ? hd : "?", hs[0] ? " s=" : "",
		 hs, hb[0] ? " b=" : "", hb);
	const struct dkim_sig *s = match_dkim(r, hd, hs, hb);
	if (!s) {
		snprintf(cl->note, sizeof cl->note, "no DKIM-Signature of the message now matches it (removed or replaced "
			 "by a later hop?)");
		cl->agree = 1;
		return;
	}
	snprintf(cl->ours, sizeof cl->ours, "%s", verdict_word(s->v.result));
	cl->agree = words_agree(cl->said, cl->ours);
	if (!cl->agree && s->v.result != VERDICT_PASS)
		snprintf(cl->note, sizeof cl->note, "%.100s now; the message may have been changed after this hop "
			 "evaluated it, or the hop accepted what the RFC refuses", s->v.reason);
	else if (!cl->agree)
		snprintf(cl->note, sizeof cl->note, "the signature verifies now: the hop's verifier or its keys differ");
}

static void arc_claim(struct claim *cl, const struct run_result *r, unsigned prefix, const struct arc_set *own)
{
	snprintf(cl->subject, sizeof cl->subject, prefix ? "ARC chain i=1..%u" : "ARC chain (no sets yet)", prefix);
	snprintf(cl->ours, sizeof cl->ours, "%s", chain_prefix_word(r, prefix));
	cl->agree = words_agree(cl->said, cl->ours);
	if (own && own->has_as && own->as.cv[0] && !words_agree(cl->said, own->as.cv))
		snprintf(cl->note, sizeof cl->note, "the same hop's ARC-Seal says cv=%s", own->as.cv);
	else if (!cl->agree && strcmp(cl->ours, "fail") == 0)
		snprintf(cl->note, sizeof cl->note, "an older signature fails on the message as it is now; it may have "
			 "been changed after this hop sealed");
}

static int add_method_claims(struct claims *c, const struct run_result *r, const struct authres *ar, int aar,
			     unsigned prefix, const struct arc_set *own)
{
	for (size_t k = 0; k < ar->nmethods; k++) {
		const struct authres_method *m = &ar->methods[k];
		int is_arc = slice_caseeq_str(m->method, "arc"), is_dkim = slice_caseeq_str(m->method, "dkim");
		if (!is_arc && !is_dkim)
			continue;
		struct claim *cl = claim_add(c);
		if (!cl)
			return -1;
		cl->from_aar = aar;
		cl->instance = aar ? ar->instance : 0;
		printable_copy(ar->authserv_id, cl->authserv_id, sizeof cl->authserv_id);
		snprintf(cl->method, sizeof cl->method, "%s", is_arc ? "arc" : "dkim");
		result_text(m, cl->said, sizeof cl->said);
		if (is_arc)
			arc_claim(cl, r, prefix, own);
		else
			dkim_claim(cl, r, m);
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

int claims_build(struct claims *c, const struct run_result *r)
{
	memset(c, 0, sizeof *c);
	if (!r->msg_open)
		return 0;
	for (unsigned i = 1; i <= r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i - 1];
		if (set->aar_field >= 0 && add_method_claims(c, r, &set->aar, 1, i - 1, set) < 0)
			return -1;
	}
	for (long f = msg_find_field(&r->msg, "Authentication-Results", 0); f >= 0;
	     f = msg_find_field(&r->msg, "Authentication-Results", (size_t)f + 1)) {
		struct authres ar;
		authres_parse(r->msg.fields[f].value, 0, &ar);
		if (add_method_claims(c, r, &ar, 0, sets_below(r, (size_t)f), NULL) < 0)
			return -1;
	}
	return 0;
}

size_t claims_disagreements(const struct claims *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += !c->v[i].agree;
	return n;
}

void claims_free(struct claims *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
