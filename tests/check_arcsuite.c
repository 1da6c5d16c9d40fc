/*
 * The public ARC test suite (ValiMail, ../shared/testsuites/arc_test_suite; see
 * its FORMAT.md), read at test time with libyaml's document API so that all
 * 175 validation entries are seen, duplicated names included. Every validation
 * case must give the suite's cv, except the documented deviations below where
 * the suite (written for draft-18) and RFC 8617 disagree: there arcverify
 * follows the RFC and the test asserts the RFC's answer. The signing cases are
 * turned into verification cases as FORMAT.md describes.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "fixture.h"
#include "lookup.h"
#include "run.h"
#include "suites.h"

/* Where arcverify follows RFC 8617 / RFC 6376 rather than the draft-era expectation. */
struct deviation {
	const char *name;
	const char *ours;
	const char *why;
};

static const struct deviation deviations[] = {
	{ "cv_fail_i1_as_cv_fail", "fail",
	  "suite expects an empty cv (dkimpy's no-result); RFC 8617 §5.2 step 2.1: a seal with cv=fail fails the chain" },
	{ "cv_fail_i2_as2_fail", "fail",
	  "suite expects an empty cv (dkimpy's no-result); RFC 8617 §5.2: the newest seal says cv=fail, so the chain fails" },
	{ "cv_fail_i2_as1_fail", "fail",
	  "suite expects an empty cv (dkimpy's no-result); RFC 8617 §5.1.1/§5.2: cv=fail on a sealed instance fails the chain" },
	{ "ams_fields_c_na", "fail",
	  "suite expects pass (missing AMS c= read as relaxed/relaxed, as dkimpy does); RFC 8617 §4.1.2 gives the AMS "
	  "DKIM-Signature semantics, and RFC 6376 §3.5 makes a missing c= simple/simple, under which this AMS does not verify" },
	{ "ams_fields_h_empty", "fail",
	  "suite expects pass for an AMS with an empty h=; the AMS has DKIM-Signature semantics (RFC 8617 §4.1.2), and "
	  "RFC 6376 §6.1.1 makes a signature whose h= lacks From a PERMFAIL (its ABNF also needs at least one name)" },
	{ "ams_fields_h_mis_hdr", "fail",
	  "suite expects pass for h=from:to::date (an empty header name); RFC 6376 §3.5 sig-h-tag ABNF requires every "
	  "name to be a non-empty field-name, so the AMS is malformed" },
};

#define MAX_CASES 256

struct suite_case {
	char name[96];
	char label[112];       /* name, with #1/#2 for duplicated names */
	char expected[16];     /* pass, fail, none ("" read as fail, RFC 8617) */
	char *message;         /* LF line ends as loaded */
	size_t message_len;
	char zone[256];        /* temporary zone file with the scenario's records */
	int signing;           /* built from a signing case */
};

static struct suite_case cases[MAX_CASES];
static size_t ncases;
static char zone_files[32][256];
static size_t nzones;
static int load_failed;

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Write one TXT record as zone text: strings of at most 255 octets (RFC 1035 §3.3.14). */
static void write_txt(FILE *f, const char *name, const char *value, int drop_newlines)
{
	fprintf(f, "%s. IN TXT", name);
	size_t n = 0;
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && drop_newlines)
			continue;
		if (n % 255 == 0)
			fputs(n ? "\" \"" : " \"", f);
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
		n++;
	}
	fputs(n ? "\"\n" : " \"\"\n", f);
}

static const char *make_zone(yaml_document_t *doc, yaml_node_t *records, int drop_newlines)
{
	if (nzones == 32)
		return NULL;
	char *path = zone_files[nzones];
	snprintf(path, 256, "/tmp/arcverify-arcsuite-%ld-%zu.zone", (long)getpid(), nzones);
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	if (records && records->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = records->data.mapping.pairs.start; p < records->data.mapping.pairs.top; p++)
			write_txt(f, scalar(yaml_document_get_node(doc, p->key)),
				  scalar(yaml_document_get_node(doc, p->value)), drop_newlines);
	fclose(f);
	nzones++;
	return path;
}

