/*
 * The command line as users meet it: the built binary run as a child process.
 * Exit statuses, output formats, standard input, and the agreement of --help,
 * the man page and the README (every option in --help is documented in both).
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fixture.h"
#include "suites.h"

static char zone[512], pass_eml[512], fail_eml[512], empty_eml[512];

static void setup_paths(void)
{
	const char *td = fixture_testdata();
	snprintf(zone, sizeof zone, "%s/keys.zone", td);
	snprintf(pass_eml, sizeof pass_eml, "%s/dkim/canon-relaxed-relaxed.eml", td);
	snprintf(fail_eml, sizeof fail_eml, "%s/dkim/fail-body-modified.eml", td);
	snprintf(empty_eml, sizeof empty_eml, "%s/dkim/body-nobody-relaxed.eml", td);
}

static int run(const char *const *argv, struct buf *out)
{
	struct buf err;
	int status = fixture_exec(argv, out, &err, NULL);
	buf_free(&err);
	return status;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(test_exit_pass_and_fail)
{
	struct buf out;
	const char *ok[] = { "arcverify", "--keys", zone, "--now", "1764003600", pass_eml, NULL };
	ck_assert_int_eq(run(ok, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "pass"));
	buf_free(&out);
	const char *bad[] = { "arcverify", "--keys", zone, "--now", "1764003600", fail_eml, NULL };
	ck_assert_int_eq(run(bad, &out), 1);
	ck_assert_ptr_nonnull(strstr(out.data, "body hash mismatch"));
	buf_free(&out);
	const char *both[] = { "arcverify", "--keys", zone, "--now", "1764003600", pass_eml, fail_eml, NULL };
	ck_assert_int_eq(run(both, &out), 1);
	buf_free(&out);
}
END_TEST

START_TEST(test_exit_usage)
{
	struct buf out;
	const char *cases[][4] = {
		{ "arcverify", "--no-such-option", NULL, NULL },
		{ "arcverify", "--now", "yesterday", NULL },
		{ "arcverify", "--format", "xml", NULL },
		{ "arcverify", "--color", "sometimes", NULL },
		{ "arcverify", "--min-key-bits", "-5", NULL },
		{ "arcverify", "--dns-timeout", "0", NULL },
		{ "arcverify", "--dns-server", "not-an-ip", NULL },
		{ "arcverify", "--dns-concurrency", "0", NULL },
		{ "arcverify", "--dns-concurrency", "1025", NULL },
		{ "arcverify", "--dns-concurrency", "many", NULL },
		{ "arcverify", "--arc-only", "--dkim-only", NULL },
		{ "arcverify", "--keys", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(run(cases[i], &out) == 64, "case %zu (%s %s) did not exit 64", i, cases[i][1],
			      cases[i][2] ? cases[i][2] : "");
		buf_free(&out);
	}
}
END_TEST

/* Option errors say what getopt_long found, in its words, with the option shown safely. */
struct option_error_case {
	const char *arg;
	const char *message;
};

static const struct option_error_case option_error_cases[] = {
	{ "--now", "arcverify: option '--now' requires an argument" },
	{ "--json=yes", "arcverify: option '--json' doesn't allow an argument" },
	{ "--verbose=1", "arcverify: option '--verbose' doesn't allow an argument" },
	{ "--help=me", "arcverify: option '--help' doesn't allow an argument" },
	{ "--d", "arcverify: option '--d' is ambiguous (--dkim-only, --dns-concurrency, --dns-server, " },
	{ "--x", "arcverify: unrecognized option '--x'" },
	{ "--no-such-option=1", "arcverify: unrecognized option '--no-such-option=1'" },
	{ "-q", "arcverify: invalid option -- 'q'" },
	{ "-vq", "arcverify: invalid option -- 'q'" },
	{ "-\x01", "arcverify: invalid option -- '\\x01'" },
	{ "--\x1b[31m\xc2\x9b", "arcverify: unrecognized option '--\\x1b[31m\\u009b'" },
	{ "--json=\x07", "arcverify: option '--json' doesn't allow an argument" },
};

