/* bundle: a reproducible evidence directory for one message (see include/bundle.h). */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "version.h"

/* Text that can come from a message, a key record or a file name is written printable (buf.h). */
#define say buf_printf_printable

/* ---- small file helpers ---- */

static int bundle_path(const struct bundle_opts *o, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", o->dir, name);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* Files are created in the new directory only (O_EXCL): nothing there can be overwritten or followed. */
static int write_buf(const struct bundle_opts *o, const char *name, const struct buf *b, char *err, size_t errlen)
{
	char path[1024];
	if (bundle_path(o, name, path, sizeof path) < 0) {
		snprintf(err, errlen, "%s/%s: path too long", o->dir, name);
		return -1;
	}
	return buf_write_new_file(path, b->data ? b->data : "", b->len, 0, err, errlen);
}

static void iso_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, outlen, "%lld", (long long)t);
}

#define SHA_B64_LEN 45   /* a SHA-256 in base64, as bh= writes digests, with its NUL */

/* The message's size when the stream can tell it (seek to its end), else 0. */
static unsigned long long message_size(FILE *msg, long start)
{
	long end = fseek(msg, 0, SEEK_END) == 0 ? ftell(msg) : -1;
	return end > start ? (unsigned long long)(end - start) : 0;
}

static void bound_hit(char *err, size_t errlen)
{
	snprintf(err, errlen, "the message is larger than %llu bytes, the bound for --bundle", BUNDLE_MESSAGE_MAX);
}

/* Copy the message bytes exactly as read (at most BUNDLE_MESSAGE_MAX), and hash them on the way
 * (sha: SHA_B64_LEN bytes). */
static int copy_message(const struct bundle_opts *o, FILE *msg, long start, int keep, char *sha,
			unsigned long long *size, char *err, size_t errlen)
{
	char path[1024];
	FILE *out = NULL;
	if (message_size(msg, start) > BUNDLE_MESSAGE_MAX) {   /* checked before anything is written */
		bound_hit(err, errlen);
		return -1;
	}
	if (keep && (bundle_path(o, "message.eml", path, sizeof path) < 0 || !(out = fopen(path, "wbx")))) {
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
			bound_hit(err, errlen);
			rc = -2;
			break;
		}
		EVP_DigestUpdate(md, chunk, got);
		if (out && fwrite(chunk, 1, got, out) != got)
			rc = -1;
	}
	if (ferror(msg))
		rc = -1;   /* a short copy is not the message */
	unsigned char d[32];
	unsigned n = 0;
	if (rc == 0 && EVP_DigestFinal_ex(md, d, &n) == 1)
		b64_encode_to(d, n, sha, SHA_B64_LEN);
	EVP_MD_CTX_free(md);
	if (out && fclose(out) != 0)
		rc = -1;
	if (rc == -1)
		snprintf(err, errlen, "cannot copy the message into %s: %s", o->dir, strerror(errno));
	return rc < 0 ? -1 : 0;
}

/* ---- keys.zone ---- */

struct key_use {
	const struct keyans *a;
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
static void zone_txt(struct buf *z, const char *name, uint32_t ttl, const struct keyans_txt *t)
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
	const struct keyans *a = k->a;
	char when[40];
	iso_time(a->fetched, when, sizeof when);
	/* comments are printable text, so nothing in a name, a file name or a detail can end a comment line */
	buf_append_str(z, "\n; ");
	say(z, "%s", a->name);
	buf_append_byte(z, '\n');
	if (a->source == KEYANS_SRC_DNS)
		say(z, "; fetched %s from DNS server %s; TTL %u; AD bit %s; answer: %s", when,
		    a->server[0] ? a->server : "(resolver)", a->ttl, a->ad ? "set (DNSSEC-validated by the resolver)" : "not set",
		    keyans_status_word(a->status));
	else
		say(z, "; read %s from key file %s; answer: %s", when,
		    a->nrecords && a->records[0].origin[0] ? a->records[0].origin : a->server, keyans_status_word(a->status));
	buf_append_byte(z, '\n');
	if (a->cnames) { /* the records stay at the name signatures ask for, so the offline run finds them */
		say(z, "; reached through %u CNAME%s; the records are at %s", a->cnames, a->cnames > 1 ? "s" : "", a->target);
		buf_append_byte(z, '\n');
	}
	if (k->s->has_key && k->s->key.has_fingerprint) {
		char fp[64];
		b64_encode_to(k->s->key.fingerprint, 32, fp, sizeof fp);
		buf_printf(z, "; key used: record %ld, %s %u bits, SPKI SHA-256 %s\n", k->s->record_used + 1,
			   keyrec_type_name(k->s->key.type), k->s->key.bits, fp);
	}
	if (a->status != KEYANS_OK) {
		say(z, "; no record: %s%s", a->detail,
		    a->status == KEYANS_NXDOMAIN || a->status == KEYANS_NODATA
			    ? " (absent here too, so the offline run also finds no key)"
			    : " (a temporary failure; offline, the name is simply absent)");
		buf_append_byte(z, '\n');
		return;
	}
	for (size_t i = 0; i < a->nrecords; i++) {
		if (a->records[i].when[0]) {
			say(z, "; valid: %s", a->records[i].when);
			buf_append_byte(z, '\n');
		}
		zone_txt(z, a->name, a->source == KEYANS_SRC_DNS ? a->ttl : 3600, &a->records[i]);
	}
}

