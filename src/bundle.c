/* bundle: a reproducible evidence directory for one message (see include/bundle.h). */
#include "bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "version.h"

/* ---- small file helpers ---- */

static int bundle_path(const struct bundle_opts *o, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", o->dir, name);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static int write_buf(const struct bundle_opts *o, const char *name, const struct buf *b, char *err, size_t errlen)
{
	char path[1024];
	if (bundle_path(o, name, path, sizeof path) < 0) {
		snprintf(err, errlen, "%s/%s: path too long", o->dir, name);
		return -1;
	}
	return buf_write_file(path, b->data ? b->data : "", b->len, err, errlen);
}

static void iso_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, outlen, "%lld", (long long)t);
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	out[2 * n] = '\0';
}

/* The message's size when the stream can tell it (seek to its end), else 0. */
static unsigned long long message_size(FILE *msg, long start)
{
	long end = fseek(msg, 0, SEEK_END) == 0 ? ftell(msg) : -1;
	return end > start ? (unsigned long long)(end - start) : 0;
}

/* Copy the message bytes exactly as read (at most BUNDLE_MESSAGE_MAX), and hash them on the way. */
static int copy_message(const struct bundle_opts *o, FILE *msg, long start, int keep, char *sha_hex,
			unsigned long long *size, char *err, size_t errlen)
{
	char path[1024];
	FILE *out = NULL;
	if (message_size(msg, start) > BUNDLE_MESSAGE_MAX) {   /* checked before anything is written */
		snprintf(err, errlen, "the message is larger than %llu bytes, the bound for --bundle", BUNDLE_MESSAGE_MAX);
		return -1;
	}
	if (keep && (bundle_path(o, "message.eml", path, sizeof path) < 0 || !(out = fopen(path, "wb")))) {
		snprintf(err, errlen, "%s/message.eml: %s", o->dir, strerror(errno));
		return -1;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && fseek(msg, start, SEEK_SET) == 0 ? 0 : -1;
	char chunk[65536];
	size_t got;
	*size = 0;
	while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, msg)) > 0) {
		*size += got;
		if (*size > BUNDLE_MESSAGE_MAX) {   /* a stream that could not tell its size */
			snprintf(err, errlen, "the message is larger than %llu bytes, the bound for --bundle", BUNDLE_MESSAGE_MAX);
			rc = -2;
			break;
		}
		EVP_DigestUpdate(md, chunk, got);
		if (out && fwrite(chunk, 1, got, out) != got)
			rc = -1;
	}
	unsigned char d[32];
	unsigned n = 0;
	if (rc == 0 && EVP_DigestFinal_ex(md, d, &n) == 1)
		hex(d, n, sha_hex);
	EVP_MD_CTX_free(md);
	if (out && fclose(out) != 0)
		rc = -1;
	if (rc == -1)
		snprintf(err, errlen, "cannot copy the message into %s: %s", o->dir, strerror(errno));
	return rc < 0 ? -1 : 0;
}

/* ---- keys.zone ---- */

struct key_use {
	const struct lookup_answer *a;
	const struct dkim_sig *s;     /* a signature that used it, for the fingerprint */
};

static size_t collect_sig_key(struct key_use *keys, size_t n, size_t max, const struct dkim_sig *s)
{
	if (!s->answer || n == max)
		return n;
	for (size_t i = 0; i < n; i++) {
		if (keys[i].a == s->answer) {
			if (!keys[i].s->has_key && s->has_key)
				keys[i].s = s;
			return n;
		}
	}
	keys[n].a = s->answer;
	keys[n].s = s;
	return n + 1;
}

static size_t collect_keys(const struct run_result *r, struct key_use *keys, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ndkim; i++)
		n = collect_sig_key(keys, n, max, &r->dkim[i]);
	for (unsigned i = 0; i < r->arc.n; i++) {
		if (r->arc.sets[i].has_ams)
			n = collect_sig_key(keys, n, max, &r->arc.sets[i].ams);
		if (r->arc.sets[i].has_as)
			n = collect_sig_key(keys, n, max, &r->arc.sets[i].as);
	}
	return n;
}