static void lower_copy(char *dst, size_t len, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < len && !isspace((unsigned char)src[i]); i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static struct suite_case *add_case(const char *name, const char *zone)
{
	if (ncases == MAX_CASES)
		return NULL;
	struct suite_case *c = &cases[ncases++];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->label, sizeof c->label, "%s", name);
	snprintf(c->zone, sizeof c->zone, "%s", zone);
	return c;
}

static void load_validation_scenario(yaml_document_t *doc, yaml_node_t *root)
{
	const char *zone = make_zone(doc, map_get(doc, root, "txt-records"), 0);
	yaml_node_t *tests = map_get(doc, root, "tests");
	if (!zone || !tests || tests->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
		yaml_node_t *t = yaml_document_get_node(doc, p->value);
		struct suite_case *c = add_case(scalar(yaml_document_get_node(doc, p->key)), zone);
		if (!c)
			return;
		const char *msg = scalar(map_get(doc, t, "message"));
		c->message = strdup(msg ? msg : "");
		c->message_len = strlen(c->message);
		lower_copy(c->expected, sizeof c->expected, scalar(map_get(doc, t, "cv")));
		if (!c->expected[0])
			snprintf(c->expected, sizeof c->expected, "fail"); /* RFC 8617: see deviations */
	}
}

/* FORMAT.md: delete all white space from AS/AMS, then one space after each ';'. */
static void standardize_tags(const char *in, struct buf *out)
{
	for (const char *p = in; p && *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		buf_append_byte(out, *p);
		if (*p == ';')
			buf_append_byte(out, ' ');
	}
	while (out->len && out->data[out->len - 1] == ' ')
		out->len--;
}

static void append_crlf_text(struct buf *out, const char *text, const char *fold)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			if (p[1])
				buf_append_str(out, fold);
		} else {
			buf_append_byte(out, *p);
		}
	}
}

static void load_signing_scenario(yaml_document_t *doc, yaml_node_t *root)
{
	const char *zone = make_zone(doc, map_get(doc, root, "txt-records"), 1);
	yaml_node_t *tests = map_get(doc, root, "tests");
	if (!zone || !tests || tests->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
		yaml_node_t *t = yaml_document_get_node(doc, p->value);
		const char *as = scalar(map_get(doc, t, "AS")), *ams = scalar(map_get(doc, t, "AMS"));
		const char *aar = scalar(map_get(doc, t, "AAR")), *msg = scalar(map_get(doc, t, "message"));
		if (!as || !ams || !aar || !msg || !*as)
			continue; /* no_additional_sig: nothing was added */
		char name[96];
		snprintf(name, sizeof name, "sign:%s", scalar(yaml_document_get_node(doc, p->key)));
		struct suite_case *c = add_case(name, zone);
		if (!c)
			return;
		c->signing = 1;
		struct buf m;
		buf_init(&m, 1 << 20);
		buf_append_str(&m, "ARC-Seal: ");
		standardize_tags(as, &m);
		buf_append_str(&m, "\r\nARC-Message-Signature: ");
		standardize_tags(ams, &m);
		buf_append_str(&m, "\r\nARC-Authentication-Results: ");
		append_crlf_text(&m, aar, "\r\n ");
		buf_append_str(&m, "\r\n");
		buf_append_str(&m, msg);
		c->message_len = m.len;
		c->message = buf_steal(&m);
		/* the sealed chain passes unless the new seal records an earlier failure */
		snprintf(c->expected, sizeof c->expected, "%s", strstr(as, "cv=fail") ? "fail" : "pass");
	}
}

static void label_duplicates(void)
{
	for (size_t i = 0; i < ncases; i++) {
		int dup = 0;
		for (size_t j = 0; j < ncases; j++)
			dup += j != i && strcmp(cases[i].name, cases[j].name) == 0;
		if (!dup)
			continue;
		int nth = 1;
		for (size_t j = 0; j < i; j++)
			nth += strcmp(cases[i].name, cases[j].name) == 0;
		snprintf(cases[i].label, sizeof cases[i].label, "%.95s#%d", cases[i].name, nth);
	}
}

static int load_file(const char *path, void (*scenario)(yaml_document_t *, yaml_node_t *))
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	int rc = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			rc = -1;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		scenario(&doc, root);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

