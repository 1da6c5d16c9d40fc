/*
 * Evidence on disk: --dump-canon files hash to the computed body hash, an
 * evidence bundle re-verifies offline to the same results, --redact leaves no
 * message text behind, and a key history (dated records) says which key
 * verified and that the key changed since.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "bundle.h"
#include "dnstest.h"
#include "fixture.h"
#include "hash.h"
#include "runmsg.h"
#include "suites.h"

static char zone[512], arczone[512];

static void paths(void)
{
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
}

static const char *fixture_path_of(const char *rel)
{
	static char path[600];
	snprintf(path, sizeof path, "%s/%s", fixture_testdata(), rel);
	return path;
}

static void make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/arcverify-evidence-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void file_in(const char *dir, const char *name, struct buf *out)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_msg(fixture_read_file(path, out) == 0, "%s is missing", path);
}

static int exists(const char *dir, const char *name)
{
	char path[700];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void sha256_b64(const struct buf *b, char *out, size_t outlen)
{
	unsigned char d[32];
	unsigned n = 0;
	ck_assert_int_eq(hash_digest(HASH_SHA256, b->data, b->len, d, &n), 0);
	ck_assert_int_eq(b64_encode_to(d, n, out, outlen), 0);
}

/* Two signatures with the same c=, hash and l= share one body file; it hashes to bh=. */
START_TEST(test_dump_canon_matches_bh)
{
	char dir[64], eml[512];
	make_tmpdir(dir, sizeof dir);
	snprintf(eml, sizeof eml, "%s/dkim/body-nobody-simple.eml", fixture_testdata());
	struct buf out, body, header;
	const char *argv[] = { "arcverify", "--keys", zone, "--now", "1764003600", "--dump-canon", dir, eml, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, NULL, NULL), 0);
	file_in(dir, "body-nobody-simple.eml.dkim1.body", &body);
	ck_assert_int_eq(body.len, 2); /* RFC 6376 §3.4.3: an empty body is one CRLF under simple */
	char b64[64];
	sha256_b64(&body, b64, sizeof b64);
	ck_assert_str_eq(b64, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	file_in(dir, "body-nobody-simple.eml.dkim1.header", &header);
	ck_assert_msg(strncmp(header.data, "From: ", 6) == 0, "%s", header.data);
	ck_assert_msg(header.len > 3 && memcmp(header.data + header.len - 2, "b=", 2) == 0, "header data ends with b=");
	buf_free(&out);
	buf_free(&body);
	buf_free(&header);
	remove_dir(dir);
}
END_TEST

START_TEST(test_dump_canon_arc_and_l)
{
	char dir[64], eml[512];
	make_tmpdir(dir, sizeof dir);
	snprintf(eml, sizeof eml, "%s/dkim/length-footer-appended.eml", fixture_testdata());
	struct buf out, body;
	const char *argv[] = { "arcverify", "--json", "--keys", zone, "--now", "1764003600", "--dump-canon", dir, eml, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, NULL, NULL), 0);
	file_in(dir, "length-footer-appended.eml.dkim1.body", &body);
	/* the file holds exactly the l= bytes that were hashed, and they hash to the computed bh */
	char b64[64], want[128];
	sha256_b64(&body, b64, sizeof b64);
	snprintf(want, sizeof want, "\"computed\":\"%s\"", b64);
	ck_assert_msg(strstr(out.data, want), "dumped body hashes to %s, not the computed bh", b64);
	char lval[64];
	snprintf(lval, sizeof lval, "\"l\":%zu", body.len);
	ck_assert_msg(strstr(out.data, lval), "body file has %zu bytes, not l=", body.len);
	buf_free(&out);
	buf_free(&body);
	remove_dir(dir);
}
END_TEST

/*
 * A relaxed body hash computed from its simple twin (RFC 6376 §3.4.3/§3.4.4,
 * the registry's pairing) still shows every byte it hashed: each dumped body
 * hashes to its bh=. whitespace.sent has a simple and a relaxed DKIM-Signature
 * over a body relaxed leaves alone (the two never part before the end);
 * chain-2hop's simple AMS 1 and relaxed DKIM-Signature and AMS 2 part at once.
 */
static const struct {
	const char *eml, *bodies[3];
} twin_dumps[] = {
	{ "compare/whitespace.sent.eml", { "whitespace.sent.eml.dkim1.body", "whitespace.sent.eml.dkim2.body" } },
	{ "arc/chain-2hop.eml",
	  { "chain-2hop.eml.ams1.body", "chain-2hop.eml.ams2.body", "chain-2hop.eml.dkim1.body" } },
};

