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

#include "dnstest.h"
#include "fixture.h"
#include "forensics.h"
#include "lint.h"
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
	struct lookup *lk = lookup_new_zone(files, 2, NULL, err, sizeof err);
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
	struct report_input in = { &fr->res.run, &fr->res.forensics, &fr->res.claims, &fr->res.lint, &fr->res.diagnosis };
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

/* ------------------------------------------------------------- JSON Lines ---- */

struct strset {
	char **v;
	size_t n;
};

static void strset_add(struct strset *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return;
	s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
	ck_assert_ptr_nonnull(s->v);
	s->v[s->n] = strdup(x);
	ck_assert_ptr_nonnull(s->v[s->n]);
	s->n++;
}

static int strset_has(const struct strset *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return 1;
	return 0;
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* What the JSON output used: key paths ("dkim[].key.lookup") and the values of enumerated keys. */
struct json_seen {
	struct strset paths;
	struct strset values;     /* "path=value" */
};

/* Keys whose string values come from a fixed list that arcverify-json(5) must give; values that
 * come from the message (AAR methods and results, cv=) are not among them. */
static int is_enumerated(const char *path)
{
	static const char *const keys[] = { "input", "result", "code", "cause", "lookup", "source", "kind", "id",
					     "type", "method" };
	if (strstr(path, ".aar."))
		return 0;
	const char *last = strrchr(path, '.');
	last = last ? last + 1 : path;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(last, keys[i]) == 0)
			return 1;
	return 0;
}

/*
 * A strict RFC 8259 parser for one JSON text: no trailing commas, no leading zeros, escapes as
 * §7 lists them (surrogates paired), no raw control characters, UTF-8 only (§8.1), and, stricter
 * than §4's SHOULD, no key twice in one object.
 */
struct jp {
	const char *p, *end;
	char why[200];
	struct json_seen *seen;
};

static int jp_fail(struct jp *j, const char *what)
{
	if (!j->why[0])
		snprintf(j->why, sizeof j->why, "%s at '%.30s'", what, j->p);
	return -1;
}

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int jp_hex4(struct jp *j, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++, j->p++) {
		if (j->p >= j->end || !isxdigit((unsigned char)*j->p))
			return jp_fail(j, "\\u needs four hex digits");
		*v = *v * 16 + (unsigned)(isdigit((unsigned char)*j->p) ? *j->p - '0' : (tolower(*j->p) - 'a' + 10));
	}
	return 0;
}

static int jp_escape(struct jp *j, struct buf *out)
{
	static const char simple[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
	const char *e = j->p < j->end ? strchr(simple, *j->p) : NULL;
	if (e && *e) {
		j->p++;
		return buf_append_byte(out, decoded[e - simple]);
	}
	if (j->p >= j->end || *j->p++ != 'u')
		return jp_fail(j, "unknown escape");
	unsigned u, lo;
	if (jp_hex4(j, &u) < 0)
		return -1;
	if (u >= 0xdc00 && u <= 0xdfff)
		return jp_fail(j, "a lone low surrogate");
	if (u >= 0xd800 && u <= 0xdbff) {
		if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
			return jp_fail(j, "a high surrogate without its low half");
		j->p += 2;
		if (jp_hex4(j, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return jp_fail(j, "a high surrogate without its low half");
	}
	return buf_append_byte(out, u < 0x80 ? (char)u : '?');
}

static int jp_string(struct jp *j, struct buf *out)
{
	buf_reset(out);
	if (j->p >= j->end || *j->p != '"')
		return jp_fail(j, "string expected");
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;
		if (c < 0x20)
			return jp_fail(j, "a raw control character in a string");
		if (c == '\\') {
			j->p++;
			if (jp_escape(j, out) < 0)
				return -1;
			continue;
		}
		size_t n = c >= 0x80 ? utf8_seq_len((const unsigned char *)j->p, (size_t)(j->end - j->p)) : 1;
		if (n == 0)
			return jp_fail(j, "bytes that are not UTF-8");
		buf_append(out, j->p, n);
		j->p += n;
	}
	if (j->p >= j->end)
		return jp_fail(j, "unterminated string");
	j->p++;
	if (!out->data)
		buf_append(out, "", 0);
	return 0;
}

static int jp_digits(struct jp *j)
{
	const char *start = j->p;
	while (j->p < j->end && isdigit((unsigned char)*j->p))
		j->p++;
	return j->p > start ? 0 : jp_fail(j, "digits expected");
}

static int jp_number(struct jp *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (jp_digits(j) < 0)
		return -1;
	if (j->p < j->end && *j->p == '.' && (j->p++, jp_digits(j) < 0))
		return -1;
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (jp_digits(j) < 0)
			return -1;
	}
	return 0;
}

static int jp_value(struct jp *j, const char *path);

static int jp_object(struct jp *j, const char *path)
{
	struct strset keys = { 0 };
	struct buf key;
	buf_init(&key, 1 << 16);
	int rc = 0;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		goto done;
	}
	for (;;) {
		jp_ws(j);
		if (jp_string(j, &key) < 0 || (strset_has(&keys, key.data) && jp_fail(j, "a key twice in one object"))) {
			rc = -1;
			break;
		}
		strset_add(&keys, key.data);
		char sub[600];
		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key.data);
		strset_add(&j->seen->paths, sub);
		jp_ws(j);
		if (j->p >= j->end || *j->p++ != ':' || jp_value(j, sub) < 0) {
			rc = jp_fail(j, "':' and a value expected");
			break;
		}
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			break;
		}
		rc = jp_fail(j, "',' or '}' expected");
		break;
	}
