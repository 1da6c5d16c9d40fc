/*
 * input: command-line names to messages. Maildirs (cur/ and new/ only, no
 * dotfiles), -r trees, --files-from lists (newline and NUL), mbox splitting
 * (offsets, names, the separating empty line, LF and CRLF files) and the three
 * unquoting conventions, read whole, byte by byte and again after a rewind.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "input.h"
#include "suites.h"

static char root[64];

static void mk(const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	ck_assert_msg(mkdir(p, 0700) == 0, "mkdir %s", p);
}

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "wb");
	ck_assert_msg(f != NULL, "create %s", p);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/arcverify-input-XXXXXX");
	ck_assert(mkdtemp(root) != NULL);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* The item names relative to root, joined with '|'. */
static void names_of(const struct input_list *l, char *out, size_t len)
{
	size_t used = 0, rl = strlen(root);
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		const char *n = l->items[i].name;
		if (strncmp(n, root, rl) == 0)
			n += rl + (n[rl] == '/');
		int w = snprintf(out + used, len - used, "%s%s%s", i ? "|" : "", n, l->items[i].error ? "!" : "");
		used += (size_t)w;
	}
}

static void collect(const char *rel, int recursive, enum input_mbox_mode mode, struct input_list *l)
{
	char p[512];
	struct input_opts o = { .recursive = recursive };
	snprintf(p, sizeof p, "%s%s%s", root, *rel ? "/" : "", rel);
	input_list_init(l);
	ck_assert_int_eq(input_add(l, p, mode, &o), 0);
}

static void maildir(const char *at)
{
	char d[256];
	mk(at);
	snprintf(d, sizeof d, "%s/cur", at);
	mk(d);
	snprintf(d, sizeof d, "%s/new", at);
	mk(d);
	snprintf(d, sizeof d, "%s/tmp", at);
	mk(d);
}

START_TEST(test_maildir)
{
	maildir("md");
	put("md/cur/2:2,S", "a: b\r\n\r\n");
	put("md/cur/1:2,", "a: b\r\n\r\n");
	put("md/new/3", "a: b\r\n\r\n");
	put("md/tmp/4", "a: b\r\n\r\n");
	put("md/cur/.hidden", "a: b\r\n\r\n");
	mk("md/cur/subdir");
	/* entries are typed by d_type where it says, by stat where it cannot (symlinks): a link to a
	 * message is a message, a link to a directory or to nothing is not */
	char target[512], link[512];
	snprintf(target, sizeof target, "%s/md/new/3", root);
	snprintf(link, sizeof link, "%s/md/cur/5-link", root);
	ck_assert_int_eq(symlink(target, link), 0);
	snprintf(target, sizeof target, "%s/md/cur/subdir", root);
	snprintf(link, sizeof link, "%s/md/cur/6-dirlink", root);
	ck_assert_int_eq(symlink(target, link), 0);
	snprintf(link, sizeof link, "%s/md/cur/7-dangling", root);
	ck_assert_int_eq(symlink("/nonexistent/arcverify-test", link), 0);
	struct input_list l;
	char got[1024];
	collect("md", 0, INPUT_MBOX_AUTO, &l);
	names_of(&l, got, sizeof got);
	ck_assert_str_eq(got, "md/cur/1:2,|md/cur/2:2,S|md/cur/5-link|md/new/3");
	input_list_free(&l);
}
END_TEST

START_TEST(test_plain_directory_needs_r)
{
	mk("d");
	put("d/m1", "a: b\r\n\r\n");
	struct input_list l;
	collect("d", 0, INPUT_MBOX_AUTO, &l);
	ck_assert_int_eq(l.n, 1);
	ck_assert_ptr_nonnull(l.items[0].error);
	ck_assert_msg(strstr(l.items[0].error, "-r") != NULL, "'%s' says how to walk it", l.items[0].error);
	ck_assert_int_eq(l.items[0].not_message, 0);
	input_list_free(&l);
}
END_TEST

START_TEST(test_recursive_tree)
{
	mk("t");
	mk("t/b");
	mk("t/a");
	mk("t/.git");
	put("t/.git/objects", "x");
	put("t/b/2.eml", "a: b\r\n\r\n");
	put("t/a/1.eml", "a: b\r\n\r\n");
	put("t/.dotfile", "a: b\r\n\r\n");
	put("t/0.eml", "a: b\r\n\r\n");
	maildir("t/c");
	put("t/c/new/m", "a: b\r\n\r\n");
	put("t/c/tmp/partial", "a: b\r\n");
	char target[512], link[512];
	snprintf(target, sizeof target, "%s/a", root);
	snprintf(link, sizeof link, "%s/t/zz-link", root);
	ck_assert_int_eq(symlink(target, link), 0);
	struct input_list l;
	char got[1024];
	collect("t", 1, INPUT_MBOX_AUTO, &l);
	names_of(&l, got, sizeof got);
	ck_assert_str_eq(got, "t/0.eml|t/a/1.eml|t/b/2.eml|t/c/new/m");
	input_list_free(&l);
}
END_TEST

