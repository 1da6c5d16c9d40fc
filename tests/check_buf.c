/*
 * buf: the cap is compulsory (an append that would pass it fails and leaves
 * the buffer exactly as it was), printf appends under the same rule, and the
 * slice helpers compare and trim bytes exactly. The printable escaper lets no
 * C0 or C1 control and no bidirectional override through, in any encoding.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "suites.h"

/* The buffer holds exactly the bytes want (and a NUL after them). */
static void assert_buf(const struct buf *b, const char *want, size_t wantlen, const char *what)
{
	ck_assert_msg(b->len == wantlen, "%s: len %zu, want %zu", what, b->len, wantlen);
	ck_assert_msg(b->data != NULL, "%s: data is NULL", what);
	ck_assert_msg(memcmp(b->data, want, wantlen) == 0, "%s: content differs: '%s' vs '%s'", what,
		      b->data, want);
	ck_assert_msg(b->data[b->len] == '\0', "%s: not NUL-terminated", what);
	ck_assert_msg(b->len <= b->max, "%s: len %zu above max %zu", what, b->len, b->max);
}

START_TEST(test_append_up_to_cap)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_msg(b.data == NULL && b.len == 0 && b.max == 10, "buf_init state");
	ck_assert_msg(buf_append(&b, "0123456789", 10) == 0, "10 bytes fit a cap of 10");
	assert_buf(&b, "0123456789", 10, "full");
	ck_assert_msg(buf_append(&b, "x", 1) == -1, "11th byte must fail");
	assert_buf(&b, "0123456789", 10, "after failed append");
	ck_assert_msg(buf_append_byte(&b, 'x') == -1, "append_byte past cap must fail");
	ck_assert_msg(buf_append_str(&b, "x") == -1, "append_str past cap must fail");
	assert_buf(&b, "0123456789", 10, "after failed byte/str appends");
	ck_assert_msg(buf_append(&b, "", 0) == 0, "appending nothing to a full buffer is fine");
	assert_buf(&b, "0123456789", 10, "after empty append");
	buf_free(&b);
	ck_assert_msg(b.data == NULL && b.len == 0, "buf_free clears");
}
END_TEST

START_TEST(test_append_partial_overflow_is_atomic)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert(buf_append_str(&b, "abcdefgh") == 0);
	/* 8 + 5 > 10: nothing of the 5 bytes may be written, not even the 2 that would fit */
	ck_assert_msg(buf_append(&b, "12345", 5) == -1, "append crossing the cap must fail");
	assert_buf(&b, "abcdefgh", 8, "after crossing append");
	ck_assert_msg(buf_append(&b, "12", 2) == 0, "the 2 bytes that fit still append");
	assert_buf(&b, "abcdefgh12", 10, "filled exactly");
	ck_assert_msg(b.cap <= b.max + 1, "allocated %zu bytes for a cap of %zu", b.cap, b.max);
	/* a huge length must not wrap around the size arithmetic */
	ck_assert_msg(buf_append(&b, "x", SIZE_MAX) == -1, "SIZE_MAX append must fail");
	ck_assert_msg(buf_append(&b, "x", SIZE_MAX - 5) == -1, "SIZE_MAX-5 append must fail");
	assert_buf(&b, "abcdefgh12", 10, "after huge appends");
	buf_free(&b);
}
END_TEST

START_TEST(test_cap_zero)
{
	struct buf b;
	buf_init(&b, 0);
	ck_assert_msg(buf_append_byte(&b, 'a') == -1, "cap 0 refuses one byte");
	ck_assert_msg(b.len == 0, "len stays 0");
	ck_assert_msg(buf_append(&b, "", 0) == 0, "cap 0 accepts an empty append");
	assert_buf(&b, "", 0, "empty but allocated");
	buf_free(&b);
}
END_TEST

