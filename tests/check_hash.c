/*
 * hash: the body-hash registry (one entry per canonicalization, algorithm,
 * l= and quirks; shared by every signature that asks for the same), l=
 * truncation of the canonical bytes (RFC 6376 §3.5 l=, §3.7), known digests,
 * the tap that sees exactly the hashed bytes, and the HASH_BODIES_MAX bound.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "fixture.h"
#include "hash.h"
#include "suites.h"

#define SHA256_EMPTY "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define SHA256_CRLF "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="
#define SHA1_CRLF "uoq1oCgLlTqpdDX/iUbLy7J1Wic="

/* Base64 of a digest, computed with OpenSSL so the b64 module is not under test here. */
static const char *digest_b64(const unsigned char *d, unsigned len)
{
	static char out[4][128];
	static int k;
	char *o = out[k++ & 3];
	EVP_EncodeBlock((unsigned char *)o, d, (int)len);
	return o;
}

static const char *openssl_b64(enum hash_alg alg, const void *data, size_t len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	ck_assert(EVP_Digest(data, len, d, &n, alg == HASH_SHA1 ? EVP_sha1() : EVP_sha256(), NULL) == 1);
	return digest_b64(d, n);
}

static void assert_bh(const struct body_hash *bh, const char *want, const char *what)
{
	ck_assert_msg(bh->finished && !bh->failed, "%s: finished %d failed %d", what, bh->finished, bh->failed);
	const char *got = digest_b64(bh->digest, bh->digest_len);
	ck_assert_msg(strcmp(got, want) == 0, "%s: digest %s, want %s", what, got, want);
}

START_TEST(test_known_digests)
{
	unsigned char d[HASH_MAX_DIGEST];
	unsigned n = 0;
	ck_assert(hash_digest(HASH_SHA256, "", 0, d, &n) == 0);
	ck_assert_msg(n == 32 && strcmp(digest_b64(d, n), SHA256_EMPTY) == 0, "sha256('') = %s", digest_b64(d, n));
	ck_assert(hash_digest(HASH_SHA256, "\r\n", 2, d, &n) == 0);
	ck_assert_msg(n == 32 && strcmp(digest_b64(d, n), SHA256_CRLF) == 0, "sha256(CRLF) = %s", digest_b64(d, n));
	ck_assert(hash_digest(HASH_SHA1, "\r\n", 2, d, &n) == 0);
	ck_assert_msg(n == 20 && strcmp(digest_b64(d, n), SHA1_CRLF) == 0, "sha1(CRLF) = %s", digest_b64(d, n));
	ck_assert(strcmp(hash_name(HASH_SHA1), "sha1") == 0);
	ck_assert(strcmp(hash_name(HASH_SHA256), "sha256") == 0);
}
END_TEST

START_TEST(test_registry_sharing)
{
	struct hash_registry r;
	hash_registry_init(&r);
	struct body_hash *a = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *b = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0);
	ck_assert_msg(a != NULL && a == b, "same (canon, alg, limit) shares one entry");
	ck_assert_msg(r.n == 1, "one entry, got %zu", r.n);
	struct body_hash *l100 = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, 100, 0);
	struct body_hash *l5 = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, 5, 0);
	ck_assert_msg(l100 && l100 != a && l5 && l5 != l100, "a different l= is a different entry");
	ck_assert_msg(hash_body_get(&r, CANON_RELAXED, HASH_SHA256, 100, 0) == l100, "l=100 again is shared");
	struct body_hash *simple = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *sha1 = hash_body_get(&r, CANON_RELAXED, HASH_SHA1, HASH_NO_LIMIT, 0);
	struct body_hash *quirky = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, CANON_Q_LF_ENDS);
	ck_assert_msg(simple && simple != a, "canon is part of the key");
	ck_assert_msg(sha1 && sha1 != a, "alg is part of the key");
	ck_assert_msg(quirky && quirky != a, "quirks are part of the key");
	ck_assert_msg(r.n == 6, "six entries, got %zu", r.n);
	ck_assert(a->canon == CANON_RELAXED && a->alg == HASH_SHA256 && a->limit == HASH_NO_LIMIT);
	ck_assert(l5->limit == 5);
	hash_registry_free(&r);
	ck_assert(r.n == 0);
}
END_TEST

