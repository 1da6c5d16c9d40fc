/*
 * compare: two copies of one message, as sent and as received (include/compare.h).
 *
 * The order of work: read both bodies (bounded, failing early on a body too
 * large), run both copies through the normal pipeline (both run_open calls
 * first, so key queries of the two copies are in flight together), align the
 * header fields, classify the body change, match the signatures by b= and
 * explain each one, then write text or JSON.
 */
#include "compare.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "b64.h"
#include "canon.h"
#include "hash.h"
#include "json.h"
#include "tags.h"

#define SHOW_WIDTH 72          /* characters of a value shown in text output */
#define SHOW_WIDTH_VERBOSE 2000
#define EXPLANATION_MAX 8192

/* ================================================================ copies ==== */

struct copy {
	const char *role;              /* "sent" or "received" */
	const char *path;
	FILE *in;
	struct run_result run;
	int ran;                       /* run_open was called, so run_free is needed */
	struct buf body;               /* the body after LF conversion */
	uint64_t lf_converted;
	int has_separator;
	unsigned char simple_digest[HASH_MAX_DIGEST], relaxed_digest[HASH_MAX_DIGEST];
	int digests_ok;
};

static void copy_init(struct copy *c, const char *role, const char *path)
{
	memset(c, 0, sizeof *c);
	c->role = role;
	c->path = path;
	buf_init(&c->body, COMPARE_BODY_MAX);
}

static void copy_free(struct copy *c)
{
	if (c->ran)
		run_free(&c->run);
	buf_free(&c->body);
	if (c->in)
		fclose(c->in);
	c->in = NULL;
}

static int copy_error(const struct copy *c, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s (the %s copy): %s", c->path, c->role, why);
	return -1;
}

static int copy_open(struct copy *c, char *err, size_t errlen)
{
	if (strcmp(c->path, "-") == 0) {
		c->in = msg_spool(stdin);
		return c->in ? 0 : copy_error(c, err, errlen, "cannot copy standard input to a temporary file");
	}
	struct stat st;
	if (stat(c->path, &st) == 0 && S_ISDIR(st.st_mode))
		return copy_error(c, err, errlen, "is a directory (give message files)");
	c->in = fopen(c->path, "rb");
	return c->in ? 0 : copy_error(c, err, errlen, strerror(errno));
}

static int copy_run_open(struct copy *c, const struct run_opts *ro, struct lookup *lk, char *err, size_t errlen)
{
	if (fseek(c->in, 0, SEEK_SET) != 0)
		return copy_error(c, err, errlen, "cannot seek (give a regular file)");
	c->ran = 1;
	if (run_open(&c->run, c->path, c->in, ro, lk) < 0)
		return copy_error(c, err, errlen, c->run.nerrors ? c->run.errors[0] : "unreadable");
	return 0;
}

/*
 * The body is read once: run_body_copy feeds the signatures' body hashes and
 * keeps the converted body for the comparison. The simple and relaxed SHA-256
 * body hashes (RFC 6376 §3.4.3, §3.4.4: what bh= sees) are registered beside
 * the signatures' own, so they share a pass with any signature that uses them.
 */
