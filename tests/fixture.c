/* fixture: .expect files, in-process runs and binary runs for the test suites. */
#include "fixture.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "batch.h"
#include "cli.h"
#include "forensics.h"
#include "lookup.h"
#include "run.h"

const char *fixture_testdata(void)
{
	const char *d = getenv("ARCVERIFY_TESTDATA");
	return d && *d ? d : "testdata";
}

const char *fixture_shared(void)
{
	const char *d = getenv("ARCVERIFY_SHARED");
	if (!d || !*d)
		d = "../shared";
	struct stat st;
	if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return d;
}

void fixture_skip(const char *test, const char *fmt, ...)
{
	char why[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n*** SKIPPED %s: %s ***\n\n", test, why);
	const char *log = getenv("ARCVERIFY_SKIPLOG");
	FILE *f = log && *log ? fopen(log, "a") : NULL;
	if (f) {
		fprintf(f, "%s: %s\n", test, why);
		fclose(f);
	}
}

void fixture_run(struct fixture_run *fr, const char *path, const char *bytes, size_t len,
		 const struct run_opts *ro, struct lookup *lk, int forensics)
{
	struct engine_opts eo = { .run = *ro, .forensics = forensics != 0,
				  .diagnose = forensics > 1 ? DIAGNOSE_CAUSES | DIAGNOSE_INTEROP : 0 };
	input_list_init(&fr->list);
	int rc = bytes ? input_add_bytes(&fr->list, path, bytes, len, &eo.input)
		       : input_add(&fr->list, path, INPUT_MBOX_AUTO, &eo.input);
	ck_assert_msg(rc == 0 && fr->list.n == 1, "%s: one input", path);
	engine_message(&fr->list, &fr->list.items[0], 1, &eo, lk, &fr->res);
	ck_assert_msg(!fr->res.run.input_error, "%s: %s", path,
		      fr->res.run.nerrors ? fr->res.run.errors[0] : "not read");
}

void fixture_run_free(struct fixture_run *fr)
{
	engine_result_free(&fr->res);
	input_list_free(&fr->list);
}

size_t fixture_token_text(char *out, size_t room, const char *const *tokens, size_t ntokens, unsigned *seed,
			  unsigned end_one_in, size_t max_tokens)
{
	size_t len = 0;
	for (size_t n = 0; len < room && n < max_tokens; n++) {
		*seed = *seed * 1103515245u + 12345u;
		const char *t = tokens[(*seed >> 16) % ntokens];
		memcpy(out + len, t, strlen(t));
		len += strlen(t);
		if ((*seed >> 8) % end_one_in == 0)
			break;
	}
	return len;
}

long fixture_find_raw_control(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = p[i] >= 0x80 ? utf8_seq_len(p + i, len - i) : 1;
		unsigned cp = n == 2 ? ((p[i] & 0x1fu) << 6 | (p[i + 1] & 0x3fu))
			    : n == 3 ? ((p[i] & 0x0fu) << 12 | (p[i + 1] & 0x3fu) << 6 | (p[i + 2] & 0x3fu)) : p[i];
		if (n == 0 || (cp < 0x20 && cp != '\n') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c ||
		    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			return (long)i;
		i += n;
	}
	return -1;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

size_t fixture_list(const char *dir, char names[][128], size_t max)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		size_t len = strlen(e->d_name);
		if (len > 7 && len < 128 && strcmp(e->d_name + len - 7, ".expect") == 0) {
			memcpy(names[n], e->d_name, len - 7);
			names[n][len - 7] = '\0';
			n++;
		}
	}
	closedir(d);
	qsort(names, n, sizeof names[0], name_cmp);
	return n;
}

void *fixture_load_key(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/keys/%s.pem", fixture_testdata(), name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_msg(k != NULL, "%s does not load", path);
	return k;
}

int fixture_read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char chunk[8192];
	size_t got;
	buf_init(out, (size_t)64 << 20);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(out, chunk, got);
	fclose(f);
	if (!out->data)
		buf_append(out, "", 0);
	return 0;
}

