/*
 * report: a run rendered three ways. Text output lets no control character,
 * C1 control or bidirectional override from a message, a key record or a file
 * name reach the terminal; JSON Lines parse with a strict RFC 8259 parser
 * (written here, in C); Authentication-Results fields are RFC 8601 text:
 * 7-bit, every pvalue a token or a quoted-string, nothing for a message that
 * was not evaluated.
 */
#include <check.h>
#include <ctype.h>
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

/* ------------------------------------------------- Authentication-Results ---- */

/*
 * A strict reader of what --format ar writes, after RFC 8601 §2.2:
 *   "Authentication-Results:" authserv-id *( ";" resinfo ) / "; none"
 *   resinfo = method "=" result [comment] [ "reason=" pvalue ] *( ptype "." property "=" pvalue )
 *   pvalue  = value / [ [ local-part ] "@" ] domain-name,  value = token / quoted-string
 * Tokens are RFC 2045's (no SPACE, CTLs or tspecials); the whole field is 7-bit. Returns NULL or
 * the first problem.
 */
struct ar_cursor {
	const char *p;
	char why[160];
};

static int ar_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

static void ar_skip_cfws(struct ar_cursor *c)
{
	for (;;) {
		while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
			c->p++;
		if (*c->p != '(')
			return;
		int depth = 0;
		do {
			if (*c->p == '\\' && c->p[1])
				c->p++;
			else if (*c->p == '(')
				depth++;
			else if (*c->p == ')')
				depth--;
			c->p++;
		} while (*c->p && depth > 0);
	}
}

static int ar_fail(struct ar_cursor *c, const char *what)
{
	snprintf(c->why, sizeof c->why, "%s at '%.30s'", what, c->p);
	return -1;
}

static int ar_token(struct ar_cursor *c)
{
	const char *start = c->p;
	while (ar_token_char((unsigned char)*c->p))
		c->p++;
	return c->p > start ? 0 : ar_fail(c, "token expected");
}

static int ar_quoted_string(struct ar_cursor *c)
{
	if (*c->p != '"')
		return ar_fail(c, "quoted-string expected");
	for (c->p++; *c->p != '"'; c->p++) {
		if (*c->p == '\\')
			c->p++;
		if ((unsigned char)*c->p < 0x20 || (unsigned char)*c->p > 0x7e)
			return ar_fail(c, "bad byte in a quoted-string");
	}
	c->p++;
	return 0;
}

/* [local-part] "@" domain-name, local-part a dot-atom (RFC 5322 atext). */
static int ar_address(struct ar_cursor *c)
{
	while (*c->p && (isalnum((unsigned char)*c->p) || strchr("!#$%&'*+-/=?^_`{|}~.", *c->p)))
		c->p++;
	if (*c->p != '@')
		return ar_fail(c, "address expected");
	c->p++;
	const char *d = c->p;
	while (isalnum((unsigned char)*c->p) || *c->p == '-' || *c->p == '.')
		c->p++;
	return c->p > d ? 0 : ar_fail(c, "domain-name expected");
}

static int ar_pvalue(struct ar_cursor *c)
{
	ar_skip_cfws(c);
	if (*c->p == '"')
		return ar_quoted_string(c);
	const char *start = c->p;
	if (ar_token(c) == 0 && *c->p != '@')
		return 0;
	c->p = start;
	return ar_address(c);
}

static int ar_resinfo(struct ar_cursor *c)
{
	ar_skip_cfws(c);
	if (ar_token(c) < 0 || *c->p++ != '=')
		return ar_fail(c, "method=result expected");
	if (ar_token(c) < 0)
		return -1;
	ar_skip_cfws(c);
	while (*c->p && *c->p != ';' && *c->p != '\n') {
		if (ar_token(c) < 0 || *c->p++ != '=')
			return ar_fail(c, "property=value expected");
		if (ar_pvalue(c) < 0)
			return -1;
		ar_skip_cfws(c);
	}
	return 0;
}

