/* cmpout: a comparison of two copies as text or as one JSON object (see include/cmpout.h). */
#include "cmpout.h"

#include <string.h>

#include "json.h"
#include "report.h"

#define SHOW_WIDTH 72          /* characters of a value shown in text output */
#define SHOW_WIDTH_VERBOSE 2000

static const struct msg *sent_msg(const struct sigmatch *cx) { return &cx->sent.run->msg; }
static const struct msg *recv_msg(const struct sigmatch *cx) { return &cx->recv.run->msg; }

static const char *kind_key(enum dkim_kind k)
{
	return k == DKIM_KIND_SIGNATURE ? "dkim" : k == DKIM_KIND_AMS ? "ams" : "as";
}

static const char *reason_of(const struct dkim_sig *s)
{
	return s->v.reason[0] ? s->v.reason : "not evaluated";
}

/* --- text --- */

/* A field value for a line of text: from a little before offset, at most width characters. */
static void show_value(struct buf *out, struct slice v, size_t from, size_t width, int exact)
{
	size_t start = from > 20 ? from - 20 : 0;
	if (start)
		buf_append_str(out, "...");
	while (!exact && start < v.len && (v.ptr[start] == ' ' || v.ptr[start] == '\t'))
		start++;   /* the space after the colon is not part of what changed */
	bodydiff_show(out, v.ptr + start, v.len - start, width, exact);
}

static size_t first_difference(struct slice a, struct slice b)
{
	size_t n = a.len < b.len ? a.len : b.len, i = 0;
	while (i < n && a.ptr[i] == b.ptr[i])
		i++;
	return i;
}

static void text_field_line(struct buf *out, const char *what, const struct msg_field *f, size_t width)
{
	buf_printf(out, "  %-8s ", what);
	bodydiff_show(out, f->raw.ptr, f->raw.len, width, 0);
	const char *role = hdrdiff_role(f);
	if (strcmp(role, "other") != 0)
		buf_printf(out, "  [%s]", role);
	buf_append_byte(out, '\n');
}

static void text_changed_field(struct buf *out, const struct msg_field *fs, const struct msg_field *fr,
			       size_t from_bottom, size_t width)
{
	char name[128];
	slice_copy(fr->malformed ? slice_cstr("(malformed line)") : fr->name, name, sizeof name);
	enum hdrdiff_change fc = hdrdiff_compare(fs->raw, fr->raw);
	buf_printf_printable(out, "  changed  %s", name);
	if (from_bottom > 1)
		buf_printf(out, " (%zu from the bottom)", from_bottom);
	buf_append_str(out, fc == HDRDIFF_WHITESPACE ? ": white space, folding or name case only (equal under relaxed "
			    "header canonicalization, RFC 6376 §3.4.2)\n" : ": content\n");
	size_t off = first_difference(fs->value, fr->value);
	buf_append_str(out, "             sent:     ");
	show_value(out, fs->value, off, width, fc == HDRDIFF_WHITESPACE);
	buf_append_str(out, "\n             received: ");
	show_value(out, fr->value, off, width, fc == HDRDIFF_WHITESPACE);
	buf_append_byte(out, '\n');
}

static void text_headers(struct buf *out, const struct sigmatch *cx, size_t width)
{
	const struct msg *ms = sent_msg(cx), *mr = recv_msg(cx);
	const struct header_diff *d = &cx->hd;
	buf_printf(out, "HEADER CHANGES  (%zu added, %zu removed, %zu changed; fields aligned by name, counted "
		   "from the bottom)\n", d->added, d->removed, d->changed);
	if (!d->added && !d->removed && !d->changed)
		buf_append_str(out, "  none: the header fields are identical\n");
	for (size_t j = 0; j < mr->nfields; j++)
		if (d->recv_partner[j] < 0)
			text_field_line(out, "added", &mr->fields[j], width);
	for (size_t i = 0; i < ms->nfields; i++)
		if (d->sent_partner[i] < 0)
			text_field_line(out, "removed", &ms->fields[i], width);
	for (size_t j = 0; j < mr->nfields; j++) {
		long i = d->recv_partner[j];
		if (i >= 0 && !hdrdiff_same_bytes(ms->fields[i].raw, mr->fields[j].raw))
			text_changed_field(out, &ms->fields[i], &mr->fields[j], d->recv_from_bottom[j], width);
	}
}

static const char *yes_no(int v)
{
	return v ? "equal" : "different";
}