START_TEST(test_dump_canon_simple_and_relaxed)
{
	char dir[64], eml[512];
	make_tmpdir(dir, sizeof dir);
	snprintf(eml, sizeof eml, "%s/%s", fixture_testdata(), twin_dumps[_i].eml);
	struct buf out, body;
	const char *argv[] = { "arcverify", "--json", "--keys", zone, "--keys", arczone, "--now", "1764003600",
			       "--dump-canon", dir, eml, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, NULL, NULL), 0);
	for (size_t i = 0; i < 3 && twin_dumps[_i].bodies[i]; i++) {
		const char *name = twin_dumps[_i].bodies[i];
		file_in(dir, name, &body);
		ck_assert_msg(body.len > 0, "%s is empty", name);
		char b64[64], want[128];
		sha256_b64(&body, b64, sizeof b64);
		snprintf(want, sizeof want, "\"expected\":\"%s\"", b64);
		ck_assert_msg(strstr(out.data, want), "%s hashes to %s, which is no bh= of the message", name, b64);
		buf_free(&body);
	}
	buf_free(&out);
	remove_dir(dir);
}
END_TEST

/*
 * Every value of the result JSON except provenance (file name, key source and
 * origin, TTL, AD bit, which truthfully differ between DNS and a key file), in
 * order: the verdicts, reasons, tags, hashes, keys and chain facts.
 */
static void verdicts_of(const char *json, struct buf *out)
{
	buf_init(out, 1 << 20);
	static const char *const keys[] = {
		"\"result\":", "\"reason\":", "\"computed\":", "\"expected\":", "\"match\":", "\"oldest_pass\":",
		"\"instance\":", "\"cv\":", "\"d\":", "\"s\":", "\"a\":", "\"c\":", "\"bits\":", "\"spki_sha256\":",
		"\"signature_verifies\":", "\"record_used\":", "\"forensics\":", "\"said\":", "\"ours\":", "\"code\":",
	};
	for (const char *p = json; *p; p++) {
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			size_t n = strlen(keys[k]);
			if (strncmp(p, keys[k], n) != 0)
				continue;
			const char *v = p + n, *end = v;
			if (*end == '"')
				for (end++; *end && !(*end == '"' && end[-1] != '\\'); end++)
					;
			else
				while (*end && *end != ',' && *end != '}')
					end++;
			buf_append(out, keys[k], n);
			buf_append(out, v, (size_t)(end - v) + (*end == '"'));
			buf_append_byte(out, '\n');
		}
	}
}

