/*
 * compare: two copies of one message. The pairs in testdata/compare/ were made
 * by testdata/compare/make-pairs (dkimpy, signed at t=1764000000) and are
 * evaluated at t+3600 with keys from testdata/keys.zone and
 * testdata/compare/hop.zone. Every test runs compare_run in-process and checks
 * the classification, the byte counts and the explanations, in JSON (exact
 * key/value text) and in the text report.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "fixture.h"
#include "lookup.h"
#include "suites.h"

#define NOW 1764003600

struct pair_result {
	int rc;
	char err[400];
	struct buf out;
};

static struct lookup *zone_lookup(void)
{
	char keys[512], hop[512], err[300];
	snprintf(keys, sizeof keys, "%s/keys.zone", fixture_testdata());
	snprintf(hop, sizeof hop, "%s/compare/hop.zone", fixture_testdata());
	const char *files[] = { keys, hop };
	struct lookup *lk = lookup_new_zone(files, 2, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "zone lookup: %s", err);
	return lk;
}

static struct run_opts policy(int no_crlf)
{
	struct run_opts ro;
	memset(&ro, 0, sizeof ro);
	ro.policy.now = NOW;
	ro.policy.min_key_bits = 1024;
	ro.do_dkim = ro.do_arc = 1;
	ro.msg.no_crlf = no_crlf;
	return ro;
}

/* compare_run on two paths. */
static void compare_paths(const char *sent, const char *received, int json, int verbose, int no_crlf,
			  struct pair_result *res)
{
	struct lookup *lk = zone_lookup();
	struct run_opts ro = policy(no_crlf);
	struct compare_opts o = { &ro, NULL, json, verbose };
	buf_init(&res->out, (size_t)64 << 20);
	res->err[0] = '\0';
	res->rc = compare_run(sent, received, &o, lk, &res->out, res->err, sizeof res->err);
	lookup_free(lk);
	if (!res->out.data)
		buf_append(&res->out, "", 0);
}

static void pair_path(const char *name, const char *which, char *dst, size_t dstlen)
{
	snprintf(dst, dstlen, "%s/compare/%s.%s.eml", fixture_testdata(), name, which);
}

/* compare_run on testdata/compare/NAME.{sent,received}.eml; it must not fail. */
static void compare_pair(const char *name, int json, int no_crlf, struct pair_result *res)
{
	char sent[512], received[512];
	pair_path(name, "sent", sent, sizeof sent);
	pair_path(name, "received", received, sizeof received);
	compare_paths(sent, received, json, 0, no_crlf, res);
	ck_assert_msg(res->rc >= 0, "%s: %s", name, res->err);
}

#define ck_assert_has(res, text) \
	ck_assert_msg(strstr((res)->out.data, (text)) != NULL, "missing <%s> in:\n%s", (text), (res)->out.data)
#define ck_assert_lacks(res, text) \
	ck_assert_msg(strstr((res)->out.data, (text)) == NULL, "unexpected <%s> in:\n%s", (text), (res)->out.data)

/* The body of a stored message (after the first empty line), counted independently of arcverify. */
static size_t body_length(const char *path)
{
	struct buf b;
	ck_assert_int_eq(fixture_read_file(path, &b), 0);
	const char *sep = strstr(b.data, "\r\n\r\n");
	size_t len = sep ? b.len - (size_t)(sep + 4 - b.data) : 0;
	buf_free(&b);
	return len;
}

static size_t count_byte(const char *path, char c)
{
	struct buf b;
	ck_assert_int_eq(fixture_read_file(path, &b), 0);
	size_t n = 0;
	for (size_t i = 0; i < b.len; i++)
		n += b.data[i] == c;
	buf_free(&b);
	return n;
}

/* The JSON object of the signature whose text contains key (e.g. "\"s\":\"rsa1024\""), as a string. */
static char *signature_object(const struct pair_result *res, const char *key)
{
	const char *hit = strstr(res->out.data, key);
	ck_assert_msg(hit != NULL, "no signature with %s in %s", key, res->out.data);
	const char *start = hit;
	while (start > res->out.data && *start != '{')
		start--;
	const char *end = strchr(hit, '}');
	ck_assert_ptr_nonnull(end);
	size_t len = (size_t)(end - start) + 1;
	char *obj = malloc(len + 1);
	memcpy(obj, start, len);
	obj[len] = '\0';
	return obj;
}

#define ck_assert_obj_has(obj, text) ck_assert_msg(strstr((obj), (text)) != NULL, "missing <%s> in %s", (text), (obj))