START_TEST(test_growth_many_bytes)
{
	struct buf b;
	buf_init(&b, 100000);
	/* plain checks in the loops: Check records every ck_assert, which is slow 100000 times over */
	for (size_t i = 0; i < 100000; i++)
		if (buf_append_byte(&b, (char)('a' + i % 26)) != 0)
			ck_abort_msg("append of byte %zu failed", i);
	ck_assert_msg(b.len == 100000, "len %zu", b.len);
	for (size_t i = 0; i < 100000; i++)
		if (b.data[i] != (char)('a' + i % 26))
			ck_abort_msg("byte %zu corrupted by growth", i);
	ck_assert_msg(b.data[100000] == '\0', "NUL after growth");
	ck_assert_msg(buf_append_byte(&b, 'z') == -1, "cap reached");
	ck_assert_msg(b.cap <= b.max + 1, "allocation %zu never passes the cap %zu plus the NUL", b.cap, b.max);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf)
{
	struct buf b;
	buf_init(&b, 64);
	ck_assert(buf_append_str(&b, "x=") == 0);
	ck_assert_msg(buf_printf(&b, "%d-%s-%02x", 42, "y", 10) == 0, "printf fits");
	assert_buf(&b, "x=42-y-0a", 9, "printf appends");
	ck_assert_msg(buf_printf(&b, "%s", "") == 0, "empty printf");
	assert_buf(&b, "x=42-y-0a", 9, "empty printf changes nothing");
	buf_free(&b);

	buf_init(&b, 10);
	ck_assert(buf_append_str(&b, "abcdefgh") == 0);
	ck_assert_msg(buf_printf(&b, "%d", 123) == -1, "printf crossing the cap fails");
	assert_buf(&b, "abcdefgh", 8, "after failed printf");
	ck_assert_msg(buf_printf(&b, "%d", 12) == 0, "printf that exactly fills");
	assert_buf(&b, "abcdefgh12", 10, "filled by printf");
	buf_free(&b);

	/* printf into an empty, never-allocated buffer */
	buf_init(&b, 1000);
	ck_assert(buf_printf(&b, "%s|%s", "a", "b") == 0);
	assert_buf(&b, "a|b", 3, "printf first");
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_long)
{
	struct buf b;
	buf_init(&b, 4096);
	char big[1001];
	memset(big, 'q', 1000);
	big[1000] = '\0';
	ck_assert(buf_printf(&b, "<%s>", big) == 0);
	ck_assert_msg(b.len == 1002 && b.data[0] == '<' && b.data[1001] == '>' && b.data[1002] == '\0',
		      "long printf: len %zu", b.len);
	buf_free(&b);
}
END_TEST

START_TEST(test_reset_and_steal)
{
	struct buf b;
	buf_init(&b, 100);
	ck_assert(buf_append_str(&b, "hello") == 0);
	char *mem = b.data;
	buf_reset(&b);
	ck_assert_msg(b.len == 0 && b.data == mem && b.data[0] == '\0', "reset keeps memory, empties text");
	ck_assert(buf_append_str(&b, "hi") == 0);
	assert_buf(&b, "hi", 2, "after reset");
	char *s = buf_steal(&b);
	ck_assert_msg(strcmp(s, "hi") == 0, "stolen text '%s'", s);
	ck_assert_msg(b.data == NULL && b.len == 0 && b.cap == 0, "steal leaves an empty buffer");
	free(s);
	/* steal of a never-used buffer gives an empty C string, not NULL */
	s = buf_steal(&b);
	ck_assert_msg(s != NULL && s[0] == '\0', "steal of empty buffer");
	free(s);
	/* the buffer is reusable after steal, with the same cap */
	ck_assert(buf_append_str(&b, "again") == 0);
	assert_buf(&b, "again", 5, "reuse after steal");
	buf_free(&b);
	buf_free(&b); /* double free is harmless */
}
END_TEST

START_TEST(test_reserve)
{
	struct buf b;
	buf_init(&b, 8);
	ck_assert(buf_append_str(&b, "ab") == 0);
	ck_assert_msg(buf_reserve(&b, 6) == 0, "room for 6 more within a cap of 8");
	ck_assert_msg(b.cap >= b.len + 6 + 1, "cap %zu leaves room for 6 bytes and the NUL", b.cap);
	memcpy(b.data + b.len, "cdefgh", 6);
	b.len += 6;
	b.data[b.len] = '\0';
	assert_buf(&b, "abcdefgh", 8, "written through reserve");
	ck_assert_msg(buf_reserve(&b, 1) == -1, "reserve past the cap fails");
	ck_assert_msg(buf_reserve(&b, 0) == 0, "reserving nothing is fine");
	assert_buf(&b, "abcdefgh", 8, "unchanged by failed reserve");
	buf_free(&b);
}
END_TEST