/* One TXT record as zone text, split in strings of at most 255 octets (RFC 1035 §3.3.14). */
static void zone_txt(struct buf *z, const char *name, uint32_t ttl, const struct lookup_txt *t)
{
	buf_printf(z, "%s. %u IN TXT", name, ttl);
	for (size_t off = 0; off < t->len || off == 0; off += 255) {
		buf_append_str(z, " \"");
		for (size_t i = off; i < t->len && i < off + 255; i++) {
			char c = t->text[i];
			if (c == '"' || c == '\\')
				buf_append_byte(z, '\\');
			if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
				buf_printf(z, "\\%03u", (unsigned char)c);
			else
				buf_append_byte(z, c);
		}
		buf_append_byte(z, '"');
		if (t->len == 0)
			break;
	}
	buf_append_byte(z, '\n');
}

static void zone_key(struct buf *z, const struct key_use *k)
{
	const struct lookup_answer *a = k->a;
	char when[40];
	iso_time(a->fetched, when, sizeof when);
	buf_printf(z, "\n; %s\n", a->name);
	if (a->source == LOOKUP_SRC_DNS)
		buf_printf(z, "; fetched %s from DNS server %s; TTL %u; AD bit %s; answer: %s\n", when,
			   a->server[0] ? a->server : "(resolver)", a->ttl, a->ad ? "set (DNSSEC-validated by the resolver)" : "not set",
			   lookup_status_word(a->status));
	else
		buf_printf(z, "; read %s from key file %s; answer: %s\n", when,
			   a->nrecords && a->records[0].origin[0] ? a->records[0].origin : a->server,
			   lookup_status_word(a->status));
	if (k->s->has_key && k->s->key.has_fingerprint) {
		char fp[80];
		hex(k->s->key.fingerprint, 32, fp);
		buf_printf(z, "; key used: record %ld, %s %u bits, SPKI SHA-256 %s\n", k->s->record_used + 1,
			   keyrec_type_name(k->s->key.type), k->s->key.bits, fp);
	}
	if (a->status != LOOKUP_OK) {
		buf_printf(z, "; no record: %s%s\n", a->detail,
			   a->status == LOOKUP_NXDOMAIN || a->status == LOOKUP_NODATA
				   ? " (absent here too, so the offline run also finds no key)"
				   : " (a temporary failure; offline, the name is simply absent)");
		return;
	}
	for (size_t i = 0; i < a->nrecords; i++) {
		if (a->records[i].when[0])
			buf_printf(z, "; valid: %s\n", a->records[i].when);
		zone_txt(z, a->name, a->source == LOOKUP_SRC_DNS ? a->ttl : 3600, &a->records[i]);
	}
}

static int write_keys(const struct bundle_opts *o, const struct run_result *r, char *err, size_t errlen)
{
	struct key_use keys[256];
	size_t n = collect_keys(r, keys, 256);
	struct buf z;
	buf_init(&z, (size_t)16 << 20);
	buf_printf(&z, "; keys used to verify %s, written by arcverify %s\n", r->file, ARCVERIFY_VERSION);
	buf_append_str(&z, "; zone-file form: arcverify --keys keys.zone reads it, and so does a DNS server\n");
	for (size_t i = 0; i < n; i++)
		zone_key(&z, &keys[i]);
	int rc = write_buf(o, "keys.zone", &z, err, errlen);
	buf_free(&z);
	return rc;
}

/* ---- structure.txt (--redact) ---- */

static int write_structure(const struct bundle_opts *o, const struct run_result *r, const char *sha,
			   unsigned long long size, char *err, size_t errlen)
{
	struct buf s;
	buf_init(&s, (size_t)16 << 20);
	buf_printf(&s, "# message structure (redacted: no header values, no body text)\n");
	buf_printf(&s, "message: %llu bytes, SHA-256 %s\n", size, sha);
	buf_printf(&s, "header block: %zu bytes, %zu fields; body: %llu bytes after line-end conversion\n",
		   r->msg.header.len, r->msg.nfields, (unsigned long long)r->msg.body_bytes);
	buf_append_str(&s, "# field  offset  length  sha256-of-raw-field  name\n");
	for (size_t i = 0; i < r->msg.nfields; i++) {
		const struct msg_field *f = &r->msg.fields[i];
		unsigned char d[32];
		unsigned n = 0;
		char h[65] = "";
		if (hash_digest(HASH_SHA256, f->raw.ptr, f->raw.len, d, &n) == 0)
			hex(d, n, h);
		buf_printf(&s, "%5zu %7zu %7zu  %s  %.*s\n", i + 1, (size_t)(f->raw.ptr - r->msg.header.data), f->raw.len,
			   h, (int)(f->name.len > 64 ? 64 : f->name.len), f->name.ptr);
	}
	int rc = write_buf(o, "structure.txt", &s, err, errlen);
	buf_free(&s);
	return rc;
}

