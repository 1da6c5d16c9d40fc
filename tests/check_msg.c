/*
 * msg: messages read through fmemopen. Header/body split at the first empty
 * line (RFC 5322 §2.1), fields kept as exact raw bytes with their folding
 * (§2.2.3; RFC 6376 §3.4.1 simple needs them), bare LF -> CRLF (counted) unless
 * --no-crlf, CRLF pairs split across read boundaries, the mbox "From " line,
 * odd shapes (no body, no header, no final newline, malformed fields), the
 * MSG_HEADER_MAX and MSG_FIELDS_MAX bounds, and a body of many MSG_CHUNKs
 * delivered byte-exactly whatever the read size.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "suites.h"

#define S(x) x, sizeof(x) - 1

static const char *show(const char *p, size_t n)
{
	static char bufs[4][600];
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

/* An open message over text; the FILE stays open until close_msg. */
struct tmsg {
	struct msg m;
	FILE *f;
	char err[200];
	int rc;
};

static void open_msg_isa(struct tmsg *t, const char *text, size_t len, int no_crlf, enum simd_isa isa)
{
	struct msg_opts opts = { .no_crlf = no_crlf, .isa = isa };
	if (len)
		t->f = fmemopen((void *)(uintptr_t)text, len, "r");
	else
		t->f = tmpfile();
	ck_assert_msg(t->f != NULL, "fmemopen");
	t->err[0] = '\0';
	t->rc = msg_open(&t->m, t->f, &opts, t->err, sizeof t->err);
}

static void open_msg(struct tmsg *t, const char *text, size_t len, int no_crlf)
{
	open_msg_isa(t, text, len, no_crlf, SIMD_AUTO);
}

static void close_msg(struct tmsg *t)
{
	msg_close(&t->m);
	fclose(t->f);
}

/* Read the whole body with reads of at most cap bytes. */
static void read_body(struct msg *m, size_t cap, struct buf *out)
{
	char *dst = malloc(cap);
	ck_assert(dst != NULL);
	long got;
	/* no ck_assert in the loop: Check records every assertion, and this loop runs per byte */
	while ((got = msg_read_body(m, dst, cap)) > 0) {
		if ((size_t)got > cap)
			ck_abort_msg("read %ld bytes into %zu", got, cap);
		if (buf_append(out, dst, (size_t)got) < 0)
			ck_abort_msg("body larger than the test buffer");
	}
	ck_assert_msg(got == 0, "msg_read_body returned %ld", got);
	free(dst);
}

static void assert_slice(struct slice s, const char *want, size_t wantlen, const char *what)
{
	ck_assert_msg(s.len == wantlen && (wantlen == 0 || memcmp(s.ptr, want, wantlen) == 0),
		      "%s: got '%s', want '%s'", what, show(s.ptr, s.len), show(want, wantlen));
}

static void assert_body(struct msg *m, size_t cap, const char *want, size_t wantlen)
{
	struct buf body;
	buf_init(&body, 1u << 24);
	read_body(m, cap, &body);
	ck_assert_msg(body.len == wantlen && (wantlen == 0 || memcmp(body.data, want, wantlen) == 0),
		      "body (cap %zu): got %zu bytes '%s', want %zu bytes '%s'", cap, body.len, show(body.data, body.len),
		      wantlen, show(want, wantlen));
	ck_assert_msg(m->body_bytes == wantlen, "body_bytes %llu, want %zu", (unsigned long long)m->body_bytes,
		      wantlen);
	buf_free(&body);
}

START_TEST(test_split)
{
	static const char text[] = "From: a@example.com\r\nTo:b@example.com\r\nSubject: hi\r\n\r\nHello\r\n\r\nWorld\r\n";
	struct tmsg t;
	open_msg(&t, S(text), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 3, "nfields %zu", t.m.nfields);
	ck_assert(t.m.has_separator);
	assert_slice(t.m.fields[0].raw, S("From: a@example.com"), "raw 0");
	assert_slice(t.m.fields[0].name, S("From"), "name 0");
	assert_slice(t.m.fields[0].value, S(" a@example.com"), "value 0");
	assert_slice(t.m.fields[1].name, S("To"), "name 1");
	assert_slice(t.m.fields[1].value, S("b@example.com"), "value 1");
	assert_slice(t.m.fields[2].raw, S("Subject: hi"), "raw 2");
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(!t.m.fields[i].malformed, "field %zu not malformed", i);
	assert_body(&t.m, MSG_CHUNK, S("Hello\r\n\r\nWorld\r\n"));
	ck_assert_msg(t.m.lf_converted == 0, "no bare LF: %llu", (unsigned long long)t.m.lf_converted);
	ck_assert_msg(t.m.raw_bytes == sizeof text - 1, "raw_bytes %llu", (unsigned long long)t.m.raw_bytes);
	ck_assert(!t.m.mbox_from);
	close_msg(&t);
}
END_TEST

