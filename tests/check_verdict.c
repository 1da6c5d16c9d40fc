/*
 * verdict: RFC 8601 result words, the forward-only transition rule (the first
 * final result sticks; a temperror may only turn into a permerror) and the
 * exit-status severity.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "verdict.h"

#define NRESULTS 7

static const struct {
	enum verdict_result r;
	const char *word;
	int severity;
	int final;
} results[NRESULTS] = {
	{ VERDICT_NONE, "none", 0, 0 },
	{ VERDICT_PASS, "pass", 0, 1 },
	{ VERDICT_FAIL, "fail", 2, 1 },
	{ VERDICT_NEUTRAL, "neutral", 2, 1 },
	{ VERDICT_POLICY, "policy", 2, 1 },
	{ VERDICT_TEMPERROR, "temperror", 1, 0 },
	{ VERDICT_PERMERROR, "permerror", 2, 1 },
};

START_TEST(test_words)
{
	enum verdict_result r = results[_i].r, back = VERDICT_NONE;
	ck_assert_msg(strcmp(verdict_word(r), results[_i].word) == 0, "word of %d: '%s', want '%s'", (int)r,
		      verdict_word(r), results[_i].word);
	ck_assert_msg(verdict_from_word(results[_i].word, &back) == 0, "'%s' is an RFC 8601 result",
		      results[_i].word);
	ck_assert_msg(back == r, "'%s' maps back to %d, want %d", results[_i].word, (int)back, (int)r);
}
END_TEST

START_TEST(test_unknown_words)
{
	static const char *const bad[] = { "", "passed", "pas", "error", "hardfail", "softfail ", " pass" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum verdict_result r = VERDICT_PASS;
		ck_assert_msg(verdict_from_word(bad[i], &r) == -1, "'%s' is not a result word", bad[i]);
		ck_assert_msg(r == VERDICT_PASS, "'%s': out untouched on failure", bad[i]);
	}
	ck_assert_msg(strcmp(verdict_word((enum verdict_result)99), "unknown") == 0, "out-of-range word");
}
END_TEST

START_TEST(test_severity)
{
	ck_assert_msg(verdict_severity(results[_i].r) == results[_i].severity, "severity of %s: %d, want %d",
		      results[_i].word, verdict_severity(results[_i].r), results[_i].severity);
}
END_TEST

START_TEST(test_is_final)
{
	struct verdict v = { .result = results[_i].r };
	ck_assert_msg(verdict_is_final(&v) == results[_i].final, "is_final(%s) = %d", results[_i].word,
		      verdict_is_final(&v));
}
END_TEST

/*
 * Every ordered pair (first, second) from a fresh verdict: the second takes
 * only if the first is not final, except temperror, which yields only to
 * permerror.
 */
START_TEST(test_transitions)
{
	enum verdict_result first = results[_i / NRESULTS].r, second = results[_i % NRESULTS].r;
	struct verdict v;
	memset(&v, 0, sizeof v);
	ck_assert_msg(verdict_set(&v, first, VC_BAD_H, "first %s", verdict_word(first)) == 1,
		      "a fresh verdict takes %s", verdict_word(first));
	ck_assert(v.result == first);
	int want_take;
	if (first == VERDICT_NONE)
		want_take = 1;
	else if (first == VERDICT_TEMPERROR)
		want_take = second == VERDICT_PERMERROR;
	else
		want_take = 0;
	int took = verdict_set(&v, second, VC_BODY_HASH, "second %s", verdict_word(second));
	ck_assert_msg(took == want_take, "%s then %s: took %d, want %d", verdict_word(first),
		      verdict_word(second), took, want_take);
	enum verdict_result want = want_take ? second : first;
	char want_reason[64];
	snprintf(want_reason, sizeof want_reason, "%s %s", want_take ? "second" : "first", verdict_word(want));
	ck_assert_msg(v.result == want, "%s then %s: result %s, want %s", verdict_word(first),
		      verdict_word(second), verdict_word(v.result), verdict_word(want));
	ck_assert_msg(strcmp(v.reason, want_reason) == 0, "%s then %s: reason '%s', want '%s'",
		      verdict_word(first), verdict_word(second), v.reason, want_reason);
	ck_assert_msg(v.code == (want_take ? VC_BODY_HASH : VC_BAD_H), "%s then %s: the code moves with the reason",
		      verdict_word(first), verdict_word(second));
}
END_TEST