struct expect_line {
	char kind[16];          /* dkim, arc, ams, as, oldest-pass, forensic, header-forensic, prefix */
	char target[8];         /* forensic lines: dkim, ams or as */
	int index;
	char result[64];        /* result word, or a forensic variant id */
	char code[48];          /* stable reason code (verdict.h) the verdict must carry */
	char reason[256];       /* signatures: a substring of the sentence; arc: the cause code */
	unsigned long long signed_bytes, appended_bytes;
};

struct expectation {
	char now[32];
	char *args[32];
	size_t nargs;
	struct expect_line lines[128];
	size_t nlines;
	int exit_status;
	struct buf text;        /* owns the args strings */
};

static void expect_add_line(struct expectation *e, const char *kind, const char *rest)
{
	if (e->nlines == 128)
		return;
	struct expect_line *l = &e->lines[e->nlines++];
	memset(l, 0, sizeof *l);
	snprintf(l->kind, sizeof l->kind, "%s", kind);
	int consumed = 0;
	if (strcmp(kind, "arc") == 0) {
		sscanf(rest, "%63s %47s %n", l->result, l->code, &consumed);
	} else if (strcmp(kind, "oldest-pass") == 0) {
		sscanf(rest, "%63s %n", l->result, &consumed);
	} else if (strcmp(kind, "prefix") == 0) {
		sscanf(rest, "%7s %d %llu %llu", l->target, &l->index, &l->signed_bytes, &l->appended_bytes);
		return;
	} else if (strcmp(kind, "diagnosis") == 0 || strcmp(kind, "claim") == 0) {
		snprintf(l->reason, sizeof l->reason, "%s", rest);   /* checked whole (check_evidence_line) */
		return;
	} else if (strcmp(kind, "forensic") == 0 || strcmp(kind, "header-forensic") == 0) {
		sscanf(rest, "%7s %d %63s", l->target, &l->index, l->result);
		return;
	} else {
		sscanf(rest, "%d %63s %47s %n", &l->index, l->result, l->code, &consumed);
	}
	snprintf(l->reason, sizeof l->reason, "%s", rest + consumed);
}

static int parse_expect(const char *path, struct expectation *e)
{
	memset(e, 0, sizeof *e);
	e->exit_status = -1;
	if (fixture_read_file(path, &e->text) < 0)
		return -1;
	char *save = NULL;
	for (char *line = strtok_r(e->text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		char *sp = strchr(line, ' ');
		char *rest = sp ? sp + 1 : line + len;
		if (sp)
			*sp = '\0';
		if (strcmp(line, "now") == 0) {
			snprintf(e->now, sizeof e->now, "%s", rest);
		} else if (strcmp(line, "args") == 0) {
			char *s2 = NULL;
			for (char *a = strtok_r(rest, " ", &s2); a && e->nargs < 32; a = strtok_r(NULL, " ", &s2))
				e->args[e->nargs++] = a;
		} else if (strcmp(line, "exit") == 0) {
			e->exit_status = atoi(rest);
		} else {
			expect_add_line(e, line, rest);
		}
	}
	return 0;
}

static const struct dkim_sig *find_sig(const struct run_result *r, const char *kind, int index)
{
	if (strcmp(kind, "dkim") == 0)
		return index >= 1 && (size_t)index <= r->ndkim ? &r->dkim[index - 1] : NULL;
	if (index < 1 || (unsigned)index > r->arc.n)
		return NULL;
	const struct arc_set *set = &r->arc.sets[index - 1];
	if (strcmp(kind, "ams") == 0)
		return set->has_ams ? &set->ams : NULL;
	if (strcmp(kind, "as") == 0)
		return set->has_as ? &set->as : NULL;
	return NULL;
}

static const struct verdict *find_verdict(const struct run_result *r, const struct expect_line *l)
{
	const struct dkim_sig *s = find_sig(r, l->kind, l->index);
	return s ? &s->v : NULL;
}

static int is_diagnosis_line(const struct expect_line *l)
{
	return strcmp(l->kind, "diagnosis") == 0 || strcmp(l->kind, "claim") == 0;
}

static int is_forensic_line(const struct expect_line *l)
{
	return strcmp(l->kind, "forensic") == 0 || strcmp(l->kind, "header-forensic") == 0 ||
	       strcmp(l->kind, "prefix") == 0;
}

static int has_finding(const struct forensic_finding *f, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].id, id) == 0)
			return 1;
	return 0;
}

