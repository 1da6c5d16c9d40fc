/* report: text, JSON Lines and Authentication-Results output of a run_result. */
#include "report.h"

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
	buf_printf(out, "%s%s ", prefix, label);
	put_result(out, s->v.result, 9, o);
	buf_printf(out, " d=%s s=%s a=%s", s->d[0] ? s->d : "-", s->s[0] ? s->s : "-", s->a[0] ? s->a : "-");
	if (s->kind != DKIM_KIND_SEAL)
		buf_printf(out, " c=%s", c);
	text_key_brief(out, s);
	buf_printf(out, "  %s\n", s->v.reason);
}

static void text_signed_fields(struct buf *out, const struct dkim_sig *s, const char *ind)
{
	if (s->kind == DKIM_KIND_SEAL || !s->usable)
		return;
	buf_printf(out, "%ssigned fields:", ind);
	for (size_t i = 0; i < s->nh; i++) {
		buf_printf(out, " %.*s", (int)s->h[i].len, s->h[i].ptr);
		if (s->selected[i] < 0)
			buf_append_str(out, "(absent)");
	}
	buf_append_byte(out, '\n');
}

static void text_key_detail(struct buf *out, const struct dkim_sig *s, const char *ind)
{
	const struct keyans *a = s->answer;
	if (!a)
		return;
	buf_printf(out, "%skey: %s from %s (%s)", ind, s->keyname, key_source_word(a),
		   a->server[0] ? a->server : "resolver");
	if (a->status != KEYANS_OK) {
		buf_printf(out, ": %s %s\n", keyans_status_word(a->status), a->detail);
		return;
	}
	if (a->source == KEYANS_SRC_DNS)
		buf_printf(out, " ttl=%u%s", a->ttl, a->ad ? " AD" : "");
	if (a->cnames)
		buf_printf(out, " via %u CNAME%s to %s", a->cnames, a->cnames > 1 ? "s" : "", a->target);
	buf_append_byte(out, '\n');
	for (size_t r = 0; r < a->nrecords; r++) {
		const struct keyans_txt *t = &a->records[r];
		buf_printf(out, "%s  record %zu%s%s%s%s: \"%s\"\n", ind, r + 1,
			   (long)r == s->record_used ? " (used)" : "", t->when[0] ? " valid " : "", t->when,
			   t->origin[0] ? "" : "", t->text);
		if (t->origin[0])
			buf_printf(out, "%s    at %s\n", ind, t->origin);
	}
	if (s->has_key) {
		buf_printf(out, "%s  %s %u bits%s%s%s", ind, keyrec_type_name(s->key.type), s->key.bits,
			   s->key.pkcs1 ? ", PKCS#1 form" : "", s->key.testing ? ", t=y (testing)" : "",
			   s->key.strict ? ", t=s" : "");
		if (s->key.has_fingerprint) {
			char fp[64];
			b64_encode_to(s->key.fingerprint, 32, fp, sizeof fp);
			buf_printf(out, ", SPKI sha256 %s", fp);
		}
		buf_append_byte(out, '\n');
	}
}

static void text_sig_detail(struct buf *out, const struct dkim_sig *s, const char *ind)
{
	text_signed_fields(out, s, ind);
	if (s->body) {
		buf_printf(out, "%sbody: %s %s", ind, canon_name(s->bcanon), hash_name(s->body->alg));
		if (s->has_l)
			buf_printf(out, " l=%llu", (unsigned long long)s->l);
		buf_printf(out, ", canonical body %llu bytes, %llu hashed\n",
			   (unsigned long long)s->body->canon_len, (unsigned long long)s->body->hashed);
		buf_printf(out, "%sbh expected: %s\n%sbh computed: %s%s\n", ind, s->bh_expected, ind,
			   s->bh_computed[0] ? s->bh_computed : "-",
			   s->body_ok == 1 ? " (match)" : s->body_ok == 0 ? " (MISMATCH)" : "");
	}
	if (s->header_ok >= 0)
		buf_printf(out, "%sheader signature: %s\n", ind, s->header_ok ? "verifies" : "does not verify");
	text_key_detail(out, s, ind);
	if (s->hdata.len) {
		buf_printf(out, "%sheader data hashed (%zu bytes):\n", ind, s->hdata.len);
		char deeper[32];
		snprintf(deeper, sizeof deeper, "%s  | ", ind);
		put_visible(out, s->hdata.data, s->hdata.len, deeper);
	}
}

