/*
 * hdrdiff: header fields of two copies paired by name and occurrence from the
 * bottom (hops prepend), changes told apart as white space only (relaxed,
 * RFC 6376 §3.4.2) or content, and the role of each field.
 */
#include <check.h>
#include <string.h>

#include "hdrdiff.h"
#include "suites.h"

static void parse_header(struct msg *m, const char *text)
{
	memset(m, 0, sizeof *m);
	buf_init(&m->header, 1 << 16);
	buf_append_str(&m->header, text);
	char err[200];
	ck_assert_msg(msg_parse_fields(m, err, sizeof err) == 0, "%s", err);
}

/* A hop prepended a Received; the lowest Received changed in white space only; Subject changed. */
START_TEST(test_align)
{
	struct msg s, r;
	parse_header(&s, "Received: by hop1\r\nReceived: by origin\r\nSubject: hello\r\nFrom: a\r\n");
	parse_header(&r, "Received: by hop2\r\nReceived: by hop1\r\nReceived:  by\r\n origin\r\nSubject: [list] hello\r\n"
			 "From: a\r\n");
	struct header_diff d;
	ck_assert_int_eq(hdrdiff_align(&s, &r, &d), 0);
	ck_assert_uint_eq(d.added, 1);
	ck_assert_uint_eq(d.removed, 0);
	ck_assert_uint_eq(d.changed, 2);
	ck_assert_uint_eq(d.whitespace_only, 1);
	ck_assert_int_eq(d.recv_partner[0], -1);        /* the top Received is the new one */
	ck_assert_int_eq(d.recv_partner[1], 0);
	ck_assert_int_eq(d.recv_partner[2], 1);
	ck_assert_uint_eq(d.recv_from_bottom[2], 1);
	ck_assert_uint_eq(d.recv_from_bottom[0], 3);
	ck_assert_int_eq(d.sent_partner[2], 3);         /* Subject */
	ck_assert_int_eq(hdrdiff_compare(s.fields[1].raw, r.fields[2].raw), HDRDIFF_WHITESPACE);
	ck_assert_int_eq(hdrdiff_compare(s.fields[2].raw, r.fields[3].raw), HDRDIFF_CONTENT);
	ck_assert_int_eq(hdrdiff_compare(s.fields[3].raw, r.fields[4].raw), HDRDIFF_SAME);
	hdrdiff_free(&d);
	msg_close(&s);
	msg_close(&r);
}
END_TEST

/* A field removed, names compared case-insensitively, and the empty header. */
START_TEST(test_removed_and_case)
{
	struct msg s, r;
	parse_header(&s, "DKIM-Signature: v=1\r\nfrom: a\r\n");
	parse_header(&r, "From: a\r\n");
	struct header_diff d;
	ck_assert_int_eq(hdrdiff_align(&s, &r, &d), 0);
	ck_assert_uint_eq(d.removed, 1);
	ck_assert_int_eq(d.sent_partner[0], -1);
	ck_assert_int_eq(d.sent_partner[1], 0);
	ck_assert_uint_eq(d.changed, 1);                /* name case only: relaxed-equal */
	ck_assert_uint_eq(d.whitespace_only, 1);
	hdrdiff_free(&d);
	msg_close(&s);
	msg_close(&r);
	parse_header(&s, "");
	parse_header(&r, "");
	ck_assert_int_eq(hdrdiff_align(&s, &r, &d), 0);
	ck_assert_uint_eq(d.added + d.removed + d.changed, 0);
	hdrdiff_free(&d);
	msg_close(&s);
	msg_close(&r);
}
END_TEST

START_TEST(test_canon_equal)
{
	ck_assert(hdrdiff_canon_equal(CANON_RELAXED, slice_cstr("To: Bob <b@x>"), slice_cstr("to:Bob\r\n <b@x>")));
	ck_assert(!hdrdiff_canon_equal(CANON_SIMPLE, slice_cstr("To: Bob <b@x>"), slice_cstr("to:Bob\r\n <b@x>")));
	ck_assert(hdrdiff_same_bytes(slice_cstr("a"), slice_cstr("a")));
	ck_assert(!hdrdiff_same_bytes(slice_cstr("a"), slice_cstr("a ")));
}
END_TEST

struct role_case {
	const char *field, *role;
};

static const struct role_case roles[] = {
	{ "Received: x", "trace" }, { "Return-Path: <a>", "trace" }, { "Authentication-Results: x; none", "authentication-results" },
	{ "ARC-Seal: i=1", "arc" }, { "DKIM-Signature: v=1", "dkim-signature" }, { "List-Id: <l>", "list" },
	{ "Resent-From: a", "resent" }, { "Subject: x", "other" }, { " folded junk", "other" },
};

START_TEST(test_roles)
{
	struct msg m;
	char text[200];
	snprintf(text, sizeof text, "%s\r\n", roles[_i].field);
	parse_header(&m, text);
	ck_assert_uint_ge(m.nfields, 1);
	ck_assert_str_eq(hdrdiff_role(&m.fields[0]), roles[_i].role);
	msg_close(&m);
}
END_TEST

Suite *hdrdiff_suite(void)
{
	Suite *s = suite_create("hdrdiff");
	TCase *tc = tcase_create("align");
	tcase_add_test(tc, test_align);
	tcase_add_test(tc, test_removed_and_case);
	tcase_add_test(tc, test_canon_equal);
	tcase_add_loop_test(tc, test_roles, 0, sizeof roles / sizeof roles[0]);
	suite_add_tcase(s, tc);
	return s;
}
