/*
 * dkim: evaluation of one DKIM-Signature / ARC-Message-Signature / ARC-Seal.
 * The order of checks follows RFC 6376 §6.1: the signature field (§6.1.1),
 * then the key (§6.1.2), then the body hash and the header signature (§6.1.3);
 * the first problem found is the verdict, and every later check still runs
 * when it can so that -v and JSON show the whole picture.
 */
#include "dkim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"

static const char *const kind_names[] = {
	[DKIM_KIND_SIGNATURE] = "DKIM-Signature",
	[DKIM_KIND_AMS] = "ARC-Message-Signature",
	[DKIM_KIND_SEAL] = "ARC-Seal",
};

const char *dkim_kind_name(enum dkim_kind k)
{
	return kind_names[k];
}

static int permerror(struct dkim_sig *s, enum verdict_code code, const char *fmt, const char *arg)
{
	verdict_set(&s->v, VERDICT_PERMERROR, code, fmt, arg);
	return -1;
}

/* Copy a tag value for display; values too long for the field are cut (they fail checks anyway). */
static void copy_tag(const struct tag_list *tl, const char *name, char *dst, size_t dstlen)
{
	const struct tag *t = tags_find(tl, name);
	if (t)
		slice_copy(t->value, dst, dstlen);
}

/* Required tags: RFC 6376 §3.5 for DKIM-Signature, RFC 8617 §4.1.2/§4.1.3 for AMS and AS. */
static int check_required(struct dkim_sig *s)
{
	static const char *const sig[] = { "v", "a", "b", "bh", "d", "h", "s", NULL };
	static const char *const ams[] = { "i", "a", "b", "bh", "d", "h", "s", NULL };
	static const char *const seal[] = { "i", "a", "b", "cv", "d", "s", NULL };
	const char *const *req = s->kind == DKIM_KIND_SIGNATURE ? sig : s->kind == DKIM_KIND_AMS ? ams : seal;
	for (; *req; req++)
		if (!tags_find(&s->tags, *req))
			return permerror(s, VC_MISSING_TAG, "missing required tag %s", *req);
	return 0;
}

/* A number of at most maxdigits digits (RFC 6376 §3.5: t= and x= 1*12DIGIT, l= 1*76DIGIT). */
static int parse_number(struct slice v, size_t maxdigits, uint64_t *out)
{
	if (v.len == 0 || v.len > maxdigits)
		return -1;
	uint64_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		if (!isdigit((unsigned char)v.ptr[i]))
			return -1;
		unsigned d = (unsigned)(v.ptr[i] - '0');
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d; /* saturate: l= may be huge */
	}
	*out = n;
	return 0;
}

static int number_tag(struct dkim_sig *s, const char *name, size_t maxdigits, uint64_t *out, int *has)
{
	const struct tag *t = tags_find(&s->tags, name);
	if (!t)
		return 0;
	if (parse_number(t->value, maxdigits, out) < 0) {
		verdict_set(&s->v, VERDICT_PERMERROR, VC_BAD_NUMBER, "%s= is not a valid number (%.*s)", name,
			    (int)(t->value.len > 40 ? 40 : t->value.len), t->value.ptr);
		return -1;
	}
	*has = 1;
	return 0;
}

/* RFC 5321 domain / RFC 6376 selector syntax: dot-separated labels of letters, digits, '-' (and '_'). */
static int valid_domain(const char *d)
{
	size_t n = strlen(d), label = 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && d[n - 1] != '-';
}

static int parse_version(struct dkim_sig *s)
{
	if (s->kind != DKIM_KIND_SIGNATURE)
		return 0;
	const struct tag *v = tags_find(&s->tags, "v");
	if (!slice_eq(v->value, "1")) {
		char val[40];
		slice_copy(v->value, val, sizeof val);
		return permerror(s, VC_BAD_VERSION, "unsupported version v=%s (RFC 6376 §3.5 requires v=1)", val);
	}
	return 0;
}

static int parse_instance(struct dkim_sig *s)
{
	if (s->kind == DKIM_KIND_SIGNATURE)
		return 0;
	uint64_t n;
	const struct tag *t = tags_find(&s->tags, "i");
	if (parse_number(t->value, 9, &n) < 0 || n == 0) {
		char val[40];
		slice_copy(t->value, val, sizeof val);
		return permerror(s, VC_BAD_INSTANCE, "i= is not a valid ARC instance number (i=%s)", val);
	}
	s->instance = (unsigned)n;
	return 0;
}

