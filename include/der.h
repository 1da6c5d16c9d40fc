/*
 * der: the one DER structure arcverify reads itself, an RSA public key: a
 * SubjectPublicKeyInfo with rsaEncryption and NULL parameters (RFC 5280
 * §4.1.2.7, RFC 8017 Appendix A.1) or the bare RSAPublicKey that RFC 6376
 * §3.6.1 names. Only the minimal encoding (X.690 §10: definite, shortest
 * lengths; positive INTEGERs without a superfluous leading zero) is read;
 * anything else is left to OpenSSL's decoders, which take 25 times as long.
 * It also writes the SubjectPublicKeyInfo around a bare key, for fingerprints.
 */
#ifndef ARCVERIFY_DER_H
#define ARCVERIFY_DER_H

#include <stddef.h>

#include "buf.h"

struct der_bytes {
	const unsigned char *p;   /* not ours: inside the DER given */
	size_t len;
};

struct der_rsa {
	struct der_bytes n, e;    /* big-endian magnitudes, leading zero octet removed */
	int pkcs1;                /* the bare RSAPublicKey, not a SubjectPublicKeyInfo */
};

/* The modulus and exponent of an RSA public key exactly len bytes long: 0, or -1. */
int der_rsa_public(const unsigned char *der, size_t len, struct der_rsa *out);
/* Append the SubjectPublicKeyInfo of a bare RSAPublicKey (RFC 3279 §2.3.1) to out: 0, or -1 (too long, no room). */
int der_spki_rsa(const unsigned char *rsa_public_key, size_t len, struct buf *out);
/* Append the SubjectPublicKeyInfo of a raw 32-byte Ed25519 key (RFC 8410 §4) to out: 0, or -1. */
int der_spki_ed25519(const unsigned char *key, size_t len, struct buf *out);

#endif
