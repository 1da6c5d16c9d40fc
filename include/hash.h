/*
 * hash: the one place where canonical bytes meet a digest. The body-hash
 * registry keys each body hash by (canonicalization, hash algorithm, l=), so
 * every DKIM-Signature and ARC-Message-Signature that share those three share
 * one pass over the body (RFC 6376 §3.7 body hash; the key includes l= because
 * a shared hash with different lengths gives wrong results). Every hashed byte
 * passes a tap that can copy it to a dump file (--dump-canon). The registry
 * owns its entries; callers keep pointers until hash_registry_free.
 * A relaxed and a simple body hash with the same a= and l= give the same
 * bytes until relaxed first changes one (a TAB, a WSP run, WSP at a line end)
 * or the body ends, so the registry computes the pair once up to there.
 */
#ifndef ARCVERIFY_HASH_H
#define ARCVERIFY_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "canon.h"

enum hash_alg { HASH_SHA1 = 0, HASH_SHA256 = 1 };

#define HASH_MAX_DIGEST 64
#define HASH_BODIES_MAX 128  /* distinct body hashes per message; more share nothing useful */
#define HASH_NO_LIMIT UINT64_MAX

const char *hash_name(enum hash_alg a);   /* "sha1" / "sha256" */

struct hash_tap {               /* optional copy of every hashed byte */
	void (*fn)(void *ctx, const char *data, size_t len);
	void *ctx;                  /* not ours */
};

struct body_hash {
	enum canon_alg canon;
	enum hash_alg alg;
	uint64_t limit;            /* l= value, or HASH_NO_LIMIT */
	unsigned quirks;           /* canon quirks (forensics only; 0 when verifying) */
	struct canon_body cb;
	void *md;                  /* EVP_MD_CTX * */
	uint64_t canon_len;        /* canonical body bytes produced, counted past the limit too */
	uint64_t hashed;           /* bytes fed to the digest (= min(canon_len, limit)) */
	unsigned char digest[HASH_MAX_DIGEST];
	unsigned digest_len;
	int finished;
	int failed;                /* digest could not be computed (OpenSSL error) */
	struct hash_tap tap;
	/*
	 * Registry only: a relaxed hash whose canonical bytes have so far been the
	 * simple hash's (same a= and l=) is not computed; it follows that leader and
	 * takes over its digest state where the two part (hash_registry_feed).
	 */
	struct body_hash *leader;
};

struct hash_registry {
	struct body_hash *items[HASH_BODIES_MAX];
	size_t n;
};

/* One body hash on its own (forensics variants), outside any registry; NULL on failure. */
struct body_hash *hash_body_new(enum canon_alg canon, enum hash_alg alg, uint64_t limit, unsigned quirks);
void hash_body_feed(struct body_hash *bh, const char *data, size_t len);
/* Apply the end-of-body rules, hash extra bytes after the canonical body (usually none), finish. */
void hash_body_finish(struct body_hash *bh, const char *extra, size_t n);
/* The digest of what has been hashed so far followed by extra, without finishing; 0 or -1. */
int hash_body_peek(const struct body_hash *bh, const char *extra, size_t n, unsigned char *out, unsigned *outlen);
void hash_body_free(struct body_hash *bh);

void hash_registry_init(struct hash_registry *r);
/* The shared body hash for (canon, alg, limit, quirks), created on first use; NULL when full. */
struct body_hash *hash_body_get(struct hash_registry *r, enum canon_alg canon, enum hash_alg alg,
				uint64_t limit, unsigned quirks);
void hash_registry_feed(struct hash_registry *r, const char *data, size_t len);
void hash_registry_finish(struct hash_registry *r);
void hash_registry_free(struct hash_registry *r);

/* Digest of a complete byte string (header hash input). 0 or -1. */
int hash_digest(enum hash_alg alg, const void *data, size_t len, unsigned char *out, unsigned *outlen);

#endif