done:
	strset_free(&keys);
	buf_free(&key);
	return rc;
}

static int jp_array(struct jp *j, const char *path)
{
	char sub[600];
	snprintf(sub, sizeof sub, "%s[]", path);
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (jp_value(j, sub) < 0)
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p++ == ']')
			return 0;
		return jp_fail(j, "',' or ']' expected");
	}
}

static int jp_literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return jp_fail(j, "a value expected");
	j->p += n;
	return 0;
}

static int jp_value(struct jp *j, const char *path)
{
	jp_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "a value expected");
	switch (*j->p) {
	case '{': return jp_object(j, path);
	case '[': return jp_array(j, path);
	case 't': return jp_literal(j, "true");
	case 'f': return jp_literal(j, "false");
	case 'n': return jp_literal(j, "null");
	case '"': {
		struct buf v;
		buf_init(&v, 1 << 20);
		int rc = jp_string(j, &v);
		if (rc == 0 && is_enumerated(path)) {
			char pv[1200];
			snprintf(pv, sizeof pv, "%s=%s", path, v.data);
			strset_add(&j->seen->values, pv);
		}
		buf_free(&v);
		return rc;
	}
	default:
		if (*j->p == '-' || isdigit((unsigned char)*j->p))
			return jp_number(j);
		return jp_fail(j, "a value expected");
	}
}

/* JSON Lines: every line one JSON text (an object). NULL, or why not. */
static const char *json_lines_check(const char *text, size_t len, struct json_seen *seen, char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	if (len == 0 || text[len - 1] != '\n') {
		snprintf(why, whylen, "not newline-terminated lines");
		return why;
	}
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		struct jp j = { .p = p, .end = lf, .seen = seen };
		jp_ws(&j);
		if (j.p >= j.end || *j.p != '{')
			jp_fail(&j, "each line must hold an object");
		else if (jp_value(&j, "") == 0) {
			jp_ws(&j);
			if (j.p != j.end)
				jp_fail(&j, "text after the object");
		}
		if (j.why[0]) {
			snprintf(why, whylen, "%s", j.why);
			return why;
		}
		p = lf + 1;
	}
	return NULL;
}

START_TEST(test_json_parser_is_strict)
{
	static const char *const bad[] = {
		"{\"a\":1,}\n", "{\"a\":01}\n", "{\"a\":\"x\ty\"}\n", "{\"a\":\"\\x\"}\n", "{\"a\":\"\\ud800\"}\n",
		"{\"a\":\"\xff\"}\n", "{\"a\":1,\"a\":2}\n", "{\"a\":1} x\n", "[1]\n", "{\"a\":tru}\n", "{\"a\":1}",
		"{\"a\":-}\n", "{\"a\":1.}\n", "{\"a\":[1,]}\n",
	};
	static const char *const good[] = {
		"{}\n", "{\"a\":[],\"b\":{},\"c\":null,\"d\":true,\"e\":-0.5e+3,\"f\":\"\\ud83d\\ude00\\u00e9\xc3\xa9\"}\n",
		"{\"a\":1}\n{\"b\":2}\n",
	};
	char why[200];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct json_seen seen = { 0 };
		ck_assert_msg(json_lines_check(bad[i], strlen(bad[i]), &seen, why, sizeof why) != NULL, "accepted %s", bad[i]);
		strset_free(&seen.paths);
		strset_free(&seen.values);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct json_seen seen = { 0 };
		const char *w = json_lines_check(good[i], strlen(good[i]), &seen, why, sizeof why);
		ck_assert_msg(w == NULL, "refused %s: %s", good[i], w);
		strset_free(&seen.paths);
		strset_free(&seen.values);
	}
}
END_TEST

