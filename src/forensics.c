/*
 * forensics: known non-conformant canonicalizations, reproduced on purpose.
 * Each body variant is the RFC machine (canon.c) with one rule bent, either
 * through a canonicalizer quirk flag or through a transform of the input the
 * signer must have hashed instead (dot-stuffing, mbox quoting, a lone CR, a
 * truncation). Evidence for the "seen in" column: research notes on peers
 * (issue trackers and source of the implementations named).
 */
#include "forensics.h"

#include <stdlib.h>
#include <string.h>

#include "arc.h"
#include "canon.h"
#include "hash.h"

/* ---- the catalogue, most specific first (coinciding variants are listed in this order) ---- */

enum applies { APPLY_ANY, APPLY_RELAXED, APPLY_SIMPLE, APPLY_HAS_L, APPLY_L_ZERO };

enum xform {
	XF_NONE, XF_DROP_CR, XF_DOUBLE_CR, XF_UNSTUFF, XF_STUFF, XF_UNQUOTE_FROM, XF_QUOTE_FROM,
	XF_RAW_LIMIT, XF_EOL_TWICE,
	XF_APPEND_CRLF, XF_APPEND_LF,   /* not input transforms: bytes hashed after the canonical body */
};

struct body_variant {
	struct forensic_finding f;
	const char *what_simple;   /* the text when c= declares simple (a swap reads the other way), or NULL */
	enum applies when;
	unsigned quirks;           /* enum canon_quirk */
	int swap_canon;            /* the other body canonicalization */
	enum xform xf;
	int unlimited;             /* ignore l= */
};

#define SEEN_SWAP "stalwart mail-auth <= 0.9.1 (applied the header c= to the body; fixed in 0.9.2), " \
	"PHPMailer DKIMValidator (a missing or one-word c= not read as RFC 6376 §3.5 says; nextcloud/mail " \
	"PR #12238, DKIMValidator PR #17, #21)"

