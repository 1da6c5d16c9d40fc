/* report: text, JSON Lines and Authentication-Results output of a run_result. */
#include "report.h"

#include <ctype.h>
#include <string.h>

#include "b64.h"
#include "json.h"

/* ---- shared helpers ---- */

static const char *color_of(enum verdict_result r)
{
	switch (r) {
	case VERDICT_PASS: return "\033[32m";
	case VERDICT_TEMPERROR: return "\033[33m";
	case VERDICT_NONE: return "\033[2m";
	default: return "\033[31m";
	}
}

static void put_result(struct buf *out, enum verdict_result r, int width, const struct report_opts *o)
{
	const char *w = verdict_word(r);
	if (o->color)
		buf_printf(out, "%s%-*s\033[0m", color_of(r), width, w);
	else
		buf_printf(out, "%-*s", width, w);
}

static const char *key_source_word(const struct keyans *a)
{
	return a && a->source == KEYANS_SRC_KEYS ? "keys" : "dns";
}

static void canon_pair(const struct dkim_sig *s, char *dst, size_t len)
{
	if (s->kind == DKIM_KIND_SEAL)
		snprintf(dst, len, "relaxed");
	else if (s->usable)
		snprintf(dst, len, "%s/%s", canon_name(s->hcanon), canon_name(s->bcanon));
	else
		snprintf(dst, len, "%s", s->c[0] ? s->c : "-");
}

/* Show header data line by line with CR and LF made visible, so the reader sees exactly what was hashed. */
static void put_visible(struct buf *out, const char *data, size_t len, const char *indent)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && data[i] != '\n')
			continue;
		size_t end = i < len ? i + 1 : i;  /* the LF stays with its line, shown as \n */
		if (end > start) {
			buf_append_str(out, indent);
			buf_append_printable(out, data + start, end - start);
			buf_append_byte(out, '\n');
		}
		start = end;
	}
}

/* ---- text ---- */

/*
 * Every text that can come from a message, a key record, a file name or the command line goes
 * through buf_printf_printable (buf.h), pieces of a line at a time; line ends are ours (nl).
 */
#define say buf_printf_printable

static void nl(struct buf *out)
{
	buf_append_byte(out, '\n');
}

static void text_key_brief(struct buf *out, const struct dkim_sig *s)
{
	if (s->has_key)
		buf_printf(out, " key=%s-%u", keyrec_type_name(s->key.type), s->key.bits);
}

static void text_sig_line(struct buf *out, const char *prefix, const char *label, const struct dkim_sig *s,
			  const struct report_opts *o)
{
	char c[48];
	canon_pair(s, c, sizeof c);
	say(out, "%s%s ", prefix, label);
	put_result(out, s->v.result, 9, o);
	say(out, " d=%s s=%s a=%s", s->d[0] ? s->d : "-", s->s[0] ? s->s : "-", s->a[0] ? s->a : "-");
	if (s->kind != DKIM_KIND_SEAL)
		say(out, " c=%s", c);
	text_key_brief(out, s);
	say(out, "  %s", s->v.reason);
	nl(out);
}

static void text_signed_fields(struct buf *out, const struct dkim_sig *s, const char *ind)
{
	if (s->kind == DKIM_KIND_SEAL || !s->usable)
		return;
	say(out, "%ssigned fields:", ind);
	for (size_t i = 0; i < s->nh; i++) {
		say(out, " %.*s", (int)s->h[i].len, s->h[i].ptr);
		if (s->selected[i] < 0)
			buf_append_str(out, "(absent)");
	}
	nl(out);
}

static void text_key_records(struct buf *out, const struct dkim_sig *s, const struct keyans *a,
			     const char *ind)
{
	for (size_t r = 0; r < a->nrecords; r++) {
		const struct keyans_txt *t = &a->records[r];
		say(out, "%s  record %zu%s%s%s: \"", ind, r + 1, (long)r == s->record_used ? " (used)" : "",
		    t->when[0] ? " valid " : "", t->when);
		buf_append_printable(out, t->text, t->len);
		buf_append_byte(out, '"');
		nl(out);
		if (t->origin[0]) {
			say(out, "%s    at %s", ind, t->origin);
			nl(out);
		}
	}
}

static void text_key_detail(struct buf *out, const struct dkim_sig *s, const char *ind)
{
	const struct keyans *a = s->answer;
	if (!a)
		return;
	say(out, "%skey: %s from %s (%s)", ind, s->keyname, key_source_word(a), a->server[0] ? a->server : "resolver");
	if (a->status != KEYANS_OK) {
		say(out, ": %s %s", keyans_status_word(a->status), a->detail);
		nl(out);
		return;
	}
	if (a->source == KEYANS_SRC_DNS)
		buf_printf(out, " ttl=%u%s", a->ttl, a->ad ? " AD" : "");
	if (a->cnames)
		say(out, " via %u CNAME%s to %s", a->cnames, a->cnames > 1 ? "s" : "", a->target);
	nl(out);
	text_key_records(out, s, a, ind);
	if (s->has_key) {
		say(out, "%s  %s %u bits%s%s%s", ind, keyrec_type_name(s->key.type), s->key.bits,
		    s->key.pkcs1 ? ", PKCS#1 form" : "", s->key.testing ? ", t=y (testing)" : "",
		    s->key.strict ? ", t=s" : "");
		if (s->key.has_fingerprint) {
			char fp[64];
			b64_encode_to(s->key.fingerprint, 32, fp, sizeof fp);
			buf_printf(out, ", SPKI sha256 %s", fp);
		}
		nl(out);
	}
}