static void text_finding(struct buf *out, const char *ind, const char *kind, const struct forensic_finding *f)
{
	buf_printf(out, "%s%s: %s [%s]\n", ind, kind, f->what, f->id);
	buf_printf(out, "%s  breaks %s", ind, f->rule);
	if (f->seen_in[0])
		buf_printf(out, "; seen in %s", f->seen_in);
	buf_append_byte(out, '\n');
}

/* What forensics found for one signature (text). */
static void text_forensics(struct buf *out, const struct forensic_report *fr, const char *ind)
{
	if (!fr)
		return;
	if (fr->body_examined) {
		for (size_t i = 0; i < fr->nbody; i++)
			text_finding(out, ind, "explained: bh= reproduced by", &fr->body[i]);
		if (fr->prefix_found)
			buf_printf(out, "%sexplained: the first %llu bytes of the body match bh=; %llu bytes were appended "
				   "after signing (typical of a list footer)\n", ind,
				   (unsigned long long)fr->prefix_bytes,
				   (unsigned long long)(fr->body_bytes - fr->prefix_bytes));
		if (fr->nbody == 0 && !fr->prefix_found)
			buf_printf(out, "%sunexplained: none of %zu known body canonicalization variants reproduces bh=%s\n",
				   ind, fr->body_tried, fr->prefix_searched ? ", and no prefix of the body matches" : "");
	}
	if (fr->header_examined) {
		for (size_t i = 0; i < fr->nheader; i++)
			text_finding(out, ind, "explained: b= verifies with", &fr->header[i]);
		if (fr->nheader == 0)
			buf_printf(out, "%sunexplained: b= verifies under none of %zu known header variants%s%s\n", ind,
				   fr->header_tried, fr->header_notes[0] ? "; signed fields: " : "", fr->header_notes);
	}
}

static void text_aar(struct buf *out, const struct arc_set *set, const char *ind)
{
	if (set->aar_field < 0) {
		buf_printf(out, "%sAAR (missing)\n", ind);
		return;
	}
	const struct authres *ar = &set->aar;
	buf_printf(out, "%sAAR ", ind);
	buf_append_printable(out, ar->authserv_id.ptr, ar->authserv_id.len);
	buf_append_byte(out, ':');
	if (ar->none)
		buf_append_str(out, " none");
	for (size_t k = 0; k < ar->nmethods; k++) {
		const struct authres_method *me = &ar->methods[k];
		buf_printf(out, " %.*s=%.*s", (int)me->method.len, me->method.ptr, (int)me->result.len,
			   me->result.ptr);
		if (me->comment.len) {
			buf_append_str(out, " (");
			buf_append_printable(out, me->comment.ptr, me->comment.len > 60 ? 60 : me->comment.len);
			buf_append_byte(out, ')');
		}
	}
	buf_append_byte(out, '\n');
}

