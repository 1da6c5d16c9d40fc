/*
 * canon: RFC 6376 §3.4 canonicalization.
 * Headers: §3.4.1 simple (unchanged) and §3.4.2 relaxed, with the §3.4.5
 * example. Body: §3.4.3 simple and §3.4.4 relaxed over a table of tricky
 * inputs (every empty and whitespace-only case, lone CR, bare LF, missing
 * final CRLF), each fed whole, byte by byte and in pseudo-random chunks with
 * identical results (the machine must not depend on chunk boundaries). Quirk
 * flags: each reproduces its non-conformant output.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "fixture.h"
#include "suites.h"

#define S(x) x, sizeof(x) - 1

static const char *show(const char *p, size_t n)
{
	static char bufs[4][700];
	static int k;
	char *o = bufs[k++ & 3];
	size_t j = 0;
	for (size_t i = 0; i < n && j + 8 < sizeof bufs[0]; i++) {
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
	if (j + 8 >= sizeof bufs[0])
		j += (size_t)sprintf(o + j, "...");
	o[j] = '\0';
	return o;
}

/* ---- headers ---- */

struct hdr_case {
	const char *raw;
	size_t len;
	const char *relaxed;
};

static const struct hdr_case hdr_cases[] = {
	/* RFC 6376 §3.4.5 */
	{ S("A: X"), "a:X" },
	{ S("B : Y\t\r\n\tZ  "), "b:Y Z" },
	/* value starting on a continuation line */
	{ S("Subject:\r\n\tfoo"), "subject:foo" },
	{ S("Subject: \r\n foo \r\n bar"), "subject:foo bar" },
	/* empty and whitespace-only values */
	{ S("Subject:"), "subject:" },
	{ S("Subject: \t "), "subject:" },
	{ S("Subject:\r\n \r\n\t"), "subject:" },
	/* name case folds, value case does not */
	{ S("SUBJECT: Foo BAR"), "subject:Foo BAR" },
	{ S("DKIM-Signature: v=1; a=rsa-sha256"), "dkim-signature:v=1; a=rsa-sha256" },
	/* tabs and WSP runs inside the value become one SP */
	{ S("X:a\t\tb"), "x:a b" },
	{ S("X: a \t b\t"), "x:a b" },
	{ S("X: a \r\n b \r\n c"), "x:a b c" },
	{ S("X\t: v"), "x:v" },
	{ S("X \t : \t v"), "x:v" },
	/* a colon in the value stays */
	{ S("X: a:b : c"), "x:a:b : c" },
	/* 8-bit bytes are copied */
	{ S("X: caf\xc3\xa9  ok"), "x:caf\xc3\xa9 ok" },
};

START_TEST(test_header)
{
	const struct hdr_case *c = &hdr_cases[_i];
	struct buf out;
	buf_init(&out, 1024);
	ck_assert(buf_append_str(&out, "[") == 0);
	ck_assert(canon_header(CANON_RELAXED, slice_make(c->raw, c->len), &out) == 0);
	ck_assert_msg(out.len == 1 + strlen(c->relaxed) && memcmp(out.data + 1, c->relaxed, out.len - 1) == 0,
		      "relaxed('%s') = '%s', want '%s' (appended, no CRLF)", show(c->raw, c->len),
		      show(out.data + 1, out.len - 1), show(c->relaxed, strlen(c->relaxed)));
	buf_reset(&out);
	ck_assert(canon_header(CANON_SIMPLE, slice_make(c->raw, c->len), &out) == 0);
	ck_assert_msg(out.len == c->len && memcmp(out.data, c->raw, c->len) == 0, "simple('%s') = '%s' (must be unchanged)",
		      show(c->raw, c->len), show(out.data, out.len));
	buf_free(&out);
}
END_TEST

START_TEST(test_header_example_block)
{
	/* §3.4.5: the two fields together, each followed by CRLF as the signer adds it */
	static const char *const fields[] = { "A: X", "B : Y\t\r\n\tZ  " };
	struct buf relaxed, simple;
	buf_init(&relaxed, 256);
	buf_init(&simple, 256);
	for (size_t i = 0; i < 2; i++) {
		ck_assert(canon_header(CANON_RELAXED, slice_cstr(fields[i]), &relaxed) == 0);
		ck_assert(buf_append_str(&relaxed, "\r\n") == 0);
		ck_assert(canon_header(CANON_SIMPLE, slice_cstr(fields[i]), &simple) == 0);
		ck_assert(buf_append_str(&simple, "\r\n") == 0);
	}
	ck_assert_msg(strcmp(relaxed.data, "a:X\r\nb:Y Z\r\n") == 0, "relaxed block '%s'",
		      show(relaxed.data, relaxed.len));
	ck_assert_msg(strcmp(simple.data, "A: X\r\nB : Y\t\r\n\tZ  \r\n") == 0, "simple block '%s'",
		      show(simple.data, simple.len));
	buf_free(&relaxed);
	buf_free(&simple);
}
END_TEST

