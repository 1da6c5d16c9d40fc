/*
 * sig: algorithm names (RFC 6376 §3.5 a=, RFC 8463 §3) and the one call into
 * OpenSSL. Signatures are made here with the committed test keys
 * (testdata/keys/) and must verify; a changed digest, a cut, empty or oversized
 * b=, the other hash, and a key of the wrong type must not, and none of those
 * is an error of OpenSSL itself (the answer is 0, not -1). Every Ed25519 answer
 * is OpenSSL's own (RFC 8032), though libsodium is asked first; a key of small
 * order verifies, marked as one libsodium refuses.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "fixture.h"
#include "hash.h"
#include "sig.h"
#include "suites.h"

static const struct {
	const char *word;
	int ok;
	enum sig_alg alg;
	enum hash_alg hash;
	enum key_type key;
} alg_cases[] = {
	{ "rsa-sha256", 1, SIG_RSA_SHA256, HASH_SHA256, KEY_RSA },
	{ "rsa-sha1", 1, SIG_RSA_SHA1, HASH_SHA1, KEY_RSA },
	{ "ed25519-sha256", 1, SIG_ED25519_SHA256, HASH_SHA256, KEY_ED25519 },
	{ "rsa-sha512", 0, 0, 0, 0 },
	{ "RSA-SHA256", 0, 0, 0, 0 },       /* sig-a-tag-alg values are compared as written */
	{ "rsa-sha256 ", 0, 0, 0, 0 },
	{ "ed25519", 0, 0, 0, 0 },
	{ "", 0, 0, 0, 0 },
};

START_TEST(test_alg_names)
{
	enum sig_alg a = SIG_RSA_SHA1;
	int rc = sig_alg_parse(slice_cstr(alg_cases[_i].word), &a);
	ck_assert_int_eq(rc, alg_cases[_i].ok ? 0 : -1);
	if (!alg_cases[_i].ok)
		return;
	ck_assert_int_eq(a, alg_cases[_i].alg);
	ck_assert_str_eq(sig_alg_name(a), alg_cases[_i].word);
	ck_assert_int_eq(sig_alg_hash(a), alg_cases[_i].hash);
	ck_assert_int_eq(sig_alg_key(a), alg_cases[_i].key);
}
END_TEST

/* RSASSA-PKCS1-v1_5 over a digest (the DigestInfo for md is added by OpenSSL). */
static size_t sign_rsa(EVP_PKEY *k, const EVP_MD *md, const unsigned char *dg, size_t dlen, unsigned char *sig)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	size_t len = 1024;
	ck_assert(c && EVP_PKEY_sign_init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		  EVP_PKEY_CTX_set_signature_md(c, md) == 1 && EVP_PKEY_sign(c, sig, &len, dg, dlen) == 1);
	EVP_PKEY_CTX_free(c);
	return len;
}

/* RFC 8463 §3: PureEdDSA over the 32 digest bytes. */
static size_t sign_ed25519(EVP_PKEY *k, const unsigned char *dg, size_t dlen, unsigned char *sig)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t len = 64;
	ck_assert(c && EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 && EVP_DigestSign(c, sig, &len, dg, dlen) == 1);
	EVP_MD_CTX_free(c);
	return len;
}

static void digest_of(const char *text, enum hash_alg h, unsigned char *dg, unsigned *dlen)
{
	ck_assert_int_eq(hash_digest(h, text, strlen(text), dg, dlen), 0);
}

/* RFC 8032 §5.1.7 as OpenSSL implements it, called directly: the answer sig_verify must give for Ed25519. */
static int openssl_ed25519(EVP_PKEY *k, const unsigned char *dg, unsigned dlen, const unsigned char *sig, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ck_assert(c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1);
	int rc = EVP_DigestVerify(c, sig, len, dg, dlen);
	EVP_MD_CTX_free(c);
	ERR_clear_error();
	return rc == 1;
}

/* sig_verify's answer, checked against the other paths to it; *strict is whether libsodium's check refused. */
static int verify_strict(EVP_PKEY *k, enum sig_alg alg, const unsigned char *dg, unsigned dlen,
			 const unsigned char *sig, size_t len, int *strict)
{
	struct sig_check c = { dg, dlen, sig, len, 0, "" };
	int rc = sig_verify(k, alg, &c);
	ck_assert_msg(rc >= 0, "OpenSSL could not run the check: %s", c.why);
	ck_assert(!c.strict_refused || (rc == 1 && alg == SIG_ED25519_SHA256));
	*strict = c.strict_refused;
	if (alg == SIG_ED25519_SHA256 && EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519)   /* libsodium first, same answer */
		ck_assert_int_eq(rc, openssl_ed25519(k, dg, dlen, sig, len));
	/* a cached key's prepared context (sig_prepare) must give every answer the plain path gives */
	struct keyrec kr = { .type = EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? KEY_RSA : KEY_ED25519, .pkey = k };
	ck_assert(EVP_PKEY_up_ref(k) == 1);
	sig_prepare(&kr);
	ck_assert_int_eq(kr.verify_ctx != NULL, kr.type == KEY_RSA);
	for (int i = 0; i < 2; i++) {   /* reusable */
		c.strict_refused = -1;
		ck_assert_int_eq(sig_verify_key(&kr, alg, &c), rc);
		ck_assert_int_eq(c.strict_refused, *strict);
	}
	keyrec_free(&kr);
	return rc;
}

