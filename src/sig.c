/* sig: signature verification through OpenSSL EVP (RFC 6376 §3.3, RFC 8463 §3). */
#include "sig.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

static const char *const names[] = {
	[SIG_RSA_SHA1] = "rsa-sha1",
	[SIG_RSA_SHA256] = "rsa-sha256",
	[SIG_ED25519_SHA256] = "ed25519-sha256",
};

int sig_alg_parse(struct slice s, enum sig_alg *out)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (slice_eq(s, names[i])) {
			*out = (enum sig_alg)i;
			return 0;
		}
	}
	return -1;
}

const char *sig_alg_name(enum sig_alg a)
{
	return names[a];
}

enum hash_alg sig_alg_hash(enum sig_alg a)
{
	return a == SIG_RSA_SHA1 ? HASH_SHA1 : HASH_SHA256;
}

enum key_type sig_alg_key(enum sig_alg a)
{
	return a == SIG_ED25519_SHA256 ? KEY_ED25519 : KEY_RSA;
}

static int openssl_error(char *why, size_t whylen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];
	ERR_error_string_n(e, buf, sizeof buf);
	snprintf(why, whylen, "%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
	return -1;
}

/* A context for RSASSA-PKCS1-v1_5 verification with the named hash, or NULL. */
static EVP_PKEY_CTX *rsa_verify_ctx(EVP_PKEY *pkey, enum hash_alg h)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (!ctx || EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, h == HASH_SHA1 ? EVP_sha1() : EVP_sha256()) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * RSASSA-PKCS1-v1_5: the digest is wrapped in a DigestInfo for the named hash.
 * A prepared context (sig_prepare) is duplicated rather than set up afresh:
 * the same check, at a tenth of the setup cost, and the shared original is
 * only read, so worker threads may duplicate it at once.
 */
static int verify_rsa(EVP_PKEY *pkey, const EVP_PKEY_CTX *prepared, enum hash_alg h, const unsigned char *digest,
		      unsigned dlen, const unsigned char *sig, size_t siglen, char *why, size_t whylen)
{
	EVP_PKEY_CTX *ctx = prepared ? EVP_PKEY_CTX_dup(prepared) : NULL;
	if (!ctx)
		ctx = rsa_verify_ctx(pkey, h);
	if (!ctx)
		return openssl_error(why, whylen, "RSA verify setup");
	int rc = EVP_PKEY_verify(ctx, sig, siglen, digest, dlen);
	EVP_PKEY_CTX_free(ctx);
	if (rc < 0)   /* not a bad signature: the check itself could not run (e.g. out of memory) */
		return openssl_error(why, whylen, "RSA verify");
	ERR_clear_error(); /* a bad signature leaves errors on the queue; they are not news */
	return rc == 1 ? 1 : 0;
}

/* RFC 8463 §3: Ed25519 (pure, no prehash) over the SHA-256 digest bytes. */
static int verify_ed25519(EVP_PKEY *pkey, const unsigned char *digest, unsigned dlen,
			  const unsigned char *sig, size_t siglen, char *why, size_t whylen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1) {
		EVP_MD_CTX_free(md);
		return openssl_error(why, whylen, "Ed25519 verify setup");
	}
	int rc = EVP_DigestVerify(md, sig, siglen, digest, dlen);
	EVP_MD_CTX_free(md);
	if (rc < 0)
		return openssl_error(why, whylen, "Ed25519 verify");
	ERR_clear_error();
	return rc == 1 ? 1 : 0;
}

static int verify_once(void *pkey, const void *prepared, enum sig_alg alg, const unsigned char *digest,
		       unsigned dlen, const unsigned char *sig, size_t siglen, char *why, size_t whylen)
{
	if (alg == SIG_ED25519_SHA256)
		return verify_ed25519(pkey, digest, dlen, sig, siglen, why, whylen);
	return verify_rsa(pkey, alg == SIG_RSA_SHA256 ? prepared : NULL, sig_alg_hash(alg), digest, dlen, sig, siglen,
			  why, whylen);
}

static int verify_confirmed(void *pkey, const void *prepared, enum sig_alg alg, const unsigned char *digest,
			    unsigned dlen, const unsigned char *sig, size_t siglen, char *why, size_t whylen)
{
	int rc = verify_once(pkey, prepared, alg, digest, dlen, sig, siglen, why, whylen);
	return rc == 0 ? verify_once(pkey, NULL, alg, digest, dlen, sig, siglen, why, whylen) : rc;
}

/*
 * OpenSSL 3 can answer "does not verify" when an allocation inside the check
 * failed (the allocation torture run showed it), so a negative answer is
 * confirmed by a second check before it becomes "signature did not verify".
 */
int sig_verify(void *pkey, enum sig_alg alg, const unsigned char *digest, unsigned dlen,
	       const unsigned char *sig, size_t siglen, char *why, size_t whylen)
{
	return verify_confirmed(pkey, NULL, alg, digest, dlen, sig, siglen, why, whylen);
}

void sig_prepare(struct keyrec *k)
{
	if (k->pkey && k->type == KEY_RSA && !k->verify_ctx) {
		k->verify_ctx = rsa_verify_ctx(k->pkey, HASH_SHA256);
		ERR_clear_error();   /* no context is no loss: verification sets one up itself */
	}
}

int sig_verify_key(const struct keyrec *k, enum sig_alg alg, const unsigned char *digest, unsigned dlen,
		   const unsigned char *sig, size_t siglen, char *why, size_t whylen)
{
	return verify_confirmed(k->pkey, k->verify_ctx, alg, digest, dlen, sig, siglen, why, whylen);
}
