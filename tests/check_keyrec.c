/*
 * keyrec: DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4, RFC 8301 §3.2) built
 * at test time from keys OpenSSL generates: SPKI and PKCS#1 RSA, raw and SPKI
 * Ed25519, revoked and missing keys, v=/k=/h=/s=/t= handling, FWS inside p=,
 * the minimum key size and the SPKI fingerprint.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "hash.h"
#include "keyrec.h"
#include "suites.h"

/* Keys generated once per test case (unchecked fixture), shared by the tests. */
static EVP_PKEY *rsa512, *rsa1024, *rsa2048, *ed25519, *ec256;

static EVP_PKEY *gen_rsa(unsigned bits)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) == 1)
		EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static void keys_setup(void)
{
	rsa512 = gen_rsa(512);
	rsa1024 = gen_rsa(1024);
	rsa2048 = gen_rsa(2048);
	ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void keys_teardown(void)
{
	EVP_PKEY_free(rsa512);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(ed25519);
	EVP_PKEY_free(ec256);
	rsa512 = rsa1024 = rsa2048 = ed25519 = ec256 = NULL;
}

static void b64_of(const unsigned char *der, size_t len, char *out, size_t outlen)
{
	ck_assert_msg(outlen >= (len + 2) / 3 * 4 + 1, "b64 buffer too small");
	EVP_EncodeBlock((unsigned char *)out, der, (int)len);
}

/* Base64 SubjectPublicKeyInfo of k. */
static void spki_b64(EVP_PKEY *k, char *out, size_t outlen)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	ck_assert_msg(n > 0, "i2d_PUBKEY");
	b64_of(der, (size_t)n, out, outlen);
	OPENSSL_free(der);
}

/* Base64 PKCS#1 RSAPublicKey of an RSA key. */
static void pkcs1_b64(EVP_PKEY *k, char *out, size_t outlen)
{
	unsigned char *der = NULL;
	int n = i2d_PublicKey(k, &der);
	ck_assert_msg(n > 0, "i2d_PublicKey");
	b64_of(der, (size_t)n, out, outlen);
	OPENSSL_free(der);
}

static void raw_b64(EVP_PKEY *k, char *out, size_t outlen)
{
	unsigned char raw[64];
	size_t n = sizeof raw;
	ck_assert(EVP_PKEY_get_raw_public_key(k, raw, &n) == 1 && n == 32);
	b64_of(raw, n, out, outlen);
}

static void spki_sha256(EVP_PKEY *k, unsigned char out[32])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	unsigned len = 0;
	ck_assert(n > 0 && EVP_Digest(der, (size_t)n, out, &len, EVP_sha256(), NULL) == 1 && len == 32);
	OPENSSL_free(der);
}

static const struct keyrec_policy pol1024 = { .min_rsa_bits = 1024 };

struct parsed {
	struct keyrec k;
	struct verdict v;
	int rc;
};

static void parse(struct parsed *p, const char *text, int want_type, const struct keyrec_policy *pol)
{
	memset(&p->v, 0, sizeof p->v);
	p->rc = keyrec_parse(text, strlen(text), want_type, pol ? pol : &pol1024, &p->k, &p->v);
}

static void expect_ok(struct parsed *p, const char *what)
{
	ck_assert_msg(p->rc == 0, "%s: rejected: %s", what, p->v.reason);
	ck_assert_msg(p->k.pkey != NULL, "%s: no key", what);
	ck_assert_msg(p->v.result == VERDICT_NONE, "%s: verdict set to %s", what, verdict_word(p->v.result));
}

static void expect_permerror(struct parsed *p, const char *reason, const char *what)
{
	ck_assert_msg(p->rc == -1, "%s: accepted, want a permerror '%s'", what, reason);
	ck_assert_msg(p->v.result == VERDICT_PERMERROR, "%s: verdict %s", what, verdict_word(p->v.result));
	ck_assert_msg(strstr(p->v.reason, reason) != NULL, "%s: reason '%s' should contain '%s'", what, p->v.reason,
		      reason);
	ck_assert_msg(p->k.pkey == NULL, "%s: no key is kept on failure", what);
}