START_TEST(test_embedded_nul)
{
	struct buf b;
	buf_init(&b, 16);
	ck_assert(buf_append(&b, "a\0b", 3) == 0);
	assert_buf(&b, "a\0b", 3, "bytes with NUL kept");
	buf_free(&b);
}
END_TEST

struct trim_case {
	const char *in;
	const char *out;
};

static const struct trim_case trim_cases[] = {
	{ "abc", "abc" },
	{ "  abc", "abc" },
	{ "abc \t", "abc" },
	{ " \t\r\nab c\r\n ", "ab c" },
	{ "\r\n\tx\ty\r\n", "x\ty" },
	{ "   ", "" },
	{ "", "" },
	{ "\r\n", "" },
	{ "\v a \f", "\v a \f" }, /* only SP, HTAB, CR, LF are trimmed */
};

START_TEST(test_trim)
{
	const struct trim_case *tc = &trim_cases[_i];
	struct slice in = slice_cstr(tc->in);
	struct slice t = slice_trim_wsp(in);
	ck_assert_msg(slice_eq(t, tc->out), "trim('%s') gave '%.*s', want '%s'", tc->in, (int)t.len, t.ptr,
		      tc->out);
	ck_assert_msg(t.len == 0 || (t.ptr >= in.ptr && t.ptr + t.len <= in.ptr + in.len),
		      "trimmed slice points into the input");
}
END_TEST

START_TEST(test_slice_eq)
{
	ck_assert(slice_eq(slice_cstr("abc"), "abc"));
	ck_assert_msg(!slice_eq(slice_cstr("abc"), "ABC"), "slice_eq is case-sensitive");
	ck_assert_msg(!slice_eq(slice_cstr("abc"), "ab"), "shorter C string");
	ck_assert_msg(!slice_eq(slice_cstr("ab"), "abc"), "longer C string");
	ck_assert_msg(slice_eq(slice_make("abcdef", 3), "abc"), "slice is a prefix of its memory");
	ck_assert_msg(slice_eq(slice_make(NULL, 0), ""), "empty slice equals empty string");
	ck_assert_msg(!slice_eq(slice_make("a\0b", 3), "a"), "embedded NUL makes the slice longer");
}
END_TEST

START_TEST(test_slice_caseeq)
{
	ck_assert(slice_caseeq(slice_cstr("DKIM-Signature"), slice_cstr("dkim-signature")));
	ck_assert(slice_caseeq_str(slice_cstr("From"), "fROM"));
	ck_assert_msg(!slice_caseeq_str(slice_cstr("From"), "Fro"), "length differs");
	ck_assert_msg(!slice_caseeq_str(slice_cstr("a"), "b"), "different letters");
	/* only ASCII letters fold: '@' (0x40) and '`' (0x60) differ by 0x20 but are not a case pair */
	ck_assert_msg(!slice_caseeq_str(slice_cstr("@"), "`"), "'@' vs '`' must differ");
	ck_assert_msg(!slice_caseeq_str(slice_cstr("["), "{"), "'[' vs '{' must differ");
	/* bytes above 0x7f are compared exactly (no locale folding) */
	ck_assert_msg(!slice_caseeq_str(slice_cstr("\xc4"), "\xe4"), "8-bit bytes do not fold");
	ck_assert_msg(slice_caseeq_str(slice_cstr("\xc4"), "\xc4"), "8-bit byte equals itself");
	ck_assert_msg(slice_caseeq(slice_make(NULL, 0), slice_cstr("")), "empty slices equal");
}
END_TEST