START_TEST(test_empty_body)
{
	struct hash_registry r;
	hash_registry_init(&r);
	struct body_hash *s256 = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *r256 = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *s1 = hash_body_get(&r, CANON_SIMPLE, HASH_SHA1, HASH_NO_LIMIT, 0);
	ck_assert(s256 && r256 && s1);
	hash_registry_finish(&r);
	/* RFC 6376 §3.4.3: an empty body is one CRLF under simple; §3.4.4: nothing under relaxed */
	assert_bh(s256, SHA256_CRLF, "simple sha256 of the empty body");
	assert_bh(r256, SHA256_EMPTY, "relaxed sha256 of the empty body");
	assert_bh(s1, SHA1_CRLF, "simple sha1 of the empty body");
	ck_assert_msg(s256->canon_len == 2 && s256->hashed == 2, "simple: 2 canonical bytes");
	ck_assert_msg(r256->canon_len == 0 && r256->hashed == 0, "relaxed: 0 canonical bytes");
	hash_registry_free(&r);

	/* a body of empty lines canonicalizes the same way */
	hash_registry_init(&r);
	s256 = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	r256 = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0);
	hash_registry_feed(&r, "\r\n \r\n\r\n", 7);
	hash_registry_finish(&r);
	assert_bh(s256, openssl_b64(HASH_SHA256, "\r\n \r\n", 5), "simple of CRLF SP CRLF CRLF");
	assert_bh(r256, SHA256_EMPTY, "relaxed of CRLF SP CRLF CRLF");
	hash_registry_free(&r);
}
END_TEST

/*
 * A relaxed hash that follows its simple twin (same a=, l=) must end exactly
 * as it would alone: bodies built from the bytes where the two part (TAB, SP
 * runs, WSP before CRLF or at a chunk's end, empty lines, the empty body),
 * fed in chunks of every size from 1 to 40, under several l= values.
 */
START_TEST(test_pair_matches_alone)
{
	static const char *const tokens[] = { "word", " ", "\t", "\r\n", "\r\n\r\n", " \r\n", "  ", "x y",
					      "\r", "\n", "\r\n ", "aGVsbG8gd29ybGQ=" };
	static const uint64_t lims[] = { HASH_NO_LIMIT, 0, 3, 40 };
	unsigned seed = 11u + (unsigned)_i * 7919u;
	char in[400];
	size_t len = fixture_token_text(in, sizeof in - 20, tokens, sizeof tokens / sizeof tokens[0], &seed, 50,
					_i % 7 == 0 ? 1 : SIZE_MAX);   /* every 7th body is one token */
	if (_i % 11 == 0)
		len = 0;   /* the empty body, where §3.4.3 and §3.4.4 b part */
	size_t chunk = 1 + (size_t)_i % 40;
	for (size_t k = 0; k < sizeof lims / sizeof lims[0]; k++) {
		struct hash_registry r;
		hash_registry_init(&r);
		struct body_hash *simple = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, lims[k], 0);
		struct body_hash *relaxed = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, lims[k], 0);
		ck_assert(simple && relaxed && relaxed->leader == simple);
		struct body_hash *alone[2] = { hash_body_new(CANON_SIMPLE, HASH_SHA256, lims[k], 0),
					       hash_body_new(CANON_RELAXED, HASH_SHA256, lims[k], 0) };
		for (size_t off = 0; off < len; off += chunk) {
			size_t n = len - off < chunk ? len - off : chunk;
			hash_registry_feed(&r, in + off, n);
			hash_body_feed(alone[0], in + off, n);
			hash_body_feed(alone[1], in + off, n);
		}
		hash_registry_finish(&r);
		hash_body_finish(alone[0], NULL, 0);
		hash_body_finish(alone[1], NULL, 0);
		ck_assert(relaxed->leader == NULL);
		const struct body_hash *paired[2] = { simple, relaxed };
		for (int c = 0; c < 2; c++) {
			assert_bh(paired[c], digest_b64(alone[c]->digest, alone[c]->digest_len), c ? "relaxed" : "simple");
			ck_assert_uint_eq(paired[c]->canon_len, alone[c]->canon_len);
			ck_assert_uint_eq(paired[c]->hashed, alone[c]->hashed);
			hash_body_free(alone[c]);
		}
		hash_registry_free(&r);
	}
}
END_TEST