/* (a) mailing list: footer appended, Subject tagged, List-Id and Received added. */
START_TEST(test_list_footer_json)
{
	struct pair_result res;
	compare_pair("list-footer", 1, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_CHANGED);
	ck_assert_msg(strncmp(res.out.data, "{\"schema\":", 10) == 0, "%s", res.out.data);
	ck_assert_has(&res, "\"signed_content_changed\":true");
	char sent[512], received[512];
	pair_path("list-footer", "sent", sent, sizeof sent);
	pair_path("list-footer", "received", received, sizeof received);
	size_t appended = body_length(received) - body_length(sent);
	ck_assert_uint_eq(appended, 56);
	char expect[200];
	snprintf(expect, sizeof expect, "\"appended_bytes\":%zu", appended);
	ck_assert_has(&res, expect);
	ck_assert_has(&res, "\"kind\":\"appended\"");
	ck_assert_has(&res, "\"changed\":true");
	snprintf(expect, sizeof expect, "\"first_difference\":%zu,\"first_difference_line\":7", body_length(sent));
	ck_assert_has(&res, expect);
	ck_assert_has(&res, "\"truncated_bytes\":null");
	ck_assert_has(&res, "\"added\":[{\"name\":\"Received\",\"value\":\" from mail.example.com");
	ck_assert_has(&res, "{\"name\":\"List-Id\",\"value\":\" Team <team.lists.example.org>\",\"role\":\"list\"}");
	ck_assert_has(&res, "\"removed\":[]");
	ck_assert_has(&res, "\"changed\":[{\"name\":\"Subject\",\"from_bottom\":1,\"whitespace_only\":false,"
		      "\"sent\":\" Quarterly figures\",\"received\":\" [team] Quarterly figures\"}]");
	ck_assert_has(&res, "\"canonically_equal\":{\"simple\":false,\"relaxed\":false}");

	/* DKIM #1: l= keeps the body hash, but Subject changed and the over-signed List-Id was added */
	char *l_sig = signature_object(&res, "\"s\":\"rsa1024\"");
	ck_assert_obj_has(l_sig, "\"kind\":\"dkim\",\"instance\":1,\"received_position\":1");
	ck_assert_obj_has(l_sig, "\"sent\":\"pass\"");
	ck_assert_obj_has(l_sig, "\"received\":\"fail\",\"received_reason\":\"signature did not verify\"");
	ck_assert_obj_has(l_sig, "\"outcome\":\"broken\",\"explained\":true");
	ck_assert_obj_has(l_sig, "explained: signed fields Subject changed, List-Id added (b= covers the fields h= "
			  "names, RFC 6376 §3.7, §5.4)");
	free(l_sig);
	/* DKIM #2: no l=, so the footer breaks the body hash */
	char *sig = signature_object(&res, "\"s\":\"rsa2048\"");
	ck_assert_obj_has(sig, "\"received_reason\":\"body hash mismatch\"");
	ck_assert_obj_has(sig, "\"explained\":true");
	ck_assert_obj_has(sig, "explained: the body was changed (56 bytes appended)");
	ck_assert_obj_has(sig, "Also, b= no longer verifies: signed field Subject changed");
	free(sig);
	ck_assert_has(&res, "\"arc\":{\"sent\":{\"result\":\"none\"");
	buf_free(&res.out);
}
END_TEST

START_TEST(test_list_footer_text)
{
	struct pair_result res;
	compare_pair("list-footer", 0, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "HEADER CHANGES  (2 added, 0 removed, 1 changed;");
	ck_assert_has(&res, "  added    Received: from mail.example.com (mail.example.com [192.0.2.10]) by lists");
	ck_assert_has(&res, "  added    List-Id: Team <team.lists.example.org>  [list]");
	ck_assert_has(&res, "  changed  Subject: content\n             sent:     Quarterly figures\n"
		      "             received: [team] Quarterly figures\n");
	ck_assert_has(&res, "BODY  (97 bytes sent, 153 bytes received)");
	ck_assert_has(&res, "appended: 56 bytes appended after the sent body, starting \"-- \"");
	ck_assert_has(&res, "SIGNATURES  (2: 2 broken in transit, 0 added, 0 removed)");
	ck_assert_has(&res, "  DKIM #1  d=example.com s=rsa1024 c=relaxed/relaxed l=97\n");
	ck_assert_has(&res, "      received: fail      signature did not verify\n");
	ck_assert_has(&res, "2 signatures broken in transit, all explained");
	ck_assert_has(&res, "  signed content changed in transit (exit status 1)\n");
	buf_free(&res.out);
}
END_TEST

