/*
 * mime: RFC 2045 §6.1 Content-Transfer-Encoding tokens, multipart detection,
 * quoted-printable (§6.7: =XX, soft line breaks, transport white space, a
 * stray "=" kept) and base64 (§6.8) decoding, and unknown encodings refused.
 */
#include <check.h>
#include <string.h>

#include "mime.h"
#include "suites.h"

static void parse_header(struct msg *m, const char *text)
{
	memset(m, 0, sizeof *m);
	buf_init(&m->header, 1 << 16);
	buf_append_str(&m->header, text);
	char err[200];
	ck_assert_msg(msg_parse_fields(m, err, sizeof err) == 0, "%s", err);
}

struct cte_case {
	const char *header;
	const char *want;
};

static const struct cte_case cte_cases[] = {
	{ "From: a\r\n", "7bit" },
	{ "Content-Transfer-Encoding: Quoted-Printable\r\n", "quoted-printable" },
	{ "Content-Transfer-Encoding:  BASE64 (comment)\r\n", "base64" },
	{ "Content-Transfer-Encoding: 8bit;x\r\n", "8bit" },
	/* the bottom-most field decides */
	{ "Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 7bit\r\n", "7bit" },
};

START_TEST(test_transfer_encoding)
{
	struct msg m;
	parse_header(&m, cte_cases[_i].header);
	char cte[40];
	mime_transfer_encoding(&m, cte, sizeof cte);
	ck_assert_str_eq(cte, cte_cases[_i].want);
	msg_close(&m);
}
END_TEST

START_TEST(test_multipart)
{
	struct msg m;
	parse_header(&m, "Content-Type: Multipart/Mixed; boundary=x\r\n");
	ck_assert(mime_is_multipart(&m));
	msg_close(&m);
	parse_header(&m, "Content-Type: text/plain\r\n");
	ck_assert(!mime_is_multipart(&m));
	msg_close(&m);
	parse_header(&m, "From: a\r\n");
	ck_assert(!mime_is_multipart(&m));
	msg_close(&m);
}
END_TEST

struct qp_case {
	const char *in, *out;
};

static const struct qp_case qp_cases[] = {
	{ "caf=C3=A9", "caf\xc3\xa9" },
	{ "soft=\r\nbreak", "softbreak" },
	{ "soft=  \r\nbreak", "softbreak" },          /* white space after the "=" too */
	{ "trailing   \r\nnext", "trailing\r\nnext" }, /* rule 3: transport white space goes */
	{ "inner  space", "inner  space" },
	{ "a stray = stays", "a stray = stays" },
	{ "=4", "=4" },                                /* not two hex digits: kept */
	{ "=zz", "=zz" },
	{ "end=", "end" },                             /* a soft break at the very end */
	{ "lf=\nonly", "lfonly" },
};

START_TEST(test_qp)
{
	struct buf out;
	buf_init(&out, 1024);
	ck_assert_int_eq(mime_qp_decode(qp_cases[_i].in, strlen(qp_cases[_i].in), &out), 0);
	ck_assert_msg(out.len == strlen(qp_cases[_i].out) && memcmp(out.data ? out.data : "", qp_cases[_i].out, out.len) == 0,
		      "case %d: '%s'", _i, out.data ? out.data : "");
	buf_free(&out);
}
END_TEST

START_TEST(test_decode)
{
	struct buf out;
	buf_init(&out, 1024);
	ck_assert_int_eq(mime_decode("base64", slice_cstr("aGVs\r\nbG8="), &out), 0);
	ck_assert_str_eq(out.data, "hello");
	buf_reset(&out);
	ck_assert_int_eq(mime_decode("7bit", slice_cstr("as is\r\n"), &out), 0);
	ck_assert_str_eq(out.data, "as is\r\n");
	buf_reset(&out);
	ck_assert_int_eq(mime_decode("x-uuencode", slice_cstr("begin"), &out), -1);
	ck_assert_int_eq(mime_decode("base64", slice_cstr("!!!"), &out), -1);
	buf_free(&out);
	/* a bounded output: decoding past the cap fails instead of growing */
	buf_init(&out, 3);
	ck_assert_int_eq(mime_qp_decode("abcdef", 6, &out), -1);
	buf_free(&out);
}
END_TEST

Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("rfc2045");
	tcase_add_loop_test(tc, test_transfer_encoding, 0, sizeof cte_cases / sizeof cte_cases[0]);
	tcase_add_test(tc, test_multipart);
	tcase_add_loop_test(tc, test_qp, 0, sizeof qp_cases / sizeof qp_cases[0]);
	tcase_add_test(tc, test_decode);
	suite_add_tcase(s, tc);
	return s;
}