static int copy_run_body(struct copy *c, char *err, size_t errlen)
{
	struct body_hash *simple = hash_body_get(&c->run.reg, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *relaxed = hash_body_get(&c->run.reg, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0);
	int full = 0;
	if (run_body_copy(&c->run, &c->body, &full) < 0)
		return copy_error(c, err, errlen, c->run.nerrors ? c->run.errors[c->run.nerrors - 1] : "read error");
	if (full) {
		char why[128];
		snprintf(why, sizeof why, "body larger than %zu MiB (--compare holds both bodies in memory)",
			 COMPARE_BODY_MAX >> 20);
		return copy_error(c, err, errlen, why);
	}
	if (!c->body.data)
		buf_append(&c->body, "", 0);
	c->lf_converted = c->run.msg.lf_converted;
	c->has_separator = c->run.msg.has_separator;
	c->digests_ok = simple && relaxed && !simple->failed && !relaxed->failed;
	if (c->digests_ok) {
		memcpy(c->simple_digest, simple->digest, sizeof c->simple_digest);
		memcpy(c->relaxed_digest, relaxed->digest, sizeof c->relaxed_digest);
	}
	return 0;
}

/* ======================================================== header fields ==== */

enum field_change { FIELD_SAME = 0, FIELD_WHITESPACE, FIELD_CONTENT };

struct header_diff {
	long *sent_partner;            /* per sent field: the received field it became, -1 = removed */
	long *recv_partner;            /* per received field: the sent field it was, -1 = added */
	size_t *recv_from_bottom;      /* per received field: occurrence of its name from the bottom */
	size_t added, removed, changed, whitespace_only;
};

struct field_key {
	struct slice name;             /* empty for malformed lines: they form one group */
	size_t index;
};

static int name_cmp(struct slice a, struct slice b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? strncasecmp(a.ptr, b.ptr, n) : 0;
	if (c)
		return c;
	return a.len < b.len ? -1 : a.len > b.len;
}

/* By name, then bottom-most first: hops prepend, so counting from the bottom pairs the same fields. */
static int field_key_cmp(const void *pa, const void *pb)
{
	const struct field_key *a = pa, *b = pb;
	int c = name_cmp(a->name, b->name);
	if (c)
		return c;
	return a->index < b->index ? 1 : a->index > b->index ? -1 : 0;
}

static struct field_key *sorted_field_keys(const struct msg *m)
{
	struct field_key *k = malloc((m->nfields ? m->nfields : 1) * sizeof *k);
	if (!k)
		return NULL;
	for (size_t i = 0; i < m->nfields; i++) {
		k[i].name = m->fields[i].malformed ? slice_make(m->fields[i].raw.ptr, 0) : m->fields[i].name;
		k[i].index = i;
	}
	qsort(k, m->nfields, sizeof *k, field_key_cmp);
	return k;
}

static int canon_equal(enum canon_alg alg, struct slice a, struct slice b)
{
	struct buf ca, cb;
	buf_init(&ca, MSG_HEADER_MAX);
	buf_init(&cb, MSG_HEADER_MAX);
	int eq = canon_header(alg, a, &ca) == 0 && canon_header(alg, b, &cb) == 0 && ca.len == cb.len &&
		 (ca.len == 0 || memcmp(ca.data, cb.data, ca.len) == 0);
	buf_free(&ca);
	buf_free(&cb);
	return eq;
}

static int slices_equal(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Same bytes, or equal under relaxed header canonicalization (RFC 6376 §3.4.2), or different. */
static enum field_change compare_field(struct slice a, struct slice b)
{
	if (slices_equal(a, b))
		return FIELD_SAME;
	return canon_equal(CANON_RELAXED, a, b) ? FIELD_WHITESPACE : FIELD_CONTENT;
}

/* Pair the k-th-from-bottom field of each name in one copy with the same in the other. */
static void pair_name_groups(const struct field_key *ks, size_t ns, const struct field_key *kr, size_t nr,
			     struct header_diff *d)
{
	size_t i = 0, j = 0;
	while (i < ns || j < nr) {
		struct slice name = i == ns ? kr[j].name
				    : j == nr ? ks[i].name
				    : name_cmp(ks[i].name, kr[j].name) <= 0 ? ks[i].name : kr[j].name;
		size_t gi = i, gj = j;
		while (gi < ns && name_cmp(ks[gi].name, name) == 0)
			gi++;
		while (gj < nr && name_cmp(kr[gj].name, name) == 0)
			gj++;
		for (size_t k = 0; i + k < gi || j + k < gj; k++) {
			long si = i + k < gi ? (long)ks[i + k].index : -1;
			long rj = j + k < gj ? (long)kr[j + k].index : -1;
			if (si >= 0)
				d->sent_partner[si] = rj;
			if (rj >= 0) {
				d->recv_partner[rj] = si;
				d->recv_from_bottom[rj] = k + 1;
			}
		}
		i = gi;
		j = gj;
	}
}

static void count_field_changes(const struct msg *ms, const struct msg *mr, struct header_diff *d)
{
	for (size_t i = 0; i < ms->nfields; i++)
		d->removed += d->sent_partner[i] < 0;
	for (size_t j = 0; j < mr->nfields; j++) {
		long i = d->recv_partner[j];
		if (i < 0) {
			d->added++;
			continue;
		}
		enum field_change fc = compare_field(ms->fields[i].raw, mr->fields[j].raw);
		d->changed += fc != FIELD_SAME;
		d->whitespace_only += fc == FIELD_WHITESPACE;
	}
}

static int align_headers(const struct msg *ms, const struct msg *mr, struct header_diff *d)
{
	memset(d, 0, sizeof *d);
	d->sent_partner = calloc(ms->nfields ? ms->nfields : 1, sizeof *d->sent_partner);
	d->recv_partner = calloc(mr->nfields ? mr->nfields : 1, sizeof *d->recv_partner);
	d->recv_from_bottom = calloc(mr->nfields ? mr->nfields : 1, sizeof *d->recv_from_bottom);
	struct field_key *ks = sorted_field_keys(ms), *kr = sorted_field_keys(mr);
	int ok = d->sent_partner && d->recv_partner && d->recv_from_bottom && ks && kr;
	if (ok) {
		pair_name_groups(ks, ms->nfields, kr, mr->nfields, d);
		count_field_changes(ms, mr, d);
	}
	free(ks);
	free(kr);
	return ok ? 0 : -1;
}

static void header_diff_free(struct header_diff *d)
{
	free(d->sent_partner);
	free(d->recv_partner);
	free(d->recv_from_bottom);
	memset(d, 0, sizeof *d);
}

/* What kind of field it is, for the reader: who adds such fields and why. */
static const char *field_role(const struct msg_field *f)
{
	static const char *const trace[] = { "Received", "Return-Path", "Delivered-To", "X-Received",
					     "X-Original-To", "Received-SPF" };
	if (f->malformed)
		return "other";
	for (size_t i = 0; i < sizeof trace / sizeof trace[0]; i++)
		if (slice_caseeq_str(f->name, trace[i]))
			return "trace";
	if (slice_caseeq_str(f->name, "Authentication-Results"))
		return "authentication-results";
	if (slice_caseeq_str(f->name, "DKIM-Signature"))
		return "dkim-signature";
	if (f->name.len > 4 && strncasecmp(f->name.ptr, "ARC-", 4) == 0)
		return "arc";
	if (f->name.len > 5 && strncasecmp(f->name.ptr, "List-", 5) == 0)
		return "list";
	if (f->name.len > 7 && strncasecmp(f->name.ptr, "Resent-", 7) == 0)
		return "resent";
	return "other";
}

/* ================================================================== body ==== */

enum body_kind {
	BODY_IDENTICAL = 0, BODY_APPENDED, BODY_TRUNCATED, BODY_LINE_ENDS, BODY_WHITESPACE,
	BODY_RE_ENCODED, BODY_CHANGED,
};

static const char *const body_kind_names[] = {
	"identical", "appended", "truncated", "line-ends", "whitespace", "re-encoded", "changed",
};

enum decoded_cmp { DECODED_NOT_COMPARED = 0, DECODED_IDENTICAL, DECODED_LINE_ENDS, DECODED_DIFFERENT };

struct body_diff {
	enum body_kind kind;
	uint64_t appended, truncated;     /* bytes, for those kinds */
	uint64_t first_difference;        /* byte offset, when the bodies differ */
	uint64_t first_line;              /* 1-based line of that byte */
	int simple_equal, relaxed_equal;  /* canonical bodies equal (what bh= sees) */
	enum decoded_cmp decoded;
	char detail[700];                 /* one sentence for the report */
	char summary[200];                /* a short phrase for explanations: "53 bytes appended" */
};

static size_t common_prefix(const struct buf *a, const struct buf *b)
{
	size_t n = a->len < b->len ? a->len : b->len, i = 0;
	while (i < n && a->data[i] == b->data[i])
		i++;
	return i;
}

static uint64_t line_of(const char *p, size_t off)
{
	uint64_t line = 1;
	for (size_t i = 0; i < off; i++)
		line += p[i] == '\n';
	return line;
}

/* Reads bytes with every bare LF turned into CRLF, so two bodies can be compared line-end-blind. */
struct crlf_reader {
	const char *p;
	size_t len, pos;
	int pending_lf;
};

static int crlf_next(struct crlf_reader *r)
{
	if (r->pending_lf) {
		r->pending_lf = 0;
		return '\n';
	}
	if (r->pos >= r->len)
		return -1;
	unsigned char c = (unsigned char)r->p[r->pos];
	if (c == '\n' && (r->pos == 0 || r->p[r->pos - 1] != '\r')) {
		r->pos++;
		r->pending_lf = 1;
		return '\r';
	}
	r->pos++;
	return c;
}

static int equal_after_crlf(const char *a, size_t alen, const char *b, size_t blen)
{
	struct crlf_reader ra = { a, alen, 0, 0 }, rb = { b, blen, 0, 0 };
	for (;;) {
		int ca = crlf_next(&ra), cb = crlf_next(&rb);
		if (ca != cb)
			return 0;
		if (ca < 0)
			return 1;
	}
}

/*
 * Copy at most width characters of s into out, "..." if cut. exact shows CR, LF and TAB
 * as \r \n \t (for white-space differences); otherwise folding is undone (CR and LF
 * dropped, TAB shown as a space). What is shown goes through the one escaper,
 * buf_append_printable, so no message can send escape sequences, C1 controls or
 * bidirectional overrides to a terminal.
 */
static void show_text(struct buf *out, const char *s, size_t len, size_t width, int exact)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf shown;
	buf_init(&shown, width * 4 + 1);
	size_t count = 0, i = 0;
	while (i < len && count < width) {
		size_t n = p[i] >= 0x80 ? utf8_seq_len(p + i, len - i) : 1;
		n = n ? n : 1;
		if (!exact && (p[i] == '\r' || p[i] == '\n')) {
			i++;
			continue;
		}
		count++;
		if (!exact && p[i] == '\t')
			buf_append_byte(&shown, ' ');
		else
			buf_append(&shown, p + i, n);
		i += n;
	}
	buf_append_printable(out, shown.data ? shown.data : "", shown.len);
	buf_free(&shown);
	if (i < len)
		buf_append_str(out, "...");
}

/* The first line of the appended text that has something on it, shortened for a sentence. */
static void first_text_line(const char *p, size_t len, char *dst, size_t dstlen)
{
	size_t i = 0;
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	size_t end = i;
	while (end < len && p[end] != '\r' && p[end] != '\n')
		end++;
	struct buf t;
	buf_init(&t, 4 * SHOW_WIDTH);
	show_text(&t, p + i, end - i, 60, 1);
	snprintf(dst, dstlen, "%s", t.data ? t.data : "");
	buf_free(&t);
}

/* The value of the bottom-most field called name, relaxed-canonicalized (name included); "" if absent. */
static void last_field_canon(const struct msg *m, const char *name, struct buf *out)
{
	buf_reset(out);
	for (size_t i = m->nfields; i-- > 0;)
		if (!m->fields[i].malformed && slice_caseeq_str(m->fields[i].name, name)) {
			canon_header(CANON_RELAXED, m->fields[i].raw, out);
			return;
		}
}

/* The token of a Content-Transfer-Encoding field (RFC 2045 §6.1), lower case; "7bit" when absent. */
static void transfer_encoding(const struct msg *m, char *dst, size_t dstlen)
{
	snprintf(dst, dstlen, "7bit");
	for (size_t i = m->nfields; i-- > 0;) {
		const struct msg_field *f = &m->fields[i];
		if (f->malformed || !slice_caseeq_str(f->name, "Content-Transfer-Encoding"))
			continue;
		struct slice v = slice_trim_wsp(f->value);
		size_t n = 0;
		for (size_t k = 0; k < v.len && n + 1 < dstlen && v.ptr[k] != ';' && v.ptr[k] != ' ' &&
				   v.ptr[k] != '(' && v.ptr[k] != '\r' && v.ptr[k] != '\n' && v.ptr[k] != '\t'; k++)
			dst[n++] = (char)((v.ptr[k] >= 'A' && v.ptr[k] <= 'Z') ? v.ptr[k] + 32 : v.ptr[k]);
		dst[n] = '\0';
		return;
	}
}

static int is_multipart(const struct msg *m)
{
	for (size_t i = m->nfields; i-- > 0;) {
		const struct msg_field *f = &m->fields[i];
		if (!f->malformed && slice_caseeq_str(f->name, "Content-Type")) {
			struct slice v = slice_trim_wsp(f->value);
			return v.len >= 10 && strncasecmp(v.ptr, "multipart/", 10) == 0;
		}
	}
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of a line end at p (CRLF or LF), 0 if none. */
static size_t line_end_at(const char *p, size_t left)
{
	if (left >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	return left >= 1 && p[0] == '\n';
}

/*
 * RFC 2045 §6.7 quoted-printable: "=XX" is a byte, "=" before the line end is a soft
 * line break, white space at the end of a line was added in transport and goes
 * (rule 3), and anything else (a stray "=") is kept as it is, as §6.7 note 1 advises.
 */
static int qp_decode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		char c = p[i];
		if (c == '=' && i + 2 < len && hex_value(p[i + 1]) >= 0 && hex_value(p[i + 2]) >= 0) {
			if (buf_append_byte(out, (char)(hex_value(p[i + 1]) * 16 + hex_value(p[i + 2]))) < 0)
				return -1;
			i += 3;
			continue;
		}
		if (c == '=' || c == ' ' || c == '\t') {
			size_t k = i + 1;
			while (k < len && (p[k] == ' ' || p[k] == '\t'))
				k++;
			size_t eol = line_end_at(p + k, len - k);
			if (eol || k == len) {
				i = c == '=' ? k + eol : k;   /* soft break goes; trailing white space goes */
				continue;
			}
			if (c != '=') {                       /* inner white space: the whole run at once */
				if (buf_append(out, p + i, k - i) < 0)
					return -1;
				i = k;
				continue;
			}
		}
		if (buf_append_byte(out, c) < 0)
			return -1;
		i++;
	}
	return 0;
}

/* Decode a body per its Content-Transfer-Encoding; -1 when the encoding is unknown or broken. */
static int decode_body(const char *cte, const struct buf *body, struct buf *out)
{
	struct slice s = slice_make(body->data ? body->data : "", body->len);
	if (!strcmp(cte, "7bit") || !strcmp(cte, "8bit") || !strcmp(cte, "binary"))
		return buf_append(out, s.ptr, s.len);
	if (!strcmp(cte, "quoted-printable"))
		return qp_decode(s.ptr, s.len, out);
	if (!strcmp(cte, "base64")) {
		char why[120];
		return b64_decode(s, out, why, sizeof why);
	}
	return -1;
}

/* A re-encoded single-part body: is the content under the two encodings the same? */
static enum decoded_cmp compare_decoded(const struct copy *s, const struct copy *r, const char *cte_s,
					const char *cte_r)
{
	if (is_multipart(&s->run.msg) || is_multipart(&r->run.msg))
		return DECODED_NOT_COMPARED;
	struct buf ds, dr;
	buf_init(&ds, COMPARE_BODY_MAX);
	buf_init(&dr, COMPARE_BODY_MAX);
	enum decoded_cmp res = DECODED_NOT_COMPARED;
	if (decode_body(cte_s, &s->body, &ds) == 0 && decode_body(cte_r, &r->body, &dr) == 0) {
		if (slices_equal(slice_make(ds.data, ds.len), slice_make(dr.data, dr.len)))
			res = DECODED_IDENTICAL;
		else if (equal_after_crlf(ds.data, ds.len, dr.data, dr.len))
			res = DECODED_LINE_ENDS;
		else
			res = DECODED_DIFFERENT;
	}
	buf_free(&ds);
	buf_free(&dr);
	return res;
}

/* Why an appended or cut tail may not matter: trailing empty lines and white space (RFC 6376 §3.4). */
static const char *tail_note(const struct body_diff *bd)
{
	if (bd->simple_equal)
		return " (only empty lines at the end, which every body canonicalization drops, RFC 6376 §3.4.3, "
		       "§3.4.4: no body hash changes)";
	if (bd->relaxed_equal)
		return " (only white space and empty lines at the end: relaxed body canonicalization ignores them, "
		       "RFC 6376 §3.4.4; simple does not)";
	return "";
}

static void describe_appended(struct body_diff *bd, const struct buf *recv, size_t from)
{
	char first[256];
	first_text_line(recv->data + from, recv->len - from, first, sizeof first);
	bd->appended = recv->len - from;
	snprintf(bd->summary, sizeof bd->summary, "%llu bytes appended", (unsigned long long)bd->appended);
	if (bd->simple_equal || bd->relaxed_equal)
		snprintf(bd->detail, sizeof bd->detail, "%llu bytes appended after the sent body%s",
			 (unsigned long long)bd->appended, tail_note(bd));
	else
		snprintf(bd->detail, sizeof bd->detail,
			 "%llu bytes appended after the sent body%s%s%s (the shape of a mailing-list footer; only "
			 "a signature with l= covering the sent body survives it, RFC 6376 §3.5, §8.2)",
			 (unsigned long long)bd->appended, first[0] ? ", starting \"" : "", first,
			 first[0] ? "\"" : "");
}

static void describe_changed(struct body_diff *bd, const struct buf *sent, const struct buf *recv)
{
	size_t p = bd->first_difference;
	size_t tail = 0;   /* common suffix, not overlapping the common prefix */
	while (tail < sent->len - p && tail < recv->len - p &&
	       sent->data[sent->len - 1 - tail] == recv->data[recv->len - 1 - tail])
		tail++;
	snprintf(bd->summary, sizeof bd->summary, "changed from byte %llu, line %llu",
		 (unsigned long long)p, (unsigned long long)bd->first_line);
	struct buf a, b;
	buf_init(&a, 8 * SHOW_WIDTH);
	buf_init(&b, 8 * SHOW_WIDTH);
	show_text(&a, sent->data + p, sent->len - p - tail, 40, 1);
	show_text(&b, recv->data + p, recv->len - p - tail, 40, 1);
	snprintf(bd->detail, sizeof bd->detail,
		 "the bodies differ from byte %llu (line %llu): %zu bytes of the sent body (\"%s\") became %zu "
		 "bytes (\"%s\"); the rest is the same",
		 (unsigned long long)p, (unsigned long long)bd->first_line, sent->len - p - tail,
		 a.data ? a.data : "", recv->len - p - tail, b.data ? b.data : "");
	buf_free(&a);
	buf_free(&b);
}

static const char *decoded_phrase(enum decoded_cmp d)
{
	switch (d) {
	case DECODED_IDENTICAL: return "; the decoded content is identical, only its transfer encoding changed";
	case DECODED_LINE_ENDS: return "; the decoded content is identical apart from line ends";
	case DECODED_DIFFERENT: return "; the decoded content differs as well";
	default: return "";
	}
}

/*
 * Re-encoding: a relay that converts 8bit to quoted-printable (no 8BITMIME, RFC 6152) or
 * rewrites the MIME structure changes the body every signature hashed; RFC 6376 §5.3
 * advises signers to sign a 7-bit encoding for that reason.
 */
static int detect_re_encoding(struct body_diff *bd, const struct copy *s, const struct copy *r)
{
	char cte_s[40], cte_r[40];
	struct buf ct_s, ct_r;
	buf_init(&ct_s, MSG_HEADER_MAX);
	buf_init(&ct_r, MSG_HEADER_MAX);
	transfer_encoding(&s->run.msg, cte_s, sizeof cte_s);
	transfer_encoding(&r->run.msg, cte_r, sizeof cte_r);
	last_field_canon(&s->run.msg, "Content-Type", &ct_s);
	last_field_canon(&r->run.msg, "Content-Type", &ct_r);
	int cte_changed = strcmp(cte_s, cte_r) != 0;
	int ct_changed = !slices_equal(slice_make(ct_s.data, ct_s.len), slice_make(ct_r.data, ct_r.len));
	buf_free(&ct_s);
	buf_free(&ct_r);
	if (!cte_changed && !ct_changed)
		return 0;
	bd->kind = BODY_RE_ENCODED;
	bd->decoded = compare_decoded(s, r, cte_s, cte_r);
	if (cte_changed) {
		snprintf(bd->summary, sizeof bd->summary, "re-encoded from %s to %s", cte_s, cte_r);
		snprintf(bd->detail, sizeof bd->detail,
			 "Content-Transfer-Encoding %s in the sent copy, %s in the received copy%s "
			 "(RFC 6376 §5.3: signers should sign a 7-bit encoding because relays convert)",
			 cte_s, cte_r, decoded_phrase(bd->decoded));
	} else {
		snprintf(bd->summary, sizeof bd->summary, "re-encoded (Content-Type changed)");
		snprintf(bd->detail, sizeof bd->detail,
			 "the Content-Type differs between the copies and the body changed with it "
			 "(MIME structure rewritten)%s", decoded_phrase(bd->decoded));
	}
	return 1;
}

static void classify_body(struct body_diff *bd, const struct copy *s, const struct copy *r)
{
	const struct buf *a = &s->body, *b = &r->body;
	memset(bd, 0, sizeof *bd);
	bd->simple_equal = s->digests_ok && r->digests_ok &&
			   memcmp(s->simple_digest, r->simple_digest, sizeof s->simple_digest) == 0;
	bd->relaxed_equal = s->digests_ok && r->digests_ok &&
			    memcmp(s->relaxed_digest, r->relaxed_digest, sizeof s->relaxed_digest) == 0;
	size_t p = common_prefix(a, b);
	if (p == a->len && p == b->len) {
		bd->kind = BODY_IDENTICAL;
		snprintf(bd->summary, sizeof bd->summary, "identical");
		snprintf(bd->detail, sizeof bd->detail, "the bodies are identical (%zu bytes)", a->len);
		return;
	}
	bd->first_difference = p;
	bd->first_line = line_of(b->data, p);
	if (p == a->len) {
		bd->kind = BODY_APPENDED;
		describe_appended(bd, b, p);
	} else if (p == b->len) {
		bd->kind = BODY_TRUNCATED;
		bd->truncated = a->len - p;
		snprintf(bd->summary, sizeof bd->summary, "%llu bytes cut from the end", (unsigned long long)bd->truncated);
		snprintf(bd->detail, sizeof bd->detail, "the last %llu bytes of the sent body are missing "
			 "from the received copy, from line %llu on%s", (unsigned long long)bd->truncated,
			 (unsigned long long)bd->first_line, tail_note(bd));
	} else if (equal_after_crlf(a->data, a->len, b->data, b->len)) {
		bd->kind = BODY_LINE_ENDS;
		snprintf(bd->summary, sizeof bd->summary, "line ends changed");
		snprintf(bd->detail, sizeof bd->detail, "only the line ends differ (bare LF against CRLF): equal once "
			 "both are normalized to CRLF (RFC 5322 §2.3); without --no-crlf arcverify converts them");
	} else if (bd->relaxed_equal) {
		bd->kind = BODY_WHITESPACE;
		snprintf(bd->summary, sizeof bd->summary, "white space changed");
		snprintf(bd->detail, sizeof bd->detail, "only white space differs, from line %llu: the bodies are "
			 "equal under relaxed body canonicalization (RFC 6376 §3.4.4) but not under simple (§3.4.3)",
			 (unsigned long long)bd->first_line);
	} else if (!detect_re_encoding(bd, s, r)) {
		bd->kind = BODY_CHANGED;
		describe_changed(bd, a, b);
	}
}

/* ============================================================ signatures ==== */

enum sig_outcome { OUT_UNCHANGED = 0, OUT_BROKEN, OUT_REPAIRED, OUT_DIFFERENT, OUT_ADDED, OUT_REMOVED };

static const char *const outcome_names[] = { "unchanged", "broken", "repaired", "different", "added", "removed" };

/* One signature in one copy. */
struct sig_ref {
	enum dkim_kind kind;
	const struct dkim_sig *sig;    /* not ours: the run's */
	unsigned number;               /* ARC i=, or the DKIM-Signature's position (1 = topmost) */
	char *key;                     /* b= without FWS, or the relaxed field when it has no b= */
	size_t keylen;
	int matched;
};

struct sig_refs {
	struct sig_ref *items;
	size_t n;
};

/* A signature across both copies. */
struct sig_entry {
	enum dkim_kind kind;
	unsigned instance;
	const struct sig_ref *sent, *recv;   /* NULL when absent from that copy */
	enum sig_outcome outcome;
	int explained;
	struct buf explanation;
};

struct sig_table {
	struct sig_entry *items;
	size_t n;
};

/* The compared state shared by the explanation and output functions. */
struct comparison {
	const struct compare_opts *opts;
	struct copy *sent, *recv;
	struct header_diff hd;
	struct body_diff bd;
	struct sig_refs sent_sigs, recv_sigs;
	struct sig_table sigs;
};

static const struct msg *sent_msg(const struct comparison *cx) { return &cx->sent->run.msg; }
static const struct msg *recv_msg(const struct comparison *cx) { return &cx->recv->run.msg; }

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
	return buf_steal(&key);
}