static const struct body_variant body_variants[] = {
	{ { "relaxed-empty-crlf", "relaxed body canonicalization, but an empty body hashed as one CRLF instead of zero bytes",
	    "RFC 6376 §3.4.4 b (a CRLF is added only to a non-empty body)",
	    "dkimpy < 0.7.0 (LP#1727319), toorop/go-dkim #9, stalwart mail-auth < 0.3.7 (#22), KumoMTA (PR #575), "
	    "Haraka (PR #1495), zone-mta (PR #69), the Microsoft AMS seen in rspamd #4601", 0, 0 },
	  NULL, APPLY_RELAXED, CANON_Q_EMPTY_AS_CRLF, 0, XF_NONE, 0 },
	{ { "simple-empty-nothing", "simple body canonicalization, but an empty body hashed as zero bytes instead of one CRLF",
	    "RFC 6376 §3.4.3 (no body is canonicalized as one CRLF)",
	    "swiftmailer #877, Haraka #2410, OpenARC (both forks, by reading its canonicalizer)", 0, 0 },
	  NULL, APPLY_SIMPLE, CANON_Q_EMPTY_AS_NOTHING, 0, XF_NONE, 0 },
	{ { "l-zero-unlimited", "l=0 taken as \"no limit\" instead of \"hash nothing\"",
	    "RFC 6376 §3.5 l=", "stalwart mail-auth (by reading its source)", 0, 0 },
	  NULL, APPLY_L_ZERO, 0, 0, XF_NONE, 1 },
	{ { "l-on-raw-bytes", "l= applied to the raw body bytes instead of the canonicalized body",
	    "RFC 6376 §3.5 l= (a count of canonicalized body octets)", "stalwart mail-auth (by reading its source)", 0, 0 },
	  NULL, APPLY_HAS_L, 0, 0, XF_RAW_LIMIT, 1 },
	{ { "relaxed-wsp-lines-kept", "relaxed, but whitespace-only lines at the end kept as empty lines "
	    "(whitespace stripped after, not before, dropping trailing empty lines)",
	    "RFC 6376 §3.4.4 a then b",
	    "rspamd (#5590, fixed by PR #5662), MimeKit #187, mailauth < 2.3.4 (#17), stalwart mail-auth, KumoMTA, "
	    "OpenSMTPD filter-dkimverify", 0, 0 },
	  NULL, APPLY_RELAXED, CANON_Q_WSP_LINES_KEPT, 0, XF_NONE, 0 },
	{ { "lone-cr-dropped", "a CR that is not part of CRLF dropped",
	    "RFC 6376 §3.4.3 / §3.4.4 (only CRLF ends a line; a lone CR is data)",
	    "stalwart mail-auth (drops every CR), mailauth < 5.0.3", 0, 0 },
	  NULL, APPLY_ANY, 0, 0, XF_DROP_CR, 0 },
	{ { "lone-cr-doubled", "a CR that is not part of CRLF doubled",
	    "RFC 6376 §3.4.3 / §3.4.4", "go-msgauth #38 (CR doubled at a chunk boundary)", 0, 0 },
	  NULL, APPLY_ANY, 0, 0, XF_DOUBLE_CR, 0 },
	{ { "dot-stuffing-left-in", "the copy here still carries SMTP dot-stuffing the signer did not hash "
	    "(a leading '.' doubled on lines that start with '.')",
	    "RFC 5321 §4.5.2 (the receiver removes the stuffing before the message is stored or verified)",
	    "Mail::DKIM's common_verification_problems.txt (its most common cause of \"body has been altered\")", 1, 0 },
	  NULL, APPLY_ANY, 0, 0, XF_UNSTUFF, 0 },
	{ { "dot-stuffed-when-signed", "the signer hashed the SMTP dot-stuffed body",
	    "RFC 5321 §4.5.2, RFC 6376 §5.3 (the message is signed, not its SMTP encoding)", "", 0, 0 },
	  NULL, APPLY_ANY, 0, 0, XF_STUFF, 0 },
	{ { "mbox-from-quoting-left-in", "mbox '>From ' quoting added after signing is still in this copy",
	    "RFC 4155 (mbox quoting is storage, not message content)", "", 1, 0 },
	  NULL, APPLY_ANY, 0, 0, XF_UNQUOTE_FROM, 0 },
	{ { "mbox-from-quoted-when-signed", "the signer hashed lines starting 'From ' with mbox '>' quoting",
	    "RFC 4155, RFC 6376 §5.3", "", 0, 0 },
	  NULL, APPLY_ANY, 0, 0, XF_QUOTE_FROM, 0 },
	{ { "trailing-empty-lines-kept", "trailing empty lines of the body kept instead of dropped",
	    "RFC 6376 §3.4.3 / §3.4.4 b", "rspamd #651 (2016)", 0, 0 },
	  NULL, APPLY_ANY, CANON_Q_KEEP_TRAILING, 0, XF_NONE, 0 },
	{ { "final-crlf-dropped", "the CRLF that ends the last line dropped",
	    "RFC 6376 §3.4.3 / §3.4.4 (a non-empty body ends with CRLF)", "", 0, 0 },
	  NULL, APPLY_ANY, CANON_Q_NO_FINAL_CRLF, 0, XF_NONE, 0 },
	{ { "relaxed-wsp-not-reduced", "relaxed, but runs of whitespace inside lines not reduced to one SP",
	    "RFC 6376 §3.4.4 a", "", 0, 0 },
	  NULL, APPLY_RELAXED, CANON_Q_NO_WSP_REDUCE, 0, XF_NONE, 0 },
	{ { "relaxed-eol-wsp-kept", "relaxed, but whitespace at the ends of lines not removed",
	    "RFC 6376 §3.4.4 a", "", 0, 0 },
	  NULL, APPLY_RELAXED, CANON_Q_NO_EOL_STRIP, 0, XF_NONE, 0 },
	{ { "line-ends-converted-twice", "line ends converted twice: every CRLF hashed as CR CR LF (a LF-to-CRLF "
	    "conversion run on text that already had CRLF)",
	    "RFC 5322 §2.3, RFC 6376 §3.4 (a line ends in exactly one CRLF)", "", 0, 0 },
	  NULL, APPLY_ANY, 0, 0, XF_EOL_TWICE, 0 },
	{ { "lf-line-ends", "line ends hashed as bare LF instead of CRLF",
	    "RFC 5322 §2.3, RFC 6376 §3.4 (lines end in CRLF)",
	    "MimeKit #496, Haraka #2594 and #2856, OpenSMTPD with rspamd (#4322)", 0, 0 },
	  NULL, APPLY_ANY, CANON_Q_LF_ENDS, 0, XF_NONE, 0 },
	{ { "other-body-canonicalization", "body hashed simple although c= declares relaxed",
	    "RFC 6376 §3.5 c= (RFC 8617 §4.1.2 for the AMS: no c= means simple/simple)",
	    SEEN_SWAP "; dkimpy and mailauth <= 5 read a missing AMS c= as relaxed/relaxed; mailauth < 2.1.2 did so "
	    "for DKIM (#6)", 0, 1 },
	  "body hashed relaxed although c= declares simple", APPLY_ANY, 0, 1, XF_NONE, 0 },
	{ { "crlf-appended", "a CRLF hashed after the canonicalized body",
	    "RFC 6376 §3.4 (the body as received)", "what rspamd silently retries on a mismatch (#5590)", 0, 1 },
	  NULL, APPLY_ANY, 0, 0, XF_APPEND_CRLF, 0 },
	{ { "lf-appended", "an LF hashed after the canonicalized body",
	    "RFC 6376 §3.4", "what rspamd silently retries on a mismatch (#5590)", 0, 1 },
	  NULL, APPLY_ANY, 0, 0, XF_APPEND_LF, 0 },
};

#define NBODY_VARIANTS (sizeof body_variants / sizeof body_variants[0])