START_TEST(test_option_errors)
{
	const struct option_error_case *c = &option_error_cases[_i];
	const char *argv[] = { "arcverify", "--keys", zone, c->arg, pass_eml, NULL };
	if (strcmp(c->arg, "--now") == 0)
		argv[4] = NULL;    /* the option is last: nothing follows it */
	struct buf out, err;
	ck_assert_int_eq(fixture_exec(argv, &out, &err, NULL), 64);
	ck_assert_msg(strncmp(err.data, c->message, strlen(c->message)) == 0, "%s: got '%s', want '%s'", c->arg,
		      err.data, c->message);
	ck_assert_msg(fixture_find_raw_control(err.data, err.len) < 0, "%s: a raw control byte on stderr", c->arg);
	ck_assert_msg(out.len == 0, "%s: nothing on stdout", c->arg);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

/* --dns-concurrency fills the batch's DNS options (default 128). */
START_TEST(test_dns_concurrency_option)
{
	struct cli_opts o;
	char err[300];
	const char *dflt[] = { "arcverify", "m.eml", NULL };
	const char *set[] = { "arcverify", "--dns-concurrency", "8", "m.eml", NULL };
	ck_assert_int_eq(cli_parse(2, (char **)dflt, &o, err, sizeof err), 0);
	ck_assert_uint_eq(o.batch.dns.concurrency, 128);
	cli_free(&o);
	ck_assert_int_eq(cli_parse(4, (char **)set, &o, err, sizeof err), 0);
	ck_assert_uint_eq(o.batch.dns.concurrency, 8);
	cli_free(&o);
}
END_TEST

START_TEST(test_exit_noinput)
{
	struct buf out;
	const char *missing[] = { "arcverify", "--keys", zone, "/nonexistent/message.eml", NULL };
	ck_assert_int_eq(run(missing, &out), 66);
	buf_free(&out);
	/* an unreadable input does not stop the others, and JSON still reports it */
	const char *mixed[] = { "arcverify", "--json", "--keys", zone, "--now", "1764003600", "/nonexistent/x.eml",
				pass_eml, NULL };
	ck_assert_int_eq(run(mixed, &out), 66);
	ck_assert_int_eq(count_lines(out.data), 2);
	ck_assert_ptr_nonnull(strstr(out.data, "\"errors\":[\"No such file or directory\"]"));
	buf_free(&out);
	const char *dir[] = { "arcverify", "--keys", zone, fixture_testdata(), NULL };
	ck_assert_int_eq(run(dir, &out), 66);
	buf_free(&out);
	const char *badkeys[] = { "arcverify", "--keys", "/nonexistent.zone", pass_eml, NULL };
	ck_assert_int_eq(run(badkeys, &out), 66);
	buf_free(&out);
}
END_TEST

/* A DNS server that never answers: the signature is temperror, and the exit status 75. */
START_TEST(test_exit_tempfail)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
	socklen_t len = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &len);
	char server[64];
	snprintf(server, sizeof server, "127.0.0.1:%u", ntohs(sa.sin_port));
	struct buf out;
	const char *argv[] = { "arcverify", "--dns-server", server, "--dns-timeout", "0.5", "--now", "1764003600",
			       pass_eml, NULL };
	ck_assert_int_eq(run(argv, &out), 75);
	ck_assert_ptr_nonnull(strstr(out.data, "temperror"));
	ck_assert_ptr_nonnull(strstr(out.data, "DNS timeout"));
	buf_free(&out);
	close(fd);
}
END_TEST

START_TEST(test_stdin_matches_file)
{
	struct buf a, b, err;
	const char *file[] = { "arcverify", "--json", "--keys", zone, "--now", "1764003600", pass_eml, NULL };
	const char *in[] = { "arcverify", "--json", "--keys", zone, "--now", "1764003600", "-", NULL };
	const char *none[] = { "arcverify", "--json", "--keys", zone, "--now", "1764003600", NULL };
	ck_assert_int_eq(fixture_exec(file, &a, &err, NULL), 0);
	buf_free(&err);
	ck_assert_int_eq(fixture_exec(in, &b, &err, pass_eml), 0);
	buf_free(&err);
	/* same object apart from the file name */
	const char *pa = strstr(a.data, "\"evaluated_at\""), *pb = strstr(b.data, "\"evaluated_at\"");
	ck_assert(pa && pb);
	ck_assert_str_eq(pa, pb);
	ck_assert_ptr_nonnull(strstr(b.data, "\"file\":\"-\""));
	buf_free(&b);
	ck_assert_int_eq(fixture_exec(none, &b, &err, pass_eml), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\"file\":\"-\""));
	buf_free(&err);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

