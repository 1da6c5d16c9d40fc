/*
 * check_keyans: the key answer type: defaults, record bounds (count and
 * size), ownership of texts and decoded caches, details cut with "...", the
 * RFC 6376 §6.1.2 split of statuses into permanent and temporary, and the
 * cache key of a name.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyans.h"
#include "suites.h"

START_TEST(new_defaults)
{
	time_t before = time(NULL);
	struct keyans *a = keyans_new("sel._domainkey.example.com", KEYANS_SRC_DNS);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "sel._domainkey.example.com");
	ck_assert_int_eq(a->status, KEYANS_PENDING);
	ck_assert_int_eq(a->source, KEYANS_SRC_DNS);
	ck_assert_int_eq(a->rcode, -1);
	ck_assert_uint_eq(a->nrecords, 0);
	ck_assert(a->fetched >= before && a->fetched <= time(NULL));
	keyans_free(a);
	keyans_free(NULL);
}
END_TEST

START_TEST(add_copies_and_bounds)
{
	struct keyans *a = keyans_new("x", KEYANS_SRC_KEYS);
	char text[40];
	const char src[] = "v=DKIM1; p=ABC";
	ck_assert_int_eq(keyans_add(a, src, 5, 1), 0);
	ck_assert_str_eq(a->records[0].text, "v=DKI"); /* a copy of len octets, NUL-terminated */
	ck_assert_uint_eq(a->records[0].len, 5);
	ck_assert_ptr_ne(a->records[0].text, src);
	ck_assert_int_eq(keyans_add(a, "", 0, 0), 0);    /* an empty record is a record */
	ck_assert_uint_eq(a->records[1].len, 0);
	for (int i = 2; i < KEYANS_RECORDS_MAX; i++) {
		snprintf(text, sizeof text, "record %d", i);
		ck_assert_int_eq(keyans_add(a, text, strlen(text), 2), 0);
	}
	ck_assert_int_eq(keyans_add(a, "one too many", 12, 1), -1);
	ck_assert_uint_eq(a->nrecords, KEYANS_RECORDS_MAX);
	ck_assert_uint_eq(a->nrecords_dropped, 1);
	ck_assert_str_eq(a->records[KEYANS_RECORDS_MAX - 1].text, "record 15");
	ck_assert_uint_eq(a->records[KEYANS_RECORDS_MAX - 1].nstrings, 2);
	keyans_clear(a);
	ck_assert_uint_eq(a->nrecords, 0);
	ck_assert_ptr_null(a->records);
	char *big = malloc(KEYANS_RECORD_MAX + 1);
	memset(big, 'k', KEYANS_RECORD_MAX + 1);
	ck_assert_int_eq(keyans_add(a, big, KEYANS_RECORD_MAX + 1, 65), -1);
	ck_assert_int_eq(keyans_add(a, big, KEYANS_RECORD_MAX, 65), 0);
	ck_assert_uint_eq(a->nrecords_dropped, 2);
	free(big);
	keyans_free(a);
}
END_TEST

static int destroyed;

static void count_destroy(void *p)
{
	destroyed++;
	free(p);
}

START_TEST(clear_frees_caches)
{
	struct keyans *a = keyans_new("x", KEYANS_SRC_KEYS);
	keyans_add(a, "one", 3, 1);
	keyans_add(a, "two", 3, 1);
	a->records[0].cache = malloc(8);
	a->records[0].cache_free = count_destroy;
	destroyed = 0;
	keyans_free(a);
	ck_assert_int_eq(destroyed, 1);
}
END_TEST

START_TEST(fail_cuts_long_details)
{
	struct keyans *a = keyans_new("x", KEYANS_SRC_DNS);
	char longname[400];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	keyans_fail(a, KEYANS_TIMEOUT, "DNS timeout for %s", longname);
	ck_assert_int_eq(a->status, KEYANS_TIMEOUT);
	ck_assert_uint_eq(strlen(a->detail), sizeof a->detail - 1);
	ck_assert_str_eq(a->detail + sizeof a->detail - 4, "...");
	keyans_fail(a, KEYANS_ERROR, "short %d", 7);
	ck_assert_str_eq(a->detail, "short 7");
	keyans_free(a);
}
END_TEST

START_TEST(statuses)
{
	static const struct {
		enum keyans_status st;
		const char *word;
		int temporary;
	} cases[] = {
		{ KEYANS_OK, "ok", 0 }, { KEYANS_NXDOMAIN, "NXDOMAIN", 0 }, { KEYANS_NODATA, "no TXT record", 0 },
		{ KEYANS_SERVFAIL, "SERVFAIL", 1 }, { KEYANS_TIMEOUT, "timeout", 1 },
		{ KEYANS_UNREACHABLE, "connection refused", 1 }, { KEYANS_ERROR, "error", 1 },
		{ KEYANS_PENDING, "pending", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_str_eq(keyans_status_word(cases[i].st), cases[i].word);
		ck_assert_int_eq(keyans_is_temporary(cases[i].st), cases[i].temporary);
	}
	ck_assert_str_eq(keyans_status_word((enum keyans_status)99), "unknown");
}
END_TEST

START_TEST(name_keys)
{
	char key[KEYANS_NAME_MAX], name[300];
	ck_assert_int_eq(keyans_name_key("SEL._DomainKey.Example.COM.", key), 0);
	ck_assert_str_eq(key, "sel._domainkey.example.com");
	ck_assert_int_eq(keyans_name_key("a..", key), 0); /* one dot only */
	ck_assert_str_eq(key, "a.");
	ck_assert_int_eq(keyans_name_key("", key), 0);
	ck_assert_str_eq(key, "");
	memset(name, 'a', 253);
	name[253] = '\0';
	ck_assert_int_eq(keyans_name_key(name, key), 0);
	strcat(name, ".");
	ck_assert_int_eq(keyans_name_key(name, key), 0); /* 253 and the root dot */
	name[253] = 'b';
	ck_assert_int_eq(keyans_name_key(name, key), -1); /* never cut: a cut name could share an answer */
	ck_assert_str_eq(key, "");
}
END_TEST

Suite *keyans_suite(void)
{
	Suite *s = suite_create("keyans");
	TCase *tc = tcase_create("keyans");
	tcase_add_test(tc, new_defaults);
	tcase_add_test(tc, add_copies_and_bounds);
	tcase_add_test(tc, clear_frees_caches);
	tcase_add_test(tc, fail_cuts_long_details);
	tcase_add_test(tc, statuses);
	tcase_add_test(tc, name_keys);
	suite_add_tcase(s, tc);
	return s;
}