START_TEST(test_header_cap)
{
	struct buf out;
	buf_init(&out, 4);
	ck_assert_msg(canon_header(CANON_RELAXED, slice_cstr("Subject: longer than four"), &out) == -1,
		      "relaxed output over the cap fails");
	buf_free(&out);
	buf_init(&out, 4);
	ck_assert_msg(canon_header(CANON_SIMPLE, slice_cstr("Subject: x"), &out) == -1, "simple over the cap fails");
	buf_free(&out);
}
END_TEST

/* CANON_HQ_FOLDED_SPACE: a value starting on a continuation line keeps one SP (relaxed only). */
START_TEST(test_header_quirk_folded_space)
{
	static const struct {
		const char *raw, *quirk, *rfc;
	} cases[] = {
		{ "Subject:\r\n\tfoo", "subject: foo", "subject:foo" },
		{ "Subject: \r\n foo  bar", "subject: foo bar", "subject:foo bar" },
		{ "Subject: foo", "subject:foo", "subject:foo" },          /* no fold before the value */
		{ "Subject:\r\n \r\n", "subject:", "subject:" },          /* nothing follows the fold */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf out;
		buf_init(&out, 256);
		ck_assert(canon_header_quirk(CANON_RELAXED, CANON_HQ_FOLDED_SPACE, slice_cstr(cases[i].raw), &out) == 0);
		ck_assert_msg(strcmp(out.data, cases[i].quirk) == 0, "quirk '%s' -> '%s', want '%s'",
			      show(cases[i].raw, strlen(cases[i].raw)), out.data, cases[i].quirk);
		buf_reset(&out);
		ck_assert(canon_header_quirk(CANON_RELAXED, 0, slice_cstr(cases[i].raw), &out) == 0);
		ck_assert_msg(strcmp(out.data, cases[i].rfc) == 0, "no quirk '%s' -> '%s', want '%s'",
			      show(cases[i].raw, strlen(cases[i].raw)), out.data, cases[i].rfc);
		buf_reset(&out);
		ck_assert(canon_header_quirk(CANON_SIMPLE, CANON_HQ_FOLDED_SPACE, slice_cstr(cases[i].raw), &out) == 0);
		ck_assert_msg(strcmp(out.data, cases[i].raw) == 0, "simple ignores header quirks");
		buf_free(&out);
	}
}
END_TEST

START_TEST(test_names)
{
	enum canon_alg c = CANON_SIMPLE;
	ck_assert(strcmp(canon_name(CANON_SIMPLE), "simple") == 0);
	ck_assert(strcmp(canon_name(CANON_RELAXED), "relaxed") == 0);
	ck_assert(canon_parse(slice_cstr("relaxed"), &c) == 0 && c == CANON_RELAXED);
	ck_assert(canon_parse(slice_cstr("simple"), &c) == 0 && c == CANON_SIMPLE);
	ck_assert_msg(canon_parse(slice_cstr("relax"), &c) == -1, "prefix is not a name");
	ck_assert_msg(canon_parse(slice_cstr("relaxed "), &c) == -1, "trailing space is not a name");
	ck_assert_msg(canon_parse(slice_cstr(""), &c) == -1, "empty");
	ck_assert_msg(canon_parse(slice_make("simplex", 6), &c) == 0 && c == CANON_SIMPLE,
		      "slice length, not NUL, ends the word");
}
END_TEST

/* ---- body ---- */

static void sink_buf(void *ctx, const char *data, size_t len)
{
	if (len == 0)
		ck_abort_msg("the sink is never called with 0 bytes");
	if (buf_append(ctx, data, len) < 0)
		ck_abort_msg("canonical output larger than the test buffer");
}

enum split_mode { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM };

/* Canonicalize in (split as mode says) into out, the vector code pinned to isa. */
static void feed_body_isa(enum canon_alg alg, unsigned quirks, enum simd_isa isa, const char *in, size_t len,
			  enum split_mode mode, unsigned seed, struct buf *out)
{
	struct canon_body cb;
	canon_body_init(&cb, alg, quirks, sink_buf, out);
	cb.isa = simd_resolve(isa);
	if (mode == SPLIT_WHOLE) {
		canon_body_feed(&cb, in, len);
	} else if (mode == SPLIT_BYTES) {
		for (size_t i = 0; i < len; i++)
			canon_body_feed(&cb, in + i, 1);
	} else {
		size_t i = 0;
		while (i < len) {
			seed = seed * 1103515245u + 12345u;
			size_t n = (seed >> 16) % 5; /* 0..4: empty feeds too */
			if (n > len - i)
				n = len - i;
			canon_body_feed(&cb, in + i, n);
			i += n;
		}
	}
	canon_body_finish(&cb);
	canon_body_free(&cb);
}