START_TEST(test_formats)
{
	struct buf out;
	const char *json[] = { "arcverify", "--json", "--keys", zone, "--now", "1764003600", pass_eml, fail_eml, NULL };
	ck_assert_int_eq(run(json, &out), 1);
	ck_assert_int_eq(count_lines(out.data), 2);          /* JSON Lines: one object per message */
	ck_assert_ptr_nonnull(strstr(out.data, "\"schema\":2"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"result\":\"pass\""));
	ck_assert_ptr_nonnull(strstr(out.data, "\"match\":false"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"source\":\"keys\""));
	buf_free(&out);
	const char *fmt[] = { "arcverify", "--format", "json", "--keys", zone, "--now", "1764003600", pass_eml, NULL };
	ck_assert_int_eq(run(fmt, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "\"dkim\":[{\"index\":1"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"arc\":{\"result\":\"none\""));
	buf_free(&out);
	const char *dkimonly[] = { "arcverify", "--json", "--dkim-only", "--keys", zone, pass_eml, NULL };
	run(dkimonly, &out);
	ck_assert_ptr_null(strstr(out.data, "\"arc\""));
	buf_free(&out);
	const char *arconly[] = { "arcverify", "--json", "--arc-only", "--keys", zone, pass_eml, NULL };
	run(arconly, &out);
	ck_assert_ptr_null(strstr(out.data, "\"dkim\""));
	buf_free(&out);
	const char *ar[] = { "arcverify", "--format", "ar", "--keys", zone, "--now", "1764003600", pass_eml, NULL };
	ck_assert_int_eq(run(ar, &out), 0);
	ck_assert_msg(strncmp(out.data, "Authentication-Results: arcverify;", 34) == 0, "%s", out.data);
	ck_assert_ptr_nonnull(strstr(out.data, "dkim=pass"));
	ck_assert_ptr_nonnull(strstr(out.data, "header.d=example.com"));
	ck_assert_ptr_nonnull(strstr(out.data, "arc=none"));
	buf_free(&out);
}
END_TEST