static int add_ref(struct sig_refs *refs, enum dkim_kind kind, const struct dkim_sig *s, unsigned number,
		   const struct msg *m)
{
	struct sig_ref *r = &refs->items[refs->n];
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

static int collect_refs(const struct run_result *run, struct sig_refs *refs)
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

static void refs_free(struct sig_refs *refs)
{
	for (size_t i = 0; i < refs->n; i++)
		free(refs->items[i].key);
	free(refs->items);
	refs->items = NULL;
	refs->n = 0;
}

static struct sig_ref *find_partner(struct sig_refs *sent, const struct sig_ref *r)
{
	for (size_t i = 0; i < sent->n; i++) {
		struct sig_ref *s = &sent->items[i];
		if (!s->matched && s->kind == r->kind && s->keylen == r->keylen && memcmp(s->key, r->key, r->keylen) == 0)
			return s;
	}
	return NULL;
}

static void add_entry(struct sig_table *t, const struct sig_ref *s, const struct sig_ref *r)
{
	struct sig_entry *e = &t->items[t->n++];
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
	const struct sig_entry *a = pa, *b = pb;
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

static int match_signatures(struct comparison *cx)
{
	struct sig_refs *sr = &cx->sent_sigs, *rr = &cx->recv_sigs;
	if (collect_refs(&cx->sent->run, sr) < 0 || collect_refs(&cx->recv->run, rr) < 0)
		return -1;
	cx->sigs.items = calloc(sr->n + rr->n + 1, sizeof *cx->sigs.items);
	if (!cx->sigs.items)
		return -1;
	for (size_t j = 0; j < rr->n; j++) {
		struct sig_ref *s = find_partner(sr, &rr->items[j]);
		if (s)
			s->matched = 1;
		add_entry(&cx->sigs, s, &rr->items[j]);
	}
	for (size_t i = 0; i < sr->n; i++)
		if (!sr->items[i].matched)
			add_entry(&cx->sigs, &sr->items[i], NULL);
	qsort(cx->sigs.items, cx->sigs.n, sizeof *cx->sigs.items, entry_cmp);
	return 0;
}

/* A comma-separated list of findings, kept unique (a name repeated in h= is reported once). */
struct finding_list {
	struct buf text;
	struct buf seen;       /* "\nitem\n" for every item, to find repeats */
	size_t count;
};

static void findings_init(struct finding_list *l)
{
	buf_init(&l->text, EXPLANATION_MAX);
	buf_init(&l->seen, 4 * EXPLANATION_MAX);
	l->count = 0;
}

static void findings_free(struct finding_list *l)
{
	buf_free(&l->text);
	buf_free(&l->seen);
}

static void findings_add(struct finding_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void findings_add(struct finding_list *l, const char *fmt, ...)
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

static const char *findings_text(const struct finding_list *l)
{
	return l->text.data ? l->text.data : "";
}

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
 * §3.4.2) is only noted in tolerated.
 */
static void signed_field_changes(const struct comparison *cx, const struct sig_entry *e,
				 struct finding_list *causes, struct finding_list *tolerated)
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
			findings_add(causes, "%s added", name);
			continue;
		}
		if (b < 0) {
			findings_add(causes, "%s removed", name);
			continue;
		}
		struct slice fa = sent_msg(cx)->fields[a].raw, fb = recv_msg(cx)->fields[b].raw;
		if (slices_equal(fa, fb))
			continue;
		if (canon_equal(rs->hcanon, fa, fb))
			findings_add(tolerated, "%s (white space or folding only)", name);
		else if (canon_equal(CANON_RELAXED, fa, fb))
			findings_add(causes, "%s changed only in white space or folding, which c=simple header "
				     "canonicalization keeps (RFC 6376 §3.4.1)", name);
		else
			findings_add(causes, "%s changed", name);
	}
}