/* Only twins pair: another a= or l=, or quirks, compute on their own. */
START_TEST(test_pair_only_twins)
{
	struct hash_registry r;
	hash_registry_init(&r);
	struct body_hash *rel = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *s1 = hash_body_get(&r, CANON_SIMPLE, HASH_SHA1, HASH_NO_LIMIT, 0);
	struct body_hash *s5 = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, 5, 0);
	struct body_hash *sq = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, CANON_Q_LF_ENDS);
	ck_assert(rel && s1 && s5 && sq && rel->leader == NULL);
	struct body_hash *s = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	ck_assert_msg(rel->leader == s && s->leader == NULL, "the relaxed hash follows its simple twin, made later");
	hash_registry_feed(&r, "a\tb\r\n", 5);
	ck_assert_msg(rel->leader == NULL, "a TAB parts them before the chunk is hashed");
	hash_registry_finish(&r);
	assert_bh(rel, openssl_b64(HASH_SHA256, "a b\r\n", 5), "relaxed after parting");
	assert_bh(s, openssl_b64(HASH_SHA256, "a\tb\r\n", 5), "simple");
	hash_registry_free(&r);
}
END_TEST

struct tap_ctx {
	struct buf seen;
	size_t calls;
};

static void tap_fn(void *ctx, const char *data, size_t len)
{
	struct tap_ctx *t = ctx;
	t->calls++;
	ck_assert(buf_append(&t->seen, data, len) == 0);
}

/* l= limits in a table: the hashed prefix, the counts, the digest and the tap. */
static const uint64_t limits[] = { 0, 1, 5, 11, 12, 13, 14, 1000, HASH_NO_LIMIT };

START_TEST(test_limit)
{
	/* relaxed canonical form: "hello world\r\nbye\r\n" (18 bytes) */
	static const char body[] = "hello   world \r\nbye\r\n\r\n\r\n";
	static const char canon[] = "hello world\r\nbye\r\n";
	uint64_t limit = limits[_i];
	size_t clen = sizeof canon - 1;
	size_t want_hashed = limit < clen ? (size_t)limit : clen;
	struct hash_registry r;
	hash_registry_init(&r);
	struct body_hash *bh = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, limit, 0);
	ck_assert(bh != NULL);
	struct tap_ctx tap;
	buf_init(&tap.seen, 1024);
	tap.calls = 0;
	bh->tap.fn = tap_fn;
	bh->tap.ctx = &tap;
	/* fed in uneven pieces */
	hash_registry_feed(&r, body, 3);
	hash_registry_feed(&r, body + 3, 10);
	hash_registry_feed(&r, body + 13, sizeof body - 1 - 13);
	hash_registry_finish(&r);
	ck_assert_msg(bh->canon_len == clen, "l=%llu: canon_len %llu, want %zu (counted past the limit)",
		      (unsigned long long)limit, (unsigned long long)bh->canon_len, clen);
	ck_assert_msg(bh->hashed == want_hashed, "l=%llu: hashed %llu, want %zu", (unsigned long long)limit,
		      (unsigned long long)bh->hashed, want_hashed);
	assert_bh(bh, openssl_b64(HASH_SHA256, canon, want_hashed), "limited digest");
	ck_assert_msg(tap.seen.len == want_hashed && (want_hashed == 0 || memcmp(tap.seen.data, canon, want_hashed) == 0),
		      "l=%llu: the tap saw %zu bytes '%.*s', want the first %zu canonical bytes",
		      (unsigned long long)limit, tap.seen.len, (int)tap.seen.len, tap.seen.data ? tap.seen.data : "",
		      want_hashed);
	if (want_hashed == 0)
		ck_assert_msg(tap.calls == 0, "the tap is not called for zero bytes");
	buf_free(&tap.seen);
	hash_registry_free(&r);
}
END_TEST