static void feed_body(enum canon_alg alg, unsigned quirks, const char *in, size_t len, enum split_mode mode,
		     unsigned seed, struct buf *out)
{
	feed_body_isa(alg, quirks, SIMD_AUTO, in, len, mode, seed, out);
}

struct body_case {
	const char *in;
	size_t len;
	const char *simple;
	size_t simple_len;
	const char *relaxed;
	size_t relaxed_len;
};

static const struct body_case body_cases[] = {
	/* §3.4.5 */
	{ S(" C \r\nD \t E\r\n\r\n\r\n"), S(" C \r\nD \t E\r\n"), S(" C\r\nD E\r\n") },
	/* empty and whitespace-only bodies: §3.4.3 "If there is no body ... a CRLF is added";
	 * §3.4.4: whitespace at line ends and then empty lines at the end go, and a
	 * CRLF is added only to a non-empty body */
	{ S(""), S("\r\n"), S("") },
	{ S("\r\n"), S("\r\n"), S("") },
	{ S("\r\n\r\n"), S("\r\n"), S("") },
	{ S("\r\n\r\n\r\n\r\n"), S("\r\n"), S("") },
	{ S("  \r\n"), S("  \r\n"), S("") },
	{ S(" \t \r\n\r\n"), S(" \t \r\n"), S("") },
	{ S("  "), S("  \r\n"), S("") },
	{ S("\t"), S("\t\r\n"), S("") },
	{ S("\r\n  \r\n\t\r\n"), S("\r\n  \r\n\t\r\n"), S("") },
	/* a body without final CRLF gets one */
	{ S("a"), S("a\r\n"), S("a\r\n") },
	{ S("a\r\nb"), S("a\r\nb\r\n"), S("a\r\nb\r\n") },
	/* trailing empty lines go, interior ones stay */
	{ S("a\r\n\r\n\r\n"), S("a\r\n"), S("a\r\n") },
	{ S("a\r\n\r\nb\r\n"), S("a\r\n\r\nb\r\n"), S("a\r\n\r\nb\r\n") },
	{ S("\r\n\r\na\r\n"), S("\r\n\r\na\r\n"), S("\r\n\r\na\r\n") },
	/* whitespace-only trailing lines: content under simple, empty under relaxed */
	{ S("a\r\n  \r\n\r\n"), S("a\r\n  \r\n"), S("a\r\n") },
	{ S("a\r\n\r\n \t \r\n\r\n"), S("a\r\n\r\n \t \r\n"), S("a\r\n") },
	{ S("a\r\n  "), S("a\r\n  \r\n"), S("a\r\n") },
	{ S("a\r\n\r\n  "), S("a\r\n\r\n  \r\n"), S("a\r\n") },
	{ S("a\r\n \r\nb"), S("a\r\n \r\nb\r\n"), S("a\r\n\r\nb\r\n") },
	/* whitespace at line ends and runs inside lines */
	{ S("a \r\n"), S("a \r\n"), S("a\r\n") },
	{ S("a\t\r\n"), S("a\t\r\n"), S("a\r\n") },
	{ S("a  b\t\tc \r\n"), S("a  b\t\tc \r\n"), S("a b c\r\n") },
	{ S(" a"), S(" a\r\n"), S(" a\r\n") },
	{ S("\t\ta"), S("\t\ta\r\n"), S(" a\r\n") },
	{ S("                                        a"), S("                                        a\r\n"),
	  S(" a\r\n") },
	/* a lone CR is data, not a line end */
	{ S("a\rb"), S("a\rb\r\n"), S("a\rb\r\n") },
	{ S("a\r"), S("a\r\r\n"), S("a\r\r\n") },
	{ S("\r"), S("\r\r\n"), S("\r\r\n") },
	{ S("a\r\r\n"), S("a\r\r\n"), S("a\r\r\n") },
	{ S("\r\r\n\r\n"), S("\r\r\n"), S("\r\r\n") },
	{ S("a \r"), S("a \r\r\n"), S("a \r\r\n") },
	{ S("a\r \r\n"), S("a\r \r\n"), S("a\r\r\n") },
	/* a bare LF is data too */
	{ S("a\nb\r\n"), S("a\nb\r\n"), S("a\nb\r\n") },
	{ S("\n"), S("\n\r\n"), S("\n\r\n") },
	{ S("a \n b"), S("a \n b\r\n"), S("a \n b\r\n") },
	{ S("a\n\r\n\r\n"), S("a\n\r\n"), S("a\n\r\n") },
	{ S("\n\r\n"), S("\n\r\n"), S("\n\r\n") },
	/* NUL and 8-bit bytes are ordinary content */
	{ S("x\0y"), S("x\0y\r\n"), S("x\0y\r\n") },
	{ S("\xc3\xa9 \r\n"), S("\xc3\xa9 \r\n"), S("\xc3\xa9\r\n") },
	/* CR LF split by white space is not a line end */
	{ S("a\r \nb"), S("a\r \nb\r\n"), S("a\r \nb\r\n") },
};
#define NBODY (int)(sizeof body_cases / sizeof body_cases[0])