START_TEST(test_rsa_spki)
{
	char p64[2048], rec[2200];
	spki_b64(rsa2048, p64, sizeof p64);
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", p64);
	struct parsed p;
	parse(&p, rec, KEY_RSA, NULL);
	expect_ok(&p, "RSA 2048 SPKI");
	ck_assert_msg(p.k.type == KEY_RSA && p.k.bits == 2048, "type %d bits %u", p.k.type, p.k.bits);
	ck_assert_msg(!p.k.pkcs1, "SPKI is not flagged pkcs1");
	ck_assert_msg(!p.k.has_h && p.k.hashes == ((1u << HASH_SHA1) | (1u << HASH_SHA256)),
		      "no h=: all hashes (0x%x)", p.k.hashes);
	ck_assert_msg(!p.k.testing && !p.k.strict, "no t= flags");
	ck_assert_msg(EVP_PKEY_eq(p.k.pkey, rsa2048) == 1, "the decoded key is the generated one");
	unsigned char fp[32];
	spki_sha256(rsa2048, fp);
	ck_assert_msg(p.k.has_fingerprint && memcmp(p.k.fingerprint, fp, 32) == 0,
		      "fingerprint = SHA-256 of the SPKI DER");
	keyrec_free(&p.k);
	ck_assert(p.k.pkey == NULL);
	keyrec_free(&p.k); /* twice is harmless */

	/* no v=, no k=: RSA by default (§3.6.1) */
	snprintf(rec, sizeof rec, "p=%s", p64);
	parse(&p, rec, -1, NULL);
	expect_ok(&p, "bare p=");
	ck_assert(p.k.type == KEY_RSA);
	keyrec_free(&p.k);
}
END_TEST

START_TEST(test_rsa_pkcs1)
{
	char p64[2048], rec[2200];
	pkcs1_b64(rsa2048, p64, sizeof p64);
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", p64);
	struct parsed p;
	parse(&p, rec, KEY_RSA, NULL);
	expect_ok(&p, "RSA 2048 PKCS#1");
	ck_assert_msg(p.k.pkcs1, "PKCS#1 form is flagged");
	ck_assert_msg(p.k.bits == 2048, "bits %u", p.k.bits);
	ck_assert_msg(EVP_PKEY_eq(p.k.pkey, rsa2048) == 1, "same key as the generated one");
	unsigned char fp[32];
	spki_sha256(rsa2048, fp);
	ck_assert_msg(p.k.has_fingerprint && memcmp(p.k.fingerprint, fp, 32) == 0,
		      "fingerprint of a PKCS#1 record is still the SHA-256 of the SPKI DER");
	keyrec_free(&p.k);
}
END_TEST

START_TEST(test_rsa_trailing_garbage)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(rsa1024, &der);
	ck_assert(n > 0);
	unsigned char *longer = malloc((size_t)n + 1);
	ck_assert(longer != NULL);
	memcpy(longer, der, (size_t)n);
	longer[n] = 0;
	char p64[1024], rec[1100];
	b64_of(longer, (size_t)n + 1, p64, sizeof p64);
	free(longer);
	OPENSSL_free(der);
	snprintf(rec, sizeof rec, "k=rsa; p=%s", p64);
	struct parsed p;
	parse(&p, rec, KEY_RSA, NULL);
	expect_permerror(&p, "unusable key", "SPKI followed by a stray byte");
}
END_TEST