static void text_sig_detail(struct buf *out, const struct dkim_sig *s, const char *ind)
{
	text_signed_fields(out, s, ind);
	if (s->body) {
		say(out, "%sbody: %s %s", ind, canon_name(s->bcanon), hash_name(s->body->alg));
		if (s->has_l)
			buf_printf(out, " l=%llu", (unsigned long long)s->l);
		buf_printf(out, ", canonical body %llu bytes, %llu hashed\n",
			   (unsigned long long)s->body->canon_len, (unsigned long long)s->body->hashed);
		say(out, "%sbh expected: %s", ind, s->bh_expected);
		nl(out);
		say(out, "%sbh computed: %s%s", ind, s->bh_computed[0] ? s->bh_computed : "-",
		    s->body_ok == 1 ? " (match)" : s->body_ok == 0 ? " (MISMATCH)" : "");
		nl(out);
	}
	if (s->header_ok >= 0) {
		say(out, "%sheader signature: %s", ind, s->header_ok ? "verifies" : "does not verify");
		nl(out);
	}
	text_key_detail(out, s, ind);
	if (s->hdata.len) {
		say(out, "%sheader data hashed (%zu bytes):", ind, s->hdata.len);
		nl(out);
		char deeper[32];
		snprintf(deeper, sizeof deeper, "%s  | ", ind);
		put_visible(out, s->hdata.data, s->hdata.len, deeper);
	}
}

static void text_finding(struct buf *out, const char *ind, const char *kind, const struct forensic_finding *f)
{
	say(out, "%s%s: %s [%s]", ind, kind, f->what, f->id);
	nl(out);
	say(out, "%s  breaks %s", ind, f->rule);
	if (f->seen_in[0])
		say(out, "; seen in %s", f->seen_in);
	nl(out);
}

/* Variants that reproduce one hash coincide on this message: one finding, the likeliest first. */
static void text_findings(struct buf *out, const char *ind, const char *kind, const struct forensic_finding *f,
			  size_t n)
{
	if (n == 0)
		return;
	text_finding(out, ind, kind, &f[0]);
	if (n == 1)
		return;
	say(out, "%s  equally reproduced by (this message cannot tell them apart):", ind);
	for (size_t i = 1; i < n; i++)
		say(out, "%s %s [%s]", i > 1 ? ";" : "", f[i].what, f[i].id);
	nl(out);
}

static void text_tried(struct buf *out, const char *ind, const char *what, size_t tried, const char *tail)
{
	if (tried)
		say(out, "%sunexplained: %s under none of %zu known variants%s", ind, what, tried, tail);
	else
		say(out, "%sunexplained: %s, and no known variant applies to this signature%s", ind, what, tail);
	nl(out);
}

/* What forensics found for one signature (text). */
static void text_forensics(struct buf *out, const struct forensic_report *fr, const char *ind)
{
	if (!fr)
		return;
	if (fr->body_examined) {
		text_findings(out, ind, "explained: bh= reproduced by", fr->body, fr->nbody);
		if (fr->prefix_found) {
			say(out, "%sexplained: the first %llu bytes of the body match bh=; %llu bytes were appended "
			    "after signing (typical of a list footer)", ind, (unsigned long long)fr->prefix_bytes,
			    (unsigned long long)(fr->body_bytes - fr->prefix_bytes));
			nl(out);
		}
		if (fr->nbody == 0 && !fr->prefix_found)
			text_tried(out, ind, "bh= is reproduced", fr->body_tried,
				   fr->prefix_searched ? ", and no prefix of the body matches" : "");
	}
	if (fr->header_examined) {
		text_findings(out, ind, "explained: b= verifies with", fr->header, fr->nheader);
		if (fr->nheader == 0) {
			char tail[700];
			snprintf(tail, sizeof tail, "%s%s", fr->header_notes[0] ? "; signed fields: " : "", fr->header_notes);
			text_tried(out, ind, "b= verifies", fr->header_tried, tail);
		}
	}
}

/* The known verifier bugs this verifying signature would trip on this message. */
static void text_interop(struct buf *out, const struct report_input *in, const struct dkim_sig *s, const char *ind)
{
	if (!in->diagnosis || !in->diagnosis->interop.computed)
		return;
	const struct interop_risk *first;
	size_t n = interop_for(&in->diagnosis->interop, s, &first);
	for (size_t i = 0; i < n; i++) {
		say(out, "%sinterop: would fail at verifiers that %s [%s]; %s; breaks %s", ind, first[i].what,
		    first[i].id, first[i].verifiers, first[i].rule);
		nl(out);
	}
}

static int shows_evidence(const struct report_opts *o)
{
	return o->explain || o->verbose || o->interop;
}