static void text_body(struct buf *out, const struct sigmatch *cx)
{
	const struct body_diff *bd = &cx->bd;
	buf_printf(out, "\nBODY  (%zu bytes sent, %zu bytes received)\n", cx->sent.body->len, cx->recv.body->len);
	buf_printf_printable(out, "  %s: %s", bodydiff_kind_name(bd->kind), bd->detail);   /* may quote the body */
	buf_append_byte(out, '\n');
	if (bd->kind != BODYDIFF_IDENTICAL)
		buf_printf(out, "  canonical bodies (what bh= hashes): simple %s, relaxed %s\n",
			   yes_no(bd->simple_equal), yes_no(bd->relaxed_equal));
	if (cx->sent.run->msg.lf_converted || cx->recv.run->msg.lf_converted)
		buf_printf(out, "  bare LF line ends converted to CRLF, as in a normal run: %llu in the sent file, "
			   "%llu in the received file\n", (unsigned long long)cx->sent.run->msg.lf_converted,
			   (unsigned long long)cx->recv.run->msg.lf_converted);
	if (!cx->sent.run->msg.has_separator && !cx->recv.run->msg.has_separator)
		buf_append_str(out, "  neither copy has an empty line after its header block, so neither has a body\n");
	else if (!cx->sent.run->msg.has_separator || !cx->recv.run->msg.has_separator)
		buf_printf(out, "  the %s copy has no empty line after its header block, so it has no body\n",
			   !cx->sent.run->msg.has_separator ? "sent" : "received");
}

static void text_sig_label(struct buf *out, const struct sigmatch_entry *e)
{
	const struct dkim_sig *s = sigmatch_any_sig(e);
	if (e->kind == DKIM_KIND_SIGNATURE) {
		buf_printf(out, "  DKIM #%u", e->instance);
		if (e->sent && e->recv && e->sent->number != e->recv->number)
			buf_printf(out, " (#%u in the received copy)", e->recv->number);
	} else {
		buf_printf(out, "  %s i=%u", e->kind == DKIM_KIND_AMS ? "AMS" : "AS", e->instance);
	}
	buf_printf_printable(out, "  d=%s s=%s", s->d[0] ? s->d : "?", s->s[0] ? s->s : "?");
	if (e->kind != DKIM_KIND_SEAL && s->c[0])
		buf_printf_printable(out, " c=%s", s->c);
	if (s->has_l)
		buf_printf(out, " l=%llu", (unsigned long long)s->l);
	buf_append_byte(out, '\n');
}

static void text_sig_result(struct buf *out, const char *copy, const struct sigmatch_ref *ref)
{
	if (!ref) {
		buf_printf(out, "      %-9s (absent)\n", copy);
		return;
	}
	buf_printf_printable(out, "      %-9s %-9s %s", copy, verdict_word(ref->sig->v.result), reason_of(ref->sig));
	buf_append_byte(out, '\n');
}

static void text_signatures(struct buf *out, const struct sigmatch *cx, int verbose)
{
	buf_printf(out, "\nSIGNATURES  (%zu: %zu broken in transit, %zu added, %zu removed)\n", cx->n,
		   sigmatch_count(cx, SIGMATCH_BROKEN), sigmatch_count(cx, SIGMATCH_ADDED), sigmatch_count(cx, SIGMATCH_REMOVED));
	if (!cx->n)
		buf_append_str(out, "  none in either copy\n");
	for (size_t i = 0; i < cx->n; i++) {
		const struct sigmatch_entry *e = &cx->items[i];
		text_sig_label(out, e);
		text_sig_result(out, "sent:", e->sent);
		text_sig_result(out, "received:", e->recv);
		if (verbose && sigmatch_any_sig(e)->nh) {
			buf_append_str(out, "      h=        ");
			for (size_t k = 0; k < sigmatch_any_sig(e)->nh; k++)
				buf_printf_printable(out, "%s%.*s", k ? ":" : "", (int)sigmatch_any_sig(e)->h[k].len,
						     sigmatch_any_sig(e)->h[k].ptr);
			buf_append_byte(out, '\n');
		}
		buf_printf_printable(out, "      %s", e->explanation.data ? e->explanation.data : "");
		buf_append_byte(out, '\n');
	}
	const struct arc_chain *as = &cx->sent.run->arc, *ar = &cx->recv.run->arc;
	if (as->arc_fields || ar->arc_fields)
		buf_printf_printable(out, "  ARC chain: sent %s, received %s (%s)", verdict_word(as->result),
				     verdict_word(ar->result), ar->reason);
	if (as->arc_fields || ar->arc_fields)
		buf_append_byte(out, '\n');
}

static void text_errors(struct buf *out, const struct sigmatch_copy *c)
{
	for (size_t i = 0; i < c->run->nerrors; i++) {
		buf_printf_printable(out, "  error in the %s copy: %s", c->role, c->run->errors[i]);
		buf_append_byte(out, '\n');
	}
}