START_TEST(test_slice_dup_copy)
{
	char *d = slice_dup(slice_make("hello world", 5));
	ck_assert_msg(d && strcmp(d, "hello") == 0, "dup of a prefix: '%s'", d ? d : "(null)");
	free(d);
	d = slice_dup(slice_make(NULL, 0));
	ck_assert_msg(d && d[0] == '\0', "dup of the empty slice");
	free(d);

	char dst[4];
	memset(dst, 'X', sizeof dst);
	ck_assert_msg(slice_copy(slice_cstr("hello"), dst, sizeof dst) == 5, "copy returns the slice length");
	ck_assert_msg(strcmp(dst, "hel") == 0, "truncating copy: '%s'", dst);
	memset(dst, 'X', sizeof dst);
	ck_assert(slice_copy(slice_cstr("ab"), dst, sizeof dst) == 2);
	ck_assert_msg(strcmp(dst, "ab") == 0, "short copy: '%s'", dst);
	memset(dst, 'X', sizeof dst);
	ck_assert(slice_copy(slice_cstr("abc"), dst, sizeof dst) == 3);
	ck_assert_msg(strcmp(dst, "abc") == 0, "exact fit: '%s'", dst);
	memset(dst, 'X', sizeof dst);
	ck_assert(slice_copy(slice_cstr("abc"), dst, 0) == 3);
	ck_assert_msg(dst[0] == 'X', "dstlen 0 writes nothing");
	ck_assert(slice_copy(slice_cstr("abc"), dst, 1) == 3);
	ck_assert_msg(dst[0] == '\0', "dstlen 1 writes only the NUL");
}
END_TEST

/* buf_append_printable: what message text and file names look like on a terminal. */
struct printable_case {
	const char *in;
	size_t inlen;
	const char *out;
};

#define PC(lit, want) { lit, sizeof lit - 1, want }
static const struct printable_case printable_cases[] = {
	PC("plain text", "plain text"),
	PC("a\r\nb\tc", "a\\r\\nb\\tc"),
	PC("\033[31mred", "\\x1b[31mred"),                   /* C0: ESC */
	PC("bell\007", "bell\\x07"),
	PC("del\177", "del\\x7f"),
	PC("caf\xc3\xa9 \xc2\xa7 \xe2\x82\xac", "caf\xc3\xa9 \xc2\xa7 \xe2\x82\xac"), /* UTF-8 text passes */
	PC("\xc2\x9b" "31m", "\\u009b31m"),                  /* C1 CSI as UTF-8 (U+009B) */
	PC("\xc2\x80\xc2\x85\xc2\x9f", "\\u0080\\u0085\\u009f"), /* the C1 range ends */
	PC("\xc2\xa0", "\xc2\xa0"),                          /* U+00A0 is past C1: kept */
	PC("\x9b" "31m", "\\x9b31m"),                        /* C1 CSI as a raw byte (not UTF-8) */
	PC("\x80\x9f", "\\x80\\x9f"),
	PC("abc\xe2\x80\xae" "cba", "abc\\u202ecba"),        /* RLO: right-to-left override */
	PC("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u202a\\u202b\\u202c\\u202d"),
	PC("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069"), /* isolates */
	PC("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c"), /* LRM, RLM, ALM: Bidi_Control too */
	PC("\xe2\x80\xa9\xe2\x81\xa5\xe2\x81\xaa", "\xe2\x80\xa9\xe2\x81\xa5\xe2\x81\xaa"), /* neighbours kept */
	PC("\xe2\x80", "\\xe2\\x80"),                        /* a truncated sequence */
	PC("x\0y", "x\\x00y"),
};

START_TEST(test_printable)
{
	const struct printable_case *c = &printable_cases[_i];
	struct buf b;
	buf_init(&b, 256);
	ck_assert_int_eq(buf_append_printable(&b, c->in, c->inlen), 0);
	ck_assert_msg(b.data && strcmp(b.data, c->out) == 0, "case %d: got '%s', want '%s'", _i, b.data, c->out);
	buf_free(&b);
}
END_TEST