static long arc_field_of(const struct arc_chain *c, unsigned instance, int which)
{
	if (instance == 0 || instance > c->n)
		return -1;
	const struct arc_set *s = &c->sets[instance - 1];
	return which == 0 ? s->aar_field : which == 1 ? s->ams_field : s->as_field;
}

/*
 * An ARC-Seal signs the ARC sets 1..i, relaxed (RFC 8617 §5.1.1), or only its own set
 * when it says cv=fail (§5.1.2): which of those fields changed between the copies.
 */
static void seal_input_changes(const struct comparison *cx, const struct sig_entry *e,
			       struct finding_list *causes, struct finding_list *tolerated)
{
	static const char *const names[] = { "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal" };
	const struct arc_chain *cs = &cx->sent->run.arc, *cr = &cx->recv->run.arc;
	unsigned i = e->instance;
	unsigned first = strcasecmp(e->recv->sig->cv, "fail") == 0 ? i : 1;
	for (unsigned k = first; k <= i; k++)
		for (int which = 0; which < 3; which++) {
			if (which == 2 && k == i)
				continue;   /* the seal itself is compared as the signature field */
			long a = arc_field_of(cs, k, which), b = arc_field_of(cr, k, which);
			if (a < 0 && b < 0)
				continue;
			if (a < 0)
				findings_add(causes, "%s i=%u added", names[which], k);
			else if (b < 0)
				findings_add(causes, "%s i=%u removed", names[which], k);
			else if (!canon_equal(CANON_RELAXED, sent_msg(cx)->fields[a].raw, recv_msg(cx)->fields[b].raw))
				findings_add(causes, "%s i=%u changed", names[which], k);
			else if (!slices_equal(sent_msg(cx)->fields[a].raw, recv_msg(cx)->fields[b].raw))
				findings_add(tolerated, "%s i=%u (white space or folding only)", names[which], k);
		}
}