/* An input item run through the engine without asserting it could be read. */
static void render_any(const char *name, const char *bytes, size_t len, const struct report_opts *o, struct buf *out)
{
	struct lookup *lk = fixture_keys();
	struct run_opts ro = policy();
	struct engine_opts eo = { .run = ro, .forensics = 1 };
	struct input_list l;
	input_list_init(&l);
	ck_assert_int_eq(bytes ? input_add_bytes(&l, name, bytes, len, &eo.input) : input_add(&l, name, INPUT_MBOX_AUTO, &eo.input), 0);
	struct engine_result *res = malloc(sizeof *res);
	ck_assert_ptr_nonnull(res);
	engine_message(&l, &l.items[0], 1, &eo, lk, res);
	struct report_input in = { &res->run, &res->forensics, &res->claims, &res->lint, &res->diagnosis };
	buf_init(out, (size_t)16 << 20);
	report_message(out, &in, o);
	if (!out->data)
		buf_append(out, "", 0);
	engine_result_free(res);
	free(res);
	input_list_free(&l);
	lookup_free(lk);
}

static void check_json(const struct buf *out, const char *what, struct json_seen *seen)
{
	char why[200];
	const char *bad = json_lines_check(out->data, out->len, seen, why, sizeof why);
	ck_assert_msg(bad == NULL, "%s: %s in %s", what, bad, out->data);
}

/* The JSON of every fixture (plain, redacted, one kind of signature only), of inputs that are not
 * messages and of a hostile message, plus keys from a DNS server (ttl, ad): what is seen. */
static void collect_json(struct json_seen *seen)
{
	static const char *const dirs[] = { "dkim", "arc", "forensics" };
	struct report_opts o = format(REPORT_JSON), red = o, dkim_only = o, arc_only = o;
	red.redact = 1;
	dkim_only.show_arc = 0;
	arc_only.show_dkim = 0;
	const struct report_opts *variants[] = { &o, &red, &dkim_only, &arc_only };
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char dir[400];
		static char names[FIXTURE_MAX][128];
		snprintf(dir, sizeof dir, "%s/%s", fixture_testdata(), dirs[d]);
		size_t n = fixture_list(dir, names, FIXTURE_MAX);
		for (size_t i = 0; i < n; i++) {
			char path[1200];
			snprintf(path, sizeof path, "%s/%.127s.eml", dir, names[i]);
			for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
				struct buf out;
				render(names[i], path, NULL, 0, variants[v], &out);
				check_json(&out, names[i], seen);
				buf_free(&out);
			}
		}
	}
	struct buf out;
	render_any("/nonexistent/message.eml", NULL, 0, &o, &out);
	check_json(&out, "unreadable", seen);
	buf_free(&out);
	static const char *const not_messages[] = { "", "\r\nFrom: a\r\n\r\n", "\x00\x01\x02garbage" };
	for (size_t i = 0; i < sizeof not_messages / sizeof not_messages[0]; i++) {
		render_any("not-a-message", not_messages[i], i == 2 ? 10 : strlen(not_messages[i]), &o, &out);
		check_json(&out, "not a message", seen);
		buf_free(&out);
	}
	struct buf orig, msg;
	ck_assert_int_eq(fixture_read_file(fixture_path("dkim/canon-relaxed-relaxed.eml"), &orig), 0);
	buf_init(&msg, (size_t)1 << 20);
	buf_append_str(&msg, hostile_fields);
	buf_append(&msg, orig.data, orig.len);
	render("hostile\xff\x01.eml", NULL, msg.data, msg.len, &o, &out);
	check_json(&out, "hostile", seen);
	buf_free(&out);
	buf_free(&msg);
	buf_free(&orig);
}

static void collect_json_dns(struct json_seen *seen)
{
	struct dnstest dns = { 0 };
	char err[300], zone[600];
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	const char *zones[] = { zone };
	ck_assert_msg(dnstest_start_zone(&dns, zones, 1, err, sizeof err) == 0, "%s", err);
	const char *argv[] = { "arcverify", "--json", "--dns-server", dns.server, "--now", "1764003600",
			       fixture_path("dkim/canon-relaxed-relaxed.eml"), NULL };
	struct buf out;
	fixture_exec(argv, &out, NULL, NULL);
	dnstest_stop(&dns);
	check_json(&out, "keys from DNS", seen);
	ck_assert_msg(strstr(out.data, "\"ttl\":"), "no ttl: %s", out.data);
	buf_free(&out);
}