static int write_keys(const struct bundle_opts *o, const struct run_result *r, char *err, size_t errlen)
{
	struct key_use keys[256];
	size_t n = collect_keys(r, keys, 256);
	struct buf z;
	buf_init(&z, (size_t)16 << 20);
	say(&z, "; keys used to verify %s, written by arcverify %s", r->file, ARCVERIFY_VERSION);
	buf_append_byte(&z, '\n');
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
		char h[64] = "";
		if (hash_digest(HASH_SHA256, f->raw.ptr, f->raw.len, d, &n) == 0)
			b64_encode_to(d, n, h, sizeof h);
		say(&s, "%5zu %7zu %7zu  %s  %.*s", i + 1, (size_t)(f->raw.ptr - r->msg.header.data), f->raw.len, h,
		    (int)(f->name.len > 64 ? 64 : f->name.len), f->name.ptr);
		buf_append_byte(&s, '\n');
	}
	int rc = write_buf(o, "structure.txt", &s, err, errlen);
	buf_free(&s);
	return rc;
}

/* ---- report.md ---- */

/* A table cell: printable text (buf_append_printable), with '|' escaped for Markdown. */
static void md_cell(struct buf *b, const char *text)
{
	struct buf t;
	buf_init(&t, 8 * strlen(text) + 1);
	buf_append_printable(&t, text, strlen(text));
	buf_append_str(b, " ");
	for (size_t i = 0; i < t.len; i++) {
		if (t.data[i] == '|')
			buf_append_byte(b, '\\');
		buf_append_byte(b, t.data[i]);
	}
	buf_append_str(b, " |");
	buf_free(&t);
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

/* Variants that coincide on this message are one finding: the likeliest, then the others. */
static void md_variants(struct buf *b, const char *label, const char *hash, const struct forensic_finding *f,
			size_t n)
{
	if (n == 0)
		return;
	say(b, "- **%s**: %s `%s`: %s. Breaks %s.%s%s", label, hash, f[0].id, f[0].what, f[0].rule,
		   f[0].seen_in[0] ? " Seen in: " : "", f[0].seen_in);
	if (n > 1) {
		buf_append_str(b, " This message cannot tell it apart from");
		for (size_t i = 1; i < n; i++)
			buf_printf(b, "%s `%s` (%s)", i > 1 ? "," : "", f[i].id, f[i].what);
		buf_append_str(b, ", which give the same hash.");
	}
	buf_append_byte(b, '\n');
}

static void md_findings(struct buf *b, const char *label, const struct forensic_report *fr)
{
	if (!fr || fr->probed)
		return;
	md_variants(b, label, "the body hash is reproduced by", fr->body, fr->nbody);
	if (fr->prefix_found)
		buf_printf(b, "- **%s**: the first %llu bytes of the body match `bh=`; %llu bytes were appended after "
			   "signing.\n", label, (unsigned long long)fr->prefix_bytes,
			   (unsigned long long)(fr->body_bytes - fr->prefix_bytes));
	if (fr->body_examined && !fr->nbody && !fr->prefix_found)
		buf_printf(b, "- **%s**: no known body variant (%zu tried) reproduces `bh=`%s.\n", label, fr->body_tried,
			   fr->prefix_searched ? ", and no prefix of the body matches" : "");   /* every body has some */
	md_variants(b, label, "`b=` verifies with", fr->header, fr->nheader);
	if (!fr->header_examined || fr->nheader)
		return;
	if (fr->header_tried)   /* the signed field names come from the message */
		say(b, "- **%s**: `b=` verifies under none of %zu header variants. Signed fields: %s.", label,
		    fr->header_tried, fr->header_notes);
	else
		say(b, "- **%s**: `b=` does not verify, and no known header variant applies. Signed fields: %s.", label,
		    fr->header_notes);
	buf_append_byte(b, '\n');
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
	buf_printf(b, "- Tool: arcverify %s with %s\n", ARCVERIFY_VERSION, OpenSSL_version(OPENSSL_VERSION));
	buf_printf(b, "- Evaluated at: %s (`--now %lld`)\n", when, (long long)r->evaluated_at);
	buf_printf(b, "- Message: %llu bytes, SHA-256 (base64) `%s`%s\n", size, sha,
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

static void md_diagnosis_entry(struct buf *b, size_t n, const struct diagnosis_entry *e)
{
	buf_printf(b, "%zu. **%s", n, diagnosis_role_word(e->role));
	if (e->party[0])
		say(b, " %s", e->party);   /* a d= or authserv-id from the message */
	if (e->instance)
		buf_printf(b, " (ARC i=%u)", e->instance);
	buf_printf(b, "**, `%s`, %s", e->signature, diagnosis_evidence_word(e->evidence));
	if (e->has_between && e->between_to)
		buf_printf(b, ", changed between i=%u and i=%u", e->between_from, e->between_to);
	else if (e->has_between)
		buf_printf(b, ", changed after i=%u", e->between_from);
	buf_printf(b, "%s%s%s (%s): ", e->variant ? " (`" : "", e->variant ? e->variant : "", e->variant ? "`)" : "",
		   e->rule);
	buf_append_printable(b, e->what, strlen(e->what));
	buf_append_str(b, "\n");
}

/* The first section: whose bug it is, the paragraph an operator pastes into a vendor ticket. */
static void md_diagnosis(struct buf *b, const struct report_input *in)
{
	const struct diagnosis *d = in->diagnosis;
	buf_append_str(b, "## Diagnosis\n\n");
	if (!d || !d->computed)
		buf_append_str(b, "Not computed.\n\n");
	else if (d->n == 0)
		buf_append_str(b, "Every signature verifies and every hop's record agrees: nobody is at fault.\n\n");
	for (size_t i = 0; d && d->computed && i < d->n; i++)
		md_diagnosis_entry(b, i + 1, &d->v[i]);
	if (d && d->computed && d->n)
		buf_append_str(b, "\nMost likely first. A signer's bug is *proved* only when a known variant reproduces "
			       "its hash exactly; a verifier's bug can at most be *consistent* with the message.\n\n");
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
	buf_printf(b, "## ARC chain (RFC 8617): %s\n\n", verdict_word(c->result));
	say(b, "%s", c->reason);
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
			say(b, " %.*s=%.*s", (int)set->aar.methods[k].method.len, set->aar.methods[k].method.ptr,
			    (int)set->aar.methods[k].result.len, set->aar.methods[k].result.ptr);
		buf_append_str(b, set->aar_field < 0 ? " (missing)\n" : "\n");
	}
	buf_append_str(b, "\n");
}

static size_t md_count_claims(const struct claims *c, enum claim_state st)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->v[i].state == st;
	return n;
}

static void md_claims(struct buf *b, const struct claims *c, enum claim_state st)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct claim *cl = &c->v[i];
		if (cl->state != st)
			continue;
		char src[64];
		if (cl->from_aar)
			snprintf(src, sizeof src, "ARC-Authentication-Results i=%u", cl->instance);
		else
			snprintf(src, sizeof src, "Authentication-Results");
		say(b, "- %s (%s): `%s=%s` about %s; arcverify: %s. %s", src, cl->authserv_id, cl->method, cl->said,
		    cl->subject, cl->ours[0] ? cl->ours : "-", cl->note);
		buf_append_byte(b, '\n');
	}
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
		md_claims(b, in->claims, CLAIM_DISAGREES);
		buf_append_str(b, "\n");
	}
	if (in->claims && md_count_claims(in->claims, CLAIM_EXPLAINED)) {
		buf_append_str(b, "## Hops' records the diagnosis explains\n\n");
		md_claims(b, in->claims, CLAIM_EXPLAINED);
		buf_append_str(b, "\n");
	}
	if (in->lint && in->lint->n) {
		buf_append_str(b, "## Warnings (they do not change any result)\n\n");
		for (size_t i = 0; i < in->lint->n; i++) {
			say(b, "- %s: %s (`%s`)", in->lint->v[i].where, in->lint->v[i].text, in->lint->v[i].code);
			buf_append_byte(b, '\n');
		}
		buf_append_str(b, "\n");
	}
}