static enum canon_alg header_canon_of(const struct dkim_sig *s)
{
	return s->kind == DKIM_KIND_SEAL ? CANON_RELAXED : s->hcanon;   /* RFC 8617 §4.1.3: seals are relaxed */
}

/* The signature field itself changed beyond what its header canonicalization absorbs. */
static int signature_field_changed(const struct comparison *cx, const struct sig_entry *e)
{
	struct slice a = sent_msg(cx)->fields[e->sent->sig->field].raw;
	struct slice b = recv_msg(cx)->fields[e->recv->sig->field].raw;
	return !slices_equal(a, b) && !canon_equal(header_canon_of(e->recv->sig), a, b);
}

static int body_changed_for(const struct comparison *cx, const struct dkim_sig *s)
{
	return s->bcanon == CANON_RELAXED ? !cx->bd.relaxed_equal : !cx->bd.simple_equal;
}

static void explain(struct sig_entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void explain(struct sig_entry *e, const char *fmt, ...)
{
	char text[EXPLANATION_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (e->explanation.len)
		buf_append_byte(&e->explanation, ' ');
	buf_append_str(&e->explanation, text);
}

static const char *kind_phrase(enum dkim_kind k)
{
	return k == DKIM_KIND_SIGNATURE ? "DKIM-Signature" : k == DKIM_KIND_AMS ? "ARC-Message-Signature" : "ARC-Seal";
}

static void explain_added(struct sig_entry *e)
{
	const struct dkim_sig *r = e->recv->sig;
	e->outcome = OUT_ADDED;
	if (e->kind == DKIM_KIND_SIGNATURE)
		explain(e, "added in transit (by d=%s).", r->d[0] ? r->d : "?");
	else
		explain(e, "added in transit (by d=%s, ARC set i=%u, RFC 8617 §5.1).", r->d[0] ? r->d : "?", e->instance);
	if (r->v.result != VERDICT_PASS)
		explain(e, "It does not pass in the received copy (%s); the sent copy never had it, so the comparison "
			"cannot say why: run --explain on the received copy.", r->v.reason);
}

static void explain_removed(struct sig_entry *e)
{
	const struct dkim_sig *s = e->sent->sig;
	e->outcome = OUT_REMOVED;
	e->explained = 1;
	explain(e, "removed in transit: the received copy no longer has this %s (in the sent copy: %s, %s).",
		kind_phrase(e->kind), verdict_word(s->v.result), s->v.reason[0] ? s->v.reason : "not evaluated");
}

/* A signature that still passes: say which changes it survived, and why. */
static void explain_still_passes(const struct comparison *cx, struct sig_entry *e)
{
	const struct dkim_sig *r = e->recv->sig;
	explain(e, "passes in both copies.");
	if (cx->bd.kind != BODY_IDENTICAL && r->kind != DKIM_KIND_SEAL) {
		if (r->has_l && body_changed_for(cx, r))
			explain(e, "The body change (%s) lies beyond l=%llu, the part the signature covers "
				"(RFC 6376 §3.5; §8.2 warns what l= lets others add).", cx->bd.summary,
				(unsigned long long)r->l);
		else if (!body_changed_for(cx, r))
			explain(e, "The body change (%s) disappears under its %s body canonicalization (RFC 6376 §3.4).",
				cx->bd.summary, canon_name(r->bcanon));
	}
	struct finding_list causes, tolerated;
	findings_init(&causes);
	findings_init(&tolerated);
	if (e->kind == DKIM_KIND_SEAL)
		seal_input_changes(cx, e, &causes, &tolerated);
	else
		signed_field_changes(cx, e, &causes, &tolerated);
	if (tolerated.count)
		explain(e, "Signed fields changed only where %s header canonicalization does not look: %s.",
			canon_name(header_canon_of(r)), findings_text(&tolerated));
	findings_free(&causes);
	findings_free(&tolerated);
}

static void explain_body_mismatch(const struct comparison *cx, struct sig_entry *e, int self_changed)
{
	const struct dkim_sig *r = e->recv->sig;
	if (body_changed_for(cx, r)) {
		e->explained = 1;
		explain(e, "explained: the body was changed (%s); bh= is the hash of the %s canonicalized body "
			"(RFC 6376 §3.7), which the change alters.", cx->bd.summary, canon_name(r->bcanon));
		return;
	}
	if (self_changed) {
		e->explained = 1;
		explain(e, "explained: the %s field itself was changed in transit, so its bh= is no longer what the "
			"signer wrote.", kind_phrase(e->kind));
		return;
	}
	if (cx->bd.kind == BODY_IDENTICAL)
		explain(e, "not explained: the body is identical in both copies.");
	else
		explain(e, "not explained: the bodies differ (%s) but are equal under its %s body canonicalization.",
			cx->bd.summary, canon_name(r->bcanon));
	explain(e, "Something else differs, e.g. a canonicalization disagreement between signer and verifier: "
		"run --explain.");
}

static void explain_header_mismatch(struct sig_entry *e, const struct finding_list *causes, int self_changed)
{
	if (causes->count) {
		e->explained = 1;
		explain(e, "explained: signed field%s %s (%s).", causes->count > 1 ? "s" : "", findings_text(causes),
			e->kind == DKIM_KIND_SEAL ? "an ARC-Seal signs the ARC sets 1..i, RFC 8617 §5.1.1"
						  : "b= covers the fields h= names, RFC 6376 §3.7, §5.4");
	} else if (self_changed) {
		e->explained = 1;
		explain(e, "explained: the %s field itself was changed in transit (b= covers it with b= emptied, "
			"RFC 6376 §3.7).", kind_phrase(e->kind));
	} else {
		explain(e, "not explained by the header changes: none of the signed fields changed. The signer and "
			"verifier may disagree on header canonicalization or field selection: run --explain.");
	}
}

/* Passes in the sent copy (or fails differently) and does not pass in the received one: find the cause. */
static void explain_failure(const struct comparison *cx, struct sig_entry *e)
{
	const struct dkim_sig *r = e->recv->sig;
	struct finding_list causes, tolerated;
	findings_init(&causes);
	findings_init(&tolerated);
	if (e->kind == DKIM_KIND_SEAL)
		seal_input_changes(cx, e, &causes, &tolerated);
	else
		signed_field_changes(cx, e, &causes, &tolerated);
	int self_changed = signature_field_changed(cx, e);
	int l_beyond_body = r->has_l && r->body && r->l > r->body->canon_len;
	if (r->body_ok == 0) {
		explain_body_mismatch(cx, e, self_changed);
		if (r->header_ok == 0 && (causes.count || self_changed))
			explain(e, "Also, b= no longer verifies: %s%s%s%s%s.", causes.count ? "signed field" : "",
				causes.count > 1 ? "s " : causes.count ? " " : "", findings_text(&causes),
				causes.count && self_changed ? "; and " : "",
				self_changed ? (e->kind == DKIM_KIND_SIGNATURE ? "the DKIM-Signature field itself changed"
						: "the signature field itself changed") : "");
	} else if (l_beyond_body) {
		e->explained = cx->bd.kind != BODY_IDENTICAL;
		explain(e, "%s: l=%llu is now longer than the body (%s).", e->explained ? "explained" : "not explained",
			(unsigned long long)r->l, cx->bd.summary);
	} else if (r->header_ok == 0) {
		explain_header_mismatch(e, &causes, self_changed);
	} else if (self_changed) {
		e->explained = 1;
		explain(e, "explained: the %s field itself was changed in transit.", kind_phrase(e->kind));
	} else {
		explain(e, "not explained by the changes between the copies: the received copy fails for a reason "
			"that does not depend on the message (%s).", r->v.reason);
	}
	findings_free(&causes);
	findings_free(&tolerated);
}

static void explain_entry(const struct comparison *cx, struct sig_entry *e)
{
	if (!e->sent) {
		explain_added(e);
		return;
	}
	if (!e->recv) {
		explain_removed(e);
		return;
	}
	const struct verdict *vs = &e->sent->sig->v, *vr = &e->recv->sig->v;
	int pass_s = vs->result == VERDICT_PASS, pass_r = vr->result == VERDICT_PASS;
	if (vs->result == vr->result && strcmp(vs->reason, vr->reason) == 0) {
		e->outcome = OUT_UNCHANGED;
		if (pass_s)
			explain_still_passes(cx, e);
		else
			explain(e, "fails in the sent copy too (%s): the failure predates transit, so no change between "
				"the copies explains it; run --explain on the sent copy.", vs->reason[0] ? vs->reason : verdict_word(vs->result));
		return;
	}
	e->outcome = pass_s ? OUT_BROKEN : pass_r ? OUT_REPAIRED : OUT_DIFFERENT;
	if (pass_r) {
		explain(e, "passes in the received copy but not in the sent copy (%s): the sent copy is not the message "
			"as it was signed; check how it was saved.", vs->reason);
		return;
	}
	if (!pass_s)
		explain(e, "in the sent copy it already did not pass (%s);", vs->reason);
	explain_failure(cx, e);
}

static void sig_table_free(struct sig_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		buf_free(&t->items[i].explanation);
	free(t->items);
	t->items = NULL;
	t->n = 0;
}

/* ================================================================ output ==== */

static const char *kind_key(enum dkim_kind k)
{
	return k == DKIM_KIND_SIGNATURE ? "dkim" : k == DKIM_KIND_AMS ? "ams" : "as";
}

static const struct dkim_sig *any_sig(const struct sig_entry *e)
{
	return e->recv ? e->recv->sig : e->sent->sig;
}

static const char *reason_of(const struct dkim_sig *s)
{
	return s->v.reason[0] ? s->v.reason : "not evaluated";
}

static int copies_identical(const struct comparison *cx)
{
	return cx->hd.added == 0 && cx->hd.removed == 0 && cx->hd.changed == 0 && cx->bd.kind == BODY_IDENTICAL;
}

static size_t count_outcome(const struct comparison *cx, enum sig_outcome o)
{
	size_t n = 0;
	for (size_t i = 0; i < cx->sigs.n; i++)
		n += cx->sigs.items[i].outcome == o;
	return n;
}

static size_t count_unexplained_failures(const struct comparison *cx)
{
	size_t n = 0;
	for (size_t i = 0; i < cx->sigs.n; i++) {
		const struct sig_entry *e = &cx->sigs.items[i];
		n += (e->outcome == OUT_BROKEN || e->outcome == OUT_DIFFERENT) && !e->explained;
	}
	return n;
}

/* --- text --- */

/* Text from the copies (values, names, reasons, file names) is written printable (buf.h). */
#define say buf_printf_printable

/* A field value for a line of text: from a little before offset, at most width characters. */
static void show_value(struct buf *out, struct slice v, size_t from, size_t width, int exact)
{
	size_t start = from > 20 ? from - 20 : 0;
	if (start)
		buf_append_str(out, "...");
	while (!exact && start < v.len && (v.ptr[start] == ' ' || v.ptr[start] == '\t'))
		start++;   /* the space after the colon is not part of what changed */
	show_text(out, v.ptr + start, v.len - start, width, exact);
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
	show_text(out, f->raw.ptr, f->raw.len, width, 0);
	const char *role = field_role(f);
	if (strcmp(role, "other") != 0)
		buf_printf(out, "  [%s]", role);
	buf_append_byte(out, '\n');
}

static void text_changed_field(struct buf *out, const struct msg_field *fs, const struct msg_field *fr,
			       size_t from_bottom, size_t width)
{
	char name[128];
	slice_copy(fr->malformed ? slice_cstr("(malformed line)") : fr->name, name, sizeof name);
	enum field_change fc = compare_field(fs->raw, fr->raw);
	say(out, "  changed  %s", name);
	if (from_bottom > 1)
		buf_printf(out, " (%zu from the bottom)", from_bottom);
	buf_append_str(out, fc == FIELD_WHITESPACE ? ": white space, folding or name case only (equal under relaxed "
			    "header canonicalization, RFC 6376 §3.4.2)\n" : ": content\n");
	size_t off = first_difference(fs->value, fr->value);
	buf_append_str(out, "             sent:     ");
	show_value(out, fs->value, off, width, fc == FIELD_WHITESPACE);
	buf_append_str(out, "\n             received: ");
	show_value(out, fr->value, off, width, fc == FIELD_WHITESPACE);
	buf_append_byte(out, '\n');
}

static void text_headers(struct buf *out, const struct comparison *cx, size_t width)
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
		if (i >= 0 && !slices_equal(ms->fields[i].raw, mr->fields[j].raw))
			text_changed_field(out, &ms->fields[i], &mr->fields[j], d->recv_from_bottom[j], width);
	}
}