static int variant_applies(const struct body_variant *v, const struct dkim_sig *s)
{
	switch (v->when) {
	case APPLY_RELAXED: return s->bcanon == CANON_RELAXED;
	case APPLY_SIMPLE: return s->bcanon == CANON_SIMPLE;
	case APPLY_HAS_L: return s->has_l;
	case APPLY_L_ZERO: return s->has_l && s->l == 0;
	default: return 1;
	}
}

/* ---- a hasher for one variant: input transform -> body hash (canonicalizer, l=, digest) ---- */

struct variant_hasher;

/* A signature that takes a hasher's digest: signatures whose (variant, c, a, l=) agree share one
 * hasher, as the verifier's registry shares body hashes, so a pass costs the distinct hashes only. */
struct hasher_reader {
	struct forensic_report *rep;     /* not ours */
	const struct dkim_sig *sig;      /* not ours */
	int probe;                       /* a verifying signature: record the variant when it differs */
	struct variant_hasher *h;        /* the hasher whose digest it takes */
	struct hasher_reader *next;      /* the next reader of the same hasher */
};

/* What makes two hashers the same: the variant and the body hash it feeds. */
struct hasher_params {
	const struct body_variant *v;    /* NULL for the prefix search */
	enum canon_alg canon;
	enum hash_alg alg;
	uint64_t limit;                  /* l=, HASH_NO_LIMIT */
	uint64_t raw_left;               /* raw bytes to take (XF_RAW_LIMIT), else UINT64_MAX */
};

struct variant_hasher {
	struct hasher_params p;          /* p.v: the variant, NULL for the prefix search */
	struct hasher_reader *readers;   /* not ours: at least one */
	struct body_hash *bh;            /* ours: hash.c's body hash, outside the registry */
	int line_start;                  /* the next input byte starts a line */
	int pending_cr;
	char held[16];                   /* line-start bytes held to recognise "." / ">From " / "From " */
	size_t nheld;
	uint64_t raw_left;
	char out[4096];                  /* transformed input staging */
	size_t outlen;
};

static int digest_is_bh(const struct dkim_sig *s, const unsigned char *d, unsigned n)
{
	return n == s->bh.len && memcmp(d, s->bh.data, n) == 0;
}

/* Prefix search (RFC 6376 §3.4.3/§3.4.4): the canonical form of the body cut after this line
 * is what has been emitted so far plus the one final CRLF the end-of-body rule adds. */
static void prefix_check(void *ctx, uint64_t in_pos)
{
	struct variant_hasher *h = ctx;
	int open = 0;
	for (const struct hasher_reader *r = h->readers; r && !open; r = r->next)
		open = !r->rep->prefix_found;
	if (!open)
		return;
	const struct canon_body *cb = &h->bh->cb;
	int final_crlf = cb->any_content || cb->alg == CANON_SIMPLE;
	unsigned char d[HASH_MAX_DIGEST];
	unsigned n = 0;
	if (hash_body_peek(h->bh, "\r\n", final_crlf ? 2 : 0, d, &n) != 0)
		return;
	for (struct hasher_reader *r = h->readers; r; r = r->next)
		if (!r->rep->prefix_found && digest_is_bh(r->sig, d, n)) {
			r->rep->prefix_found = 1;
			r->rep->prefix_bytes = in_pos;
		}
}

/* The hash variant v computes for signature s (RFC 6376 §3.5 c=, a=, l=, as the variant bends them). */
static struct hasher_params params_for(const struct body_variant *v, const struct dkim_sig *s)
{
	struct hasher_params p = { .v = v, .canon = s->bcanon, .alg = sig_alg_hash(s->alg) };
	if (v && v->swap_canon)
		p.canon = p.canon == CANON_SIMPLE ? CANON_RELAXED : CANON_SIMPLE;
	p.limit = s->has_l && !(v && v->unlimited) ? s->l : HASH_NO_LIMIT;
	p.raw_left = v && v->xf == XF_RAW_LIMIT ? s->l : UINT64_MAX;
	return p;
}

static int same_params(const struct hasher_params *a, const struct hasher_params *b)
{
	return a->v == b->v && a->canon == b->canon && a->alg == b->alg && a->limit == b->limit &&
	       a->raw_left == b->raw_left;
}

static int hasher_init(struct variant_hasher *h, const struct hasher_params *p)
{
	memset(h, 0, sizeof *h);
	h->p = *p;
	h->line_start = 1;
	h->bh = hash_body_new(p->canon, p->alg, p->limit, p->v ? p->v->quirks : 0);
	if (!h->bh)
		return -1;
	h->raw_left = p->raw_left;
	if (!p->v) {
		h->bh->cb.on_line_end = prefix_check;
		h->bh->cb.line_ctx = h;
	}
	return 0;
}

static void hasher_flush(struct variant_hasher *h)
{
	if (h->outlen) {
		hash_body_feed(h->bh, h->out, h->outlen);
		h->outlen = 0;
	}
}