static int verify(EVP_PKEY *k, enum sig_alg alg, const unsigned char *dg, unsigned dlen, const unsigned char *sig,
		  size_t len)
{
	int strict;
	int rc = verify_strict(k, alg, dg, dlen, sig, len, &strict);
	ck_assert(!strict);   /* keys made by OpenSSL's key generation: libsodium agrees */
	return rc;
}

START_TEST(test_rsa_sha256)
{
	EVP_PKEY *k = fixture_load_key("rsa2048");
	unsigned char dg[64], other[64], sig[1024], big[600];
	unsigned dlen, olen;
	digest_of("from:alice\r\nsubject:hello\r\n", HASH_SHA256, dg, &dlen);
	digest_of("from:alice\r\nsubject:hellO\r\n", HASH_SHA256, other, &olen);
	size_t len = sign_rsa(k, EVP_sha256(), dg, dlen, sig);
	ck_assert_uint_eq(len, 256);
	ck_assert_int_eq(verify(k, SIG_RSA_SHA256, dg, dlen, sig, len), 1);
	ck_assert_int_eq(verify(k, SIG_RSA_SHA256, other, olen, sig, len), 0);
	ck_assert_int_eq(verify(k, SIG_RSA_SHA256, dg, dlen, sig, len - 1), 0);
	ck_assert_int_eq(verify(k, SIG_RSA_SHA256, dg, dlen, sig, 0), 0);
	memset(big, 0x5a, sizeof big);
	memcpy(big, sig, len);
	ck_assert_int_eq(verify(k, SIG_RSA_SHA256, dg, dlen, big, sizeof big), 0);   /* b= of 600 bytes */
	sig[10] ^= 1;
	ck_assert_int_eq(verify(k, SIG_RSA_SHA256, dg, dlen, sig, len), 0);
	EVP_PKEY_free(k);
}
END_TEST

/* The hash named by a= is the one in the DigestInfo: a sha256 signature is no rsa-sha1 one. */
START_TEST(test_rsa_sha1_digestinfo)
{
	EVP_PKEY *k = fixture_load_key("rsa1024");
	unsigned char d1[64], sig[1024];
	unsigned l1;
	digest_of("data", HASH_SHA1, d1, &l1);
	size_t len = sign_rsa(k, EVP_sha1(), d1, l1, sig);
	ck_assert_int_eq(verify(k, SIG_RSA_SHA1, d1, l1, sig, len), 1);
	unsigned char d256[64];
	unsigned l256;
	digest_of("data", HASH_SHA256, d256, &l256);
	ck_assert_int_eq(verify(k, SIG_RSA_SHA256, d256, l256, sig, len), 0);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_ed25519)
{
	EVP_PKEY *k = fixture_load_key("ed25519");
	unsigned char dg[64], sig[64];
	unsigned dlen;
	digest_of("from:alice\r\n", HASH_SHA256, dg, &dlen);
	size_t len = sign_ed25519(k, dg, dlen, sig);
	ck_assert_uint_eq(len, 64);
	ck_assert_int_eq(verify(k, SIG_ED25519_SHA256, dg, dlen, sig, len), 1);
	ck_assert_int_eq(verify(k, SIG_ED25519_SHA256, dg, dlen, sig, 63), 0);
	ck_assert_int_eq(verify(k, SIG_ED25519_SHA256, dg, dlen - 1, sig, len), 0);   /* the digest, not a prefix */
	sig[0] ^= 0x80;
	ck_assert_int_eq(verify(k, SIG_ED25519_SHA256, dg, dlen, sig, len), 0);
	EVP_PKEY_free(k);
}
END_TEST

/*
 * A key of small order: the identity point (y = 1), order 1. [k]A vanishes, so
 * R = [S]B verifies for every message: with S = 1, R is B's encoding (0x58,
 * then 31 bytes 0x66). RFC 8032 §5.1.7 accepts it (cofactorless [S]B = R +
 * [k]A); libsodium refuses small-order keys. The answer is RFC 8032's, marked.
 */
