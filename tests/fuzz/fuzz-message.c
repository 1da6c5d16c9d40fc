/*
 * fuzz-message: whole-message verification with a fixed key set, as the tool
 * does it: the message is added with input_add_bytes and verified by
 * engine_message with forensics on (DKIM, ARC, --explain forensics, hop
 * claims, lint), then rendered as text (plain, and -v with colour), JSON and
 * an Authentication-Results field. Keys come from testdata/keys.zone and
 * keys-arc.zone (ARCVERIFY_TESTDATA, default ./testdata), loaded once; the
 * lookup is renewed every few thousand inputs so its cache of names that were
 * asked for stays bounded. The input's length picks --no-crlf (odd) and
 * --allow-sha1 with 512-bit keys (a multiple of 3), so every seed runs both ways
 * under mutation. Invariants: a verdict of pass has run every check it
 * claims; the JSON output is one line.
 */
#include <string.h>

#include "engine.h"
#include "fuzz.h"
#include "report.h"

#define FUZZ_LOOKUP_RENEW 4096

static struct lookup *keys;
static unsigned long inputs;

static struct lookup *load_keys(void)
{
	const char *dir = getenv("ARCVERIFY_TESTDATA");
	char a[512], b[512], err[400];
	snprintf(a, sizeof a, "%s/keys.zone", dir && *dir ? dir : "testdata");
	snprintf(b, sizeof b, "%s/keys-arc.zone", dir && *dir ? dir : "testdata");
	const char *files[] = { a, b };
	struct lookup *lk = lookup_new_zone(files, 2, NULL, err, sizeof err);
	if (!lk) {
		fprintf(stderr, "fuzz-message: %s (run from the source tree or set ARCVERIFY_TESTDATA)\n", err);
		abort();
	}
	return lk;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	keys = load_keys();
	return 0;
}

static void check_sig(const struct dkim_sig *s)
{
	if (s->v.result != VERDICT_PASS)
		return;
	FUZZ_CHECK(s->usable && s->header_ok == 1 && s->has_key, "a passing signature verified with a key");
	FUZZ_CHECK(s->kind == DKIM_KIND_SEAL || s->body_ok == 1, "a passing signature matched its body hash");
}

static void check_run(const struct run_result *r)
{
	for (size_t i = 0; i < r->ndkim; i++)
		check_sig(&r->dkim[i]);
	for (unsigned i = 0; i < r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i];
		if (set->has_ams)
			check_sig(&set->ams);
		if (set->has_as)
			check_sig(&set->as);
		if (r->arc.result == VERDICT_PASS)
			FUZZ_CHECK(set->has_as && set->as.v.result == VERDICT_PASS, "a passing chain has every seal passing");
	}
	if (r->arc.result == VERDICT_PASS)
		FUZZ_CHECK(r->arc.n >= 1 && r->arc.n <= ARC_MAX_INSTANCES && r->arc.structure_ok, "a passing chain is well-formed");
}

static void render(const struct engine_result *res)
{
	struct report_input in = { &res->run, &res->forensics, &res->claims, &res->lint, &res->diagnosis };
	struct report_opts o = { .format = REPORT_TEXT, .show_dkim = 1, .show_arc = 1, .explain = 1 };
	struct buf out;
	buf_init(&out, (size_t)1 << 28);
	report_message(&out, &in, &o);
	o.verbose = 1;
	o.color = 1;
	report_message(&out, &in, &o);
	buf_reset(&out);
	o.format = REPORT_JSON;
	report_message(&out, &in, &o);
	FUZZ_CHECK(out.len == 0 || memchr(out.data, '\n', out.len) == out.data + out.len - 1, "JSON Lines: one line");
	o.redact = 1;
	report_message(&out, &in, &o);
	o.format = REPORT_AR;
	o.multiple = 1;
	report_message(&out, &in, &o);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (++inputs % FUZZ_LOOKUP_RENEW == 0) {
		lookup_free(keys);
		keys = load_keys();
	}
	struct engine_opts eo = { .forensics = 1, .diagnose = DIAGNOSE_INTEROP | DIAGNOSE_CAUSES,
				  .input = { .tmpdir = getenv("FUZZ_TMPDIR") } };
	eo.run.policy.now = 1764003600;
	eo.run.policy.min_key_bits = size % 3 == 0 ? 512 : 1024;
	eo.run.policy.allow_sha1 = size % 3 == 0;
	eo.run.msg.no_crlf = size & 1;
	eo.run.do_dkim = eo.run.do_arc = 1;
	struct input_list l;
	input_list_init(&l);
	if (input_add_bytes(&l, "fuzz.eml", data, size, &eo.input) == 0 && l.n == 1) {
		struct engine_result res;
		engine_message(&l, &l.items[0], 1, &eo, keys, &res);
		check_run(&res.run);
		render(&res);
		engine_result_free(&res);
	}
	input_list_free(&l);
	return 0;
}