/* forensic / header-forensic / prefix expectations against the forensic report. */
static int check_forensic_line(const struct run_result *r, const struct forensics *fx, const struct expect_line *l,
			       char *why, size_t whylen)
{
	const struct dkim_sig *s = find_sig(r, l->target, l->index);
	const struct forensic_report *fr = s ? forensics_for(fx, s) : NULL;
	if (!fr) {
		snprintf(why, whylen, "%s %s %d: signature not examined by forensics", l->kind, l->target, l->index);
		return -1;
	}
	if (strcmp(l->kind, "prefix") == 0) {
		if (!fr->prefix_found || fr->prefix_bytes != l->signed_bytes ||
		    fr->body_bytes - fr->prefix_bytes != l->appended_bytes) {
			snprintf(why, whylen, "prefix %s %d: expected %llu signed + %llu appended, got %s %llu + %llu",
				 l->target, l->index, l->signed_bytes, l->appended_bytes, fr->prefix_found ? "found" : "none",
				 (unsigned long long)fr->prefix_bytes,
				 (unsigned long long)(fr->body_bytes - fr->prefix_bytes));
			return -1;
		}
		return 0;
	}
	int header = strcmp(l->kind, "header-forensic") == 0;
	if (strcmp(l->result, "none") == 0) {
		size_t n = header ? fr->nheader : fr->nbody;
		if (n != 0 || (!header && fr->prefix_found)) {
			snprintf(why, whylen, "%s %s %d: expected no finding, got %zu", l->kind, l->target, l->index, n);
			return -1;
		}
		return 0;
	}
	if (!(header ? has_finding(fr->header, fr->nheader, l->result) : has_finding(fr->body, fr->nbody, l->result))) {
		snprintf(why, whylen, "%s %s %d: variant %s not among the findings (%zu found)", l->kind, l->target,
			 l->index, l->result, header ? fr->nheader : fr->nbody);
		return -1;
	}
	return 0;
}

/* A mismatch, told in a bounded buffer (cut when too long). */
static void tell(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tell(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* A diagnosis entry as a .expect line writes it: ROLE SIGNATURE EVIDENCE VARIANT PARTY INSTANCE BETWEEN. */
static void diagnosis_line(const struct diagnosis_entry *e, char *out, size_t n)
{
	char inst[16] = "-", between[32] = "-";
	if (e->instance)
		snprintf(inst, sizeof inst, "%u", e->instance);
	if (e->has_between && e->between_to)
		snprintf(between, sizeof between, "%u,%u", e->between_from, e->between_to);
	else if (e->has_between)
		snprintf(between, sizeof between, "%u,-", e->between_from);
	snprintf(out, n, "%s %s %s %s %s %s %s", diagnosis_role_word(e->role), e->signature,
		 diagnosis_evidence_word(e->evidence), e->variant ? e->variant : "-", e->party[0] ? e->party : "-", inst,
		 between);
}

/* The diagnosis lines of the expectation, in order, are the whole diagnosis. */
static int check_diagnosis(const struct diagnosis *d, const struct expectation *e, char *why, size_t whylen)
{
	size_t k = 0;
	char got[400];
	for (size_t i = 0; i < e->nlines; i++) {
		if (strcmp(e->lines[i].kind, "diagnosis") != 0)
			continue;
		if (k >= d->n) {
			snprintf(why, whylen, "diagnosis: expected '%s', got nothing more (%zu causes)", e->lines[i].reason, d->n);
			return -1;
		}
		diagnosis_line(&d->v[k++], got, sizeof got);
		if (strcmp(got, e->lines[i].reason) != 0) {
			tell(why, whylen, "diagnosis %zu: expected '%s', got '%s' (%.300s)", k, e->lines[i].reason, got,
			     d->v[k - 1].what);
			return -1;
		}
	}
	if (k && k != d->n) {
		diagnosis_line(&d->v[k], got, sizeof got);
		snprintf(why, whylen, "diagnosis: %zu causes, %zu expected; the next is '%s'", d->n, k, got);
		return -1;
	}
	return 0;
}

/* claim SOURCE AUTHSERV-ID METHOD STATE [SUBJECT]: every record of that hop and method (whose subject
 * contains SUBJECT, e.g. "s=ed25519") is in that state. */
static int check_claim_line(const struct claims *c, const struct expect_line *l, char *why, size_t whylen)
{
	char src[16], id[128], method[16], state[24], about[64] = "";
	if (sscanf(l->reason, "%15s %127s %15s %23s %63s", src, id, method, state, about) < 4) {
		snprintf(why, whylen, "claim: cannot read '%s'", l->reason);
		return -1;
	}
	unsigned inst = 0;
	int aar = sscanf(src, "aar%u", &inst) == 1;
	size_t hits = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct claim *cl = &c->v[i];
		if (cl->from_aar != aar || (aar && cl->instance != inst) || strcmp(cl->authserv_id, id) ||
		    strcmp(cl->method, method) || !strstr(cl->subject, about))
			continue;
		hits++;
		if (strcmp(claims_state_word(cl->state), state) != 0) {
			snprintf(why, whylen, "claim %s: %s, expected %s (%s)", l->reason, claims_state_word(cl->state), state,
				 cl->note);
			return -1;
		}
	}
	if (!hits) {
		snprintf(why, whylen, "claim %s: no such record", l->reason);
		return -1;
	}
	return 0;
}

/* Case-insensitive substring test (strcasestr is a GNU extension). */
static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return n == 0;
}

