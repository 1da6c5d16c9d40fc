/*
 * der: RSA public keys in minimal DER. The committed test keys, written by
 * OpenSSL as SubjectPublicKeyInfo and as RSAPublicKey, give the modulus and
 * exponent OpenSSL reads from them; every cut, every non-minimal length or
 * INTEGER, another algorithm, unused bits, trailing and extra octets are
 * refused (keyrec then asks OpenSSL's decoders). Bare keys wrapped as SPKI
 * are the bytes OpenSSL writes.
 */
#include <check.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "der.h"
#include "fixture.h"
#include "suites.h"

/* The key's public half as DER: SubjectPublicKeyInfo, or the bare RSAPublicKey. */
static size_t public_der(EVP_PKEY *k, int pkcs1, unsigned char *out, size_t cap)
{
	unsigned char *der = NULL;
	int n = pkcs1 ? i2d_PublicKey(k, &der) : i2d_PUBKEY(k, &der);
	ck_assert(n > 0 && (size_t)n <= cap);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	return (size_t)n;
}

static void assert_same_number(EVP_PKEY *k, const char *param, struct der_bytes got)
{
	BIGNUM *want = NULL;
	ck_assert(EVP_PKEY_get_bn_param(k, param, &want) == 1);
	BIGNUM *have = BN_bin2bn(got.p, (int)got.len, NULL);
	ck_assert(have != NULL);
	ck_assert_msg(BN_cmp(want, have) == 0, "%s differs", param);
	ck_assert(got.len == (size_t)BN_num_bytes(want));   /* no leading zero left */
	BN_free(want);
	BN_free(have);
}

static const char *const rsa_keys[] = { "rsa512", "rsa1024", "rsa2048", "rsa4096", "arc-rsa2048" };

START_TEST(test_reads_openssl_output)
{
	EVP_PKEY *k = fixture_load_key(rsa_keys[_i]);
	unsigned char der[2048];
	for (int pkcs1 = 0; pkcs1 <= 1; pkcs1++) {
		size_t len = public_der(k, pkcs1, der, sizeof der);
		struct der_rsa r;
		ck_assert_int_eq(der_rsa_public(der, len, &r), 0);
		ck_assert_int_eq(r.pkcs1, pkcs1);
		assert_same_number(k, "n", r.n);
		assert_same_number(k, "e", r.e);
		for (size_t cut = 0; cut < len; cut++)   /* every prefix is refused */
			ck_assert_int_eq(der_rsa_public(der, cut, &r), -1);
		der[len] = 0;
		ck_assert_int_eq(der_rsa_public(der, len + 1, &r), -1);   /* a trailing octet */
	}
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_other_algorithm)
{
	EVP_PKEY *k = fixture_load_key("ed25519");
	unsigned char der[256];
	size_t len = public_der(k, 0, der, sizeof der);
	struct der_rsa r;
	ck_assert_int_eq(der_rsa_public(der, len, &r), -1);
	EVP_PKEY_free(k);
}
END_TEST

/* Hand-made RSAPublicKeys around one small valid one: SEQUENCE { INTEGER 0x00c5, INTEGER 3 }. */
static const struct {
	const char *what;
	unsigned char der[16];
	size_t len;
	int ok;
} shapes[] = {
	{ "minimal", { 0x30, 0x07, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03 }, 9, 1 },
	{ "long-form length that fits the short form", { 0x30, 0x81, 0x07, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03 },
	  10, 0 },
	{ "indefinite length", { 0x30, 0x80, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03, 0x00, 0x00 }, 11, 0 },
	{ "superfluous leading zero", { 0x30, 0x08, 0x02, 0x03, 0x00, 0x00, 0xc5, 0x02, 0x01, 0x03 }, 10, 0 },
	{ "negative modulus", { 0x30, 0x06, 0x02, 0x01, 0xc5, 0x02, 0x01, 0x03 }, 8, 0 },
	{ "zero exponent", { 0x30, 0x07, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x00 }, 9, 0 },
	{ "empty INTEGER", { 0x30, 0x06, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x00 }, 8, 0 },
	{ "a third INTEGER", { 0x30, 0x0a, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03, 0x02, 0x01, 0x01 }, 12, 0 },
	{ "one INTEGER", { 0x30, 0x04, 0x02, 0x02, 0x00, 0xc5 }, 6, 0 },
	{ "SET, not SEQUENCE", { 0x31, 0x07, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03 }, 9, 0 },
	{ "length past the end", { 0x30, 0x08, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03 }, 9, 0 },
	{ "three length octets", { 0x30, 0x83, 0x00, 0x00, 0x07, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03 }, 12, 0 },
};

