/*
 * change: one voice for "does this change explain that failure": the body
 * changed under the signature's canonicalization (RFC 6376 §3.7), signed
 * fields changed (§5.4), the signature field itself changed; labels for
 * --compare, sentences for the diagnosis; the fields a signature selects that
 * lie above it. Signatures from fixtures (dkimpy, testdata/README.md).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "runmsg.h"
#include "suites.h"

#define NOW 1764003600

static char *fixture_path(const char *rel)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), rel);
	return path;
}

START_TEST(test_list_unique)
{
	struct change c;
	change_init(&c);
	ck_assert_str_eq(change_list_text(&c.causes), "");
	change_list_add(&c.causes, "%s changed", "Subject");
	change_list_add(&c.causes, "%s added", "List-Id");
	change_list_add(&c.causes, "%s changed", "Subject");
	ck_assert_uint_eq(c.causes.count, 2);
	ck_assert_str_eq(change_list_text(&c.causes), "Subject changed, List-Id added");
	change_free(&c);
}
END_TEST

/* A relaxed body hash that fails, against a change that alters the relaxed body. */
START_TEST(test_body_explains)
{
	struct runmsg m;
	runmsg_start(&m, fixture_path("forensics/prefix-footer-relaxed.eml"), NULL, 0, NOW, NULL);
	const struct dkim_sig *s = &m.r->dkim[0];
	ck_assert_int_eq(s->body_ok, 0);
	struct change c;
	change_init(&c);
	c.relaxed_changed = 1;
	snprintf(c.body_summary, sizeof c.body_summary, "59 bytes appended");
	struct buf out;
	buf_init(&out, 1 << 16);
	ck_assert_int_eq(change_explain_failure(&c, s, &out), 1);
	ck_assert_str_eq(out.data, "explained: the body was changed (59 bytes appended); bh= is the hash of the relaxed "
				   "canonicalized body (RFC 6376 §3.7), which the change alters.");
	buf_reset(&out);
	c.labels = 0;
	ck_assert_int_eq(change_explain_failure(&c, s, &out), 1);
	ck_assert_ptr_nonnull(strstr(out.data, "The body was changed (59 bytes appended)"));
	buf_reset(&out);
	/* the same bytes under simple only: relaxed does not see it, nothing explains the failure */
	c.labels = 1;
	c.relaxed_changed = 0;
	c.simple_changed = 1;
	ck_assert_int_eq(change_explain_failure(&c, s, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "not explained: the bodies differ (59 bytes appended) but are equal under "
					       "its relaxed body canonicalization."));
	ck_assert_int_eq(change_body_breaks(&c, s), 0);
	buf_free(&out);
	change_free(&c);
	runmsg_finish(&m);
}
END_TEST

/* A header signature that fails, against signed-field changes, or none. */
START_TEST(test_header_explains)
{
	struct runmsg m;
	runmsg_start(&m, fixture_path("forensics/header-top-down-selection.eml"), NULL, 0, NOW, NULL);
	const struct dkim_sig *s = &m.r->dkim[0];
	ck_assert_int_eq(s->header_ok, 0);
	struct change c;
	change_init(&c);
	c.body_identical = 1;
	struct buf out;
	buf_init(&out, 1 << 16);
	ck_assert_int_eq(change_explain_failure(&c, s, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "not explained by the header changes"));
	buf_reset(&out);
	change_list_add(&c.causes, "Subject changed");
	ck_assert_int_eq(change_explain_failure(&c, s, &out), 1);
	ck_assert_str_eq(out.data, "explained: signed field Subject changed (b= covers the fields h= names, RFC 6376 "
				   "§3.7, §5.4).");
	buf_reset(&out);
	change_list_add(&c.causes, "List-Id added");
	change_explain_failure(&c, s, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "signed fields Subject changed, List-Id added"));
	buf_free(&out);
	change_free(&c);
	runmsg_finish(&m);
}
END_TEST

/* A signature that survives: the change lies where its canonicalization does not look. */
START_TEST(test_survived)
{
	struct runmsg m;
	runmsg_start(&m, fixture_path("dkim/canon-relaxed-relaxed.eml"), NULL, 0, NOW, NULL);
	struct change c;
	change_init(&c);
	c.simple_changed = 1;
	snprintf(c.body_summary, sizeof c.body_summary, "white space changed");
	change_list_add(&c.tolerated, "To (white space or folding only)");
	struct buf out;
	buf_init(&out, 1 << 16);
	change_explain_survived(&c, &m.r->dkim[0], &out);
	ck_assert_str_eq(out.data, "passes in both copies. The body change (white space changed) disappears under its "
				   "relaxed body canonicalization (RFC 6376 §3.4). Signed fields changed only where relaxed "
				   "header canonicalization does not look: To (white space or folding only).");
	buf_free(&out);
	change_free(&c);
	runmsg_finish(&m);
}
END_TEST

/* One copy: an over-signed Subject now selects a Subject prepended above the signature. */
START_TEST(test_fields_above)
{
	size_t len;
	char *bytes = runmsg_prepend(fixture_path("dkim/oversigned-headers.eml"), "Subject: added later\r\n", &len);
	struct runmsg m;
	runmsg_start(&m, "oversigned+subject.eml", bytes, len, NOW, NULL);
	struct change c;
	change_init(&c);
	change_fields_above(&m.r->dkim[0], &m.r->msg, &c.causes);
	ck_assert_uint_eq(c.causes.count, 1);
	ck_assert_str_eq(change_list_text(&c.causes), "Subject added (it lies above the signature, where later hops add "
						      "their fields)");
	change_free(&c);
	runmsg_finish(&m);
	free(bytes);
	/* the fixture as signed: nothing above */
	runmsg_start(&m, fixture_path("dkim/oversigned-headers.eml"), NULL, 0, NOW, NULL);
	change_init(&c);
	change_fields_above(&m.r->dkim[0], &m.r->msg, &c.causes);
	ck_assert_uint_eq(c.causes.count, 0);
	change_free(&c);
	runmsg_finish(&m);
}
END_TEST

START_TEST(test_kind_phrase)
{
	ck_assert_str_eq(change_kind_phrase(DKIM_KIND_SIGNATURE), "DKIM-Signature");
	ck_assert_str_eq(change_kind_phrase(DKIM_KIND_AMS), "ARC-Message-Signature");
	ck_assert_str_eq(change_kind_phrase(DKIM_KIND_SEAL), "ARC-Seal");
}
END_TEST

Suite *change_suite(void)
{
	Suite *s = suite_create("change");
	TCase *tc = tcase_create("explain");
	tcase_add_test(tc, test_list_unique);
	tcase_add_test(tc, test_body_explains);
	tcase_add_test(tc, test_header_explains);
	tcase_add_test(tc, test_survived);
	tcase_add_test(tc, test_fields_above);
	tcase_add_test(tc, test_kind_phrase);
	suite_add_tcase(s, tc);
	return s;
}
