/*
 * fuzz-der: RSA public keys in DER, differentially. What der_rsa_public
 * accepts, OpenSSL's decoders (the path keyrec takes for everything else)
 * must accept too, as the same form, with the same modulus and exponent; and
 * keyrec's decode of a record holding the input as p= must give the key
 * OpenSSL gives.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "b64.h"
#include "der.h"
#include "fuzz.h"
#include "keyrec.h"

/* The input as OpenSSL reads it, exactly len bytes long, in the form der.h said. */
static EVP_PKEY *openssl_decode(const uint8_t *data, size_t size, int pkcs1)
{
	const unsigned char *p = data;
	EVP_PKEY *k = pkcs1 ? d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)size) : d2i_PUBKEY(NULL, &p, (long)size);
	if (k && p != data + size) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

static int same_number(EVP_PKEY *k, const char *param, struct der_bytes got)
{
	BIGNUM *want = NULL, *have = BN_bin2bn(got.p, (int)got.len, NULL);
	int same = EVP_PKEY_get_bn_param(k, param, &want) == 1 && have && BN_cmp(want, have) == 0;
	BN_free(want);
	BN_free(have);
	return same;
}

/* keyrec_decode of "k=rsa; p=BASE64(input)" holds the key OpenSSL decoded. */
static void check_keyrec(const uint8_t *data, size_t size, EVP_PKEY *want)
{
	struct buf text;
	buf_init(&text, 8192);   /* a cap: 4096 octets in base64 and the tags fit */
	buf_append_str(&text, "v=DKIM1; k=rsa; p=");
	FUZZ_CHECK(b64_encode(data, size, &text) == 0, "encode");
	struct keyrec k;
	if (keyrec_decode(text.data, text.len, &k) == 0)
		FUZZ_CHECK(EVP_PKEY_eq(k.pkey, want) == 1, "keyrec holds the key OpenSSL decodes");
	keyrec_free(&k);
	buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct der_rsa r;
	if (size > 4096 || der_rsa_public(data, size, &r) != 0) {
		FUZZ_CHECK(size > 4096 || (r.n.p == NULL && r.e.p == NULL), "a refusal holds nothing");
		return 0;
	}
	FUZZ_CHECK(r.n.p >= data && r.n.p + r.n.len <= data + size, "n inside the input");
	FUZZ_CHECK(r.e.p >= data && r.e.p + r.e.len <= data + size, "e inside the input");
	FUZZ_CHECK(r.n.len && r.n.p[0] && r.e.len && r.e.p[0], "magnitudes without leading zeros");
	EVP_PKEY *k = openssl_decode(data, size, r.pkcs1);
	FUZZ_CHECK(k != NULL, "OpenSSL reads what der.h reads, in the same form");
	FUZZ_CHECK(EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA, "an RSA key");
	FUZZ_CHECK(same_number(k, "n", r.n) && same_number(k, "e", r.e), "the same modulus and exponent");
	check_keyrec(data, size, k);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return 0;
}
