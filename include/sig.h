/*
 * sig: signature algorithms and the one call into OpenSSL that checks them.
 * rsa-sha256 and rsa-sha1 are RSASSA-PKCS1-v1_5 over the header hash (RFC 6376
 * §3.3); ed25519-sha256 is PureEdDSA over the 32-byte SHA-256 of the header data
 * (RFC 8463 §3). Policy (RFC 8301) is decided by the caller, not here.
 * Ed25519 goes to libsodium first (twice as fast) and, when libsodium refuses,
 * to OpenSSL, whose RFC 8032 answer is the one given.
 */
#ifndef ARCVERIFY_SIG_H
#define ARCVERIFY_SIG_H

#include <stddef.h>

#include "buf.h"
#include "hash.h"
#include "keyrec.h"

enum sig_alg { SIG_RSA_SHA1 = 0, SIG_RSA_SHA256, SIG_ED25519_SHA256 };

int sig_alg_parse(struct slice s, enum sig_alg *out);   /* 0, or -1 if unknown */
const char *sig_alg_name(enum sig_alg a);
enum hash_alg sig_alg_hash(enum sig_alg a);
enum key_type sig_alg_key(enum sig_alg a);
struct sig_check {
	const unsigned char *digest;  /* the header hash (RFC 6376 §3.7) */
	unsigned dlen;
	const unsigned char *sig;     /* b= decoded */
	size_t siglen;
	int strict_refused;           /* out: an Ed25519 signature that verifies (RFC 8032 §5.1.7) but that
	                                 libsodium's stricter check refuses (small-order or non-canonical key or R) */
	char why[200];                /* out: what stopped the check, when -1 */
};

/* 1 the signature verifies, 0 it does not, -1 OpenSSL could not run the check (c->why filled). */
int sig_verify(void *pkey, enum sig_alg alg, struct sig_check *c);
/*
 * For a key that many signatures share (a cached record): set up its rsa-sha256
 * verification once, in k->verify_ctx. Failing (no memory) is harmless.
 */
void sig_prepare(struct keyrec *k);
/* sig_verify with k's prepared context when it has one; the same answers. */
int sig_verify_key(const struct keyrec *k, enum sig_alg alg, struct sig_check *c);

#endif