START_TEST(test_ed25519)
{
	char p64[128], rec[256];
	raw_b64(ed25519, p64, sizeof p64);
	snprintf(rec, sizeof rec, "v=DKIM1; k=ed25519; p=%s", p64);
	struct parsed p;
	parse(&p, rec, KEY_ED25519, NULL);
	expect_ok(&p, "Ed25519 raw");
	ck_assert_msg(p.k.type == KEY_ED25519, "type %d", p.k.type);
	ck_assert_msg(EVP_PKEY_eq(p.k.pkey, ed25519) == 1, "same key");
	unsigned char fp[32];
	spki_sha256(ed25519, fp);
	ck_assert_msg(p.k.has_fingerprint && memcmp(p.k.fingerprint, fp, 32) == 0, "Ed25519 fingerprint");
	keyrec_free(&p.k);

	/* RFC 8463 §4: the bare key, not an SPKI (44 bytes) */
	spki_b64(ed25519, p64, sizeof p64);
	snprintf(rec, sizeof rec, "v=DKIM1; k=ed25519; p=%s", p64);
	parse(&p, rec, KEY_ED25519, NULL);
	expect_permerror(&p, "unusable key", "Ed25519 as SPKI");
	ck_assert_msg(strstr(p.v.reason, "44") != NULL, "reason names the length: %s", p.v.reason);

	/* 31 bytes */
	unsigned char raw[32];
	size_t n = sizeof raw;
	ck_assert(EVP_PKEY_get_raw_public_key(ed25519, raw, &n) == 1);
	b64_of(raw, 31, p64, sizeof p64);
	snprintf(rec, sizeof rec, "k=ed25519; p=%s", p64);
	parse(&p, rec, KEY_ED25519, NULL);
	expect_permerror(&p, "unusable key", "Ed25519 of 31 bytes");
}
END_TEST

/* Records that fail, each with the reason it must give. P stands for a good RSA 2048 SPKI. */
struct bad_case {
	const char *tmpl;  /* %s = the p= payload */
	int want_type;
	const char *reason;
};