START_TEST(test_folded_raw)
{
	static const char text[] = "Subject: one\r\n two\r\n\tthree\r\nX-A:  b \t\r\nY:\r\n  \r\n z\r\n\r\nbody";
	struct tmsg t;
	open_msg(&t, S(text), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 3, "nfields %zu", t.m.nfields);
	assert_slice(t.m.fields[0].raw, S("Subject: one\r\n two\r\n\tthree"), "folded raw");
	assert_slice(t.m.fields[0].value, S(" one\r\n two\r\n\tthree"), "folded value");
	assert_slice(t.m.fields[1].raw, S("X-A:  b \t"), "trailing WSP kept");
	assert_slice(t.m.fields[2].raw, S("Y:\r\n  \r\n z"), "whitespace-only continuation line kept");
	assert_body(&t.m, MSG_CHUNK, S("body"));
	close_msg(&t);
}
END_TEST

START_TEST(test_bare_lf_converted)
{
	static const char text[] = "A: 1\nB: x\n y\n\nl1\nl2\r\nl3\n";
	struct tmsg t;
	open_msg(&t, S(text), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 2, "nfields %zu", t.m.nfields);
	assert_slice(t.m.fields[0].raw, S("A: 1"), "raw A");
	assert_slice(t.m.fields[1].raw, S("B: x\r\n y"), "fold converted to CRLF");
	ck_assert(t.m.has_separator);
	assert_body(&t.m, MSG_CHUNK, S("l1\r\nl2\r\nl3\r\n"));
	/* A, B, the fold, the separator, l1, l3 */
	ck_assert_msg(t.m.lf_converted == 6, "lf_converted %llu, want 6", (unsigned long long)t.m.lf_converted);
	close_msg(&t);
}
END_TEST

/* Bare LFs found 16 bytes at a time: one in a long field, one whose CR ends the vector before it. */
START_TEST(test_bare_lf_long_header)
{
	static const char text[] = "Subject: a field longer than one vector\n"
				   "X-Twelve: 0123456\r\n"
				   "X-Pad: 0123456789abcdefghij\r\r\n\n";
	struct tmsg t;
	open_msg(&t, S(text), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 3, "nfields %zu", t.m.nfields);
	assert_slice(t.m.fields[0].raw, S("Subject: a field longer than one vector"), "bare LF ends the field");
	assert_slice(t.m.fields[2].raw, S("X-Pad: 0123456789abcdefghij\r"), "a lone CR stays");
	ck_assert_msg(t.m.lf_converted == 2, "lf_converted %llu, want 2", (unsigned long long)t.m.lf_converted);
	close_msg(&t);
}
END_TEST

START_TEST(test_no_crlf_keeps_lf)
{
	static const char text[] = "A: 1\nB: x\n y\n\nl1\nl2\r\nl3\n";
	struct tmsg t;
	open_msg(&t, S(text), 1);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 2, "nfields %zu", t.m.nfields);
	assert_slice(t.m.fields[0].raw, S("A: 1"), "raw A");
	assert_slice(t.m.fields[1].raw, S("B: x\n y"), "bare-LF fold kept");
	ck_assert(t.m.has_separator);
	assert_body(&t.m, 5, S("l1\nl2\r\nl3\n"));
	ck_assert_msg(t.m.lf_converted == 0, "lf_converted %llu", (unsigned long long)t.m.lf_converted);
	close_msg(&t);
}
END_TEST

/* A CRLF whose CR is the last byte of the first 64 KiB read and whose LF starts the next. */
START_TEST(test_cr_at_header_chunk_boundary)
{
	size_t fill = MSG_CHUNK - 1 - strlen("X-Long: ");
	struct buf in;
	buf_init(&in, 4 * MSG_CHUNK);
	ck_assert(buf_append_str(&in, "X-Long: ") == 0);
	ck_assert(buf_reserve(&in, fill) == 0);
	memset(in.data + in.len, 'a', fill);
	in.len += fill;
	in.data[in.len] = '\0';
	ck_assert_msg(in.len == MSG_CHUNK - 1, "CR goes at offset %zu", in.len);
	ck_assert(buf_append_str(&in, "\r\nB: 2\n\nbody\n") == 0);
	struct tmsg t;
	open_msg(&t, in.data, in.len, 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 2, "nfields %zu", t.m.nfields);
	ck_assert_msg(t.m.fields[0].raw.len == MSG_CHUNK - 1, "long field raw length %zu, want %u (no CR kept)",
		      t.m.fields[0].raw.len, MSG_CHUNK - 1);
	ck_assert_msg(t.m.fields[0].raw.ptr[t.m.fields[0].raw.len - 1] == 'a', "raw ends with the last 'a'");
	assert_slice(t.m.fields[1].raw, S("B: 2"), "field after the boundary");
	assert_body(&t.m, MSG_CHUNK, S("body\r\n"));
	/* B, separator, body: the split CRLF is not a bare LF */
	ck_assert_msg(t.m.lf_converted == 3, "lf_converted %llu, want 3", (unsigned long long)t.m.lf_converted);
	close_msg(&t);
	buf_free(&in);
}
END_TEST