/* The code word of an expectation line must be one the tool defines, and the verdict must carry it. */
static int check_code(const struct expect_line *l, enum verdict_code got, char *why, size_t whylen)
{
	enum verdict_code want;
	if (verdict_code_from_word(l->code, &want) < 0) {
		snprintf(why, whylen, "%s %d: '%s' is not a reason code (verdict.h)", l->kind, l->index, l->code);
		return -1;
	}
	if (want != got) {
		snprintf(why, whylen, "%s %d: expected code %s, got %s", l->kind, l->index, l->code,
			 verdict_code_word(got));
		return -1;
	}
	return 0;
}

static int check_line(const struct run_result *r, const struct expect_line *l, char *why, size_t whylen)
{
	const char *got, *reason;
	char num[16];
	enum verdict_code code = VC_NONE;
	if (strcmp(l->kind, "arc") == 0) {
		got = verdict_word(r->arc.result);
		reason = "";
		code = r->arc.code;
		if (l->reason[0] && strcmp(l->reason, verdict_code_word(r->arc.cause)) != 0) {
			snprintf(why, whylen, "arc: expected cause %s, got %s (%s)", l->reason,
				 verdict_code_word(r->arc.cause), r->arc.reason);
			return -1;
		}
	} else if (strcmp(l->kind, "oldest-pass") == 0) {
		snprintf(num, sizeof num, "%d", r->arc.oldest_pass);
		got = num;
		reason = "";
	} else {
		const struct verdict *v = find_verdict(r, l);
		if (!v) {
			snprintf(why, whylen, "%s %d: no such signature", l->kind, l->index);
			return -1;
		}
		got = verdict_word(v->result);
		reason = v->reason;
		code = v->code;
	}
	if (strcmp(got, l->result) != 0) {
		snprintf(why, whylen, "%s %d: expected %s, got %s (%s)", l->kind, l->index, l->result, got, reason);
		return -1;
	}
	if (strcmp(l->kind, "oldest-pass") != 0) {
		if (!l->code[0]) {
			snprintf(why, whylen, "%s %d: the line names no reason code", l->kind, l->index);
			return -1;
		}
		if (check_code(l, code, why, whylen) < 0)
			return -1;
	}
	if (strcmp(l->kind, "arc") != 0 && l->reason[0] && !contains_nocase(reason, l->reason)) {
		snprintf(why, whylen, "%s %d: reason '%s' lacks '%s'", l->kind, l->index, reason, l->reason);
		return -1;
	}
	return 0;
}