/* The same pair read backwards: the body is truncated, fields removed, signatures repaired. */
START_TEST(test_list_footer_reversed)
{
	char sent[512], received[512];
	pair_path("list-footer", "received", sent, sizeof sent);
	pair_path("list-footer", "sent", received, sizeof received);
	struct pair_result res;
	compare_paths(sent, received, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"kind\":\"truncated\"");
	ck_assert_has(&res, "\"appended_bytes\":null,\"truncated_bytes\":56");
	ck_assert_has(&res, "\"added\":[]");
	ck_assert_has(&res, "\"removed\":[{\"name\":\"Received\"");
	ck_assert_has(&res, "\"outcome\":\"repaired\",\"explained\":false");
	ck_assert_lacks(&res, "\"outcome\":\"broken\"");
	buf_free(&res.out);
}
END_TEST

/* (b) only trace fields added: nothing signed changed, every signature still passes. */
START_TEST(test_trace_only)
{
	struct pair_result res;
	compare_pair("trace-only", 1, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_SAME);    /* trace fields are not signed content */
	ck_assert_has(&res, "\"identical\":false,\"signed_content_changed\":false");
	ck_assert_has(&res, "{\"name\":\"Return-Path\",\"value\":\" <alice@example.com>\",\"role\":\"trace\"}");
	ck_assert_has(&res, "{\"name\":\"Delivered-To\",\"value\":\" bob@example.org\",\"role\":\"trace\"}");
	ck_assert_has(&res, "\"role\":\"authentication-results\"");
	ck_assert_has(&res, "\"removed\":[],\"changed\":[]");
	ck_assert_has(&res, "\"kind\":\"identical\"");
	ck_assert_has(&res, "\"first_difference\":null");
	ck_assert_has(&res, "\"sent\":\"pass\",\"sent_reason\":\"signature verified\",\"received\":\"pass\"");
	ck_assert_has(&res, "\"outcome\":\"unchanged\",\"explained\":false,\"explanation\":\"passes in both copies.\"");
	buf_free(&res.out);
	compare_pair("trace-only", 0, 0, &res);
	ck_assert_has(&res, "HEADER CHANGES  (5 added, 0 removed, 0 changed;");
	ck_assert_has(&res, "  added    Received: from lists.example.org");
	ck_assert_has(&res, "  identical: the bodies are identical (97 bytes)");
	ck_assert_has(&res, "body identical\n");
	buf_free(&res.out);
}
END_TEST

/* (c) quoted-printable re-encoded as base64, Content-Transfer-Encoding changed. */
START_TEST(test_re_encoded)
{
	struct pair_result res;
	compare_pair("re-encoded", 1, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"kind\":\"re-encoded\"");
	ck_assert_has(&res, "\"decoded\":\"identical\"");
	ck_assert_has(&res, "Content-Transfer-Encoding quoted-printable in the sent copy, base64 in the received copy");
	ck_assert_has(&res, "\"changed\":[{\"name\":\"Content-Transfer-Encoding\",\"from_bottom\":1,\"whitespace_only\":false,"
		      "\"sent\":\" quoted-printable\",\"received\":\" base64\"}]");
	ck_assert_has(&res, "\"first_difference\":");
	ck_assert_has(&res, "\"appended_bytes\":null");
	char *sig = signature_object(&res, "\"s\":\"rsa2048\"");
	ck_assert_obj_has(sig, "\"outcome\":\"broken\",\"explained\":true");
	ck_assert_obj_has(sig, "explained: the body was changed (re-encoded from quoted-printable to base64)");
	ck_assert_obj_has(sig, "signed field Content-Transfer-Encoding changed");
	free(sig);
	buf_free(&res.out);
}
END_TEST

/* (d) a copy saved with bare LF: a normal run converts, so the copies are the same message. */
START_TEST(test_line_ends_converted)
{
	struct pair_result res;
	compare_pair("line-ends", 1, 0, &res);
	ck_assert_int_eq(res.rc, 0);
	char received[512], expect[120];
	pair_path("line-ends", "received", received, sizeof received);
	ck_assert_uint_eq(count_byte(received, '\r'), 0);
	snprintf(expect, sizeof expect, "\"lf_converted\":{\"sent\":0,\"received\":%zu}", count_byte(received, '\n'));
	ck_assert_has(&res, expect);
	ck_assert_has(&res, "\"identical\":true");
	ck_assert_has(&res, "\"kind\":\"identical\"");
	ck_assert_has(&res, "\"outcome\":\"unchanged\"");
	buf_free(&res.out);
	compare_pair("line-ends", 0, 0, &res);
	ck_assert_has(&res, "the copies are identical once bare LF line ends are converted to CRLF");
	buf_free(&res.out);
}
END_TEST

