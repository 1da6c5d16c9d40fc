/*
 * json: separators at every nesting level, RFC 8259 §7 string escaping
 * (quote, backslash, control characters), UTF-8 passed through when valid
 * (RFC 3629) and replaced by \ufffd byte by byte when not (overlong forms,
 * surrogates, code points above U+10FFFF, truncated and stray bytes).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "suites.h"

#define S(x) x, sizeof(x) - 1

static void assert_out(const struct buf *b, const char *want)
{
	ck_assert_msg(b->data != NULL, "no output");
	ck_assert_msg(b->len == strlen(want) && strcmp(b->data, want) == 0, "json\n got: %s\nwant: %s", b->data,
		      want);
}

START_TEST(test_nesting_commas)
{
	struct buf b;
	struct json j;
	buf_init(&b, 4096);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_int(&j, "a", 1);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_int(&j, 1);
	json_str(&j, "x");
	json_bool(&j, 1);
	json_null(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_key(&j, "c");
	json_obj_begin(&j);
	json_kv_bool(&j, "d", 0);
	json_kv_str(&j, "e", NULL);
	json_kv_str(&j, "f", "g");
	json_obj_end(&j);
	json_key(&j, "h");
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_uint(&j, 2);
	json_arr_end(&j);
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	assert_out(&b, "{\"a\":1,\"b\":[1,\"x\",true,null,{},[]],\"c\":{\"d\":false,\"e\":null,\"f\":\"g\"},"
		       "\"h\":[[2],[[]]]}");
	ck_assert_msg(j.depth == 0, "depth back to 0, got %d", j.depth);
	buf_free(&b);
}
END_TEST

START_TEST(test_empty_containers)
{
	struct buf b;
	struct json j;
	buf_init(&b, 256);
	json_init(&j, &b);
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_kv_int(&j, "k", -1);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	assert_out(&b, "[{},{\"k\":-1},{}]");
	buf_free(&b);
}
END_TEST

START_TEST(test_numbers)
{
	struct buf b;
	struct json j;
	buf_init(&b, 256);
	json_init(&j, &b);
	json_arr_begin(&j);
	json_int(&j, INT64_MIN);
	json_int(&j, INT64_MAX);
	json_int(&j, 0);
	json_uint(&j, UINT64_MAX);
	json_arr_end(&j);
	assert_out(&b, "[-9223372036854775808,9223372036854775807,0,18446744073709551615]");
	buf_free(&b);
}
END_TEST

/* Nesting deeper than JSON_DEPTH_MAX must still give valid separators (the output always parses). */
/* Deeper than JSON_DEPTH_MAX: the deep container becomes null and the output still parses. */
START_TEST(test_deep_nesting)
{
	struct buf b;
	struct json j;
	buf_init(&b, 1 << 16);
	json_init(&j, &b);
	struct buf want;
	buf_init(&want, 1 << 16);
	for (int i = 0; i < 40; i++) {
		json_arr_begin(&j);
		json_int(&j, i);
		if (i < JSON_DEPTH_MAX)
			buf_printf(&want, "%s[%d", i ? "," : "", i);
	}
	buf_append_str(&want, ",null");
	for (int i = 0; i < 40; i++) {
		json_int(&j, 100 + i);
		json_arr_end(&j);
		if (i >= 40 - JSON_DEPTH_MAX)
			buf_printf(&want, ",%d]", 100 + i);
	}
	assert_out(&b, want.data);
	buf_free(&want);
	buf_free(&b);
}
END_TEST

struct esc_case {
	const char *in;
	size_t len;
	const char *out; /* the JSON string, quotes included */
};