static int count_dkim_lines(const struct expectation *e)
{
	int n = 0;
	for (size_t i = 0; i < e->nlines; i++)
		n += strcmp(e->lines[i].kind, "dkim") == 0;
	return n;
}

int fixture_check(const char *dir, const char *name, const char *const *extra_args, size_t nextra,
		  char *why, size_t whylen)
{
	char path[512], eml[512], zone[512];
	snprintf(path, sizeof path, "%s/%s.expect", dir, name);
	snprintf(eml, sizeof eml, "%s/%s.eml", dir, name);
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	struct expectation *e = calloc(1, sizeof *e);
	if (!e || parse_expect(path, e) < 0) {
		snprintf(why, whylen, "cannot read %s", path);
		free(e);
		return -1;
	}
	const char *argv[64];
	int argc = 0;
	argv[argc++] = "arcverify";
	int has_keys = 0;
	for (size_t i = 0; i < nextra; i++)
		has_keys |= strcmp(extra_args[i], "--dns-server") == 0;
	char arczone[512];
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
	if (!has_keys) {
		argv[argc++] = "--keys";
		argv[argc++] = zone;
		if (access(arczone, R_OK) == 0) {
			argv[argc++] = "--keys";
			argv[argc++] = arczone;
		}
	}
	if (e->now[0]) {
		argv[argc++] = "--now";
		argv[argc++] = e->now;
	}
	for (size_t i = 0; i < e->nargs && argc < 50; i++)
		argv[argc++] = e->args[i];
	for (size_t i = 0; i < nextra && argc < 60; i++)
		argv[argc++] = extra_args[i];
	argv[argc++] = eml;
	argv[argc] = NULL;

	int rc = 0;
	struct cli_opts o;
	char err[300];
	if (cli_parse(argc, (char **)argv, &o, err, sizeof err) < 0) {
		snprintf(why, whylen, "%s: usage error: %s", name, err);
		rc = -1;
		goto done;
	}
	char lkerr[300];
	const struct batch_opts *bo = &o.batch;
	struct lookup *lk = bo->nkeys ? lookup_new_zone(bo->keys, bo->nkeys, NULL, lkerr, sizeof lkerr)
				      : lookup_new_dns(&bo->dns, lkerr, sizeof lkerr);
	if (!lk) {
		snprintf(why, whylen, "%s: key source: %s", name, lkerr);
		cli_free(&o);
		rc = -1;
		goto done;
	}
	int want_fx = 0;
	for (size_t i = 0; i < e->nlines; i++)
		want_fx |= is_diagnosis_line(&e->lines[i]) ? 2 : is_forensic_line(&e->lines[i]);
	struct fixture_run *fr = malloc(sizeof *fr);
	ck_assert(fr != NULL);
	fixture_run(fr, eml, NULL, 0, &bo->run, lk, want_fx);
	const struct run_result *r = &fr->res.run;
	int want_dkim = count_dkim_lines(e);
	if (bo->run.do_dkim && want_dkim != (int)r->ndkim) {
		snprintf(why, whylen, "%s: expected %d DKIM signatures, found %zu", name, want_dkim, r->ndkim);
		rc = -1;
	}
	char w[600];
	for (size_t i = 0; rc == 0 && i < e->nlines; i++) {
		const struct expect_line *l = &e->lines[i];
		if (strcmp(l->kind, "diagnosis") == 0)
			continue;   /* all at once, below */
		if ((strcmp(l->kind, "claim") == 0 ? check_claim_line(&fr->res.claims, l, w, sizeof w)
		     : is_forensic_line(l) ? check_forensic_line(r, &fr->res.forensics, l, w, sizeof w)
					   : check_line(r, l, w, sizeof w)) < 0) {
			snprintf(why, whylen, "%s: %s", name, w);
			rc = -1;
		}
	}
	if (rc == 0 && want_fx > 1 && check_diagnosis(&fr->res.diagnosis, e, w, sizeof w) < 0) {
		snprintf(why, whylen, "%s: %s", name, w);
		rc = -1;
	}
	fixture_run_free(fr);
	free(fr);
	lookup_free(lk);
	if (rc == 0 && e->exit_status >= 0) {
		FILE *devnull = fopen("/dev/null", "w");
		int status = batch_run(bo, devnull, devnull);
		fclose(devnull);
		if (status != e->exit_status) {
			snprintf(why, whylen, "%s: expected exit %d, got %d", name, e->exit_status, status);
			rc = -1;
		}
	}
	cli_free(&o);
done:
	buf_free(&e->text);
	free(e);
	return rc;
}

