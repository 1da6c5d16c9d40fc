/*
 * bad: the hostile-input catalogue (testdata/bad/, each case documented in its
 * README.md) and the limits of README "Limits". Every committed NAME.eml runs
 * against its NAME.expect with keys-bad.zone and a 16384-bit key made here;
 * the large inputs (100,000 folds, 10,000 DKIM-Signature fields, 10,000 names
 * in one h=, a 20 MB header line) are built at test time from base-signed.eml.
 * Every bound is tried at its value and one past it, and the reason must name
 * the bound. A batch over the whole catalogue reports every message.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "bundle.h"
#include "dkim.h"
#include "engine.h"
#include "fixture.h"
#include "hash.h"
#include "keyrec.h"
#include "lookup.h"
#include "suites.h"
#include "tags.h"
#include "zone.h"

#define BAD_NOW 1764003600

static char bad_names[FIXTURE_MAX][128];
static size_t bad_count;

static const char *bad_dir(void)
{
	static char dir[512];
	snprintf(dir, sizeof dir, "%s/bad", fixture_testdata());
	return dir;
}

/* ---- synthetic RSA public keys of any size (a modulus of `bits` bits; never used to verify) ---- */

static size_t der_len(size_t len, unsigned char *out)
{
	if (len < 0x80) {
		out[0] = (unsigned char)len;
		return 1;
	}
	size_t n = len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;
	out[0] = (unsigned char)(0x80 | n);
	for (size_t i = 0; i < n; i++)
		out[1 + i] = (unsigned char)(len >> (8 * (n - 1 - i)));
	return 1 + n;
}

static void der_put(struct buf *b, unsigned char tag, const void *content, size_t len)
{
	unsigned char hdr[5];
	hdr[0] = tag;
	size_t n = der_len(len, hdr + 1);
	buf_append(b, hdr, 1 + n);
	buf_append(b, content, len);
}