/* A bundle made while the keys come from DNS re-verifies offline, from the bundle alone, to the same results. */
START_TEST(test_bundle_reverifies_offline)
{
	struct dnstest dns = { 0 };
	char err[300], dir[64], eml[512], bundle_eml[700], bundle_zone[700];
	const char *zones[] = { zone, arczone };
	ck_assert_msg(dnstest_start_zone(&dns, zones, access(arczone, R_OK) == 0 ? 2 : 1, err, sizeof err) == 0, "%s", err);
	make_tmpdir(dir, sizeof dir);
	snprintf(eml, sizeof eml, "%s/arc/list-footer.eml", fixture_testdata());
	if (access(eml, R_OK) != 0)
		snprintf(eml, sizeof eml, "%s/dkim/two-sigs-one-fails.eml", fixture_testdata());
	struct buf live, offline, a, b, json, zonetext, report;
	const char *argv[] = { "arcverify", "--json", "--dns-server", dns.server, "--now", "1764003600", "--bundle", dir,
			       eml, NULL };
	int live_status = fixture_exec(argv, &live, NULL, NULL);
	dnstest_stop(&dns); /* the keys "rotate": nothing answers any more */
	snprintf(bundle_eml, sizeof bundle_eml, "%s/message.eml", dir);
	snprintf(bundle_zone, sizeof bundle_zone, "%s/keys.zone", dir);
	const char *again[] = { "arcverify", "--json", "--explain", "--keys", bundle_zone, "--now", "1764003600", bundle_eml,
				NULL };
	ck_assert_int_eq(fixture_exec(again, &offline, NULL, NULL), live_status);
	verdicts_of(live.data, &a);
	verdicts_of(offline.data, &b);
	ck_assert_msg(a.len > 40, "no verdicts in %s", live.data);
	ck_assert_msg(strcmp(a.data, b.data) == 0, "the offline run differs from the live one");
	/* result.json is the live JSON; the message is byte-identical */
	file_in(dir, "result.json", &json);
	ck_assert_str_eq(json.data, live.data);
	struct buf orig, copy;
	ck_assert_int_eq(fixture_read_file(eml, &orig), 0);
	file_in(dir, "message.eml", &copy);
	ck_assert(orig.len == copy.len && memcmp(orig.data, copy.data, orig.len) == 0);
	file_in(dir, "keys.zone", &zonetext);
	ck_assert_ptr_nonnull(strstr(zonetext.data, "from DNS server 127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(zonetext.data, "TTL "));
	ck_assert_ptr_nonnull(strstr(zonetext.data, "AD bit"));
	ck_assert_ptr_nonnull(strstr(zonetext.data, "SPKI SHA-256 "));
	file_in(dir, "report.md", &report);
	ck_assert_ptr_nonnull(strstr(report.data, "arcverify --keys keys.zone --now 1764003600 --explain message.eml"));
	ck_assert_ptr_nonnull(strstr(report.data, "OpenSSL"));
	ck_assert_ptr_nonnull(strstr(report.data, "| result |"));
	buf_free(&live);
	buf_free(&offline);
	buf_free(&a);
	buf_free(&b);
	buf_free(&json);
	buf_free(&orig);
	buf_free(&copy);
	buf_free(&zonetext);
	buf_free(&report);
	remove_dir(dir);
}
END_TEST

START_TEST(test_bundle_redacted)
{
	char dir[64], eml[512];
	make_tmpdir(dir, sizeof dir);
	snprintf(eml, sizeof eml, "%s/dkim/fail-body-modified.eml", fixture_testdata());
	struct buf out, original, report, json, structure;
	const char *argv[] = { "arcverify", "--keys", zone, "--now", "1764003600", "--bundle", dir, "--redact", eml, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, NULL, NULL), 1);
	ck_assert(!exists(dir, "message.eml"));
	file_in(dir, "structure.txt", &structure);
	file_in(dir, "report.md", &report);
	file_in(dir, "result.json", &json);
	ck_assert_int_eq(fixture_read_file(eml, &original), 0);
	/* no line of the message body or of the Subject value appears anywhere in the bundle */
	const char *body = strstr(original.data, "\r\n\r\n") + 4;
	char line[64];
	snprintf(line, sizeof line, "%.*s", (int)strcspn(body, "\r"), body);
	ck_assert_msg(strlen(line) > 8, "test needs a body line");
	const char *subject = strstr(original.data, "Subject: ") + 9;
	char subj[64];
	snprintf(subj, sizeof subj, "%.*s", (int)strcspn(subject, "\r"), subject);
	const struct buf *files[] = { &structure, &report, &json };
	for (size_t i = 0; i < 3; i++) {
		ck_assert_msg(!strstr(files[i]->data, line), "body text leaked into file %zu", i);
		ck_assert_msg(!strstr(files[i]->data, subj), "Subject leaked into file %zu", i);
	}
	ck_assert_ptr_nonnull(strstr(structure.data, "Subject"));
	ck_assert_ptr_nonnull(strstr(structure.data, "SHA-256"));
	ck_assert_ptr_nonnull(strstr(json.data, "\"file\":\"(redacted)\""));
	buf_free(&out);
	buf_free(&original);
	buf_free(&report);
	buf_free(&json);
	buf_free(&structure);
	remove_dir(dir);
}
END_TEST

/* --keys with dated records for one name: each is tried; the reason says which verified and that it changed. */
START_TEST(test_key_history)
{
	char dir[64], hist[700], eml[512];
	make_tmpdir(dir, sizeof dir);
	snprintf(hist, sizeof hist, "%s/history.zone", dir);
	snprintf(eml, sizeof eml, "%s/dkim/canon-relaxed-relaxed.eml", fixture_testdata());
	struct buf keys;
	ck_assert_int_eq(fixture_read_file(zone, &keys), 0);
	const char *r2048 = strstr(keys.data, "\nrsa2048._domainkey.example.com.");
	const char *r1024 = strstr(keys.data, "\nrsa1024._domainkey.example.com.");
	ck_assert(r2048 && r1024);
	FILE *f = fopen(hist, "w");
	ck_assert_ptr_nonnull(f);
	/* an older key, the key the message was signed with, and the key that replaced it */
	fprintf(f, "; valid: 2025-01-01\nrsa2048._domainkey.example.com.%.*s\n", (int)strcspn(r1024 + 32, "\n"), r1024 + 32);
	fprintf(f, "; valid: 2025-11-01\n%.*s\n", (int)strcspn(r2048 + 1, "\n"), r2048 + 1);
	fprintf(f, "; valid: 2026-06-01\nrsa2048._domainkey.example.com.%.*s\n", (int)strcspn(r1024 + 32, "\n"), r1024 + 32);
	fclose(f);
	struct buf out;
	const char *argv[] = { "arcverify", "--keys", hist, "--now", "1764003600", eml, NULL };
	ck_assert_int_eq(fixture_exec(argv, &out, NULL, NULL), 0);
	ck_assert_msg(strstr(out.data, "record 2 valid 2025-11-01 verified"), "%s", out.data);
	ck_assert_msg(strstr(out.data, "the key has changed since"), "%s", out.data);
	buf_free(&out);
	buf_free(&keys);
	remove_dir(dir);
}
END_TEST

START_TEST(test_evidence_usage)
{
	struct buf out;
	const char *redact[] = { "arcverify", "--redact", "x.eml", NULL };
	ck_assert_int_eq(fixture_exec(redact, &out, NULL, NULL), 64);
	buf_free(&out);
	const char *two[] = { "arcverify", "--bundle", "/tmp/x", "a.eml", "b.eml", NULL };
	ck_assert_int_eq(fixture_exec(two, &out, NULL, NULL), 64);
	buf_free(&out);
	const char *force[] = { "arcverify", "--force", "x.eml", NULL };
	ck_assert_int_eq(fixture_exec(force, &out, NULL, NULL), 64);
	buf_free(&out);
}
END_TEST

/* ---- evidence never leaks or lies: --bundle into a fresh directory, --dump-canon never overwrites ---- */

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Entries of dir whose name starts with prefix (temporary bundle directories beside a target). */
static size_t count_prefixed(const char *dir, const char *prefix)
{
	char cmd[800];
	snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '^%s' > /tmp/arcverify-count-%d", dir, prefix, (int)getpid());
	if (system(cmd) < 0)
		return 99;
	char path[64];
	snprintf(path, sizeof path, "/tmp/arcverify-count-%d", (int)getpid());
	struct buf b;
	ck_assert_int_eq(fixture_read_file(path, &b), 0);
	size_t n = strtoul(b.data, NULL, 10);
	buf_free(&b);
	unlink(path);
	return n;
}

static int run_bundle(const char *dir, const char *eml, int redact, int force, struct buf *err)
{
	const char *argv[12];
	int n = 0;
	argv[n++] = "arcverify";
	argv[n++] = "--keys";
	argv[n++] = zone;
	argv[n++] = "--now";
	argv[n++] = "1764003600";
	argv[n++] = "--bundle";
	argv[n++] = dir;
	if (redact)
		argv[n++] = "--redact";
	if (force)
		argv[n++] = "--force";
	argv[n++] = eml;
	argv[n] = NULL;
	struct buf out;
	int status = fixture_exec(argv, &out, err, NULL);
	buf_free(&out);
	return status;
}

/* A directory that holds anything is refused, and left exactly as it was. */
START_TEST(test_bundle_refuses_nonempty_dir)
{
	char parent[64], dir[128], eml[512];
	make_tmpdir(parent, sizeof parent);
	snprintf(dir, sizeof dir, "%s/evidence", parent);
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	put_file(dir, "notes.txt", "mine\n");
	snprintf(eml, sizeof eml, "%s/dkim/fail-body-modified.eml", fixture_testdata());
	struct buf err, notes;
	ck_assert_int_ne(run_bundle(dir, eml, 0, 0, &err), 0);
	ck_assert_msg(strstr(err.data, "not empty"), "%s", err.data);
	ck_assert(!exists(dir, "message.eml") && !exists(dir, "report.md"));
	file_in(dir, "notes.txt", &notes);
	ck_assert_str_eq(notes.data, "mine\n");
	buf_free(&err);
	/* --force replaces only a previous bundle: this is not one */
	ck_assert_int_ne(run_bundle(dir, eml, 0, 1, &err), 0);
	ck_assert_msg(strstr(err.data, "notes.txt"), "the refusal names the foreign file: %s", err.data);
	ck_assert(!exists(dir, "message.eml"));
	ck_assert_msg(count_prefixed(parent, ".evidence") == 0, "a temporary directory was left beside the target");
	buf_free(&err);
	buf_free(&notes);
	remove_dir(parent);
}
END_TEST

/* A redacted bundle written over a full one (with --force) holds no message text: no old message.eml. */
START_TEST(test_bundle_force_replaces_previous_bundle)
{
	char parent[64], dir[128], eml[512];
	make_tmpdir(parent, sizeof parent);
	snprintf(dir, sizeof dir, "%s/evidence/", parent);   /* a trailing slash is the same directory */
	snprintf(eml, sizeof eml, "%s/dkim/fail-body-modified.eml", fixture_testdata());
	struct buf err;
	ck_assert_int_eq(run_bundle(dir, eml, 0, 0, &err), 1);
	buf_free(&err);
	ck_assert(exists(dir, "message.eml"));
	/* without --force, even a previous bundle is kept */
	ck_assert_int_ne(run_bundle(dir, eml, 1, 0, &err), 1);
	ck_assert_msg(strstr(err.data, "--force"), "the refusal names --force: %s", err.data);
	ck_assert(exists(dir, "message.eml") && !exists(dir, "structure.txt"));
	buf_free(&err);
	ck_assert_int_eq(run_bundle(dir, eml, 1, 1, &err), 1);
	buf_free(&err);
	ck_assert_msg(!exists(dir, "message.eml"), "the old message.eml survived in a redacted bundle");
	ck_assert(exists(dir, "structure.txt") && exists(dir, "report.md") && exists(dir, "result.json"));
	struct buf json;
	file_in(dir, "result.json", &json);
	ck_assert_ptr_nonnull(strstr(json.data, "\"file\":\"(redacted)\""));
	ck_assert_msg(count_prefixed(parent, ".evidence") == 0, "a temporary directory was left beside the target");
	buf_free(&json);
	remove_dir(parent);
}
END_TEST

/* An empty directory (made by mkdtemp, say) is fine; the bundle appears whole, never half. */
START_TEST(test_bundle_into_empty_dir_and_no_half_bundle)
{
	char parent[64], dir[128];
	make_tmpdir(parent, sizeof parent);
	snprintf(dir, sizeof dir, "%s/evidence", parent);
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	struct runmsg m;
	runmsg_start(&m, fixture_path_of("dkim/fail-body-modified.eml"), NULL, 0, 1764003600, NULL);
	struct report_opts ro = { .format = REPORT_JSON, .show_dkim = 1, .show_arc = 1 };
	struct bundle_opts bo = { dir, 0, &(struct run_opts){ .policy = { .min_key_bits = 1024 }, .do_dkim = 1, .do_arc = 1 },
				  &ro, 0 };
	struct report_input in = { m.r, NULL, NULL, NULL, NULL };
	char err[300];
	/* the message cannot be read again: the bundle fails after it started writing */
	FILE *unreadable = fopen("/dev/null", "w");
	ck_assert_int_eq(bundle_write(&bo, &in, unreadable, 0, err, sizeof err), -1);
	fclose(unreadable);
	ck_assert_msg(!exists(dir, "message.eml") && !exists(dir, "keys.zone"), "a half bundle was left");
	ck_assert_msg(count_prefixed(parent, ".evidence") == 0, "the temporary directory was left");
	FILE *msg = fopen(fixture_path_of("dkim/fail-body-modified.eml"), "rb");
	ck_assert_msg(bundle_write(&bo, &in, msg, 0, err, sizeof err) == 0, "%s", err);
	fclose(msg);
	ck_assert(exists(dir, "message.eml") && exists(dir, "keys.zone") && exists(dir, "report.md"));
	runmsg_finish(&m);
	remove_dir(parent);
}
END_TEST

/* Text in report.md and keys.zone comments comes out printable: a file name cannot end a zone
 * comment line or send escape sequences. */
START_TEST(test_bundle_text_printable)
{
	char parent[64], dir[128], eml[256];
	make_tmpdir(parent, sizeof parent);
	snprintf(dir, sizeof dir, "%s/evidence", parent);
	snprintf(eml, sizeof eml, "%s/x\nevil._domainkey.example.com. IN TXT \"p=\"\x1b[2J\xe2\x80\xae.eml", parent);
	struct buf orig;
	ck_assert_int_eq(fixture_read_file(fixture_path_of("dkim/canon-relaxed-relaxed.eml"), &orig), 0);
	FILE *f = fopen(eml, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(orig.data, 1, orig.len, f);
	fclose(f);
	struct buf err, report, keys;
	ck_assert_int_eq(run_bundle(dir, eml, 0, 0, &err), 0);
	file_in(dir, "report.md", &report);
	file_in(dir, "keys.zone", &keys);
	ck_assert_msg(fixture_find_raw_control(report.data, report.len) < 0, "raw control in report.md");
	ck_assert_msg(fixture_find_raw_control(keys.data, keys.len) < 0, "raw control in keys.zone");
	ck_assert_msg(!strstr(keys.data, "\nevil._domainkey"), "the file name added a record to keys.zone");
	buf_free(&err);
	buf_free(&report);
	buf_free(&keys);
	buf_free(&orig);
	remove_dir(parent);
}
END_TEST

/* out gets standard output and error together: a refusal is a problem of the tool, said on stderr */
static int run_dump(const char *dir, const char *eml, int force, struct buf *out)
{
	const char *argv[] = { "arcverify", "--keys", zone, "--now", "1764003600", "--dump-canon", dir, eml,
			       force ? "--force" : NULL, NULL };
	struct buf err;
	int status = fixture_exec(argv, out, &err, NULL);
	buf_append(out, err.data, err.len);
	buf_free(&err);
	return status;
}

/* --dump-canon never overwrites a file unless --force, and never writes through a symbolic link. */
START_TEST(test_dump_canon_no_overwrite)
{
	char dir[64], eml[512], victim[128];
	make_tmpdir(dir, sizeof dir);
	snprintf(eml, sizeof eml, "%s/dkim/body-nobody-simple.eml", fixture_testdata());
	struct buf out, body;
	ck_assert_int_eq(run_dump(dir, eml, 0, &out), 0);
	buf_free(&out);
	put_file(dir, "body-nobody-simple.eml.dkim1.header", "keep me\n");
	ck_assert_int_eq(run_dump(dir, eml, 0, &out), 73);   /* EX_CANTCREAT */
	ck_assert_msg(strstr(out.data, "body-nobody-simple.eml.dkim1.header") && strstr(out.data, "--force"),
		      "the refusal names the file and --force: %s", out.data);
	buf_free(&out);
	file_in(dir, "body-nobody-simple.eml.dkim1.header", &body);
	ck_assert_str_eq(body.data, "keep me\n");
	buf_free(&body);
	/* a symbolic link planted at a dump name: refused, and with --force replaced, not followed */
	snprintf(victim, sizeof victim, "%s/victim", dir);
	put_file(dir, "victim", "precious\n");
	char link_path[200];
	snprintf(link_path, sizeof link_path, "%s/body-nobody-simple.eml.dkim1.body", dir);
	unlink(link_path);
	ck_assert_int_eq(symlink(victim, link_path), 0);
	ck_assert_int_eq(run_dump(dir, eml, 1, &out), 0);
	ck_assert_msg(!strstr(out.data, "error"), "--force: %s", out.data);
	buf_free(&out);
	file_in(dir, "victim", &body);
	ck_assert_str_eq(body.data, "precious\n");
	buf_free(&body);
	file_in(dir, "body-nobody-simple.eml.dkim1.body", &body);
	ck_assert_int_eq(body.len, 2);   /* the dump, not the victim */
	buf_free(&body);
	file_in(dir, "body-nobody-simple.eml.dkim1.header", &body);
	ck_assert_msg(strncmp(body.data, "From: ", 6) == 0, "--force replaced the header file");
	buf_free(&body);
	remove_dir(dir);
}
END_TEST

Suite *bundle_suite(void)
{
	paths();
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("files");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dump_canon_matches_bh);
	tcase_add_test(tc, test_dump_canon_arc_and_l);
	tcase_add_loop_test(tc, test_dump_canon_simple_and_relaxed, 0, (int)(sizeof twin_dumps / sizeof twin_dumps[0]));
	tcase_add_test(tc, test_bundle_reverifies_offline);
	tcase_add_test(tc, test_bundle_redacted);
	tcase_add_test(tc, test_key_history);
	tcase_add_test(tc, test_evidence_usage);
	tcase_add_test(tc, test_bundle_refuses_nonempty_dir);
	tcase_add_test(tc, test_bundle_force_replaces_previous_bundle);
	tcase_add_test(tc, test_bundle_into_empty_dir_and_no_half_bundle);
	tcase_add_test(tc, test_bundle_text_printable);
	tcase_add_test(tc, test_dump_canon_no_overwrite);
	suite_add_tcase(s, tc);
	return s;
}