static const char *yes_no(int v)
{
	return v ? "equal" : "different";
}

static void text_body(struct buf *out, const struct comparison *cx)
{
	const struct body_diff *bd = &cx->bd;
	buf_printf(out, "\nBODY  (%zu bytes sent, %zu bytes received)\n", cx->sent->body.len, cx->recv->body.len);
	say(out, "  %s: %s", body_kind_names[bd->kind], bd->detail);
	buf_append_byte(out, '\n');
	if (bd->kind != BODY_IDENTICAL)
		buf_printf(out, "  canonical bodies (what bh= hashes): simple %s, relaxed %s\n",
			   yes_no(bd->simple_equal), yes_no(bd->relaxed_equal));
	if (cx->sent->lf_converted || cx->recv->lf_converted)
		buf_printf(out, "  bare LF line ends converted to CRLF, as in a normal run: %llu in the sent file, "
			   "%llu in the received file\n", (unsigned long long)cx->sent->lf_converted,
			   (unsigned long long)cx->recv->lf_converted);
	if (!cx->sent->has_separator && !cx->recv->has_separator)
		buf_append_str(out, "  neither copy has an empty line after its header block, so neither has a body\n");
	else if (!cx->sent->has_separator || !cx->recv->has_separator)
		buf_printf(out, "  the %s copy has no empty line after its header block, so it has no body\n",
			   !cx->sent->has_separator ? "sent" : "received");
}