START_TEST(test_ed25519_small_order_key)
{
	unsigned char pub[32] = { 1 }, sig[64] = { 0x58 }, dg[64];
	unsigned dlen;
	memset(sig + 1, 0x66, 31);
	sig[32] = 1;
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, sizeof pub);
	ck_assert(k != NULL);
	int strict;
	const char *texts[] = { "from:alice\r\n", "", "subject:anything at all\r\n" };
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		digest_of(texts[i], HASH_SHA256, dg, &dlen);
		ck_assert_int_eq(verify_strict(k, SIG_ED25519_SHA256, dg, dlen, sig, sizeof sig, &strict), 1);
		ck_assert(strict);
	}
	sig[33] = 1;   /* S = 257: R is no longer [S]B */
	ck_assert_int_eq(verify_strict(k, SIG_ED25519_SHA256, dg, dlen, sig, sizeof sig, &strict), 0);
	ck_assert(!strict);
	EVP_PKEY_free(k);
}
END_TEST

/*
 * Whatever libsodium says first, the answer is OpenSSL's (verify_strict checks
 * it on each): keys of small order in canonical and non-canonical encodings
 * (y = 1, p + 1, 0, p - 1, and 1 with the sign bit set) with R = B, S = 1,
 * whose answer depends on the message for keys of order 2 and 4; and a real
 * key's signature with one bit flipped in the signature, the key or the digest.
 */
START_TEST(test_ed25519_agrees_with_openssl)
{
	static const unsigned char odd_keys[][32] = {
		{ 1 },
		{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		{ 0 },
		{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		{ 1, [31] = 0x80 },
	};
	unsigned char rb[64] = { 0x58 }, dg[64], sig[64], pub[32];
	memset(rb + 1, 0x66, 31);
	rb[32] = 1;
	EVP_PKEY *real = fixture_load_key("ed25519");
	size_t n = sizeof pub;
	ck_assert(EVP_PKEY_get_raw_public_key(real, pub, &n) == 1);
	int strict, passed = 0;
	for (int i = 0; i < 40; i++) {
		char text[32];
		unsigned dlen;
		snprintf(text, sizeof text, "subject:message %d\r\n", i);
		digest_of(text, HASH_SHA256, dg, &dlen);
		for (size_t k = 0; k < sizeof odd_keys / sizeof odd_keys[0]; k++) {
			EVP_PKEY *odd = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, odd_keys[k], 32);
			if (odd)   /* OpenSSL may refuse an encoding outright; then there is nothing to compare */
				passed += verify_strict(odd, SIG_ED25519_SHA256, dg, dlen, rb, sizeof rb, &strict);
			EVP_PKEY_free(odd);
		}
		ck_assert_uint_eq(sign_ed25519(real, dg, dlen, sig), 64);
		ck_assert_int_eq(verify(real, SIG_ED25519_SHA256, dg, dlen, sig, 64), 1);
		sig[i % 64] ^= (unsigned char)(1u << (i % 8));
		ck_assert_int_eq(verify(real, SIG_ED25519_SHA256, dg, dlen, sig, 64), 0);
		sig[i % 64] ^= (unsigned char)(1u << (i % 8));
		dg[i % 32] ^= 1;
		ck_assert_int_eq(verify(real, SIG_ED25519_SHA256, dg, dlen, sig, 64), 0);
		pub[i % 32] ^= (unsigned char)(1u << (i % 8));
		EVP_PKEY *bent = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
		if (bent)
			passed += verify_strict(bent, SIG_ED25519_SHA256, dg, dlen, sig, 64, &strict);
		EVP_PKEY_free(bent);
		pub[i % 32] ^= (unsigned char)(1u << (i % 8));
	}
	ck_assert_int_ge(passed, 40);   /* at least the identity key passed every time */
	EVP_PKEY_free(real);
}
END_TEST

/* A signature checked with a key of another type fails as a check, not as a crash. */
START_TEST(test_wrong_key_type)
{
	EVP_PKEY *ed = fixture_load_key("ed25519"), *rsa = fixture_load_key("rsa2048");
	unsigned char dg[64], sig[1024];
	unsigned dlen;
	digest_of("x", HASH_SHA256, dg, &dlen);
	size_t len = sign_rsa(rsa, EVP_sha256(), dg, dlen, sig);
	struct sig_check c = { dg, dlen, sig, len, 0, "" };
	ck_assert_int_le(sig_verify(ed, SIG_RSA_SHA256, &c), 0);
	c.siglen = 64;
	ck_assert_int_le(sig_verify(rsa, SIG_ED25519_SHA256, &c), 0);
	ck_assert(!c.strict_refused);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
}
END_TEST

Suite *sig_suite(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("algorithms");
	tcase_add_loop_test(tc, test_alg_names, 0, (int)(sizeof alg_cases / sizeof alg_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("verify");
	tcase_add_test(tc, test_rsa_sha256);
	tcase_add_test(tc, test_rsa_sha1_digestinfo);
	tcase_add_test(tc, test_ed25519);
	tcase_add_test(tc, test_ed25519_small_order_key);
	tcase_add_test(tc, test_ed25519_agrees_with_openssl);
	tcase_add_test(tc, test_wrong_key_type);
	suite_add_tcase(s, tc);
	return s;
}