/* ---- report.md ---- */

static void md_cell(struct buf *b, const char *text)
{
	buf_append_str(b, " ");
	for (; *text; text++) {
		if (*text == '|')
			buf_append_byte(b, '\\');
		buf_append_byte(b, *text == '\n' || *text == '\r' ? ' ' : *text);
	}
	buf_append_str(b, " |");
}

static void md_sig_row(struct buf *b, const char *label, const struct dkim_sig *s)
{
	char key[64] = "-", c[48];
	if (s->has_key)
		snprintf(key, sizeof key, "%s %u", keyrec_type_name(s->key.type), s->key.bits);
	snprintf(c, sizeof c, "%s", s->kind == DKIM_KIND_SEAL ? "relaxed" : s->c[0] ? s->c : "(default)");
	buf_append_str(b, "|");
	md_cell(b, label);
	md_cell(b, verdict_word(s->v.result));
	md_cell(b, s->d);
	md_cell(b, s->s);
	md_cell(b, s->a);
	md_cell(b, c);
	md_cell(b, key);
	md_cell(b, s->v.reason);
	buf_append_byte(b, '\n');
}

static void md_findings(struct buf *b, const char *label, const struct forensic_report *fr)
{
	if (!fr)
		return;
	for (size_t i = 0; i < fr->nbody; i++)
		buf_printf(b, "- **%s**: the body hash is reproduced by `%s`: %s. Breaks %s.%s%s\n", label, fr->body[i].id,
			   fr->body[i].what, fr->body[i].rule, fr->body[i].seen_in[0] ? " Seen in: " : "",
			   fr->body[i].seen_in);
	if (fr->prefix_found)
		buf_printf(b, "- **%s**: the first %llu bytes of the body match `bh=`; %llu bytes were appended after "
			   "signing.\n", label, (unsigned long long)fr->prefix_bytes,
			   (unsigned long long)(fr->body_bytes - fr->prefix_bytes));
	if (fr->body_examined && !fr->nbody && !fr->prefix_found)
		buf_printf(b, "- **%s**: no known body variant (%zu tried) reproduces `bh=`%s.\n", label, fr->body_tried,
			   fr->prefix_searched ? ", and no prefix of the body matches" : "");
	for (size_t i = 0; i < fr->nheader; i++)
		buf_printf(b, "- **%s**: `b=` verifies with `%s`: %s. Breaks %s.%s%s\n", label, fr->header[i].id,
			   fr->header[i].what, fr->header[i].rule, fr->header[i].seen_in[0] ? " Seen in: " : "",
			   fr->header[i].seen_in);
	if (fr->header_examined && !fr->nheader)
		buf_printf(b, "- **%s**: `b=` verifies under none of %zu header variants. Signed fields: %s.\n", label,
			   fr->header_tried, fr->header_notes);
}

static void md_reproduce(struct buf *b, const struct bundle_opts *o, const struct run_result *r)
{
	/* --explain: the bundle's result carries forensics, so the reproduction must compute them too */
	buf_printf(b, "arcverify --keys keys.zone --now %lld --explain", (long long)r->evaluated_at);
	if (o->run->policy.allow_sha1)
		buf_append_str(b, " --allow-sha1");
	if (o->run->policy.min_key_bits != 1024)
		buf_printf(b, " --min-key-bits %u", o->run->policy.min_key_bits);
	if (o->run->policy.max_key_bits)
		buf_printf(b, " --max-key-bits %u", o->run->policy.max_key_bits);
	if (o->run->max_signatures)
		buf_printf(b, " --max-signatures %u", o->run->max_signatures);
	if (o->run->msg.no_crlf)
		buf_append_str(b, " --no-crlf");
	if (!o->run->do_arc)
		buf_append_str(b, " --dkim-only");
	if (!o->run->do_dkim)
		buf_append_str(b, " --arc-only");
	buf_append_str(b, " message.eml");
}