START_TEST(test_verbose_and_color)
{
	struct buf out;
	const char *v[] = { "arcverify", "-v", "--keys", zone, "--now", "1764003600", empty_eml, NULL };
	ck_assert_int_eq(run(v, &out), 0);
	/* relaxed, empty body: the body hash is SHA-256 of zero bytes (RFC 6376 §3.4.4) */
	ck_assert_ptr_nonnull(strstr(out.data, "bh computed: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
	ck_assert_ptr_nonnull(strstr(out.data, "signed fields:"));
	ck_assert_ptr_nonnull(strstr(out.data, "header data hashed"));
	ck_assert_ptr_nonnull(strstr(out.data, "\\r\\n"));
	ck_assert_ptr_null(strstr(out.data, "\033["));          /* not a terminal: no colour */
	buf_free(&out);
	const char *c[] = { "arcverify", "--color=always", "--keys", zone, "--now", "1764003600", pass_eml, NULL };
	run(c, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "\033[32m"));
	buf_free(&out);
	const char *n[] = { "arcverify", "--color", "never", "--keys", zone, "--now", "1764003600", pass_eml, NULL };
	run(n, &out);
	ck_assert_ptr_null(strstr(out.data, "\033["));
	buf_free(&out);
}
END_TEST

START_TEST(test_compare_exit_status)
{
	struct buf out;
	char sent[512], received[512];
	snprintf(sent, sizeof sent, "%s/compare/list-footer.sent.eml", fixture_testdata());
	snprintf(received, sizeof received, "%s/compare/list-footer.received.eml", fixture_testdata());
	const char *differ[] = { "arcverify", "--keys", zone, "--now", "1764003600", "--compare", sent, received, NULL };
	ck_assert_int_eq(run(differ, &out), 1);
	ck_assert_ptr_nonnull(strstr(out.data, "56 bytes appended"));
	buf_free(&out);
	const char *same[] = { "arcverify", "--keys", zone, "--now", "1764003600", "--compare", sent, sent, NULL };
	ck_assert_int_eq(run(same, &out), 0);
	buf_free(&out);
	const char *json[] = { "arcverify", "--json", "--keys", zone, "--compare", sent, received, NULL };
	ck_assert_int_eq(run(json, &out), 1);
	ck_assert_ptr_nonnull(strstr(out.data, "\"kind\":\"appended\""));
	buf_free(&out);
	const char *missing[] = { "arcverify", "--keys", zone, "--compare", sent, "/nonexistent.eml", NULL };
	ck_assert_int_eq(run(missing, &out), 66);
	buf_free(&out);
	const char *one[] = { "arcverify", "--compare", sent, NULL };
	ck_assert_int_eq(run(one, &out), 64);
	buf_free(&out);
}
END_TEST

/* Text output on a terminal (a pseudo-terminal here), with NO_COLOR set or not, TERM as given. */
static void run_on_terminal_term(const char *no_color, const char *term, const char *color_opt, struct buf *out)
{
	char term_var[64], no_color_var[64];
	snprintf(term_var, sizeof term_var, "TERM=%s", term);
	snprintf(no_color_var, sizeof no_color_var, "NO_COLOR%s%s", no_color ? "=" : "", no_color ? no_color : "");
	const char *env[] = { term_var, no_color_var, NULL };
	const char *argv[] = { "arcverify", "--keys", zone, "--now", "1764003600", color_opt, pass_eml, NULL };
	fixture_pty_exec(argv, env, 0, out);
}

static void run_on_terminal(const char *no_color, const char *color_opt, struct buf *out)
{
	run_on_terminal_term(no_color, "xterm", color_opt, out);
}

START_TEST(test_color_on_terminal)
{
	struct buf out;
	run_on_terminal(NULL, "--color=auto", &out);
	ck_assert_msg(strstr(out.data, "\033[32m"), "no colour on a terminal: %s", out.data);
	buf_free(&out);
	run_on_terminal("1", "--color=auto", &out);
	ck_assert_msg(!strstr(out.data, "\033["), "NO_COLOR ignored");
	buf_free(&out);
	run_on_terminal(NULL, "--color=never", &out);
	ck_assert(!strstr(out.data, "\033["));
	buf_free(&out);
	run_on_terminal("1", "--color=always", &out);
	ck_assert(strstr(out.data, "\033[32m"));
	buf_free(&out);
	/* a terminal that says it cannot do colour */
	run_on_terminal_term(NULL, "dumb", "--color=auto", &out);
	ck_assert_msg(!strstr(out.data, "\033["), "colour on TERM=dumb");
	ck_assert_msg(strstr(out.data, "pass"), "%s", out.data);
	buf_free(&out);
	run_on_terminal_term(NULL, "dumb", "--color=always", &out);
	ck_assert(strstr(out.data, "\033[32m"));
	buf_free(&out);
}
END_TEST

/* Standard input is spooled in TMPDIR: a TMPDIR that does not exist is an error naming it. */
START_TEST(test_tmpdir_for_spools)
{
	struct buf out, err;
	const char *argv[] = { "arcverify", "--keys", zone, "--now", "1764003600", "-", NULL };
	setenv("TMPDIR", "/nonexistent/arcverify-tmp", 1);
	ck_assert_int_eq(fixture_exec(argv, &out, &err, pass_eml), 66);
	ck_assert_msg(strstr(err.data, "/nonexistent/arcverify-tmp"), "stderr: %s", err.data);
	buf_free(&out);
	buf_free(&err);
	char dir[] = "/tmp/arcverify-tmpdir-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("TMPDIR", dir, 1);
	ck_assert_int_eq(fixture_exec(argv, &out, &err, pass_eml), 0);
	buf_free(&out);
	buf_free(&err);
	unsetenv("TMPDIR");
	ck_assert_int_eq(rmdir(dir), 0);   /* the spool was unlinked at once: nothing left behind */
}
END_TEST

/* Text a message carries (an AAR's authserv-id and comment, header data with -v) reaches the terminal
 * with control bytes escaped: a hostile message cannot send escape sequences. */
START_TEST(test_no_escape_sequences_from_messages)
{
	char path[] = "/tmp/arcverify-esc-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	static const char msg[] = "ARC-Authentication-Results: i=1; evil\033[31m.example; dkim=pass (x\033]0;t\007y)\r\n"
				  "Authentication-Results: mx\033[2J.example; arc=pass (\033[5m)\r\n"
				  "X-Other: \033[1m\r\nFrom: a@b.example\r\n\r\nbody\r\n";
	ck_assert(write(fd, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1));
	close(fd);
	struct buf out;
	const char *argv[] = { "arcverify", "-v", "--color=never", "--keys", zone, path, NULL };
	run(argv, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "evil\\x1b[31m.example"));
	ck_assert_msg(memchr(out.data, 0x1b, out.len) == NULL, "a raw ESC reached the output");
	ck_assert_msg(memchr(out.data, 0x07, out.len) == NULL, "a raw BEL reached the output");
	buf_free(&out);
	unlink(path);
}
END_TEST

START_TEST(test_help_and_version)
{
	struct buf out;
	const char *h[] = { "arcverify", "--help", NULL };
	ck_assert_int_eq(run(h, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "Usage: arcverify"));
	ck_assert_ptr_nonnull(strstr(out.data, "Exit status"));
	buf_free(&out);
	const char *ver[] = { "arcverify", "--version", NULL };
	ck_assert_int_eq(run(ver, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "arcverify "));
	buf_free(&out);
}
END_TEST

