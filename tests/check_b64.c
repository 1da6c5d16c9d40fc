/*
 * b64: RFC 4648 §10 vectors both ways, DKIM's FWS rule (RFC 6376 §2.7
 * base64string: FWS anywhere, padding included), and strictness about
 * everything else: bad characters, bad padding, data after padding, non-zero
 * trailing bits.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "suites.h"

#define S(x) x, sizeof(x) - 1

/* Printable rendering of bytes for failure messages (rotating static buffers). */
static const char *show(const char *p, size_t n)
{
	static char bufs[4][512];
	static int k;
	char *o = bufs[k++ & 3];
	size_t j = 0;
	for (size_t i = 0; i < n && j + 5 < sizeof bufs[0]; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r')
			j += (size_t)sprintf(o + j, "\\r");
		else if (c == '\n')
			j += (size_t)sprintf(o + j, "\\n");
		else if (c == '\t')
			j += (size_t)sprintf(o + j, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			j += (size_t)sprintf(o + j, "\\x%02x", c);
		else
			o[j++] = (char)c;
	}
	o[j] = '\0';
	return o;
}

struct vector {
	const char *plain;
	const char *enc;
};

/* RFC 4648 §10 */
static const struct vector vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};
#define NVECTORS (int)(sizeof vectors / sizeof vectors[0])

START_TEST(test_rfc4648_decode)
{
	const struct vector *v = &vectors[_i];
	struct buf out;
	char err[128] = "";
	buf_init(&out, 1024);
	ck_assert_msg(b64_decode(slice_cstr(v->enc), &out, err, sizeof err) == 0, "decode '%s': %s", v->enc, err);
	ck_assert_msg(out.data != NULL, "decode '%s': data NULL", v->enc);
	ck_assert_msg(out.len == strlen(v->plain) && memcmp(out.data, v->plain, out.len) == 0,
		      "decode '%s' gave '%s', want '%s'", v->enc, show(out.data, out.len), v->plain);
	buf_free(&out);
}
END_TEST

START_TEST(test_rfc4648_encode)
{
	const struct vector *v = &vectors[_i];
	struct buf out;
	buf_init(&out, 1024);
	ck_assert(buf_append_str(&out, ">") == 0);
	ck_assert_msg(b64_encode((const unsigned char *)v->plain, strlen(v->plain), &out) == 0, "encode '%s'",
		      v->plain);
	ck_assert_msg(out.len == 1 + strlen(v->enc) && strcmp(out.data + 1, v->enc) == 0,
		      "encode '%s' appended '%s', want '%s'", v->plain, out.data + 1, v->enc);
	buf_free(&out);

	char fixed[16];
	size_t need = strlen(v->enc) + 1;
	ck_assert_msg(b64_encode_to((const unsigned char *)v->plain, strlen(v->plain), fixed, need) == 0,
		      "encode_to '%s' into exactly %zu bytes", v->plain, need);
	ck_assert_msg(strcmp(fixed, v->enc) == 0, "encode_to gave '%s'", fixed);
	if (need > 1)
		ck_assert_msg(b64_encode_to((const unsigned char *)v->plain, strlen(v->plain), fixed,
					    need - 1) == -1,
			      "encode_to '%s' into %zu bytes (no room for the NUL) must fail", v->plain, need - 1);
}
END_TEST

struct good {
	const char *text;
	size_t len;
	const char *plain;
	size_t plainlen;
};

/* Valid base64string values with FWS in every position RFC 6376 §2.7 allows. */
static const struct good good[] = {
	{ S("Zm9v YmFy"), S("foobar") },
	{ S("Z m 9 v Y m F y"), S("foobar") },
	{ S("Zm9v\tYmFy"), S("foobar") },
	{ S("Zm9v\r\n YmFy"), S("foobar") },
	{ S("Zm9v\r\n\tYm\r\n Fy"), S("foobar") },
	{ S("  Zm9vYmFy  "), S("foobar") },
	{ S("\r\n Zm9vYmFy\r\n "), S("foobar") },
	{ S("Zm9vYg= ="), S("foob") },
	{ S("Zm9vYg=\r\n ="), S("foob") },
	{ S("Zm9vYg\t=\t="), S("foob") },
	{ S("Zm9vYmE =  "), S("fooba") },
	{ S("Zg=="), S("f") },
	{ S("ZgA="), S("f\0") },
	{ S("AAAA"), S("\0\0\0") },
	{ S("/+/+"), S("\xff\xef\xfe") },
	{ S("+/+/"), S("\xfb\xff\xbf") },
	{ S(""), S("") },
	{ S("   "), S("") },
	{ S("\r\n \t"), S("") },
};