static void check_body(const struct body_case *c, enum canon_alg alg, int idx)
{
	const char *want = alg == CANON_SIMPLE ? c->simple : c->relaxed;
	size_t wantlen = alg == CANON_SIMPLE ? c->simple_len : c->relaxed_len;
	const char *mode_names[] = { "whole", "byte by byte", "random chunks" };
	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
		for (unsigned seed = 1; seed <= (mode == SPLIT_RANDOM ? 5u : 1u); seed++) {
			struct buf out;
			buf_init(&out, 1 << 16);
			feed_body(alg, 0, c->in, c->len, (enum split_mode)mode, seed * 7919u, &out);
			ck_assert_msg(out.len == wantlen && (wantlen == 0 || memcmp(out.data, want, wantlen) == 0),
				      "case %d %s (%s, seed %u): '%s' -> '%s', want '%s'", idx, canon_name(alg),
				      mode_names[mode], seed, show(c->in, c->len), show(out.data, out.len),
				      show(want, wantlen));
			buf_free(&out);
		}
	}
}

START_TEST(test_body_simple)
{
	check_body(&body_cases[_i], CANON_SIMPLE, _i);
}
END_TEST

START_TEST(test_body_relaxed)
{
	check_body(&body_cases[_i], CANON_RELAXED, _i);
}
END_TEST

/* A long body: many empty lines held back then released, and lines longer than the 8 KiB staging. */
START_TEST(test_body_long)
{
	struct buf in, want_simple, want_relaxed;
	buf_init(&in, 1 << 20);
	buf_init(&want_simple, 1 << 20);
	buf_init(&want_relaxed, 1 << 20);
	ck_assert(buf_append_str(&in, "start") == 0);
	for (int i = 0; i < 10000; i++)
		ck_assert(buf_append_str(&in, "\r\n") == 0);
	for (int i = 0; i < 20000; i++)
		ck_assert(buf_append_str(&in, (i % 3) ? "x" : "  ") == 0);
	ck_assert(buf_append_str(&in, "\r\n  \r\n\r\n") == 0);
	/* simple: everything up to the last non-empty line */
	ck_assert(buf_append(&want_simple, in.data, in.len - 2) == 0);
	/* relaxed: the WSP pairs become single SPs, the whitespace-only last line goes */
	ck_assert(buf_append_str(&want_relaxed, "start") == 0);
	for (int i = 0; i < 10000; i++)
		ck_assert(buf_append_str(&want_relaxed, "\r\n") == 0);
	for (int i = 0; i < 20000; i++)
		ck_assert(buf_append_str(&want_relaxed, (i % 3) ? "x" : " ") == 0);
	ck_assert(buf_append_str(&want_relaxed, "\r\n") == 0);
	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
		struct buf out;
		buf_init(&out, 1 << 20);
		feed_body(CANON_SIMPLE, 0, in.data, in.len, (enum split_mode)mode, 99, &out);
		ck_assert_msg(out.len == want_simple.len && memcmp(out.data, want_simple.data, out.len) == 0,
			      "long simple body, mode %d: %zu bytes, want %zu", mode, out.len, want_simple.len);
		buf_reset(&out);
		feed_body(CANON_RELAXED, 0, in.data, in.len, (enum split_mode)mode, 99, &out);
		ck_assert_msg(out.len == want_relaxed.len && memcmp(out.data, want_relaxed.data, out.len) == 0,
			      "long relaxed body, mode %d: %zu bytes, want %zu", mode, out.len, want_relaxed.len);
		buf_free(&out);
	}
	buf_free(&in);
	buf_free(&want_simple);
	buf_free(&want_relaxed);
}
END_TEST

/*
 * Split invariance over pseudo-random bodies built from the troublesome
 * tokens (CR, LF, CRLF, SP, HTAB, content): whole == byte by byte == random
 * chunks, for both algorithms and with every quirk set.
 */