static int write_report_md(const struct bundle_opts *o, const struct report_input *in, const char *sha,
			   unsigned long long size, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b, (size_t)16 << 20);
	say(&b, "# arcverify evidence: %s", o->redact ? "(redacted)" : in->run->file);
	buf_append_str(&b, "\n\n");
	md_diagnosis(&b, in);
	md_header(&b, o, in->run, sha, size);
	for (size_t i = 0; i < in->run->nerrors; i++) {
		say(&b, "**Error:** %s", in->run->errors[i]);
		buf_append_str(&b, "\n\n");
	}
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

/* ---- the directory: written beside DIR, renamed into place ---- */

const char *const bundle_file_names[] = { "message.eml", "keys.zone", "result.json", "report.md", "structure.txt",
					  NULL };

static int is_bundle_file(const char *name)
{
	for (size_t i = 0; bundle_file_names[i]; i++)
		if (strcmp(name, bundle_file_names[i]) == 0)
			return 1;
	return 0;
}

struct place {
	char target[1024];   /* DIR without trailing slashes */
	char parent[1024];   /* the directory that holds it */
	char base[256];      /* its last component */
	char tmp[1400];      /* the new bundle, beside it */
	char old[1400];      /* a previous bundle moved aside (--force) */
};

static int place_split(const char *dir, struct place *p, char *err, size_t errlen)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof p->target) {
		snprintf(err, errlen, "--bundle directory name too long");
		return -1;
	}
	snprintf(p->target, sizeof p->target, "%.*s", (int)n, dir);
	const char *slash = strrchr(p->target, '/');
	const char *base = slash ? slash + 1 : p->target;
	snprintf(p->base, sizeof p->base, "%.*s", (int)(sizeof p->base - 1), base);
	if (slash)
		snprintf(p->parent, sizeof p->parent, "%.*s", slash == p->target ? 1 : (int)(slash - p->target), p->target);
	else
		snprintf(p->parent, sizeof p->parent, ".");
	if (!*p->base || strcmp(p->base, ".") == 0 || strcmp(p->base, "..") == 0 || strlen(base) >= sizeof p->base) {
		snprintf(err, errlen, "%s: name a directory to create (not ., .. or /)", dir);
		return -1;
	}
	return 0;
}

