/*
 * torture: `make check-torture`, the allocation-failure torture run (as curl's
 * torture mode). Every fixture in testdata/{dkim,arc,forensics,diagnosis,bad} is
 * verified the way the tool does it (options from its .expect file through
 * cli_parse, engine_message with forensics and the diagnosis on, then text, -v text, JSON and
 * A-R output rendered), first normally to count the allocations it needs (A)
 * and record its verdicts, then A more times with allocation N failing, for
 * every N from 1 to A. Each run must end with the baseline's verdicts or with
 * a clear error: when a verdict differs, some verdict must carry VC_INTERNAL
 * or say "out of memory", or the message must have an "out of memory" error;
 * a pass the baseline does not have is always wrong. Crashes, ASan/UBSan reports and leaks (LSan, checked
 * after every fixture) fail the run.
 *
 * How allocations fail: this file is linked with -Wl,--wrap=malloc,calloc,
 * realloc,strdup (Makefile TORTURE_WRAP), so every call the project's objects
 * make reaches the __wrap_ functions below, which count calls and return NULL
 * for call number N; OpenSSL's allocations are routed through the same counter
 * with CRYPTO_set_mem_functions before OpenSSL allocates anything. libc's own
 * internal allocations (fopen, tmpfile) are not counted. The key source is
 * built fresh, unarmed, before every run, so a failed key decode cannot be
 * carried into the next run through the lookup's cache.
 *
 * Usage: torture [-v] [-c] [NAME-SUBSTRING...]: -v a line per fixture, -c only count each
 * fixture's allocations; ARCVERIFY_TESTDATA names testdata/.
 * The counter below is the one piece of global mutable state in the project,
 * and it lives in this test program only: an interposed allocator has nowhere
 * else to keep it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "engine.h"
#include "report.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define TORTURE_LEAK_CHECK() __lsan_do_recoverable_leak_check()
#else
#define TORTURE_LEAK_CHECK() 0
#endif

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static struct {
	int armed;            /* counting */
	unsigned long count;  /* allocations so far in this run */
	unsigned long fail;   /* the one that fails (0: none) */
	int failed;           /* it did */
} alloc;

static int alloc_fails(void)
{
	if (!alloc.armed)
		return 0;
	if (++alloc.count == alloc.fail) {
		alloc.failed = 1;
		errno = ENOMEM;   /* as malloc(3) says */
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return alloc_fails() ? NULL : __real_strdup(s);
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return __wrap_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return __wrap_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* ---- what a run decided ---- */

#define TORTURE_SIGS 256

struct outcome_sig {
	char label[16];
	enum verdict_result result;
	enum verdict_code code;
	int oom;              /* the reason says "out of memory" */
};

struct outcome {
	struct outcome_sig sigs[TORTURE_SIGS];
	size_t n;
	enum verdict_result arc;
	enum verdict_code arc_code, arc_cause;
	int oldest_pass;
	int oom_error;        /* the message carries an "out of memory" error */
	int input_error;
};

static void outcome_sig(struct outcome *oc, const char *kind, size_t i, const struct dkim_sig *s)
{
	if (oc->n == TORTURE_SIGS)
		return;
	struct outcome_sig *o = &oc->sigs[oc->n++];
	snprintf(o->label, sizeof o->label, "%s %zu", kind, i);
	o->result = s->v.result;
	o->code = s->v.code;
	o->oom = strstr(s->v.reason, "out of memory") != NULL;
}

static void outcome_of(const struct run_result *r, struct outcome *oc)
{
	memset(oc, 0, sizeof *oc);
	for (size_t i = 0; i < r->ndkim; i++)
		outcome_sig(oc, "dkim", i + 1, &r->dkim[i]);
	for (unsigned i = 0; i < r->arc.n; i++) {
		if (r->arc.sets[i].has_ams)
			outcome_sig(oc, "ams", i + 1, &r->arc.sets[i].ams);
		if (r->arc.sets[i].has_as)
			outcome_sig(oc, "as", i + 1, &r->arc.sets[i].as);
	}
	oc->arc = r->arc.result;
	oc->arc_code = r->arc.code;
	oc->arc_cause = r->arc.cause;
	oc->oldest_pass = r->arc.oldest_pass;
	oc->input_error = r->input_error;
	for (size_t i = 0; i < r->nerrors; i++)   /* our words, or strerror(ENOMEM) from a failed open */
		oc->oom_error |= strstr(r->errors[i], "out of memory") || strstr(r->errors[i], "Cannot allocate memory");
}

static const struct outcome_sig *find_label(const struct outcome *oc, const char *label)
{
	for (size_t i = 0; i < oc->n; i++)
		if (strcmp(oc->sigs[i].label, label) == 0)
			return &oc->sigs[i];
	return NULL;
}

/* Problems with run got against baseline want, described in why; 0 when it is acceptable. */
static int judge(const struct outcome *want, const struct outcome *got, char *why, size_t whylen)
{
	int explained = got->oom_error || got->arc_code == VC_INTERNAL || got->arc_cause == VC_INTERNAL;
	for (size_t i = 0; i < got->n; i++)
		explained |= got->sigs[i].code == VC_INTERNAL || got->sigs[i].oom;
	for (size_t i = 0; i < got->n; i++) {
		const struct outcome_sig *g = &got->sigs[i], *w = find_label(want, g->label);
		if (g->result == VERDICT_PASS && (!w || w->result != VERDICT_PASS)) {
			snprintf(why, whylen, "%s: pass, but %s without the failure", g->label, w ? verdict_word(w->result) : "absent");
			return -1;
		}
		if ((!w || w->result != g->result || w->code != g->code) && !explained) {
			snprintf(why, whylen, "%s: %s %s instead of %s %s, and no out-of-memory error says why", g->label,
				 verdict_word(g->result), verdict_code_word(g->code), w ? verdict_word(w->result) : "-",
				 w ? verdict_code_word(w->code) : "-");
			return -1;
		}
	}
	if (got->arc == VERDICT_PASS && (want->arc != VERDICT_PASS || (want->oldest_pass != got->oldest_pass && !explained))) {
		snprintf(why, whylen, "ARC pass (oldest-pass %d), but %s (oldest-pass %d) without the failure", got->oldest_pass,
			 verdict_word(want->arc), want->oldest_pass);
		return -1;
	}
	if ((got->arc != want->arc || got->arc_code != want->arc_code || got->n != want->n) && !explained) {
		snprintf(why, whylen, "ARC %s %s / %zu signatures instead of %s %s / %zu, and no out-of-memory error says why",
			 verdict_word(got->arc), verdict_code_word(got->arc_code), got->n, verdict_word(want->arc),
			 verdict_code_word(want->arc_code), want->n);
		return -1;
	}
	return 0;
}

/* ---- one fixture ---- */

struct fixture {
	char dir[256], name[128];
	char now[32];
	char args[512];          /* the .expect's args line, split in place */
	const char *argv[48];
	int argc;
};

static void read_expect(struct fixture *fx)
{
	char path[512], line[1024];
	snprintf(path, sizeof path, "%s/%s.expect", fx->dir, fx->name);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "now ", 4) == 0)
			snprintf(fx->now, sizeof fx->now, "%.31s", line + 4);
		else if (strncmp(line, "args ", 5) == 0)
			snprintf(fx->args, sizeof fx->args, "%.511s", line + 5);
	}
	if (f)
		fclose(f);
}