static const struct esc_case esc_cases[] = {
	{ S("plain"), "\"plain\"" },
	{ S(""), "\"\"" },
	{ S("a\"b"), "\"a\\\"b\"" },
	{ S("a\\b"), "\"a\\\\b\"" },
	{ S("\\\""), "\"\\\\\\\"\"" },
	{ S("/"), "\"/\"" },
	{ S("\n\r\t"), "\"\\n\\r\\t\"" },
	{ S("\x01\x1f"), "\"\\u0001\\u001f\"" },
	{ S("\b\f"), "\"\\u0008\\u000c\"" },
	{ S("\x7f"), "\"\\u007f\"" },
	{ S("a\0b"), "\"a\\u0000b\"" },
	{ S(" ~"), "\" ~\"" },
	/* valid UTF-8 passes through byte for byte */
	{ S("caf\xc3\xa9"), "\"caf\xc3\xa9\"" },                  /* U+00E9 */
	{ S("\xc2\x80"), "\"\xc2\x80\"" },                        /* U+0080, smallest 2-byte */
	{ S("\xdf\xbf"), "\"\xdf\xbf\"" },                        /* U+07FF */
	{ S("\xe0\xa0\x80"), "\"\xe0\xa0\x80\"" },                /* U+0800, smallest 3-byte */
	{ S("\xe2\x82\xac"), "\"\xe2\x82\xac\"" },                /* U+20AC euro */
	{ S("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"" },                /* U+D7FF, just below surrogates */
	{ S("\xee\x80\x80"), "\"\xee\x80\x80\"" },                /* U+E000, just above */
	{ S("\xef\xbf\xbf"), "\"\xef\xbf\xbf\"" },                /* U+FFFF */
	{ S("\xf0\x90\x80\x80"), "\"\xf0\x90\x80\x80\"" },        /* U+10000, smallest 4-byte */
	{ S("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"" },        /* U+1F600 */
	{ S("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"" },        /* U+10FFFF, the last code point */
	/* invalid bytes become U+FFFD one byte at a time */
	{ S("\x80"), "\"\\ufffd\"" },                             /* stray continuation */
	{ S("\xbf"), "\"\\ufffd\"" },
	{ S("\xff"), "\"\\ufffd\"" },
	{ S("\xfe"), "\"\\ufffd\"" },
	{ S("a\xc3"), "\"a\\ufffd\"" },                           /* truncated at the end */
	{ S("\xc3" "A"), "\"\\ufffdA\"" },                        /* lead byte then ASCII */
	{ S("\xe2\x82"), "\"\\ufffd\\ufffd\"" },                  /* truncated 3-byte */
	{ S("\xe2\x82" "x"), "\"\\ufffd\\ufffdx\"" },
	{ S("\xf0\x9f\x98"), "\"\\ufffd\\ufffd\\ufffd\"" },       /* truncated 4-byte */
	/* overlong encodings (RFC 3629 §3: MUST NOT be decoded) */
	{ S("\xc0\xaf"), "\"\\ufffd\\ufffd\"" },                  /* '/' in 2 bytes */
	{ S("\xc1\xbf"), "\"\\ufffd\\ufffd\"" },
	{ S("\xc0\x80"), "\"\\ufffd\\ufffd\"" },                  /* NUL in 2 bytes */
	{ S("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"" },
	{ S("\xe0\x9f\xbf"), "\"\\ufffd\\ufffd\\ufffd\"" },       /* U+07FF in 3 bytes */
	{ S("\xf0\x80\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ S("\xf0\x8f\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* U+FFFF in 4 bytes */
	/* UTF-16 surrogates are not characters */
	{ S("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"" },       /* U+D800 */
	{ S("\xed\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\"" },       /* U+DFFF */
	{ S("\xed\xa0\xbd\xed\xb8\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* CESU pair */
	/* above U+10FFFF and the 5/6-byte forms */
	{ S("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ S("\xf5\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ S("\xf8\x88\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	/* a valid character right after an invalid byte is kept */
	{ S("\xff\xc3\xa9"), "\"\\ufffd\xc3\xa9\"" },
	{ S("\xc3\xc3\xa9"), "\"\\ufffd\xc3\xa9\"" },
};

START_TEST(test_escape)
{
	const struct esc_case *c = &esc_cases[_i];
	struct buf b;
	struct json j;
	buf_init(&b, 1024);
	json_init(&j, &b);
	json_strn(&j, c->in, c->len);
	ck_assert_msg(b.len == strlen(c->out) && memcmp(b.data, c->out, b.len) == 0, "case %d\n got: %s\nwant: %s",
		      _i, b.data, c->out);
	/* whatever the input, the output is printable ASCII or valid UTF-8 without raw controls */
	for (size_t i = 0; i < b.len; i++)
		ck_assert_msg((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f, "case %d: raw control byte %zu",
			      _i, i);
	buf_free(&b);
}
END_TEST

/* The same cases inside long plain text, at every offset: the 16-byte plain check must see them in any lane. */
START_TEST(test_escape_in_long_text)
{
	const struct esc_case *c = &esc_cases[_i];
	static const char filler[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
	for (size_t at = 0; at <= 20; at++) {
		char in[128], want[256];
		memcpy(in, filler, at);
		memcpy(in + at, c->in, c->len);
		memcpy(in + at + c->len, filler, 20);
		snprintf(want, sizeof want, "\"%.*s%.*s%.20s\"", (int)at, filler, (int)(strlen(c->out) - 2), c->out + 1,
			 filler);
		struct buf b;
		struct json j;
		buf_init(&b, 1024);
		json_init(&j, &b);
		json_strn(&j, in, at + c->len + 20);
		ck_assert_msg(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0, "case %d at %zu\n got: %s\nwant: %s",
			      _i, at, b.data, want);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_key_escaped)
{
	struct buf b;
	struct json j;
	buf_init(&b, 256);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_str(&j, "we\"ird\n\xff", "v\\");
	json_obj_end(&j);
	assert_out(&b, "{\"we\\\"ird\\n\\ufffd\":\"v\\\\\"}");
	buf_free(&b);
}
END_TEST

START_TEST(test_str_null_and_strn_prefix)
{
	struct buf b;
	struct json j;
	buf_init(&b, 256);
	json_init(&j, &b);
	json_arr_begin(&j);
	json_str(&j, NULL);
	json_strn(&j, "abcdef", 3);
	json_str(&j, "");
	json_arr_end(&j);
	assert_out(&b, "[null,\"abc\",\"\"]");
	buf_free(&b);
}
END_TEST

Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	tcase_add_test(tc, test_nesting_commas);
	tcase_add_test(tc, test_empty_containers);
	tcase_add_test(tc, test_numbers);
	tcase_add_loop_test(tc, test_escape, 0, (int)(sizeof esc_cases / sizeof esc_cases[0]));
	tcase_add_loop_test(tc, test_escape_in_long_text, 0, (int)(sizeof esc_cases / sizeof esc_cases[0]));
	tcase_add_test(tc, test_key_escaped);
	tcase_add_test(tc, test_str_null_and_strn_prefix);
	tcase_add_test(tc, test_deep_nesting);
	suite_add_tcase(s, tc);
	return s;
}
