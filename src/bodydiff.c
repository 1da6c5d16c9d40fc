/* bodydiff: what happened to the body between two copies (see include/bodydiff.h). */
#include "bodydiff.h"

#include <string.h>
#include <strings.h>

#include "canon.h"
#include "mime.h"

#define SHOW_WIDTH 72

static const char *const kind_names[] = {
	"identical", "appended", "truncated", "line-ends", "whitespace", "re-encoded", "changed",
};

const char *bodydiff_kind_name(enum bodydiff_kind k)
{
	return kind_names[k];
}

const char *bodydiff_decoded_name(enum bodydiff_decoded d)
{
	static const char *const names[] = { NULL, "identical", "identical-apart-from-line-ends", "different" };
	return names[d];
}

static struct slice body_slice(const struct buf *b)
{
	return slice_make(b->data ? b->data : "", b->len);
}

static int same_bytes(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

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

/* At most width characters of message text, made printable by the one escaper (C0, C1, bidi). */
void bodydiff_show(struct buf *out, const char *s, size_t len, size_t width, int exact)
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
	bodydiff_show(&t, p + i, end - i, 60, 1);
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

/* A re-encoded single-part body: is the content under the two encodings the same? */
static enum bodydiff_decoded compare_decoded(const struct bodydiff_side *s, const struct bodydiff_side *r,
					    const char *cte_s, const char *cte_r)
{
	if (mime_is_multipart(s->msg) || mime_is_multipart(r->msg))
		return BODYDIFF_NOT_DECODED;
	struct buf ds, dr;
	buf_init(&ds, s->body->len + 1);   /* RFC 2045 decodings never grow the text */
	buf_init(&dr, r->body->len + 1);
	enum bodydiff_decoded res = BODYDIFF_NOT_DECODED;
	if (mime_decode(cte_s, body_slice(s->body), &ds) == 0 && mime_decode(cte_r, body_slice(r->body), &dr) == 0) {
		if (same_bytes(slice_make(ds.data, ds.len), slice_make(dr.data, dr.len)))
			res = BODYDIFF_DECODED_SAME;
		else if (equal_after_crlf(ds.data, ds.len, dr.data, dr.len))
			res = BODYDIFF_DECODED_LINE_ENDS;
		else
			res = BODYDIFF_DECODED_DIFFERENT;
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
	bodydiff_show(&a, sent->data + p, sent->len - p - tail, 40, 1);
	bodydiff_show(&b, recv->data + p, recv->len - p - tail, 40, 1);
	snprintf(bd->detail, sizeof bd->detail,
		 "the bodies differ from byte %llu (line %llu): %zu bytes of the sent body (\"%s\") became %zu "
		 "bytes (\"%s\"); the rest is the same",
		 (unsigned long long)p, (unsigned long long)bd->first_line, sent->len - p - tail,
		 a.data ? a.data : "", recv->len - p - tail, b.data ? b.data : "");
	buf_free(&a);
	buf_free(&b);
}

static const char *decoded_phrase(enum bodydiff_decoded d)
{
	switch (d) {
	case BODYDIFF_DECODED_SAME: return "; the decoded content is identical, only its transfer encoding changed";
	case BODYDIFF_DECODED_LINE_ENDS: return "; the decoded content is identical apart from line ends";
	case BODYDIFF_DECODED_DIFFERENT: return "; the decoded content differs as well";
	default: return "";
	}
}

/*
 * Re-encoding: a relay that converts 8bit to quoted-printable (no 8BITMIME, RFC 6152) or
 * rewrites the MIME structure changes the body every signature hashed; RFC 6376 §5.3
 * advises signers to sign a 7-bit encoding for that reason.
 */
static int detect_re_encoding(struct body_diff *bd, const struct bodydiff_side *s, const struct bodydiff_side *r)
{
	char cte_s[40], cte_r[40];
	struct buf ct_s, ct_r;
	buf_init(&ct_s, MSG_HEADER_MAX);
	buf_init(&ct_r, MSG_HEADER_MAX);
	mime_transfer_encoding(s->msg, cte_s, sizeof cte_s);
	mime_transfer_encoding(r->msg, cte_r, sizeof cte_r);
	last_field_canon(s->msg, "Content-Type", &ct_s);
	last_field_canon(r->msg, "Content-Type", &ct_r);
	int cte_changed = strcmp(cte_s, cte_r) != 0;
	int ct_changed = !same_bytes(slice_make(ct_s.data, ct_s.len), slice_make(ct_r.data, ct_r.len));
	buf_free(&ct_s);
	buf_free(&ct_r);
	if (!cte_changed && !ct_changed)
		return 0;
	bd->kind = BODYDIFF_RE_ENCODED;
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

static int digests_equal(const unsigned char *a, const unsigned char *b)
{
	return a && b && memcmp(a, b, 32) == 0;   /* SHA-256 */
}

void bodydiff_classify(struct body_diff *bd, const struct bodydiff_side *s, const struct bodydiff_side *r)
{
	const struct buf *a = s->body, *b = r->body;
	memset(bd, 0, sizeof *bd);
	bd->simple_equal = digests_equal(s->simple_digest, r->simple_digest);
	bd->relaxed_equal = digests_equal(s->relaxed_digest, r->relaxed_digest);
	size_t p = common_prefix(a, b);
	if (p == a->len && p == b->len) {
		bd->kind = BODYDIFF_IDENTICAL;
		snprintf(bd->summary, sizeof bd->summary, "identical");
		snprintf(bd->detail, sizeof bd->detail, "the bodies are identical (%zu bytes)", a->len);
		return;
	}
	bd->first_difference = p;
	bd->first_line = line_of(b->data, p);
	if (p == a->len) {
		bd->kind = BODYDIFF_APPENDED;
		describe_appended(bd, b, p);
	} else if (p == b->len) {
		bd->kind = BODYDIFF_TRUNCATED;
		bd->truncated = a->len - p;
		snprintf(bd->summary, sizeof bd->summary, "%llu bytes cut from the end", (unsigned long long)bd->truncated);
		snprintf(bd->detail, sizeof bd->detail, "the last %llu bytes of the sent body are missing "
			 "from the received copy, from line %llu on%s", (unsigned long long)bd->truncated,
			 (unsigned long long)bd->first_line, tail_note(bd));
	} else if (equal_after_crlf(a->data, a->len, b->data, b->len)) {
		bd->kind = BODYDIFF_LINE_ENDS;
		snprintf(bd->summary, sizeof bd->summary, "line ends changed");
		snprintf(bd->detail, sizeof bd->detail, "only the line ends differ (bare LF against CRLF): equal once "
			 "both are normalized to CRLF (RFC 5322 §2.3); without --no-crlf arcverify converts them");
	} else if (bd->relaxed_equal) {
		bd->kind = BODYDIFF_WHITESPACE;
		snprintf(bd->summary, sizeof bd->summary, "white space changed");
		snprintf(bd->detail, sizeof bd->detail, "only white space differs, from line %llu: the bodies are "
			 "equal under relaxed body canonicalization (RFC 6376 §3.4.4) but not under simple (§3.4.3)",
			 (unsigned long long)bd->first_line);
	} else if (!detect_re_encoding(bd, s, r)) {
		bd->kind = BODYDIFF_CHANGED;
		describe_changed(bd, a, b);
	}
}