static void text_arc(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	const struct run_result *r = in->run;
	const struct arc_chain *c = &r->arc;
	buf_append_str(out, "  ARC      ");
	put_result(out, c->result, 9, o);
	if (c->result == VERDICT_PASS)
		buf_printf(out, " i=%u oldest-pass=%d ", c->n, c->oldest_pass);
	buf_printf(out, " %s\n", c->reason);
	for (unsigned i = c->n; i >= 1; i--) {
		const struct arc_set *set = &c->sets[i - 1];
		char first[64];
		const char *pad = "                   ";   /* as wide as first */
		snprintf(first, sizeof first, "    i=%-3u cv=%-5.5s ", i, set->has_as && set->as.cv[0] ? set->as.cv : "-");
		if (set->has_as)
			text_sig_line(out, first, "AS ", &set->as, o);
		else
			buf_printf(out, "%sAS  (missing)\n", first);
		if (set->has_as && (o->explain || o->verbose))
			text_forensics(out, forensics_for(in->forensics, &set->as), "                         ");
		if (set->has_ams)
			text_sig_line(out, pad, "AMS", &set->ams, o);
		else
			buf_printf(out, "%sAMS (missing)\n", pad);
		if (set->has_ams && (o->explain || o->verbose))
			text_forensics(out, forensics_for(in->forensics, &set->ams), "                         ");
		text_aar(out, set, pad);
		if (o->verbose) {
			if (set->has_ams) {
				buf_printf(out, "%s    AMS detail:\n", pad);
				text_sig_detail(out, &set->ams, "                        ");
			}
			if (set->has_as) {
				buf_printf(out, "%s    AS detail:\n", pad);
				text_sig_detail(out, &set->as, "                        ");
			}
		}
	}
}

static void text_notes(struct buf *out, const struct run_result *r)
{
	if (!r->msg_open)
		return;
	if (r->msg.mbox_from)
		buf_append_str(out, "  note: skipped a leading mbox \"From \" envelope line\n");
	if (r->msg.lf_converted)
		buf_printf(out, "  note: %llu bare LF line ends converted to CRLF before verifying (--no-crlf keeps them)\n",
			   (unsigned long long)r->msg.lf_converted);
	if (!r->msg.has_separator)
		buf_append_str(out, "  note: no empty line after the header block: the message has no body\n");
}

static void text_claims(struct buf *out, const struct claims *c, const struct report_opts *o)
{
	if (!c)
		return;
	size_t shown = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct claim *cl = &c->v[i];
		if (cl->agree && !o->verbose)
			continue;
		if (shown++ == 0)
			buf_append_str(out, "  what the hops recorded, beside arcverify:\n");
		char src[64];
		if (cl->from_aar)
			snprintf(src, sizeof src, "AAR i=%u", cl->instance);
		else
			snprintf(src, sizeof src, "A-R");
		buf_printf(out, "    %-9s %s: %s=%s about %s; arcverify: %s%s\n", src, cl->authserv_id, cl->method, cl->said,
			   cl->subject, cl->ours[0] ? cl->ours : "-", cl->agree ? "" : "   <- DISAGREES");
		if (cl->note[0] && (!cl->agree || o->verbose))
			buf_printf(out, "              %s\n", cl->note);
	}
}

static void text_lint(struct buf *out, const struct lint *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		buf_printf(out, "  warning: %s: %s [%s]\n", l->v[i].where, l->v[i].text, l->v[i].code);
}

static void report_text(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	const struct run_result *r = in->run;
	buf_printf(out, "%s\n", r->file);
	for (size_t i = 0; i < r->nerrors; i++)
		buf_printf(out, "  error: %s\n", r->errors[i]);
	if (o->verbose)
		text_notes(out, r);
	if (!r->msg_open)
		return;
	if (o->show_dkim) {
		if (r->ndkim == 0)
			buf_append_str(out, "  DKIM     none      no DKIM-Signature fields\n");
		for (size_t i = 0; i < r->ndkim; i++) {
			char label[32];
			snprintf(label, sizeof label, "DKIM #%-2zu", i + 1);
			text_sig_line(out, "  ", label, &r->dkim[i], o);
			if (o->explain || o->verbose)
				text_forensics(out, forensics_for(in->forensics, &r->dkim[i]), "           ");
			if (o->verbose)
				text_sig_detail(out, &r->dkim[i], "      ");
		}
	}
	if (o->show_arc)
		text_arc(out, in, o);
	text_claims(out, in->claims, o);
	if (o->verbose || o->explain)
		text_lint(out, in->lint);
}