/* Every --option printed by --help appears in the man page (as .Fl -name) and in README.md. */
START_TEST(test_docs_cover_every_option)
{
	struct buf help, man, readme;
	const char *h[] = { "arcverify", "--help", NULL };
	ck_assert_int_eq(run(h, &help), 0);
	ck_assert_int_eq(fixture_read_file("man/arcverify.1", &man), 0);
	ck_assert_int_eq(fixture_read_file("README.md", &readme), 0);
	size_t found = 0;
	for (const char *p = help.data; (p = strstr(p, "--")) != NULL;) {
		const char *start = p + 2;
		size_t n = strspn(start, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (n == 0) {
			p += 2;
			continue;
		}
		char opt[64], man_form[160];
		snprintf(opt, sizeof opt, "--%.*s", (int)n, start);
		/* mdoc: ".Fl -name" renders as --name; the name must be followed by a non-name character */
		snprintf(man_form, sizeof man_form, "Fl -%.*s", (int)n, start);
		const char *hit = strstr(man.data, man_form);
		while (hit && strchr("abcdefghijklmnopqrstuvwxyz0123456789-", hit[strlen(man_form)]))
			hit = strstr(hit + 1, man_form);
		ck_assert_msg(hit != NULL, "man page lacks %s (looked for '%s')", opt, man_form);
		ck_assert_msg(strstr(readme.data, opt), "README.md lacks %s", opt);
		found++;
		p = start + n;
	}
	ck_assert_msg(found >= 14, "only %zu options found in --help", found);
	buf_free(&help);
	buf_free(&man);
	buf_free(&readme);
}
END_TEST

START_TEST(test_man_page_lint)
{
	if (system("command -v mandoc >/dev/null 2>&1") != 0) {
		fixture_skip("man-page-lint", "mandoc is not installed: man page lint NOT run");
		return;
	}
	ck_assert_int_eq(system("mandoc -Tlint -W warning man/arcverify.1"), 0);
}
END_TEST

/* ------------------------------------------------------ input that is not a message ---- */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert(len == 0 || fwrite(data, 1, len, f) == len);
	ck_assert_int_eq(fclose(f), 0);
}

/* path gets prefix, then the fixture file's bytes (each line indented when indent). */
static void write_edited(const char *path, const char *prefix, size_t plen, const char *fixture, int indent)
{
	struct buf in, outb;
	ck_assert_int_eq(fixture_read_file(fixture, &in), 0);
	buf_init(&outb, 2 * in.len + plen + 16);
	buf_append(&outb, prefix, plen);
	for (size_t i = 0; i < in.len; i++) {
		if (indent && (i == 0 || in.data[i - 1] == '\n'))
			buf_append_str(&outb, "    ");
		buf_append_byte(&outb, in.data[i]);
	}
	write_file(path, outb.data, outb.len);
	buf_free(&in);
	buf_free(&outb);
}

struct not_message_case {
	const char *name;
	const char *why;        /* on stderr and in the text report */
};

static const struct not_message_case not_message_cases[] = {
	{ "empty", "not a message: the input is empty" },
	{ "binary", "not a message: the input looks like binary data" },
	{ "zone", "not a message: the input looks like a zone file" },
	{ "blank-first", "not a message: the input starts with a blank line: the whole message was read as body" },
	{ "indented", "not a message: every line of the header block is indented" },
	{ "prose", "not a message: no header field" },
	{ "huge-header", "header block larger than" },
	{ "many-fields", "more than 8192 header fields" },
	{ "bom-only", "not a message: the input is empty" },
};