/* The diagnosis, at the top of the message's block: who is at fault, most likely first. */
static void text_diagnosis(struct buf *out, const struct diagnosis *d)
{
	if (!d || !d->computed || !d->n)
		return;
	buf_printf(out, "  diagnosis (%zu cause%s, most likely first):\n", d->n, d->n == 1 ? "" : "s");
	for (size_t i = 0; i < d->n; i++) {
		const struct diagnosis_entry *e = &d->v[i];
		say(out, "    %zu. %s %s", i + 1, diagnosis_role_word(e->role), e->party[0] ? e->party : "(not named)");
		if (e->instance)
			buf_printf(out, " (ARC i=%u)", e->instance);
		buf_printf(out, ", %s: %s", e->signature, diagnosis_evidence_word(e->evidence));
		if (e->has_between && e->between_to)
			buf_printf(out, ", between i=%u and i=%u", e->between_from, e->between_to);
		else if (e->has_between)
			buf_printf(out, ", after i=%u", e->between_from);
		buf_printf(out, " [%s%s%s]\n", e->variant ? e->variant : "", e->variant ? "; " : "", e->rule);
		buf_append_str(out, "       ");
		buf_append_printable(out, e->what, strlen(e->what));
		nl(out);
	}
}

static void text_aar(struct buf *out, const struct arc_set *set, const char *ind)
{
	if (set->aar_field < 0) {
		say(out, "%sAAR (missing)", ind);
		nl(out);
		return;
	}
	const struct authres *ar = &set->aar;
	say(out, "%sAAR %.*s:", ind, (int)ar->authserv_id.len, ar->authserv_id.ptr);
	if (ar->none)
		buf_append_str(out, " none");
	for (size_t k = 0; k < ar->nmethods; k++) {
		const struct authres_method *me = &ar->methods[k];
		say(out, " %.*s=%.*s", (int)me->method.len, me->method.ptr, (int)me->result.len, me->result.ptr);
		if (me->comment.len)
			say(out, " (%.*s)", (int)(me->comment.len > 60 ? 60 : me->comment.len), me->comment.ptr);
	}
	nl(out);
}

static void text_arc_set(struct buf *out, const struct report_input *in, const struct arc_set *set, unsigned i,
			 const struct report_opts *o)
{
	static const char pad[] = "                   ";   /* as wide as first */
	static const char fx_ind[] = "                         ";
	static const char detail_ind[] = "                        ";
	char first[64];
	snprintf(first, sizeof first, "    i=%-3u cv=%-5.5s ", i, set->has_as && set->as.cv[0] ? set->as.cv : "-");
	if (set->has_as) {
		text_sig_line(out, first, "AS ", &set->as, o);
	} else {
		say(out, "%sAS  (missing)", first);
		nl(out);
	}
	if (set->has_as && shows_evidence(o)) {
		text_forensics(out, forensics_for(in->forensics, &set->as), fx_ind);
		text_interop(out, in, &set->as, fx_ind);
	}
	if (set->has_ams)
		text_sig_line(out, pad, "AMS", &set->ams, o);
	else
		buf_printf(out, "%sAMS (missing)\n", pad);
	if (set->has_ams && shows_evidence(o)) {
		text_forensics(out, forensics_for(in->forensics, &set->ams), fx_ind);
		text_interop(out, in, &set->ams, fx_ind);
	}
	text_aar(out, set, pad);
	if (!o->verbose)
		return;
	if (set->has_ams) {
		buf_printf(out, "%s    AMS detail:\n", pad);
		text_sig_detail(out, &set->ams, detail_ind);
	}
	if (set->has_as) {
		buf_printf(out, "%s    AS detail:\n", pad);
		text_sig_detail(out, &set->as, detail_ind);
	}
}

static void text_arc(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	const struct arc_chain *c = &in->run->arc;
	buf_append_str(out, "  ARC      ");
	put_result(out, c->result, 9, o);
	if (c->result == VERDICT_PASS)
		buf_printf(out, " i=%u oldest-pass=%d ", c->n, c->oldest_pass);
	say(out, " %s", c->reason);
	nl(out);
	for (unsigned i = c->n; i >= 1; i--)
		text_arc_set(out, in, &c->sets[i - 1], i, o);
}
static void text_notes(struct buf *out, const struct run_result *r, int verbose)
{
	if (!r->msg_open)
		return;
	if (r->msg.bom_skipped)   /* always said: the input was edited */
		buf_append_str(out, "  note: a UTF-8 byte order mark before the first field was skipped\n");
	if (!verbose)
		return;
	if (r->msg.mbox_from)
		buf_append_str(out, "  note: skipped a leading mbox \"From \" envelope line\n");
	if (r->msg.lf_converted)
		buf_printf(out, "  note: %llu bare LF line ends converted to CRLF before verifying (--no-crlf keeps them)\n",
			   (unsigned long long)r->msg.lf_converted);
	if (!r->msg.has_separator)
		buf_append_str(out, "  note: no empty line after the header block: the message has no body\n");
}

static const char *claim_mark(const struct claim *cl)
{
	switch (cl->state) {
	case CLAIM_DISAGREES: return "   <- DISAGREES";
	case CLAIM_EXPLAINED: return "   (explained)";
	case CLAIM_UNCHECKED: return "   (could not check)";
	case CLAIM_NOT_COMPARED: return "   (not compared)";
	default: return "";
	}
}