static int parse_algorithm(struct dkim_sig *s)
{
	if (sig_alg_parse(tags_find(&s->tags, "a")->value, &s->alg) < 0)
		return permerror(s, VC_BAD_ALGORITHM, "unknown algorithm a=%s", s->a);
	s->has_alg = 1;
	return 0;
}

static int decode_b64_tag(struct dkim_sig *s, const char *name, struct buf *out)
{
	const struct tag *t = tags_find(&s->tags, name);
	char err[120];
	if (!t)
		return 0;
	if (b64_decode(t->value, out, err, sizeof err) < 0) {
		if (out->nomem)
			verdict_set(&s->v, VERDICT_PERMERROR, VC_INTERNAL, "out of memory decoding %s=", name);
		else
			verdict_set(&s->v, VERDICT_PERMERROR, VC_BAD_BASE64, "%s= is not valid base64: %s", name, err);
		return -1;
	}
	if (out->len == 0)
		return permerror(s, VC_BAD_BASE64, "%s= is empty", name);
	return 0;
}

/* c=header/body; a missing body part means simple (§3.5). ARC-Seal: relaxed, no c= (RFC 8617 §4.1.3). */
static int parse_canon(struct dkim_sig *s)
{
	s->hcanon = s->bcanon = CANON_SIMPLE;
	if (s->kind == DKIM_KIND_SEAL) {
		s->hcanon = s->bcanon = CANON_RELAXED;
		return 0;
	}
	const struct tag *t = tags_find(&s->tags, "c");
	if (!t)
		return 0; /* RFC 6376 §3.5 default simple/simple; RFC 8617 §4.1.2 keeps it for the AMS */
	const char *slash = memchr(t->value.ptr, '/', t->value.len);
	struct slice head = slice_make(t->value.ptr, slash ? (size_t)(slash - t->value.ptr) : t->value.len);
	int bad = canon_parse(head, &s->hcanon) < 0;
	if (slash) {
		struct slice body = slice_make(slash + 1, t->value.len - head.len - 1);
		bad |= canon_parse(body, &s->bcanon) < 0;
	}
	if (bad)
		return permerror(s, VC_BAD_CANON, "unknown canonicalization c=%s", s->c);
	return 0;
}

static int parse_domain_selector(struct dkim_sig *s)
{
	const struct tag *d = tags_find(&s->tags, "d"), *sel = tags_find(&s->tags, "s");
	if (d->value.len >= sizeof s->d || !valid_domain(s->d))
		return permerror(s, VC_BAD_DOMAIN, "d= is not a valid domain name (d=%s)", s->d);
	if (sel->value.len >= sizeof s->s || !valid_domain(s->s))
		return permerror(s, VC_BAD_DOMAIN, "s= is not a valid selector (s=%s)", s->s);
	int n = snprintf(s->keyname, sizeof s->keyname, "%s._domainkey.%s", s->s, s->d);
	if (n < 0 || (size_t)n >= sizeof s->keyname || n > 253)
		return permerror(s, VC_BAD_DOMAIN, "key name %s._domainkey.<d=> is longer than a DNS name may be", s->s);
	return 0;
}

/* h=: colon-separated field names (§3.5); From must be signed (§5.4). */
static int parse_signed_headers(struct dkim_sig *s)
{
	if (s->kind == DKIM_KIND_SEAL)
		return 0; /* an h= on a seal is a structural error judged by the ARC layer */
	const struct tag *t = tags_find(&s->tags, "h");
	if (tags_split_colon(t->value, s->h, DKIM_H_MAX, &s->nh) < 0)
		return permerror(s, VC_BAD_H, "h= has an empty header name or more than %s names", "256");
	for (size_t i = 0; i < s->nh; i++)
		if (slice_caseeq_str(s->h[i], "from"))
			return 0;
	return permerror(s, VC_FROM_NOT_SIGNED, "h= does not include From (RFC 6376 §5.4 requires it)%s", "");
}