static void md_header(struct buf *b, const struct bundle_opts *o, const struct run_result *r, const char *sha,
		      unsigned long long size)
{
	char when[40];
	iso_time(r->evaluated_at, when, sizeof when);
	buf_printf(b, "# arcverify evidence: %s\n\n", o->redact ? "(redacted)" : r->file);
	buf_printf(b, "- Tool: arcverify %s with %s\n", ARCVERIFY_VERSION, OpenSSL_version(OPENSSL_VERSION));
	buf_printf(b, "- Evaluated at: %s (`--now %lld`)\n", when, (long long)r->evaluated_at);
	buf_printf(b, "- Message: %llu bytes, SHA-256 `%s`%s\n", size, sha,
		   o->redact ? " (not included: redacted bundle; see structure.txt)" : " (`message.eml`)");
	buf_printf(b, "- Keys: `keys.zone` (every record used, with where and when it was fetched)\n");
	buf_printf(b, "- Machine-readable result: `result.json`\n");
	if (!o->redact) {
		buf_append_str(b, "- Reproduce offline, at any later time (add `--json` for result.json's form):\n\n      ");
		md_reproduce(b, o, r);
		buf_append_str(b, "\n");
	}
	buf_append_str(b, "\n");
}

static void md_dkim(struct buf *b, const struct report_input *in)
{
	const struct run_result *r = in->run;
	buf_append_str(b, "## DKIM signatures (RFC 6376)\n\n");
	if (r->ndkim == 0) {
		buf_append_str(b, "None.\n\n");
		return;
	}
	buf_append_str(b, "| # | result | d= | s= | a= | c= | key | reason |\n|---|---|---|---|---|---|---|---|\n");
	char label[32];
	for (size_t i = 0; i < r->ndkim; i++) {
		snprintf(label, sizeof label, "%zu", i + 1);
		md_sig_row(b, label, &r->dkim[i]);
	}
	buf_append_str(b, "\n");
}

static void md_arc(struct buf *b, const struct report_input *in)
{
	const struct arc_chain *c = &in->run->arc;
	buf_printf(b, "## ARC chain (RFC 8617): %s\n\n%s", verdict_word(c->result), c->reason);
	if (c->result == VERDICT_PASS)
		buf_printf(b, " (`header.oldest-pass=%d`)", c->oldest_pass);
	buf_append_str(b, "\n\n");
	if (c->n == 0)
		return;
	buf_append_str(b, "| signature | result | d= | s= | a= | c= | key | reason |\n|---|---|---|---|---|---|---|---|\n");
	char label[48];
	for (unsigned i = c->n; i >= 1; i--) {
		const struct arc_set *set = &c->sets[i - 1];
		if (set->has_as) {
			snprintf(label, sizeof label, "AS i=%u cv=%s", i, set->as.cv);
			md_sig_row(b, label, &set->as);
		}
		if (set->has_ams) {
			snprintf(label, sizeof label, "AMS i=%u", i);
			md_sig_row(b, label, &set->ams);
		}
	}
	buf_append_str(b, "\nWhat each hop recorded (ARC-Authentication-Results):\n\n");
	for (unsigned i = c->n; i >= 1; i--) {
		const struct arc_set *set = &c->sets[i - 1];
		buf_printf(b, "- i=%u ", i);
		buf_append_printable(b, set->aar.authserv_id.ptr, set->aar.authserv_id.len);
		buf_append_byte(b, ':');
		for (size_t k = 0; k < set->aar.nmethods; k++)
			buf_printf(b, " %.*s=%.*s", (int)set->aar.methods[k].method.len, set->aar.methods[k].method.ptr,
				   (int)set->aar.methods[k].result.len, set->aar.methods[k].result.ptr);
		buf_append_str(b, set->aar_field < 0 ? " (missing)\n" : "\n");
	}
	buf_append_str(b, "\n");
}