enum target_state { TARGET_ABSENT, TARGET_EMPTY, TARGET_BUNDLE };

/* A previous bundle: nothing but bundle files, report.md among them, written by arcverify. */
static int holds_our_report(const char *dir)
{
	char path[1100], head[32] = "";
	snprintf(path, sizeof path, "%s/report.md", dir);
	FILE *f = fopen(path, "rb");
	size_t got = f ? fread(head, 1, sizeof head - 1, f) : 0;
	if (f)
		fclose(f);
	head[got] = '\0';
	return strncmp(head, "# arcverify evidence", 20) == 0;
}

/* The first entry of dir that is not a regular bundle file ("" if none); *n counts the entries. */
static int scan_target(const char *dir, char *foreign, size_t flen, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	*n = 0;
	foreign[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		(*n)++;
		char path[1400];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (!foreign[0] && (!is_bundle_file(e->d_name) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode)))
			snprintf(foreign, flen, "%s", e->d_name);
	}
	closedir(d);
	return 0;
}

/* What DIR holds now. A bundle goes into a new or empty directory, or (--force) over a previous
 * bundle; anything else in DIR is the user's and is never touched. */
static int target_check(const struct place *p, int force, enum target_state *state, char *err, size_t errlen)
{
	struct stat st;
	char foreign[256];
	size_t n;
	if (lstat(p->target, &st) != 0) {
		*state = TARGET_ABSENT;
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", p->target, strerror(errno)), -1);
	}
	if (!S_ISDIR(st.st_mode) || scan_target(p->target, foreign, sizeof foreign, &n) < 0) {
		snprintf(err, errlen, "%s: %s", p->target, S_ISDIR(st.st_mode) ? strerror(errno) : "exists and is not a directory");
		return -1;
	}
	*state = n == 0 ? TARGET_EMPTY : TARGET_BUNDLE;
	if (n && foreign[0]) {
		struct buf shown;
		buf_init(&shown, 1024);
		buf_append_printable(&shown, foreign, strlen(foreign));
		snprintf(err, errlen, "%s is not empty: it holds %s, which is not a bundle file; nothing is replaced, even "
			 "with --force (give a new directory)", p->target, shown.data ? shown.data : "");
		buf_free(&shown);
		return -1;
	}
	if (n && (!force || !holds_our_report(p->target))) {
		snprintf(err, errlen, "%s is not empty%s; give a new directory%s", p->target,
			 force ? " and holds no arcverify report.md" : " (a previous bundle)", force ? "" : ", or --force to replace it");
		return -1;
	}
	return 0;
}

