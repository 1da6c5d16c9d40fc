/* der: an RSA public key in minimal DER (X.690 §8.1, §10.1; RFC 5280 §4.1.2.7; RFC 8017 Appendix A.1). */
#include "der.h"

#include <string.h>

enum { DER_INTEGER = 0x02, DER_BIT_STRING = 0x03, DER_SEQUENCE = 0x30 };

/* rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters: the AlgorithmIdentifier, whole. */
static const unsigned char rsa_alg[] = { DER_SEQUENCE, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
/* RFC 8410 §4: SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING (no unused bits) of the 32-byte key }. */
static const unsigned char ed25519_prefix[] = { DER_SEQUENCE, 0x2a, DER_SEQUENCE, 0x05, 0x06, 0x03, 0x2b, 0x65,
						0x70, DER_BIT_STRING, 0x21, 0x00 };

/* X.690 §8.1.3, §10.1: a definite length in its shortest form, at most two octets long. */
static int take_length(struct der_bytes *d, size_t *len)
{
	if (d->len < 1)
		return -1;
	size_t first = d->p[0], n = first & 0x7f;
	if (!(first & 0x80)) {
		*len = first;
		d->p++, d->len--;
		return 0;
	}
	if (n == 0 || n > 2 || d->len < 1 + n)
		return -1;
	*len = n == 1 ? d->p[1] : (size_t)d->p[1] << 8 | d->p[2];
	if (*len < 0x80 || (n == 2 && *len < 0x100))
		return -1;   /* a shorter form exists */
	d->p += 1 + n, d->len -= 1 + n;
	return 0;
}

/* One element with this tag: its contents in *c, and d moves past it. 0, or -1. */
static int take(struct der_bytes *d, unsigned char tag, struct der_bytes *c)
{
	struct der_bytes r = *d;
	size_t len;
	if (r.len < 1 || r.p[0] != tag)
		return -1;
	r.p++, r.len--;
	if (take_length(&r, &len) < 0 || r.len < len)
		return -1;
	c->p = r.p;
	c->len = len;
	d->p = r.p + len;
	d->len = r.len - len;
	return 0;
}

/* X.690 §8.3: a positive INTEGER in its shortest form; *mag gets it without the sign octet. */
static int take_positive(struct der_bytes *d, struct der_bytes *mag)
{
	if (take(d, DER_INTEGER, mag) < 0 || mag->len == 0 || (mag->p[0] & 0x80))
		return -1;
	if (mag->p[0] == 0) {
		if (mag->len < 2 || !(mag->p[1] & 0x80))
			return -1;   /* zero, or a superfluous leading zero */
		mag->p++, mag->len--;
	}
	return 0;
}

/* RFC 8017 Appendix A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
static int rsa_public_key(struct der_bytes d, struct der_rsa *out)
{
	struct der_bytes seq;
	if (take(&d, DER_SEQUENCE, &seq) < 0 || d.len != 0)
		return -1;
	if (take_positive(&seq, &out->n) < 0 || take_positive(&seq, &out->e) < 0 || seq.len != 0)
		return -1;
	return 0;
}

/* RFC 5280 §4.1.2.7: SEQUENCE { AlgorithmIdentifier, BIT STRING holding the RSAPublicKey }. */
static int spki(struct der_bytes d, struct der_rsa *out)
{
	struct der_bytes seq, alg, bits;
	if (take(&d, DER_SEQUENCE, &seq) < 0 || d.len != 0 || take(&seq, DER_SEQUENCE, &alg) < 0 ||
	    alg.len != sizeof rsa_alg - 2 || memcmp(alg.p, rsa_alg + 2, sizeof rsa_alg - 2) != 0 ||
	    take(&seq, DER_BIT_STRING, &bits) < 0 || seq.len != 0 || bits.len < 1 || bits.p[0] != 0)
		return -1;   /* the BIT STRING's first octet counts unused bits: none */
	bits.p++, bits.len--;
	return rsa_public_key(bits, out);
}

int der_rsa_public(const unsigned char *der, size_t len, struct der_rsa *out)
{
	struct der_bytes d = { der, len };
	memset(out, 0, sizeof *out);
	if (spki(d, out) == 0)
		return 0;
	if (rsa_public_key(d, out) == 0) {
		out->pkcs1 = 1;
		return 0;
	}
	memset(out, 0, sizeof *out);
	return -1;
}

/* X.690 §8.1.3: the shortest length octets for len (below 64 KiB) into out; how many. */
static size_t put_length(size_t len, unsigned char *out)
{
	if (len < 0x80) {
		out[0] = (unsigned char)len;
		return 1;
	}
	if (len < 0x100) {
		out[0] = 0x81;
		out[1] = (unsigned char)len;
		return 2;
	}
	out[0] = 0x82;
	out[1] = (unsigned char)(len >> 8);
	out[2] = (unsigned char)len;
	return 3;
}

int der_spki_rsa(const unsigned char *rsa_public_key, size_t len, struct buf *out)
{
	if (len >= 60000)
		return -1;
	unsigned char bitlen[3], outer[3];
	size_t bitlen_n = put_length(len + 1, bitlen);
	size_t outer_n = put_length(sizeof rsa_alg + 1 + bitlen_n + len + 1, outer);
	if (buf_append_byte(out, DER_SEQUENCE) < 0 || buf_append(out, outer, outer_n) < 0 ||
	    buf_append(out, rsa_alg, sizeof rsa_alg) < 0 || buf_append_byte(out, DER_BIT_STRING) < 0 ||
	    buf_append(out, bitlen, bitlen_n) < 0 || buf_append_byte(out, 0) < 0 ||   /* no unused bits */
	    buf_append(out, rsa_public_key, len) < 0)
		return -1;
	return 0;
}

int der_spki_ed25519(const unsigned char *key, size_t len, struct buf *out)
{
	if (buf_append(out, ed25519_prefix, sizeof ed25519_prefix) < 0 || buf_append(out, key, len) < 0)
		return -1;
	return 0;
}