START_TEST(test_shapes)
{
	struct der_rsa r;
	ck_assert_msg(der_rsa_public(shapes[_i].der, shapes[_i].len, &r) == (shapes[_i].ok ? 0 : -1), "%s",
		      shapes[_i].what);
	if (shapes[_i].ok) {
		ck_assert(r.pkcs1 && r.n.len == 1 && r.n.p[0] == 0xc5 && r.e.len == 1 && r.e.p[0] == 3);
	} else {
		ck_assert(r.n.p == NULL && r.e.p == NULL);
	}
}
END_TEST

/* A SubjectPublicKeyInfo of rsa2048 changed in its header: parameters absent, unused bits, another OID. */
START_TEST(test_spki_header)
{
	EVP_PKEY *k = fixture_load_key("rsa2048");
	unsigned char der[600], bad[600];
	size_t len = public_der(k, 0, der, sizeof der);
	struct der_rsa r;
	/* 30 82 01 22 | 30 0d 06 09 2a 86 48 86 f7 0d 01 01 01 05 00 | 03 82 01 0f 00 ... */
	ck_assert(der[4] == 0x30 && der[5] == 0x0d && der[19] == 0x03 && der[23] == 0x00);
	memcpy(bad, der, len);
	bad[23] = 1;   /* one unused bit */
	ck_assert_int_eq(der_rsa_public(bad, len, &r), -1);
	memcpy(bad, der, len);
	bad[16] = 0x05;   /* 1.2.840.113549.1.1.5: sha1WithRSAEncryption, no key algorithm */
	ck_assert_int_eq(der_rsa_public(bad, len, &r), -1);
	memcpy(bad, der, len);
	bad[18] = 0x01;   /* parameters: not NULL */
	ck_assert_int_eq(der_rsa_public(bad, len, &r), -1);
	EVP_PKEY_free(k);
}
END_TEST

/* Wrapping a bare key gives the SubjectPublicKeyInfo OpenSSL writes (the fingerprint's input). */
START_TEST(test_spki_written)
{
	unsigned char bare[2048], spki[2048];
	struct buf out;
	for (size_t i = 0; i < sizeof rsa_keys / sizeof rsa_keys[0]; i++) {
		EVP_PKEY *k = fixture_load_key(rsa_keys[i]);
		size_t blen = public_der(k, 1, bare, sizeof bare), slen = public_der(k, 0, spki, sizeof spki);
		buf_init(&out, 4096);
		ck_assert_int_eq(der_spki_rsa(bare, blen, &out), 0);
		ck_assert_msg(out.len == slen && memcmp(out.data, spki, slen) == 0, "%s", rsa_keys[i]);
		buf_free(&out);
		EVP_PKEY_free(k);
	}
	EVP_PKEY *ed = fixture_load_key("ed25519");
	size_t n = 32, slen = public_der(ed, 0, spki, sizeof spki);
	ck_assert(EVP_PKEY_get_raw_public_key(ed, bare, &n) == 1 && n == 32);
	buf_init(&out, 4096);
	ck_assert_int_eq(der_spki_ed25519(bare, n, &out), 0);
	ck_assert(out.len == slen && memcmp(out.data, spki, slen) == 0);
	buf_free(&out);
	EVP_PKEY_free(ed);
	buf_init(&out, 4096);
	ck_assert_int_eq(der_spki_rsa(bare, 60000, &out), -1);   /* past the two length octets it writes */
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

Suite *der_suite(void)
{
	Suite *s = suite_create("der");
	TCase *tc = tcase_create("rsa");
	tcase_add_loop_test(tc, test_reads_openssl_output, 0, (int)(sizeof rsa_keys / sizeof rsa_keys[0]));
	tcase_add_test(tc, test_other_algorithm);
	tcase_add_loop_test(tc, test_shapes, 0, (int)(sizeof shapes / sizeof shapes[0]));
	tcase_add_test(tc, test_spki_header);
	tcase_add_test(tc, test_spki_written);
	suite_add_tcase(s, tc);
	return s;
}
