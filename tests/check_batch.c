/*
 * batch, through the binary: Maildirs and mboxes from the command line, -j
 * output identical to -j1, an unreadable input in the middle of a batch, names
 * from --files-from -0, totals checked against the fixtures' expectations,
 * --summarize over two shards equal to one run's totals, the progress line only
 * on a terminal, and the exit status table (74 on a full disk, 64 for --bundle
 * over several messages).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "dnstest.h"
#include "fixture.h"
#include "jsonin.h"
#include "suites.h"

#define NOW "1764003600"

static char tmp[64], zone[512], arczone[512];

static void setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/arcverify-batch-XXXXXX");
	ck_assert(mkdtemp(tmp) != NULL);
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

/* A Maildir under tmp holding copies of every fixture in testdata/DIR whose .expect is plain
 * (evaluated at NOW, no extra arguments), named in fixture order. Returns the path. */
static const char *fixture_maildir(const char *dir, const char *name)
{
	static char md[256];
	char cmd[4096];
	snprintf(md, sizeof md, "%s/%s", tmp, name);
	snprintf(cmd, sizeof cmd,
		 "set -e; mkdir -p '%s/cur' '%s/new' '%s/tmp'; for e in %s/%s/*.expect; do "
		 "grep -q '^now " NOW "' \"$e\" || continue; grep -q '^args' \"$e\" && continue; "
		 "b=$(basename \"$e\" .expect); cp \"${e%%.expect}.eml\" '%s/cur/'\"$b\"; done",
		 md, md, md, fixture_testdata(), dir, md);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	return md;
}

static int run(const char *const *argv, struct buf *out, struct buf *err)
{
	struct buf e;
	int status = fixture_exec(argv, out, err ? err : &e, NULL);
	if (!err)
		buf_free(&e);
	return status;
}

START_TEST(test_jobs_identical)
{
	const char *md = fixture_maildir("arc", "md-arc");
	const char *md2 = fixture_maildir("dkim", "md-dkim");
	static const char *const formats[] = { "--json", "--format=text", "-v", "--format=ar" };
	for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
		struct buf one, many;
		const char *a1[] = { "arcverify", "--keys", zone, "--keys", arczone, "--now", NOW, formats[f], "-j1",
				     md, md2, NULL };
		const char *a4[] = { "arcverify", "--keys", zone, "--keys", arczone, "--now", NOW, formats[f], "-j", "4",
				     md, md2, NULL };
		int s1 = run(a1, &one, NULL), s4 = run(a4, &many, NULL);
		ck_assert_int_eq(s1, s4);
		ck_assert_uint_gt(one.len, 1000);
		ck_assert_msg(one.len == many.len && memcmp(one.data, many.data, one.len) == 0,
			      "%s: -j4 output differs from -j1", formats[f]);
		buf_free(&one);
		buf_free(&many);
	}
}
END_TEST

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

