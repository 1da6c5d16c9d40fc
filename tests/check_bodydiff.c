/*
 * bodydiff: the body change between two copies, classified with its byte
 * counts, and the canonical bodies compared through their SHA-256 digests
 * (RFC 6376 §3.4.3, §3.4.4): appended, truncated, line ends, white space,
 * re-encoded (decoded and compared), changed at a byte and line; and message
 * text shown escaped.
 */
#include <check.h>
#include <string.h>

#include "bodydiff.h"
#include "suites.h"

struct side {
	struct msg msg;
	struct buf body;
	unsigned char simple[HASH_MAX_DIGEST], relaxed[HASH_MAX_DIGEST];
	struct bodydiff_side view;
};

static void digest(enum canon_alg c, const struct buf *b, unsigned char *out)
{
	struct body_hash *bh = hash_body_new(c, HASH_SHA256, HASH_NO_LIMIT, 0);
	ck_assert_ptr_nonnull(bh);
	hash_body_feed(bh, b->data ? b->data : "", b->len);
	hash_body_finish(bh, "", 0);
	memcpy(out, bh->digest, bh->digest_len);
	hash_body_free(bh);
}

static void side_init(struct side *s, const char *header, const char *body, size_t len)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->msg.header, 1 << 16);
	buf_append_str(&s->msg.header, header);
	char err[200];
	ck_assert_msg(msg_parse_fields(&s->msg, err, sizeof err) == 0, "%s", err);
	buf_init(&s->body, 1 << 20);
	buf_append(&s->body, body, len);
	digest(CANON_SIMPLE, &s->body, s->simple);
	digest(CANON_RELAXED, &s->body, s->relaxed);
	s->view = (struct bodydiff_side){ &s->body, &s->msg, s->simple, s->relaxed };
}

static void side_free(struct side *s)
{
	msg_close(&s->msg);
	buf_free(&s->body);
}

static void classify(const char *hs, const char *bs, const char *hr, const char *br, struct body_diff *bd)
{
	struct side s, r;
	side_init(&s, hs, bs, strlen(bs));
	side_init(&r, hr, br, strlen(br));
	bodydiff_classify(bd, &s.view, &r.view);
	side_free(&s);
	side_free(&r);
}

#define H "From: a\r\n"

START_TEST(test_identical)
{
	struct body_diff bd;
	classify(H, "x\r\n", H, "x\r\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_IDENTICAL);
	ck_assert(bd.simple_equal && bd.relaxed_equal);
	ck_assert_str_eq(bodydiff_kind_name(bd.kind), "identical");
}
END_TEST

START_TEST(test_appended)
{
	struct body_diff bd;
	classify(H, "hello\r\n", H, "hello\r\n-- \r\nfooter\r\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_APPENDED);
	ck_assert_uint_eq(bd.appended, 13);
	ck_assert_uint_eq(bd.first_difference, 7);
	ck_assert_uint_eq(bd.first_line, 2);
	ck_assert(!bd.simple_equal && !bd.relaxed_equal);
	ck_assert_str_eq(bd.summary, "13 bytes appended");
	ck_assert_ptr_nonnull(strstr(bd.detail, "starting \"-- \""));
	/* empty lines only: no canonical body changes */
	classify(H, "hello\r\n", H, "hello\r\n\r\n\r\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_APPENDED);
	ck_assert(bd.simple_equal && bd.relaxed_equal);
}
END_TEST

START_TEST(test_truncated_line_ends_whitespace)
{
	struct body_diff bd;
	classify(H, "one\r\ntwo\r\n", H, "one\r\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_TRUNCATED);
	ck_assert_uint_eq(bd.truncated, 5);
	classify(H, "one\r\ntwo\r\n", H, "one\ntwo\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_LINE_ENDS);
	classify(H, "a  b\r\n", H, "a b \r\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_WHITESPACE);
	ck_assert(!bd.simple_equal && bd.relaxed_equal);
}
END_TEST

START_TEST(test_re_encoded)
{
	struct body_diff bd;
	classify("Content-Transfer-Encoding: quoted-printable\r\n", "caf=C3=A9\r\n",
		 "Content-Transfer-Encoding: base64\r\n", "Y2Fmw6kNCg==\r\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_RE_ENCODED);
	ck_assert_int_eq(bd.decoded, BODYDIFF_DECODED_SAME);
	ck_assert_str_eq(bodydiff_decoded_name(bd.decoded), "identical");
	ck_assert_str_eq(bd.summary, "re-encoded from quoted-printable to base64");
	classify("Content-Transfer-Encoding: quoted-printable\r\n", "caf=C3=A9\r\n",
		 "Content-Transfer-Encoding: base64\r\n", "b3RoZXI=\r\n", &bd);
	ck_assert_int_eq(bd.decoded, BODYDIFF_DECODED_DIFFERENT);
	ck_assert_ptr_null(bodydiff_decoded_name(BODYDIFF_NOT_DECODED));
}
END_TEST

START_TEST(test_changed)
{
	struct body_diff bd;
	classify(H, "line one\r\nmeet on Tuesday\r\n", H, "line one\r\nmeet on Thursday\r\n", &bd);
	ck_assert_int_eq(bd.kind, BODYDIFF_CHANGED);
	ck_assert_uint_eq(bd.first_difference, 19);
	ck_assert_uint_eq(bd.first_line, 2);
	ck_assert_str_eq(bd.summary, "changed from byte 19, line 2");
}
END_TEST

START_TEST(test_no_digests)
{
	struct side s, r;
	side_init(&s, H, "x\r\n", 3);
	side_init(&r, H, "x \r\n", 4);
	s.view.simple_digest = s.view.relaxed_digest = NULL;   /* could not be computed: never "equal" */
	struct body_diff bd;
	bodydiff_classify(&bd, &s.view, &r.view);
	ck_assert(!bd.simple_equal && !bd.relaxed_equal);
	side_free(&s);
	side_free(&r);
}
END_TEST

START_TEST(test_show)
{
	struct buf out;
	buf_init(&out, 1024);
	bodydiff_show(&out, "a\x1b[31m\r\n\tb\xff", 11, 100, 1);
	ck_assert_str_eq(out.data, "a\\x1b[31m\\r\\n\\tb\\xff");
	buf_reset(&out);
	bodydiff_show(&out, "folded\r\n value", 14, 100, 0);
	ck_assert_str_eq(out.data, "folded value");
	buf_reset(&out);
	bodydiff_show(&out, "abcdef", 6, 3, 0);
	ck_assert_str_eq(out.data, "abc...");
	buf_free(&out);
}
END_TEST

Suite *bodydiff_suite(void)
{
	Suite *s = suite_create("bodydiff");
	TCase *tc = tcase_create("classify");
	tcase_add_test(tc, test_identical);
	tcase_add_test(tc, test_appended);
	tcase_add_test(tc, test_truncated_line_ends_whitespace);
	tcase_add_test(tc, test_re_encoded);
	tcase_add_test(tc, test_changed);
	tcase_add_test(tc, test_no_digests);
	tcase_add_test(tc, test_show);
	suite_add_tcase(s, tc);
	return s;
}