/* ---- JSON ---- */

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
	json_kv_str(j, "lookup", keyans_status_word(a->status));
	/* where the key came from: the DNS server, or the key file and line of the record used */
	long rec = s->record_used >= 0 ? s->record_used : 0;
	json_kv_str(j, "origin", a->source == KEYANS_SRC_KEYS && a->nrecords && a->records[rec].origin[0]
					 ? a->records[rec].origin : a->server);
	if (s->has_key) {
		json_kv_str(j, "type", keyrec_type_name(s->key.type));
		json_kv_int(j, "bits", s->key.bits);
		json_kv_bool(j, "testing", s->key.testing);
		json_kv_bool(j, "strict", s->key.strict);
		json_kv_bool(j, "pkcs1", s->key.pkcs1);
		char fp[64] = "";
		if (s->key.has_fingerprint)
			b64_encode_to(s->key.fingerprint, 32, fp, sizeof fp);
		json_kv_str(j, "spki_sha256", s->key.has_fingerprint ? fp : NULL);
	} else {
		json_kv_str(j, "type", NULL);
		json_key(j, "bits");
		json_null(j);
	}
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
	if (a->source == KEYANS_SRC_DNS) {
		json_kv_int(j, "ttl", a->ttl);
		json_kv_bool(j, "ad", a->ad);
	}
	if (a->cnames)
		json_kv_str(j, "cname_target", a->target); /* the records are at this name */
	json_obj_end(j);
}

static void json_finding(struct json *j, const char *kind, const struct forensic_finding *f)
{
	json_obj_begin(j);
	json_kv_str(j, "kind", kind);
	json_kv_str(j, "id", f->id);
	json_kv_str(j, "what", f->what);
	json_kv_str(j, "rule", f->rule);
	json_kv_str(j, "seen_in", f->seen_in);
	json_obj_end(j);
}

/* "forensics": what the examination found, one object per finding; null when not examined. */
static void json_forensics(struct json *j, const struct forensic_report *fr)
{
	json_key(j, "forensics");
	if (!fr) {
		json_null(j);
		return;
	}
	json_arr_begin(j);
	for (size_t i = 0; i < fr->nbody; i++)
		json_finding(j, "body", &fr->body[i]);
	for (size_t i = 0; i < fr->nheader; i++)
		json_finding(j, "header", &fr->header[i]);
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

static void json_sig_fields(struct json *j, const struct dkim_sig *s, const struct forensics *fx, int redact)
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
		if (s->body) {
			json_key(j, "canonical_length");
			json_uint(j, s->body->canon_len);
		}
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
	json_forensics(j, forensics_for(fx, s));
}