START_TEST(test_unreadable_in_the_middle)
{
	char pass[512], fail[512], missing[256];
	snprintf(pass, sizeof pass, "%s/dkim/canon-relaxed-relaxed.eml", fixture_testdata());
	snprintf(fail, sizeof fail, "%s/dkim/fail-body-modified.eml", fixture_testdata());
	snprintf(missing, sizeof missing, "%s/no-such-file", tmp);
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "--json", pass, missing, tmp, fail, NULL };
	struct buf out, err;
	ck_assert_int_eq(run(argv, &out, &err), EXIT_NOINPUT);
	ck_assert_uint_eq(count_char(out.data, '\n'), 4);   /* one record per input, in order */
	const char *p1 = strstr(out.data, "canon-relaxed-relaxed"), *p2 = strstr(out.data, "no-such-file");
	const char *p4 = strstr(out.data, "fail-body-modified");
	ck_assert(p1 && p2 && p4 && p1 < p2 && p2 < p4);
	ck_assert_msg(strstr(out.data, "\"result\":\"fail\""), "the message after the bad ones was verified");
	ck_assert_msg(strstr(err.data, "no-such-file: No such file or directory"), "stderr: %s", err.data);
	ck_assert_msg(strstr(err.data, "not a Maildir"), "stderr: %s", err.data);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(test_files_from_nul_on_stdin)
{
	char list[256], names[2048];
	snprintf(list, sizeof list, "%s/list", tmp);
	snprintf(names, sizeof names, "%s/dkim/canon-relaxed-relaxed.eml", fixture_testdata());
	FILE *f = fopen(list, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(names, f);
	fputc('\0', f);
	snprintf(names, sizeof names, "%s/dkim/canon-simple-simple.eml", fixture_testdata());
	fputs(names, f);
	fputc('\0', f);
	fclose(f);
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "--files-from", "-", "-0", "--json", NULL };
	struct buf out, err;
	ck_assert_int_eq(fixture_exec(argv, &out, &err, list), 0);
	ck_assert_uint_eq(count_char(out.data, '\n'), 2);
	ck_assert(strstr(out.data, "canon-relaxed-relaxed") < strstr(out.data, "canon-simple-simple"));
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(test_mbox_on_the_command_line)
{
	char box[256];
	snprintf(box, sizeof box, "%s/box", tmp);
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "{ echo 'From a@example.com Mon Jan  1 00:00:00 2025'; cat %s/dkim/canon-relaxed-relaxed.eml; echo; "
		 "echo 'From b@example.com Mon Jan  1 00:00:00 2025'; cat %s/dkim/canon-simple-simple.eml; echo; } > %s",
		 fixture_testdata(), fixture_testdata(), box);
	ck_assert_int_eq(system(cmd), 0);
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "--json", box, NULL };
	struct buf out;
	ck_assert_int_eq(run(argv, &out, NULL), 0);
	ck_assert_uint_eq(count_char(out.data, '\n'), 2);
	char name[300];
	snprintf(name, sizeof name, "\"file\":\"%s:0\"", box);
	ck_assert_msg(strstr(out.data, name), "%s", out.data);
	ck_assert_msg(strstr(out.data, "\"mbox_from_line\":true"), "%s", out.data);
	buf_free(&out);
}
END_TEST

/* ---- totals ---- */

static const struct jsonin *get_path(const struct jsonin *v, const char *a, const char *b)
{
	const struct jsonin *x = jsonin_get(v, a);
	return b ? jsonin_get(x, b) : x;
}

static double number_at(const struct jsonin *v, const char *a, const char *b)
{
	const struct jsonin *x = get_path(v, a, b);
	ck_assert_msg(x && x->type == JSONIN_NUMBER, "%s.%s is a number", a, b ? b : "");
	return x->number;
}

static void read_json_file(const char *path, struct jsonin *v)
{
	struct buf b;
	char err[200];
	ck_assert_int_eq(fixture_read_file(path, &b), 0);
	ck_assert_msg(jsonin_parse(b.data, b.len, v, err, sizeof err) == 0, "%s: %s", path, err);
	buf_free(&b);
}

/* The count of code in the summary's "codes" list (0 when absent). */
static double code_count(const struct jsonin *sum, const char *code)
{
	const struct jsonin *top = get_path(sum, "codes", "top");
	for (size_t i = 0; top && i < top->n; i++)
		if (strcmp(jsonin_str(&top->items[i], "code"), code) == 0)
			return jsonin_get(&top->items[i], "count")->number;
	return 0;
}