START_TEST(test_split_invariance_random)
{
	static const char *const tokens[] = { "\r", "\n", "\r\n", "\r\n", " ", "\t", "a", "b", "\r\n\r\n", "  \r\n" };
	unsigned seed = 1000u + (unsigned)_i;
	char in[400];
	size_t len = fixture_token_text(in, sizeof in - 8, tokens, sizeof tokens / sizeof tokens[0], &seed, 50, SIZE_MAX);
	static const unsigned quirk_sets[] = { 0, CANON_Q_EMPTY_AS_CRLF, CANON_Q_EMPTY_AS_NOTHING, CANON_Q_WSP_LINES_KEPT,
					       CANON_Q_KEEP_TRAILING, CANON_Q_NO_FINAL_CRLF, CANON_Q_NO_WSP_REDUCE,
					       CANON_Q_NO_EOL_STRIP, CANON_Q_LF_ENDS, 0xff };
	for (size_t q = 0; q < sizeof quirk_sets / sizeof quirk_sets[0]; q++) {
		for (int alg = CANON_SIMPLE; alg <= CANON_RELAXED; alg++) {
			struct buf whole, other;
			buf_init(&whole, 1 << 16);
			buf_init(&other, 1 << 16);
			feed_body((enum canon_alg)alg, quirk_sets[q], in, len, SPLIT_WHOLE, 0, &whole);
			for (int mode = SPLIT_BYTES; mode <= SPLIT_RANDOM; mode++) {
				buf_reset(&other);
				feed_body((enum canon_alg)alg, quirk_sets[q], in, len, (enum split_mode)mode, seed, &other);
				ck_assert_msg(other.len == whole.len &&
						      (whole.len == 0 || memcmp(other.data, whole.data, whole.len) == 0),
					      "%s quirks 0x%x mode %d on '%s': '%s' vs whole '%s'",
					      canon_name((enum canon_alg)alg), quirk_sets[q], mode, show(in, len),
					      show(other.data, other.len), show(whole.data, whole.len));
			}
			buf_free(&whole);
			buf_free(&other);
		}
	}
}
END_TEST

/*
 * A reference reading of RFC 6376 §3.4.3 and §3.4.4, written from the text on
 * whole strings (lines split at CRLF), against which the streaming state
 * machine and its whole-run fast paths are checked on random bodies.
 */
static void ref_simple(const char *in, size_t len, struct buf *out)
{
	buf_append(out, in, len);
	while (out->len >= 4 && memcmp(out->data + out->len - 4, "\r\n\r\n", 4) == 0)
		out->len -= 2;   /* "ignores all empty lines at the end of the message body" */
	if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		buf_append(out, "\r\n", 2);   /* "If there is no body or no CRLFs at the end ..., a CRLF is added" */
}

static void ref_relaxed(const char *in, size_t len, struct buf *out)
{
	size_t start = 0;
	while (start < len) {
		const char *crlf = NULL;
		for (size_t k = start; k + 1 < len && !crlf; k++)
			if (in[k] == '\r' && in[k + 1] == '\n')
				crlf = in + k;
		size_t end = crlf ? (size_t)(crlf - in) : len;
		size_t line_start = out->len;
		for (size_t k = start; k < end; k++) {   /* a: WSP runs become one SP ... */
			int wsp = in[k] == ' ' || in[k] == '\t';
			if (!wsp || k == start || !(in[k - 1] == ' ' || in[k - 1] == '\t'))
				buf_append_byte(out, wsp ? ' ' : in[k]);
		}
		if (out->len > line_start && out->data[out->len - 1] == ' ')
			out->len--;                        /* ... and WSP at the end of a line goes */
		buf_append(out, "\r\n", 2);
		start = crlf ? end + 2 : len;
	}
	while ((out->len == 2 && memcmp(out->data, "\r\n", 2) == 0) ||
	       (out->len >= 4 && memcmp(out->data + out->len - 4, "\r\n\r\n", 4) == 0))
		out->len -= 2;   /* b: empty lines at the end go; a non-empty body keeps its final CRLF */
}

START_TEST(test_reference_model)
{
	static const char *const tokens[] = { "\r", "\n", "\r\n", " ", "\t", "word", "x", "  ", "\r\n\r\n", " \r\n",
					      "\r\n ", "\r\r\n", "long line of prose with single spaces" };
	unsigned seed = 7u + (unsigned)_i * 7919u;
	char in[600];
	size_t len = fixture_token_text(in, sizeof in - 40, tokens, sizeof tokens / sizeof tokens[0], &seed, 80, SIZE_MAX);
	for (int alg = CANON_SIMPLE; alg <= CANON_RELAXED; alg++) {
		struct buf want, got;
		buf_init(&want, 1 << 16);
		buf_init(&got, 1 << 16);
		if (alg == CANON_SIMPLE)
			ref_simple(in, len, &want);
		else
			ref_relaxed(in, len, &want);
		for (enum simd_isa isa = SIMD_SCALAR; isa <= SIMD_AVX2; isa++)
			for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
				buf_reset(&got);
				feed_body_isa((enum canon_alg)alg, 0, isa, in, len, (enum split_mode)mode, seed, &got);
				ck_assert_msg(got.len == want.len &&
						      (want.len == 0 || memcmp(got.data, want.data, want.len) == 0),
					      "%s isa %d mode %d on '%s': '%s', the RFC text gives '%s'",
					      canon_name((enum canon_alg)alg), (int)isa, mode, show(in, len),
					      show(got.data, got.len), show(want.data, want.len));
			}
		buf_free(&want);
		buf_free(&got);
	}
}
END_TEST