static const struct bad_case bad_cases[] = {
	{ "v=DKIM1; k=rsa; p=", KEY_RSA, "key revoked" },
	{ "v=DKIM1; k=rsa; p= ", KEY_RSA, "key revoked" },
	{ "v=DKIM1; p=\r\n ; t=y", -1, "key revoked" },
	{ "v=DKIM1; k=rsa", KEY_RSA, "p=" },
	{ "v=DKIM1; k=rsa; p=MIIB!%s", KEY_RSA, "base64" },
	{ "v=DKIM1; k=rsa; p=%s=", KEY_RSA, "base64" },
	{ "k=rsa; v=DKIM1; p=%s", KEY_RSA, "v= is not the first tag" },
	{ "v=DKIM2; k=rsa; p=%s", KEY_RSA, "key v= is not DKIM1" },
	{ "v=dkim1; p=%s", KEY_RSA, "key v= is not DKIM1" },
	{ "v=DKIM1; k=foo; p=%s", -1, "unknown key type" },
	/* want_type mismatch is reported before p= is even decoded */
	{ "v=DKIM1; k=rsa; p=%s", KEY_ED25519, "key type mismatch" },
	{ "v=DKIM1; k=rsa; p=!!!not base64!!!", KEY_ED25519, "key type mismatch" },
	{ "v=DKIM1; k=rsa; p=", KEY_ED25519, "key type mismatch" },
	{ "v=DKIM1; k=ed25519; p=%s", KEY_RSA, "key type mismatch" },
	{ "v=DKIM1; s=tlsrpt; p=%s", KEY_RSA, "key s= does not allow email" },
	{ "v=DKIM1; s=chat:web; p=%s", KEY_RSA, "key s= does not allow email" },
	{ "v=DKIM1; s=email:; p=%s", KEY_RSA, "s=" },
	{ "v=DKIM1; h=sha1::sha256; p=%s", KEY_RSA, "h=" },
	{ "v=DKIM1; k=rsa; t; p=%s", KEY_RSA, "syntax" },
	{ "v=DKIM1; k=rsa; k=rsa; p=%s", KEY_RSA, "duplicate tag k" },
	{ "v=DKIM1; k=rsa; p=%s; p=%s", KEY_RSA, "duplicate tag p" },
	{ "v=DKIM1; k=rsa; p=AAAA", KEY_RSA, "unusable key" },
	{ "", -1, "empty" },
	{ " \t ", -1, "empty" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	char p64[2048], rec[4400];
	spki_b64(rsa2048, p64, sizeof p64);
	snprintf(rec, sizeof rec, c->tmpl, p64, p64);
	struct parsed p;
	parse(&p, rec, c->want_type, NULL);
	expect_permerror(&p, c->reason, c->tmpl);
	keyrec_free(&p.k);
}
END_TEST

START_TEST(test_ec_key_in_rsa_record)
{
	char p64[512], rec[600];
	spki_b64(ec256, p64, sizeof p64);
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", p64);
	struct parsed p;
	parse(&p, rec, KEY_RSA, NULL);
	expect_permerror(&p, "key type mismatch", "EC P-256 SPKI under k=rsa");
}
END_TEST

struct flags_case {
	const char *tags;     /* before p= */
	int has_h;
	unsigned hashes;
	int testing, strict;
};

#define H1 (1u << HASH_SHA1)
#define H256 (1u << HASH_SHA256)

static const struct flags_case flags_cases[] = {
	{ "v=DKIM1;", 0, H1 | H256, 0, 0 },
	{ "v=DKIM1; h=sha1;", 1, H1, 0, 0 },
	{ "v=DKIM1; h=sha256;", 1, H256, 0, 0 },
	{ "v=DKIM1; h=sha1:sha256;", 1, H1 | H256, 0, 0 },
	{ "v=DKIM1; h = md5 : sha256 ;", 1, H256, 0, 0 },   /* unknown names ignored */
	{ "v=DKIM1; h=md5;", 1, 0, 0, 0 },                  /* nothing usable */
	{ "v=DKIM1; t=y;", 0, H1 | H256, 1, 0 },
	{ "v=DKIM1; t=s;", 0, H1 | H256, 0, 1 },
	{ "v=DKIM1; t=y:s;", 0, H1 | H256, 1, 1 },
	{ "v=DKIM1; t = s : y ;", 0, H1 | H256, 1, 1 },
	{ "v=DKIM1; t=y:n:extra;", 0, H1 | H256, 1, 0 },    /* unknown flags ignored */
	{ "v=DKIM1; t=x;", 0, H1 | H256, 0, 0 },
	{ "v=DKIM1; s=email;", 0, H1 | H256, 0, 0 },
	{ "v=DKIM1; s=*;", 0, H1 | H256, 0, 0 },
	{ "v=DKIM1; s=email:tlsrpt;", 0, H1 | H256, 0, 0 },
	{ "v=DKIM1; s=tlsrpt:*;", 0, H1 | H256, 0, 0 },
	{ "v=DKIM1; n=notes here; x1=unknown tag;", 0, H1 | H256, 0, 0 },
	{ "", 0, H1 | H256, 0, 0 },
};

START_TEST(test_flags)
{
	const struct flags_case *c = &flags_cases[_i];
	char p64[2048], rec[2300];
	spki_b64(rsa1024, p64, sizeof p64);
	snprintf(rec, sizeof rec, "%s p=%s", c->tags, p64);
	struct parsed p;
	parse(&p, rec, KEY_RSA, NULL);
	expect_ok(&p, c->tags);
	ck_assert_msg(p.k.has_h == c->has_h, "'%s': has_h %d", c->tags, p.k.has_h);
	ck_assert_msg(p.k.hashes == c->hashes, "'%s': hashes 0x%x, want 0x%x", c->tags, p.k.hashes, c->hashes);
	ck_assert_msg(p.k.testing == c->testing, "'%s': testing %d", c->tags, p.k.testing);
	ck_assert_msg(p.k.strict == c->strict, "'%s': strict %d", c->tags, p.k.strict);
	keyrec_free(&p.k);
}
END_TEST

START_TEST(test_fws_everywhere)
{
	char p64[2048], rec[4096];
	spki_b64(rsa2048, p64, sizeof p64);
	/* split p= every 10 characters with SP, HTAB or a fold */
	static const char *const seps[] = { " ", "\t", "\r\n ", "  \r\n\t" };
	size_t j = (size_t)snprintf(rec, sizeof rec, " v = DKIM1 ;\tk =\trsa ;\r\n p = ");
	for (size_t i = 0; p64[i]; i++) {
		if (i && i % 10 == 0)
			j += (size_t)snprintf(rec + j, sizeof rec - j, "%s", seps[(i / 10) % 4]);
		rec[j++] = p64[i];
	}
	snprintf(rec + j, sizeof rec - j, " ; ");
	struct parsed p;
	parse(&p, rec, KEY_RSA, NULL);
	expect_ok(&p, "FWS around '=' and inside p=");
	ck_assert(p.k.bits == 2048);
	ck_assert_msg(EVP_PKEY_eq(p.k.pkey, rsa2048) == 1, "same key");
	keyrec_free(&p.k);
}
END_TEST

START_TEST(test_min_bits)
{
	char p64[2048], rec[2200];
	struct parsed p;
	spki_b64(rsa512, p64, sizeof p64);
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", p64);
	parse(&p, rec, KEY_RSA, NULL);
	expect_permerror(&p, "key too small", "RSA 512 under the RFC 8301 minimum");
	struct keyrec_policy lax = { .min_rsa_bits = 512 };
	parse(&p, rec, KEY_RSA, &lax);
	expect_ok(&p, "RSA 512 with min 512");
	ck_assert(p.k.bits == 512);
	keyrec_free(&p.k);

	spki_b64(rsa1024, p64, sizeof p64);
	snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", p64);
	parse(&p, rec, KEY_RSA, NULL);
	expect_ok(&p, "RSA 1024 at the minimum");
	ck_assert(p.k.bits == 1024);
	keyrec_free(&p.k);
	struct keyrec_policy strict = { .min_rsa_bits = 2048 };
	parse(&p, rec, KEY_RSA, &strict);
	expect_permerror(&p, "key too small", "RSA 1024 under min 2048");

	/* PKCS#1 form obeys the same minimum */
	pkcs1_b64(rsa512, p64, sizeof p64);
	snprintf(rec, sizeof rec, "p=%s", p64);
	parse(&p, rec, KEY_RSA, NULL);
	expect_permerror(&p, "key too small", "RSA 512 PKCS#1");
}
END_TEST

/* A public key with a 9000-bit modulus (no need for a real key pair: the size check comes first). */
START_TEST(test_max_bits)
{
	BIGNUM *n = BN_new(), *e = BN_new();
	ck_assert(n && e);
	ck_assert(BN_rand(n, 9000, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD) == 1);
	ck_assert(BN_set_word(e, 65537) == 1);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	ck_assert(bld != NULL);
	ck_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1);
	ck_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *big = NULL;
	ck_assert(params && ctx && EVP_PKEY_fromdata_init(ctx) == 1);
	ck_assert(EVP_PKEY_fromdata(ctx, &big, EVP_PKEY_PUBLIC_KEY, params) == 1);
	char *p64 = malloc(4096), *rec = malloc(4200);
	ck_assert(p64 && rec);
	spki_b64(big, p64, 4096);
	snprintf(rec, 4200, "k=rsa; p=%s", p64);
	struct parsed p;
	parse(&p, rec, KEY_RSA, NULL);
	expect_permerror(&p, "key too large", "RSA 9000 bits");
	free(p64);
	free(rec);
	EVP_PKEY_free(big);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert(strcmp(keyrec_type_name(KEY_RSA), "rsa") == 0);
	ck_assert(strcmp(keyrec_type_name(KEY_ED25519), "ed25519") == 0);
}
END_TEST

START_TEST(test_keys_generated)
{
	ck_assert_msg(rsa512 && rsa1024 && rsa2048 && ed25519 && ec256, "OpenSSL generated every test key");
	ck_assert(EVP_PKEY_get_bits(rsa512) == 512 && EVP_PKEY_get_bits(rsa2048) == 2048);
}
END_TEST

Suite *keyrec_suite(void)
{
	Suite *s = suite_create("keyrec");
	TCase *tc = tcase_create("keyrec");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_test(tc, test_keys_generated);
	tcase_add_test(tc, test_rsa_spki);
	tcase_add_test(tc, test_rsa_pkcs1);
	tcase_add_test(tc, test_rsa_trailing_garbage);
	tcase_add_test(tc, test_ed25519);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, test_ec_key_in_rsa_record);
	tcase_add_loop_test(tc, test_flags, 0, (int)(sizeof flags_cases / sizeof flags_cases[0]));
	tcase_add_test(tc, test_fws_everywhere);
	tcase_add_test(tc, test_min_bits);
	tcase_add_test(tc, test_max_bits);
	tcase_add_test(tc, test_type_names);
	suite_add_tcase(s, tc);
	return s;
}