static void text_claim(struct buf *out, const struct claim *cl)
{
	char src[64];
	if (cl->from_aar)
		snprintf(src, sizeof src, "AAR i=%u", cl->instance);
	else
		snprintf(src, sizeof src, "A-R");
	say(out, "    %-9s %s: %s=%s about %s; arcverify: %s%s", src, cl->authserv_id, cl->method, cl->said, cl->subject,
	    cl->ours[0] ? cl->ours : "-", claim_mark(cl));
	nl(out);
	if (cl->note[0]) {
		say(out, "              %s", cl->note);
		nl(out);
	}
}

/* Unexplained disagreements always; with -v every claim, explained ones with their reason. */
static void text_claims(struct buf *out, const struct claims *c, const struct report_opts *o)
{
	if (!c)
		return;
	size_t shown = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].state != CLAIM_DISAGREES && !o->verbose)
			continue;
		if (shown++ == 0)
			buf_append_str(out, "  what the hops recorded, beside arcverify:\n");
		text_claim(out, &c->v[i]);
	}
}

static void text_lint(struct buf *out, const struct lint *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		say(out, "  warning: %s: %s [%s]", l->v[i].where, l->v[i].text, l->v[i].code);
		nl(out);
	}
}

static void text_dkim(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	const struct run_result *r = in->run;
	if (r->ndkim == 0)
		buf_append_str(out, "  DKIM     none      no DKIM-Signature fields\n");
	for (size_t i = 0; i < r->ndkim; i++) {
		char label[32];
		snprintf(label, sizeof label, "DKIM #%-2zu", i + 1);
		text_sig_line(out, "  ", label, &r->dkim[i], o);
		if (shows_evidence(o)) {
			text_forensics(out, forensics_for(in->forensics, &r->dkim[i]), "           ");
			text_interop(out, in, &r->dkim[i], "           ");
		}
		if (o->verbose)
			text_sig_detail(out, &r->dkim[i], "      ");
	}
}

static void report_text(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	const struct run_result *r = in->run;
	say(out, "%s", r->file);
	nl(out);
	for (size_t i = 0; i < r->nerrors; i++) {
		say(out, "  error: %s", r->errors[i]);
		nl(out);
	}
	if (o->verbose || (r->msg_open && r->msg.bom_skipped))
		text_notes(out, r, o->verbose);
	if (!run_evaluated(r))
		return;   /* nothing was verified: no result may be printed */
	text_diagnosis(out, in->diagnosis);
	if (o->show_dkim)
		text_dkim(out, in, o);
	if (o->show_arc)
		text_arc(out, in, o);
	text_claims(out, in->claims, o);
	if (o->verbose || o->explain)
		text_lint(out, in->lint);
}

/* ---- JSON (schema: man/arcverify-json.5) ---- */

static void json_kv_bool_or_null(struct json *j, const char *key, int known, int v)
{
	json_key(j, key);
	if (known)
		json_bool(j, v);
	else
		json_null(j);
}

/* "lookup": the answer's state as a token (arcverify-json(5)); no default, so that a new state
 * is a compiler warning until it is given a word and documented. */
const char *report_json_lookup_word(enum keyans_status st)
{
	switch (st) {
	case KEYANS_PENDING: return "pending";
	case KEYANS_OK: return "ok";
	case KEYANS_NXDOMAIN: return "nxdomain";
	case KEYANS_NODATA: return "nodata";
	case KEYANS_SERVFAIL: return "servfail";
	case KEYANS_TIMEOUT: return "timeout";
	case KEYANS_UNREACHABLE: return "unreachable";
	case KEYANS_ERROR: return "error";
	}
	return "error";
}

static void json_key_obj(struct json *j, const struct dkim_sig *s)
{
	json_key(j, "key");
	if (!s->answer) {
		json_null(j);
		return;
	}
	const struct keyans *a = s->answer;
	json_obj_begin(j);
	json_kv_str(j, "name", s->keyname);
	json_kv_str(j, "source", key_source_word(a));
	json_kv_str(j, "lookup", report_json_lookup_word(a->status));
	/* where the key came from: the DNS server, or the key file and line of the record used */
	long rec = s->record_used >= 0 ? s->record_used : 0;
	json_kv_str(j, "origin", a->source == KEYANS_SRC_KEYS && a->nrecords && a->records[rec].origin[0]
					 ? a->records[rec].origin : a->server);
	int k = s->has_key;   /* without a usable key, the key's facts are null (same keys either way) */
	json_kv_str(j, "type", k ? keyrec_type_name(s->key.type) : NULL);
	json_key(j, "bits");
	if (k)
		json_uint(j, s->key.bits);
	else
		json_null(j);
	json_kv_bool_or_null(j, "testing", k, s->key.testing);
	json_kv_bool_or_null(j, "strict", k, s->key.strict);
	json_kv_bool_or_null(j, "pkcs1", k, s->key.pkcs1);
	char fp[64] = "";
	if (k && s->key.has_fingerprint)
		b64_encode_to(s->key.fingerprint, 32, fp, sizeof fp);
	json_kv_str(j, "spki_sha256", fp[0] ? fp : NULL);
	json_key(j, "records");
	json_arr_begin(j);
	for (size_t r = 0; r < a->nrecords; r++)
		json_str(j, a->records[r].text);
	json_arr_end(j);
	json_key(j, "record_used");
	if (s->record_used >= 0)
		json_int(j, s->record_used + 1);
	else
		json_null(j);
	int dns = a->source == KEYANS_SRC_DNS;   /* a key file has neither */
	json_key(j, "ttl");
	if (dns)
		json_uint(j, a->ttl);
	else
		json_null(j);
	json_kv_bool_or_null(j, "ad", dns, a->ad);
	if (a->cnames)
		json_kv_str(j, "cname_target", a->target); /* the records are at this name */
	json_obj_end(j);
}