static void hasher_put(struct variant_hasher *h, char c)
{
	if (h->outlen == sizeof h->out)
		hasher_flush(h);
	h->out[h->outlen++] = c;
}

static void hasher_put_held(struct variant_hasher *h)
{
	for (size_t i = 0; i < h->nheld; i++)
		hasher_put(h, h->held[i]);
	h->nheld = 0;
}

/*
 * Line-start transforms decide on the first bytes of a line. For the mbox
 * forms the pattern is ">*From "; bytes are held until they match it or not.
 */
static int line_start_decided(struct variant_hasher *h)
{
	static const char from[] = "From ";
	size_t gt = 0;
	while (gt < h->nheld && h->held[gt] == '>')
		gt++;
	size_t rest = h->nheld - gt;
	if (rest > 5 || memcmp(h->held + gt, from, rest) != 0)
		return 1; /* cannot become ">*From " */
	return rest == 5 || h->nheld == sizeof h->held;
}

static void emit_from_line_start(struct variant_hasher *h)
{
	size_t gt = 0;
	while (gt < h->nheld && h->held[gt] == '>')
		gt++;
	int is_from = h->nheld - gt == 5 && memcmp(h->held + gt, "From ", 5) == 0;
	if (is_from && h->p.v->xf == XF_QUOTE_FROM)
		hasher_put(h, '>');
	size_t skip = is_from && h->p.v->xf == XF_UNQUOTE_FROM && gt > 0 ? 1 : 0;
	for (size_t i = skip; i < h->nheld; i++)
		hasher_put(h, h->held[i]);
	h->nheld = 0;
}

/* A lone CR (not before LF) dropped or doubled; CRLF kept. */
static void cr_byte(struct variant_hasher *h, char c, enum xform xf)
{
	if (h->pending_cr) {
		h->pending_cr = 0;
		if (c == '\n') {
			hasher_put(h, '\r');
		} else if (xf == XF_DOUBLE_CR) {
			hasher_put(h, '\r');
			hasher_put(h, '\r');
		}
	}
	if (c == '\r')
		h->pending_cr = 1;
	else
		hasher_put(h, c);
}

/* SMTP dot-stuffing (RFC 5321 §4.5.2) undone or done at line starts. */
static void stuff_byte(struct variant_hasher *h, char c, enum xform xf)
{
	if (h->line_start && c == '.') {
		h->line_start = 0;
		if (xf == XF_STUFF) {
			hasher_put(h, '.');
			hasher_put(h, '.');
		}
		return; /* unstuff: the leading '.' of a stuffed line goes */
	}
	h->line_start = c == '\n';
	hasher_put(h, c);
}

/* mbox ">From " quoting undone or done at line starts. */
static void from_byte(struct variant_hasher *h, char c)
{
	if (h->line_start) {
		h->held[h->nheld++] = c;
		if (c == '\n' || line_start_decided(h)) {
			h->line_start = c == '\n';
			emit_from_line_start(h);
		}
		return;
	}
	h->line_start = c == '\n';
	hasher_put(h, c);
}

static void hasher_byte(struct variant_hasher *h, char c)
{
	enum xform xf = h->p.v ? h->p.v->xf : XF_NONE;
	if (xf == XF_DROP_CR || xf == XF_DOUBLE_CR) {
		cr_byte(h, c, xf);
	} else if (xf == XF_EOL_TWICE) {
		if (c == '\n')
			hasher_put(h, '\r');   /* LF -> CRLF once more: CRLF becomes CR CR LF */
		hasher_put(h, c);
	} else if (xf == XF_UNSTUFF || xf == XF_STUFF) {
		stuff_byte(h, c, xf);
	} else if (xf == XF_UNQUOTE_FROM || xf == XF_QUOTE_FROM) {
		from_byte(h, c);
	} else {
		hasher_put(h, c);
	}
}