/* Each is reported for what it is, and exits 65 (EX_DATAERR): no header field parses. */
START_TEST(test_not_a_message)
{
	const struct not_message_case *c = &not_message_cases[_i];
	char dir[] = "/tmp/arcverify-notmsg-XXXXXX", path[600];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/%s.eml", dir, c->name);
	if (strcmp(c->name, "empty") == 0) {
		write_file(path, "", 0);
	} else if (strcmp(c->name, "binary") == 0) {
		unsigned char bin[3000];
		for (size_t i = 0; i < sizeof bin; i++)
			bin[i] = (unsigned char)(i * 7 + (i >> 3));
		write_file(path, bin, sizeof bin);
	} else if (strcmp(c->name, "zone") == 0) {
		write_edited(path, "", 0, zone, 0);
	} else if (strcmp(c->name, "blank-first") == 0) {
		write_edited(path, "\r\n", 2, pass_eml, 0);
	} else if (strcmp(c->name, "indented") == 0) {
		write_edited(path, "", 0, pass_eml, 1);
	} else if (strcmp(c->name, "prose") == 0) {
		static const char prose[] = "Dear operator,\nplease find the message below\nthanks\n";
		write_file(path, prose, sizeof prose - 1);
	} else if (strcmp(c->name, "huge-header") == 0) {
		size_t n = (5u << 20);
		char *big = malloc(n);
		ck_assert_ptr_nonnull(big);
		memcpy(big, "X-Big: ", 7);
		memset(big + 7, 'a', n - 7);
		write_file(path, big, n);
		free(big);
	} else if (strcmp(c->name, "many-fields") == 0) {
		struct buf b;
		buf_init(&b, 1u << 20);
		for (int i = 0; i < 9000; i++)
			ck_assert_int_eq(buf_printf(&b, "X-F%d: v\r\n", i), 0);
		ck_assert_int_eq(buf_append_str(&b, "From: a@example.com\r\n\r\nbody\r\n"), 0);
		write_file(path, b.data, b.len);
		buf_free(&b);
	} else {
		write_file(path, "\xef\xbb\xbf", 3);
	}
	struct buf out, err;
	const char *argv[] = { "arcverify", "--keys", zone, "--now", "1764003600", path, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, &err, NULL), 65);
	ck_assert_msg(strstr(err.data, c->why), "%s: stderr says '%s'", c->name, err.data);
	ck_assert_msg(strstr(out.data, c->why), "%s: report says '%s'", c->name, out.data);
	ck_assert_msg(!strstr(out.data, "DKIM     none"), "%s: a DKIM result for what is not a message", c->name);
	ck_assert_msg(!strstr(out.data, "ARC      none"), "%s: an ARC result for what is not a message", c->name);
	buf_free(&out);
	buf_free(&err);
	/* a message beside it does not hide it */
	const char *two[] = { "arcverify", "--keys", zone, "--now", "1764003600", pass_eml, path, NULL };
	ck_assert_int_eq(fixture_exec(two, &out, &err, NULL), 65);
	buf_free(&out);
	buf_free(&err);
	remove(path);
	remove(dir);
}
END_TEST

/* Standard input closed (arcverify <&-): it cannot be read (66, like a missing file), and that is said;
 * nothing opened later may take its descriptor and be read as the message. */
START_TEST(test_closed_stdin)
{
	struct buf out, err;
	const char *argv[] = { "arcverify", "--keys", zone, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, &err, FIXTURE_STDIN_CLOSED), 66);
	ck_assert_msg(strstr(err.data, "standard input is closed"), "stderr: %s", err.data);
	buf_free(&out);
	buf_free(&err);
	const char *dash[] = { "arcverify", "--keys", zone, "--now", "1764003600", "-", pass_eml, NULL };
	ck_assert_int_eq(fixture_exec(dash, &out, &err, FIXTURE_STDIN_CLOSED), 66);
	ck_assert_msg(strstr(out.data, "dkim=pass"), "the file after it is still verified: %s", out.data);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

/* A byte order mark before the first field is skipped, with a note; the message verifies. */
START_TEST(test_bom_skipped_with_note)
{
	char dir[] = "/tmp/arcverify-bom-XXXXXX", path[600];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/bom.eml", dir);
	write_edited(path, "\xef\xbb\xbf", 3, pass_eml, 0);
	struct buf out, err;
	const char *argv[] = { "arcverify", "--keys", zone, "--now", "1764003600", path, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, &err, NULL), 0);
	ck_assert_msg(strstr(out.data, "note: a UTF-8 byte order mark before the first field was skipped"), "%s",
		      out.data);
	ck_assert_msg(strstr(out.data, "DKIM #1  pass"), "%s", out.data);
	buf_free(&out);
	buf_free(&err);
	remove(path);
	remove(dir);
}
END_TEST

/* ------------------------------------------------------------------ install ---- */

static int make_quiet(const char *args)
{
	char cmd[1200];
	/* the test may run under make: do not inherit its jobserver */
	snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s %s >/dev/null 2>&1", args);
	return system(cmd);
}

static void assert_installed(const char *root, const char *rel, mode_t mode)
{
	char path[900];
	struct stat st;
	snprintf(path, sizeof path, "%s%s", root, rel);
	ck_assert_msg(stat(path, &st) == 0, "%s was not installed", path);
	ck_assert_msg((st.st_mode & 0777) == mode, "%s: mode %o, want %o", path, st.st_mode & 0777, mode);
}

