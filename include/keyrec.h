/*
 * keyrec: a DKIM key record (RFC 6376 §3.6.1, RFC 8463 §4) parsed into a usable
 * public key. Checks v=, k=, p= (empty = revoked), s=, t= and h=; decodes RSA
 * keys in SubjectPublicKeyInfo form and, flagged, in the PKCS#1 RSAPublicKey
 * form §3.6.1 literally names; Ed25519 keys are the bare 32 bytes. Key-size
 * policy follows RFC 8301 §3.2. The keyrec owns its EVP_PKEY (keyrec_free).
 */
#ifndef ARCVERIFY_KEYREC_H
#define ARCVERIFY_KEYREC_H

#include <stddef.h>

#include "verdict.h"

enum key_type { KEY_RSA = 0, KEY_ED25519 = 1 };

#define KEYREC_MAX_RSA_BITS 8192  /* larger keys are refused by default: hostile input, slow verification */
#define KEYREC_RSA_BITS_CEILING 16384  /* the most --max-key-bits may allow */

struct keyrec_policy {
	unsigned min_rsa_bits;   /* RFC 8301 §3.2: 1024 */
	unsigned max_rsa_bits;   /* larger RSA keys are refused; 0 means KEYREC_MAX_RSA_BITS */
};

struct keyrec {
	enum key_type type;
	int type_known;          /* k= was understood (type is meaningful even if decoding failed) */
	struct verdict problem;  /* why the record is unusable (policy-free), or result NONE */
	void *pkey;              /* EVP_PKEY *, ours */
	void *verify_ctx;        /* EVP_PKEY_CTX * set up by sig_prepare for rsa-sha256, ours; never copied */
	unsigned bits;
	int pkcs1;               /* RSA key given as PKCS#1 RSAPublicKey, not SubjectPublicKeyInfo */
	int testing;             /* t=y: the domain is testing DKIM (report it, treat it no differently) */
	int strict;              /* t=s: i= domain must equal d= */
	int has_h;               /* h= present */
	unsigned hashes;         /* allowed hashes, bit (1 << enum hash_alg); all when h= is absent */
	unsigned char fingerprint[32]; /* SHA-256 of the key's SubjectPublicKeyInfo DER */
	int has_fingerprint;
};

/*
 * Parse record text. want_type is the key type the signature's a= needs (or -1);
 * a mismatch is reported before the key material is decoded. Returns 0 with a
 * usable key, or -1 with a permerror (reason set) in v.
 */
int keyrec_parse(const char *text, size_t len, int want_type, const struct keyrec_policy *pol,
		 struct keyrec *out, struct verdict *v);
/* The policy-free half of keyrec_parse, cacheable per record: 0 usable, -1 with out->problem set. */
int keyrec_decode(const char *text, size_t len, struct keyrec *out);
/* The signature- and policy-dependent half: type mismatch first, then the record's problem, then key size. */
int keyrec_check(const struct keyrec *k, int want_type, const struct keyrec_policy *pol, struct verdict *v);
/* A second owner of the same key (the EVP_PKEY is shared by reference). */
void keyrec_copy(struct keyrec *dst, const struct keyrec *src);
void keyrec_free(struct keyrec *k);
void keyrec_destroy(void *k);                    /* keyrec_free + free, for caches */
const char *keyrec_type_name(enum key_type t);  /* "rsa" / "ed25519" */

#endif