/*
 * Where the vector code stops a run: each byte sequence that ends an unchanged
 * run (or does not: CRLF before content), planted at every offset of a long
 * run of content, so that it falls at each place of a 16- and a 32-byte
 * vector and in the bytes after the last whole one. Every level must give
 * what the RFC text gives (§3.4.3, §3.4.4), and canon_relaxed_keeps the
 * scalar loop's answer.
 */
START_TEST(test_vector_boundaries)
{
	static const char *const plants[] = { "\r", "\r\n", "\r\nx", "\r\n\r\n", "\r\n ", "\r\n\t", "  ", " \t",
					      "\t", " \r\n", "x x", "\r\r\n", "\n", "\r\n  \r\n" };
	const char *plant = plants[_i];
	for (size_t at = 0; at < 100; at++) {
		char in[200];
		memset(in, 'c', sizeof in);
		memcpy(in + at, plant, strlen(plant));
		size_t len = at + strlen(plant) + (at % 37);
		int keeps = -1;
		for (enum simd_isa isa = SIMD_SCALAR; isa <= SIMD_AVX2; isa++) {
			int k = canon_relaxed_keeps(simd_resolve(isa), in, len);
			ck_assert_msg(keeps < 0 || k == keeps, "canon_relaxed_keeps isa %d at %zu on '%s': %d, scalar %d",
				      (int)isa, at, show(plant, strlen(plant)), k, keeps);
			keeps = k;
		}
		for (int alg = CANON_SIMPLE; alg <= CANON_RELAXED; alg++) {
			struct buf want, got;
			buf_init(&want, 1 << 12);
			buf_init(&got, 1 << 12);
			(alg == CANON_SIMPLE ? ref_simple : ref_relaxed)(in, len, &want);
			for (enum simd_isa isa = SIMD_SCALAR; isa <= SIMD_AVX2; isa++) {
				buf_reset(&got);
				feed_body_isa((enum canon_alg)alg, 0, isa, in, len, SPLIT_WHOLE, 0, &got);
				ck_assert_msg(got.len == want.len && (want.len == 0 || memcmp(got.data, want.data, want.len) == 0),
					      "%s isa %d, '%s' at %zu of %zu: '%s', the RFC text gives '%s'",
					      canon_name((enum canon_alg)alg), (int)isa, show(plant, strlen(plant)), at, len,
					      show(got.data, got.len), show(want.data, want.len));
			}
			buf_free(&want);
			buf_free(&got);
		}
	}
}
END_TEST

/* The forensic line-end hook: called once per input CRLF with the input offset just past it. */
struct hook_ctx {
	uint64_t pos[64];
	size_t n;
	struct buf *out;
	size_t out_len_at[64];
};

static void hook_fn(void *ctx, uint64_t in_pos)
{
	struct hook_ctx *h = ctx;
	ck_assert(h->n < 64);
	h->out_len_at[h->n] = h->out->len;
	h->pos[h->n++] = in_pos;
}

START_TEST(test_line_end_hook)
{
	static const char in[] = "ab\r\nc\rd\r\n\r\n \r\nx";
	static const uint64_t want[] = { 4, 9, 11, 14 };
	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
		struct buf out;
		buf_init(&out, 1024);
		struct hook_ctx h = { .n = 0, .out = &out };
		struct canon_body cb;
		canon_body_init(&cb, CANON_SIMPLE, 0, sink_buf, &out);
		cb.on_line_end = hook_fn;
		cb.line_ctx = &h;
		size_t len = sizeof in - 1;
		if (mode == SPLIT_WHOLE) {
			canon_body_feed(&cb, in, len);
		} else {
			unsigned seed = 3;
			for (size_t i = 0; i < len;) {
				seed = seed * 1103515245u + 12345u;
				size_t n = mode == SPLIT_BYTES ? 1 : 1 + (seed >> 16) % 3;
				if (n > len - i)
					n = len - i;
				canon_body_feed(&cb, in + i, n);
				i += n;
			}
		}
		canon_body_finish(&cb);
		canon_body_free(&cb);
		ck_assert_msg(h.n == 4, "mode %d: %zu line ends, want 4", mode, h.n);
		for (size_t i = 0; i < 4; i++)
			ck_assert_msg(h.pos[i] == want[i], "mode %d: line end %zu at %llu, want %llu", mode, i,
				      (unsigned long long)h.pos[i], (unsigned long long)want[i]);
		/* the sink has every byte emitted so far when the hook runs: "ab" before the first line end */
		ck_assert_msg(h.out_len_at[0] == 2, "mode %d: %zu bytes flushed before the first hook", mode,
			      h.out_len_at[0]);
		ck_assert_msg(out.len == 17 && memcmp(out.data, "ab\r\nc\rd\r\n\r\n \r\nx\r\n", 17) == 0,
			      "the hook does not change the output: '%s'", show(out.data, out.len));
		buf_free(&out);
	}
}
END_TEST