static void build_argv(struct fixture *fx, const char *testdata, char *zone, char *arczone, char *eml)
{
	fx->argc = 0;
	fx->argv[fx->argc++] = "arcverify";
	fx->argv[fx->argc++] = "--keys";
	fx->argv[fx->argc++] = zone;
	fx->argv[fx->argc++] = "--keys";
	fx->argv[fx->argc++] = arczone;
	if (fx->now[0]) {
		fx->argv[fx->argc++] = "--now";
		fx->argv[fx->argc++] = fx->now;
	}
	char *save = NULL;
	for (char *a = strtok_r(fx->args, " ", &save); a && fx->argc < 44; a = strtok_r(NULL, " ", &save))
		fx->argv[fx->argc++] = a;
	fx->argv[fx->argc++] = eml;
	fx->argv[fx->argc] = NULL;
	(void)testdata;
}

/* One verification, rendered in every format, as the tool does it; the outcome is recorded. */
static void verify_once(const struct batch_opts *bo, const char *eml, struct outcome *oc, int arm, unsigned long fail)
{
	char err[300];
	struct lookup *lk = lookup_new_zone(bo->keys, bo->nkeys, NULL, err, sizeof err);
	if (!lk) {
		fprintf(stderr, "torture: %s\n", err);
		exit(2);
	}
	alloc.count = 0;
	alloc.fail = fail;
	alloc.failed = 0;
	alloc.armed = arm;
	struct engine_opts eo = { .run = bo->run, .input = bo->input, .forensics = 1,
				  .diagnose = DIAGNOSE_INTEROP | DIAGNOSE_CAUSES };
	struct input_list l;
	input_list_init(&l);
	memset(oc, 0, sizeof *oc);
	if (input_add(&l, eml, INPUT_MBOX_AUTO, &eo.input) == 0 && l.n == 1) {
		struct engine_result res;
		engine_message(&l, &l.items[0], 1, &eo, lk, &res);
		struct report_input in = { &res.run, &res.forensics, &res.claims, &res.lint, &res.diagnosis };
		struct report_opts ro = bo->report;
		struct buf out;
		buf_init(&out, (size_t)1 << 26);
		ro.explain = 1;
		ro.verbose = 1;   /* -v text holds everything plain text does, and more */
		for (int f = REPORT_TEXT; f <= REPORT_AR; f++) {
			ro.format = (enum report_format)f;
			report_message(&out, &in, &ro);
		}
		buf_free(&out);
		outcome_of(&res.run, oc);
		engine_result_free(&res);
	} else {
		oc->oom_error = 1;   /* the input list could not be built */
	}
	input_list_free(&l);
	alloc.armed = 0;
	lookup_free(lk);
}

