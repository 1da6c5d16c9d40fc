/* hash: shared body hashes with l= limits, and one-shot digests (OpenSSL EVP). */
#include "hash.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

const char *hash_name(enum hash_alg a)
{
	return a == HASH_SHA1 ? "sha1" : "sha256";
}

static const EVP_MD *hash_md(enum hash_alg a)
{
	return a == HASH_SHA1 ? EVP_sha1() : EVP_sha256();
}

void hash_registry_init(struct hash_registry *r)
{
	r->n = 0;
}

/* Canonical bytes arrive here: count all of them, hash only the first l= (RFC 6376 §3.5 l=). */
static void body_hash_sink(void *ctx, const char *data, size_t len)
{
	struct body_hash *bh = ctx;
	bh->canon_len += len;
	if (bh->hashed >= bh->limit)
		return;
	uint64_t room = bh->limit - bh->hashed;
	size_t take = room < len ? (size_t)room : len;
	if (take == 0)
		return;
	if (!bh->failed && EVP_DigestUpdate(bh->md, data, take) != 1)
		bh->failed = 1;
	if (bh->tap.fn)
		bh->tap.fn(bh->tap.ctx, data, take);
	bh->hashed += take;
}

struct body_hash *hash_body_new(enum canon_alg canon, enum hash_alg alg, uint64_t limit, unsigned quirks)
{
	struct body_hash *bh = calloc(1, sizeof *bh);
	if (!bh)
		return NULL;
	bh->canon = canon;
	bh->alg = alg;
	bh->limit = limit;
	bh->quirks = quirks;
	bh->md = EVP_MD_CTX_new();
	if (!bh->md || EVP_DigestInit_ex(bh->md, hash_md(alg), NULL) != 1) {
		EVP_MD_CTX_free(bh->md);
		free(bh);
		return NULL;
	}
	canon_body_init(&bh->cb, canon, quirks, body_hash_sink, bh);
	return bh;
}

void hash_body_feed(struct body_hash *bh, const char *data, size_t len)
{
	if (!bh->finished)
		canon_body_feed(&bh->cb, data, len);
}

void hash_body_finish(struct body_hash *bh, const char *extra, size_t n)
{
	if (bh->finished)
		return;
	canon_body_finish(&bh->cb);
	if (n && !bh->failed && EVP_DigestUpdate(bh->md, extra, n) != 1)
		bh->failed = 1;
	if (bh->failed || EVP_DigestFinal_ex(bh->md, bh->digest, &bh->digest_len) != 1)
		bh->failed = 1;
	bh->finished = 1;
}

int hash_body_peek(const struct body_hash *bh, const char *extra, size_t n, unsigned char *out, unsigned *outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	const struct body_hash *src = bh->leader ? bh->leader : bh;   /* between feeds, a follower's bytes are its leader's */
	int rc = c && EVP_MD_CTX_copy_ex(c, src->md) == 1 && (n == 0 || EVP_DigestUpdate(c, extra, n) == 1) &&
			 EVP_DigestFinal_ex(c, out, outlen) == 1
		 ? 0
		 : -1;
	EVP_MD_CTX_free(c);
	return rc;
}

void hash_body_free(struct body_hash *bh)
{
	if (!bh)
		return;
	canon_body_free(&bh->cb);
	EVP_MD_CTX_free(bh->md);
	free(bh);
}

/* A new quirk-free hash pairs with its other-canonicalization twin (same a=, l=) if neither has been fed. */
static void pair_up(struct hash_registry *r, struct body_hash *bh)
{
	if (bh->quirks || bh->cb.in_pos)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct body_hash *o = r->items[i];
		if (o == bh || o->canon == bh->canon || o->alg != bh->alg || o->limit != bh->limit || o->quirks ||
		    o->cb.in_pos)
			continue;
		struct body_hash *relaxed = bh->canon == CANON_RELAXED ? bh : o;
		relaxed->leader = relaxed == bh ? o : bh;
		return;
	}
}

/* The follower parts from its leader: the digest state, counts and canonicalizer state become its own. */
static void stop_following(struct body_hash *bh)
{
	const struct body_hash *s = bh->leader;
	bh->leader = NULL;
	if (s->failed || EVP_MD_CTX_copy_ex(bh->md, s->md) != 1)
		bh->failed = 1;
	bh->canon_len = s->canon_len;
	bh->hashed = s->hashed;
	canon_body_adopt(&bh->cb, &s->cb);
}

struct body_hash *hash_body_get(struct hash_registry *r, enum canon_alg canon, enum hash_alg alg,
				uint64_t limit, unsigned quirks)
{
	for (size_t i = 0; i < r->n; i++) {
		struct body_hash *bh = r->items[i];
		if (bh->canon == canon && bh->alg == alg && bh->limit == limit && bh->quirks == quirks)
			return bh;
	}
	if (r->n == HASH_BODIES_MAX)
		return NULL;
	struct body_hash *bh = hash_body_new(canon, alg, limit, quirks);
	if (bh) {
		pair_up(r, bh);
		r->items[r->n++] = bh;
	}
	return bh;
}

/*
 * Followers decide before any hash sees the chunk, while the leader's state is
 * still the one they share: they part where relaxed could change a byte of it,
 * or where their own bytes are to be seen (a --dump-canon tap).
 */
void hash_registry_feed(struct hash_registry *r, const char *data, size_t len)
{
	int keeps = -1;
	for (size_t i = 0; i < r->n; i++) {
		struct body_hash *bh = r->items[i];
		if (!bh->leader)
			continue;
		if (keeps < 0)
			keeps = canon_relaxed_keeps(bh->cb.isa, data, len);
		if (!keeps || bh->tap.fn)
			stop_following(bh);
	}
	for (size_t i = 0; i < r->n; i++)
		if (!r->items[i]->leader)
			hash_body_feed(r->items[i], data, len);
}

/* The end of the body is where simple and relaxed differ (§3.4.3 against §3.4.4 b): every pair parts first. */
void hash_registry_finish(struct hash_registry *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i]->leader)
			stop_following(r->items[i]);
	for (size_t i = 0; i < r->n; i++)
		hash_body_finish(r->items[i], NULL, 0);
}

void hash_registry_free(struct hash_registry *r)
{
	for (size_t i = 0; i < r->n; i++)
		hash_body_free(r->items[i]);
	r->n = 0;
}

int hash_digest(enum hash_alg alg, const void *data, size_t len, unsigned char *out, unsigned *outlen)
{
	return EVP_Digest(data, len, out, outlen, hash_md(alg), NULL) == 1 ? 0 : -1;
}
