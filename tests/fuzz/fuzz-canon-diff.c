/*
 * fuzz-canon-diff: differential canonicalization. Crashes are not the only
 * bugs: for simple and relaxed, the body digest of the input fed whole must
 * equal the digest fed in chunks of every size from 1 to 13, under l= of 0, 1,
 * 7, the canonical length and the length plus 3, and must equal the digest of
 * a one-shot reference canonicalization written as the RFC 6376 §3.4.3 and
 * §3.4.4 steps, also when the registry computes relaxed from its simple
 * twin; the runs pin the vector code to each level in turn (scalar, SSE2,
 * AVX2). Header fields (the input read as a header block) are canonicalized
 * by the streaming single-pass writer and by the §3.4.2 steps applied one
 * after another; both must agree, field by field and for the whole block
 * appended into one buffer.
 */
#include <string.h>

#include "canon.h"
#include "fuzz.h"
#include "hash.h"
#include "msg.h"

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* §3.4.4 a: per line, WSP at the end removed and WSP runs reduced to one SP. */
static void ref_relaxed_line(const char *p, size_t n, struct buf *out)
{
	while (n && is_wsp(p[n - 1]))
		n--;
	for (size_t i = 0; i < n; i++) {
		if (is_wsp(p[i])) {
			while (i + 1 < n && is_wsp(p[i + 1]))
				i++;
			buf_append_byte(out, ' ');
		} else {
			buf_append_byte(out, p[i]);
		}
	}
}

/* The whole body at once: lines split at CRLF only; then "*CRLF" at the end handled (§3.4.3, §3.4.4 b). */
static void ref_body(enum canon_alg alg, const char *p, size_t n, struct buf *out)
{
	if (alg == CANON_SIMPLE) {
		buf_append(out, p, n);
	} else {
		size_t start = 0;
		for (size_t i = 0; i + 1 < n; i++)
			if (p[i] == '\r' && p[i + 1] == '\n') {
				ref_relaxed_line(p + start, i - start, out);
				buf_append(out, "\r\n", 2);
				start = i + 2;
				i++;
			}
		ref_relaxed_line(p + start, n - start, out);
	}
	while (out->len >= 2 && memcmp(out->data + out->len - 2, "\r\n", 2) == 0)
		out->len -= 2;
	if (out->len || alg == CANON_SIMPLE)
		buf_append(out, "\r\n", 2);
}

static void digest_of(const struct buf *canon, uint64_t limit, unsigned char *md, unsigned *mdlen)
{
	size_t take = limit < canon->len ? (size_t)limit : canon->len;
	FUZZ_CHECK(hash_digest(HASH_SHA256, canon->data ? canon->data : "", take, md, mdlen) == 0, "digest");
}

/* The vector level a run uses, cycling through all three (simd_resolve lowers it to what the CPU runs). */
static enum simd_isa isa_for(size_t k)
{
	return (enum simd_isa)(SIMD_SCALAR + k % 3);
}

static void run_hash(enum canon_alg alg, uint64_t limit, enum simd_isa isa, const char *p, size_t n, size_t chunk,
		     struct body_hash **out)
{
	struct body_hash *bh = hash_body_new(alg, HASH_SHA256, limit, 0);
	FUZZ_CHECK(bh != NULL, "hash_body_new");
	bh->cb.isa = simd_resolve(isa);
	for (size_t off = 0; off < n; off += chunk)
		hash_body_feed(bh, p + off, n - off < chunk ? n - off : chunk);
	hash_body_finish(bh, NULL, 0);
	FUZZ_CHECK(bh->finished && !bh->failed, "hash finished");
	*out = bh;
}

static void body_differential(enum canon_alg alg, const char *p, size_t n)
{
	struct buf ref;
	buf_init(&ref, 2 * n + 8);
	ref_body(alg, p, n, &ref);
	uint64_t len = ref.len;
	const uint64_t limits[] = { 0, 1, 7, len, len + 3, HASH_NO_LIMIT };
	for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
		unsigned char want[HASH_MAX_DIGEST];
		unsigned wantlen = 0;
		digest_of(&ref, limits[li], want, &wantlen);
		for (size_t chunk = 1; chunk <= 14; chunk++) {
			struct body_hash *bh;
			run_hash(alg, limits[li], isa_for(chunk + li), p, n, chunk == 14 ? (n ? n : 1) : chunk, &bh);
			FUZZ_CHECK(bh->canon_len == len, "canonical length matches the reference");
			FUZZ_CHECK(bh->hashed == (limits[li] < len ? limits[li] : len), "l= bytes hashed");
			FUZZ_CHECK(bh->digest_len == wantlen && memcmp(bh->digest, want, wantlen) == 0,
				   "digest equals the one-shot reference, whole and in every chunk size");
			hash_body_free(bh);
		}
	}
	buf_free(&ref);
}

/*
 * The registry computes a relaxed hash from its simple twin's until the two
 * part: both must end as the reference gives them, in chunks of 1, 5, 16,
 * 17 and the whole input (the 16-byte scan's edges).
 */
