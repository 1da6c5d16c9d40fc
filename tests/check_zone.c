/*
 * zone: TXT records from zone-file text (the RFC 1035 §5.1 subset key files
 * use): strings joined (RFC 6376 §3.6.2.2), ttl/class in any order, $ORIGIN,
 * @, omitted owners, parentheses, comments, \" \\ \DDD escapes, non-TXT
 * records ignored, key history in file order with "; valid:" dates,
 * case-insensitive lookup, NXDOMAIN, "file:line" errors, and the real key
 * files (testdata/keys.zone and the shared Mail::DKIM corpus zone). Other
 * record types make a name exist (NODATA); CNAMEs are followed as DNS would
 * (loops and long chains are load errors); unknown types and classes are
 * errors with their line; zone_foreach and zone_find show every record.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyrec.h"
#include "buf.h"
#include "keyans.h"
#include "fixture.h"
#include "suites.h"
#include "lookup.h"
#include "zone.h"

#define ZONE_LABEL "t.zone"

struct tzone {
	struct zone *z;
	char err[300];
	int rc;
};

static void parse_zone(struct tzone *t, const char *text)
{
	t->z = zone_new();
	ck_assert(t->z != NULL);
	t->err[0] = '\0';
	t->rc = zone_parse(t->z, text, strlen(text), ZONE_LABEL, t->err, sizeof t->err);
}

/* Look name up; the caller frees with keyans_clear. */
static void answer(const struct zone *z, const char *name, struct keyans *ans)
{
	memset(ans, 0, sizeof *ans);
	zone_answer(z, name, ans);
}

/* name must have exactly the records in want (file order), each with the given string count. */
static void expect_records(const struct zone *z, const char *name, const char *const *want, const unsigned *nstrings,
			   size_t n)
{
	struct keyans ans;
	answer(z, name, &ans);
	ck_assert_msg(ans.status == KEYANS_OK, "%s: status %d, want OK", name, (int)ans.status);
	ck_assert_msg(ans.source == KEYANS_SRC_KEYS, "%s: source is the key files", name);
	ck_assert_msg(ans.nrecords == n, "%s: %zu records, want %zu", name, ans.nrecords, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(ans.records[i].len == strlen(want[i]) && strcmp(ans.records[i].text, want[i]) == 0,
			      "%s record %zu: '%s', want '%s'", name, i, ans.records[i].text, want[i]);
		if (nstrings)
			ck_assert_msg(ans.records[i].nstrings == nstrings[i], "%s record %zu: %u strings, want %u", name,
				      i, ans.records[i].nstrings, nstrings[i]);
	}
	keyans_clear(&ans);
}

static void expect_one(const struct zone *z, const char *name, const char *want, unsigned nstrings)
{
	expect_records(z, name, &want, &nstrings, 1);
}

static void expect_nxdomain(const struct zone *z, const char *name)
{
	struct keyans ans;
	answer(z, name, &ans);
	ck_assert_msg(ans.status == KEYANS_NXDOMAIN, "%s: status %d, want NXDOMAIN", name, (int)ans.status);
	ck_assert_msg(ans.nrecords == 0, "%s: no records", name);
	ck_assert_msg(ans.detail[0] != '\0', "%s: NXDOMAIN has a detail", name);
	keyans_clear(&ans);
}

static void expect_nodata(const struct zone *z, const char *name)
{
	struct keyans ans;
	answer(z, name, &ans);
	ck_assert_msg(ans.status == KEYANS_NODATA, "%s: status %d, want NODATA", name, (int)ans.status);
	ck_assert_msg(ans.nrecords == 0, "%s: no records", name);
	ck_assert_msg(ans.source == KEYANS_SRC_KEYS, "%s: source is the key files", name);
	ck_assert_msg(strstr(ans.detail, "no TXT") != NULL, "%s: NODATA detail '%s'", name, ans.detail);
	keyans_clear(&ans);
}