/* The empty line ending the header block split across the first read: CR at 65535, LF at 65536. */
START_TEST(test_separator_at_chunk_boundary)
{
	for (int bare = 0; bare <= 1; bare++) {
		/* bare: the field ends in LF at 65534 and the separator is a lone LF at 65535 */
		const char *eol = bare ? "\n" : "\r\n";
		size_t fill = MSG_CHUNK - 1 - strlen("X-Long: ") - strlen(eol);
		struct buf in;
		buf_init(&in, 2 * MSG_CHUNK);
		ck_assert(buf_append_str(&in, "X-Long: ") == 0);
		ck_assert(buf_reserve(&in, fill) == 0);
		memset(in.data + in.len, 'a', fill);
		in.len += fill;
		ck_assert(buf_append_str(&in, eol) == 0);
		ck_assert_msg(in.len == MSG_CHUNK - 1, "separator starts at offset %zu", in.len);
		ck_assert(buf_append_str(&in, eol) == 0);
		ck_assert(buf_append_str(&in, "Not: a field\r\n") == 0);
		struct tmsg t;
		open_msg(&t, in.data, in.len, 0);
		ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
		ck_assert_msg(t.m.has_separator, "bare %d: separator found across the boundary", bare);
		ck_assert_msg(t.m.nfields == 1, "bare %d: nfields %zu", bare, t.m.nfields);
		ck_assert_msg(t.m.fields[0].raw.len == 8 + fill, "bare %d: raw length %zu", bare, t.m.fields[0].raw.len);
		assert_body(&t.m, MSG_CHUNK, S("Not: a field\r\n"));
		ck_assert_msg(t.m.lf_converted == (bare ? 2u : 0u), "bare %d: lf_converted %llu", bare,
			      (unsigned long long)t.m.lf_converted);
		close_msg(&t);
		buf_free(&in);
	}
}
END_TEST

/* Reference conversion: every LF not preceded by CR in the input becomes CRLF. */
static void reference_convert(const char *in, size_t len, char prev, struct buf *out, unsigned long long *lfs)
{
	int fails = 0;
	*lfs = 0;
	for (size_t i = 0; i < len; i++) {
		char before = i ? in[i - 1] : prev;
		if (in[i] == '\n' && before != '\r') {
			fails += buf_append(out, "\r\n", 2) < 0;
			(*lfs)++;
		} else {
			fails += buf_append_byte(out, in[i]) < 0;
		}
	}
	ck_assert_msg(fails == 0, "reference conversion buffer too small");
}

/*
 * A body of 5 MSG_CHUNKs mixing CRLF, bare LF, lone CR and 8-bit bytes, with
 * CRLF pairs planted across the header read (64 KiB) and across later raw
 * reads. Read with many buffer sizes, it must come out identical to the
 * reference conversion (or byte-identical to the input with --no-crlf).
 */
static const size_t body_caps[] = { 2, 3, 4, 5, 7, 64, 1000, 4096, MSG_CHUNK - 1, MSG_CHUNK, MSG_CHUNK + 1,
				    300000 };

static void build_big(struct buf *in, size_t *hdrlen)
{
	static const char hdr[] = "Subject: big\r\n\r\n";
	size_t bodylen = 5 * MSG_CHUNK + 123;
	unsigned seed = 42;
	buf_init(in, 6 * MSG_CHUNK);
	ck_assert(buf_append_str(in, hdr) == 0);
	*hdrlen = sizeof hdr - 1;
	int fails = 0;
	while (in->len < *hdrlen + bodylen) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = (seed >> 16) % 40;
		if (r == 0)
			fails += buf_append(in, "\r\n", 2) < 0;
		else if (r == 1)
			fails += buf_append_byte(in, '\n') < 0;
		else if (r == 2)
			fails += buf_append_byte(in, '\r') < 0;
		else if (r == 3)
			fails += buf_append_byte(in, (char)0xe9) < 0;
		else if (r == 4)
			fails += buf_append_byte(in, ' ') < 0;
		else
			fails += buf_append_byte(in, (char)('a' + r % 26)) < 0;
	}
	ck_assert_msg(fails == 0, "input buffer too small");
	in->len = *hdrlen + bodylen;
	/* CRLF across the end of the first (header) read, and across raw reads of 32 KiB and 1 byte */
	const size_t plant[] = { MSG_FIRST_READ - 1, MSG_FIRST_READ + MSG_CHUNK / 2 - 1, MSG_CHUNK - 1,
				 MSG_CHUNK + MSG_CHUNK / 2 - 1, 2 * MSG_CHUNK - 1, 3 * MSG_CHUNK - 1 };
	for (size_t i = 0; i < sizeof plant / sizeof plant[0]; i++) {
		in->data[plant[i]] = '\r';
		in->data[plant[i] + 1] = '\n';
	}
	/* a bare LF right after a boundary, preceded by an ordinary byte */
	in->data[4 * MSG_CHUNK - 1] = 'x';
	in->data[4 * MSG_CHUNK] = '\n';
}