static const struct deviation *deviation_of(const char *name)
{
	for (size_t i = 0; i < sizeof deviations / sizeof deviations[0]; i++)
		if (strcmp(deviations[i].name, name) == 0)
			return &deviations[i];
	return NULL;
}

static void run_case(const struct suite_case *c, struct fixture_run *fr, struct lookup **lk)
{
	char err[300];
	const char *zones[] = { c->zone };
	*lk = lookup_new_zone(zones, 1, NULL, err, sizeof err);
	ck_assert_msg(*lk != NULL, "%s", err);
	struct run_opts ro = { .policy = { .now = 1800000000, .min_key_bits = 1024 }, .do_arc = 1 };
	fixture_run(fr, c->label, c->message_len ? c->message : "", c->message_len, &ro, *lk, 0);
}

START_TEST(test_arc_suite_case)
{
	const struct suite_case *c = &cases[_i];
	struct fixture_run fr;
	struct lookup *lk;
	run_case(c, &fr, &lk);
	const struct run_result *r = &fr.res.run;
	const char *got = verdict_word(r->arc.result);
	const struct deviation *dev = deviation_of(c->name);
	if (dev) {
		ck_assert_msg(strcmp(got, dev->ours) == 0, "%s: documented deviation expects %s, got %s (%s)",
			      c->label, dev->ours, got, r->arc.reason);
	} else {
		ck_assert_msg(strcmp(got, c->expected) == 0, "%s: suite expects cv=%s, got %s (%s)", c->label,
			      c->expected, got, r->arc.reason);
	}
	/* a result is never left without a reason */
	ck_assert_msg(r->arc.reason[0] != '\0', "%s: empty reason", c->label);
	fixture_run_free(&fr);
	lookup_free(lk);
}
END_TEST

START_TEST(test_arc_suite_counts)
{
	size_t validation = 0, signing = 0;
	for (size_t i = 0; i < ncases; i++)
		cases[i].signing ? signing++ : validation++;
	ck_assert_msg(!load_failed, "the YAML files could not be read");
	ck_assert_int_eq(validation, 175); /* all entries, the four duplicated names twice */
	ck_assert_int_eq(signing, 16);     /* 17 signing cases, no_additional_sig adds nothing */
	for (size_t i = 0; i < sizeof deviations / sizeof deviations[0]; i++)
		ck_assert_msg(deviation_of(deviations[i].name) && strlen(deviations[i].why) > 20, "deviation");
}
END_TEST

START_TEST(test_arc_suite_skipped)
{
	fixture_skip("arc-test-suite", "../shared is absent (set ARCVERIFY_SHARED): the ARC test suite was NOT run");
}
END_TEST

static pid_t loader_pid;

/* Check forks a child per test; only the process that wrote the zones removes them. */
static void cleanup_zones(void)
{
	if (getpid() != loader_pid)
		return;
	for (size_t i = 0; i < nzones; i++)
		unlink(zone_files[i]);
	for (size_t i = 0; i < ncases; i++)
		free(cases[i].message);
}

Suite *arcsuite_suite(void)
{
	Suite *s = suite_create("arc-test-suite");
	TCase *tc = tcase_create("validation+signing");
	tcase_set_timeout(tc, 300);
	const char *shared = fixture_shared();
	if (!shared) {
		tcase_add_test(tc, test_arc_suite_skipped);
		suite_add_tcase(s, tc);
		return s;
	}
	char path[512];
	snprintf(path, sizeof path, "%s/testsuites/arc_test_suite/tests/arc-draft-validation-tests.yml", shared);
	load_failed |= load_file(path, load_validation_scenario) < 0;
	snprintf(path, sizeof path, "%s/testsuites/arc_test_suite/tests/arc-draft-sign-tests.yml", shared);
	load_failed |= load_file(path, load_signing_scenario) < 0;
	label_duplicates();
	loader_pid = getpid();
	atexit(cleanup_zones);
	tcase_add_test(tc, test_arc_suite_counts);
	tcase_add_loop_test(tc, test_arc_suite_case, 0, (int)ncases);
	suite_add_tcase(s, tc);
	return s;
}