START_TEST(test_joined_strings)
{
	struct tzone t;
	parse_zone(&t, "name. 3600 IN TXT \"a\" \"b\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	ck_assert(zone_count(t.z) == 1);
	expect_one(t.z, "name", "ab", 2);
	zone_free(t.z);

	parse_zone(&t, "k.example. TXT \"v=DKIM1; \" \"\" \"p=AB\" \"CD\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "k.example", "v=DKIM1; p=ABCD", 4);
	zone_free(t.z);
}
END_TEST

START_TEST(test_ttl_class_order)
{
	struct tzone t;
	parse_zone(&t, "a.example. IN 300 TXT \"1\"\n"
		       "b.example. 300 IN TXT \"2\"\n"
		       "c.example. IN TXT \"3\"\n"
		       "d.example. 300 TXT \"4\"\n"
		       "e.example. TXT \"5\"\n"
		       "f.example. 1h in txt \"6\"\n"
		       "g.example.\tIN\t1W\tTXT\t\"7\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	ck_assert_msg(zone_count(t.z) == 7, "7 records, got %zu", zone_count(t.z));
	static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g" };
	for (int i = 0; i < 7; i++) {
		char name[32], want[16];
		snprintf(name, sizeof name, "%s.example", names[i]);
		snprintf(want, sizeof want, "%d", i + 1);
		expect_one(t.z, name, want, 1);
	}
	zone_free(t.z);
}
END_TEST

START_TEST(test_origin_and_at)
{
	struct tzone t;
	parse_zone(&t, "$ORIGIN example.com.\n"
		       "sel._domainkey IN TXT \"rel\"\n"
		       "@ IN TXT \"apex\"\n"
		       "abs.example.net. TXT \"abs\"\n"
		       "$TTL 3600\n"
		       "$origin other.org.\n"
		       "y TXT \"other\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "sel._domainkey.example.com", "rel", 1);
	expect_one(t.z, "example.com", "apex", 1);
	expect_one(t.z, "abs.example.net", "abs", 1);
	expect_one(t.z, "y.other.org", "other", 1);
	expect_nxdomain(t.z, "sel._domainkey");
	expect_nxdomain(t.z, "abs.example.net.example.com");
	zone_free(t.z);
}
END_TEST

/* RFC 1035 §5.1: a relative $ORIGIN is relative to the current origin. */
START_TEST(test_relative_origin)
{
	struct tzone t;
	parse_zone(&t, "$ORIGIN example.com.\n"
		       "$ORIGIN sub\n"
		       "x TXT \"nested\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "x.sub.example.com", "nested", 1);
	expect_nxdomain(t.z, "x.sub");
	zone_free(t.z);
}
END_TEST

START_TEST(test_owner_omitted)
{
	struct tzone t;
	parse_zone(&t, "a.example. TXT \"1\"\n"
		       "  TXT \"2\"\n"
		       "\t3600 IN TXT \"3\"\n"
		       "b.example. TXT \"4\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	static const char *const want[] = { "1", "2", "3" };
	expect_records(t.z, "a.example", want, NULL, 3);
	expect_one(t.z, "b.example", "4", 1);
	zone_free(t.z);

	/* no previous owner: an error */
	parse_zone(&t, "  TXT \"x\"\n");
	ck_assert_msg(t.rc == ZONE_SYNTAX, "a blank owner with no previous record is an error");
	ck_assert_msg(strncmp(t.err, ZONE_LABEL ":1:", strlen(ZONE_LABEL ":1:")) == 0, "err '%s'", t.err);
	zone_free(t.z);
}
END_TEST

START_TEST(test_parentheses)
{
	struct tzone t;
	parse_zone(&t, "; header comment\n"
		       "a.example. IN TXT ( \"p1\"\n"
		       "        \"p2\" ; inside comment ( ) ;\n"
		       "        \"p3\" )\n"
		       "b.example. TXT \"x\"\n"
		       "c.example. (\n IN\n TXT\n \"y\" )\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "a.example", "p1p2p3", 3);
	expect_one(t.z, "b.example", "x", 1);
	expect_one(t.z, "c.example", "y", 1);
	struct keyans ans;
	answer(t.z, "b.example", &ans);
	ck_assert_msg(strcmp(ans.records[0].origin, ZONE_LABEL ":5") == 0, "origin '%s', want " ZONE_LABEL ":5",
		      ans.records[0].origin);
	keyans_clear(&ans);
	answer(t.z, "a.example", &ans);
	ck_assert_msg(strcmp(ans.records[0].origin, ZONE_LABEL ":2") == 0, "origin '%s', want " ZONE_LABEL ":2",
		      ans.records[0].origin);
	keyans_clear(&ans);
	zone_free(t.z);
}
END_TEST

START_TEST(test_comments)
{
	struct tzone t;
	parse_zone(&t, "; a comment line\n"
		       "   ; an indented comment\n"
		       "\n"
		       "x.example. TXT \"v\" ; trailing comment \"not a string\"\n"
		       "y.example. TXT \"semi;colon\" ; real comment\n"
		       "z.example. TXT \"a\";comment right after\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	ck_assert_msg(zone_count(t.z) == 3, "3 records, got %zu", zone_count(t.z));
	expect_one(t.z, "x.example", "v", 1);
	expect_one(t.z, "y.example", "semi;colon", 1);
	expect_one(t.z, "z.example", "a", 1);
	zone_free(t.z);
}
END_TEST

START_TEST(test_escapes)
{
	struct tzone t;
	parse_zone(&t, "e.example. TXT \"say \\\"hi\\\" \\\\ \\065\\0661 \\;\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "e.example", "say \"hi\" \\ AB1 ;", 1);
	zone_free(t.z);

	parse_zone(&t, "e.example. TXT \"\\000x\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	struct keyans ans;
	answer(t.z, "e.example", &ans);
	ck_assert_msg(ans.nrecords == 1 && ans.records[0].len == 2 && ans.records[0].text[0] == '\0' &&
			      ans.records[0].text[1] == 'x',
		      "\\000 is a NUL byte kept in the record (len %zu)", ans.nrecords ? ans.records[0].len : 0);
	keyans_clear(&ans);
	zone_free(t.z);

	parse_zone(&t, "e.example. TXT \"\\256\"\n");
	ck_assert_msg(t.rc == ZONE_SYNTAX, "\\256 is not an octet");
	ck_assert_msg(strstr(t.err, ZONE_LABEL ":1:") == t.err, "err '%s'", t.err);
	zone_free(t.z);
}
END_TEST

START_TEST(test_unquoted_word)
{
	struct tzone t;
	parse_zone(&t, "w.example. TXT hello\nv.example. IN TXT v=DKIM1\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "w.example", "hello", 1);
	expect_one(t.z, "v.example", "v=DKIM1", 1);
	zone_free(t.z);
}
END_TEST

START_TEST(test_other_types_make_names_exist)
{
	struct tzone t;
	parse_zone(&t, "x.example. IN A 192.0.2.1\n"
		       "x.example. IN MX 10 mail.example.\n"
		       "y.example. 300 IN CNAME z.example.\n"
		       "x.example. IN AAAA 2001:db8::1\n"
		       "w.example. IN TYPE65280 \\# 0\n"
		       "t.example. IN TXT \"kept\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	ck_assert_msg(zone_count(t.z) == 1, "zone_count counts TXT records, got %zu", zone_count(t.z));
	expect_nodata(t.z, "x.example"); /* its other records make it exist: NODATA, as DNS answers */
	expect_nodata(t.z, "w.example"); /* RFC 3597 generic types too */
	expect_nxdomain(t.z, "y.example"); /* a CNAME to a name that is not there: NXDOMAIN at the target */
	expect_one(t.z, "t.example", "kept", 1);
	zone_free(t.z);
}
END_TEST

START_TEST(test_history_order_and_dates)
{
	struct tzone t;
	parse_zone(&t, "; valid: 2024-01-01\n"
		       "k.example. TXT \"first\"\n"
		       "other.example. TXT \"o1\"\n"
		       ";valid:2024-06-01T00:00:00Z\n"
		       "K.EXAMPLE. TXT \"second\"\n"
		       "a.example. TXT \"a\"\n"
		       "k.example. TXT \"third\"\n"
		       "; valid: 1999-12-31\n"
		       "k.example. IN A 192.0.2.1\n"
		       "k.example. TXT \"fourth\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	static const char *const want[] = { "first", "second", "third", "fourth" };
	expect_records(t.z, "k.example", want, NULL, 4);
	struct keyans ans;
	answer(t.z, "k.example", &ans);
	ck_assert_msg(strcmp(ans.records[0].when, "2024-01-01") == 0, "when[0] '%s'", ans.records[0].when);
	ck_assert_msg(strcmp(ans.records[1].when, "2024-06-01T00:00:00Z") == 0, "when[1] '%s'", ans.records[1].when);
	ck_assert_msg(ans.records[2].when[0] == '\0', "an undated record: when[2] '%s'", ans.records[2].when);
	ck_assert_msg(ans.records[3].when[0] == '\0', "the date went to the A record, not the next TXT: '%s'",
		      ans.records[3].when);
	keyans_clear(&ans);
	answer(t.z, "other.example", &ans);
	ck_assert_msg(ans.records[0].when[0] == '\0', "the date applies to one record only");
	keyans_clear(&ans);
	zone_free(t.z);
}
END_TEST

START_TEST(test_lookup_case_and_dot)
{
	struct tzone t;
	parse_zone(&t, "MiXeD._DomainKey.Example.COM. TXT \"m\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	static const char *const names[] = { "mixed._domainkey.example.com", "MIXED._DOMAINKEY.EXAMPLE.COM",
					     "mixed._domainkey.example.com.", "MiXeD._DomainKey.Example.COM." };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		expect_one(t.z, names[i], "m", 1);
	expect_nxdomain(t.z, "mixed._domainkey.example");
	expect_nxdomain(t.z, "x.mixed._domainkey.example.com");
	expect_nxdomain(t.z, "mixed._domainkey.example.com..");
	expect_nxdomain(t.z, "");
	zone_free(t.z);
}
END_TEST

START_TEST(test_crlf_lines)
{
	struct tzone t;
	parse_zone(&t, "a.example. TXT \"x\"\r\n; c\r\nb.example. TXT ( \"y\"\r\n \"z\" )\r\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "a.example", "x", 1);
	expect_one(t.z, "b.example", "yz", 2);
	zone_free(t.z);
}
END_TEST

START_TEST(test_no_final_newline_and_empty)
{
	struct tzone t;
	parse_zone(&t, "a.example. TXT \"x\"");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "a.example", "x", 1);
	zone_free(t.z);

	parse_zone(&t, "");
	ck_assert_msg(t.rc == 0 && zone_count(t.z) == 0, "empty text is an empty zone: %s", t.err);
	zone_free(t.z);

	parse_zone(&t, "e.example. TXT \"\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "e.example", "", 1);
	zone_free(t.z);
}
END_TEST

/* A name with A/AAAA but no TXT exists (NODATA); a TXT record at it is answered alone. */
START_TEST(test_address_records_nodata)
{
	struct tzone t;
	parse_zone(&t, "$ORIGIN example.\n"
		       "v4 IN A 192.0.2.1\n"
		       "v6 IN AAAA 2001:db8::1\n"
		       "both 300 IN A 192.0.2.2\n"
		       "both TXT \"key\"\n"
		       "mx IN MX 10 mail\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	ck_assert_msg(zone_count(t.z) == 1, "zone_count counts TXT records only, got %zu", zone_count(t.z));
	expect_nodata(t.z, "v4.example");
	expect_nodata(t.z, "V6.Example.");
	expect_one(t.z, "both.example", "key", 1);
	expect_nodata(t.z, "mx.example"); /* any record makes its name exist */
	expect_nxdomain(t.z, "example");
	zone_free(t.z);
}
END_TEST

/* What zone_foreach saw, flattened to one line per record. */
struct seen {
	char lines[8][200];
	int n, stop_at;
};

static int collect(void *ctx, const struct zone_record *r)
{
	static const char *const types[] = { "TXT", "A", "AAAA", "CNAME", "SOA", "OTHER" };
	struct seen *s = ctx;
	char *l = s->lines[s->n];
	int shown = r->len > 40 ? 40 : (int)r->len; /* enough to recognize the text */
	int w = snprintf(l, sizeof s->lines[0], "%s %s %u [%.*s] %s", r->name, types[r->type], r->nstrings,
			 shown, r->text, r->origin);
	for (unsigned i = 0; i < r->nstrings && w > 0 && (size_t)w < sizeof s->lines[0]; i++)
		w += snprintf(l + w, sizeof s->lines[0] - (size_t)w, " %zu", r->lens[i]);
	return ++s->n == s->stop_at ? 7 : 0;
}

START_TEST(test_foreach)
{
	struct tzone t;
	parse_zone(&t, "b.example. TXT \"v=DKIM1; \" \"\" \"p=AB\"\n"
		       "a.example. A 192.0.2.1\n"
		       "B.EXAMPLE. AAAA ::1\n"
		       "b.example. TXT x\n"
		       "c.example. MX 10 a.example.\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	/* sorted by name; file order within a name; strings keep their boundaries */
	static const char *const want[] = {
		"a.example A 1 [192.0.2.1] " ZONE_LABEL ":2 9",
		"b.example TXT 3 [v=DKIM1; p=AB] " ZONE_LABEL ":1 9 0 4",
		"b.example AAAA 1 [::1] " ZONE_LABEL ":3 3",
		"b.example TXT 1 [x] " ZONE_LABEL ":4 1",
		"c.example OTHER 2 [10a.example.] " ZONE_LABEL ":5 2 10",
	};
	struct seen s = { .stop_at = -1 };
	ck_assert_int_eq(zone_foreach(t.z, collect, &s), 0);
	ck_assert_msg(s.n == 5, "5 records kept, saw %d", s.n);
	for (int i = 0; i < 5; i++)
		ck_assert_msg(strcmp(s.lines[i], want[i]) == 0, "record %d: '%s', want '%s'", i, s.lines[i], want[i]);
	/* a nonzero return stops the walk and is handed back */
	struct seen stop = { .stop_at = 2 };
	ck_assert_int_eq(zone_foreach(t.z, collect, &stop), 7);
	ck_assert_int_eq(stop.n, 2);
	zone_free(t.z);

	parse_zone(&t, "; nothing\n");
	struct seen none = { .stop_at = -1 };
	ck_assert_int_eq(zone_foreach(t.z, collect, &none), 0);
	ck_assert_int_eq(none.n, 0);
	expect_nxdomain(t.z, "x.example"); /* an empty zone is never handed to qsort */
	zone_free(t.z);
}
END_TEST

/* The test DNS server's zones may hold one string over 255 octets; --keys zones may not. */
START_TEST(test_allow_long_strings)
{
	char text[400], s300[301];
	memset(s300, 'L', 300);
	s300[300] = '\0';
	snprintf(text, sizeof text, "l.example. TXT \"%s\"\n", s300);
	struct tzone t = { .z = zone_new() };
	ck_assert(t.z != NULL);
	zone_allow_long_strings(t.z);
	t.rc = zone_parse(t.z, text, strlen(text), ZONE_LABEL, t.err, sizeof t.err);
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "l.example", s300, 1);
	struct seen s = { .stop_at = -1 };
	zone_foreach(t.z, collect, &s);
	ck_assert_msg(s.n == 1 && strstr(s.lines[0], " 300") != NULL, "one 300-octet string: '%s'", s.lines[0]);
	zone_free(t.z);

	parse_zone(&t, text);
	ck_assert_msg(t.rc == ZONE_SYNTAX && strstr(t.err, "255"), "the default keeps the limit: '%s'", t.err);
	zone_free(t.z);
}
END_TEST

struct err_case {
	const char *text;
	const char *prefix; /* "file:line:" */
	const char *why;
};

static const struct err_case err_cases[] = {
	{ "a.example. TXT \"ok\"\nb.example. TXT \"unterminated\n", ZONE_LABEL ":2:", "unterminated" },
	{ "a.example. TXT ( \"x\"\n", ZONE_LABEL ":1:", "unbalanced" },
	{ "a.example. TXT \"x\"\n\n\nb.example. TXT \"x\" )\n", ZONE_LABEL ":4:", "unbalanced" },
	{ "a.example. TXT\n", ZONE_LABEL ":1:", "without data" },
	{ "a.example. 300 IN\n", ZONE_LABEL ":1:", "without a type" },
	{ "$ORIGIN\n", ZONE_LABEL ":1:", "ORIGIN" },
	{ "$INCLUDE other.zone\n", ZONE_LABEL ":1:", "directive" },
	{ "\"quoted\" TXT \"x\"\n", ZONE_LABEL ":1:", "quoted" },
	/* what DNS would not answer either: never a silent skip */
	{ "a.example. TXT \"ok\"\nb.example. 300 IN FOO \"x\"\n", ZONE_LABEL ":2:", "unknown record type 'FOO'" },
	{ "a.example. TXT \"ok\"\n\nb.example. IN TXTX \"x\"\n", ZONE_LABEL ":3:", "unknown record type 'TXTX'" },
	{ "a.example. CH TXT \"x\"\n", ZONE_LABEL ":1:", "class CH" },
	{ "a.example. 60 HS TXT \"x\"\n", ZONE_LABEL ":1:", "class HS" },
	{ "a.example. CLASS3 TXT \"x\"\n", ZONE_LABEL ":1:", "class CLASS3" },
	{ "a.example. TYPE16 \\# 2 0141\n", ZONE_LABEL ":1:", "write TXT records by name" },
	{ "a.example. DNAME b.example.\n", ZONE_LABEL ":1:", "DNAME is not supported" },
	{ "*.example. TXT \"x\"\n", ZONE_LABEL ":1:", "wildcard" },
	{ "a.example. CNAME b.example. c.example.\n", ZONE_LABEL ":1:", "exactly one target" },
	{ "a.example. CNAME \"b.example.\"\n", ZONE_LABEL ":1:", "exactly one target" },
	{ "a.example. CNAME b.example.\n; x\na.example. TXT \"x\"\n", ZONE_LABEL ":3:", "CNAME and other records" },
	{ "a.example. TXT \"x\"\na.example. CNAME b.example.\n", ZONE_LABEL ":2:", "CNAME and other records" },
	{ "a.example. CNAME b.example.\na.example. CNAME c.example.\n", ZONE_LABEL ":2:", "CNAME and other records" },
	{ "a.example. CNAME b.example.\nb.example. CNAME a.example.\n", ZONE_LABEL ":1:", "CNAME loop" },
	{ "a.example. CNAME a.example.\n", ZONE_LABEL ":1:", "CNAME loop" },
	{ "$ORIGIN x.\nc0 CNAME c1\nc1 CNAME c2\nc2 CNAME c3\nc3 CNAME c4\nc4 CNAME c5\nc5 CNAME c6\nc6 CNAME c7\n"
	  "c7 CNAME c8\nc8 CNAME c9\nc9 TXT \"end\"\n", ZONE_LABEL ":2:", "longer than 8" },
	{ "example. SOA ns.example. host.example. 1 2 3\n", ZONE_LABEL ":1:", "SOA needs 7" },
	{ "$TTL soon\n", ZONE_LABEL ":1:", "$TTL needs" },
	{ "a.example. 99999999999 TXT \"x\"\n", ZONE_LABEL ":1:", "unknown record type '99999999999'" },
};

START_TEST(test_errors)
{
	const struct err_case *c = &err_cases[_i];
	struct tzone t;
	parse_zone(&t, c->text);
	ck_assert_msg(t.rc == ZONE_SYNTAX, "case %d must fail", _i);
	ck_assert_msg(strncmp(t.err, c->prefix, strlen(c->prefix)) == 0, "case %d: err '%s' should start with '%s'", _i,
		      t.err, c->prefix);
	ck_assert_msg(strstr(t.err, c->why) != NULL, "case %d: err '%s' should mention '%s'", _i, t.err, c->why);
	zone_free(t.z);
}
END_TEST

START_TEST(test_string_length_limit)
{
	/* RFC 1035 §3.3: a character-string is at most 255 octets */
	char text[700];
	char s255[256], s256[257];
	memset(s255, 'a', 255);
	s255[255] = '\0';
	memset(s256, 'b', 256);
	s256[256] = '\0';
	struct tzone t;
	snprintf(text, sizeof text, "a.example. TXT \"%s\"\n", s255);
	parse_zone(&t, text);
	ck_assert_msg(t.rc == 0, "255 octets are fine: %s", t.err);
	expect_one(t.z, "a.example", s255, 1);
	zone_free(t.z);

	snprintf(text, sizeof text, "; c\nb.example. TXT \"x\" \"%s\"\n", s256);
	parse_zone(&t, text);
	ck_assert_msg(t.rc == ZONE_SYNTAX, "256 octets in one quoted string must fail");
	ck_assert_msg(strncmp(t.err, ZONE_LABEL ":2:", strlen(ZONE_LABEL ":2:")) == 0 && strstr(t.err, "255"),
		      "err '%s'", t.err);
	zone_free(t.z);

	/* escapes count as one octet each */
	char esc[255 * 4 + 64];
	size_t j = (size_t)snprintf(esc, sizeof esc, "c.example. TXT \"");
	for (int i = 0; i < 255; i++)
		j += (size_t)snprintf(esc + j, sizeof esc - j, "\\065");
	snprintf(esc + j, sizeof esc - j, "\"\n");
	parse_zone(&t, esc);
	ck_assert_msg(t.rc == 0, "255 escaped octets are fine: %s", t.err);
	zone_free(t.z);
}
END_TEST

START_TEST(test_load_testdata)
{
	char path[512], err[300];
	const char *td = getenv("ARCVERIFY_TESTDATA");
	snprintf(path, sizeof path, "%s/keys.zone", td && *td ? td : "testdata");
	struct zone *z = zone_new();
	ck_assert(z != NULL);
	ck_assert_msg(zone_load_file(z, path, err, sizeof err) == 0, "load %s: %s", path, err);
	ck_assert_msg(zone_count(z) == 20, "%s holds 20 TXT records, got %zu", path, zone_count(z));
	struct keyans ans;
	answer(z, "rsa2048._domainkey.example.com", &ans);
	ck_assert_msg(ans.status == KEYANS_OK && ans.nrecords == 1, "rsa2048 record");
	ck_assert_msg(ans.records[0].nstrings == 2, "the 2048-bit record has 2 strings, got %u", ans.records[0].nstrings);
	ck_assert_msg(strncmp(ans.records[0].text, "v=DKIM1; k=rsa; p=MIIB", 22) == 0, "text '%.40s'",
		      ans.records[0].text);
	ck_assert_msg(strchr(ans.records[0].text, '"') == NULL, "strings joined without quotes");
	ck_assert_msg(strncmp(ans.records[0].origin, path, strlen(path)) == 0, "origin '%s' names the file",
		      ans.records[0].origin);
	/* the joined record is a usable 2048-bit key */
	struct keyrec k;
	struct verdict v;
	memset(&v, 0, sizeof v);
	struct keyrec_policy pol = { .min_rsa_bits = 1024 };
	ck_assert_msg(keyrec_parse(ans.records[0].text, ans.records[0].len, KEY_RSA, &pol, &k, &v) == 0,
		      "rsa2048 record parses: %s", v.reason);
	ck_assert(k.bits == 2048);
	keyrec_free(&k);
	keyans_clear(&ans);
	answer(z, "rsa4096._domainkey.example.com", &ans);
	ck_assert_msg(ans.status == KEYANS_OK && ans.records[0].nstrings == 3, "rsa4096 has 3 strings");
	keyans_clear(&ans);
	expect_nxdomain(z, "missing._domainkey.example.com");
	zone_free(z);
}
END_TEST

START_TEST(test_load_shared_corpus)
{
	const char *shared = getenv("ARCVERIFY_SHARED");
	if (!shared || !*shared)
		shared = "../shared";
	char path[512], err[300];
	snprintf(path, sizeof path, "%s/testsuites/mail-dkim-corpus/keys.zone", shared);
	FILE *f = fopen(path, "r");
	if (!f) {
		fixture_skip("zone test_load_shared_corpus", "%s is absent (set ARCVERIFY_SHARED to the shared/ directory)",
			     path);
		return;
	}
	fclose(f);
	struct zone *z = zone_new();
	ck_assert(z != NULL);
	ck_assert_msg(zone_load_file(z, path, err, sizeof err) == 0, "load %s: %s", path, err);
	ck_assert_msg(zone_count(z) >= 20, "%s: %zu records", path, zone_count(z));
	struct keyans ans;
	answer(z, "selector1._domainkey.messiah.edu", &ans);
	ck_assert_msg(ans.status == KEYANS_OK && ans.nrecords == 1 && strncmp(ans.records[0].text, "k=rsa; p=MIGf", 13) == 0,
		      "selector1._domainkey.messiah.edu");
	keyans_clear(&ans);
	answer(z, "2023-05-ed25519-empty._domainkey.wander.science", &ans);
	ck_assert_msg(ans.status == KEYANS_OK && ans.nrecords == 1 && ans.records[0].len == 0,
		      "the empty TXT record is held as an empty string");
	keyans_clear(&ans);
	expect_nxdomain(z, "nonexistent._domainkey.messiah.edu");
	zone_free(z);
}
END_TEST

START_TEST(test_load_missing_file)
{
	struct zone *z = zone_new();
	char err[300] = "";
	ck_assert(zone_load_file(z, "/nonexistent/dir/keys.zone", err, sizeof err) == ZONE_UNREADABLE);
	ck_assert_msg(strstr(err, "/nonexistent/dir/keys.zone") != NULL, "err names the file: '%s'", err);
	ck_assert(zone_count(z) == 0);
	zone_free(z);
	zone_free(NULL);
}
END_TEST


/* RFC 1034 §3.6.2: a CNAME at the key name is followed; providers publish keys so. */
START_TEST(test_cname_followed)
{
	struct tzone t;
	struct keyans ans;
	parse_zone(&t, "$ORIGIN example.\n"
		       "sel._domainkey   IN CNAME sel.dkim.provider.test.\n"
		       "two._domainkey   IN CNAME Hop\n"
		       "hop              IN CNAME sel.dkim.provider.test.\n"
		       "gone._domainkey  IN CNAME nowhere.provider.test.\n"
		       "bare._domainkey  IN CNAME host\n"
		       "host             IN A 192.0.2.1\n"
		       "$ORIGIN provider.test.\n"
		       "sel.dkim         IN TXT \"v=DKIM1; p=PROVIDER\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	answer(t.z, "SEL._domainkey.example.", &ans);
	ck_assert_msg(ans.status == KEYANS_OK && ans.nrecords == 1, "status %s", keyans_status_word(ans.status));
	ck_assert_str_eq(ans.records[0].text, "v=DKIM1; p=PROVIDER");
	ck_assert_str_eq(ans.records[0].origin, ZONE_LABEL ":9");
	ck_assert_str_eq(ans.target, "sel.dkim.provider.test");
	ck_assert_uint_eq(ans.cnames, 1);
	keyans_clear(&ans);
	answer(t.z, "two._domainkey.example", &ans); /* relative target, two hops, case-insensitive */
	ck_assert_msg(ans.status == KEYANS_OK, "two hops: %s", ans.detail);
	ck_assert_uint_eq(ans.cnames, 2);
	ck_assert_str_eq(ans.target, "sel.dkim.provider.test");
	keyans_clear(&ans);
	answer(t.z, "gone._domainkey.example", &ans);
	ck_assert_int_eq(ans.status, KEYANS_NXDOMAIN);
	ck_assert_msg(strstr(ans.detail, "nowhere.provider.test") != NULL, "detail names the target: %s", ans.detail);
	keyans_clear(&ans);
	expect_nodata(t.z, "bare._domainkey.example");
	expect_one(t.z, "sel.dkim.provider.test", "v=DKIM1; p=PROVIDER", 1);
	zone_free(t.z);
}
END_TEST

struct ttl_seen {
	char name[64];
	unsigned ttl, rrtype;
	int n;
};

static int ttl_of(void *ctx, const struct zone_record *r)
{
	struct ttl_seen *s = ctx;
	snprintf(s->name, sizeof s->name, "%s", r->name);
	s->ttl = r->ttl;
	s->rrtype = r->rrtype;
	s->n++;
	return 0;
}

static unsigned ttl_at(const struct zone *z, const char *name, unsigned rrtype)
{
	struct ttl_seen s = { .n = 0 };
	zone_find(z, name, ttl_of, &s);
	ck_assert_msg(s.n == 1, "%s: %d records", name, s.n);
	ck_assert_uint_eq(s.rrtype, rrtype);
	return s.ttl;
}

/* TTLs as written, in BIND units, from $TTL (RFC 2308 §4), or ZONE_DEFAULT_TTL. */
START_TEST(test_ttls)
{
	struct tzone t;
	parse_zone(&t, "a.example. TXT \"default\"\n"
		       "b.example. 60 TXT \"sixty\"\n"
		       "c.example. IN 1h30m TXT \"units\"\n"
		       "$TTL 2d\n"
		       "d.example. TXT \"dollar ttl\"\n"
		       "e.example. 1W IN CNAME d.example.\n"
		       "f.example. 0 MX 10 a.example.\n"
		       "example. SOA ns.example. host.example. 1 7200 3600 1209600 120\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	ck_assert_uint_eq(ttl_at(t.z, "a.example", 16), ZONE_DEFAULT_TTL);
	ck_assert_uint_eq(ttl_at(t.z, "b.example", 16), 60);
	ck_assert_uint_eq(ttl_at(t.z, "C.example.", 16), 5400);
	ck_assert_uint_eq(ttl_at(t.z, "d.example", 16), 172800);
	ck_assert_uint_eq(ttl_at(t.z, "e.example", 5), 604800);
	ck_assert_uint_eq(ttl_at(t.z, "f.example", 15), 0);
	ck_assert_uint_eq(ttl_at(t.z, "example", 6), 172800);
	struct ttl_seen none = { .n = 0 };
	ck_assert_int_eq(zone_find(t.z, "nothing.example", ttl_of, &none), 0);
	ck_assert_int_eq(none.n, 0);
	zone_free(t.z);
	parse_zone(&t, "a.example. CLASS1 TXT \"IN by number\"\nb.example. in txt \"lower case\"\n");
	ck_assert_msg(t.rc == 0, "parse: %s", t.err);
	expect_one(t.z, "b.example", "lower case", 1);
	zone_free(t.z);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* The caller tells a broken key file (EX_CONFIG) from one it cannot read (EX_NOINPUT). */
START_TEST(test_error_kinds)
{
	char dir[] = "/tmp/check_zone.XXXXXX", good[64], bad[64], err[300];
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(good, sizeof good, "%s/good.zone", dir);
	snprintf(bad, sizeof bad, "%s/bad.zone", dir);
	write_file(good, "a.example. TXT \"x\"\n");
	write_file(bad, "a.example. TXT \"x\"\nb.example. IN SPFX \"v=spf1\"\n");
	struct zone *z = zone_new();
	ck_assert_int_eq(zone_load_file(z, good, err, sizeof err), ZONE_OK);
	ck_assert_int_eq(zone_load_file(z, bad, err, sizeof err), ZONE_SYNTAX);
	ck_assert_msg(strstr(err, "bad.zone:2:") && strstr(err, "SPFX"), "err: %s", err);
	ck_assert_int_eq(zone_load_file(z, dir, err, sizeof err), ZONE_UNREADABLE); /* a directory */
	zone_free(z);
	const char *files[] = { good, bad }, *missing[] = { good, "/nonexistent/keys.zone" };
	enum zone_status st = ZONE_OK;
	ck_assert_ptr_null(lookup_new_zone(files, 2, &st, err, sizeof err));
	ck_assert_int_eq(st, ZONE_SYNTAX);
	ck_assert_ptr_null(lookup_new_zone(missing, 2, &st, err, sizeof err));
	ck_assert_int_eq(st, ZONE_UNREADABLE);
	struct lookup *lk = lookup_new_zone(files, 1, &st, err, sizeof err);
	ck_assert_msg(lk != NULL && st == ZONE_OK, "%s", err);
	ck_assert_int_eq(lookup_async(lk), 0);
	const struct keyans *a = lookup_wait(lk, "A.Example.");
	ck_assert_int_eq(a->status, KEYANS_OK);
	ck_assert_int_eq(a->source, KEYANS_SRC_KEYS);
	ck_assert_str_eq(a->server, good);
	lookup_free(lk);
	unlink(good);
	unlink(bad);
	rmdir(dir);
}
END_TEST

/* After a syntax error the records read so far stay sorted and answerable. */
START_TEST(test_partial_zone_sorted)
{
	struct tzone t;
	parse_zone(&t, "z.example. TXT \"z\"\na.example. TXT \"a\"\nm.example. BOGUS x\n");
	ck_assert_int_eq(t.rc, ZONE_SYNTAX);
	expect_one(t.z, "a.example", "a", 1);
	expect_one(t.z, "z.example", "z", 1);
	zone_free(t.z);
}
END_TEST

/* The key text of name in testdata/keys.zone, split in quoted strings of at most 250 octets. */
static void key_as_zone_strings(const char *name, struct buf *out)
{
	char path[512], err[300];
	snprintf(path, sizeof path, "%s/keys.zone", fixture_testdata());
	struct zone *z = zone_new();
	ck_assert_msg(zone_load_file(z, path, err, sizeof err) == ZONE_OK, "%s", err);
	struct keyans ans;
	answer(z, name, &ans);
	ck_assert_int_eq(ans.status, KEYANS_OK);
	for (size_t off = 0; off < ans.records[0].len; off += 250)
		buf_printf(out, " \"%.250s\"", ans.records[0].text + off);
	keyans_clear(&ans);
	zone_free(z);
}

/* End to end: a dkimpy-signed message verifies through a provider CNAME in a --keys file, and says so. */
START_TEST(test_keys_cname_end_to_end)
{
	char dir[] = "/tmp/check_zone_cname.XXXXXX", zpath[64], eml[512];
	struct buf zone, out, err;
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(zpath, sizeof zpath, "%s/keys.zone", dir);
	snprintf(eml, sizeof eml, "%s/dkim/alg-rsa-sha256.eml", fixture_testdata());
	buf_init(&zone, 1 << 16);
	buf_printf(&zone, "rsa2048._domainkey.example.com. IN CNAME rsa2048.keys.provider.test.\n"
			  "rsa2048.keys.provider.test. 3600 IN TXT");
	key_as_zone_strings("rsa2048._domainkey.example.com", &zone);
	buf_printf(&zone, "\n");
	write_file(zpath, zone.data);
	const char *text[] = { "arcverify", "-v", "--keys", zpath, "--now", "1764003600", eml, NULL };
	ck_assert_int_eq(fixture_exec(text, &out, &err, NULL), 0);
	ck_assert_msg(strstr(out.data, "via 1 CNAME to rsa2048.keys.provider.test"), "%s", out.data);
	ck_assert_msg(strstr(out.data, zpath) != NULL, "the record's origin is the key file: %s", out.data);
	buf_free(&out);
	buf_free(&err);
	const char *json[] = { "arcverify", "--json", "--keys", zpath, "--now", "1764003600", eml, NULL };
	ck_assert_int_eq(fixture_exec(json, &out, &err, NULL), 0);
	ck_assert_msg(strstr(out.data, "\"cname_target\":\"rsa2048.keys.provider.test\""), "%s", out.data);
	buf_free(&out);
	buf_free(&err);
	buf_free(&zone);
	unlink(zpath);
	rmdir(dir);
}
END_TEST

Suite *zone_suite(void)
{
	Suite *s = suite_create("zone");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_joined_strings);
	tcase_add_test(tc, test_ttl_class_order);
	tcase_add_test(tc, test_origin_and_at);
	tcase_add_test(tc, test_relative_origin);
	tcase_add_test(tc, test_owner_omitted);
	tcase_add_test(tc, test_parentheses);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_unquoted_word);
	tcase_add_test(tc, test_other_types_make_names_exist);
	tcase_add_test(tc, test_cname_followed);
	tcase_add_test(tc, test_ttls);
	tcase_add_test(tc, test_partial_zone_sorted);
	tcase_add_test(tc, test_history_order_and_dates);
	tcase_add_test(tc, test_lookup_case_and_dot);
	tcase_add_test(tc, test_crlf_lines);
	tcase_add_test(tc, test_no_final_newline_and_empty);
	tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof err_cases / sizeof err_cases[0]));
	tcase_add_test(tc, test_string_length_limit);
	tcase_add_test(tc, test_address_records_nodata);
	tcase_add_test(tc, test_foreach);
	tcase_add_test(tc, test_allow_long_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_load_testdata);
	tcase_add_test(tc, test_load_shared_corpus);
	tcase_add_test(tc, test_load_missing_file);
	tcase_add_test(tc, test_error_kinds);
	tcase_add_test(tc, test_keys_cname_end_to_end);
	suite_add_tcase(s, tc);
	return s;
}