static void text_summary(struct buf *out, const struct sigmatch *cx)
{
	if (sigmatch_identical(cx)) {
		buf_append_str(out, "the copies are identical");
		if (cx->sent.run->msg.lf_converted != cx->recv.run->msg.lf_converted)
			buf_append_str(out, " once bare LF line ends are converted to CRLF");
		buf_append_str(out, "\n");
		return;
	}
	buf_printf_printable(out, "the copies differ: %zu header field%s added, %zu removed, %zu changed; body %s",
			     cx->hd.added, cx->hd.added == 1 ? "" : "s", cx->hd.removed, cx->hd.changed, cx->bd.summary);
	size_t broken = sigmatch_count(cx, SIGMATCH_BROKEN) + sigmatch_count(cx, SIGMATCH_DIFFERENT);
	size_t unexplained = sigmatch_unexplained(cx);
	if (broken && unexplained)
		buf_printf(out, "; %zu signature%s broken in transit, %zu not explained", broken, broken == 1 ? "" : "s",
			   unexplained);
	else if (broken)
		buf_printf(out, "; %zu signature%s broken in transit, %sexplained", broken, broken == 1 ? "" : "s",
			   broken == 1 ? "" : "all ");
	buf_append_str(out, "\n");
}

/* What the exit status says: did the content the sent copy's signatures cover change? */
static void text_signed_content(struct buf *out, const struct sigmatch *cx)
{
	if (sigmatch_signed_content_changed(cx))
		buf_append_str(out, "  signed content changed in transit (exit status 1)\n");
	else
		buf_append_str(out, "  the copies carry the same signed content (exit status 0)\n");
}

void cmpout_text(struct buf *out, const struct sigmatch *cx, int verbose)
{
	size_t width = verbose ? SHOW_WIDTH_VERBOSE : SHOW_WIDTH;
	buf_printf_printable(out, "compare  sent:     %s", cx->sent.path);
	buf_append_str(out, "\n         received: ");
	buf_append_printable(out, cx->recv.path, strlen(cx->recv.path));
	buf_append_byte(out, '\n');
	buf_append_str(out, "  ");
	text_summary(out, cx);
	text_signed_content(out, cx);
	text_errors(out, &cx->sent);
	text_errors(out, &cx->recv);
	buf_append_byte(out, '\n');
	text_headers(out, cx, width);
	text_body(out, cx);
	text_signatures(out, cx, verbose);
}

/* --- JSON --- */

static void json_slice(struct json *j, struct slice s)
{
	json_strn(j, s.ptr ? s.ptr : "", s.len);
}

static void json_field(struct json *j, const struct msg_field *f)
{
	json_obj_begin(j);
	json_key(j, "name");
	json_slice(j, f->malformed ? slice_cstr("") : f->name);
	json_key(j, "value");
	json_slice(j, f->value);
	json_kv_str(j, "role", hdrdiff_role(f));
	json_obj_end(j);
}