static void check_big_body(size_t cap, enum simd_isa isa)
{
	struct buf in, want;
	size_t hdrlen;
	unsigned long long lfs;
	build_big(&in, &hdrlen);
	buf_init(&want, 12 * MSG_CHUNK);
	reference_convert(in.data + hdrlen, in.len - hdrlen, '\n', &want, &lfs);
	ck_assert_msg(lfs > 100, "the body has bare LFs (%llu)", lfs);

	struct tmsg t;
	open_msg_isa(&t, in.data, in.len, 0, isa);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	struct buf body;
	buf_init(&body, 12 * MSG_CHUNK);
	read_body(&t.m, cap, &body);
	ck_assert_msg(body.len == want.len, "cap %zu: body length %zu, want %zu", cap, body.len, want.len);
	if (memcmp(body.data, want.data, want.len) != 0) {
		size_t i = 0;
		while (body.data[i] == want.data[i])
			i++;
		ck_abort_msg("cap %zu: first difference at body byte %zu: '%s' vs '%s'", cap, i,
			     show(body.data + i, 8), show(want.data + i, 8));
	}
	ck_assert_msg(t.m.lf_converted == lfs, "cap %zu: lf_converted %llu, want %llu", cap,
		      (unsigned long long)t.m.lf_converted, lfs);
	ck_assert_msg(t.m.body_bytes == want.len, "body_bytes");
	ck_assert_msg(t.m.raw_bytes == in.len, "raw_bytes %llu, want %zu", (unsigned long long)t.m.raw_bytes, in.len);
	close_msg(&t);
	buf_free(&body);

	/* --no-crlf: the body comes out exactly as stored */
	open_msg(&t, in.data, in.len, 1);
	ck_assert_msg(t.rc == 0, "msg_open no_crlf: %s", t.err);
	buf_init(&body, 12 * MSG_CHUNK);
	read_body(&t.m, cap, &body);
	ck_assert_msg(body.len == in.len - hdrlen && memcmp(body.data, in.data + hdrlen, body.len) == 0,
		      "cap %zu: --no-crlf body differs from the input", cap);
	ck_assert(t.m.lf_converted == 0);
	close_msg(&t);
	buf_free(&body);
	buf_free(&want);
	buf_free(&in);
}

/* Every read size, with each vector level this CPU runs counting the bare LFs. */
START_TEST(test_big_body_exact)
{
	for (enum simd_isa isa = SIMD_SCALAR; isa <= SIMD_AVX2; isa++)
		check_big_body(body_caps[_i], isa);
}
END_TEST

/*
 * The vector code that counts bare LFs (16 or 32 bytes at a time) against the
 * scalar loop: one bare LF at every offset of a 160-byte CRLF body and of a
 * header field, and one right after a CR at the end of a read (the case
 * prev_cr exists for), under each level this CPU runs.
 */
START_TEST(test_bare_lf_each_isa)
{
	size_t at = (size_t)_i;
	char text[512];
	size_t n = (size_t)snprintf(text, sizeof text, "Subject: %.*s\r\n\r\n", 70,
				    "0123456789012345678901234567890123456789012345678901234567890123456789");
	size_t hdr_lf = 9 + at % 60;   /* within the Subject value, before its end */
	size_t body = n;
	for (int line = 0; line < 8; line++)
		n += (size_t)snprintf(text + n, sizeof text - n, "line %d of a body with CRLF ends\r\n", line);
	size_t body_lf = body + at;
	ck_assert(body_lf < n);
	struct buf want;
	for (int where = 0; where < 2; where++) {
		char in[512];
		memcpy(in, text, n);
		in[where ? body_lf : hdr_lf] = '\n';   /* after a byte that is not CR: bare */
		buf_init(&want, 4096);
		unsigned long long lfs, body_lfs;
		reference_convert(in, n, '\n', &want, &lfs);   /* the count over header and body */
		buf_reset(&want);
		reference_convert(in + body, n - body, '\n', &want, &body_lfs);
		for (enum simd_isa isa = SIMD_SCALAR; isa <= SIMD_AVX2; isa++) {
			struct tmsg t;
			open_msg_isa(&t, in, n, 0, isa);
			ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
			ck_assert_msg(t.m.opts.isa == simd_resolve(isa), "the level asked for, as far as the CPU runs it");
			assert_body(&t.m, 4096, want.data, want.len);
			ck_assert_msg(t.m.lf_converted == lfs, "isa %d, LF at %zu (%s): lf_converted %llu, want %llu",
				      (int)isa, where ? body_lf : hdr_lf, where ? "body" : "header",
				      (unsigned long long)t.m.lf_converted, lfs);
			close_msg(&t);
		}
		buf_free(&want);
	}
}
END_TEST