/* From the .expect files of the Maildir's fixtures: result and code of every DKIM signature. */
START_TEST(test_summary_matches_expectations)
{
	const char *md = fixture_maildir("dkim", "md");
	char sumfile[256];
	snprintf(sumfile, sizeof sumfile, "%s/sum.json", tmp);
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "--summary-json", sumfile, md, NULL };
	struct buf out;
	run(argv, &out, NULL);
	buf_free(&out);
	struct jsonin sum;
	read_json_file(sumfile, &sum);
	char cmd[1024];
	char td[512];
	ck_assert_ptr_nonnull(realpath(fixture_testdata(), td));
	snprintf(cmd, sizeof cmd, "cd '%s/cur' && for f in *; do grep -h '^dkim ' '%s/dkim/'\"$f\".expect; done",
		 md, td);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char line[512];
	double results[8] = { 0 };
	struct { char code[48]; double n; } codes[64];
	size_t ncodes = 0, nsigs = 0;
	while (fgets(line, sizeof line, p)) {
		char res[32], code[48];
		int idx;
		ck_assert_int_eq(sscanf(line, "dkim %d %31s %47s", &idx, res, code), 3);
		enum verdict_result r;
		ck_assert_int_eq(verdict_from_word(res, &r), 0);
		results[r]++;
		nsigs++;
		if (r == VERDICT_PASS)
			continue;
		size_t k = 0;
		while (k < ncodes && strcmp(codes[k].code, code) != 0)
			k++;
		if (k == ncodes) {
			snprintf(codes[ncodes].code, sizeof codes[0].code, "%s", code);
			codes[ncodes++].n = 0;
		}
		codes[k].n++;
	}
	pclose(p);
	ck_assert_uint_gt(nsigs, 40);
	static const enum verdict_result rs[] = { VERDICT_PASS, VERDICT_FAIL, VERDICT_PERMERROR, VERDICT_TEMPERROR };
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		ck_assert_msg(number_at(&sum, "dkim", verdict_word(rs[i])) == results[rs[i]], "dkim %s: %g, expected %g",
			      verdict_word(rs[i]), number_at(&sum, "dkim", verdict_word(rs[i])), results[rs[i]]);
	for (size_t k = 0; k < ncodes; k++)
		ck_assert_msg(code_count(&sum, codes[k].code) == codes[k].n, "code %s: %g, expected %g", codes[k].code,
			      code_count(&sum, codes[k].code), codes[k].n);
	jsonin_free(&sum);
}
END_TEST

/* Two shards of JSON records, totalled by --summarize, equal one run's totals, exit status too. */
START_TEST(test_summarize_shards)
{
	const char *md1 = fixture_maildir("arc", "shard1");
	char m1[256];
	snprintf(m1, sizeof m1, "%s", md1);
	const char *md2 = fixture_maildir("dkim", "shard2");
	char all[256], a[256], b[256], sharded[256];
	snprintf(all, sizeof all, "%s/all.json", tmp);
	snprintf(a, sizeof a, "%s/a.jsonl", tmp);
	snprintf(b, sizeof b, "%s/b.jsonl", tmp);
	snprintf(sharded, sizeof sharded, "%s/sharded.json", tmp);
	const char *one[] = { "arcverify", "--keys", zone, "--keys", arczone, "--now", NOW, "--json", "--summary-json",
			      all, m1, md2, NULL };
	struct buf out, o2;
	int s_one = run(one, &out, NULL);
	buf_free(&out);
	const char *s1[] = { "arcverify", "--keys", zone, "--keys", arczone, "--now", NOW, "--json", m1, NULL };
	const char *s2[] = { "arcverify", "--keys", zone, "--keys", arczone, "--now", NOW, "--json", md2, NULL };
	run(s1, &out, NULL);
	ck_assert_int_eq(buf_write_file(a, out.data, out.len, NULL, 0), 0);
	run(s2, &o2, NULL);
	ck_assert_int_eq(buf_write_file(b, o2.data, o2.len, NULL, 0), 0);
	buf_free(&out);
	buf_free(&o2);
	const char *sum[] = { "arcverify", "--summarize", "--summary-json", sharded, a, b, NULL };
	struct buf text;
	int s_sum = run(sum, &text, NULL);
	ck_assert_int_eq(s_sum, s_one);
	ck_assert_msg(strstr(text.data, "Summary: "), "the text totals: %s", text.data);
	buf_free(&text);
	struct buf x, y;
	ck_assert_int_eq(fixture_read_file(all, &x), 0);
	ck_assert_int_eq(fixture_read_file(sharded, &y), 0);
	ck_assert_msg(x.len == y.len && memcmp(x.data, y.data, x.len) == 0, "one run:\n%s\nshards:\n%s", x.data, y.data);
	buf_free(&x);
	buf_free(&y);
}
END_TEST