static void read_fd(int fd, struct buf *out)
{
	char chunk[8192];
	ssize_t got;
	while ((got = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)got);
}

static const char *test_binary(void)
{
	const char *bin = getenv("ARCVERIFY_BIN");
	return bin && *bin ? bin : "./arcverify";
}

/* In a child: apply "NAME=value" / "NAME" entries to the environment. */
static void apply_env(const char *const *env)
{
	for (; env && *env; env++) {
		const char *eq = strchr(*env, '=');
		if (!eq) {
			unsetenv(*env);
			continue;
		}
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)(eq - *env), *env);
		setenv(name, eq + 1, 1);
	}
}

/* Append what the master side of a pseudo-terminal holds now, without waiting (O_NONBLOCK). */
static void drain_pty(int master, struct buf *out)
{
	char chunk[4096];
	ssize_t got;
	while ((got = read(master, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)got);
}

/*
 * The test keeps its own descriptor of the slave side open until the child has exited and the
 * master is drained: once the last slave descriptor closes, Linux may discard output the master
 * has not read yet (the read fails with EIO instead), which lost the report now and then under load.
 */
int fixture_pty_exec(const char *const *argv, const char *const *env, int quiet_stdout, struct buf *out)
{
	int master, slave;
	ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		apply_env(env);
		int quiet = quiet_stdout ? open("/dev/null", O_RDWR) : slave;
		if (quiet < 0 || dup2(quiet, STDIN_FILENO) < 0 || dup2(quiet, STDOUT_FILENO) < 0 ||
		    dup2(slave, STDERR_FILENO) < 0)
			_exit(127);
		close(master);
		execv(test_binary(), (char *const *)argv);
		_exit(127);
	}
	buf_init(out, (size_t)1 << 20);
	ck_assert_int_eq(fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK), 0);
	int status = 0;
	while (waitpid(pid, &status, WNOHANG) == 0) {   /* read as it comes: a full terminal never blocks the child */
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		if (poll(&pfd, 1, 100) > 0)
			drain_pty(master, out);
	}
	drain_pty(master, out);
	if (!out->data)
		buf_append(out, "", 0);
	close(slave);
	close(master);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int fixture_exec(const char *const *argv, struct buf *out, struct buf *err, const char *stdin_file)
{
	const char *bin = test_binary();
	char errpath[] = "/tmp/arcverify-test-stderr-XXXXXX";
	int errfd = mkstemp(errpath);
	int pipefd[2];
	if (errfd < 0 || pipe(pipefd) < 0)
		return -1;
	unlink(errpath);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (stdin_file && !*stdin_file) {
			close(0);
		} else {
			int in = stdin_file ? open(stdin_file, O_RDONLY) : open("/dev/null", O_RDONLY);
			dup2(in, 0);
		}
		dup2(pipefd[1], 1);
		dup2(errfd, 2);
		close(pipefd[0]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	buf_init(out, (size_t)64 << 20);
	read_fd(pipefd[0], out);
	close(pipefd[0]);
	if (!out->data)
		buf_append(out, "", 0);
	int status = 0;
	waitpid(pid, &status, 0);
	if (err) {
		buf_init(err, (size_t)1 << 20);
		lseek(errfd, 0, SEEK_SET);
		read_fd(errfd, err);
		if (!err->data)
			buf_append(err, "", 0);
	}
	close(errfd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