/* A new directory beside the target, with a name nobody else holds (mkdir is exclusive). */
static int make_beside(const struct place *p, const char *what, char *out, size_t outlen, int create, char *err,
		       size_t errlen)
{
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(out, outlen, "%s/.%s.%s-%ld-%u", p->parent, p->base, what, (long)getpid(), i);
		struct stat st;
		if (create ? mkdir(out, 0777) == 0 : lstat(out, &st) != 0 && errno == ENOENT)
			return 0;
		if (create && errno != EEXIST)
			break;
	}
	snprintf(err, errlen, "%s: cannot make a directory beside it: %s", p->target, strerror(errno));
	return -1;
}

static void remove_bundle_dir(const char *dir)
{
	char path[1400];
	for (size_t i = 0; bundle_file_names[i]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, bundle_file_names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Flush the files and the directory to disk before the rename makes them the bundle. */
static int sync_dir(const char *dir)
{
	char path[1400];
	int rc = 0;
	for (size_t i = 0; bundle_file_names[i]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, bundle_file_names[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			rc |= fsync(fd);
			close(fd);
		}
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc |= fsync(fd);
		close(fd);
	}
	return rc;
}

/* rename(2) is atomic: DIR is the old state or the new bundle, never a mix. An empty DIR is
 * replaced by the rename itself; a previous bundle is first moved aside, then removed. */
static int place_into(struct place *p, enum target_state state, char *err, size_t errlen)
{
	if (state == TARGET_BUNDLE && (make_beside(p, "old", p->old, sizeof p->old, 0, err, errlen) < 0 ||
				       rename(p->target, p->old) != 0)) {
		snprintf(err, errlen, "%s: cannot move the previous bundle aside: %s", p->target, strerror(errno));
		return -1;
	}
	if (rename(p->tmp, p->target) != 0) {
		int e = errno;
		if (state == TARGET_BUNDLE)
			rename(p->old, p->target);
		snprintf(err, errlen, "%s: %s", p->target,
			 e == ENOTEMPTY || e == EEXIST ? "no longer empty (something was written into it meanwhile)" : strerror(e));
		return -1;
	}
	if (state == TARGET_BUNDLE)
		remove_bundle_dir(p->old);
	int fd = open(p->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

static int write_files(const struct bundle_opts *o, const struct report_input *in, FILE *msg, long start, char *err,
		       size_t errlen)
{
	char sha[SHA_B64_LEN] = "";
	unsigned long long size = 0;
	if (copy_message(o, msg, start, !o->redact, sha, &size, err, errlen) < 0 ||
	    write_keys(o, in->run, err, errlen) < 0 || write_result_json(o, in, err, errlen) < 0 ||
	    write_report_md(o, in, sha, size, err, errlen) < 0)
		return -1;
	if (o->redact && in->run->msg_open && write_structure(o, in->run, sha, size, err, errlen) < 0)
		return -1;
	return 0;
}

int bundle_write(const struct bundle_opts *o, const struct report_input *in, FILE *msg, long start,
		 char *err, size_t errlen)
{
	struct place *p = calloc(1, sizeof *p);
	enum target_state state;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = place_split(o->dir, p, err, errlen) < 0 || target_check(p, o->force, &state, err, errlen) < 0 ||
		 make_beside(p, "partial", p->tmp, sizeof p->tmp, 1, err, errlen) < 0 ? -1 : 0;
	if (rc == 0) {
		struct bundle_opts w = *o;
		w.dir = p->tmp;
		if (write_files(&w, in, msg, start, err, errlen) < 0 || (sync_dir(p->tmp) != 0 &&
		    (snprintf(err, errlen, "%s: %s", p->tmp, strerror(errno)), 1)) || place_into(p, state, err, errlen) < 0) {
			remove_bundle_dir(p->tmp);
			rc = -1;
		}
	}
	free(p);
	return rc;
}