static void assert_gone(const char *root, const char *rel)
{
	char path[900];
	struct stat st;
	snprintf(path, sizeof path, "%s%s", root, rel);
	ck_assert_msg(stat(path, &st) != 0, "%s is still there after uninstall", path);
}

/* make install honours DESTDIR, PREFIX, BINDIR and MANDIR, installs both man pages, README and LICENSE;
 * install-strip strips; uninstall removes what install wrote. */
START_TEST(test_make_install)
{
	char root[] = "/tmp/arcverify-install-XXXXXX", args[1000];
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(args, sizeof args, "install DESTDIR=%s PREFIX=/usr/local", root);
	ck_assert_int_eq(make_quiet(args), 0);
	assert_installed(root, "/usr/local/bin/arcverify", 0755);
	assert_installed(root, "/usr/local/share/man/man1/arcverify.1", 0644);
	assert_installed(root, "/usr/local/share/man/man5/arcverify-json.5", 0644);
	assert_installed(root, "/usr/local/share/doc/arcverify/README.md", 0644);
	assert_installed(root, "/usr/local/share/doc/arcverify/LICENSE", 0644);
	char bin[900];
	snprintf(bin, sizeof bin, "%s/usr/local/bin/arcverify --version | grep -q '^arcverify '", root);
	ck_assert_msg(system(bin) == 0, "the installed binary does not run");
	snprintf(args, sizeof args, "uninstall DESTDIR=%s PREFIX=/usr/local", root);
	ck_assert_int_eq(make_quiet(args), 0);
	assert_gone(root, "/usr/local/bin/arcverify");
	assert_gone(root, "/usr/local/share/man/man1/arcverify.1");
	assert_gone(root, "/usr/local/share/man/man5/arcverify-json.5");
	assert_gone(root, "/usr/local/share/doc/arcverify");
	/* the directories given one by one, and a stripped binary */
	snprintf(args, sizeof args, "install-strip DESTDIR=%s PREFIX=/opt/av BINDIR=/opt/av/sbin MANDIR=/opt/av/man", root);
	ck_assert_int_eq(make_quiet(args), 0);
	assert_installed(root, "/opt/av/sbin/arcverify", 0755);
	assert_installed(root, "/opt/av/man/man1/arcverify.1", 0644);
	assert_installed(root, "/opt/av/man/man5/arcverify-json.5", 0644);
	assert_installed(root, "/opt/av/share/doc/arcverify/LICENSE", 0644);
	struct stat built, stripped;
	snprintf(bin, sizeof bin, "%s/opt/av/sbin/arcverify", root);
	const char *me = getenv("ARCVERIFY_BIN") ? getenv("ARCVERIFY_BIN") : "./arcverify";
	ck_assert(stat(me, &built) == 0 && stat(bin, &stripped) == 0);
	ck_assert_msg(stripped.st_size < built.st_size, "install-strip did not strip (%lld >= %lld bytes)",
		      (long long)stripped.st_size, (long long)built.st_size);
	snprintf(args, sizeof args, "uninstall DESTDIR=%s PREFIX=/opt/av BINDIR=/opt/av/sbin MANDIR=/opt/av/man", root);
	ck_assert_int_eq(make_quiet(args), 0);
	assert_gone(root, "/opt/av/sbin/arcverify");
	assert_gone(root, "/opt/av/man/man5/arcverify-json.5");
	char rm[300];
	snprintf(rm, sizeof rm, "rm -rf '%s'", root);
	ck_assert_int_eq(system(rm), 0);
}
END_TEST

/* The man page's ENVIRONMENT section lists every variable the program reads. */
START_TEST(test_man_environment)
{
	struct buf man;
	ck_assert_int_eq(fixture_read_file("man/arcverify.1", &man), 0);
	const char *env = strstr(man.data, "\n.Sh ENVIRONMENT\n");
	ck_assert_msg(env != NULL, "no ENVIRONMENT section");
	const char *end = strstr(env + 1, "\n.Sh ");
	static const char *const vars[] = { "NO_COLOR", "TERM", "TMPDIR", "RES_OPTIONS", "LOCALDOMAIN" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		char item[64];
		snprintf(item, sizeof item, "\n.It Ev %s\n", vars[i]);
		const char *hit = strstr(env, item);
		ck_assert_msg(hit && (!end || hit < end), "ENVIRONMENT does not list %s", vars[i]);
	}
	buf_free(&man);
}
END_TEST