/* Check one field, which must end with its only unfolded newline; NULL when it is well-formed. */
static const char *ar_check_field(const char *field, const char *authserv_id, char *why, size_t whylen)
{
	size_t len = strlen(field);
	for (size_t i = 0; i < len; i++) {
		unsigned char q = (unsigned char)field[i];
		if (q > 0x7e || (q < 0x20 && q != '\t' && q != '\n')) {
			snprintf(why, whylen, "byte 0x%02x is not 7-bit text", q);
			return why;
		}
		if (q == '\n' && i + 1 < len && field[i + 1] != '\t' && field[i + 1] != ' ') {
			snprintf(why, whylen, "a line end that does not fold, at byte %zu", i);
			return why;
		}
	}
	if (len == 0 || field[len - 1] != '\n') {
		snprintf(why, whylen, "no final newline");
		return why;
	}
	char *copy = strndup(field, len - 1);
	struct ar_cursor c = { .p = copy };
	const char *prefix = "Authentication-Results: ";
	const char *rc = NULL;
	if (strncmp(c.p, prefix, strlen(prefix)) != 0 || strncmp(c.p + strlen(prefix), authserv_id, strlen(authserv_id)) != 0) {
		snprintf(why, whylen, "does not start with %s%s", prefix, authserv_id);
		free(copy);
		return why;
	}
	c.p += strlen(prefix) + strlen(authserv_id);
	while (!rc && *c.p == ';') {
		c.p++;
		ar_skip_cfws(&c);
		if (strcmp(c.p, "none") == 0)
			c.p += 4;
		else if (ar_resinfo(&c) < 0)
			rc = c.why;
	}
	if (!rc && *c.p)
		snprintf(c.why, sizeof c.why, "trailing text '%.30s'", c.p), rc = c.why;
	if (rc)
		snprintf(why, whylen, "%s", rc);
	free(copy);
	return rc ? why : NULL;
}

/* A hand-written signature whose tag values hold every character a pvalue must quote. */
static const char awkward_sig[] =
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=ex\"amp(le).com; s=s\\el;\r\n"
	"\ti=\"quoted\"@ex\"amp(le).com; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
	"\tb=+/AbCdEfGhIjKlMnOp\r\n"
	"From: a@example.com\r\n\r\n";

START_TEST(test_ar_quotes_pvalues)
{
	struct report_opts o = format(REPORT_AR);
	struct buf out;
	render("awkward.eml", NULL, awkward_sig, sizeof awkward_sig - 1, &o, &out);
	char why[200];
	const char *bad = ar_check_field(out.data, "arcverify", why, sizeof why);
	ck_assert_msg(bad == NULL, "%s in:\n%s", bad, out.data);
	ck_assert_msg(strstr(out.data, "header.d=\"ex\\\"amp(le).com\""), "d= quoted: %s", out.data);
	ck_assert_msg(strstr(out.data, "header.s=\"s\\\\el\""), "s= quoted: %s", out.data);
	ck_assert_msg(strstr(out.data, "header.b=\"+/AbCdEf\""), "b= quoted: %s", out.data);
	buf_free(&out);
}
END_TEST