struct totals {
	size_t fixtures, runs, bad, leaky;
	unsigned long allocations;
};

static void torture_fixture(struct fixture *fx, const char *testdata, int verbose, int count_only, struct totals *t)
{
	char zone[512], arczone[512], eml[512], err[300];
	snprintf(zone, sizeof zone, "%s/keys.zone", testdata);
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", testdata);
	snprintf(eml, sizeof eml, "%s/%s.eml", fx->dir, fx->name);
	read_expect(fx);
	build_argv(fx, testdata, zone, arczone, eml);
	struct cli_opts co;
	if (cli_parse(fx->argc, (char **)fx->argv, &co, err, sizeof err) < 0) {
		printf("%s/%s: usage error: %s\n", fx->dir, fx->name, err);
		t->bad++;
		return;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct outcome base, got;
	verify_once(&co.batch, eml, &base, 0, 0);   /* warm-up: OpenSSL's one-time set-up is not counted */
	verify_once(&co.batch, eml, &base, 1, 0);
	unsigned long need = alloc.count;
	size_t bad = 0;
	for (unsigned long n = 1; n <= need && !count_only; n++) {
		char why[400];
		verify_once(&co.batch, eml, &got, 1, n);
		t->runs++;
		if (!alloc.failed)
			break;   /* this run needed fewer allocations: every N has been tried */
		if (judge(&base, &got, why, sizeof why) < 0) {
			if (bad++ < 5)
				printf("%s/%s: allocation %lu of %lu failing: %s\n", fx->dir, fx->name, n, need, why);
		}
	}
	int leaks = TORTURE_LEAK_CHECK();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (verbose || bad || leaks)
		printf("%-60s %6lu allocations  %3zu wrong  %s %.1f s\n", eml, need, bad, leaks ? "LEAKS" : "", secs);
	t->fixtures++;
	t->allocations += need;
	t->bad += bad;
	t->leaky += leaks != 0;
	cli_free(&co);
}

static int wanted(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return 1;
	for (int i = first; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME.eml with a NAME.expect in dir, sorted. */
static void torture_dir(const char *testdata, const char *sub, int verbose, int count_only, int argc, char **argv,
			int first, struct totals *t)
{
	char dir[256];
	snprintf(dir, sizeof dir, "%s/%s", testdata, sub);
	DIR *d = opendir(dir);
	if (!d)
		return;
	char *names[1024];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 1024) {
		size_t len = strlen(e->d_name);
		if (len > 7 && len < 120 && strcmp(e->d_name + len - 7, ".expect") == 0) {
			names[n] = __real_strdup(e->d_name);
			names[n][len - 7] = '\0';
			n++;
		}
	}
	closedir(d);
	qsort(names, n, sizeof names[0], name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct fixture fx;
		memset(&fx, 0, sizeof fx);
		snprintf(fx.dir, sizeof fx.dir, "%s", dir);
		snprintf(fx.name, sizeof fx.name, "%s", names[i]);
		char eml[512];
		snprintf(eml, sizeof eml, "%s/%s.eml", dir, names[i]);
		FILE *probe = fopen(eml, "rb");
		if (probe && wanted(eml, argc, argv, first))
			torture_fixture(&fx, testdata, verbose, count_only, t);
		if (probe)
			fclose(probe);
		free(names[i]);
	}
}

int main(int argc, char **argv)
{
	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)) {
		fprintf(stderr, "torture: OpenSSL allocated before its allocator could be set\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);   /* progress lines as they happen, also into a file */
	int first = 1, verbose = 0, count_only = 0;
	for (; first < argc && argv[first][0] == '-'; first++) {
		verbose |= strcmp(argv[first], "-v") == 0;
		count_only |= strcmp(argv[first], "-c") == 0;
	}
	verbose |= count_only;
	const char *td = getenv("ARCVERIFY_TESTDATA");
	const char *testdata = td && *td ? td : "testdata";
	struct totals t = { 0 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	static const char *const dirs[] = { "dkim", "arc", "forensics", "diagnosis", "bad" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		torture_dir(testdata, dirs[i], verbose, count_only, argc, argv, first, &t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("torture: %zu fixtures, %lu allocations, %zu runs with one allocation failing, %zu wrong, %zu leaking, %ld s\n",
	       t.fixtures, t.allocations, t.runs, t.bad, t.leaky, (long)(t1.tv_sec - t0.tv_sec));
	return t.bad || t.leaky || t.fixtures == 0 ? 1 : 0;   /* -c counts only: nothing can be wrong */
}