static void md_evidence(struct buf *b, const struct report_input *in)
{
	const struct run_result *r = in->run;
	size_t start = b->len;
	buf_append_str(b, "## Forensics\n\n");
	size_t mark = b->len;
	char label[320];
	for (size_t i = 0; i < r->ndkim; i++) {
		snprintf(label, sizeof label, "DKIM #%zu (d=%s)", i + 1, r->dkim[i].d);
		md_findings(b, label, forensics_for(in->forensics, &r->dkim[i]));
	}
	for (unsigned i = 1; i <= r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i - 1];
		snprintf(label, sizeof label, "AMS i=%u (d=%s)", i, set->ams.d);
		if (set->has_ams)
			md_findings(b, label, forensics_for(in->forensics, &set->ams));
		snprintf(label, sizeof label, "AS i=%u (d=%s)", i, set->as.d);
		if (set->has_as)
			md_findings(b, label, forensics_for(in->forensics, &set->as));
	}
	if (b->len == mark)
		b->len = start; /* nothing failed, nothing to explain */
	else
		buf_append_str(b, "\n");
	if (in->claims && claims_disagreements(in->claims)) {
		buf_append_str(b, "## Where a hop's recorded result disagrees with arcverify\n\n");
		for (size_t i = 0; i < in->claims->n; i++) {
			const struct claim *cl = &in->claims->v[i];
			if (cl->agree)
				continue;
			char src[64];
			if (cl->from_aar)
				snprintf(src, sizeof src, "ARC-Authentication-Results i=%u", cl->instance);
			else
				snprintf(src, sizeof src, "Authentication-Results");
			buf_printf(b, "- %s (%s): `%s=%s` about %s; arcverify: %s. %s\n", src, cl->authserv_id, cl->method,
				   cl->said, cl->subject, cl->ours[0] ? cl->ours : "-", cl->note);
		}
		buf_append_str(b, "\n");
	}
	if (in->lint && in->lint->n) {
		buf_append_str(b, "## Warnings (they do not change any result)\n\n");
		for (size_t i = 0; i < in->lint->n; i++)
			buf_printf(b, "- %s: %s (`%s`)\n", in->lint->v[i].where, in->lint->v[i].text, in->lint->v[i].code);
		buf_append_str(b, "\n");
	}
}

static int write_report_md(const struct bundle_opts *o, const struct report_input *in, const char *sha,
			   unsigned long long size, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b, (size_t)16 << 20);
	md_header(&b, o, in->run, sha, size);
	if (in->run->nerrors)
		for (size_t i = 0; i < in->run->nerrors; i++)
			buf_printf(&b, "**Error:** %s\n\n", in->run->errors[i]);
	if (o->run->do_dkim)
		md_dkim(&b, in);
	if (o->run->do_arc)
		md_arc(&b, in);
	md_evidence(&b, in);
	int rc = write_buf(o, "report.md", &b, err, errlen);
	buf_free(&b);
	return rc;
}

static int write_result_json(const struct bundle_opts *o, const struct report_input *in, char *err, size_t errlen)
{
	struct report_opts ro = *o->report;
	ro.format = REPORT_JSON;
	ro.redact = o->redact;
	struct buf j;
	buf_init(&j, (size_t)1 << 30);
	report_message(&j, in, &ro);
	int rc = write_buf(o, "result.json", &j, err, errlen);
	buf_free(&j);
	return rc;
}

int bundle_write(const struct bundle_opts *o, const struct report_input *in, FILE *msg, long start,
		 char *err, size_t errlen)
{
	if (mkdir(o->dir, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", o->dir, strerror(errno));
		return -1;
	}
	char sha[65] = "";
	unsigned long long size = 0;
	if (copy_message(o, msg, start, !o->redact, sha, &size, err, errlen) < 0 ||
	    write_keys(o, in->run, err, errlen) < 0 || write_result_json(o, in, err, errlen) < 0 ||
	    write_report_md(o, in, sha, size, err, errlen) < 0)
		return -1;
	if (o->redact && in->run->msg_open && write_structure(o, in->run, sha, size, err, errlen) < 0)
		return -1;
	return 0;
}