/* The output never holds a raw control, C1 or bidi character, whatever the input bytes. */
START_TEST(test_printable_any_bytes)
{
	unsigned char in[4096];
	unsigned seed = 12345;
	for (size_t i = 0; i < sizeof in; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = (seed >> 16) & 0xff;
		/* bias towards the bytes that start and continue the dangerous sequences */
		static const unsigned char lead[] = { 0xc2, 0xe2, 0x80, 0x81, 0x9b, 0xaa, 0xae, 0xa6, 0x1b, 0xd8 };
		in[i] = (r & 1) ? lead[(r >> 1) % sizeof lead] : (unsigned char)r;
	}
	struct buf b;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(buf_append_printable(&b, (const char *)in, sizeof in), 0);
	const unsigned char *p = (const unsigned char *)b.data;
	int bad = 0;
	for (size_t i = 0; i < b.len && !bad;) {
		size_t n = p[i] >= 0x80 ? utf8_seq_len(p + i, b.len - i) : 1;
		unsigned cp = n == 2 ? ((p[i] & 0x1fu) << 6 | (p[i + 1] & 0x3fu))
			    : n == 3 ? ((p[i] & 0x0fu) << 12 | (p[i + 1] & 0x3fu) << 6 | (p[i + 2] & 0x3fu)) : p[i];
		bad = n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
		      (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x61c;
		ck_assert_msg(!bad, "raw U+%04X at output byte %zu", cp, i);
		i += n ? n : 1;
	}
	buf_free(&b);
}
END_TEST

/* buf_printf_printable: the formatted text is escaped as a whole, our own newline included. */
START_TEST(test_printf_printable)
{
	struct buf b;
	buf_init(&b, 256);
	ck_assert_int_eq(buf_printf_printable(&b, "d=%s n=%d", "ex\033[2Jample\xe2\x80\xae", 7), 0);
	ck_assert_str_eq(b.data, "d=ex\\x1b[2Jample\\u202e n=7");
	buf_reset(&b);
	ck_assert_int_eq(buf_printf_printable(&b, "%s\n", "x"), 0);
	ck_assert_str_eq(b.data, "x\\n");
	struct buf small;
	buf_init(&small, 4);
	ck_assert_int_eq(buf_printf_printable(&small, "%s", "\033"), 0);   /* "\x1b" is 4 bytes: fits */
	ck_assert_int_eq(buf_printf_printable(&small, "%s", "y"), -1);     /* past the cap: fails */
	buf_free(&small);
	buf_free(&b);
}
END_TEST

/* buf_write_new_file: never into an existing file, never through a symbolic link. */
START_TEST(test_write_new_file)
{
	char dir[] = "/tmp/arcverify-buf-XXXXXX", path[100], victim[100], err[300];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	ck_assert_int_eq(buf_write_new_file(path, "one", 3, 0, err, sizeof err), 0);
	ck_assert_int_eq(buf_write_new_file(path, "two", 3, 0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, path) && strstr(err, "exists"), "%s", err);
	ck_assert_int_eq(buf_write_new_file(path, "three", 5, 1, err, sizeof err), 0);
	FILE *f = fopen(path, "r");
	char got[16] = "";
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fread(got, 1, sizeof got - 1, f), 5);
	fclose(f);
	ck_assert_str_eq(got, "three");
	ck_assert_int_eq(buf_write_file(victim, "precious", 8, err, sizeof err), 0);
	unlink(path);
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_int_eq(buf_write_new_file(path, "x", 1, 0, err, sizeof err), -1);   /* the link exists */
	ck_assert_int_eq(buf_write_new_file(path, "x", 1, 1, err, sizeof err), 0);    /* replaced, not followed */
	f = fopen(victim, "r");
	memset(got, 0, sizeof got);
	ck_assert_int_eq(fread(got, 1, sizeof got - 1, f), 8);
	fclose(f);
	ck_assert_str_eq(got, "precious");
	struct stat st;
	ck_assert(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	char missing[120];
	snprintf(missing, sizeof missing, "%s/no/such/dir", dir);
	ck_assert_int_eq(buf_write_new_file(missing, "x", 1, 1, err, sizeof err), -1);
	unlink(path);
	unlink(victim);
	rmdir(dir);
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");
	tcase_add_test(tc, test_append_up_to_cap);
	tcase_add_test(tc, test_append_partial_overflow_is_atomic);
	tcase_add_test(tc, test_cap_zero);
	tcase_add_test(tc, test_growth_many_bytes);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_printf_long);
	tcase_add_test(tc, test_reset_and_steal);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_write_new_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("printable");
	tcase_add_loop_test(tc, test_printable, 0, (int)(sizeof printable_cases / sizeof printable_cases[0]));
	tcase_add_test(tc, test_printable_any_bytes);
	tcase_add_test(tc, test_printf_printable);
	suite_add_tcase(s, tc);

	tc = tcase_create("slice");
	tcase_add_loop_test(tc, test_trim, 0, (int)(sizeof trim_cases / sizeof trim_cases[0]));
	tcase_add_test(tc, test_slice_eq);
	tcase_add_test(tc, test_slice_caseeq);
	tcase_add_test(tc, test_slice_dup_copy);
	suite_add_tcase(s, tc);
	return s;
}