/* dkim-quoted-printable (§2.11): =XX hex escapes, FWS removed. */
static int decode_identity(struct slice v, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.ptr[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (i + 2 >= v.len || !isxdigit((unsigned char)v.ptr[i + 1]) ||
			    !isxdigit((unsigned char)v.ptr[i + 2]))
				return -1;
			char hex[3] = { v.ptr[i + 1], v.ptr[i + 2], 0 };
			c = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return -1; /* no address holds control characters (RFC 5322 §3.4.1) */
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Is sub equal to dom or a subdomain of it (case-insensitive)? */
static int domain_within(const char *sub, const char *dom)
{
	size_t ls = strlen(sub), ld = strlen(dom);
	if (ls < ld || strcasecmp(sub + ls - ld, dom) != 0)
		return 0;
	return ls == ld || sub[ls - ld - 1] == '.';
}

/* §3.5 i=: default "@" d=; its domain must be d= or a subdomain of it. */
static int parse_identity(struct dkim_sig *s)
{
	if (s->kind != DKIM_KIND_SIGNATURE)
		return 0;
	const struct tag *t = tags_find(&s->tags, "i");
	if (!t) {
		snprintf(s->identity, sizeof s->identity, "@%s", s->d);
		return 0;
	}
	if (decode_identity(t->value, s->identity, sizeof s->identity) < 0) {
		s->identity[0] = '\0';
		return permerror(s, VC_BAD_IDENTITY, "i= is not a valid identity (dkim-quoted-printable, RFC 6376 §2.11)%s", "");
	}
	const char *at = strrchr(s->identity, '@');
	if (!at)
		return permerror(s, VC_BAD_IDENTITY, "i= has no '@' (i=%s)", s->identity);
	if (!domain_within(at + 1, s->d))
		return permerror(s, VC_IDENTITY_DOMAIN, "i= domain not within d= (i=%s)", s->identity);
	return 0;
}

/* q=: a colon list of query methods; dns/txt must be one of them (§3.5, §6.1.1). */
static int parse_query(struct dkim_sig *s)
{
	const struct tag *t = tags_find(&s->tags, "q");
	struct slice items[32];
	size_t n;
	if (!t)
		return 0;
	if (tags_split_colon(t->value, items, 32, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (slice_caseeq_str(items[i], "dns/txt"))
				return 0;
	char val[80];
	slice_copy(t->value, val, sizeof val);
	return permerror(s, VC_BAD_QUERY, "q= does not offer dns/txt (q=%s)", val);
}

static int parse_times(struct dkim_sig *s)
{
	if (s->kind != DKIM_KIND_SEAL && number_tag(s, "l", 76, &s->l, &s->has_l) < 0) {
		s->has_l_error = 1; /* without a usable l= the body hash cannot be computed */
		return -1;
	}
	if (number_tag(s, "t", 12, &s->t, &s->has_t) < 0 || number_tag(s, "x", 12, &s->x, &s->has_x) < 0)
		return -1;
	if (s->has_t && s->has_x && s->x <= s->t) {
		verdict_set(&s->v, VERDICT_PERMERROR, VC_X_BEFORE_T, "x= is before t= or equal to it (t=%llu, x=%llu)",
			    (unsigned long long)s->t, (unsigned long long)s->x);
		return -1;
	}
	return 0;
}

static void init_sig(struct dkim_sig *s, enum dkim_kind kind, size_t field)
{
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->field = field;
	s->l = HASH_NO_LIMIT;
	s->body_ok = s->header_ok = -1;
	s->record_used = -1;
	buf_init(&s->b, 8192);
	buf_init(&s->bh, 256);
	buf_init(&s->hdata, MSG_HEADER_MAX);
	for (size_t i = 0; i < DKIM_H_MAX; i++)
		s->selected[i] = -1;
}

void dkim_parse(struct dkim_sig *s, enum dkim_kind kind, const struct msg *m, size_t field)
{
	init_sig(s, kind, field);
	char err[200];
	if (tags_parse(m->fields[field].value, &s->tags, err, sizeof err) < 0) {
		verdict_set(&s->v, VERDICT_PERMERROR, VC_TAG_SYNTAX, "%s", err);
		return;
	}
	copy_tag(&s->tags, "a", s->a, sizeof s->a);
	copy_tag(&s->tags, "c", s->c, sizeof s->c);
	copy_tag(&s->tags, "d", s->d, sizeof s->d);
	copy_tag(&s->tags, "s", s->s, sizeof s->s);
	copy_tag(&s->tags, "cv", s->cv, sizeof s->cv);
	const struct tag *bh = tags_find(&s->tags, "bh");
	if (bh) {
		struct buf nofws;
		buf_init(&nofws, sizeof s->bh_expected - 1);
		if (tags_value_nofws(bh->value, &nofws) == 0)
			snprintf(s->bh_expected, sizeof s->bh_expected, "%s", nofws.data);
		buf_free(&nofws);
	}
	const struct tag *b = tags_find(&s->tags, "b");
	if (b)
		s->b_region = b->region;
	if (check_required(s) < 0)
		return;
	/*
	 * The first problem is the verdict, but the checks that only judge the
	 * signature (v=, i=, q=, t=/x=) do not stop evaluation: a malformed signature
	 * still has its body hash computed and its key tried, so the report can say
	 * what else is (or is not) wrong with it.
	 */
	parse_version(s);
	parse_instance(s);
	int ok = parse_algorithm(s) == 0;
	ok &= parse_canon(s) == 0;
	ok &= parse_domain_selector(s) == 0;
	ok &= parse_signed_headers(s) == 0;
	if (s->kind == DKIM_KIND_SIGNATURE && s->d[0])
		parse_identity(s);
	parse_query(s);
	ok &= parse_times(s) == 0 || !s->has_l_error;
	ok &= decode_b64_tag(s, "b", &s->b) == 0;
	if (kind != DKIM_KIND_SEAL)
		ok &= decode_b64_tag(s, "bh", &s->bh) == 0;
	s->usable = ok;
}

void dkim_prepare(struct dkim_sig *s, struct hash_registry *reg, struct lookup *lk)
{
	if (!s->usable)
		return;
	if (s->kind != DKIM_KIND_SEAL) {
		s->body = hash_body_get(reg, s->bcanon, sig_alg_hash(s->alg), s->l, 0);
		if (!s->body && reg->n < HASH_BODIES_MAX) {
			verdict_set(&s->v, VERDICT_PERMERROR, VC_INTERNAL, "out of memory for the body hash");
			s->usable = 0;
			return;
		}
		if (!s->body) {
			verdict_set(&s->v, VERDICT_PERMERROR, VC_LIMIT, "too many distinct body hashes in one message (limit %d)",
				    HASH_BODIES_MAX);
			s->usable = 0;
			return;
		}
	}
	lookup_request(lk, s->keyname);
}

int dkim_append_self_with(const struct dkim_sig *s, const struct msg *m, enum canon_alg c, unsigned quirks,
			  int keep_b, struct buf *out)
{
	struct slice raw = m->fields[s->field].raw;
	if (keep_b)
		return canon_header_quirk(c, quirks, raw, out);
	size_t cut = (size_t)(s->b_region.ptr - raw.ptr), cutlen = s->b_region.len;
	struct buf emptied;
	buf_init(&emptied, raw.len + 1);
	int rc = -1;
	if (buf_append(&emptied, raw.ptr, cut) == 0 &&
	    buf_append(&emptied, raw.ptr + cut + cutlen, raw.len - cut - cutlen) == 0)
		rc = canon_header_quirk(c, quirks, slice_make(emptied.data, emptied.len), out);
	else
		out->nomem = 1;   /* emptied is capped at the field's size: only memory can run out */
	buf_free(&emptied);
	return rc;
}

int dkim_append_self(const struct dkim_sig *s, const struct msg *m, enum canon_alg c, struct buf *out)
{
	return dkim_append_self_with(s, m, c, 0, 0, out);
}

struct dkim_hdr_opts dkim_hdr_default(const struct dkim_sig *s)
{
	struct dkim_hdr_opts o = { .canon = s->hcanon };
	return o;
}

/* The field an h= entry selects, or -1: bottom-up by default (§5.4.2), top-down for the bug. */
static long select_field(const struct dkim_sig *s, const struct msg *m, struct slice name,
			 const unsigned char *used, const struct dkim_hdr_opts *o)
{
	for (size_t k = 0; k < m->nfields; k++) {
		size_t j = o->top_down ? k : m->nfields - 1 - k;
		const struct msg_field *f = &m->fields[j];
		if (j == s->field || used[j] || f->malformed || !slice_caseeq(f->name, name))
			continue;
		return (long)j;
	}
	return -1;
}

static int seen_before(const struct dkim_sig *s, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (slice_caseeq(s->h[k], s->h[i]))
			return 1;
	return 0;
}

/*
 * §5.4.2: for each h= name take the last not-yet-used instance of that field,
 * working upwards; a name with no instance left contributes nothing (this is
 * how over-signing prevents added fields). The signature itself comes last,
 * b= emptied and without a trailing CRLF (§3.7).
 */
int dkim_header_data_with(const struct dkim_sig *s, const struct msg *m, const struct dkim_hdr_opts *o,
			  struct buf *out, long *selected)
{
	buf_reset(out);
	unsigned char *used = calloc(m->nfields ? m->nfields : 1, 1);
	if (!used) {
		out->nomem = 1;
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < s->nh && rc == 0; i++) {
		if (o->dedupe && seen_before(s, i))
			continue;
		long j = select_field(s, m, s->h[i], used, o);
		if (j < 0 && o->reuse && seen_before(s, i)) {
			unsigned char *none = calloc(m->nfields ? m->nfields : 1, 1);
			if (!none) {
				out->nomem = 1;
				rc = -1;
				break;
			}
			j = select_field(s, m, s->h[i], none, o);
			free(none);
		}
		if (selected)
			selected[i] = j;
		if (j < 0)
			continue;
		used[j] = 1;
		if (canon_header_quirk(o->canon, o->quirks, m->fields[j].raw, out) < 0 || buf_append(out, "\r\n", 2) < 0)
			rc = -1;
	}
	free(used);
	if (rc == 0)
		rc = dkim_append_self_with(s, m, o->canon, o->quirks, o->keep_b, out);
	if (rc == 0 && o->self_crlf)
		rc = buf_append(out, "\r\n", 2);
	return rc;
}

int dkim_header_data(struct dkim_sig *s, const struct msg *m)
{
	struct dkim_hdr_opts o = dkim_hdr_default(s);
	int rc = dkim_header_data_with(s, m, &o, &s->hdata, s->selected);
	if (rc < 0 && !s->hdata.nomem)
		verdict_set(&s->v, VERDICT_PERMERROR, VC_LIMIT, "header data larger than %u bytes", MSG_HEADER_MAX);
	else if (rc < 0)
		verdict_set(&s->v, VERDICT_PERMERROR, VC_INTERNAL, "out of memory building the header data");
	return rc;
}

static void check_times(struct dkim_sig *s, const struct dkim_policy *pol)
{
	uint64_t now = (uint64_t)pol->now;
	if (s->has_x && s->x < now)
		verdict_set(&s->v, VERDICT_FAIL, VC_EXPIRED, "signature expired (x=%llu is %llu s before the evaluation time)",
			    (unsigned long long)s->x, (unsigned long long)(now - s->x));
	if (s->has_t && s->t > now)
		verdict_set(&s->v, VERDICT_FAIL, VC_FUTURE,
			    "signature timestamp in the future (t=%llu is %llu s after the evaluation time)",
			    (unsigned long long)s->t, (unsigned long long)(s->t - now));
}

static void check_answer(struct dkim_sig *s, const struct keyans *a)
{
	switch (a->status) {
	case KEYANS_OK:
		break;
	case KEYANS_NXDOMAIN:
	case KEYANS_NODATA:
		verdict_set(&s->v, VERDICT_PERMERROR, VC_NO_KEY, "no key for %s (%s)", s->keyname, keyans_status_word(a->status));
		break;
	case KEYANS_TIMEOUT:
		verdict_set(&s->v, VERDICT_TEMPERROR, VC_DNS_TIMEOUT, "DNS timeout looking up %s: %s", s->keyname, a->detail);
		break;
	case KEYANS_SERVFAIL:
		verdict_set(&s->v, VERDICT_TEMPERROR, VC_DNS_SERVFAIL, "DNS SERVFAIL looking up %s: %s", s->keyname, a->detail);
		break;
	case KEYANS_UNREACHABLE: /* the timeout's sibling: no server listens, so no answer would ever come */
		verdict_set(&s->v, VERDICT_TEMPERROR, VC_DNS_TIMEOUT, "DNS server unreachable looking up %s: %s", s->keyname,
			    a->detail);
		break;
	default:
		verdict_set(&s->v, VERDICT_TEMPERROR, VC_DNS_ERROR, "DNS error looking up %s: %s", s->keyname, a->detail);
		break;
	}
}

/* Checks that tie the key to this signature: key h= (§3.6.1) and key t=s (§3.6.1). */
static int check_key_fits(const struct dkim_sig *s, const struct keyrec *k, struct verdict *v)
{
	enum hash_alg h = sig_alg_hash(s->alg);
	if (!(k->hashes & (1u << h))) {
		verdict_set(v, VERDICT_PERMERROR, VC_KEY_HASH, "key h= does not allow %s", hash_name(h));
		return -1;
	}
	if (k->strict && s->kind == DKIM_KIND_SIGNATURE) {
		const char *at = strrchr(s->identity, '@');
		if (!at || strcasecmp(at + 1, s->d) != 0) {
			verdict_set(v, VERDICT_PERMERROR, VC_KEY_STRICT, "key t=s requires the i= domain to equal d= (i=%s, d=%s)",
				    s->identity, s->d);
			return -1;
		}
	}
	return 0;
}

/* lookup_record_cache's make: the policy-free decoding of one record. */
static void *decode_key(const char *text, size_t len, void *ctx)
{
	(void)ctx;
	struct keyrec *k = malloc(sizeof *k);
	if (k && keyrec_decode(text, len, k) < 0 && k->problem.code == VC_INTERNAL) {
		keyrec_destroy(k);   /* a decode that ran out of memory says nothing about the record: not cached */
		return NULL;
	}
	if (k)
		sig_prepare(k);   /* cached for every signature that names this key */
	return k;
}

/*
 * The decoded key of record r: from the lookup's cache, or decoded now and
 * cached there, so that a key shared by many signatures (ARC chains, batches of
 * mail from one sender, several worker threads) is decoded once. *own receives
 * it when it cannot be cached; the caller frees that one.
 */
static const struct keyrec *decoded_record(struct lookup *lk, const struct keyans *a, size_t r,
					   struct keyrec *own, int *owned)
{
	const struct keyrec *k = lookup_record_cache(lk, a, r, decode_key, keyrec_destroy, NULL);
	*owned = 0;
	if (k)
		return k;
	keyrec_decode(a->records[r].text, a->records[r].len, own);
	*owned = 1;
	return own;
}

/*
 * Try each TXT record at the key name (several records are "undefined" per
 * §3.6.2.2, and --keys may hold a dated history): the first record whose key
 * verifies the signature wins; otherwise the first record with a usable key
 * decides, or failing that the first record's problem.
 */
static void verify_with_records(struct dkim_sig *s, struct lookup *lk, const struct keyans *a,
				const struct dkim_policy *pol, const unsigned char *digest, unsigned dlen)
{
	struct keyrec_policy kp = { pol->min_key_bits, pol->max_key_bits };
	struct verdict first_problem = { 0 };
	int have_usable = 0;
	for (size_t r = 0; r < a->nrecords; r++) {
		struct keyrec own;
		int owned;
		const struct keyrec *k = decoded_record(lk, a, r, &own, &owned);
		struct verdict rv = { 0 };
		int ok = -1;
		struct sig_check c = { digest, dlen, (const unsigned char *)s->b.data, s->b.len, 0, "" };
		if (keyrec_check(k, (int)sig_alg_key(s->alg), &kp, &rv) < 0 || check_key_fits(s, k, &rv) < 0) {
			if (first_problem.result == VERDICT_NONE)
				first_problem = rv;
		} else {
			ok = sig_verify_key(k, s->alg, &c);
			if (ok < 0 && first_problem.result == VERDICT_NONE)
				verdict_set(&first_problem, VERDICT_PERMERROR, VC_INTERNAL, "%s", c.why);
		}
		if (ok >= 0 && (ok == 1 || !have_usable)) {
			if (s->has_key)
				keyrec_free(&s->key);
			keyrec_copy(&s->key, k);
			s->has_key = 1;
			s->record_used = (long)r;
			s->header_ok = ok;
			s->strict_refused = ok == 1 && c.strict_refused;
			have_usable = 1;
		}
		if (owned)
			keyrec_free(&own);
		if (ok == 1)
			return;
	}
	if (!have_usable && first_problem.result != VERDICT_NONE)
		verdict_set(&s->v, first_problem.result, first_problem.code, "%s", first_problem.reason);
}

static void compare_body_hash(struct dkim_sig *s)
{
	const struct body_hash *bh = s->body;
	if (!bh || !bh->finished)
		return;
	b64_encode_to(bh->digest, bh->digest_len, s->bh_computed, sizeof s->bh_computed);
	s->body_ok = bh->digest_len == s->bh.len && memcmp(bh->digest, s->bh.data, s->bh.len) == 0;
}

static void append_pass_notes(struct dkim_sig *s)
{
	struct buf text;
	buf_init(&text, 4 * VERDICT_REASON_MAX);
	buf_append_str(&text, s->v.reason);
	if (s->key.testing)
		buf_append_str(&text, "; key in testing mode (t=y)");
	if (s->key.pkcs1)
		buf_append_str(&text, "; key published as PKCS#1 RSAPublicKey, not SubjectPublicKeyInfo");
	if (s->answer && s->answer->nrecords > 1) {
		const struct keyans_txt *used = &s->answer->records[s->record_used];
		const struct keyans_txt *newest = &s->answer->records[s->answer->nrecords - 1];
		buf_printf(&text, "; %zu TXT records at %s, record %ld%s%s verified", s->answer->nrecords, s->keyname,
			   s->record_used + 1, used->when[0] ? " valid " : "", used->when);
		/* key history (--keys with dated records): the last record is the current one */
		if ((size_t)s->record_used + 1 < s->answer->nrecords && strcmp(used->text, newest->text) != 0)
			buf_printf(&text, "; the key has changed since (record %zu%s%s differs)", s->answer->nrecords,
				   newest->when[0] ? ", valid " : "", newest->when);
	}
	slice_copy(slice_make(text.data, text.len), s->v.reason, sizeof s->v.reason);
	buf_free(&text);
}

int dkim_check_header_data(const struct dkim_sig *s, const struct buf *hdata)
{
	unsigned char digest[HASH_MAX_DIGEST];
	unsigned dlen = 0;
	if (!s->has_key || hash_digest(sig_alg_hash(s->alg), hdata->data ? hdata->data : "", hdata->len, digest, &dlen) < 0)
		return -1;
	struct sig_check c = { digest, dlen, (const unsigned char *)s->b.data, s->b.len, 0, "" };
	return sig_verify(s->key.pkey, s->alg, &c);
}

void dkim_evaluate(struct dkim_sig *s, struct lookup *lk, const struct dkim_policy *pol)
{
	if (!s->usable)
		return;
	check_times(s, pol);
	s->answer = lookup_wait(lk, s->keyname);
	check_answer(s, s->answer);
	compare_body_hash(s);
	if (s->answer->status == KEYANS_OK) {
		unsigned char digest[HASH_MAX_DIGEST];
		unsigned dlen = 0;
		if (hash_digest(sig_alg_hash(s->alg), s->hdata.data ? s->hdata.data : "", s->hdata.len, digest, &dlen) < 0)
			verdict_set(&s->v, VERDICT_PERMERROR, VC_INTERNAL, "could not hash the header data (OpenSSL)");
		else
			verify_with_records(s, lk, s->answer, pol, digest, dlen);
	}
	if (s->body && s->body->failed)
		verdict_set(&s->v, VERDICT_PERMERROR, VC_INTERNAL, "could not hash the body (OpenSSL)");
	if (s->has_l && s->body && s->l > s->body->canon_len)
		verdict_set(&s->v, VERDICT_FAIL, VC_LENGTH, "l= larger than the body (l=%llu, canonicalized body is %llu bytes)",
			    (unsigned long long)s->l, (unsigned long long)s->body->canon_len);
	if (s->body_ok == 0)
		verdict_set(&s->v, VERDICT_FAIL, VC_BODY_HASH, "body hash mismatch");
	if (s->header_ok == 0)
		verdict_set(&s->v, VERDICT_FAIL, VC_SIG_INVALID, "signature did not verify");
	if (s->header_ok == 1 && s->alg == SIG_RSA_SHA1 && !pol->allow_sha1) {
		s->sha1_refused = 1;
		verdict_set(&s->v, VERDICT_FAIL, VC_SHA1,
			    "rsa-sha1 not accepted (RFC 8301 §3.1), although the signature verifies; --allow-sha1 accepts it");
	}
	/* a pass needs both checks to have run and succeeded, whatever failed to say why not */
	if (s->v.result == VERDICT_NONE && (s->header_ok != 1 || (s->kind != DKIM_KIND_SEAL && s->body_ok != 1)))
		verdict_set(&s->v, VERDICT_PERMERROR, VC_INTERNAL, "not verified: the %s could not be checked",
			    s->header_ok != 1 ? "signature" : "body hash");
	if (verdict_set(&s->v, VERDICT_PASS, VC_VERIFIED, "signature verified"))
		append_pass_notes(s);
}

void dkim_free(struct dkim_sig *s)
{
	buf_free(&s->b);
	buf_free(&s->bh);
	buf_free(&s->hdata);
	if (s->has_key)
		keyrec_free(&s->key);
	s->has_key = 0;
}