START_TEST(test_missing_file)
{
	struct input_list l;
	collect("nope", 0, INPUT_MBOX_AUTO, &l);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].error, "No such file or directory");
	char err[128];
	ck_assert_ptr_null(input_open(&l, &l.items[0], &(struct input_opts){ 0 }, err, sizeof err));
	ck_assert_str_eq(err, "No such file or directory");
	input_list_free(&l);
}
END_TEST

static void files_from(const char *list, int nul, char *got, size_t len)
{
	char p[512], err[200];
	snprintf(p, sizeof p, "%s/list", root);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	for (const char *c = list; *c; c++)
		fputc(*c == '|' ? (nul ? '\0' : '\n') : *c == '@' ? '/' : *c, f);
	fclose(f);
	struct input_list l;
	struct input_opts o = { 0 };
	input_list_init(&l);
	ck_assert_int_eq(input_add_files_from(&l, p, nul, INPUT_MBOX_AUTO, &o, err, sizeof err), 0);
	names_of(&l, got, len);
	input_list_free(&l);
}

START_TEST(test_files_from)
{
	put("a b.eml", "a: b\r\n\r\n");
	put("c\n.eml", "a: b\r\n\r\n");
	char list[1024], got[1024];
	/* newline-separated: empty lines are skipped */
	snprintf(list, sizeof list, "%s@a b.eml||%s@missing|", root, root);
	files_from(list, 0, got, sizeof got);
	ck_assert_str_eq(got, "a b.eml|missing!");
	/* NUL-separated, as find -print0 writes: a newline inside a name is a name */
	snprintf(list, sizeof list, "%s@c\n.eml|%s@a b.eml|", root, root);
	files_from(list, 1, got, sizeof got);
	ck_assert_str_eq(got, "c\n.eml|a b.eml");
}
END_TEST

/* ---- mbox ---- */

static const char mbox_lf[] =
	"From a@example.com Mon Jan  1 00:00:00 2025\n"
	"Subject: one\n\nbody one\n>From the start\n>>From quoted twice\n>Fromage\n\n"
	"From b@example.com Mon Jan  1 00:00:00 2025\n"
	"Subject: two\n\nbody two\nFrom here on, not a separator\n\n\n"
	"From c@example.com Mon Jan  1 00:00:00 2025\n"
	"Subject: three\n\nlast";

static char *read_all(FILE *f, int bytewise)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	if (bytewise) {
		int c;
		while ((c = getc(f)) != EOF)
			buf_append_byte(&b, (char)c);
	} else {
		char chunk[7];
		size_t got;
		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_append(&b, chunk, got);
	}
	if (!b.data)
		buf_append(&b, "", 0);
	return buf_steal(&b);
}

/* Message k of the mbox at rel, read with format, whole and byte by byte, and again after a rewind. */
static char *mbox_message(const char *rel, size_t k, enum input_mbox_format format, size_t *count)
{
	struct input_list l;
	collect(rel, 0, INPUT_MBOX_AUTO, &l);
	*count = l.n;
	ck_assert_uint_gt(l.n, k);
	struct input_opts o = { .mbox_format = format };
	char err[200];
	FILE *f = input_open(&l, &l.items[k], &o, err, sizeof err);
	ck_assert_msg(f != NULL, "%s", err);
	char *a = read_all(f, 0);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	ck_assert_int_eq(ftell(f), 0);
	char *b = read_all(f, 1);
	ck_assert_str_eq(a, b);
	fclose(f);
	free(b);
	input_list_free(&l);
	return a;
}

START_TEST(test_mbox_split_and_names)
{
	put("box", mbox_lf);
	struct input_list l;
	char got[1024];
	collect("box", 0, INPUT_MBOX_AUTO, &l);
	names_of(&l, got, sizeof got);
	ck_assert_str_eq(got, "box:0|box:113|box:212");
	ck_assert(l.items[0].mbox && l.items[1].mbox);
	ck_assert_uint_eq(l.mboxes, 1);
	input_list_free(&l);
	size_t n;
	char *m = mbox_message("box", 1, INPUT_MBOXRD, &n);
	/* the empty line before the next From line belongs to the mbox; the message keeps its own */
	ck_assert_str_eq(m, "From b@example.com Mon Jan  1 00:00:00 2025\nSubject: two\n\nbody two\n"
			    "From here on, not a separator\n\n");
	free(m);
	m = mbox_message("box", 2, INPUT_MBOXRD, &n);
	ck_assert_str_eq(m, "From c@example.com Mon Jan  1 00:00:00 2025\nSubject: three\n\nlast");
	free(m);
}
END_TEST

