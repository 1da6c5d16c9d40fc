/*
 * sig: signature verification (RFC 6376 §3.3, RFC 8463 §3) through OpenSSL
 * EVP, with libsodium's faster Ed25519 check in front of OpenSSL's.
 */
#include "sig.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

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
static int verify_rsa(EVP_PKEY *pkey, const EVP_PKEY_CTX *prepared, enum hash_alg h, struct sig_check *c)
{
	EVP_PKEY_CTX *ctx = prepared ? EVP_PKEY_CTX_dup(prepared) : NULL;
	if (!ctx)
		ctx = rsa_verify_ctx(pkey, h);
	if (!ctx)
		return openssl_error(c->why, sizeof c->why, "RSA verify setup");
	int rc = EVP_PKEY_verify(ctx, c->sig, c->siglen, c->digest, c->dlen);
	EVP_PKEY_CTX_free(ctx);
	if (rc < 0)   /* not a bad signature: the check itself could not run (e.g. out of memory) */
		return openssl_error(c->why, sizeof c->why, "RSA verify");
	ERR_clear_error(); /* a bad signature leaves errors on the queue; they are not news */
	return rc == 1 ? 1 : 0;
}

/* RFC 8463 §3: Ed25519 (pure, no prehash) over the SHA-256 digest bytes, as RFC 8032 §5.1.7 says. */
static int openssl_ed25519(EVP_PKEY *pkey, struct sig_check *c)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1) {
		EVP_MD_CTX_free(md);
		return openssl_error(c->why, sizeof c->why, "Ed25519 verify setup");
	}
	int rc = EVP_DigestVerify(md, c->sig, c->siglen, c->digest, c->dlen);
	EVP_MD_CTX_free(md);
	if (rc < 0)
		return openssl_error(c->why, sizeof c->why, "Ed25519 verify");
	ERR_clear_error();
	return rc == 1 ? 1 : 0;
}

/*
 * The same equation through libsodium: 1 verifies, 0 refused, -1 not run.
 * sodium_init is idempotent and thread-safe, and costs a lock: nothing
 * against a 50 µs check, and no caller has to remember it.
 */
static int sodium_ed25519(EVP_PKEY *pkey, const struct sig_check *c)
{
	unsigned char pub[crypto_sign_PUBLICKEYBYTES];
	size_t n = sizeof pub;
	if (c->siglen != crypto_sign_BYTES || sodium_init() < 0 || EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 ||
	    n != sizeof pub) {
		ERR_clear_error();
		return -1;
	}
	return crypto_sign_verify_detached(c->sig, c->digest, c->dlen, pub) == 0;
}

/*
 * OpenSSL 3 can answer "does not verify" when an allocation inside the check
 * failed (the allocation torture run showed it), so its negative answer is
 * confirmed by a second check (RSA with a context set up afresh) before it
 * becomes "signature did not verify". libsodium allocates nothing: its answer
 * needs no second look.
 */
static int openssl_confirmed(void *pkey, const void *prepared, enum sig_alg alg, struct sig_check *c)
{
	if (alg == SIG_ED25519_SHA256) {
		int rc = openssl_ed25519(pkey, c);
		return rc == 0 ? openssl_ed25519(pkey, c) : rc;
	}
	enum hash_alg h = sig_alg_hash(alg);
	int rc = verify_rsa(pkey, alg == SIG_RSA_SHA256 ? prepared : NULL, h, c);
	return rc == 0 ? verify_rsa(pkey, NULL, h, c) : rc;
}

/*
 * libsodium checks RFC 8032's equation in half the time OpenSSL 3.0 takes, and
 * is stricter: it also refuses keys and R of small order and keys not in
 * canonical form, which RFC 8032 §5.1.7 accepts. Its "verifies" therefore
 * implies OpenSSL's, and is final; its "refused" is referred to OpenSSL, whose
 * answer is RFC 8032's. A signature only OpenSSL accepts is marked
 * strict_refused: verifiers built on libsodium (PyNaCl, so dkimpy) fail it.
 */
static int verify_any(void *pkey, const void *prepared, enum sig_alg alg, struct sig_check *c)
{
	int strict = alg == SIG_ED25519_SHA256 ? sodium_ed25519(pkey, c) : -1;
	int rc = strict == 1 ? 1 : openssl_confirmed(pkey, prepared, alg, c);
	c->strict_refused = rc == 1 && strict == 0;
	return rc;
}

int sig_verify(void *pkey, enum sig_alg alg, struct sig_check *c)
{
	return verify_any(pkey, NULL, alg, c);
}

void sig_prepare(struct keyrec *k)
{
	if (k->pkey && k->type == KEY_RSA && !k->verify_ctx) {
		k->verify_ctx = rsa_verify_ctx(k->pkey, HASH_SHA256);
		ERR_clear_error();   /* no context is no loss: verification sets one up itself */
	}
}

int sig_verify_key(const struct keyrec *k, enum sig_alg alg, struct sig_check *c)
{
	return verify_any(k->pkey, k->verify_ctx, alg, c);
}