/* (d) the same with --no-crlf: the stored bytes differ in line ends only. */
START_TEST(test_line_ends_no_crlf)
{
	struct pair_result res;
	compare_pair("line-ends", 1, 1, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"kind\":\"line-ends\"");
	ck_assert_has(&res, "\"lf_converted\":{\"sent\":0,\"received\":0}");
	ck_assert_has(&res, "\"changed\":[{\"name\":\"DKIM-Signature\",\"from_bottom\":1,\"whitespace_only\":true");
	char *sig = signature_object(&res, "\"s\":\"rsa2048\"");
	ck_assert_obj_has(sig, "\"received_reason\":\"body hash mismatch\"");
	ck_assert_obj_has(sig, "explained: the body was changed (line ends changed)");
	ck_assert_obj_has(sig, "the DKIM-Signature field itself changed");
	free(sig);
	buf_free(&res.out);
}
END_TEST

/* (d) white space only: simple/simple breaks, relaxed/relaxed survives. */
START_TEST(test_whitespace)
{
	struct pair_result res;
	compare_pair("whitespace", 1, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"kind\":\"whitespace\"");
	ck_assert_has(&res, "\"canonically_equal\":{\"simple\":false,\"relaxed\":true}");
	ck_assert_has(&res, "{\"name\":\"To\",\"from_bottom\":1,\"whitespace_only\":true,\"sent\":\" Bob <bob@example.org>\","
		      "\"received\":\" Bob\\r\\n <bob@example.org>\"}");
	char *simple = signature_object(&res, "\"s\":\"rsa1024\"");
	ck_assert_obj_has(simple, "\"outcome\":\"broken\",\"explained\":true");
	ck_assert_obj_has(simple, "explained: the body was changed (white space changed)");
	ck_assert_obj_has(simple, "To changed only in white space or folding, which c=simple header canonicalization keeps");
	free(simple);
	char *relaxed = signature_object(&res, "\"s\":\"rsa2048\"");
	ck_assert_obj_has(relaxed, "\"received\":\"pass\"");
	ck_assert_obj_has(relaxed, "\"outcome\":\"unchanged\",\"explained\":false");
	ck_assert_obj_has(relaxed, "disappears under its relaxed body canonicalization");
	ck_assert_obj_has(relaxed, "To (white space or folding only)");
	free(relaxed);
	buf_free(&res.out);
	compare_pair("whitespace", 0, 0, &res);
	ck_assert_has(&res, "  changed  To: white space, folding or name case only");
	ck_assert_has(&res, "received:  Bob\\r\\n <bob@example.org>");
	buf_free(&res.out);
}
END_TEST

/* (e) a relay strips the DKIM-Signature and seals an ARC set. */
START_TEST(test_dkim_removed_arc_added)
{
	struct pair_result res;
	compare_pair("dkim-removed-arc-added", 1, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_SAME);    /* the signature went, what it signed is the same */
	ck_assert_has(&res, "\"added\":[{\"name\":\"ARC-Seal\"");
	ck_assert_has(&res, "\"role\":\"arc\"},{\"name\":\"ARC-Message-Signature\"");
	ck_assert_has(&res, "\"removed\":[{\"name\":\"DKIM-Signature\"");
	ck_assert_has(&res, "\"role\":\"dkim-signature\"}]");
	ck_assert_has(&res, "\"kind\":\"identical\"");
	char *dkim = signature_object(&res, "\"kind\":\"dkim\"");
	ck_assert_obj_has(dkim, "\"sent\":\"pass\"");
	ck_assert_obj_has(dkim, "\"received\":null,\"received_reason\":null");
	ck_assert_obj_has(dkim, "\"outcome\":\"removed\",\"explained\":true");
	ck_assert_obj_has(dkim, "removed in transit");
	free(dkim);
	char *seal = signature_object(&res, "\"kind\":\"as\"");
	ck_assert_obj_has(seal, "\"instance\":1,\"d\":\"relay.example.net\",\"s\":\"arc\",\"sent\":null");
	ck_assert_obj_has(seal, "\"received\":\"pass\"");
	ck_assert_obj_has(seal, "\"outcome\":\"added\",\"explained\":false");
	ck_assert_obj_has(seal, "added in transit (by d=relay.example.net, ARC set i=1");
	free(seal);
	char *ams = signature_object(&res, "\"kind\":\"ams\"");
	ck_assert_obj_has(ams, "added in transit (by d=relay.example.net");
	free(ams);
	/* newest ARC first, AS before AMS, after the DKIM-Signatures */
	const char *p_dkim = strstr(res.out.data, "\"kind\":\"dkim\""), *p_as = strstr(res.out.data, "\"kind\":\"as\"");
	const char *p_ams = strstr(res.out.data, "\"kind\":\"ams\"");
	ck_assert(p_dkim < p_as && p_as < p_ams);
	ck_assert_has(&res, "\"arc\":{\"sent\":{\"result\":\"none\",\"reason\":\"no ARC header fields\"},"
		      "\"received\":{\"result\":\"pass\"");
	buf_free(&res.out);
	compare_pair("dkim-removed-arc-added", 0, 0, &res);
	ck_assert_has(&res, "  removed  DKIM-Signature: v=1;");
	ck_assert_has(&res, "  AS i=1  d=relay.example.net s=arc\n      sent:     (absent)\n");
	ck_assert_has(&res, "  ARC chain: sent none, received pass");
	buf_free(&res.out);
}
END_TEST