static void hasher_feed(struct variant_hasher *h, const char *data, size_t len)
{
	enum xform xf = h->p.v ? h->p.v->xf : XF_NONE;
	if (xf == XF_RAW_LIMIT) {
		size_t take = h->raw_left < len ? (size_t)h->raw_left : len;
		h->raw_left -= take;
		hash_body_feed(h->bh, data, take);
		return;
	}
	if (xf == XF_NONE || xf == XF_APPEND_CRLF || xf == XF_APPEND_LF) {
		hash_body_feed(h->bh, data, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		hasher_byte(h, data[i]);
	hasher_flush(h);
}

/* Finish the input (held bytes, appended line ends), the canonicalizer and the digest. */
static void hasher_finish(struct variant_hasher *h)
{
	enum xform xf = h->p.v ? h->p.v->xf : XF_NONE;
	if (h->pending_cr && xf != XF_DROP_CR) {  /* a CR ending the body is lone too */
		hasher_put(h, '\r');
		if (xf == XF_DOUBLE_CR)
			hasher_put(h, '\r');
	}
	hasher_put_held(h);
	hasher_flush(h);
	/* the retry some receivers make: the finished canonical body plus one more line end */
	const char *extra = xf == XF_APPEND_CRLF ? "\r\n" : xf == XF_APPEND_LF ? "\n" : "";
	hash_body_finish(h->bh, extra, strlen(extra));
}

/* Does the finished digest of h give reader r's bh=? */
static int reader_matches(const struct variant_hasher *h, const struct hasher_reader *r)
{
	return !h->bh->failed && digest_is_bh(r->sig, h->bh->digest, h->bh->digest_len);
}

static void hasher_free(struct variant_hasher *h)
{
	hash_body_free(h->bh);
	h->bh = NULL;
}

/* ---- reports ---- */

/* The finding as it reads for this signature: a swap names the direction (RFC 6376 §3.5 c=). */
static struct forensic_finding finding_for(const struct forensic_finding *f, const char *what_simple,
					   enum canon_alg declared)
{
	struct forensic_finding out = *f;
	if (what_simple && declared == CANON_SIMPLE)
		out.what = what_simple;
	return out;
}

static void add_finding(struct forensic_finding *list, size_t *n, struct forensic_finding f)
{
	if (*n < FORENSICS_FINDINGS_MAX)
		list[(*n)++] = f;
}

static struct forensic_report *add_report(struct forensics *f, const struct dkim_sig *s, const char *label)
{
	struct forensic_report *r = realloc(f->reports, (f->n + 1) * sizeof *r);
	if (!r)
		return NULL;
	f->reports = r;
	struct forensic_report *rep = &f->reports[f->n++];
	memset(rep, 0, sizeof *rep);
	rep->sig = s;
	rep->label = label;
	return rep;
}

const struct forensic_report *forensics_for(const struct forensics *f, const struct dkim_sig *s)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (f->reports[i].sig == s)
			return &f->reports[i];
	return NULL;
}

void forensics_free(struct forensics *f)
{
	free(f->reports);
	f->reports = NULL;
	f->n = 0;
}

static int wanted(const struct forensics_opts *o, const char *id)
{
	for (size_t i = 0; i < o->nprobe; i++)
		if (strcmp(o->probe[i], id) == 0)
			return 1;
	return 0;
}

/* A signature that verifies under the RFC (the probes ask what would break it). */
static int verifies(const struct dkim_sig *s)
{
	return s->usable && s->v.result == VERDICT_PASS && s->header_ok == 1;
}

/* ---- the body pass ---- */

static int needs_body_forensics(const struct dkim_sig *s)
{
	return s->usable && s->kind != DKIM_KIND_SEAL && s->body_ok == 0 && s->bh.len > 0;
}

static int needs_body_probe(const struct forensic_report *rep)
{
	return rep->probed && rep->sig->kind != DKIM_KIND_SEAL && rep->sig->body_ok == 1;
}

/* Does variant v run for this report? failing: every applicable one; probed: the ones asked for. */
static int runs_variant(const struct forensic_report *rep, const struct body_variant *v, const struct forensics_opts *o)
{
	if (!variant_applies(v, rep->sig))
		return 0;
	if (needs_body_forensics(rep->sig))
		return 1;
	return needs_body_probe(rep) && wanted(o, v->f.id);
}

/* The readers a pass has: one per signature and variant tried, one per prefix search. */
static size_t count_readers(const struct forensics *f, const struct forensics_opts *o)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct forensic_report *rep = &f->reports[i];
		for (size_t v = 0; v < NBODY_VARIANTS; v++)
			n += runs_variant(rep, &body_variants[v], o);
		n += needs_body_forensics(rep->sig) && !rep->sig->has_l; /* the prefix search */
	}
	return n;
}

/* The body pass: nh hashers (at most one per reader) and the readers of their digests. */
struct body_pass {
	struct variant_hasher *hs;
	size_t nh;
	struct hasher_reader *rd;
	size_t nr;
};

/* Reader of variant v (NULL: the prefix search) for rep, on the hasher that computes its hash,
 * made when no earlier reader needs the same one. -1 when out of memory. */
static int add_reader(struct body_pass *bp, const struct body_variant *v, struct forensic_report *rep, int probe)
{
	struct hasher_params p = params_for(v, rep->sig);
	struct variant_hasher *h = NULL;
	for (size_t i = 0; i < bp->nh && !h; i++)
		h = same_params(&bp->hs[i].p, &p) ? &bp->hs[i] : NULL;
	if (!h) {
		if (hasher_init(&bp->hs[bp->nh], &p) < 0)
			return -1;
		h = &bp->hs[bp->nh++];
	}
	struct hasher_reader *r = &bp->rd[bp->nr++];
	*r = (struct hasher_reader){ .rep = rep, .sig = rep->sig, .probe = probe, .h = h, .next = h->readers };
	h->readers = r;
	return 0;
}