/* ---- the tree is the architecture: module includes form no cycle ---- */

#define LAYER_MODULES 96

struct layers {
	char names[LAYER_MODULES][32];
	unsigned char dep[LAYER_MODULES][LAYER_MODULES];
	size_t n;
};

static size_t layer_index(struct layers *g, const char *name, size_t len)
{
	for (size_t i = 0; i < g->n; i++)
		if (strlen(g->names[i]) == len && strncmp(g->names[i], name, len) == 0)
			return i;
	ck_assert_msg(g->n < LAYER_MODULES && len < 32, "too many modules for the test");
	memcpy(g->names[g->n], name, len);
	g->names[g->n][len] = '\0';
	return g->n++;
}

/* Every #include "x.h" of module m (its header and its .c) is an edge m -> x. */
static void layer_edges(struct layers *g, const char *path, const char *module, size_t mlen)
{
	struct buf text;
	if (fixture_read_file(path, &text) < 0)
		return;
	size_t m = layer_index(g, module, mlen);
	for (const char *p = text.data; (p = strstr(p, "#include \"")) != NULL; p++) {
		const char *name = p + 10, *dot = strstr(name, ".h\"");
		if (dot && dot - name < 32 && !memchr(name, '\n', (size_t)(dot - name))) {
			size_t x = layer_index(g, name, (size_t)(dot - name));
			if (x != m)
				g->dep[m][x] = 1;
		}
	}
	buf_free(&text);
}

static int layer_cycle_from(const struct layers *g, size_t u, unsigned char *color, size_t *at)
{
	color[u] = 1;
	for (size_t v = 0; v < g->n; v++) {
		if (!g->dep[u][v])
			continue;
		if (color[v] == 1) {
			*at = v;   /* the back edge: v includes, through u, itself */
			return 1;
		}
		if (color[v] == 0 && layer_cycle_from(g, v, color, at))
			return 1;
	}
	color[u] = 2;
	return 0;
}

START_TEST(test_includes_form_no_cycle)
{
	static struct layers g;
	memset(&g, 0, sizeof g);
	static const char *const dirs[] = { "include", "src" };
	for (size_t d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		ck_assert_msg(dir != NULL, "%s", dirs[d]);
		for (struct dirent *e; (e = readdir(dir)) != NULL;) {
			size_t len = strlen(e->d_name);
			if (len < 3 || e->d_name[len - 2] != '.' || (e->d_name[len - 1] != 'h' && e->d_name[len - 1] != 'c'))
				continue;
			char path[300];
			snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
			layer_edges(&g, path, e->d_name, len - 2);
		}
		closedir(dir);
	}
	ck_assert_uint_gt(g.n, 30);
	unsigned char color[LAYER_MODULES] = { 0 };
	for (size_t u = 0; u < g.n; u++) {
		size_t at = 0;
		ck_assert_msg(color[u] || !layer_cycle_from(&g, u, color, &at),
			      "module %s is in an include cycle: a module may include only modules below it",
			      g.names[at]);
	}
}
END_TEST

Suite *cli_suite(void)
{
	setup_paths();
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("binary");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exit_pass_and_fail);
	tcase_add_test(tc, test_exit_usage);
	tcase_add_loop_test(tc, test_option_errors, 0, (int)(sizeof option_error_cases / sizeof option_error_cases[0]));
	tcase_add_test(tc, test_dns_concurrency_option);
	tcase_add_test(tc, test_exit_noinput);
	tcase_add_test(tc, test_exit_tempfail);
	tcase_add_test(tc, test_stdin_matches_file);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_verbose_and_color);
	tcase_add_test(tc, test_help_and_version);
	tcase_add_test(tc, test_compare_exit_status);
	tcase_add_test(tc, test_color_on_terminal);
	tcase_add_test(tc, test_tmpdir_for_spools);
	tcase_add_test(tc, test_man_environment);
	tcase_add_test(tc, test_no_escape_sequences_from_messages);
	tcase_add_test(tc, test_docs_cover_every_option);
	tcase_add_test(tc, test_man_page_lint);
	tcase_add_test(tc, test_includes_form_no_cycle);
	tcase_add_loop_test(tc, test_not_a_message, 0, (int)(sizeof not_message_cases / sizeof not_message_cases[0]));
	tcase_add_test(tc, test_closed_stdin);
	tcase_add_test(tc, test_bom_skipped_with_note);
	suite_add_tcase(s, tc);
	tc = tcase_create("install");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_make_install);
	suite_add_tcase(s, tc);
	return s;
}
