/*
 * The command line as users meet it: the built binary run as a child process.
 * Exit statuses, output formats, standard input, and the agreement of --help,
 * the man page and the README (every option in --help is documented in both).
 */
#include <arpa/inet.h>
#include <check.h>
#include <pty.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* --dns-concurrency fills the batch's DNS options (default 64). */
START_TEST(test_dns_concurrency_option)
{
	struct cli_opts o;
	char err[300];
	const char *dflt[] = { "arcverify", "m.eml", NULL };
	const char *set[] = { "arcverify", "--dns-concurrency", "8", "m.eml", NULL };
	ck_assert_int_eq(cli_parse(2, (char **)dflt, &o, err, sizeof err), 0);
	ck_assert_uint_eq(o.batch.dns.concurrency, 64);
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
	ck_assert_ptr_nonnull(strstr(out.data, "\"schema\":1"));
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

/* Text output on a terminal (a pseudo-terminal here), with NO_COLOR set or not. */
static void run_on_terminal(const char *no_color, const char *color_opt, struct buf *out)
{
	const char *bin = getenv("ARCVERIFY_BIN") ? getenv("ARCVERIFY_BIN") : "./arcverify";
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (no_color)
			setenv("NO_COLOR", no_color, 1);
		else
			unsetenv("NO_COLOR");
		execl(bin, "arcverify", "--keys", zone, "--now", "1764003600", color_opt, pass_eml, (char *)NULL);
		_exit(127);
	}
	buf_init(out, 1 << 20);
	char chunk[4096];
	ssize_t got;
	while ((got = read(master, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)got);
	if (!out->data)
		buf_append(out, "", 0);
	close(master);
	waitpid(pid, NULL, 0);
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

Suite *cli_suite(void)
{
	setup_paths();
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("binary");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exit_pass_and_fail);
	tcase_add_test(tc, test_exit_usage);
	tcase_add_test(tc, test_dns_concurrency_option);
	tcase_add_test(tc, test_exit_noinput);
	tcase_add_test(tc, test_exit_tempfail);
	tcase_add_test(tc, test_stdin_matches_file);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_verbose_and_color);
	tcase_add_test(tc, test_help_and_version);
	tcase_add_test(tc, test_compare_exit_status);
	tcase_add_test(tc, test_color_on_terminal);
	tcase_add_test(tc, test_no_escape_sequences_from_messages);
	tcase_add_test(tc, test_docs_cover_every_option);
	tcase_add_test(tc, test_man_page_lint);
	suite_add_tcase(s, tc);
	return s;
}