static void json_headers(struct json *j, const struct sigmatch *cx)
{
	const struct msg *ms = sent_msg(cx), *mr = recv_msg(cx);
	const struct header_diff *d = &cx->hd;
	json_key(j, "headers");
	json_obj_begin(j);
	json_key(j, "added");
	json_arr_begin(j);
	for (size_t k = 0; k < mr->nfields; k++)
		if (d->recv_partner[k] < 0)
			json_field(j, &mr->fields[k]);
	json_arr_end(j);
	json_key(j, "removed");
	json_arr_begin(j);
	for (size_t k = 0; k < ms->nfields; k++)
		if (d->sent_partner[k] < 0)
			json_field(j, &ms->fields[k]);
	json_arr_end(j);
	json_key(j, "changed");
	json_arr_begin(j);
	for (size_t k = 0; k < mr->nfields; k++) {
		long i = d->recv_partner[k];
		if (i < 0 || hdrdiff_same_bytes(ms->fields[i].raw, mr->fields[k].raw))
			continue;
		json_obj_begin(j);
		json_key(j, "name");
		json_slice(j, mr->fields[k].malformed ? slice_cstr("") : mr->fields[k].name);
		json_key(j, "from_bottom");
		json_uint(j, d->recv_from_bottom[k]);
		json_kv_bool(j, "whitespace_only", hdrdiff_compare(ms->fields[i].raw, mr->fields[k].raw) == HDRDIFF_WHITESPACE);
		json_key(j, "sent");
		json_slice(j, ms->fields[i].value);
		json_key(j, "received");
		json_slice(j, mr->fields[k].value);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_uint_or_null(struct json *j, const char *key, int present, uint64_t v)
{
	json_key(j, key);
	if (present)
		json_uint(j, v);
	else
		json_null(j);
}

static void json_pair_uint(struct json *j, const char *key, uint64_t sent, uint64_t received)
{
	json_key(j, key);
	json_obj_begin(j);
	json_key(j, "sent");
	json_uint(j, sent);
	json_key(j, "received");
	json_uint(j, received);
	json_obj_end(j);
}

static void json_pair_bool(struct json *j, const char *key, const char *ka, int a, const char *kb, int b)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_bool(j, ka, a);
	json_kv_bool(j, kb, b);
	json_obj_end(j);
}

static void json_body(struct json *j, const struct sigmatch *cx)
{
	const struct body_diff *bd = &cx->bd;
	int differs = bd->kind != BODYDIFF_IDENTICAL;
	json_key(j, "body");
	json_obj_begin(j);
	json_kv_bool(j, "changed", differs);
	json_kv_str(j, "kind", bodydiff_kind_name(bd->kind));
	json_kv_str(j, "detail", bd->detail);
	json_uint_or_null(j, "appended_bytes", bd->kind == BODYDIFF_APPENDED, bd->appended);
	json_uint_or_null(j, "truncated_bytes", bd->kind == BODYDIFF_TRUNCATED, bd->truncated);
	json_uint_or_null(j, "first_difference", differs, bd->first_difference);
	json_uint_or_null(j, "first_difference_line", differs, bd->first_line);
	json_key(j, "sent_bytes");
	json_uint(j, cx->sent.body->len);
	json_key(j, "received_bytes");
	json_uint(j, cx->recv.body->len);
	json_pair_bool(j, "canonically_equal", "simple", bd->simple_equal, "relaxed", bd->relaxed_equal);
	json_kv_str(j, "decoded", bodydiff_decoded_name(bd->decoded));
	json_pair_uint(j, "lf_converted", cx->sent.run->msg.lf_converted, cx->recv.run->msg.lf_converted);
	json_pair_bool(j, "separator", "sent", cx->sent.run->msg.has_separator, "received", cx->recv.run->msg.has_separator);
	json_obj_end(j);
}

static void json_sig_side(struct json *j, const char *key, const char *reason_key, const struct sigmatch_ref *ref)
{
	json_kv_str(j, key, ref ? verdict_word(ref->sig->v.result) : NULL);
	json_kv_str(j, reason_key, ref ? reason_of(ref->sig) : NULL);
}

static void json_signature(struct json *j, const struct sigmatch_entry *e)
{
	const struct dkim_sig *s = sigmatch_any_sig(e);
	json_obj_begin(j);
	json_kv_str(j, "kind", kind_key(e->kind));
	json_key(j, "instance");
	json_uint(j, e->instance);
	if (e->kind == DKIM_KIND_SIGNATURE)
		json_uint_or_null(j, "received_position", e->recv != NULL, e->recv ? e->recv->number : 0);
	json_kv_str(j, "d", s->d);
	json_kv_str(j, "s", s->s);
	json_sig_side(j, "sent", "sent_reason", e->sent);
	json_sig_side(j, "received", "received_reason", e->recv);
	json_kv_str(j, "outcome", sigmatch_outcome_name(e->outcome));
	json_kv_bool(j, "explained", e->explained);
	json_kv_str(j, "explanation", e->explanation.data ? e->explanation.data : "");
	json_obj_end(j);
}

static void json_chain(struct json *j, const char *key, const struct arc_chain *c)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_str(j, "result", verdict_word(c->result));
	json_kv_str(j, "reason", c->reason);
	json_obj_end(j);
}

static void json_errors(struct json *j, const struct sigmatch *cx)
{
	char line[300];
	json_key(j, "errors");
	json_arr_begin(j);
	const struct sigmatch_copy *copies[] = { &cx->sent, &cx->recv };
	for (size_t c = 0; c < 2; c++)
		for (size_t i = 0; i < copies[c]->run->nerrors; i++) {
			snprintf(line, sizeof line, "%s: %s", copies[c]->role, copies[c]->run->errors[i]);
			json_str(j, line);
		}
	json_arr_end(j);
}

void cmpout_json(struct buf *out, const struct sigmatch *cx)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_int(&j, "schema", REPORT_JSON_SCHEMA);
	json_kv_str(&j, "sent", cx->sent.path);
	json_kv_str(&j, "received", cx->recv.path);
	json_kv_bool(&j, "identical", sigmatch_identical(cx));
	json_kv_bool(&j, "signed_content_changed", sigmatch_signed_content_changed(cx));
	json_errors(&j, cx);
	json_headers(&j, cx);
	json_body(&j, cx);
	json_key(&j, "signatures");
	json_arr_begin(&j);
	for (size_t i = 0; i < cx->n; i++)
		json_signature(&j, &cx->items[i]);
	json_arr_end(&j);
	json_key(&j, "arc");
	json_obj_begin(&j);
	json_chain(&j, "sent", &cx->sent.run->arc);
	json_chain(&j, "received", &cx->recv.run->arc);
	json_obj_end(&j);
	json_obj_end(&j);
	buf_append_byte(out, '\n');
}