static int setup_hashers(struct forensics *f, struct body_pass *bp, const struct forensics_opts *o)
{
	for (size_t i = 0; i < f->n; i++) {
		struct forensic_report *rep = &f->reports[i];
		int failing = needs_body_forensics(rep->sig);
		rep->body_examined = failing;
		for (size_t v = 0; v < NBODY_VARIANTS; v++) {
			if (!runs_variant(rep, &body_variants[v], o))
				continue;
			if (add_reader(bp, &body_variants[v], rep, !failing) < 0)
				return -1;
			rep->body_tried += failing;
		}
		if (failing && !rep->sig->has_l) {
			rep->prefix_searched = 1;
			if (add_reader(bp, NULL, rep, 0) < 0)
				return -1;
		}
	}
	for (size_t k = 0; k < bp->nh; k++)
		if (!bp->hs[k].p.v)
			prefix_check(&bp->hs[k], 0);   /* the empty prefix: a body that was empty when signed */
	return 0;
}

/* Findings in reader order, so each report lists its variants in the catalogue's order. */
static void record_body_results(struct body_pass *bp, uint64_t body_bytes)
{
	for (size_t k = 0; k < bp->nh; k++)
		hasher_finish(&bp->hs[k]);
	for (size_t i = 0; i < bp->nr; i++) {
		const struct hasher_reader *r = &bp->rd[i];
		const struct variant_hasher *h = r->h;
		r->rep->body_bytes = body_bytes;
		if (!h->p.v)
			continue;
		int match = reader_matches(h, r);
		struct forensic_finding f = finding_for(&h->p.v->f, h->p.v->what_simple, r->sig->bcanon);
		if (r->probe && !match && !h->bh->failed)
			add_finding(r->rep->breaks, &r->rep->nbreaks, f);
		else if (!r->probe && match)
			add_finding(r->rep->body, &r->rep->nbody, f);
	}
}

static int feed_hashers(struct body_pass *bp, FILE *in, long start, const struct msg_opts *mo, char *err,
			size_t errlen)
{
	struct msg m;
	if (fseek(in, start, SEEK_SET) != 0) {
		snprintf(err, errlen, "cannot read the message again (not seekable)");
		return -1;
	}
	if (msg_open(&m, in, mo, err, errlen) < 0)
		return -1;
	char *chunk = malloc(MSG_CHUNK);
	long got = 0;
	while (chunk && (got = msg_read_body(&m, chunk, MSG_CHUNK)) > 0)
		for (size_t k = 0; k < bp->nh; k++)
			hasher_feed(&bp->hs[k], chunk, (size_t)got);
	int rc = chunk && got == 0 ? 0 : -1;
	if (rc < 0)
		snprintf(err, errlen, chunk ? "read error in the message body" : "out of memory");
	free(chunk);
	if (rc == 0)
		record_body_results(bp, m.body_bytes);
	msg_close(&m);
	return rc;
}

static int body_pass(struct forensics *f, FILE *in, long start, const struct msg_opts *mo,
		     const struct forensics_opts *o, char *err, size_t errlen)
{
	size_t n = count_readers(f, o);
	if (n == 0)
		return 0;
	struct body_pass bp = { .hs = calloc(n, sizeof *bp.hs), .rd = calloc(n, sizeof *bp.rd) };
	int rc = bp.hs && bp.rd ? setup_hashers(f, &bp, o) : -1;
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	else
		rc = feed_hashers(&bp, in, start, mo, err, errlen);
	for (size_t k = 0; k < bp.nh; k++)
		hasher_free(&bp.hs[k]);
	free(bp.hs);
	free(bp.rd);
	return rc;
}

/* ---- header variants ---- */

enum hdr_applies { HDR_SIG_OR_AMS, HDR_AMS_NO_C, HDR_SEAL, HDR_ANY };

struct header_variant {
	struct forensic_finding f;
	const char *what_simple;   /* the text when c= declares simple headers, or NULL */
	enum hdr_applies when;
	struct dkim_hdr_opts o;    /* canon is filled in per signature */
	int swap_canon;
	int relaxed;               /* force relaxed */
	int descending;            /* seal: sets newest first */
};