static void pair_differential(const char *p, size_t n)
{
	struct buf ref[2];
	for (int c = 0; c < 2; c++) {
		buf_init(&ref[c], 2 * n + 8);
		ref_body(c ? CANON_RELAXED : CANON_SIMPLE, p, n, &ref[c]);
	}
	const size_t chunks[] = { 1, 5, 16, 17, n ? n : 1 };
	for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
		struct hash_registry r;
		hash_registry_init(&r);
		struct body_hash *bh[2] = { hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0),
					    hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0) };
		FUZZ_CHECK(bh[0] && bh[1] && bh[1]->leader == bh[0], "the relaxed hash follows its simple twin");
		bh[0]->cb.isa = bh[1]->cb.isa = simd_resolve(isa_for(ci));
		for (size_t off = 0; off < n; off += chunks[ci])
			hash_registry_feed(&r, p + off, n - off < chunks[ci] ? n - off : chunks[ci]);
		hash_registry_finish(&r);
		for (int c = 0; c < 2; c++) {
			unsigned char want[HASH_MAX_DIGEST];
			unsigned wantlen = 0;
			digest_of(&ref[c], HASH_NO_LIMIT, want, &wantlen);
			FUZZ_CHECK(bh[c]->finished && !bh[c]->failed && bh[c]->canon_len == ref[c].len &&
					   bh[c]->digest_len == wantlen && memcmp(bh[c]->digest, want, wantlen) == 0,
				   "a paired hash equals the one-shot reference");
		}
		hash_registry_free(&r);
	}
	buf_free(&ref[0]);
	buf_free(&ref[1]);
}

/* RFC 5322 §3.6.8 ftext: the field names the §3.4.2 steps are defined for. */
static int name_is_ftext(struct slice raw)
{
	const char *colon = memchr(raw.ptr, ':', raw.len);
	if (!colon || colon == raw.ptr)
		return 0;
	const char *e = colon;
	while (e > raw.ptr && is_wsp(e[-1]))
		e--;
	for (const char *c = raw.ptr; c < e; c++)
		if ((unsigned char)*c < 33 || (unsigned char)*c > 126)
			return 0;
	return e > raw.ptr;
}

/* §3.4.2 as five steps, each over the whole field: lower-case name, unfold, reduce WSP, trim, colon. */
static void ref_header(struct slice raw, struct buf *out)
{
	const char *colon = memchr(raw.ptr, ':', raw.len);
	struct buf unfolded;
	buf_init(&unfolded, raw.len + 1);
	for (const char *c = raw.ptr; c < colon; c++)
		buf_append_byte(&unfolded, (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c));
	const char *end = raw.ptr + raw.len;
	for (const char *c = colon; c < end; c++) {
		if (*c == '\r' && c + 2 < end + 0 && c[1] == '\n' && is_wsp(c[2])) {
			c++;
			continue;       /* CRLF of a fold */
		}
		if (*c == '\n' && c + 1 < end && is_wsp(c[1]))
			continue;       /* bare-LF fold (--no-crlf) */
		buf_append_byte(&unfolded, *c);
	}
	struct buf reduced;
	buf_init(&reduced, raw.len + 1);
	for (size_t i = 0; i < unfolded.len; i++) {
		char c = unfolded.data[i];
		if (is_wsp(c) && reduced.len && reduced.data[reduced.len - 1] == ' ')
			continue;
		buf_append_byte(&reduced, is_wsp(c) ? ' ' : c);
	}
	while (reduced.len && reduced.data[reduced.len - 1] == ' ')
		reduced.len--;
	char *rc = memchr(reduced.data, ':', reduced.len);
	size_t before = (size_t)(rc - reduced.data), after = before + 1;
	while (before && reduced.data[before - 1] == ' ')
		before--;
	while (after < reduced.len && reduced.data[after] == ' ')
		after++;
	buf_append(out, reduced.data, before);
	buf_append_byte(out, ':');
	buf_append(out, reduced.data + after, reduced.len - after);
	buf_free(&unfolded);
	buf_free(&reduced);
}

static void header_differential(const char *p, size_t n)
{
	struct msg m;
	memset(&m, 0, sizeof m);
	buf_init(&m.header, n + 1);
	buf_append(&m.header, p, n);
	char err[200];
	if (msg_parse_fields(&m, err, sizeof err) < 0) {
		msg_close(&m);
		return;
	}
	struct buf block, one, ref;
	buf_init(&block, 2 * n + 8);
	buf_init(&one, n + 1);
	buf_init(&ref, n + 1);
	for (size_t i = 0; i < m.nfields; i++) {
		struct slice raw = m.fields[i].raw;
		size_t at = block.len;
		FUZZ_CHECK(canon_header(CANON_RELAXED, raw, &block) == 0 && buf_append(&block, "\r\n", 2) == 0, "block");
		buf_reset(&one);
		FUZZ_CHECK(canon_header(CANON_RELAXED, raw, &one) == 0, "one field");
		FUZZ_CHECK(block.len - at == one.len + 2 && memcmp(block.data + at, one.data ? one.data : "", one.len) == 0,
			   "a field appended to a block canonicalizes as on its own");
		if (!name_is_ftext(raw))
			continue;
		buf_reset(&ref);
		ref_header(raw, &ref);
		FUZZ_CHECK(ref.len == one.len && memcmp(ref.data, one.data, one.len) == 0,
			   "streaming relaxed header canonicalization equals the one-shot §3.4.2 steps");
	}
	buf_free(&block);
	buf_free(&one);
	buf_free(&ref);
	msg_close(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	body_differential(CANON_SIMPLE, p, size);
	body_differential(CANON_RELAXED, p, size);
	pair_differential(p, size);
	header_differential(p, size);
	return 0;
}