/* A later hop rewrites the AAR of set 1: the seal breaks, the AMS does not sign the AAR. */
START_TEST(test_arc_aar_rewritten)
{
	struct pair_result res;
	compare_pair("arc-aar-rewritten", 1, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"changed\":[{\"name\":\"ARC-Authentication-Results\",\"from_bottom\":1,"
		      "\"whitespace_only\":false");
	char *seal = signature_object(&res, "\"kind\":\"as\"");
	ck_assert_obj_has(seal, "\"sent\":\"pass\"");
	ck_assert_obj_has(seal, "\"received\":\"fail\",\"received_reason\":\"signature did not verify\"");
	ck_assert_obj_has(seal, "\"outcome\":\"broken\",\"explained\":true");
	ck_assert_obj_has(seal, "explained: signed field ARC-Authentication-Results i=1 changed (an ARC-Seal signs "
			  "the ARC sets 1..i, RFC 8617 §5.1.1)");
	free(seal);
	char *ams = signature_object(&res, "\"kind\":\"ams\"");
	ck_assert_obj_has(ams, "\"outcome\":\"unchanged\"");
	free(ams);
	ck_assert_has(&res, "\"arc\":{\"sent\":{\"result\":\"pass\"");
	ck_assert_has(&res, "\"received\":{\"result\":\"fail\",\"reason\":\"ARC-Seal i=1 does not verify");
	buf_free(&res.out);
}
END_TEST

/* A signature already broken when sent: the changes do not explain it. */
START_TEST(test_fails_in_both)
{
	struct pair_result res;
	compare_pair("fails-in-both", 1, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_SAME);    /* only a Received added */
	char *sig = signature_object(&res, "\"kind\":\"dkim\"");
	ck_assert_obj_has(sig, "\"sent\":\"fail\",\"sent_reason\":\"body hash mismatch\"");
	ck_assert_obj_has(sig, "\"outcome\":\"unchanged\",\"explained\":false");
	ck_assert_obj_has(sig, "fails in the sent copy too (body hash mismatch): the failure predates transit");
	free(sig);
	buf_free(&res.out);
}
END_TEST

START_TEST(test_same_file)
{
	char path[512];
	pair_path("list-footer", "received", path, sizeof path);
	struct pair_result res;
	compare_paths(path, path, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, 0);
	ck_assert_has(&res, "\"identical\":true");
	ck_assert_has(&res, "\"added\":[],\"removed\":[],\"changed\":[]");
	ck_assert_lacks(&res, "\"outcome\":\"broken\"");
	buf_free(&res.out);
	compare_paths(path, path, 0, 1, 0, &res);
	ck_assert_has(&res, "the copies are identical\n");
	ck_assert_has(&res, "      h=        from:to:subject:date:message-id");   /* -v lists h= */
	buf_free(&res.out);
}
END_TEST

/* ---------------------------------------------------------- hostile input ---- */

/* Temporary messages live in one directory, made and removed by the parent (unchecked fixture). */
static char tmpdir[] = "/tmp/arcverify-compare-XXXXXX";

static void make_tmpdir(void)
{
	if (!mkdtemp(tmpdir))
		tmpdir[0] = '\0';
}

static void remove_tmpdir(void)
{
	DIR *d = tmpdir[0] ? opendir(tmpdir) : NULL;
	if (!d)
		return;
	struct dirent *e;
	char path[600];
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(tmpdir);
}