START_TEST(test_temperror_chain)
{
	struct verdict v;
	memset(&v, 0, sizeof v);
	ck_assert(verdict_set(&v, VERDICT_TEMPERROR, VC_DNS_TIMEOUT, "dns timeout") == 1);
	ck_assert_msg(verdict_set(&v, VERDICT_PASS, VC_VERIFIED, "late pass") == 0, "temperror does not become pass");
	ck_assert_msg(verdict_set(&v, VERDICT_TEMPERROR, VC_DNS_SERVFAIL, "another timeout") == 0,
		      "a second temperror does not overwrite the first reason");
	ck_assert_msg(strcmp(v.reason, "dns timeout") == 0, "reason '%s'", v.reason);
	ck_assert_msg(verdict_set(&v, VERDICT_PERMERROR, VC_TAG_SYNTAX, "bad tag %s", "x") == 1, "temperror -> permerror");
	ck_assert_msg(v.result == VERDICT_PERMERROR && strcmp(v.reason, "bad tag x") == 0, "permerror '%s'",
		      v.reason);
	ck_assert_msg(verdict_set(&v, VERDICT_TEMPERROR, VC_DNS_TIMEOUT, "later") == 0, "permerror is sticky");
	ck_assert_msg(verdict_set(&v, VERDICT_PASS, VC_VERIFIED, "later") == 0, "permerror is sticky");
	ck_assert(v.result == VERDICT_PERMERROR && v.code == VC_TAG_SYNTAX);
}
END_TEST

/* Every code has a distinct non-empty word that maps back to it; the table covers every code. */
START_TEST(test_code_table)
{
	size_t n;
	const struct verdict_code_info *t = verdict_code_table(&n);
	ck_assert_int_eq(n, VC_COUNT - 1);
	for (size_t i = 0; i < n; i++) {
		enum verdict_code back = VC_NONE;
		ck_assert_msg(t[i].word[0] && t[i].meaning[0], "code %d has a word and a meaning", (int)t[i].code);
		ck_assert_msg(verdict_code_from_word(t[i].word, &back) == 0 && back == t[i].code, "%s maps back",
			      t[i].word);
		ck_assert_str_eq(verdict_code_word(t[i].code), t[i].word);
		for (size_t k = 0; k < i; k++)
			ck_assert_msg(t[k].code != t[i].code && strcmp(t[k].word, t[i].word) != 0, "%s twice", t[i].word);
		for (const char *c = t[i].word; *c; c++)
			ck_assert_msg((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-',
				      "%s: lower case, digits and '-' only", t[i].word);
	}
	ck_assert_str_eq(verdict_code_word(VC_NONE), "");
	enum verdict_code c = VC_VERIFIED;
	ck_assert_int_eq(verdict_code_from_word("body hash mismatch", &c), -1);
	ck_assert_int_eq(c, VC_VERIFIED);
}
END_TEST

START_TEST(test_reason_truncated)
{
	struct verdict v;
	memset(&v, 0, sizeof v);
	char long_reason[1000];
	memset(long_reason, 'r', sizeof long_reason - 1);
	long_reason[sizeof long_reason - 1] = '\0';
	ck_assert(verdict_set(&v, VERDICT_FAIL, VC_SIG_INVALID, "%s", long_reason) == 1);
	ck_assert_msg(strlen(v.reason) == VERDICT_REASON_MAX - 1, "reason truncated to %d, got %zu",
		      VERDICT_REASON_MAX - 1, strlen(v.reason));
}
END_TEST

Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("verdict");
	tcase_add_loop_test(tc, test_words, 0, NRESULTS);
	tcase_add_test(tc, test_unknown_words);
	tcase_add_loop_test(tc, test_severity, 0, NRESULTS);
	tcase_add_loop_test(tc, test_is_final, 0, NRESULTS);
	tcase_add_loop_test(tc, test_transitions, 0, NRESULTS * NRESULTS);
	tcase_add_test(tc, test_temperror_chain);
	tcase_add_test(tc, test_reason_truncated);
	tcase_add_test(tc, test_code_table);
	suite_add_tcase(s, tc);
	return s;
}
