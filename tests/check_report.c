/*
 * report: a run rendered three ways. Text output lets no control character,
 * C1 control or bidirectional override from a message, a key record or a file
 * name reach the terminal; JSON Lines parse with a strict RFC 8259 parser
 * (written here, in C); Authentication-Results fields are RFC 8601 text:
 * 7-bit, every pvalue a token or a quoted-string, nothing for a message that
 * was not evaluated.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "lookup.h"
#include "report.h"
#include "suites.h"

#define NOW 1764003600

static struct lookup *fixture_keys(void)
{
	char keys[512], arc[512], err[300];
	snprintf(keys, sizeof keys, "%s/keys.zone", fixture_testdata());
	snprintf(arc, sizeof arc, "%s/keys-arc.zone", fixture_testdata());
	const char *files[] = { keys, arc };
	struct lookup *lk = lookup_new_zone(files, 2, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	return lk;
}

static struct run_opts policy(void)
{
	struct run_opts ro;
	memset(&ro, 0, sizeof ro);
	ro.policy.now = NOW;
	ro.policy.min_key_bits = 1024;
	ro.do_dkim = ro.do_arc = 1;
	return ro;
}

static struct report_opts format(enum report_format f)
{
	struct report_opts o;
	memset(&o, 0, sizeof o);
	o.format = f;
	o.show_dkim = o.show_arc = 1;
	return o;
}

/* A run of the bytes given (or of the file at path), named name, rendered with o into out. */
static void render(const char *name, const char *path, const char *bytes, size_t len, const struct report_opts *o,
		   struct buf *out)
{
	struct lookup *lk = fixture_keys();
	struct run_opts ro = policy();
	struct fixture_run *fr = malloc(sizeof *fr);
	ck_assert_ptr_nonnull(fr);
	struct buf file;
	if (!bytes) {
		ck_assert_int_eq(fixture_read_file(path, &file), 0);
		bytes = file.data;
		len = file.len;
	}
	fixture_run(fr, name, bytes, len, &ro, lk, 1);
	struct report_input in = { &fr->res.run, &fr->res.forensics, &fr->res.claims, &fr->res.lint };
	buf_init(out, (size_t)16 << 20);
	report_message(out, &in, o);
	if (!out->data)
		buf_append(out, "", 0);
	if (path)
		buf_free(&file);
	fixture_run_free(fr);
	free(fr);
	lookup_free(lk);
}

static char *fixture_path(const char *rel)
{
	static char path[600];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), rel);
	return path;
}

static void assert_no_raw_control(const struct buf *out, const char *what)
{
	long at = fixture_find_raw_control(out->data, out->len);
	ck_assert_msg(at < 0, "%s: raw control at byte %ld: ...%.40s", what, at, out->data + (at < 0 ? 0 : at));
}

/* ------------------------------------------------------------------ text ---- */

/* Hop results carrying C1 controls and bidi overrides, prepended to a signed fixture (the
 * DKIM signature does not cover them, so it still verifies). */
static const char hostile_fields[] =
	"ARC-Authentication-Results: i=1; mx\xe2\x80\xae.example; dkim=pass (c1 \xc2\x9b" "31m, \xe2\x81\xa6isolate)"
	" header.d=example.com\r\n"
	"Authentication-Results: a\xc2\x85r.example; dkim=fail\x1b[5m (\x9b" "2J) header.d=example.com\r\n"
	"ARC-Seal: i=1; cv=none; a=rsa-sha256; d=ex\xe2\x80\xae" "ample.org; s=arc; b=AAAA\r\n";

START_TEST(test_text_escapes_message_text)
{
	struct buf orig;
	ck_assert_int_eq(fixture_read_file(fixture_path("dkim/canon-relaxed-relaxed.eml"), &orig), 0);
	struct buf msg;
	buf_init(&msg, (size_t)1 << 20);
	buf_append_str(&msg, hostile_fields);
	buf_append(&msg, orig.data, orig.len);
	struct report_opts o = format(REPORT_TEXT);
	o.verbose = o.explain = 1;
	struct buf out;
	render("evil\x1b]0;t\x07\xe2\x80\xae.eml", NULL, msg.data, msg.len, &o, &out);
	assert_no_raw_control(&out, "text -v");
	ck_assert_msg(strstr(out.data, "evil\\x1b]0;t\\x07\\u202e.eml"), "file name escaped: %s", out.data);
	ck_assert_msg(strstr(out.data, "mx\\u202e.example"), "authserv-id escaped: %s", out.data);
	ck_assert_msg(strstr(out.data, "DKIM #1  pass"), "the signature still verifies: %s", out.data);
	buf_free(&out);
	buf_free(&msg);
	buf_free(&orig);
}
END_TEST

/* A key record with control bytes (a hostile DNS answer would carry them) is shown escaped by -v. */
START_TEST(test_text_escapes_key_records)
{
	char dir[] = "/tmp/arcverify-report-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char zone[600];
	snprintf(zone, sizeof zone, "%s/k.zone", dir);
	FILE *f = fopen(zone, "w");
	ck_assert_ptr_nonnull(f);
	fputs("rsa2048._domainkey.example.com. IN TXT \"v=DKIM1; k=rsa; n=\\027[2J\\194\\155\\226\\128\\174; p=\"\n", f);
	fclose(f);
	const char *argv[] = { "arcverify", "-v", "--keys", zone, "--now", "1764003600",
			       fixture_path("dkim/canon-relaxed-relaxed.eml"), NULL };
	struct buf out;
	fixture_exec(argv, &out, NULL, NULL);
	assert_no_raw_control(&out, "key record");
	ck_assert_msg(strstr(out.data, "n=\\x1b[2J\\u009b\\u202e"), "record escaped: %s", out.data);
	buf_free(&out);
	remove(zone);
	remove(dir);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("text");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_text_escapes_message_text);
	tcase_add_test(tc, test_text_escapes_key_records);
	suite_add_tcase(s, tc);
	return s;
}