static void text_sig_label(struct buf *out, const struct sig_entry *e)
{
	const struct dkim_sig *s = any_sig(e);
	if (e->kind == DKIM_KIND_SIGNATURE) {
		buf_printf(out, "  DKIM #%u", e->instance);
		if (e->sent && e->recv && e->sent->number != e->recv->number)
			buf_printf(out, " (#%u in the received copy)", e->recv->number);
	} else {
		buf_printf(out, "  %s i=%u", e->kind == DKIM_KIND_AMS ? "AMS" : "AS", e->instance);
	}
	say(out, "  d=%s s=%s", s->d[0] ? s->d : "?", s->s[0] ? s->s : "?");
	if (e->kind != DKIM_KIND_SEAL && s->c[0])
		say(out, " c=%s", s->c);
	if (s->has_l)
		buf_printf(out, " l=%llu", (unsigned long long)s->l);
	buf_append_byte(out, '\n');
}

static void text_sig_result(struct buf *out, const char *copy, const struct sig_ref *ref)
{
	if (!ref) {
		buf_printf(out, "      %-9s (absent)\n", copy);
		return;
	}
	say(out, "      %-9s %-9s %s", copy, verdict_word(ref->sig->v.result), reason_of(ref->sig));
	buf_append_byte(out, '\n');
}

static void text_signatures(struct buf *out, const struct comparison *cx, int verbose)
{
	buf_printf(out, "\nSIGNATURES  (%zu: %zu broken in transit, %zu added, %zu removed)\n", cx->sigs.n,
		   count_outcome(cx, OUT_BROKEN), count_outcome(cx, OUT_ADDED), count_outcome(cx, OUT_REMOVED));
	if (!cx->sigs.n)
		buf_append_str(out, "  none in either copy\n");
	for (size_t i = 0; i < cx->sigs.n; i++) {
		const struct sig_entry *e = &cx->sigs.items[i];
		text_sig_label(out, e);
		text_sig_result(out, "sent:", e->sent);
		text_sig_result(out, "received:", e->recv);
		if (verbose && any_sig(e)->nh) {
			buf_append_str(out, "      h=        ");
			for (size_t k = 0; k < any_sig(e)->nh; k++)
				say(out, "%s%.*s", k ? ":" : "", (int)any_sig(e)->h[k].len, any_sig(e)->h[k].ptr);
			buf_append_byte(out, '\n');
		}
		say(out, "      %s", e->explanation.data ? e->explanation.data : "");
		buf_append_byte(out, '\n');
	}
	const struct arc_chain *as = &cx->sent->run.arc, *ar = &cx->recv->run.arc;
	if (as->arc_fields || ar->arc_fields) {
		say(out, "  ARC chain: sent %s, received %s (%s)", verdict_word(as->result), verdict_word(ar->result),
		    ar->reason);
		buf_append_byte(out, '\n');
	}
}

static void text_errors(struct buf *out, const struct copy *c)
{
	for (size_t i = 0; i < c->run.nerrors; i++) {
		say(out, "  error in the %s copy: %s", c->role, c->run.errors[i]);
		buf_append_byte(out, '\n');
	}
}

static void text_summary(struct buf *out, const struct comparison *cx)
{
	if (copies_identical(cx)) {
		buf_append_str(out, "the copies are identical");
		if (cx->sent->lf_converted != cx->recv->lf_converted)
			buf_append_str(out, " once bare LF line ends are converted to CRLF");
		buf_append_str(out, "\n");
		return;
	}
	buf_printf(out, "the copies differ: %zu header field%s added, %zu removed, %zu changed; body %s",
		   cx->hd.added, cx->hd.added == 1 ? "" : "s", cx->hd.removed, cx->hd.changed, cx->bd.summary);
	size_t broken = count_outcome(cx, OUT_BROKEN) + count_outcome(cx, OUT_DIFFERENT);
	size_t unexplained = count_unexplained_failures(cx);
	if (broken && unexplained)
		buf_printf(out, "; %zu signature%s broken in transit, %zu not explained", broken, broken == 1 ? "" : "s",
			   unexplained);
	else if (broken)
		buf_printf(out, "; %zu signature%s broken in transit, %sexplained", broken, broken == 1 ? "" : "s",
			   broken == 1 ? "" : "all ");
	buf_append_str(out, "\n");
}