START_TEST(test_decode_fws)
{
	const struct good *g = &good[_i];
	struct buf out;
	char err[128] = "";
	buf_init(&out, 1024);
	ck_assert(buf_append_str(&out, "previous content") == 0);
	ck_assert_msg(b64_decode(slice_make(g->text, g->len), &out, err, sizeof err) == 0, "decode '%s': %s",
		      show(g->text, g->len), err);
	ck_assert_msg(out.data != NULL, "decode '%s': data must not be NULL", show(g->text, g->len));
	ck_assert_msg(out.len == g->plainlen && memcmp(out.data, g->plain, g->plainlen) == 0,
		      "decode '%s' gave '%s', want '%s' (out must be replaced, not appended)",
		      show(g->text, g->len), show(out.data, out.len), show(g->plain, g->plainlen));
	ck_assert_msg(out.data[out.len] == '\0', "NUL-terminated");
	buf_free(&out);
}
END_TEST

struct bad {
	const char *text;
	size_t len;
	const char *why; /* substring of the reason */
};

static const struct bad bad[] = {
	/* characters outside the alphabet (RFC 4648 §3.3) */
	{ S("Zm9v!A=="), "invalid base64 character" },
	{ S("Zm-v"), "invalid base64 character" },   /* base64url */
	{ S("Zm_v"), "invalid base64 character" },   /* base64url */
	{ S("Zm9v.YmFy"), "invalid base64 character" },
	{ S("Zm9v\0YmFy"), "invalid base64 character" },
	{ S("Zm9v\xc3\xa9"), "invalid base64 character" },
	{ S("Zm9v\vYmFy"), "invalid base64 character" }, /* VT is not FWS */
	{ S("Zm9v;"), "invalid base64 character" },
	/* length and padding */
	{ S("Z"), "padding" },
	{ S("Zg"), "padding" },
	{ S("Zg="), "padding" },
	{ S("Zm9"), "padding" },
	{ S("Zm9vY"), "padding" },
	{ S("Zm8=="), "padding" },
	{ S("Z==="), "padding" },
	{ S("===="), "padding" },
	{ S("="), "padding" },
	{ S("=="), "padding" },
	{ S("Zm9v=="), "padding" },
	{ S("Zm9v===="), "padding" },
	/* data after padding */
	{ S("Zg==Zg=="), "after" },
	{ S("Zm8=Zm9v"), "after" },
	{ S("Zg=g"), "after" },
	{ S("Z=g="), "after" },
	{ S("=Zg="), "after" },
	{ S("Zg= = Zm9v"), "after" },
	/* non-zero trailing bits (RFC 4648 §3.5: a decoder MAY reject; DKIM values are canonical) */
	{ S("Zh=="), "trailing bits" },
	{ S("Zm=="), "trailing bits" },
	{ S("Zm9="), "trailing bits" },
	{ S("Zm9vYmF="), "trailing bits" },
	{ S("AB=="), "trailing bits" },
	{ S("AAB="), "trailing bits" },
};

START_TEST(test_decode_bad)
{
	const struct bad *b = &bad[_i];
	struct buf out;
	char err[128] = "";
	buf_init(&out, 1024);
	ck_assert_msg(b64_decode(slice_make(b->text, b->len), &out, err, sizeof err) == -1,
		      "'%s' must be rejected (decoded to '%s')", show(b->text, b->len), show(out.data, out.len));
	ck_assert_msg(strstr(err, b->why) != NULL, "'%s': reason '%s' should mention '%s'",
		      show(b->text, b->len), err, b->why);
	buf_free(&out);
}
END_TEST

/* Every byte value as the fourth digit of "AAA?": the 64 of the alphabet decode to their index,
 * '=' pads, FWS leaves three digits (a length error), and every other byte is refused. */
START_TEST(test_every_byte_value)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf out;
	buf_init(&out, 16);
	for (int c = 0; c < 256; c++) {
		char text[4] = { 'A', 'A', 'A', (char)c }, err[128] = "";
		int rc = b64_decode(slice_make(text, 4), &out, err, sizeof err);
		const char *at = c ? strchr(alphabet, c) : NULL;
		if (at) {
			ck_assert_msg(rc == 0 && out.len == 3 && (unsigned char)out.data[2] == (unsigned)(at - alphabet),
				      "byte %d is digit %d", c, (int)(at - alphabet));
		} else if (c == '=') {
			ck_assert_msg(rc == 0 && out.len == 2, "'=' pads");
		} else {
			ck_assert_msg(rc == -1 && err[0], "byte %d is refused", c);
		}
	}
	buf_free(&out);
}
END_TEST