/* ---- quirks: each flag reproduces a known non-conformant output ---- */

struct quirk_case {
	unsigned quirks;
	enum canon_alg alg;
	const char *in;
	size_t len;
	const char *out;      /* with the quirk */
	size_t out_len;
	const char *rfc;      /* the same input without it (quirks == 0) */
	size_t rfc_len;
};

static const struct quirk_case quirk_cases[] = {
	/* relaxed: empty body hashed as one CRLF */
	{ CANON_Q_EMPTY_AS_CRLF, CANON_RELAXED, S(""), S("\r\n"), S("") },
	{ CANON_Q_EMPTY_AS_CRLF, CANON_RELAXED, S("\r\n\r\n"), S("\r\n"), S("") },
	{ CANON_Q_EMPTY_AS_CRLF, CANON_RELAXED, S(" \r\n"), S("\r\n"), S("") },
	{ CANON_Q_EMPTY_AS_CRLF, CANON_RELAXED, S("a"), S("a\r\n"), S("a\r\n") }, /* non-empty: no change */
	/* simple: empty body hashed as zero bytes */
	{ CANON_Q_EMPTY_AS_NOTHING, CANON_SIMPLE, S(""), S(""), S("\r\n") },
	{ CANON_Q_EMPTY_AS_NOTHING, CANON_SIMPLE, S("\r\n\r\n"), S(""), S("\r\n") },
	{ CANON_Q_EMPTY_AS_NOTHING, CANON_SIMPLE, S("a\r\n"), S("a\r\n"), S("a\r\n") },
	/* relaxed: whitespace-only trailing lines kept as CRLF */
	{ CANON_Q_WSP_LINES_KEPT, CANON_RELAXED, S("a\r\n  \r\n"), S("a\r\n\r\n"), S("a\r\n") },
	{ CANON_Q_WSP_LINES_KEPT, CANON_RELAXED, S("a\r\n\r\n \t\r\n\r\n"), S("a\r\n\r\n\r\n"), S("a\r\n") },
	/* trailing empty lines kept */
	{ CANON_Q_KEEP_TRAILING, CANON_SIMPLE, S("a\r\n\r\n\r\n"), S("a\r\n\r\n\r\n"), S("a\r\n") },
	{ CANON_Q_KEEP_TRAILING, CANON_RELAXED, S("a \r\n\r\n"), S("a\r\n\r\n"), S("a\r\n") },
	{ CANON_Q_KEEP_TRAILING, CANON_SIMPLE, S("\r\n\r\n"), S("\r\n\r\n"), S("\r\n") },
	{ CANON_Q_KEEP_TRAILING, CANON_RELAXED, S("\r\n\r\n"), S("\r\n\r\n"), S("") },
	{ CANON_Q_KEEP_TRAILING, CANON_SIMPLE, S("a"), S("a\r\n"), S("a\r\n") },
	/* the CRLF ending the last line dropped */
	{ CANON_Q_NO_FINAL_CRLF, CANON_SIMPLE, S("a\r\n"), S("a"), S("a\r\n") },
	{ CANON_Q_NO_FINAL_CRLF, CANON_RELAXED, S("a b \r\n\r\n"), S("a b"), S("a b\r\n") },
	{ CANON_Q_NO_FINAL_CRLF, CANON_SIMPLE, S("a\r\nb"), S("a\r\nb"), S("a\r\nb\r\n") },
	/* relaxed: WSP runs kept as written */
	{ CANON_Q_NO_WSP_REDUCE, CANON_RELAXED, S("a \t b\r\n"), S("a \t b\r\n"), S("a b\r\n") },
	{ CANON_Q_NO_WSP_REDUCE, CANON_RELAXED, S("\t\ta  \r\n"), S("\t\ta\r\n"), S(" a\r\n") },
	/* relaxed: WSP at line ends kept (reduced to one SP) */
	{ CANON_Q_NO_EOL_STRIP, CANON_RELAXED, S("a  \r\n"), S("a \r\n"), S("a\r\n") },
	{ CANON_Q_NO_EOL_STRIP, CANON_RELAXED, S("a\t"), S("a \r\n"), S("a\r\n") },
	{ CANON_Q_NO_EOL_STRIP | CANON_Q_NO_WSP_REDUCE, CANON_RELAXED, S("a \t\r\n"), S("a \t\r\n"), S("a\r\n") },
	/* line ends emitted as bare LF */
	{ CANON_Q_LF_ENDS, CANON_SIMPLE, S("a\r\nb\r\n\r\n"), S("a\nb\n"), S("a\r\nb\r\n") },
	{ CANON_Q_LF_ENDS, CANON_SIMPLE, S(""), S("\n"), S("\r\n") },
	{ CANON_Q_LF_ENDS, CANON_RELAXED, S("a \r\n"), S("a\n"), S("a\r\n") },
	{ CANON_Q_LF_ENDS, CANON_RELAXED, S(""), S(""), S("") },
};