static const struct header_variant header_variants[] = {
	{ { "ams-missing-c-as-relaxed", "an AMS without c= hashed as relaxed/relaxed instead of simple/simple",
	    "RFC 8617 §4.1.2 with RFC 6376 §3.5 (a missing c= means simple/simple)",
	    "dkimpy, mailauth <= 5 (and the ARC test suite case ams_fields_c_na)", 0, 0 },
	  NULL, HDR_AMS_NO_C, { 0 }, 0, 1, 0 },
	{ { "space-after-colon-kept", "relaxed, but one space kept after the colon of a field whose value starts "
	    "on a continuation line", "RFC 6376 §3.4.2 (white space before and after the colon is deleted)",
	    "OpenDKIM <= 2.10.3 (#39, PR #119), markenwerk java-utils-mail-dkim (PR #7), MimeKit #171", 0, 0 },
	  NULL, HDR_ANY, { .quirks = CANON_HQ_FOLDED_SPACE }, 0, 0, 0 },
	{ { "top-down-selection", "repeated header fields selected from the top down instead of the bottom up",
	    "RFC 6376 §5.4.2", "aboutmyemail #26, OpenDKIM #157", 0, 0 },
	  NULL, HDR_SIG_OR_AMS, { .top_down = 1 }, 0, 0, 0 },
	{ { "h-deduplicated", "each name in h= used only once (repeated names ignored)",
	    "RFC 6376 §5.4.2 (each repeated name selects the next older field)", "kmille/dkim-verify #5", 0, 0 },
	  NULL, HDR_SIG_OR_AMS, { .dedupe = 1 }, 0, 0, 0 },
	{ { "repeated-name-same-field", "a repeated h= name hashed the same field again instead of the next "
	    "older one (or nothing)", "RFC 6376 §5.4.2", "OpenSMTPD filter-dkimverify (fixed in a fork, f185a96)", 0, 0 },
	  NULL, HDR_SIG_OR_AMS, { .reuse = 1 }, 0, 0, 0 },
	{ { "seal-sets-descending", "the ARC sets fed to the seal newest first instead of from instance 1 up",
	    "RFC 8617 §5.1.1 (sets in increasing instance order)", "rspamd #4449 (ARC signing for i > 1)", 0, 0 },
	  NULL, HDR_SEAL, { 0 }, 0, 0, 1 },
	{ { "signature-field-with-crlf", "the signature's own field hashed with a trailing CRLF",
	    "RFC 6376 §3.7 (the signature field is hashed without its trailing CRLF)", "", 0, 0 },
	  NULL, HDR_ANY, { .self_crlf = 1 }, 0, 0, 0 },
	{ { "b-not-emptied", "the signature's own field hashed with its b= value still in it",
	    "RFC 6376 §3.7 (the value of b= is treated as empty)", "", 0, 0 },
	  NULL, HDR_ANY, { .keep_b = 1 }, 0, 0, 0 },
	{ { "other-header-canonicalization", "headers hashed simple although c= declares relaxed",
	    "RFC 6376 §3.5 c=", SEEN_SWAP, 0, 1 },
	  "headers hashed relaxed although c= declares simple", HDR_SIG_OR_AMS, { 0 }, 1, 0, 0 },
};

#define NHEADER_VARIANTS (sizeof header_variants / sizeof header_variants[0])

const struct forensic_finding *forensics_known(size_t i)
{
	if (i < NBODY_VARIANTS)
		return &body_variants[i].f;
	return i - NBODY_VARIANTS < NHEADER_VARIANTS ? &header_variants[i - NBODY_VARIANTS].f : NULL;
}

static int header_variant_applies(const struct header_variant *v, const struct dkim_sig *s)
{
	int no_c = s->kind == DKIM_KIND_AMS && !tags_find(&s->tags, "c");
	switch (v->when) {
	case HDR_SIG_OR_AMS: return s->kind != DKIM_KIND_SEAL && !(no_c && v->swap_canon);
	case HDR_AMS_NO_C: return no_c;
	case HDR_SEAL: return s->kind == DKIM_KIND_SEAL && s->instance > 1;
	default: return 1;
	}
}

static int build_variant_header(const struct header_variant *v, const struct dkim_sig *s, const struct msg *m,
				const struct arc_chain *chain, struct buf *out)
{
	if (s->kind == DKIM_KIND_SEAL) {
		if (arc_seal_data_with(chain, m, s->instance, v->descending, v->o.quirks, v->o.keep_b, out) < 0)
			return -1;
		return v->o.self_crlf ? buf_append(out, "\r\n", 2) : 0;
	}
	struct dkim_hdr_opts o = v->o;
	o.canon = s->hcanon;
	if (v->swap_canon)
		o.canon = s->hcanon == CANON_SIMPLE ? CANON_RELAXED : CANON_SIMPLE;
	if (v->relaxed)
		o.canon = CANON_RELAXED;
	if (o.quirks && o.canon != CANON_RELAXED)
		return 1; /* the quirk only exists under relaxed */
	return dkim_header_data_with(s, m, &o, out, NULL);
}

/* Which signed names repeat or are absent: where a modifying hop usually is. */
static void signed_field_notes(struct forensic_report *rep, const struct dkim_sig *s, const struct msg *m)
{
	struct buf notes;
	buf_init(&notes, sizeof rep->header_notes - 1);
	for (size_t i = 0; i < s->nh; i++) {
		int dup = 0;
		for (size_t k = 0; k < i; k++)
			dup |= slice_caseeq(s->h[k], s->h[i]);
		if (dup)
			continue;
		size_t signed_n = 0, present = 0;
		for (size_t k = 0; k < s->nh; k++)
			signed_n += slice_caseeq(s->h[k], s->h[i]);
		present = msg_count_fields(m, s->h[i]);
		if (slice_caseeq(m->fields[s->field].name, s->h[i]))
			present--; /* the signature's own field is never one of its signed fields */
		if (present == 0)
			buf_printf(&notes, "%s%.*s absent", notes.len ? "; " : "", (int)s->h[i].len, s->h[i].ptr);
		else if (present > 1)
			buf_printf(&notes, "%s%.*s present %zu times, signed %zu", notes.len ? "; " : "",
				   (int)s->h[i].len, s->h[i].ptr, present, signed_n);
	}
	if (notes.len)
		snprintf(rep->header_notes, sizeof rep->header_notes, "%s", notes.data);
	else
		snprintf(rep->header_notes, sizeof rep->header_notes,
			 "every signed field is present once: a signed field's content was probably changed");
	buf_free(&notes);
}

