/*
 * jsonin: RFC 8259 texts that must parse (with the values they hold) and texts
 * that must not (trailing commas, bad escapes, lone surrogates, control
 * characters, bad UTF-8, depth past the bound, text after the value).
 */
#include <check.h>
#include <string.h>

#include "jsonin.h"
#include "suites.h"

static const char *const valid[] = {
	"null", "true", " false ", "0", "-0.5e+3", "\"\"", "[]", "{}", "[1,[2,[3]]]",
	"{\"a\":{\"b\":[true,null,\"x\"]}}", "\"\\u00e9\\ud83d\\ude00\\n\\/\"", "\"caf\xc3\xa9\"", "1E9",
};

static const char *const invalid[] = {
	"", " ", "nul", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "\"unterminated", "\"\\x\"",
	"\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"", "\"tab\there\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "01", "1.",
	"-", "1e", "[1]x", "{\"a\":1}{}", "'single'", "[\"a\",,]",
};

START_TEST(test_valid)
{
	struct jsonin v;
	char err[120];
	ck_assert_msg(jsonin_parse(valid[_i], strlen(valid[_i]), &v, err, sizeof err) == 0, "'%s': %s", valid[_i], err);
	jsonin_free(&v);
}
END_TEST

START_TEST(test_invalid)
{
	struct jsonin v;
	char err[120] = "";
	ck_assert_msg(jsonin_parse(invalid[_i], strlen(invalid[_i]), &v, err, sizeof err) == -1, "'%s' parsed",
		      invalid[_i]);
	ck_assert_msg(strncmp(err, "offset ", 7) == 0, "'%s': the error names the offset: %s", invalid[_i], err);
}
END_TEST

START_TEST(test_values)
{
	static const char text[] = "{\"s\":\"\\u00e9\\ud83d\\ude00\",\"n\":-12.5,\"b\":true,\"a\":[1,2,3],\"z\":null}";
	struct jsonin v;
	char err[120];
	ck_assert_int_eq(jsonin_parse(text, sizeof text - 1, &v, err, sizeof err), 0);
	ck_assert_str_eq(jsonin_str(&v, "s"), "\xc3\xa9\xf0\x9f\x98\x80");
	ck_assert(jsonin_get(&v, "n")->number == -12.5);
	ck_assert_int_eq(jsonin_get(&v, "b")->boolean, 1);
	ck_assert_uint_eq(jsonin_get(&v, "a")->n, 3);
	ck_assert_int_eq(jsonin_get(&v, "z")->type, JSONIN_NULL);
	ck_assert_ptr_null(jsonin_get(&v, "missing"));
	ck_assert_ptr_null(jsonin_str(&v, "n"));
	ck_assert_ptr_null(jsonin_get(jsonin_get(&v, "a"), "x"));
	jsonin_free(&v);
}
END_TEST

START_TEST(test_depth_bound)
{
	char deep[2 * (JSONIN_DEPTH_MAX + 2) + 1];
	size_t n = JSONIN_DEPTH_MAX + 2;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	struct jsonin v;
	char err[120];
	ck_assert_int_eq(jsonin_parse(deep, 2 * n, &v, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "deep") != NULL, "%s", err);
	n = JSONIN_DEPTH_MAX;
	ck_assert_int_eq(jsonin_parse(deep + 2, 2 * n, &v, err, sizeof err), 0);   /* at the bound: fine */
	jsonin_free(&v);
}
END_TEST

Suite *jsonin_suite(void)
{
	Suite *s = suite_create("jsonin");
	TCase *tc = tcase_create("jsonin");
	tcase_add_loop_test(tc, test_valid, 0, sizeof valid / sizeof valid[0]);
	tcase_add_loop_test(tc, test_invalid, 0, sizeof invalid / sizeof invalid[0]);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_depth_bound);
	suite_add_tcase(s, tc);
	return s;
}