START_TEST(test_decode_cap)
{
	/* the output buffer's cap is respected: 6 bytes do not fit in 5 */
	struct buf out;
	char err[128] = "";
	buf_init(&out, 5);
	ck_assert_msg(b64_decode(slice_cstr("Zm9vYmFy"), &out, err, sizeof err) == -1, "6 bytes into cap 5");
	ck_assert_msg(err[0] != '\0', "a reason is given");
	ck_assert_msg(!out.nomem, "a value past the cap is the text's fault, not memory's");
	ck_assert_msg(b64_decode(slice_cstr("Zm9vYmE="), &out, err, sizeof err) == 0, "5 bytes into cap 5: %s",
		      err);
	ck_assert(out.len == 5 && memcmp(out.data, "fooba", 5) == 0);
	/* FWS counts toward the text, not the output: 40 characters of which 8 decode to 5 bytes */
	ck_assert_msg(b64_decode(slice_cstr("Zm9v \r\n\t                         YmE=   "), &out, err,
				 sizeof err) == 0, "folded 5 bytes into cap 5: %s", err);
	ck_assert(out.len == 5 && memcmp(out.data, "fooba", 5) == 0 && out.data[5] == '\0');
	ck_assert_msg(b64_decode(slice_cstr(""), &out, err, sizeof err) == 0 && out.len == 0 && out.data &&
		      out.data[0] == '\0', "empty text is an empty, terminated value");
	buf_free(&out);
}
END_TEST

/* Encode then decode pseudo-random data of every length 0..200 (fixed seed), with FWS inserted. */
START_TEST(test_round_trip)
{
	unsigned seed = 12345;
	for (size_t len = 0; len <= 200; len++) {
		unsigned char data[200];
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			data[i] = (unsigned char)(seed >> 16);
		}
		struct buf enc, folded, dec;
		char err[128] = "";
		buf_init(&enc, 4096);
		buf_init(&folded, 8192);
		buf_init(&dec, 4096);
		ck_assert(b64_encode(data, len, &enc) == 0);
		ck_assert_msg(enc.len == (len + 2) / 3 * 4, "encoded length %zu for %zu bytes", enc.len, len);
		ck_assert_msg(enc.len == 0 || enc.data[enc.len] == '\0', "encoded text NUL-terminated");
		for (size_t i = 0; i < enc.len; i++)
			ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
					     enc.data[i]) != NULL,
				      "bad output char");
		/* fold the text as a DKIM record would be folded */
		for (size_t i = 0; i < enc.len; i++) {
			if (i % 7 == 3)
				ck_assert(buf_append_str(&folded, "\r\n\t") == 0);
			ck_assert(buf_append_byte(&folded, enc.data[i]) == 0);
		}
		struct slice plain = slice_make(enc.data ? enc.data : "", enc.len);
		ck_assert_msg(b64_decode(plain, &dec, err, sizeof err) == 0, "len %zu: %s", len, err);
		ck_assert_msg(dec.len == len && (len == 0 || memcmp(dec.data, data, len) == 0), "round trip len %zu",
			      len);
		struct slice f = slice_make(folded.data ? folded.data : "", folded.len);
		ck_assert_msg(b64_decode(f, &dec, err, sizeof err) == 0, "folded len %zu: %s", len, err);
		ck_assert_msg(dec.len == len && (len == 0 || memcmp(dec.data, data, len) == 0),
			      "folded round trip len %zu", len);
		buf_free(&enc);
		buf_free(&folded);
		buf_free(&dec);
	}
}
END_TEST

Suite *b64_suite(void)
{
	Suite *s = suite_create("b64");
	TCase *tc = tcase_create("b64");
	tcase_add_loop_test(tc, test_rfc4648_decode, 0, NVECTORS);
	tcase_add_loop_test(tc, test_rfc4648_encode, 0, NVECTORS);
	tcase_add_loop_test(tc, test_decode_fws, 0, (int)(sizeof good / sizeof good[0]));
	tcase_add_loop_test(tc, test_decode_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_decode_cap);
	tcase_add_test(tc, test_every_byte_value);
	tcase_add_test(tc, test_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