START_TEST(test_json_strict_everywhere)
{
	struct json_seen seen = { 0 };
	collect_json(&seen);
	ck_assert_msg(seen.paths.n > 60, "only %zu keys seen", seen.paths.n);
	strset_free(&seen.paths);
	strset_free(&seen.values);
}
END_TEST

/* A record for an input that was not evaluated has every top-level key a normal one has, an
 * "input" that says why, and no verdict: arc.result is null, dkim is empty. */
START_TEST(test_json_unevaluated_same_shape)
{
	struct report_opts o = format(REPORT_JSON);
	struct buf good, missing, empty;
	render("good.eml", fixture_path("dkim/canon-relaxed-relaxed.eml"), NULL, 0, &o, &good);
	render_any("/nonexistent/message.eml", NULL, 0, &o, &missing);
	render_any("empty.eml", "", 0, &o, &empty);
	struct json_seen a = { 0 }, b = { 0 }, c = { 0 };
	check_json(&good, "good", &a);
	check_json(&missing, "missing", &b);
	check_json(&empty, "empty", &c);
	for (size_t i = 0; i < a.paths.n; i++) {
		if (strchr(a.paths.v[i], '.') || strchr(a.paths.v[i], '['))
			continue;   /* top-level keys */
		ck_assert_msg(strset_has(&b.paths, a.paths.v[i]), "unreadable record lacks %s", a.paths.v[i]);
		ck_assert_msg(strset_has(&c.paths, a.paths.v[i]), "not-a-message record lacks %s", a.paths.v[i]);
	}
	ck_assert_msg(strstr(good.data, "\"input\":\"ok\""), "%s", good.data);
	ck_assert_msg(strstr(missing.data, "\"input\":\"unreadable\""), "%s", missing.data);
	ck_assert_msg(strstr(missing.data, "\"dkim\":[]"), "%s", missing.data);
	ck_assert_msg(strstr(missing.data, "\"arc\":{\"result\":null"), "%s", missing.data);
	ck_assert_msg(strstr(missing.data, "\"lf_converted\":null"), "%s", missing.data);
	ck_assert_msg(strstr(empty.data, "\"input\":\"not-message\""), "%s", empty.data);
	ck_assert_msg(strstr(empty.data, "\"arc\":{\"result\":null"), "%s", empty.data);
	ck_assert_msg(strstr(empty.data, "\"errors\":[\"not a message: the input is empty\"]"), "%s", empty.data);
	ck_assert_msg(strstr(good.data, "\"schema\":2,"), "%s", good.data);
	strset_free(&a.paths);
	strset_free(&b.paths);
	strset_free(&c.paths);
	strset_free(&a.values);
	strset_free(&b.values);
	strset_free(&c.values);
	buf_free(&good);
	buf_free(&missing);
	buf_free(&empty);
}
END_TEST

/* ------------------------------------------------ the schema's man page ---- */

/* man/arcverify-json.5 lists word as an item: "Cm word" on an ".It" line, followed by a space or
 * the line end (".It Cm d , Cm s , Cm a Pq string" lists d, s and a). */
static int man_lists(const struct buf *man, const char *word)
{
	size_t n = strlen(word);
	for (const char *line = man->data; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, ".It ", 4) != 0)
			continue;
		const char *end = strchr(line, '\n');
		end = end ? end : line + strlen(line);
		for (const char *p = line; (p = strstr(p, "Cm ")) != NULL && p < end; p += 3)
			if (p[-1] == ' ' && strncmp(p + 3, word, n) == 0 && (p + 3 + n == end || p[3 + n] == ' '))
				return 1;
	}
	return 0;
}

static void assert_listed(const struct buf *man, const char *word, const char *what)
{
	ck_assert_msg(man_lists(man, word), "man/arcverify-json.5 does not list the %s '%s' (add \".It Cm %s\")", what,
		      word, word);
}

/* Every key the JSON output emits, over every fixture and odd input, is documented in the page. */
START_TEST(test_man_documents_every_key)
{
	struct buf man;
	ck_assert_int_eq(fixture_read_file("man/arcverify-json.5", &man), 0);
	struct json_seen seen = { 0 };
	collect_json(&seen);
	collect_json_dns(&seen);
	for (size_t i = 0; i < seen.paths.n; i++) {
		const char *last = strrchr(seen.paths.v[i], '.');
		last = last ? last + 1 : seen.paths.v[i];
		assert_listed(&man, last, "key");
	}
	for (size_t i = 0; i < seen.values.n; i++)
		assert_listed(&man, strchr(seen.values.v[i], '=') + 1, seen.values.v[i]);
	strset_free(&seen.paths);
	strset_free(&seen.values);
	buf_free(&man);
}
END_TEST