static void json_dkim(struct json *j, const struct run_result *r, const struct forensics *fx, int redact)
{
	json_key(j, "dkim");
	json_arr_begin(j);
	for (size_t i = 0; i < r->ndkim; i++) {
		json_obj_begin(j);
		json_kv_int(j, "index", (int64_t)i + 1);
		json_sig_fields(j, &r->dkim[i], fx, redact);
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

static void json_arc(struct json *j, const struct run_result *r, const struct forensics *fx, int redact)
{
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
			json_sig_fields(j, &set->ams, fx, redact);
			json_obj_end(j);
		} else {
			json_null(j);
		}
		json_key(j, "as");
		if (set->has_as) {
			json_obj_begin(j);
			json_sig_fields(j, &set->as, fx, redact);
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
		if (cl->from_aar)
			json_kv_int(j, "instance", cl->instance);
		json_kv_str(j, "authserv_id", cl->authserv_id);
		json_kv_str(j, "method", cl->method);
		json_kv_str(j, "subject", cl->subject);
		json_kv_str(j, "said", cl->said);
		json_kv_str(j, "ours", cl->ours[0] ? cl->ours : NULL);
		json_kv_bool(j, "agree", cl->agree);
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

static void report_json(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
	const struct run_result *r = in->run;
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_int(&j, "schema", REPORT_JSON_SCHEMA);
	json_kv_str(&j, "file", o->redact ? "(redacted)" : r->file);
	json_kv_int(&j, "evaluated_at", (int64_t)r->evaluated_at);
	if (r->msg_open) {
		json_kv_int(&j, "lf_converted", (int64_t)r->msg.lf_converted);
		json_kv_bool(&j, "mbox_from_line", r->msg.mbox_from);
		json_kv_bool(&j, "has_body_separator", r->msg.has_separator);
		json_key(&j, "body_bytes");
		json_uint(&j, r->msg.body_bytes);
	}
	if (o->show_dkim)
		json_dkim(&j, r, in->forensics, o->redact);
	if (o->show_arc)
		json_arc(&j, r, in->forensics, o->redact);
	json_claims(&j, in->claims);
	json_lint(&j, in->lint);
	json_key(&j, "errors");
	json_arr_begin(&j);
	for (size_t i = 0; i < r->nerrors; i++)
		json_str(&j, r->errors[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	buf_append_byte(out, '\n');
}

/* ---- Authentication-Results (RFC 8601; header.b per RFC 6008) ---- */

/* An RFC 2045 quoted-string, as RFC 8601 reason= values are written. */
static void ar_quoted(struct buf *out, const char *text)
{
	buf_append_byte(out, '"');
	for (; *text; text++) {
		if (*text == '"' || *text == '\\')
			buf_append_byte(out, '\\');
		buf_append_byte(out, *text);
	}
	buf_append_byte(out, '"');
}

static void ar_dkim(struct buf *out, const struct dkim_sig *s)
{
	buf_printf(out, ";\n\tdkim=%s reason=", verdict_word(s->v.result));
	ar_quoted(out, s->v.reason);
	if (s->d[0])
		buf_printf(out, " header.d=%s", s->d);
	if (s->identity[0])
		buf_printf(out, " header.i=%s", s->identity);
	if (s->s[0])
		buf_printf(out, " header.s=%s", s->s);
	if (s->a[0])
		buf_printf(out, " header.a=%s", s->a);
	const struct tag *b = tags_find(&s->tags, "b");
	if (b) {
		struct buf nofws;
		buf_init(&nofws, 16);
		tags_value_nofws(slice_make(b->value.ptr, b->value.len < 16 ? b->value.len : 16), &nofws);
		if (nofws.len)
			buf_printf(out, " header.b=%.8s", nofws.data);
		buf_free(&nofws);
	}
}

static void report_ar(struct buf *out, const struct run_result *r, const struct report_opts *o)
{
	if (o->multiple)
		buf_printf(out, "%s: ", r->file);
	buf_append_str(out, "Authentication-Results: arcverify");
	size_t methods = 0;
	if (o->show_dkim) {
		for (size_t i = 0; i < r->ndkim; i++, methods++)
			ar_dkim(out, &r->dkim[i]);
		if (r->ndkim == 0 && r->msg_open) {
			buf_append_str(out, ";\n\tdkim=none");
			methods++;
		}
	}
	if (o->show_arc && r->msg_open) {
		const struct arc_chain *c = &r->arc;
		buf_printf(out, ";\n\tarc=%s", verdict_word(c->result));
		if (c->result == VERDICT_PASS)
			buf_printf(out, " (i=%u) header.oldest-pass=%d", c->n, c->oldest_pass);
		else if (c->result == VERDICT_FAIL)
		{
			buf_append_str(out, " reason=");
			ar_quoted(out, c->reason);
		}
		methods++;
	}
	if (methods == 0)
		buf_append_str(out, "; none");
	buf_append_byte(out, '\n');
}

void report_message(struct buf *out, const struct report_input *in, const struct report_opts *o)
{
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