/* msg_read_body promises "0 at the end": a 1-byte buffer must still get the whole body. */
START_TEST(test_read_body_cap_one)
{
	static const char text[] = "A: 1\r\n\r\nab\ncd\r\n";
	struct tmsg t;
	open_msg(&t, S(text), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	assert_body(&t.m, 1, S("ab\r\ncd\r\n"));
	close_msg(&t);
}
END_TEST

/* A 1-byte read buffer still gets the whole body (an LF may become two bytes: they wait in pending). */
START_TEST(test_read_body_cap_one_long)
{
	struct buf in;
	buf_init(&in, 3 * MSG_CHUNK);
	ck_assert(buf_append_str(&in, "A: 1\r\n\r\n") == 0);
	while (in.len < 2 * MSG_CHUNK)
		ck_assert(buf_append_str(&in, "0123456789abcdef\r\n") == 0);
	struct tmsg t;
	open_msg(&t, in.data, in.len, 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	assert_body(&t.m, 1, in.data + 8, in.len - 8);
	close_msg(&t);
	buf_free(&in);
}
END_TEST

START_TEST(test_mbox_from_line)
{
	static const char text[] = "From sender@example.com Thu Jan  1 00:00:00 2024\nA: 1\n\nbody\n";
	struct tmsg t;
	open_msg(&t, S(text), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(t.m.mbox_from);
	ck_assert_msg(t.m.nfields == 1, "nfields %zu (the From line is not a field)", t.m.nfields);
	assert_slice(t.m.fields[0].raw, S("A: 1"), "first field");
	assert_body(&t.m, MSG_CHUNK, S("body\r\n"));
	ck_assert_msg(t.m.lf_converted == 3, "lf_converted %llu (envelope line not counted)",
		      (unsigned long long)t.m.lf_converted);
	close_msg(&t);

	/* "From:" is a header field, not an envelope line */
	static const char text2[] = "From: a@example.com\r\n\r\nx";
	open_msg(&t, S(text2), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(!t.m.mbox_from);
	ck_assert_msg(t.m.nfields == 1, "nfields %zu", t.m.nfields);
	assert_slice(t.m.fields[0].name, S("From"), "From: field kept");
	close_msg(&t);

	/* only the first line can be an envelope line */
	static const char text3[] = "A: 1\r\nFrom x\r\n\r\n";
	open_msg(&t, S(text3), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(!t.m.mbox_from);
	ck_assert_msg(t.m.nfields == 2 && t.m.fields[1].malformed, "a later 'From ' line is a malformed field");
	close_msg(&t);
}
END_TEST

START_TEST(test_no_body_no_separator)
{
	struct tmsg t;
	open_msg(&t, S("A: 1\r\nB: 2\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(!t.m.has_separator, "no empty line");
	ck_assert_msg(t.m.nfields == 2, "nfields %zu", t.m.nfields);
	assert_slice(t.m.fields[1].raw, S("B: 2"), "last field");
	assert_body(&t.m, MSG_CHUNK, S(""));
	close_msg(&t);

	/* separator then nothing: an empty body, but a separator */
	open_msg(&t, S("A: 1\r\n\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(t.m.has_separator);
	ck_assert(t.m.nfields == 1);
	assert_body(&t.m, MSG_CHUNK, S(""));
	close_msg(&t);

	/* an empty file */
	open_msg(&t, "", 0, 0);
	ck_assert_msg(t.rc == 0, "msg_open of an empty file: %s", t.err);
	ck_assert(t.m.nfields == 0 && !t.m.has_separator);
	assert_body(&t.m, MSG_CHUNK, S(""));
	close_msg(&t);
}
END_TEST

START_TEST(test_starts_with_empty_line)
{
	struct tmsg t;
	open_msg(&t, S("\r\nA: not a header\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 0, "no header fields, got %zu", t.m.nfields);
	ck_assert(t.m.has_separator);
	assert_body(&t.m, MSG_CHUNK, S("A: not a header\r\n"));
	close_msg(&t);

	open_msg(&t, S("\nbody\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(t.m.nfields == 0 && t.m.has_separator);
	assert_body(&t.m, MSG_CHUNK, S("body\r\n"));
	ck_assert(t.m.lf_converted == 2);
	close_msg(&t);
}
END_TEST

START_TEST(test_no_final_newline)
{
	struct tmsg t;
	open_msg(&t, S("A: 1\r\nB: 2"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(!t.m.has_separator);
	ck_assert_msg(t.m.nfields == 2, "nfields %zu", t.m.nfields);
	assert_slice(t.m.fields[1].raw, S("B: 2"), "unterminated last field");
	assert_slice(t.m.fields[1].value, S(" 2"), "its value");
	ck_assert_msg(t.m.header.len >= 2 && memcmp(t.m.header.data + t.m.header.len - 2, "\r\n", 2) == 0,
		      "the header block ends in CRLF: '%s'", show(t.m.header.data, t.m.header.len));
	assert_body(&t.m, MSG_CHUNK, S(""));
	close_msg(&t);

	/* a folded last field without final newline */
	open_msg(&t, S("A: 1\r\n b"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(t.m.nfields == 1);
	assert_slice(t.m.fields[0].raw, S("A: 1\r\n b"), "folded unterminated");
	close_msg(&t);
}
END_TEST

START_TEST(test_malformed_fields)
{
	struct tmsg t;
	open_msg(&t, S("A: 1\r\nnocolon\r\nB: 2\r\n: empty name\r\n\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 4, "nfields %zu", t.m.nfields);
	ck_assert_msg(!t.m.fields[0].malformed && !t.m.fields[2].malformed, "good fields");
	ck_assert_msg(t.m.fields[1].malformed, "a line without a colon is malformed");
	assert_slice(t.m.fields[1].raw, S("nocolon"), "malformed raw kept");
	ck_assert_msg(t.m.fields[3].malformed, "an empty name is malformed");
	ck_assert_msg(msg_find_field(&t.m, "nocolon", 0) == -1, "malformed fields are never found");
	ck_assert_msg(msg_find_field(&t.m, "", 0) == -1, "the empty name is never found");
	ck_assert_msg(msg_find_field(&t.m, "B", 0) == 2, "B after the malformed field");
	close_msg(&t);

	/* a first line that starts with white space continues nothing */
	open_msg(&t, S(" X: 1\r\nA: 2\r\n\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 2, "nfields %zu", t.m.nfields);
	ck_assert_msg(t.m.fields[0].malformed, "leading-WSP field is malformed");
	ck_assert_msg(msg_find_field(&t.m, "X", 0) == -1, "it is never selected");
	ck_assert_msg(msg_find_field(&t.m, "A", 0) == 1, "A is found");
	close_msg(&t);
}
END_TEST

START_TEST(test_wsp_before_colon)
{
	struct tmsg t;
	open_msg(&t, S("Subject \t: hi\r\n\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(t.m.nfields == 1);
	ck_assert_msg(!t.m.fields[0].malformed, "WSP before the colon (obs-optional) is not malformed");
	assert_slice(t.m.fields[0].name, S("Subject"), "name without trailing WSP");
	assert_slice(t.m.fields[0].value, S(" hi"), "value");
	assert_slice(t.m.fields[0].raw, S("Subject \t: hi"), "raw keeps the WSP");
	ck_assert(msg_find_field(&t.m, "subject", 0) == 0);
	close_msg(&t);
}
END_TEST

START_TEST(test_find_field_case)
{
	struct tmsg t;
	open_msg(&t, S("DKIM-Signature: a\r\nFrom: x\r\ndkim-signature: b\r\nDKIM-SIGNATURE: c\r\nDKIM-Signatures: no\r\n\r\n"),
		 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert(t.m.nfields == 5);
	long i = msg_find_field(&t.m, "dKiM-sIgNaTuRe", 0);
	ck_assert_msg(i == 0, "first at 0, got %ld", i);
	i = msg_find_field(&t.m, "DKIM-Signature", (size_t)i + 1);
	ck_assert_msg(i == 2, "second at 2, got %ld", i);
	i = msg_find_field(&t.m, "DKIM-Signature", (size_t)i + 1);
	ck_assert_msg(i == 3, "third at 3, got %ld", i);
	i = msg_find_field(&t.m, "DKIM-Signature", (size_t)i + 1);
	ck_assert_msg(i == -1, "no fourth (a longer name is a different field), got %ld", i);
	ck_assert_msg(msg_find_field(&t.m, "DKIM-Sig", 0) == -1, "no prefix match");
	ck_assert_msg(msg_find_field(&t.m, "from", 99) == -1, "start past the end");
	close_msg(&t);
}
END_TEST

/* A header block of 4 MiB + 1 MiB (one folded field) is refused cleanly, with or without a separator. */
static void build_huge_header(struct buf *in, int with_separator)
{
	buf_init(in, MSG_HEADER_MAX + (2u << 20));
	ck_assert(buf_append_str(in, "X-Huge: start") == 0);
	char line[1002];
	memset(line, 'h', sizeof line);
	line[0] = '\r';
	line[1] = '\n';
	line[2] = ' ';
	int fails = 0;
	while (in->len < MSG_HEADER_MAX + (1u << 20))
		fails += buf_append(in, line, sizeof line) < 0;
	ck_assert(fails == 0);
	ck_assert(buf_append_str(in, with_separator ? "\r\n\r\nbody\r\n" : "\r\n") == 0);
}

START_TEST(test_header_too_large)
{
	for (int sep = 0; sep <= 1; sep++) {
		struct buf in;
		build_huge_header(&in, sep);
		struct tmsg t;
		open_msg(&t, in.data, in.len, 0);
		ck_assert_msg(t.rc == -1, "a header block above MSG_HEADER_MAX must fail (separator %d)", sep);
		ck_assert_msg(strstr(t.err, "larger than") != NULL, "reason: '%s'", t.err);
		ck_assert_msg(t.m.data_error, "a header block over the limit is a data error, not a read error");
		close_msg(&t); /* harmless after a failed open */
		buf_free(&in);
	}
}
END_TEST

START_TEST(test_header_large_but_allowed)
{
	/* 1 MiB of header fields is well inside the bound */
	struct buf in;
	buf_init(&in, 2u << 20);
	size_t n = 0;
	int fails = 0;
	while (in.len < (1u << 20)) {
		fails += buf_printf(&in, "X-F%zu: %0500zu\r\n", n, n) < 0;
		n++;
	}
	ck_assert(fails == 0);
	ck_assert(buf_append_str(&in, "\r\nbody") == 0);
	struct tmsg t;
	open_msg(&t, in.data, in.len, 0);
	ck_assert_msg(t.rc == 0, "msg_open of a 1 MiB header: %s", t.err);
	ck_assert_msg(t.m.nfields == n, "nfields %zu, want %zu", t.m.nfields, n);
	assert_body(&t.m, 1000, S("body"));
	close_msg(&t);
	buf_free(&in);
}
END_TEST

static void build_fields(struct buf *in, size_t nfields)
{
	buf_init(in, 16 * (nfields + 2));
	int fails = 0;
	for (size_t i = 0; i < nfields; i++)
		fails += buf_append_str(in, "X: 1\r\n") < 0;
	ck_assert(fails == 0);
	ck_assert(buf_append_str(in, "\r\nbody") == 0);
}

START_TEST(test_fields_max)
{
	struct buf in;
	struct tmsg t;
	build_fields(&in, MSG_FIELDS_MAX);
	open_msg(&t, in.data, in.len, 0);
	ck_assert_msg(t.rc == 0, "exactly MSG_FIELDS_MAX fields are fine: %s", t.err);
	ck_assert(t.m.nfields == MSG_FIELDS_MAX);
	close_msg(&t);
	buf_free(&in);

	build_fields(&in, MSG_FIELDS_MAX + 1);
	open_msg(&t, in.data, in.len, 0);
	ck_assert_msg(t.rc == -1, "MSG_FIELDS_MAX + 1 fields must fail");
	ck_assert_msg(strstr(t.err, "header fields") != NULL, "reason: '%s'", t.err);
	close_msg(&t);
	buf_free(&in);
}
END_TEST

/* A failed msg_open releases everything itself, like every other failure path (run_open relies on it). */
START_TEST(test_fields_max_failure_releases)
{
	struct buf in;
	struct tmsg t;
	build_fields(&in, MSG_FIELDS_MAX + 1);
	open_msg(&t, in.data, in.len, 0);
	ck_assert(t.rc == -1);
	ck_assert_msg(t.m.header.data == NULL && t.m.fields == NULL, "failed msg_open left memory allocated");
	fclose(t.f);
	buf_free(&in);
}
END_TEST

START_TEST(test_spool)
{
	/* a copy of a stream that can be read twice, positioned at its start */
	static const char text[] = "A: 1\r\n\r\nbody\r\n";
	FILE *in = fmemopen((void *)(uintptr_t)text, sizeof text - 1, "r");
	ck_assert(in != NULL);
	FILE *sp = msg_spool(in);
	ck_assert_msg(sp != NULL, "msg_spool");
	for (int pass = 0; pass < 2; pass++) {
		char got[64];
		size_t n = fread(got, 1, sizeof got, sp);
		ck_assert_msg(n == sizeof text - 1 && memcmp(got, text, n) == 0, "pass %d: spooled copy differs", pass);
		rewind(sp);
	}
	fclose(sp);
	fclose(in);
}
END_TEST

START_TEST(test_parse_fields_in_memory)
{
	struct msg m;
	char err[200];
	memset(&m, 0, sizeof m);
	buf_init(&m.header, 1024);
	ck_assert(buf_append_str(&m.header, "A: 1\r\n\tcont\r\nB:2\r\nC\r\n") == 0);
	ck_assert_msg(msg_parse_fields(&m, err, sizeof err) == 0, "parse: %s", err);
	ck_assert_msg(m.nfields == 3, "nfields %zu", m.nfields);
	assert_slice(m.fields[0].raw, S("A: 1\r\n\tcont"), "folded");
	assert_slice(m.fields[1].value, S("2"), "no-space value");
	ck_assert(m.fields[2].malformed);
	/* parsing again replaces the list */
	ck_assert(msg_parse_fields(&m, err, sizeof err) == 0);
	ck_assert_msg(m.nfields == 3, "reparse nfields %zu", m.nfields);
	msg_close(&m);
}
END_TEST

/* A UTF-8 byte order mark before the first field (an editor's, never a signer's) is skipped and noted. */
START_TEST(test_bom_skipped)
{
	struct tmsg t;
	open_msg(&t, S("\xef\xbb\xbf" "From: a\r\nTo: b\r\n\r\nbody\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.bom_skipped, "BOM noted");
	ck_assert_msg(t.m.nfields == 2 && !t.m.fields[0].malformed, "From parses");
	assert_slice(t.m.fields[0].name, S("From"), "name without the BOM");
	ck_assert_msg(msg_find_field(&t.m, "From", 0) == 0, "From is found");
	ck_assert_msg(t.m.raw_bytes == 27, "the BOM was read: raw_bytes %llu", (unsigned long long)t.m.raw_bytes);
	close_msg(&t);
	/* only at the very start: elsewhere it is part of a (malformed) name */
	open_msg(&t, S("A: 1\r\n\xef\xbb\xbf" "B: 2\r\n\r\n"), 0);
	ck_assert_msg(t.rc == 0 && !t.m.bom_skipped, "no BOM skipped inside the block");
	ck_assert_msg(t.m.fields[1].malformed, "a name with a BOM in it is not a field-name");
	close_msg(&t);
	/* before an mbox envelope line too */
	open_msg(&t, S("\xef\xbb\xbf" "From x@y Mon Jan  1 00:00:00 2024\nA: 1\n\n"), 0);
	ck_assert_msg(t.rc == 0 && t.m.bom_skipped && t.m.mbox_from, "BOM, then the envelope line");
	ck_assert_msg(t.m.nfields == 1 && !t.m.fields[0].malformed, "A parses");
	close_msg(&t);
}
END_TEST

/* RFC 5322 §3.6.8: field-name = 1*ftext (printable US-ASCII but ':'); anything else is no field. */
START_TEST(test_field_name_ftext)
{
	struct tmsg t;
	open_msg(&t, S("X Bad: 1\r\n\x01\x02: 2\r\nN\xc3\xa4me: 3\r\nX-Good_1.2~: 4\r\nSubject\t: 5\r\n\r\n"), 0);
	ck_assert_msg(t.rc == 0, "msg_open: %s", t.err);
	ck_assert_msg(t.m.nfields == 5, "nfields %zu", t.m.nfields);
	ck_assert_msg(t.m.fields[0].malformed, "a space inside the name");
	ck_assert_msg(t.m.fields[1].malformed, "control bytes in the name");
	ck_assert_msg(t.m.fields[2].malformed, "8-bit bytes in the name");
	ck_assert_msg(!t.m.fields[3].malformed, "every ftext character is allowed");
	ck_assert_msg(!t.m.fields[4].malformed, "WSP before the colon stays allowed (obs-optional)");
	ck_assert_msg(msg_count_well_formed(&t.m) == 2, "two well-formed fields, not %zu", msg_count_well_formed(&t.m));
	close_msg(&t);
}
END_TEST

Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_folded_raw);
	tcase_add_test(tc, test_bare_lf_converted);
	tcase_add_test(tc, test_bare_lf_long_header);
	tcase_add_test(tc, test_no_crlf_keeps_lf);
	tcase_add_test(tc, test_cr_at_header_chunk_boundary);
	tcase_add_test(tc, test_separator_at_chunk_boundary);
	tcase_add_loop_test(tc, test_big_body_exact, 0, (int)(sizeof body_caps / sizeof body_caps[0]));
	tcase_add_test(tc, test_read_body_cap_one);
	tcase_add_loop_test(tc, test_bare_lf_each_isa, 0, 150);
	tcase_add_test(tc, test_mbox_from_line);
	tcase_add_test(tc, test_no_body_no_separator);
	tcase_add_test(tc, test_starts_with_empty_line);
	tcase_add_test(tc, test_no_final_newline);
	tcase_add_test(tc, test_malformed_fields);
	tcase_add_test(tc, test_wsp_before_colon);
	tcase_add_test(tc, test_bom_skipped);
	tcase_add_test(tc, test_field_name_ftext);
	tcase_add_test(tc, test_find_field_case);
	tcase_add_test(tc, test_header_too_large);
	tcase_add_test(tc, test_header_large_but_allowed);
	tcase_add_test(tc, test_fields_max);
	tcase_add_test(tc, test_fields_max_failure_releases);
	tcase_add_test(tc, test_spool);
	tcase_add_test(tc, test_parse_fields_in_memory);
	tcase_add_test(tc, test_read_body_cap_one_long);
	suite_add_tcase(s, tc);
	return s;
}