/* base64 of a SubjectPublicKeyInfo holding an RSA modulus of exactly `bits` bits, e = 65537. */
static char *synthetic_rsa_spki_b64(unsigned bits)
{
	size_t nbytes = (bits + 7) / 8;
	unsigned char *mod = malloc(nbytes + 1);
	ck_assert(mod != NULL);
	mod[0] = 0;                                   /* INTEGER sign octet */
	memset(mod + 1, 0xff, nbytes);
	mod[1] = (unsigned char)((1u << ((bits - 1) % 8)) | ((1u << ((bits - 1) % 8)) - 1));
	struct buf ints, rsa, bit, alg, spki, text;
	buf_init(&ints, 1 << 20);
	buf_init(&rsa, 1 << 20);
	buf_init(&bit, 1 << 20);
	buf_init(&alg, 64);
	buf_init(&spki, 1 << 20);
	buf_init(&text, 1 << 20);
	int lead = mod[1] >= 0x80;
	der_put(&ints, 0x02, lead ? mod : mod + 1, nbytes + (size_t)lead);
	der_put(&ints, 0x02, "\x01\x00\x01", 3);
	der_put(&rsa, 0x30, ints.data, ints.len);
	buf_append_byte(&bit, 0);                     /* no unused bits */
	buf_append(&bit, rsa.data, rsa.len);
	static const unsigned char rsa_oid_null[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
	der_put(&alg, 0x30, rsa_oid_null, sizeof rsa_oid_null);
	struct buf body;
	buf_init(&body, 1 << 20);
	buf_append(&body, alg.data, alg.len);
	der_put(&body, 0x03, bit.data, bit.len);
	der_put(&spki, 0x30, body.data, body.len);
	ck_assert_int_eq(b64_encode((const unsigned char *)spki.data, spki.len, &text), 0);
	buf_free(&ints);
	buf_free(&rsa);
	buf_free(&bit);
	buf_free(&alg);
	buf_free(&spki);
	buf_free(&body);
	free(mod);
	return buf_steal(&text);
}

/* A zone file with rsa16384._domainkey.example.com, in a temporary file named into path. */
static void write_rsa16384_zone(char *path, size_t len)
{
	snprintf(path, len, "/tmp/arcverify-bad-zone-XXXXXX");
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	char *p = synthetic_rsa_spki_b64(16384);
	struct buf z;
	buf_init(&z, 1 << 20);
	buf_append_str(&z, "rsa16384._domainkey.example.com. 3600 IN TXT (\n");
	size_t n = strlen(p);
	for (size_t i = 0; i < n + 20; i += 200)
		buf_printf(&z, "\t\"%s%.*s\"\n", i == 0 ? "v=DKIM1; k=rsa; p=" : "", i < n ? (int)(n - i < 200 ? n - i : 200) : 0,
			   i < n ? p + i : "");
	buf_append_str(&z, ")\n");
	ck_assert(write(fd, z.data, z.len) == (ssize_t)z.len);
	close(fd);
	buf_free(&z);
	free(p);
}

/* ---- the committed catalogue ---- */

START_TEST(test_catalogue)
{
	const char *name = bad_names[_i];
	char zone[512], big[128], why[800];
	snprintf(zone, sizeof zone, "%.400s/keys-bad.zone", bad_dir());
	write_rsa16384_zone(big, sizeof big);
	const char *extra[] = { "--keys", zone, "--keys", big };
	int rc = fixture_check(bad_dir(), name, extra, 4, why, sizeof why);
	unlink(big);
	ck_assert_msg(rc == 0, "%s", why);
}
END_TEST

START_TEST(test_readme_lists_every_case)
{
	char path[600];
	struct buf readme;
	snprintf(path, sizeof path, "%s/README.md", bad_dir());
	ck_assert_int_eq(fixture_read_file(path, &readme), 0);
	ck_assert_uint_gt(bad_count, 20);
	for (size_t i = 0; i < bad_count; i++) {
		char want[160];
		snprintf(want, sizeof want, "`%.127s`", bad_names[i]);
		ck_assert_msg(strstr(readme.data, want) != NULL, "testdata/bad/README.md does not document %s", bad_names[i]);
	}
	buf_free(&readme);
}
END_TEST

/* ---- inputs made here from base-signed.eml ---- */

struct made {
	struct input_list list;
	struct engine_result res;
	struct lookup *lk;
};

static struct lookup *catalogue_keys(void)
{
	char a[512], b[512], err[300];
	snprintf(a, sizeof a, "%s/keys.zone", fixture_testdata());
	snprintf(b, sizeof b, "%s/keys-arc.zone", fixture_testdata());
	const char *files[] = { a, b };
	struct lookup *lk = lookup_new_zone(files, 2, NULL, err, sizeof err);
	ck_assert_msg(lk != NULL, "%s", err);
	return lk;
}

/* Verify msg as the tool does; max_signatures 0 is the default (--max-signatures). */
static void run_made_max(struct made *m, const struct buf *msg, unsigned max_signatures)
{
	struct engine_opts eo = { .forensics = 1 };
	eo.run.policy.now = BAD_NOW;
	eo.run.policy.min_key_bits = 1024;
	eo.run.do_dkim = eo.run.do_arc = 1;
	eo.run.max_signatures = max_signatures;
	m->lk = catalogue_keys();
	input_list_init(&m->list);
	ck_assert_int_eq(input_add_bytes(&m->list, "made.eml", msg->data, msg->len, &eo.input), 0);
	engine_message(&m->list, &m->list.items[0], 1, &eo, m->lk, &m->res);
}

static void run_made(struct made *m, const struct buf *msg)
{
	run_made_max(m, msg, 0);
}

static void made_free(struct made *m)
{
	engine_result_free(&m->res);
	input_list_free(&m->list);
	lookup_free(m->lk);
}

static int has_error(const struct run_result *r, const char *text)
{
	for (size_t i = 0; i < r->nerrors; i++)
		if (strstr(r->errors[i], text))
			return 1;
	return 0;
}

/* base-signed.eml with text placed before it (fields "added in transit"). */
static void base_with(struct buf *out, const char *prefix, size_t plen, size_t reserve)
{
	char path[600];
	struct buf base;
	snprintf(path, sizeof path, "%s/base-signed.eml", bad_dir());
	ck_assert_int_eq(fixture_read_file(path, &base), 0);
	buf_init(out, plen + base.len + reserve + 1);
	buf_append(out, prefix, plen);
	buf_append(out, base.data, base.len);
	buf_free(&base);
}

/* The DKIM-Signature field of base-signed.eml, with its CRLF. */
static void base_signature(struct buf *sig)
{
	char path[600];
	struct buf base;
	snprintf(path, sizeof path, "%s/base-signed.eml", bad_dir());
	ck_assert_int_eq(fixture_read_file(path, &base), 0);
	const char *end = base.data;
	do
		end = strstr(end + 1, "\r\n");
	while (end && (end[2] == ' ' || end[2] == '\t'));
	ck_assert(end != NULL && strncmp(base.data, "DKIM-Signature:", 15) == 0);
	buf_init(sig, 1 << 16);
	buf_append(sig, base.data, (size_t)(end + 2 - base.data));
	buf_free(&base);
}

START_TEST(test_fold_100000)
{
	struct buf pre, msg;
	buf_init(&pre, 1 << 22);
	buf_append_str(&pre, "X-Folded: start");
	for (int i = 0; i < 100000; i++)
		buf_append_str(&pre, "\r\n f");
	buf_append_str(&pre, "\r\n");
	base_with(&msg, pre.data, pre.len, 0);
	struct made m;
	run_made(&m, &msg);
	ck_assert_uint_eq(m.res.run.ndkim, 1);
	ck_assert_str_eq(verdict_code_word(m.res.run.dkim[0].v.code), "verified");
	made_free(&m);
	buf_free(&pre);
	buf_free(&msg);
}
END_TEST

/* n copies of the base signature field before the base message: every evaluated one passes. */
static void signatures_max(size_t n, struct made *m, unsigned max)
{
	struct buf sig, pre, msg;
	base_signature(&sig);
	buf_init(&pre, (size_t)1 << 26);
	for (size_t i = 0; i < n; i++)
		buf_append(&pre, sig.data, sig.len);
	base_with(&msg, pre.data, pre.len, 0);
	run_made_max(m, &msg, max);
	buf_free(&sig);
	buf_free(&pre);
	buf_free(&msg);
}

static void signatures(size_t n, struct made *m)
{
	signatures_max(n, m, 0);
}

START_TEST(test_signatures_at_bound)
{
	struct made m;
	signatures(DKIM_SIGS_MAX - 1, &m);   /* plus the base's own: DKIM_SIGS_MAX */
	ck_assert_uint_eq(m.res.run.ndkim, DKIM_SIGS_MAX);
	ck_assert_uint_eq(m.res.run.dkim_ignored, 0);
	ck_assert_uint_eq(m.res.run.nerrors, 0);
	for (size_t i = 0; i < m.res.run.ndkim; i++)
		ck_assert_int_eq(m.res.run.dkim[i].v.result, VERDICT_PASS);
	made_free(&m);
	signatures(DKIM_SIGS_MAX, &m);
	ck_assert_uint_eq(m.res.run.ndkim, DKIM_SIGS_MAX);
	ck_assert_uint_eq(m.res.run.dkim_ignored, 1);
	ck_assert_msg(has_error(&m.res.run, "only the first 64 are evaluated (--max-signatures)"), "the reason names the bound");
	made_free(&m);
	signatures_max(DKIM_SIGS_MAX, &m, DKIM_SIGS_MAX + 1);   /* --max-signatures 65 */
	ck_assert_uint_eq(m.res.run.ndkim, DKIM_SIGS_MAX + 1);
	ck_assert_uint_eq(m.res.run.dkim_ignored, 0);
	ck_assert_int_eq(m.res.run.dkim[DKIM_SIGS_MAX].v.result, VERDICT_PASS);
	made_free(&m);
}
END_TEST

/* --max-key-bits 16384 lets the 16384-bit key through the size check: then b= is checked (and fails). */
START_TEST(test_max_key_bits_option)
{
	char zone[512], big[128], why[800];
	snprintf(zone, sizeof zone, "%.400s/keys-bad.zone", bad_dir());
	write_rsa16384_zone(big, sizeof big);
	const char *extra[] = { "--keys", zone, "--keys", big };
	ck_assert_msg(fixture_check(bad_dir(), "key-rsa16384", extra, 4, why, sizeof why) == 0, "%s", why);
	const char *argv[] = { "arcverify", "--keys", big, "--now", "1764003600", "--max-key-bits", "16384", "--json", NULL, NULL };
	char eml[600];
	snprintf(eml, sizeof eml, "%.400s/key-rsa16384.eml", bad_dir());
	argv[8] = eml;
	struct buf out, err;
	ck_assert_int_eq(fixture_exec(argv, &out, &err, NULL), 1);
	ck_assert_msg(strstr(out.data, "\"code\":\"sig-invalid\"") != NULL, "%s", out.data);
	buf_free(&out);
	buf_free(&err);
	const char *bad[] = { "arcverify", "--max-key-bits", "16385", eml, NULL };
	ck_assert_int_eq(fixture_exec(bad, &out, &err, NULL), 64);
	buf_free(&out);
	buf_free(&err);
	unlink(big);
}
END_TEST

START_TEST(test_signatures_10000)
{
	struct buf pre, msg;
	buf_init(&pre, (size_t)1 << 22);
	for (int i = 0; i < 10000; i++)
		buf_printf(&pre, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa2048; h=from; bh=%04d; b=AAAA\r\n", i);
	base_with(&msg, pre.data, pre.len, 0);
	struct made m;
	run_made(&m, &msg);
	buf_free(&pre);
	buf_free(&msg);
	ck_assert(m.res.run.not_message);   /* read, but past a bound: exit 65 */
	ck_assert_msg(has_error(&m.res.run, "more than 8192 header fields"), "%s", m.res.run.errors[0]);
	made_free(&m);
}
END_TEST

/* A message of exactly `fields` header fields: the base (6 fields) and X-N: fields on top. */
START_TEST(test_field_count_bound)
{
	for (int past = 0; past <= 1; past++) {
		struct buf pre, msg;
		buf_init(&pre, 1 << 20);
		for (size_t i = 0; i < MSG_FIELDS_MAX - 6 + (size_t)past; i++)
			buf_append_str(&pre, "X-N: 1\r\n");
		base_with(&msg, pre.data, pre.len, 0);
		struct made m;
		run_made(&m, &msg);
		if (past) {
			ck_assert(m.res.run.not_message);   /* read, but past a bound: exit 65 */
			ck_assert(has_error(&m.res.run, "more than 8192 header fields"));
		} else {
			ck_assert_uint_eq(m.res.run.msg.nfields, MSG_FIELDS_MAX);
			ck_assert_int_eq(m.res.run.dkim[0].v.result, VERDICT_PASS);
		}
		made_free(&m);
		buf_free(&pre);
		buf_free(&msg);
	}
}
END_TEST

/* A second DKIM-Signature (a copy of the base's) whose h= names n fields. */
static void h_names(size_t n, struct made *m)
{
	struct buf sig, h, pre, msg;
	base_signature(&sig);
	buf_init(&h, 1 << 20);
	for (size_t i = 0; i < n; i++)
		buf_append_str(&h, i ? ":from" : "from");
	char *hv = strstr(sig.data, "h=");
	ck_assert(hv != NULL);
	char *semi = strchr(hv, ';');
	buf_init(&pre, 1 << 20);
	buf_append(&pre, sig.data, (size_t)(hv + 2 - sig.data));
	buf_append(&pre, h.data, h.len);
	buf_append_str(&pre, semi);
	base_with(&msg, pre.data, pre.len, 0);
	run_made(m, &msg);
	buf_free(&sig);
	buf_free(&h);
	buf_free(&pre);
	buf_free(&msg);
}

START_TEST(test_h_names_bound)
{
	struct made m;
	h_names(DKIM_H_MAX, &m);
	ck_assert_uint_eq(m.res.run.ndkim, 2);
	ck_assert_uint_eq(m.res.run.dkim[0].nh, DKIM_H_MAX);
	ck_assert_str_eq(verdict_code_word(m.res.run.dkim[0].v.code), "sig-invalid");  /* h= changed after signing */
	made_free(&m);
	h_names(DKIM_H_MAX + 1, &m);
	ck_assert_str_eq(verdict_code_word(m.res.run.dkim[0].v.code), "bad-h");
	ck_assert_msg(strstr(m.res.run.dkim[0].v.reason, "256") != NULL, "%s", m.res.run.dkim[0].v.reason);
	made_free(&m);
}
END_TEST

START_TEST(test_h_10000_names)
{
	struct made m;
	h_names(10000, &m);
	ck_assert_str_eq(verdict_code_word(m.res.run.dkim[0].v.code), "bad-h");
	ck_assert_str_eq(verdict_code_word(m.res.run.dkim[1].v.code), "verified");
	made_free(&m);
}
END_TEST

/* An X-Pad field that makes the header block exactly `size` bytes. */
static void header_of_size(size_t size, struct buf *msg)
{
	struct buf probe, pre;
	base_with(&probe, "", 0, 0);
	const char *sep = strstr(probe.data, "\r\n\r\n");
	size_t base_header = (size_t)(sep + 2 - probe.data);
	buf_free(&probe);
	size_t pad = size - base_header - strlen("X-Pad: \r\n");
	buf_init(&pre, size + 16);
	buf_append_str(&pre, "X-Pad: ");
	for (size_t i = 0; i < pad; i++)
		buf_append_byte(&pre, 'p');
	buf_append_str(&pre, "\r\n");
	base_with(msg, pre.data, pre.len, 0);
	buf_free(&pre);
}

START_TEST(test_header_block_bound)
{
	for (int past = 0; past <= 1; past++) {
		struct buf msg;
		header_of_size(MSG_HEADER_MAX + (size_t)past, &msg);
		struct made m;
		run_made(&m, &msg);
		if (past) {
			ck_assert(m.res.run.not_message);   /* read, but past a bound: exit 65 */
			ck_assert_msg(has_error(&m.res.run, "header block larger than 4194304 bytes"), "%s", m.res.run.errors[0]);
		} else {
			ck_assert_msg(!m.res.run.input_error, "%s", m.res.run.errors[0]);
			ck_assert_int_eq(m.res.run.dkim[0].v.result, VERDICT_PASS);
		}
		made_free(&m);
		buf_free(&msg);
	}
}
END_TEST

START_TEST(test_header_line_20mb)
{
	struct buf pre, msg;
	buf_init(&pre, (size_t)21 << 20);
	buf_append_str(&pre, "X-Big: ");
	ck_assert_int_eq(buf_reserve(&pre, (size_t)20 << 20), 0);
	memset(pre.data + pre.len, 'b', (size_t)20 << 20);
	pre.len += (size_t)20 << 20;
	buf_append_str(&pre, "\r\n");
	base_with(&msg, pre.data, pre.len, 0);
	struct made m;
	run_made(&m, &msg);
	ck_assert(m.res.run.not_message);   /* read, but past a bound: exit 65 */
	ck_assert(has_error(&m.res.run, "header block larger than 4194304 bytes"));
	made_free(&m);
	buf_free(&pre);
	buf_free(&msg);
}
END_TEST

/* ---- bounds below the message ---- */

START_TEST(test_rsa_key_size_bound)
{
	struct keyrec_policy pol = { .min_rsa_bits = 1024 };
	for (unsigned bits = KEYREC_MAX_RSA_BITS; bits <= KEYREC_MAX_RSA_BITS + 1; bits++) {
		char *p = synthetic_rsa_spki_b64(bits);
		struct buf rec;
		buf_init(&rec, 1 << 16);
		buf_printf(&rec, "v=DKIM1; k=rsa; p=%s", p);
		struct keyrec k;
		struct verdict v = { 0 };
		int rc = keyrec_parse(rec.data, rec.len, KEY_RSA, &pol, &k, &v);
		if (bits == KEYREC_MAX_RSA_BITS) {
			ck_assert_msg(rc == 0, "%u bits: %s", bits, v.reason);
			ck_assert_uint_eq(k.bits, bits);
			keyrec_free(&k);
		} else {
			ck_assert_int_eq(rc, -1);
			ck_assert_int_eq(v.code, VC_KEY_LARGE);
			ck_assert_msg(strstr(v.reason, "8192") != NULL, "%s", v.reason);
		}
		buf_free(&rec);
		free(p);
	}
}
END_TEST

START_TEST(test_txt_record_bound)
{
	for (int past = 0; past <= 1; past++) {
		size_t len = KEYANS_RECORD_MAX + (size_t)past;
		struct buf z;
		buf_init(&z, len * 2 + 200);
		buf_append_str(&z, "big._domainkey.example.com. TXT (");
		char chunk[256];
		memset(chunk, 'x', sizeof chunk);
		for (size_t i = 0; i < len; i += 255)
			buf_printf(&z, " \"%.*s\"", (int)(len - i < 255 ? len - i : 255), chunk);
		buf_append_str(&z, " )\n");
		struct zone *zn = zone_new();
		char err[300] = "";
		int rc = zone_parse(zn, z.data, z.len, "big.zone", err, sizeof err);
		if (past) {
			ck_assert_int_eq(rc, ZONE_SYNTAX);
			ck_assert_msg(strstr(err, "longer than 16384 octets") != NULL, "%s", err);
		} else {
			ck_assert_msg(rc == 0, "%s", err);
			struct keyans a;
			memset(&a, 0, sizeof a);
			zone_answer(zn, "big._domainkey.example.com", &a);
			ck_assert_int_eq(a.status, KEYANS_OK);
			ck_assert_uint_eq(a.records[0].len, KEYANS_RECORD_MAX);
			keyans_clear(&a);
		}
		zone_free(zn);
		buf_free(&z);
	}
}
END_TEST

START_TEST(test_body_hash_bound)
{
	struct hash_registry reg;
	hash_registry_init(&reg);
	for (uint64_t l = 0; l < HASH_BODIES_MAX; l++)
		ck_assert_ptr_nonnull(hash_body_get(&reg, CANON_RELAXED, HASH_SHA256, l, 0));
	ck_assert_ptr_null(hash_body_get(&reg, CANON_RELAXED, HASH_SHA256, HASH_BODIES_MAX, 0));
	ck_assert_ptr_nonnull(hash_body_get(&reg, CANON_RELAXED, HASH_SHA256, 5, 0));   /* shared, not new */
	struct made m;
	struct buf msg;
	base_with(&msg, "", 0, 0);
	run_made(&m, &msg);
	struct dkim_sig *s = &m.res.run.dkim[0];
	s->usable = 1;
	memset(&s->v, 0, sizeof s->v);
	s->l = HASH_BODIES_MAX + 7;   /* a body hash the full registry does not have yet */
	dkim_prepare(s, &reg, m.lk);
	ck_assert_int_eq(s->v.code, VC_LIMIT);
	ck_assert_msg(strstr(s->v.reason, "limit 128") != NULL, "%s", s->v.reason);
	made_free(&m);
	buf_free(&msg);
	hash_registry_free(&reg);
}
END_TEST

START_TEST(test_tag_count_bound)
{
	for (int past = 0; past <= 1; past++) {
		struct buf t;
		buf_init(&t, 4096);
		for (int i = 0; i < TAGS_MAX + past; i++)
			buf_printf(&t, "t%d=v; ", i);
		struct tag_list tl;
		char err[200];
		int rc = tags_parse(slice_make(t.data, t.len), &tl, err, sizeof err);
		ck_assert_int_eq(rc, past ? -1 : 0);
		if (past)
			ck_assert_msg(strstr(err, "too many tags") != NULL, "%s", err);
		buf_free(&t);
	}
}
END_TEST

/* --bundle copies at most BUNDLE_MESSAGE_MAX bytes: a sparse file of that size is bundled, one byte more is not. */
START_TEST(test_bundle_message_bound)
{
	struct made m;
	struct buf msg;
	base_with(&msg, "", 0, 0);
	run_made(&m, &msg);
	struct report_input in = { &m.res.run, &m.res.forensics, &m.res.claims, &m.res.lint, &m.res.diagnosis };
	struct run_opts ro = { .policy = { .now = BAD_NOW, .min_key_bits = 1024 }, .do_dkim = 1, .do_arc = 1 };
	struct report_opts rep = { .format = REPORT_JSON, .show_dkim = 1, .show_arc = 1 };
	for (int past = 0; past <= 1; past++) {
		char file[] = "/tmp/arcverify-bad-bundle-XXXXXX", dir[] = "/tmp/arcverify-bad-bdir-XXXXXX", path[200], err[300] = "";
		int fd = mkstemp(file);
		ck_assert(fd >= 0 && ftruncate(fd, (off_t)BUNDLE_MESSAGE_MAX + past) == 0);
		close(fd);
		ck_assert_ptr_nonnull(mkdtemp(dir));
		FILE *f = fopen(file, "rb");
		struct bundle_opts bo = { dir, 0, &ro, &rep, 0 };
		int rc = bundle_write(&bo, &in, f, 0, err, sizeof err);
		fclose(f);
		snprintf(path, sizeof path, "%s/message.eml", dir);
		struct stat st;
		if (past) {
			ck_assert_int_eq(rc, -1);
			ck_assert_msg(strstr(err, "larger than 67108864 bytes") != NULL, "%s", err);
			ck_assert_int_ne(stat(path, &st), 0);   /* nothing written */
		} else {
			ck_assert_msg(rc == 0, "%s", err);
			ck_assert(stat(path, &st) == 0 && (unsigned long long)st.st_size == BUNDLE_MESSAGE_MAX);
		}
		static const char *const files[] = { "message.eml", "keys.zone", "result.json", "report.md" };
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
			snprintf(path, sizeof path, "%s/%s", dir, files[i]);
			unlink(path);
		}
		rmdir(dir);
		unlink(file);
	}
	made_free(&m);
	buf_free(&msg);
}
END_TEST

/* ---- regressions found by fuzzing ---- */

START_TEST(test_zone_empty_label)
{
	char path[600], err[300] = "";
	snprintf(path, sizeof path, "%.400s/zone-empty-label.zone", bad_dir());
	struct zone *z = zone_new();
	ck_assert_int_eq(zone_load_file(z, path, err, sizeof err), ZONE_SYNTAX);
	ck_assert_msg(strstr(err, ":2: owner name has an empty label") != NULL, "%s", err);
	zone_free(z);
}
END_TEST

/* ---- a batch over everything: one bad message never stops the others ---- */

static size_t count_lines(const struct buf *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

START_TEST(test_batch_reports_every_message)
{
	char zone[512], dkimzone[512], arczone[512], big[128], huge[128];
	snprintf(zone, sizeof zone, "%.400s/keys-bad.zone", bad_dir());
	snprintf(dkimzone, sizeof dkimzone, "%s/keys.zone", fixture_testdata());
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
	write_rsa16384_zone(big, sizeof big);
	struct buf pre, msg;
	buf_init(&pre, (size_t)6 << 20);
	buf_append_str(&pre, "X-Big: ");
	for (size_t i = 0; i < ((size_t)5 << 20); i++)
		buf_append_byte(&pre, 'b');
	buf_append_str(&pre, "\r\n");
	base_with(&msg, pre.data, pre.len, 0);
	snprintf(huge, sizeof huge, "/tmp/arcverify-bad-huge-XXXXXX");
	int fd = mkstemp(huge);
	ck_assert(fd >= 0 && write(fd, msg.data, msg.len) == (ssize_t)msg.len);
	close(fd);
	static char paths[FIXTURE_MAX][600];
	const char *argv[FIXTURE_MAX + 16];
	int argc = 0;
	argv[argc++] = "arcverify";
	argv[argc++] = "--json";
	argv[argc++] = "--now";
	argv[argc++] = "1764003600";
	const char *zones[] = { dkimzone, arczone, zone, big };
	for (size_t i = 0; i < 4; i++) {
		argv[argc++] = "--keys";
		argv[argc++] = zones[i];
	}
	size_t first = (size_t)argc;
	for (size_t i = 0; i < bad_count / 2; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/%s.eml", bad_dir(), bad_names[i]);
		argv[argc++] = paths[i];
	}
	argv[argc++] = huge;            /* unreadable as a message: in the middle, not at the end */
	for (size_t i = bad_count / 2; i < bad_count; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/%s.eml", bad_dir(), bad_names[i]);
		argv[argc++] = paths[i];
	}
	argv[argc] = NULL;
	struct buf out, err;
	int status = fixture_exec(argv, &out, &err, NULL);
	/* no input was unreadable; some hold no message (a header block over the bound, garbage, a blank first line) */
	ck_assert_msg(status == 65, "exit %d: %s", status, err.data);
	ck_assert_uint_eq(count_lines(&out), (size_t)argc - first);
	for (size_t i = first; i < (size_t)argc; i++) {
		char want[700];
		snprintf(want, sizeof want, "\"file\":\"%s\"", argv[i]);
		ck_assert_msg(strstr(out.data, want) != NULL, "no report for %s", argv[i]);
	}
	ck_assert(strstr(out.data, "header block larger than 4194304 bytes") != NULL);
	unlink(big);
	unlink(huge);
	buf_free(&out);
	buf_free(&err);
	buf_free(&pre);
	buf_free(&msg);
}
END_TEST

Suite *bad_suite(void)
{
	Suite *s = suite_create("bad");
	bad_count = fixture_list(bad_dir(), bad_names, FIXTURE_MAX);
	TCase *tc = tcase_create("catalogue");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_catalogue, 0, (int)bad_count);
	tcase_add_test(tc, test_readme_lists_every_case);
	tcase_add_test(tc, test_batch_reports_every_message);
	suite_add_tcase(s, tc);
	tc = tcase_create("large");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fold_100000);
	tcase_add_test(tc, test_signatures_10000);
	tcase_add_test(tc, test_h_10000_names);
	tcase_add_test(tc, test_header_line_20mb);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_signatures_at_bound);
	tcase_add_test(tc, test_field_count_bound);
	tcase_add_test(tc, test_h_names_bound);
	tcase_add_test(tc, test_header_block_bound);
	tcase_add_test(tc, test_rsa_key_size_bound);
	tcase_add_test(tc, test_txt_record_bound);
	tcase_add_test(tc, test_body_hash_bound);
	tcase_add_test(tc, test_tag_count_bound);
	tcase_add_test(tc, test_zone_empty_label);
	tcase_add_test(tc, test_max_key_bits_option);
	tcase_add_test(tc, test_bundle_message_bound);
	suite_add_tcase(s, tc);
	return s;
}