START_TEST(test_summarize_bad_record)
{
	char f[256];
	snprintf(f, sizeof f, "%s/bad.jsonl", tmp);
	ck_assert_int_eq(buf_write_file(f, "{\"schema\":2}\nnot json\n", 22, NULL, 0), 0);
	const char *argv[] = { "arcverify", "--summarize", f, NULL };
	struct buf out, err;
	ck_assert_int_eq(run(argv, &out, &err), EXIT_DATAERR);
	ck_assert_msg(strstr(err.data, "bad.jsonl:1:") && strstr(err.data, "bad.jsonl:2:"), "%s", err.data);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(test_summary_beside_json)
{
	const char *md = fixture_maildir("dkim", "md");
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "--json", "--summary", md, NULL };
	struct buf out, err;
	run(argv, &out, &err);
	ck_assert_msg(strstr(err.data, "Summary: "), "text totals go to stderr beside --json");
	/* every line of standard output is one record */
	char *save = NULL;
	for (char *l = strtok_r(out.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct jsonin v;
		char why[200];
		ck_assert_msg(jsonin_parse(l, strlen(l), &v, why, sizeof why) == 0, "%s: %s", why, l);
		ck_assert_ptr_nonnull(jsonin_get(&v, "file"));
		jsonin_free(&v);
	}
	buf_free(&out);
	buf_free(&err);
}
END_TEST

/* ---- the progress line ---- */

/* Run over the Maildir with stderr a terminal (pty) or a pipe; returns what stderr received. */
static void progress_run(const char *md, int on_pty, const char *flag, struct buf *err)
{
	const char *env[] = { "ARCVERIFY_PROGRESS_DELAY=0", NULL };
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "-j1", flag, md, NULL };
	if (on_pty) {
		fixture_pty_exec(argv, env, 1, err);
		return;
	}
	struct buf out;
	setenv("ARCVERIFY_PROGRESS_DELAY", "0", 1);
	fixture_exec(argv, &out, err, NULL);
	unsetenv("ARCVERIFY_PROGRESS_DELAY");
	buf_free(&out);
}

START_TEST(test_progress_only_on_a_terminal)
{
	const char *md = fixture_maildir("dkim", "md");
	struct buf err;
	progress_run(md, 1, "--color=never", &err);
	ck_assert_msg(strstr(err.data, " messages, "), "a terminal shows progress: '%s'", err.data);
	buf_free(&err);
	progress_run(md, 0, "--color=never", &err);
	ck_assert_msg(err.len == 0, "nothing on a pipe: '%s'", err.data);
	buf_free(&err);
	progress_run(md, 0, "--progress", &err);
	ck_assert_msg(strstr(err.data, " messages, "), "--progress asks for it on a pipe: '%s'", err.data);
	buf_free(&err);
	progress_run(md, 1, "--no-progress", &err);
	ck_assert_msg(!strstr(err.data, " messages, "), "--no-progress: '%s'", err.data);
	buf_free(&err);
}
END_TEST

/* ---- exit statuses ---- */

START_TEST(test_full_disk_is_ioerr)
{
	const char *md = fixture_maildir("dkim", "md");
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s --keys %s --now " NOW " --json %s >/dev/full 2>/dev/null",
		 getenv("ARCVERIFY_BIN") ? getenv("ARCVERIFY_BIN") : "./arcverify", zone, md);
	int st = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(st), EXIT_IOERR);
	/* one message (the output fits in the stdio buffer): the final flush is checked too */
	snprintf(cmd, sizeof cmd, "%s --keys %s --now " NOW " %s/dkim/canon-relaxed-relaxed.eml >/dev/full 2>/dev/null",
		 getenv("ARCVERIFY_BIN") ? getenv("ARCVERIFY_BIN") : "./arcverify", zone, fixture_testdata());
	st = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(st), EXIT_IOERR);
	/* --help fills the stdio buffer part way: the failed write is seen at the end too */
	snprintf(cmd, sizeof cmd, "%s --help >/dev/full 2>/dev/null", getenv("ARCVERIFY_BIN") ? getenv("ARCVERIFY_BIN")
											   : "./arcverify");
	st = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(st), EXIT_IOERR);
}
END_TEST

START_TEST(test_bundle_takes_one_message)
{
	const char *md = fixture_maildir("dkim", "md");
	char dir[256];
	snprintf(dir, sizeof dir, "%s/bundle", tmp);
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "--bundle", dir, md, NULL };
	struct buf out, err;
	ck_assert_int_eq(run(argv, &out, &err), EXIT_USAGE);
	ck_assert_msg(strstr(err.data, "--bundle takes one message"), "%s", err.data);
	struct stat st;
	ck_assert_int_ne(stat(dir, &st), 0);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