static void write_text(struct buf *out, const struct comparison *cx)
{
	size_t width = cx->opts->verbose ? SHOW_WIDTH_VERBOSE : SHOW_WIDTH;
	say(out, "compare  sent:     %s", cx->sent->path);
	buf_append_str(out, "\n         received: ");
	say(out, "%s", cx->recv->path);
	buf_append_byte(out, '\n');
	buf_append_str(out, "  ");
	text_summary(out, cx);
	text_errors(out, cx->sent);
	text_errors(out, cx->recv);
	buf_append_byte(out, '\n');
	text_headers(out, cx, width);
	text_body(out, cx);
	text_signatures(out, cx, cx->opts->verbose);
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
	json_kv_str(j, "role", field_role(f));
	json_obj_end(j);
}

static void json_headers(struct json *j, const struct comparison *cx)
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
		if (i < 0 || slices_equal(ms->fields[i].raw, mr->fields[k].raw))
			continue;
		json_obj_begin(j);
		json_key(j, "name");
		json_slice(j, mr->fields[k].malformed ? slice_cstr("") : mr->fields[k].name);
		json_key(j, "from_bottom");
		json_uint(j, d->recv_from_bottom[k]);
		json_kv_bool(j, "whitespace_only", compare_field(ms->fields[i].raw, mr->fields[k].raw) == FIELD_WHITESPACE);
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

static void json_body(struct json *j, const struct comparison *cx)
{
	const struct body_diff *bd = &cx->bd;
	int differs = bd->kind != BODY_IDENTICAL;
	static const char *const decoded[] = { NULL, "identical", "identical-apart-from-line-ends", "different" };
	json_key(j, "body");
	json_obj_begin(j);
	json_kv_bool(j, "changed", differs);
	json_kv_str(j, "kind", body_kind_names[bd->kind]);
	json_kv_str(j, "detail", bd->detail);
	json_uint_or_null(j, "appended_bytes", bd->kind == BODY_APPENDED, bd->appended);
	json_uint_or_null(j, "truncated_bytes", bd->kind == BODY_TRUNCATED, bd->truncated);
	json_uint_or_null(j, "first_difference", differs, bd->first_difference);
	json_uint_or_null(j, "first_difference_line", differs, bd->first_line);
	json_key(j, "sent_bytes");
	json_uint(j, cx->sent->body.len);
	json_key(j, "received_bytes");
	json_uint(j, cx->recv->body.len);
	json_pair_bool(j, "canonically_equal", "simple", bd->simple_equal, "relaxed", bd->relaxed_equal);
	json_kv_str(j, "decoded", decoded[bd->decoded]);
	json_pair_uint(j, "lf_converted", cx->sent->lf_converted, cx->recv->lf_converted);
	json_pair_bool(j, "separator", "sent", cx->sent->has_separator, "received", cx->recv->has_separator);
	json_obj_end(j);
}

static void json_sig_side(struct json *j, const char *key, const char *reason_key, const struct sig_ref *ref)
{
	json_kv_str(j, key, ref ? verdict_word(ref->sig->v.result) : NULL);
	json_kv_str(j, reason_key, ref ? reason_of(ref->sig) : NULL);
}

static void json_signature(struct json *j, const struct sig_entry *e)
{
	const struct dkim_sig *s = any_sig(e);
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
	json_kv_str(j, "outcome", outcome_names[e->outcome]);
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

static void json_errors(struct json *j, const struct comparison *cx)
{
	char line[300];
	json_key(j, "errors");
	json_arr_begin(j);
	const struct copy *copies[] = { cx->sent, cx->recv };
	for (size_t c = 0; c < 2; c++)
		for (size_t i = 0; i < copies[c]->run.nerrors; i++) {
			snprintf(line, sizeof line, "%s: %s", copies[c]->role, copies[c]->run.errors[i]);
			json_str(j, line);
		}
	json_arr_end(j);
}

static void write_json(struct buf *out, const struct comparison *cx)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_str(&j, "sent", cx->sent->path);
	json_kv_str(&j, "received", cx->recv->path);
	json_kv_bool(&j, "identical", copies_identical(cx));
	json_errors(&j, cx);
	json_headers(&j, cx);
	json_body(&j, cx);
	json_key(&j, "signatures");
	json_arr_begin(&j);
	for (size_t i = 0; i < cx->sigs.n; i++)
		json_signature(&j, &cx->sigs.items[i]);
	json_arr_end(&j);
	json_key(&j, "arc");
	json_obj_begin(&j);
	json_chain(&j, "sent", &cx->sent->run.arc);
	json_chain(&j, "received", &cx->recv->run.arc);
	json_obj_end(&j);
	json_obj_end(&j);
	buf_append_byte(out, '\n');
}

/* ========================================================== entry point ==== */

/* Defaults of a normal run when the caller gives no policy: RFC 8301 minimums, both DKIM and ARC. */
static struct run_opts default_run_opts(void)
{
	struct run_opts ro;
	memset(&ro, 0, sizeof ro);
	ro.policy.now = time(NULL);
	ro.policy.min_key_bits = 1024;
	ro.do_dkim = ro.do_arc = 1;
	return ro;
}

static int read_both(struct copy *s, struct copy *r, const struct run_opts *ro, struct lookup *lk, char *err,
		     size_t errlen)
{
	if (copy_open(s, err, errlen) < 0 || copy_open(r, err, errlen) < 0)
		return -1;
	/* both run_open first: the key queries of the two copies are in flight together */
	if (copy_run_open(s, ro, lk, err, errlen) < 0 || copy_run_open(r, ro, lk, err, errlen) < 0)
		return -1;
	if (copy_run_body(s, err, errlen) < 0 || copy_run_body(r, err, errlen) < 0)
		return -1;
	run_evaluate(&s->run, ro, lk);
	run_evaluate(&r->run, ro, lk);
	return 0;
}

static int analyse(struct comparison *cx, char *err, size_t errlen)
{
	if (align_headers(sent_msg(cx), recv_msg(cx), &cx->hd) < 0 || match_signatures(cx) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	classify_body(&cx->bd, cx->sent, cx->recv);
	for (size_t i = 0; i < cx->sigs.n; i++)
		explain_entry(cx, &cx->sigs.items[i]);
	return 0;
}

int compare_run(const char *sent, const char *received, const struct compare_opts *o, struct lookup *lk,
		struct buf *out, char *err, size_t errlen)
{
	if (!sent || !received || !o || !lk || !out) {
		snprintf(err, errlen, "compare: missing argument");
		return -1;
	}
	if (strcmp(sent, "-") == 0 && strcmp(received, "-") == 0) {
		snprintf(err, errlen, "only one of the two copies can be read from standard input");
		return -1;
	}
	struct run_opts defaults = default_run_opts();
	const struct run_opts *ro = o->run ? o->run : &defaults;
	struct copy s, r;
	copy_init(&s, "sent", sent);
	copy_init(&r, "received", received);
	struct comparison cx;
	memset(&cx, 0, sizeof cx);
	cx.opts = o;
	cx.sent = &s;
	cx.recv = &r;
	int rc = read_both(&s, &r, ro, lk, err, errlen);
	if (rc == 0)
		rc = analyse(&cx, err, errlen);
	if (rc == 0) {
		if (o->json)
			write_json(out, &cx);
		else
			write_text(out, &cx);
		rc = copies_identical(&cx) ? 0 : 1;
	}
	sig_table_free(&cx.sigs);
	refs_free(&cx.sent_sigs);
	refs_free(&cx.recv_sigs);
	header_diff_free(&cx.hd);
	copy_free(&s);
	copy_free(&r);
	return rc;
}