/* Write a temporary message (prefix, if any, then len bytes of data repeated times); return its path. */
static void write_temp_after(const char *prefix, const char *data, size_t len, size_t times, char *path,
			     size_t pathlen)
{
	ck_assert_msg(tmpdir[0], "no temporary directory");
	snprintf(path, pathlen, "%s/XXXXXX", tmpdir);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	if (prefix)
		ck_assert_int_ge(fputs(prefix, f), 0);
	for (size_t i = 0; i < times; i++)
		ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void write_temp(const char *data, size_t len, size_t times, char *path, size_t pathlen)
{
	write_temp_after(NULL, data, len, times, path, pathlen);
}

/* An empty file holds no header field: not a message (exit 65), whichever copy it is. */
START_TEST(test_empty_files)
{
	char a[600], b[600];
	write_temp("", 0, 1, a, sizeof a);
	write_temp("From: a@example.com\r\n\r\nx\r\n", 27, 1, b, sizeof b);
	struct pair_result res;
	compare_paths(a, b, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_NOT_MESSAGE);
	ck_assert_msg(strstr(res.err, "(the sent copy): not a message: no header field") != NULL, "%s", res.err);
	ck_assert_uint_eq(res.out.len, 0);
	buf_free(&res.out);
	compare_paths(b, a, 0, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_NOT_MESSAGE);
	ck_assert_msg(strstr(res.err, "(the received copy): not a message") != NULL, "%s", res.err);
	buf_free(&res.out);
}
END_TEST

/* The exit statuses of --compare, through the binary: 0 same signed content, 1 changed, 64, 65, 66. */
START_TEST(test_exit_statuses)
{
	char keys[512], hop[512], sent[512], received[512], trace_s[512], trace_r[512], empty[600];
	snprintf(keys, sizeof keys, "%s/keys.zone", fixture_testdata());
	snprintf(hop, sizeof hop, "%s/compare/hop.zone", fixture_testdata());
	pair_path("list-footer", "sent", sent, sizeof sent);
	pair_path("list-footer", "received", received, sizeof received);
	pair_path("trace-only", "sent", trace_s, sizeof trace_s);
	pair_path("trace-only", "received", trace_r, sizeof trace_r);
	write_temp("", 0, 1, empty, sizeof empty);
	struct { const char *a, *b; int status; const char *stderr_has; } cases[] = {
		{ sent, received, 1, "" },
		{ trace_s, trace_r, 0, "" },
		{ sent, "/nonexistent/arcverify/r.eml", 66, "(the received copy): No such file" },
		{ empty, received, 65, "(the sent copy): not a message" },
		{ "-", "-", 64, "standard input" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *argv[] = { "arcverify", "--keys", keys, "--keys", hop, "--now", "1764003600", "--compare",
				       cases[i].a, cases[i].b, NULL };
		struct buf out, err;
		int status = fixture_exec(argv, &out, &err, NULL);
		ck_assert_msg(status == cases[i].status, "case %zu: exit %d, want %d (%s)", i, status, cases[i].status,
			      err.data);
		ck_assert_msg(strstr(err.data, cases[i].stderr_has) != NULL, "case %zu: stderr %s", i, err.data);
		buf_free(&out);
		buf_free(&err);
	}
}
END_TEST

START_TEST(test_no_separator)
{
	char a[600], b[600];
	const char *sent = "From: a@example.com\r\nSubject: one";      /* ends mid-line, no body */
	const char *recv = "From: a@example.com\r\nSubject: two\r\n\r\nbody\r\n";
	write_temp(sent, strlen(sent), 1, a, sizeof a);
	write_temp(recv, strlen(recv), 1, b, sizeof b);
	struct pair_result res;
	compare_paths(a, b, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"separator\":{\"sent\":false,\"received\":true}");
	ck_assert_has(&res, "\"kind\":\"appended\",\"detail\":\"6 bytes appended after the sent body, starting \\\"body\\\"");
	ck_assert_has(&res, "\"name\":\"Subject\",\"from_bottom\":1,\"whitespace_only\":false,\"sent\":\" one\"");
	buf_free(&res.out);
}
END_TEST

/* Empty lines appended: a tail no body canonicalization sees (RFC 6376 §3.4.3, §3.4.4). */
START_TEST(test_empty_lines_appended)
{
	char a[600], b[600];
	const char *sent = "From: a\r\n\r\nhello\r\n";
	const char *recv = "From: a\r\n\r\nhello\r\n\r\n\r\n";
	write_temp(sent, strlen(sent), 1, a, sizeof a);
	write_temp(recv, strlen(recv), 1, b, sizeof b);
	struct pair_result res;
	compare_paths(a, b, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"kind\":\"appended\",\"detail\":\"4 bytes appended after the sent body (only empty lines");
	ck_assert_has(&res, "\"canonically_equal\":{\"simple\":true,\"relaxed\":true}");
	buf_free(&res.out);
	compare_paths(b, a, 1, 0, 0, &res);
	ck_assert_has(&res, "\"kind\":\"truncated\"");
	ck_assert_has(&res, "\"truncated_bytes\":4,\"first_difference\":7,\"first_difference_line\":2");
	buf_free(&res.out);
}
END_TEST

/* Repeated names are aligned from the bottom: the top Received is the added one. */
START_TEST(test_alignment_from_bottom)
{
	char a[600], b[600];
	const char *sent = "Received: by hop1\r\nReceived: by origin\r\nFrom: a\r\n\r\nx\r\n";
	const char *recv = "Received: by hop2\r\nReceived: by hop1\r\nReceived:  by origin\r\nFrom: a\r\n\r\nx\r\n";
	write_temp(sent, strlen(sent), 1, a, sizeof a);
	write_temp(recv, strlen(recv), 1, b, sizeof b);
	struct pair_result res;
	compare_paths(a, b, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"added\":[{\"name\":\"Received\",\"value\":\" by hop2\",\"role\":\"trace\"}]");
	ck_assert_has(&res, "\"changed\":[{\"name\":\"Received\",\"from_bottom\":1,\"whitespace_only\":true,"
		      "\"sent\":\" by origin\",\"received\":\"  by origin\"}]");
	buf_free(&res.out);
}
END_TEST

START_TEST(test_header_too_large)
{
	char a[600], b[600];
	static char big[1 << 20];
	memset(big, 'a', sizeof big);
	memcpy(big, "X-Big: ", 7);
	write_temp(big, sizeof big, 5, a, sizeof a);   /* one 5 MiB field, no line end: over MSG_HEADER_MAX */
	write_temp("From: a\r\n\r\nx\r\n", 14, 1, b, sizeof b);
	struct pair_result res;
	compare_paths(b, a, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_NOT_MESSAGE);   /* read, but past the header bound: exit 65 */
	ck_assert_msg(strstr(res.err, "(the received copy): header block larger than") != NULL, "%s", res.err);
	buf_free(&res.out);
}
END_TEST

START_TEST(test_too_many_fields)
{
	char a[600], b[600];
	write_temp("X-F: v\r\n", 8, MSG_FIELDS_MAX + 1, a, sizeof a);
	write_temp("From: a\r\n\r\nx\r\n", 14, 1, b, sizeof b);
	struct pair_result res;
	compare_paths(a, b, 0, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_NOT_MESSAGE);
	ck_assert_msg(strstr(res.err, "(the sent copy): more than 8192 header fields") != NULL, "%s", res.err);
	buf_free(&res.out);
}
END_TEST

START_TEST(test_body_too_large)
{
	char a[600], b[600];
	static char line[1 << 16];
	memset(line, 'x', sizeof line);
	line[sizeof line - 2] = '\r';
	line[sizeof line - 1] = '\n';
	write_temp("From: a\r\n\r\n", 11, 1, b, sizeof b);
	write_temp_after("From: a\r\n\r\n", line, sizeof line, (COMPARE_BODY_MAX / sizeof line) + 1, a, sizeof a);
	struct pair_result res;
	compare_paths(b, a, 0, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_NOT_MESSAGE);
	ck_assert_msg(strstr(res.err, "body larger than 64 MiB") != NULL, "%s", res.err);
	buf_free(&res.out);
}
END_TEST

START_TEST(test_unreadable)
{
	char b[600];
	write_temp("From: a\r\n\r\nx\r\n", 14, 1, b, sizeof b);
	struct pair_result res;
	compare_paths("/nonexistent/arcverify/sent.eml", b, 0, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_UNREADABLE);
	ck_assert_msg(strstr(res.err, "/nonexistent/arcverify/sent.eml (the sent copy): No such file") != NULL, "%s",
		      res.err);
	buf_free(&res.out);
	compare_paths(b, tmpdir, 0, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_UNREADABLE);
	ck_assert_msg(strstr(res.err, "(the received copy): is a directory") != NULL, "%s", res.err);
	buf_free(&res.out);
	compare_paths("-", "-", 0, 0, 0, &res);
	ck_assert_int_eq(res.rc, COMPARE_USAGE);
	ck_assert_msg(strstr(res.err, "standard input") != NULL, "%s", res.err);
	buf_free(&res.out);
}
END_TEST

/* One copy on standard input (spooled): the same result as from the file. */
START_TEST(test_stdin_copy)
{
	char sent[512];
	pair_path("list-footer", "sent", sent, sizeof sent);
	char received[512];
	pair_path("list-footer", "received", received, sizeof received);
	int saved = dup(0);
	int fd = open(received, O_RDONLY);
	ck_assert(saved >= 0 && fd >= 0);
	ck_assert_int_ge(dup2(fd, 0), 0);
	close(fd);
	struct pair_result res;
	compare_paths(sent, "-", 1, 0, 0, &res);
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"received\":\"-\"");
	ck_assert_has(&res, "\"appended_bytes\":56");
	buf_free(&res.out);
}
END_TEST

/* Control characters, bytes that are not UTF-8, broken signatures, binary body: no crash, safe text. */
START_TEST(test_junk)
{
	char a[600], b[600];
	static const char junk[] = "\x1b[31m: red\r\n \tcont\r\n:novalue\r\nDKIM-Signature: v=1; b=; bh=\r\n"
				   "DKIM-Signature: garbage\r\nARC-Seal: i=1; cv=none; b=abc\r\nSubject: \xff\xfe\r\n"
				   "\r\n\x00\x01\xc3" "binary";
	static const char other[] = "Subject: \x1b]0;title\x07\r\nDKIM-Signature: garbage\r\n\r\n\x00\x02";
	write_temp(junk, sizeof junk - 1, 1, a, sizeof a);
	write_temp(other, sizeof other - 1, 1, b, sizeof b);
	struct pair_result res;
	compare_paths(a, b, 0, 0, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_lacks(&res, "\x1b");
	ck_assert_lacks(&res, "\xff");
	ck_assert_has(&res, "\\x1b]0;title\\x07");
	ck_assert_has(&res, "\\xff\\xfe");
	buf_free(&res.out);
	compare_paths(b, a, 1, 0, 0, &res);
	ck_assert_int_eq(res.rc, 1);
	ck_assert_has(&res, "\"kind\":\"dkim\"");
	ck_assert_has(&res, "\"outcome\":\"unchanged\"");    /* DKIM-Signature: garbage, in both */
	ck_assert_has(&res, "\"outcome\":\"added\"");
	buf_free(&res.out);
}
END_TEST

/* C1 controls (as UTF-8 and as raw bytes) and bidirectional overrides in values, names and the body
 * reach the text report escaped, like C0 ones, in plain and in verbose (wide) output. */
START_TEST(test_hidden_controls_escaped)
{
	char a[600], b[600];
	static const char sent[] = "From: a@example.com\r\nSubject: plain\r\n\r\nbody\r\n";
	static const char recv[] = "X-Evil\xe2\x80\xae: \xc2\x9b" "31m red \x9b" "0m\r\n"
				   "From: a@example.com\r\nSubject: pla\xe2\x81\xa6in\xe2\x80\x8f\r\n\r\n"
				   "body\r\n\xc2\x85\xe2\x80\xad" "footer\r\n";
	write_temp(sent, sizeof sent - 1, 1, a, sizeof a);
	write_temp(recv, sizeof recv - 1, 1, b, sizeof b);
	for (int verbose = 0; verbose <= 1; verbose++) {
		struct pair_result res;
		compare_paths(a, b, 0, verbose, 0, &res);
		ck_assert_int_eq(res.rc, 1);
		long at = fixture_find_raw_control(res.out.data, res.out.len);
		ck_assert_msg(at < 0, "raw control at byte %ld: %s", at, res.out.data + (at < 0 ? 0 : at));
		ck_assert_has(&res, "\\u009b31m red \\x9b0m");
		ck_assert_has(&res, "pla\\u2066in\\u200f");
		buf_free(&res.out);
	}
}
END_TEST

Suite *compare_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *pairs = tcase_create("pairs");
	tcase_set_timeout(pairs, 60);
	tcase_add_test(pairs, test_list_footer_json);
	tcase_add_test(pairs, test_list_footer_text);
	tcase_add_test(pairs, test_list_footer_reversed);
	tcase_add_test(pairs, test_trace_only);
	tcase_add_test(pairs, test_re_encoded);
	tcase_add_test(pairs, test_line_ends_converted);
	tcase_add_test(pairs, test_line_ends_no_crlf);
	tcase_add_test(pairs, test_whitespace);
	tcase_add_test(pairs, test_dkim_removed_arc_added);
	tcase_add_test(pairs, test_arc_aar_rewritten);
	tcase_add_test(pairs, test_fails_in_both);
	tcase_add_test(pairs, test_same_file);
	suite_add_tcase(s, pairs);
	TCase *hostile = tcase_create("hostile");
	tcase_set_timeout(hostile, 300);
	tcase_add_unchecked_fixture(hostile, make_tmpdir, remove_tmpdir);
	tcase_add_test(hostile, test_empty_files);
	tcase_add_test(hostile, test_exit_statuses);
	tcase_add_test(hostile, test_no_separator);
	tcase_add_test(hostile, test_empty_lines_appended);
	tcase_add_test(hostile, test_alignment_from_bottom);
	tcase_add_test(hostile, test_header_too_large);
	tcase_add_test(hostile, test_too_many_fields);
	tcase_add_test(hostile, test_body_too_large);
	tcase_add_test(hostile, test_unreadable);
	tcase_add_test(hostile, test_stdin_copy);
	tcase_add_test(hostile, test_junk);
	tcase_add_test(hostile, test_hidden_controls_escaped);
	suite_add_tcase(s, hostile);
	return s;
}