START_TEST(test_one_line_per_message)
{
	const char *md = fixture_maildir("dkim", "md");
	const char *argv[] = { "arcverify", "--keys", zone, "--now", NOW, "--no-summary", md, NULL };
	struct buf out;
	run(argv, &out, NULL);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "ls '%s/cur' | wc -l", md);
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	ck_assert(fscanf(p, "%zu", &n) == 1);
	pclose(p);
	ck_assert_uint_eq(count_char(out.data, '\n'), n);
	ck_assert_msg(strstr(out.data, "fail      ") && strstr(out.data, "dkim=fail(body-hash-mismatch)"), "%s",
		      out.data);
	buf_free(&out);
}
END_TEST

/* ---- keys over DNS: the read-ahead, failures that overlap, the figures ---- */

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Every key of the DKIM fixtures through a server that answers after 300 ms:
 * the reader requests them all ahead, so the run takes about one delay, not
 * one per message (a generous bound: half of the serial time), the results
 * equal those with --keys, and --summary-json carries the DNS figures.
 */
START_TEST(test_dns_read_ahead)
{
	const char *md = fixture_maildir("dkim", "md");
	const char *zones[] = { zone };
	struct dnstest t = { 0 };
	char err[300], sum[256];
	struct dnstest_opts so = { .zone_files = zones, .nzone_files = 1, .delay_ms = 300 };
	ck_assert_msg(dnstest_serve(&t, &so, err, sizeof err) == 0, "%s", err);
	snprintf(sum, sizeof sum, "%s/sum.json", tmp);
	const char *dns[] = { "arcverify", "--dns-server", t.server, "--now", NOW, "--json", "-j2", "--summary-json",
			      sum, md, NULL };
	const char *keys[] = { "arcverify", "--keys", zone, "--now", NOW, "--json", "-j2", md, NULL };
	struct buf a, b;
	int64_t t0 = wall_ms();
	int s_dns = run(dns, &a, NULL);
	int64_t took = wall_ms() - t0;
	int s_keys = run(keys, &b, NULL);
	unsigned long names = dnstest_queries(&t);
	dnstest_stop(&t);
	ck_assert_int_eq(s_dns, s_keys);
	ck_assert_msg(strstr(a.data, "\"source\":\"dns\"") != NULL, "the keys came from DNS");
	size_t msgs = count_char(b.data, '\n');
	ck_assert_uint_gt(msgs, 40);
	ck_assert_msg(took < (int64_t)(msgs * 300 / 2), "%zu messages over a 300 ms server took %lld ms", msgs,
		      (long long)took);
	struct jsonin v;
	read_json_file(sum, &v);
	ck_assert_msg(get_path(&v, "dns", "queries") != NULL, "--summary-json has the DNS figures");
	/* the server counts each query that came back over TCP after truncation twice */
	ck_assert_uint_eq((unsigned long)(number_at(&v, "dns", "queries") + number_at(&v, "dns", "tcp")), names);
	ck_assert(number_at(&v, "dns", "cache_hits") > 0);
	ck_assert(number_at(&v, "dns", "max_in_flight") > 1);
	ck_assert_uint_gt(get_path(&v, "dns", "slowest")->n, 0);
	jsonin_free(&v);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

/* Keys that all time out: the waits overlap (read ahead, in flight together), and -v reports them. */
START_TEST(test_dns_timeouts_overlap)
{
	const char *md = fixture_maildir("dkim", "md");
	struct dnstest t = { 0 };
	char err[300];
	const char *faults[] = { "*=drop" };
	struct dnstest_opts so = { .faults = faults, .nfaults = 1 };
	ck_assert_msg(dnstest_serve(&t, &so, err, sizeof err) == 0, "%s", err);
	const char *argv[] = { "arcverify", "--dns-server", t.server, "--dns-timeout", "2", "--now", NOW, "-v", md, NULL };
	struct buf out;
	int64_t t0 = wall_ms();
	int status = run(argv, &out, NULL);
	int64_t took = wall_ms() - t0;
	dnstest_stop(&t);
	ck_assert_int_eq(status, EXIT_VERIFY_FAIL);   /* the fixtures' malformed signatures fail without a key */
	ck_assert_msg(strstr(out.data, "temperror") != NULL, "the others are temperrors");
	ck_assert_msg(took < 10000, "every key timed out after 2 s, together: %lld ms", (long long)took);
	ck_assert_msg(strstr(out.data, "DNS: ") && strstr(out.data, " timed out") && strstr(out.data, "slowest  1:"),
		      "-v on a batch reports the DNS figures");
	buf_free(&out);
}
END_TEST

/*
 * More messages than the read-ahead covers, every key slow: the window of
 * finished results is larger than the read-ahead, and neither may wait for
 * the other (a deadlock here once).
 */
START_TEST(test_dns_batch_longer_than_read_ahead)
{
	char md[96], cmd[2048];
	snprintf(md, sizeof md, "%s/many", tmp);
	snprintf(cmd, sizeof cmd, "mkdir -p %s/cur %s/new && for i in $(seq 1 %d); do ln %s/dkim/canon-relaxed-relaxed.eml "
		 "%s/cur/$i 2>/dev/null || cp %s/dkim/canon-relaxed-relaxed.eml %s/cur/$i; done", md, md,
		 ENGINE_READ_AHEAD + ENGINE_READ_AHEAD / 2, fixture_testdata(), md, fixture_testdata(), md);
	ck_assert_int_eq(system(cmd), 0);
	const char *zones[] = { zone };
	struct dnstest t = { 0 };
	char err[300];
	struct dnstest_opts so = { .zone_files = zones, .nzone_files = 1, .delay_ms = 200 };
	ck_assert_msg(dnstest_serve(&t, &so, err, sizeof err) == 0, "%s", err);
	const char *argv[] = { "arcverify", "--dns-server", t.server, "--now", NOW, "--json", "-j2", md, NULL };
	struct buf out;
	ck_assert_int_eq(run(argv, &out, NULL), 0);
	dnstest_stop(&t);
	ck_assert_uint_eq(count_char(out.data, '\n'), ENGINE_READ_AHEAD + ENGINE_READ_AHEAD / 2);
	buf_free(&out);
}
END_TEST

/* A --keys file that does not parse is a configuration error (EX_CONFIG) naming file and line. */
START_TEST(test_zone_syntax_is_config)
{
	char bad[256];
	snprintf(bad, sizeof bad, "%s/bad.zone", tmp);
	ck_assert_int_eq(buf_write_file(bad, "sel._domainkey.example.com. IN MX 10 mx\nx IN BOGUS y\n", 52, NULL, 0), 0);
	char eml[512];
	snprintf(eml, sizeof eml, "%s/dkim/canon-relaxed-relaxed.eml", fixture_testdata());
	const char *argv[] = { "arcverify", "--keys", bad, eml, NULL };
	struct buf out, err;
	ck_assert_int_eq(run(argv, &out, &err), EXIT_CONFIG);
	ck_assert_msg(strstr(err.data, "bad.zone:2"), "the error names file and line: %s", err.data);
	buf_free(&out);
	buf_free(&err);
	const char *missing[] = { "arcverify", "--keys", "/nonexistent/keys.zone", eml, NULL };
	ck_assert_int_eq(run(missing, &out, &err), EXIT_NOINPUT);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

Suite *batch_suite(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("batch");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jobs_identical);
	tcase_add_test(tc, test_unreadable_in_the_middle);
	tcase_add_test(tc, test_files_from_nul_on_stdin);
	tcase_add_test(tc, test_mbox_on_the_command_line);
	tcase_add_test(tc, test_summary_matches_expectations);
	tcase_add_test(tc, test_summarize_shards);
	tcase_add_test(tc, test_summarize_bad_record);
	tcase_add_test(tc, test_summary_beside_json);
	tcase_add_test(tc, test_progress_only_on_a_terminal);
	tcase_add_test(tc, test_full_disk_is_ioerr);
	tcase_add_test(tc, test_bundle_takes_one_message);
	tcase_add_test(tc, test_one_line_per_message);
	tcase_add_test(tc, test_dns_read_ahead);
	tcase_add_test(tc, test_dns_timeouts_overlap);
	tcase_add_test(tc, test_dns_batch_longer_than_read_ahead);
	tcase_add_test(tc, test_zone_syntax_is_config);
	suite_add_tcase(s, tc);
	return s;
}