START_TEST(test_quirk)
{
	const struct quirk_case *c = &quirk_cases[_i];
	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
		struct buf out;
		buf_init(&out, 4096);
		feed_body(c->alg, c->quirks, c->in, c->len, (enum split_mode)mode, 17, &out);
		ck_assert_msg(out.len == c->out_len && (c->out_len == 0 || memcmp(out.data, c->out, c->out_len) == 0),
			      "quirks 0x%x %s mode %d: '%s' -> '%s', want '%s'", c->quirks, canon_name(c->alg), mode,
			      show(c->in, c->len), show(out.data, out.len), show(c->out, c->out_len));
		buf_reset(&out);
		feed_body(c->alg, 0, c->in, c->len, (enum split_mode)mode, 17, &out);
		ck_assert_msg(out.len == c->rfc_len && (c->rfc_len == 0 || memcmp(out.data, c->rfc, c->rfc_len) == 0),
			      "no quirks %s mode %d: '%s' -> '%s', want '%s'", canon_name(c->alg), mode,
			      show(c->in, c->len), show(out.data, out.len), show(c->rfc, c->rfc_len));
		buf_free(&out);
	}
}
END_TEST

START_TEST(test_quirk_long_wsp_run)
{
	/* NO_WSP_REDUCE keeps a WSP run longer than the staging buffer, across chunk boundaries */
	struct buf in, want;
	buf_init(&in, 1 << 16);
	buf_init(&want, 1 << 16);
	ck_assert(buf_append_str(&in, "a") == 0);
	for (int i = 0; i < 10000; i++)
		ck_assert(buf_append_byte(&in, (i & 1) ? ' ' : '\t') == 0);
	ck_assert(buf_append_str(&in, "b\r\n") == 0);
	ck_assert(buf_append(&want, in.data, in.len) == 0);
	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM; mode++) {
		struct buf out;
		buf_init(&out, 1 << 16);
		feed_body(CANON_RELAXED, CANON_Q_NO_WSP_REDUCE, in.data, in.len, (enum split_mode)mode, 5, &out);
		ck_assert_msg(out.len == want.len && memcmp(out.data, want.data, want.len) == 0,
			      "mode %d: %zu bytes, want %zu", mode, out.len, want.len);
		buf_free(&out);
	}
	buf_free(&in);
	buf_free(&want);
}
END_TEST

Suite *canon_suite(void)
{
	Suite *s = suite_create("canon");
	TCase *tc = tcase_create("header");
	tcase_add_loop_test(tc, test_header, 0, (int)(sizeof hdr_cases / sizeof hdr_cases[0]));
	tcase_add_test(tc, test_header_example_block);
	tcase_add_test(tc, test_header_cap);
	tcase_add_test(tc, test_header_quirk_folded_space);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("body");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_body_simple, 0, NBODY);
	tcase_add_loop_test(tc, test_body_relaxed, 0, NBODY);
	tcase_add_test(tc, test_body_long);
	tcase_add_test(tc, test_line_end_hook);
	tcase_add_loop_test(tc, test_reference_model, 0, 400);
	tcase_add_loop_test(tc, test_vector_boundaries, 0, 14);
	tcase_add_loop_test(tc, test_split_invariance_random, 0, 40);
	suite_add_tcase(s, tc);

	tc = tcase_create("quirks");
	tcase_add_loop_test(tc, test_quirk, 0, (int)(sizeof quirk_cases / sizeof quirk_cases[0]));
	tcase_add_test(tc, test_quirk_long_wsp_run);
	suite_add_tcase(s, tc);
	return s;
}