static void json_finding_fields(struct json *j, const struct forensic_finding *f)
{
	json_kv_str(j, "id", f->id);
	json_kv_str(j, "what", f->what);
	json_kv_str(j, "rule", f->rule);
	json_kv_str(j, "seen_in", f->seen_in);
}

/* One finding for every variant that reproduces the hash: the likeliest, the others as "alternatives". */
static void json_findings(struct json *j, const char *kind, const struct forensic_finding *f, size_t n)
{
	if (n == 0)
		return;
	json_obj_begin(j);
	json_kv_str(j, "kind", kind);
	json_finding_fields(j, &f[0]);
	json_key(j, "alternatives");
	json_arr_begin(j);
	for (size_t i = 1; i < n; i++) {
		json_obj_begin(j);
		json_finding_fields(j, &f[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* "forensics": what the examination found, one object per finding; null when not examined. */
static void json_forensics(struct json *j, const struct forensic_report *fr)
{
	json_key(j, "forensics");
	if (!fr || fr->probed) {
		json_null(j);
		return;
	}
	json_arr_begin(j);
	json_findings(j, "body", fr->body, fr->nbody);
	json_findings(j, "header", fr->header, fr->nheader);
	if (fr->prefix_found) {
		json_obj_begin(j);
		json_kv_str(j, "kind", "prefix");
		json_kv_str(j, "id", "body-appended");
		json_key(j, "signed_bytes");
		json_uint(j, fr->prefix_bytes);
		json_key(j, "appended_bytes");
		json_uint(j, fr->body_bytes - fr->prefix_bytes);
		json_obj_end(j);
	}
	if (fr->body_examined && fr->nbody == 0 && !fr->prefix_found) {
		json_obj_begin(j);
		json_kv_str(j, "kind", "body-unexplained");
		json_kv_int(j, "variants_tried", (int64_t)fr->body_tried);
		json_kv_bool(j, "prefix_searched", fr->prefix_searched);
		json_obj_end(j);
	}
	if (fr->header_examined && fr->nheader == 0) {
		json_obj_begin(j);
		json_kv_str(j, "kind", "header-unexplained");
		json_kv_int(j, "variants_tried", (int64_t)fr->header_tried);
		json_kv_str(j, "signed_fields", fr->header_notes);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* "interop": the known verifier bugs a verifying signature would trip; null when not computed. */
static void json_interop(struct json *j, const struct diagnosis *d, const struct dkim_sig *s)
{
	json_key(j, "interop");
	if (!d || !d->interop.computed) {
		json_null(j);
		return;
	}
	const struct interop_risk *first;
	size_t n = interop_for(&d->interop, s, &first);
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "id", first[i].id);
		json_kv_str(j, "what", first[i].what);
		json_kv_str(j, "verifiers", first[i].verifiers);
		json_kv_str(j, "rule", first[i].rule);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* "diagnosis": the causes, most likely first; null when not computed. */
static void json_diagnosis(struct json *j, const struct diagnosis *d)
{
	json_key(j, "diagnosis");
	if (!d || !d->computed) {
		json_null(j);
		return;
	}
	json_arr_begin(j);
	for (size_t i = 0; i < d->n; i++) {
		const struct diagnosis_entry *e = &d->v[i];
		json_obj_begin(j);
		json_kv_str(j, "role", diagnosis_role_word(e->role));
		json_kv_str(j, "party", e->party[0] ? e->party : NULL);
		json_key(j, "instance");
		if (e->instance)
			json_uint(j, e->instance);
		else
			json_null(j);
		json_kv_str(j, "signature", e->signature);
		json_key(j, "between");
		if (e->has_between) {
			json_arr_begin(j);
			json_uint(j, e->between_from);
			if (e->between_to)
				json_uint(j, e->between_to);
			else
				json_null(j);
			json_arr_end(j);
		} else {
			json_null(j);
		}
		json_kv_str(j, "evidence", diagnosis_evidence_word(e->evidence));
		json_kv_str(j, "variant", e->variant);
		json_kv_str(j, "rule", e->rule);
		json_kv_str(j, "what", e->what);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_sig_fields(struct json *j, const struct dkim_sig *s, const struct report_input *in, int redact)
{
	char c[48];
	canon_pair(s, c, sizeof c);
	json_kv_str(j, "result", verdict_word(s->v.result));
	json_kv_bool(j, "valid", s->v.result == VERDICT_PASS);
	json_kv_str(j, "code", s->v.code ? verdict_code_word(s->v.code) : NULL);
	json_kv_str(j, "reason", s->v.reason);
	json_kv_str(j, "d", s->d);
	json_kv_str(j, "s", s->s);
	json_kv_str(j, "a", s->a);
	if (s->kind != DKIM_KIND_SEAL) {
		json_kv_str(j, "c", c);
		if (s->kind == DKIM_KIND_SIGNATURE)
			json_kv_str(j, "i", redact ? NULL : s->identity);
		json_key(j, "h");
		json_arr_begin(j);
		for (size_t i = 0; i < s->nh; i++)
			json_strn(j, s->h[i].ptr, s->h[i].len);
		json_arr_end(j);
		json_key(j, "l");
		if (s->has_l)
			json_uint(j, s->l);
		else
			json_null(j);
		json_key(j, "bh");
		json_obj_begin(j);
		json_kv_str(j, "expected", s->bh_expected);
		json_kv_str(j, "computed", s->bh_computed[0] ? s->bh_computed : NULL);
		json_key(j, "match");
		if (s->body_ok >= 0)
			json_bool(j, s->body_ok);
		else
			json_null(j);
		json_key(j, "canonical_length");
		if (s->body)
			json_uint(j, s->body->canon_len);
		else
			json_null(j);
		json_obj_end(j);
	}
	json_key(j, "t");
	if (s->has_t) json_uint(j, s->t); else json_null(j);
	json_key(j, "x");
	if (s->has_x) json_uint(j, s->x); else json_null(j);
	json_key(j, "signature_verifies");
	if (s->header_ok >= 0)
		json_bool(j, s->header_ok);
	else
		json_null(j);
	json_key_obj(j, s);
	json_forensics(j, forensics_for(in->forensics, s));
	json_interop(j, in->diagnosis, s);
}

static void json_dkim(struct json *j, const struct report_input *in, int redact)
{
	const struct run_result *r = in->run;
	json_key(j, "dkim");
	json_arr_begin(j);
	for (size_t i = 0; i < r->ndkim; i++) {
		json_obj_begin(j);
		json_kv_int(j, "index", (int64_t)i + 1);
		json_sig_fields(j, &r->dkim[i], in, redact);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_aar(struct json *j, const struct arc_set *set, const struct msg *m, int redact)
{
	json_key(j, "aar");
	if (set->aar_field < 0) {
		json_null(j);
		return;
	}
	const struct authres *ar = &set->aar;
	json_obj_begin(j);
	json_key(j, "authserv_id");
	json_strn(j, ar->authserv_id.ptr, ar->authserv_id.len);
	struct slice v = slice_trim_wsp(m->fields[set->aar_field].value);
	json_key(j, "value");
	if (redact)
		json_null(j);
	else
		json_strn(j, v.ptr, v.len);
	json_key(j, "methods");
	json_arr_begin(j);
	for (size_t k = 0; k < ar->nmethods; k++) {
		json_obj_begin(j);
		json_key(j, "method");
		json_strn(j, ar->methods[k].method.ptr, ar->methods[k].method.len);
		json_key(j, "result");
		json_strn(j, ar->methods[k].result.ptr, ar->methods[k].result.len);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_arc(struct json *j, const struct report_input *in, int redact)
{
	const struct run_result *r = in->run;
	const struct arc_chain *c = &r->arc;
	json_key(j, "arc");
	json_obj_begin(j);
	json_kv_str(j, "result", verdict_word(c->result));
	json_kv_str(j, "code", c->code ? verdict_code_word(c->code) : NULL);
	json_kv_str(j, "cause", c->cause ? verdict_code_word(c->cause) : NULL);
	json_kv_str(j, "reason", c->reason);
	json_kv_bool(j, "temporary", c->temporary);
	json_key(j, "oldest_pass");
	if (c->result == VERDICT_PASS)
		json_int(j, c->oldest_pass);
	else
		json_null(j);
	json_key(j, "instances");
	json_arr_begin(j);
	for (unsigned i = c->n; i >= 1; i--) {
		const struct arc_set *set = &c->sets[i - 1];
		json_obj_begin(j);
		json_kv_int(j, "instance", i);
		json_kv_str(j, "cv", set->has_as ? set->as.cv : NULL);
		json_aar(j, set, &r->msg, redact);
		json_key(j, "ams");
		if (set->has_ams) {
			json_obj_begin(j);
			json_sig_fields(j, &set->ams, in, redact);
			json_obj_end(j);
		} else {
			json_null(j);
		}
		json_key(j, "as");
		if (set->has_as) {
			json_obj_begin(j);
			json_sig_fields(j, &set->as, in, redact);
			json_obj_end(j);
		} else {
			json_null(j);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_claims(struct json *j, const struct claims *c)
{
	json_key(j, "claims");
	json_arr_begin(j);
	for (size_t i = 0; c && i < c->n; i++) {
		const struct claim *cl = &c->v[i];
		json_obj_begin(j);
		json_kv_str(j, "source", cl->from_aar ? "aar" : "authentication-results");
		json_key(j, "instance");
		if (cl->from_aar)
			json_uint(j, cl->instance);
		else
			json_null(j);
		json_kv_str(j, "authserv_id", cl->authserv_id);
		json_kv_str(j, "method", cl->method);
		json_kv_str(j, "subject", cl->subject);
		json_kv_str(j, "said", cl->said);
		json_kv_str(j, "ours", cl->ours[0] ? cl->ours : NULL);
		json_kv_bool(j, "agree", cl->agree);
		json_kv_str(j, "state", claims_state_word(cl->state));
		json_kv_str(j, "note", cl->note[0] ? cl->note : NULL);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_lint(struct json *j, const struct lint *l)
{
	json_key(j, "warnings");
	json_arr_begin(j);
	for (size_t i = 0; l && i < l->n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "code", l->v[i].code);
		json_kv_str(j, "where", l->v[i].where);
		json_kv_str(j, "text", l->v[i].text);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* "input": whether the record's verdicts mean anything (arcverify-json(5)). */
static const char *json_input_word(const struct run_result *r)
{
	return r->input_error ? "unreadable" : r->not_message ? "not-message" : "ok";
}

/* What reading the message found; null when the header block was not read. */
static void json_msg_facts(struct json *j, const struct run_result *r)
{
	int read = r->msg_open;
	json_key(j, "lf_converted");
	if (read)
		json_uint(j, r->msg.lf_converted);
	else
		json_null(j);
	json_kv_bool_or_null(j, "mbox_from_line", read, r->msg.mbox_from);
	json_kv_bool_or_null(j, "bom_skipped", read, r->msg.bom_skipped);
	json_kv_bool_or_null(j, "has_body_separator", read, r->msg.has_separator);
	json_key(j, "body_bytes");
	if (read)
		json_uint(j, r->msg.body_bytes);
	else
		json_null(j);
}

/* The chain of an input that was not evaluated: the same keys, nothing determined. */
static void json_arc_unevaluated(struct json *j)
{
	json_key(j, "arc");
	json_obj_begin(j);
	static const char *const keys[] = { "result", "code", "cause", "reason", "temporary", "oldest_pass" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_key(j, keys[i]);
		json_null(j);
	}
	json_key(j, "instances");
	json_arr_begin(j);
	json_arr_end(j);
	json_obj_end(j);
}

static void report_json(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	const struct run_result *r = in->run;
	int evaluated = run_evaluated(r);
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_int(&j, "schema", REPORT_JSON_SCHEMA);
	json_kv_str(&j, "file", o->redact ? "(redacted)" : r->file);
	json_kv_str(&j, "input", json_input_word(r));
	json_kv_int(&j, "evaluated_at", (int64_t)r->evaluated_at);
	json_msg_facts(&j, r);
	json_diagnosis(&j, evaluated ? in->diagnosis : NULL);
	if (o->show_dkim && evaluated) {
		json_dkim(&j, in, o->redact);
	} else if (o->show_dkim) {
		json_key(&j, "dkim");
		json_arr_begin(&j);
		json_arr_end(&j);
	}
	if (o->show_arc && evaluated)
		json_arc(&j, in, o->redact);
	else if (o->show_arc)
		json_arc_unevaluated(&j);
	json_claims(&j, evaluated ? in->claims : NULL);
	json_lint(&j, evaluated ? in->lint : NULL);
	json_key(&j, "errors");
	json_arr_begin(&j);
	for (size_t i = 0; i < r->nerrors; i++)
		json_str(&j, r->errors[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	buf_append_byte(out, '\n');
}

/* ---- Authentication-Results (RFC 8601; header.b per RFC 6008) ---- */

/* RFC 2045 §5.1 token: printable US-ASCII but SPACE and tspecials (RFC 8601 §2.2 value). */
static int ar_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

int report_ar_is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!ar_token_char((unsigned char)*s))
			return 0;
	return 1;
}

/* [local-part] "@" domain-name (RFC 8601 §2.2 pvalue): a dot-atom local part (RFC 5322 §3.2.3
 * atext), a domain of letters, digits, hyphens and dots. */
static int ar_is_address(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!at || !at[1])
		return 0;
	for (const char *p = s; p < at; p++)
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-/=?^_`{|}~", *p) &&
		    !(*p == '.' && p > s && p[-1] != '.' && p + 1 < at))
			return 0;
	for (const char *p = at + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return 0;
	return 1;
}

/* An RFC 5322 quoted-string, kept 7-bit: '"' and '\' as quoted-pairs, "§" as "section ", white
 * space and line ends as one space, any other byte that is not printable US-ASCII as '?'. */
static void ar_quoted(struct buf *out, const char *text)
{
	buf_append_byte(out, '"');
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (p[0] == 0xc2 && p[1] == 0xa7) {
			buf_append_str(out, "section ");
			p++;
			while (p[1] == ' ')
				p++;
		} else if (*p == '"' || *p == '\\') {
			buf_append_byte(out, '\\');
			buf_append_byte(out, (char)*p);
		} else if (*p == '\t' || *p == '\r' || *p == '\n') {
			if (out->len && out->data[out->len - 1] != ' ')
				buf_append_byte(out, ' ');
		} else {
			buf_append_byte(out, *p >= 0x20 && *p < 0x7f ? (char)*p : '?');
		}
	}
	buf_append_byte(out, '"');
}

/* " ptype.property=pvalue": a token or an address as it is, anything else quoted (RFC 8601 §2.2).
 * header.b is quoted when it holds '/' or '+', as receivers (Gmail) write it. */
static void ar_prop(struct buf *out, const char *prop, const char *value, int quote_b64)
{
	buf_printf(out, " %s=", prop);
	int bare = report_ar_is_token(value) || ar_is_address(value);
	if (bare && !(quote_b64 && strpbrk(value, "/+")))
		buf_append_str(out, value);
	else
		ar_quoted(out, value);
}

static void ar_dkim(struct buf *out, const struct dkim_sig *s)
{
	buf_printf(out, ";\n\tdkim=%s reason=", verdict_word(s->v.result));
	ar_quoted(out, s->v.reason);
	if (s->d[0])
		ar_prop(out, "header.d", s->d, 0);
	if (s->identity[0])
		ar_prop(out, "header.i", s->identity, 0);
	if (s->s[0])
		ar_prop(out, "header.s", s->s, 0);
	if (s->a[0])
		ar_prop(out, "header.a", s->a, 0);
	const struct tag *b = tags_find(&s->tags, "b");
	if (b) {
		struct buf nofws;
		buf_init(&nofws, 16);
		tags_value_nofws(slice_make(b->value.ptr, b->value.len < 16 ? b->value.len : 16), &nofws);
		if (nofws.len) {
			char first[9];
			snprintf(first, sizeof first, "%.8s", nofws.data);
			ar_prop(out, "header.b", first, 1);
		}
		buf_free(&nofws);
	}
}

static void ar_arc(struct buf *out, const struct arc_chain *c)
{
	buf_printf(out, ";\n\tarc=%s", verdict_word(c->result));
	if (c->result == VERDICT_PASS) {
		buf_printf(out, " (i=%u) header.oldest-pass=%d", c->n, c->oldest_pass);
	} else if (c->result == VERDICT_FAIL) {
		buf_append_str(out, " reason=");
		ar_quoted(out, c->reason);
	}
}

/* One field per evaluated message; nothing at all for an input that was not (the error is on
 * stderr): a pasted "none" would say that nothing was signed. */
static void report_ar(struct buf *out, const struct run_result *r, const struct report_opts *o)
{
	if (!run_evaluated(r))
		return;
	if (o->multiple) {
		buf_printf_printable(out, "%s", r->file);
		buf_append_str(out, ": ");
	}
	buf_printf(out, "Authentication-Results: %s", o->authserv_id ? o->authserv_id : REPORT_AUTHSERV_ID);
	size_t methods = 0;
	if (o->show_dkim) {
		for (size_t i = 0; i < r->ndkim; i++, methods++)
			ar_dkim(out, &r->dkim[i]);
		if (r->ndkim == 0) {
			buf_append_str(out, ";\n\tdkim=none");
			methods++;
		}
	}
	if (o->show_arc) {
		ar_arc(out, &r->arc);
		methods++;
	}
	if (methods == 0)
		buf_append_str(out, "; none");
	buf_append_byte(out, '\n');
}

/* ---- one line per message (batch mode) ---- */

const char *report_overall_word(const struct run_result *r)
{
	if (r->input_error || !r->msg_open)
		return "error";
	int sev = run_severity(r);
	if (sev)
		return sev == 2 ? "fail" : "temperror";
	return r->ndkim || r->arc.result != VERDICT_NONE ? "pass" : "none";
}

static void compact_sig(struct buf *out, const char *method, const struct dkim_sig *s)
{
	buf_printf(out, " %s=%s", method, verdict_word(s->v.result));
	if (s->v.result != VERDICT_PASS && s->v.code)
		buf_printf(out, "(%s)", verdict_code_word(s->v.code));
	buf_append_str(out, " d=");
	buf_append_printable(out, s->d[0] ? s->d : "-", strlen(s->d[0] ? s->d : "-"));
}

static void report_compact(struct buf *out, const struct run_result *r, const struct report_opts *o)
{
	const char *word = report_overall_word(r);
	enum verdict_result shade = strcmp(word, "pass") == 0 ? VERDICT_PASS : strcmp(word, "none") == 0 ? VERDICT_NONE
				  : strcmp(word, "temperror") == 0 ? VERDICT_TEMPERROR : VERDICT_FAIL;
	if (o->color)
		buf_printf(out, "%s%-9s\033[0m ", color_of(shade), word);
	else
		buf_printf(out, "%-9s ", word);
	buf_append_printable(out, r->file, strlen(r->file));
	if (!r->msg_open) {
		buf_append_str(out, "  ");
		buf_append_printable(out, r->nerrors ? r->errors[0] : "unreadable",
				     strlen(r->nerrors ? r->errors[0] : "unreadable"));
		buf_append_byte(out, '\n');
		return;
	}
	buf_append_byte(out, ' ');
	for (size_t i = 0; o->show_dkim && i < r->ndkim; i++)
		compact_sig(out, "dkim", &r->dkim[i]);
	if (o->show_dkim && r->ndkim == 0)
		buf_append_str(out, " dkim=none");
	if (o->show_arc) {
		const struct arc_chain *c = &r->arc;
		buf_printf(out, "  arc=%s", verdict_word(c->result));
		if (c->result == VERDICT_PASS)
			buf_printf(out, " i=%u oldest-pass=%d", c->n, c->oldest_pass);
		else if (c->result == VERDICT_FAIL)
			buf_printf(out, "(%s%s%s)", verdict_code_word(c->code), c->cause ? ":" : "",
				   c->cause ? verdict_code_word(c->cause) : "");
	}
	if (r->nerrors)
		buf_printf(out, "  errors=%zu", r->nerrors);
	buf_append_byte(out, '\n');
}

void report_message(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	if (o->format == REPORT_TEXT && o->compact) {
		report_compact(out, in->run, o);
		return;
	}
	switch (o->format) {
	case REPORT_JSON:
		report_json(out, in, o);
		break;
	case REPORT_AR:
		report_ar(out, in->run, o);
		break;
	default:
		report_text(out, in, o);
		break;
	}
}