/* Every fixture's field parses, is 7-bit ("section", never a raw §) and quotes header.b with / or +. */
START_TEST(test_ar_fixtures_parse)
{
	static const char *const dirs[] = { "dkim", "arc", "forensics" };
	struct report_opts o = format(REPORT_AR);
	size_t fields = 0, quoted_b = 0, sections = 0;
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char dir[400];
		static char names[FIXTURE_MAX][128];
		snprintf(dir, sizeof dir, "%s/%s", fixture_testdata(), dirs[d]);
		size_t n = fixture_list(dir, names, FIXTURE_MAX);
		for (size_t i = 0; i < n; i++) {
			char path[1200], why[200];
			snprintf(path, sizeof path, "%s/%.127s.eml", dir, names[i]);
			struct buf out;
			render(names[i], path, NULL, 0, &o, &out);
			const char *bad = ar_check_field(out.data, "arcverify", why, sizeof why);
			ck_assert_msg(bad == NULL, "%s: %s in:\n%s", names[i], bad, out.data);
			for (const char *b = out.data; (b = strstr(b, "header.b=")) != NULL; b += 9) {
				size_t len = strcspn(b + 9, " ;\n");
				if (memchr(b + 9, '/', len) || memchr(b + 9, '+', len)) {
					ck_assert_msg(b[9] == '"', "%s: header.b with / or + not quoted: %.20s", names[i], b);
					quoted_b++;
				}
			}
			sections += strstr(out.data, "section ") != NULL;
			fields++;
			buf_free(&out);
		}
	}
	ck_assert_msg(fields > 100, "only %zu fixtures", fields);
	ck_assert_msg(quoted_b > 0 && sections > 0, "the fixtures exercise neither quoting (%zu) nor § (%zu)", quoted_b,
		      sections);
}
END_TEST

/* An input that was not evaluated gets no Authentication-Results field at all. */
START_TEST(test_ar_nothing_for_unevaluated)
{
	char dir[] = "/tmp/arcverify-ar-XXXXXX", empty[600];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(empty, sizeof empty, "%s/empty.eml", dir);
	FILE *f = fopen(empty, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	char zone[600];
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	const char *cases[][8] = {
		{ "arcverify", "--format", "ar", "--keys", zone, empty, NULL },
		{ "arcverify", "--format", "ar", "--keys", zone, "/nonexistent/message.eml", NULL },
		{ "arcverify", "--format", "ar", "--keys", zone, zone, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf out, err;
		int status = fixture_exec(cases[i], &out, &err, NULL);
		ck_assert_msg(status == 65 || status == 66, "case %zu: exit %d", i, status);
		ck_assert_msg(out.len == 0, "case %zu: a field for an input not evaluated: %s", i, out.data);
		ck_assert_msg(err.len > 0, "case %zu: nothing said on stderr", i);
		buf_free(&out);
		buf_free(&err);
	}
	remove(empty);
	remove(dir);
}
END_TEST

/* --authserv-id NAME names the field; it must be an RFC 8601 authserv-id token. */
START_TEST(test_ar_authserv_id)
{
	char zone[600], eml[600];
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	snprintf(eml, sizeof eml, "%s/dkim/canon-relaxed-relaxed.eml", fixture_testdata());
	const char *argv[] = { "arcverify", "--format", "ar", "--authserv-id", "mx.example.net", "--keys", zone, "--now",
			       "1764003600", eml, NULL };
	struct buf out, err;
	ck_assert_int_eq(fixture_exec(argv, &out, &err, NULL), 0);
	char why[200];
	const char *bad = ar_check_field(out.data, "mx.example.net", why, sizeof why);
	ck_assert_msg(bad == NULL, "%s in %s", bad, out.data);
	buf_free(&out);
	buf_free(&err);
	static const char *const invalid[] = { "", "mx example", "mx;x", "a\"b", "caf\xc3\xa9", "x(y)", "a\x1b" };
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		const char *bad_argv[] = { "arcverify", "--format", "ar", "--authserv-id", invalid[i], eml, NULL };
		ck_assert_msg(fixture_exec(bad_argv, &out, &err, NULL) == 64, "'%s' accepted", invalid[i]);
		ck_assert_msg(strstr(err.data, "--authserv-id"), "%s", err.data);
		ck_assert_msg(fixture_find_raw_control(err.data, err.len) < 0, "raw control on stderr");
		buf_free(&out);
		buf_free(&err);
	}
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
	tc = tcase_create("authentication-results");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ar_quotes_pvalues);
	tcase_add_test(tc, test_ar_fixtures_parse);
	tcase_add_test(tc, test_ar_nothing_for_unevaluated);
	tcase_add_test(tc, test_ar_authserv_id);
	suite_add_tcase(s, tc);
	return s;
}