START_TEST(test_tap_simple_and_shared_feed)
{
	/* two entries fed by the same registry calls: each sees its own canonical bytes */
	static const char body[] = "A  b\r\n\r\nc \t\r\n\r\n";
	struct hash_registry r;
	hash_registry_init(&r);
	struct body_hash *s = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *x = hash_body_get(&r, CANON_RELAXED, HASH_SHA1, HASH_NO_LIMIT, 0);
	struct tap_ctx ts, tx;
	buf_init(&ts.seen, 1024);
	buf_init(&tx.seen, 1024);
	ts.calls = tx.calls = 0;
	s->tap.fn = tap_fn;
	s->tap.ctx = &ts;
	x->tap.fn = tap_fn;
	x->tap.ctx = &tx;
	for (size_t i = 0; i < sizeof body - 1; i++)
		hash_registry_feed(&r, body + i, 1);
	hash_registry_finish(&r);
	ck_assert_msg(ts.seen.len == 13 && memcmp(ts.seen.data, "A  b\r\n\r\nc \t\r\n", 13) == 0, "simple tap '%.*s'",
		      (int)ts.seen.len, ts.seen.data);
	ck_assert_msg(tx.seen.len == 10 && memcmp(tx.seen.data, "A b\r\n\r\nc\r\n", 10) == 0, "relaxed tap '%.*s'",
		      (int)tx.seen.len, tx.seen.data);
	assert_bh(s, openssl_b64(HASH_SHA256, "A  b\r\n\r\nc \t\r\n", 13), "simple sha256");
	assert_bh(x, openssl_b64(HASH_SHA1, "A b\r\n\r\nc\r\n", 10), "relaxed sha1");
	ck_assert_msg(s->hashed == 13 && x->hashed == 10, "hashed counts");
	/* finishing twice does not change anything */
	unsigned char before[HASH_MAX_DIGEST];
	memcpy(before, s->digest, sizeof before);
	hash_registry_feed(&r, "more", 4);
	hash_registry_finish(&r);
	ck_assert_msg(memcmp(before, s->digest, sizeof before) == 0 && s->hashed == 13,
		      "feeding after finish changes nothing");
	buf_free(&ts.seen);
	buf_free(&tx.seen);
	hash_registry_free(&r);
}
END_TEST

START_TEST(test_large_body)
{
	/* many chunks, compared with a one-shot digest of the expected canonical form */
	struct buf body;
	buf_init(&body, 1 << 21);
	for (int i = 0; i < 20000; i++)
		ck_assert(buf_printf(&body, "line %d of the body\r\n", i) == 0);
	struct hash_registry r;
	hash_registry_init(&r);
	struct body_hash *s = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, HASH_NO_LIMIT, 0);
	struct body_hash *l = hash_body_get(&r, CANON_SIMPLE, HASH_SHA256, 100000, 0);
	for (size_t off = 0; off < body.len; off += 4093) {
		size_t n = body.len - off < 4093 ? body.len - off : 4093;
		hash_registry_feed(&r, body.data + off, n);
	}
	hash_registry_finish(&r);
	assert_bh(s, openssl_b64(HASH_SHA256, body.data, body.len), "whole body");
	assert_bh(l, openssl_b64(HASH_SHA256, body.data, 100000), "first 100000 bytes");
	ck_assert(s->canon_len == body.len && l->canon_len == body.len && l->hashed == 100000);
	hash_registry_free(&r);
	buf_free(&body);
}
END_TEST

START_TEST(test_bodies_max)
{
	struct hash_registry r;
	hash_registry_init(&r);
	struct body_hash *first = NULL;
	for (uint64_t i = 0; i < HASH_BODIES_MAX; i++) {
		struct body_hash *bh = hash_body_get(&r, CANON_RELAXED, HASH_SHA256, i, 0);
		ck_assert_msg(bh != NULL, "entry %llu of %d", (unsigned long long)i, HASH_BODIES_MAX);
		if (i == 0)
			first = bh;
	}
	ck_assert(r.n == HASH_BODIES_MAX);
	ck_assert_msg(hash_body_get(&r, CANON_RELAXED, HASH_SHA256, HASH_BODIES_MAX, 0) == NULL,
		      "one more distinct body hash returns NULL");
	ck_assert_msg(hash_body_get(&r, CANON_SIMPLE, HASH_SHA1, HASH_NO_LIMIT, 0) == NULL, "still full");
	ck_assert_msg(r.n == HASH_BODIES_MAX, "n stays at the bound");
	ck_assert_msg(hash_body_get(&r, CANON_RELAXED, HASH_SHA256, 0, 0) == first,
		      "an existing entry is still returned when full");
	hash_registry_feed(&r, "x\r\n", 3);
	hash_registry_finish(&r);
	assert_bh(first, SHA256_EMPTY, "l=0");
	hash_registry_free(&r);
}
END_TEST

Suite *hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("hash");
	tcase_add_test(tc, test_known_digests);
	tcase_add_test(tc, test_registry_sharing);
	tcase_add_test(tc, test_empty_body);
	tcase_add_loop_test(tc, test_pair_matches_alone, 0, 300);
	tcase_add_test(tc, test_pair_only_twins);
	tcase_add_loop_test(tc, test_limit, 0, (int)(sizeof limits / sizeof limits[0]));
	tcase_add_test(tc, test_tap_simple_and_shared_feed);
	tcase_add_test(tc, test_large_body);
	tcase_add_test(tc, test_bodies_max);
	suite_add_tcase(s, tc);
	return s;
}