static int same_bytes(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/*
 * One header variant on one signature: failing, does b= verify with it;
 * probed, does b= stop verifying with it (changed data almost always does, but
 * under an Ed25519 key of small order every header hash verifies).
 */
static void try_header_variant(struct forensic_report *rep, const struct header_variant *hv, const struct msg *m,
			       const struct arc_chain *chain, struct buf *data)
{
	const struct dkim_sig *s = rep->sig;
	if (build_variant_header(hv, s, m, chain, data) != 0)
		return;
	struct forensic_finding f = finding_for(&hv->f, hv->what_simple, s->hcanon);
	if (rep->probed) {
		if (!same_bytes(data, &s->hdata) && dkim_check_header_data(s, data) == 0)
			add_finding(rep->breaks, &rep->nbreaks, f);
		return;
	}
	rep->header_tried++;
	if (dkim_check_header_data(s, data) == 1)
		add_finding(rep->header, &rep->nheader, f);
}

static void header_pass(struct forensic_report *rep, const struct msg *m, const struct arc_chain *chain,
			const struct forensics_opts *o)
{
	const struct dkim_sig *s = rep->sig;
	int failing = s->header_ok == 0 && s->has_key;
	if (!failing && !(rep->probed && s->hdata.len))
		return;
	rep->header_examined = failing;
	struct buf data;
	buf_init(&data, MSG_HEADER_MAX);
	for (size_t v = 0; v < NHEADER_VARIANTS; v++) {
		const struct header_variant *hv = &header_variants[v];
		if (header_variant_applies(hv, s) && (failing || wanted(o, hv->f.id)))
			try_header_variant(rep, hv, m, chain, &data);
	}
	buf_free(&data);
	if (failing && rep->nheader == 0 && s->kind != DKIM_KIND_SEAL)
		signed_field_notes(rep, s, m);
}

const struct forensic_finding *forensics_variant(const char *id)
{
	for (size_t v = 0; v < NBODY_VARIANTS; v++)
		if (strcmp(body_variants[v].f.id, id) == 0)
			return &body_variants[v].f;
	for (size_t v = 0; v < NHEADER_VARIANTS; v++)
		if (strcmp(header_variants[v].f.id, id) == 0)
			return &header_variants[v].f;
	return NULL;
}

/* ---- entry point ---- */

static int fails(const struct dkim_sig *s)
{
	return needs_body_forensics(s) || (s->header_ok == 0 && s->has_key);
}

/* One report per signature examined: a failing one (o->failing), or a verifying one to probe. */
static int consider(struct forensics *f, const struct dkim_sig *s, const char *label, const struct forensics_opts *o)
{
	int failing = o->failing && fails(s);
	int probe = !failing && o->nprobe && verifies(s);
	if (!failing && !probe)
		return 0;
	struct forensic_report *rep = add_report(f, s, label);
	if (!rep)
		return -1;
	rep->probed = probe;
	return 0;
}

/* Every DKIM-Signature, every AMS and every AS, whatever the message's overall verdict. */
static int collect(struct forensics *f, const struct run_result *r, const struct forensics_opts *o)
{
	for (size_t i = 0; i < r->ndkim; i++)
		if (consider(f, &r->dkim[i], "DKIM", o) < 0)
			return -1;
	for (unsigned i = 0; i < r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i];
		if (set->has_ams && consider(f, &set->ams, "AMS", o) < 0)
			return -1;
		if (set->has_as && consider(f, &set->as, "AS", o) < 0)
			return -1;
	}
	return 0;
}

int forensics_examine(struct forensics *f, const struct run_result *r, FILE *in, long start,
		      const struct msg_opts *mo, const struct forensics_opts *o, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	if (!r->msg_open)
		return 0;
	if (collect(f, r, o) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < f->n; i++)
		header_pass(&f->reports[i], &r->msg, &r->arc, o);
	return body_pass(f, in, start, mo, o, err, errlen);
}

int forensics_run(struct forensics *f, const struct run_result *r, FILE *in, long start,
		  const struct msg_opts *mo, char *err, size_t errlen)
{
	struct forensics_opts o = { .failing = 1 };
	return forensics_examine(f, r, in, start, mo, &o, err, errlen);
}