START_TEST(test_mbox_unquoting)
{
	static const struct {
		enum input_mbox_format f;
		const char *body;
	} want[] = {
		{ INPUT_MBOXRD, "body one\nFrom the start\n>From quoted twice\n>Fromage\n" },
		{ INPUT_MBOXO, "body one\nFrom the start\n>>From quoted twice\n>Fromage\n" },
		{ INPUT_MBOXCL, "body one\n>From the start\n>>From quoted twice\n>Fromage\n" },
	};
	put("box", mbox_lf);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		size_t n;
		char *m = mbox_message("box", 0, want[i].f, &n);
		const char *body = strstr(m, "\n\n");
		ck_assert_ptr_nonnull(body);
		ck_assert_msg(strcmp(body + 2, want[i].body) == 0, "%s: got '%s'", input_mbox_format_name(want[i].f),
			      body + 2);
		free(m);
	}
}
END_TEST

START_TEST(test_mbox_crlf)
{
	put("box", "From a Mon Jan  1 00:00:00 2025\r\nS: 1\r\n\r\nx\r\n\r\nFrom b Mon Jan  1 00:00:00 2025\r\nS: 2\r\n\r\ny\r\n");
	size_t n;
	char *m = mbox_message("box", 0, INPUT_MBOXRD, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(m, "From a Mon Jan  1 00:00:00 2025\r\nS: 1\r\n\r\nx\r\n");
	free(m);
}
END_TEST

START_TEST(test_one_message_is_not_split)
{
	/* a body line "From ..." after the empty line is not an envelope line: no time of day in it */
	put("one", "From a Mon Jan  1 00:00:00 2025\nSubject: x\n\nFrom the body, unquoted\n");
	struct input_list l;
	char got[256];
	collect("one", 0, INPUT_MBOX_AUTO, &l);
	names_of(&l, got, sizeof got);
	ck_assert_str_eq(got, "one");
	ck_assert_int_eq(l.items[0].mbox, 0);
	input_list_free(&l);
	/* --mbox: an mbox even with one message */
	collect("one", 0, INPUT_MBOX_ALWAYS, &l);
	names_of(&l, got, sizeof got);
	ck_assert_str_eq(got, "one:0");
	input_list_free(&l);
	/* --mbox on a file that is not one */
	put("plain", "Subject: x\n\nbody\n");
	collect("plain", 0, INPUT_MBOX_ALWAYS, &l);
	ck_assert_ptr_nonnull(l.items[0].error);
	ck_assert_int_eq(l.items[0].not_message, 1);
	input_list_free(&l);
}
END_TEST

/* A separator split across the scanner's 1 MiB reads is still found. */
START_TEST(test_mbox_large)
{
	char p[512];
	snprintf(p, sizeof p, "%s/big", root);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	static const char head[] = "From a Mon Jan  1 00:00:00 2025\nS: 1\n\n";
	fputs(head, f);
	size_t first = sizeof head - 1;
	while (first < (1u << 20) - 3) {
		fputs("0123456789abcde\n", f);
		first += 16;
	}
	fputs("\nFrom b Mon Jan  1 00:00:00 2025\nS: 2\n\nz\n", f);
	fclose(f);
	struct input_list l;
	collect("big", 0, INPUT_MBOX_AUTO, &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.items[1].offset, first + 1);
	ck_assert_uint_eq(l.items[0].length, first);
	input_list_free(&l);
}
END_TEST

START_TEST(test_bytes_spooled)
{
	struct input_list l;
	struct input_opts o = { 0 };
	input_list_init(&l);
	ck_assert_int_eq(input_add_bytes(&l, "mem", "Subject: x\r\n\r\nhi\r\n", 18, &o), 0);
	char err[100];
	for (int pass = 0; pass < 2; pass++) {
		FILE *f = input_open(&l, &l.items[0], &o, err, sizeof err);
		ck_assert_ptr_nonnull(f);
		char *all = read_all(f, pass);
		ck_assert_str_eq(all, "Subject: x\r\n\r\nhi\r\n");
		free(all);
		fclose(f);
	}
	input_list_free(&l);
}
END_TEST

START_TEST(test_mbox_format_names)
{
	enum input_mbox_format f;
	ck_assert_int_eq(input_mbox_format_parse("mboxo", &f), 0);
	ck_assert_int_eq(f, INPUT_MBOXO);
	ck_assert_int_eq(input_mbox_format_parse("mboxrd", &f), 0);
	ck_assert_int_eq(f, INPUT_MBOXRD);
	ck_assert_int_eq(input_mbox_format_parse("mboxcl", &f), 0);
	ck_assert_int_eq(f, INPUT_MBOXCL);
	ck_assert_int_eq(input_mbox_format_parse("mbox", &f), -1);
}
END_TEST

Suite *input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_maildir);
	tcase_add_test(tc, test_plain_directory_needs_r);
	tcase_add_test(tc, test_recursive_tree);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_files_from);
	tcase_add_test(tc, test_mbox_split_and_names);
	tcase_add_test(tc, test_mbox_unquoting);
	tcase_add_test(tc, test_mbox_crlf);
	tcase_add_test(tc, test_one_message_is_not_split);
	tcase_add_test(tc, test_mbox_large);
	tcase_add_test(tc, test_bytes_spooled);
	tcase_add_test(tc, test_mbox_format_names);
	suite_add_tcase(s, tc);
	return s;
}