/* Every value an enumerated field can take is listed, whether a fixture produced it or not. */
START_TEST(test_man_documents_every_value)
{
	struct buf man;
	ck_assert_int_eq(fixture_read_file("man/arcverify-json.5", &man), 0);
	for (int r = VERDICT_NONE; r <= VERDICT_PERMERROR; r++)
		assert_listed(&man, verdict_word((enum verdict_result)r), "result");
	size_t n;
	const struct verdict_code_info *codes = verdict_code_table(&n);
	for (size_t i = 0; i < n; i++)
		assert_listed(&man, codes[i].word, "reason code");
	for (size_t i = 0; lint_code(i); i++)
		assert_listed(&man, lint_code(i), "warning code");
	for (size_t i = 0; forensics_known(i); i++)
		assert_listed(&man, forensics_known(i)->id, "forensic id");
	for (int st = KEYANS_PENDING; st <= KEYANS_ERROR; st++)
		assert_listed(&man, report_json_lookup_word((enum keyans_status)st), "lookup state");
	static const char *const fixed[] = { "ok", "unreadable", "not-message", "body", "header", "prefix",
					     "body-unexplained", "header-unexplained", "body-appended", "dns", "keys",
					     "aar", "authentication-results", "rsa", "ed25519" };
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		assert_listed(&man, fixed[i], "value");
	char schema[64];
	snprintf(schema, sizeof schema, "\"schema\":%d", REPORT_JSON_SCHEMA);
	ck_assert_msg(strstr(man.data, schema), "the page does not give the current %s", schema);
	buf_free(&man);
}
END_TEST

START_TEST(test_man_json_lint)
{
	if (system("command -v mandoc >/dev/null 2>&1") != 0) {
		fixture_skip("man-json-lint", "mandoc is not installed: arcverify-json.5 lint NOT run");
		return;
	}
	ck_assert_int_eq(system("mandoc -Tlint -W warning man/arcverify-json.5"), 0);
}
END_TEST

/* The text report of every fixture, plain and -v --explain: printable, and it names the file. */
START_TEST(test_text_fixtures_printable)
{
	static const char *const dirs[] = { "dkim", "arc", "forensics" };
	struct report_opts plain = format(REPORT_TEXT), verbose = plain;
	verbose.verbose = verbose.explain = 1;
	size_t n_total = 0;
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char dir[400];
		static char names[FIXTURE_MAX][128];
		snprintf(dir, sizeof dir, "%s/%s", fixture_testdata(), dirs[d]);
		size_t n = fixture_list(dir, names, FIXTURE_MAX);
		for (size_t i = 0; i < n; i++, n_total++) {
			char path[1200];
			snprintf(path, sizeof path, "%s/%.127s.eml", dir, names[i]);
			const struct report_opts *variants[] = { &plain, &verbose };
			for (size_t v = 0; v < 2; v++) {
				struct buf out;
				render(names[i], path, NULL, 0, variants[v], &out);
				assert_no_raw_control(&out, names[i]);
				ck_assert_msg(strncmp(out.data, names[i], strlen(names[i])) == 0, "%s: %s", names[i], out.data);
				buf_free(&out);
			}
		}
	}
	ck_assert_msg(n_total > 100, "only %zu fixtures", n_total);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("text");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_text_escapes_message_text);
	tcase_add_test(tc, test_text_escapes_key_records);
	tcase_add_test(tc, test_text_fixtures_printable);
	suite_add_tcase(s, tc);
	tc = tcase_create("authentication-results");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ar_quotes_pvalues);
	tcase_add_test(tc, test_ar_fixtures_parse);
	tcase_add_test(tc, test_ar_nothing_for_unevaluated);
	tcase_add_test(tc, test_ar_authserv_id);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_json_parser_is_strict);
	tcase_add_test(tc, test_json_strict_everywhere);
	tcase_add_test(tc, test_json_unevaluated_same_shape);
	tcase_add_test(tc, test_man_documents_every_key);
	tcase_add_test(tc, test_man_documents_every_value);
	tcase_add_test(tc, test_man_json_lint);
	suite_add_tcase(s, tc);
	return s;
}
