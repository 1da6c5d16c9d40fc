/* cli: option table, parsing and --help text. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keyrec.h"

enum {
	OPT_NO_CRLF = 256, OPT_NOW, OPT_ALLOW_SHA1, OPT_MIN_KEY_BITS, OPT_KEYS, OPT_DNS_SERVER,
	OPT_DNS_TIMEOUT, OPT_JSON, OPT_FORMAT, OPT_COLOR, OPT_ARC_ONLY, OPT_DKIM_ONLY, OPT_VERSION,
	OPT_EXPLAIN, OPT_DUMP_CANON, OPT_BUNDLE, OPT_REDACT, OPT_COMPARE, OPT_DNS_CONCURRENCY,
	OPT_FILES_FROM, OPT_MBOX, OPT_MBOX_FORMAT, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_SUMMARY, OPT_NO_SUMMARY,
	OPT_SUMMARY_JSON, OPT_SUMMARIZE, OPT_AUTHSERV_ID, OPT_FORCE,
	OPT_INTEROP, OPT_MAX_KEY_BITS, OPT_MAX_SIGNATURES,
};

enum { OPT_NAME = 1 };   /* getopt_long with "-": a name, in command-line order */

static const struct option long_options[] = {
	{ "no-crlf", no_argument, NULL, OPT_NO_CRLF },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "allow-sha1", no_argument, NULL, OPT_ALLOW_SHA1 },
	{ "min-key-bits", required_argument, NULL, OPT_MIN_KEY_BITS },
	{ "max-key-bits", required_argument, NULL, OPT_MAX_KEY_BITS },
	{ "max-signatures", required_argument, NULL, OPT_MAX_SIGNATURES },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "dns-server", required_argument, NULL, OPT_DNS_SERVER },
	{ "dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT },
	{ "dns-concurrency", required_argument, NULL, OPT_DNS_CONCURRENCY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "arc-only", no_argument, NULL, OPT_ARC_ONLY },
	{ "dkim-only", no_argument, NULL, OPT_DKIM_ONLY },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "dump-canon", required_argument, NULL, OPT_DUMP_CANON },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "redact", no_argument, NULL, OPT_REDACT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "compare", required_argument, NULL, OPT_COMPARE },
	{ "jobs", required_argument, NULL, 'j' },
	{ "recursive", no_argument, NULL, 'r' },
	{ "files-from", required_argument, NULL, OPT_FILES_FROM },
	{ "null", no_argument, NULL, '0' },
	{ "mbox", required_argument, NULL, OPT_MBOX },
	{ "mbox-format", required_argument, NULL, OPT_MBOX_FORMAT },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "no-summary", no_argument, NULL, OPT_NO_SUMMARY },
	{ "summary-json", required_argument, NULL, OPT_SUMMARY_JSON },
	{ "summarize", no_argument, NULL, OPT_SUMMARIZE },
	{ "authserv-id", required_argument, NULL, OPT_AUTHSERV_ID },
	{ "interop", no_argument, NULL, OPT_INTEROP },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void cli_usage(FILE *f)
{
	fputs("Usage: arcverify [OPTIONS] [FILE|DIR...]\n"
	      "       arcverify [OPTIONS] --compare SENT RECEIVED\n"
	      "       arcverify --summarize [--summary-json OUT] [RECORDS...]\n"
	      "Verify the DKIM signatures (RFC 6376, RFC 8463) and the ARC chain (RFC 8617)\n"
	      "of saved messages and explain every result. With no FILE, or with -, read\n"
	      "standard input. Messages are only read, never written.\n"
	      "\n"
	      "Inputs:\n"
	      "  FILE                    a message, or an mbox (split at its \"From \" lines)\n"
	      "  DIR                     a Maildir: the messages in cur/ and new/\n"
	      "  -r, --recursive         walk other directories: every regular file under DIR\n"
	      "  --files-from FILE       read more names from FILE (- for standard input)\n"
	      "  -0, --null              --files-from names are NUL-separated (find -print0)\n"
	      "  --mbox FILE             FILE is an mbox even if it holds one message\n"
	      "  --mbox-format FORMAT    how >From lines are unquoted: mboxrd (default), mboxo,\n"
	      "                          mboxcl (not at all)\n"
	      "  -j, --jobs N            verify with N threads (default: the online CPUs);\n"
	      "                          output stays in input order\n"
	      "\n"
	      "Evaluation:\n"
	      "  --now EPOCH             evaluate t= and x= at this time (seconds since 1970)\n"
	      "  --allow-sha1            accept rsa-sha1 signatures (RFC 8301 refuses them)\n"
	      "  --min-key-bits N        smallest RSA key accepted (default 1024, RFC 8301)\n"
	      "  --max-key-bits N        largest RSA key accepted (default 8192, at most 16384)\n"
	      "  --max-signatures N      DKIM-Signature fields evaluated per message (default 64)\n"
	      "  --dkim-only             evaluate DKIM-Signature fields only\n"
	      "  --arc-only              evaluate the ARC chain only\n"
	      "  --no-crlf               keep bare LF line ends (default: convert them to CRLF)\n"
	      "\n"
	      "Keys:\n"
	      "  --keys FILE             read keys from this zone file, not DNS (repeatable)\n"
	      "  --dns-server IP[:PORT]  ask this DNS server, not /etc/resolv.conf's (repeatable)\n"
	      "  --dns-timeout SECONDS   give up on a DNS query after this long (default 5)\n"
	      "  --dns-concurrency N     resolve at most N key names at once (default 128)\n"
	      "\n"
	      "Output:\n"
	      "  --explain               when a hash fails, find which known canonicalization\n"
	      "                          bug or change reproduces it (forensics; also with -v),\n"
	      "                          and say whose bug it is (the diagnosis)\n"
	      "  --interop               for each signature that verifies, the known verifier\n"
	      "                          bugs it would fail at on this message (also with\n"
	      "                          --explain and -v): check a message before sending it\n"
	      "  -v, --verbose           show fields hashed, body hashes, keys and header data;\n"
	      "                          with several messages, the full block per message\n"
	      "  --progress, --no-progress\n"
	      "                          a progress line on standard error (default: only when\n"
	      "                          it is a terminal and the run takes over a second)\n"
	      "  --summary, --no-summary totals after the reports (default: with several\n"
	      "                          messages and standard output a terminal)\n"
	      "  --summary-json FILE     write the totals as one JSON object to FILE\n"
	      "  --summarize             the names are JSON Lines written by --json (shards of a\n"
	      "                          run): print their totals as --summary does\n"
	      "\n"
	      "Evidence:\n"
	      "  --dump-canon DIR        write the exact bytes hashed per signature into DIR\n"
	      "  --bundle DIR            write a reproducible evidence bundle for one message:\n"
	      "                          message.eml, keys.zone, result.json, report.md\n"
	      "  --redact                with --bundle: no message text, only structure,\n"
	      "                          lengths, offsets and hashes\n"
	      "  --force                 --bundle may replace a previous bundle in DIR (and\n"
	      "                          nothing else); --dump-canon may replace its files\n"
	      "  --compare SENT          compare the copy as sent with the one FILE given\n"
	      "                          (as received): header and body changes, and whether\n"
	      "                          they explain each signature's failure\n"
	      "  --format FORMAT         text (default), json (JSON Lines) or ar\n"
	      "                          (an RFC 8601 Authentication-Results field)\n"
	      "  --json                  the same as --format json\n"
	      "  --authserv-id NAME      the authserv-id of --format ar fields (default\n"
	      "                          arcverify; a token, such as a host name)\n"
	      "  --color WHEN            colour text output: auto (default), always, never;\n"
	      "                          NO_COLOR, or TERM=dumb, in the environment: never\n"
	      "  -h, --help              show this help\n"
	      "  --version               show the version\n"
	      "\n"
	      "Exit status: 0 every signature and chain passed (or none was found),\n"
	      "1 any fail or permerror, 75 only temperrors, 64 usage error,\n"
	      "65 an input is not a message (no header field), 66 an input could not be\n"
	      "read, 73 an output file cannot be made, 74 the report cannot be written,\n"
	      "78 a --keys file does not parse (the first of 74, 73, 66, 65, 1, 75 wins).\n"
	      "With --compare: 0 the copies carry the same signed content, 1 signed\n"
	      "content changed, 65 a copy is not a message (or past a limit), 66 a copy\n"
	      "cannot be read, 64 both copies on standard input.\n", f);
}

static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int push_arg(const char ***list, size_t *n, const char *arg)
{
	const char **l = realloc(*list, (*n + 1) * sizeof *l);
	if (!l)
		return -1;
	l[(*n)++] = arg;
	*list = l;
	return 0;
}

static int parse_format(const char *s, enum report_format *f)
{
	if (strcmp(s, "text") == 0) *f = REPORT_TEXT;
	else if (strcmp(s, "json") == 0) *f = REPORT_JSON;
	else if (strcmp(s, "ar") == 0) *f = REPORT_AR;
	else return -1;
	return 0;
}

static int parse_color(const char *s, enum cli_color *c)
{
	if (strcmp(s, "auto") == 0) *c = CLI_COLOR_AUTO;
	else if (strcmp(s, "always") == 0) *c = CLI_COLOR_ALWAYS;
	else if (strcmp(s, "never") == 0) *c = CLI_COLOR_NEVER;
	else return -1;
	return 0;
}

static int parse_timeout(const char *s, int *ms)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 3600)
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return *ms > 0 ? 0 : -1;
}

static void set_defaults(struct cli_opts *o)
{
	memset(o, 0, sizeof *o);
	o->batch.run.policy.now = time(NULL);
	o->batch.run.policy.min_key_bits = 1024;
	o->batch.run.do_dkim = o->batch.run.do_arc = 1;
	o->batch.report.format = REPORT_TEXT;
	o->batch.dns.timeout_ms = 5000;
	o->batch.dns.concurrency = DNS_DEFAULT_CONCURRENCY;
	o->batch.progress = o->batch.summary = BATCH_AUTO;
	o->batch.progress_delay_ms = 1000;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	o->batch.jobs = cpus < 1 ? 1 : cpus > ENGINE_JOBS_MAX ? ENGINE_JOBS_MAX : (unsigned)cpus;
}

static void printable_arg(const char *s, size_t len, char *dst, size_t dstlen);

#define USAGE_ERROR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int push_name(struct cli_opts *o, const char *name, enum input_mbox_mode mode, char *err, size_t errlen)
{
	struct batch_name *l = realloc(o->names, (o->batch.nnames + 1) * sizeof *l);
	if (!l)
		USAGE_ERROR("out of memory");
	l[o->batch.nnames].name = name;
	l[o->batch.nnames++].mode = mode;
	o->names = l;
	o->batch.names = l;
	return 0;
}


static int apply_option(struct cli_opts *o, int c, const char *arg, char *err, size_t errlen)
{
	unsigned long long v;
	switch (c) {
	case OPT_NO_CRLF: o->batch.run.msg.no_crlf = 1; break;
	case OPT_NOW:
		if (parse_ulong(arg, (unsigned long long)LLONG_MAX, &v) < 0)
			USAGE_ERROR("--now needs seconds since 1970, not '%s'", arg);
		o->batch.run.policy.now = (time_t)v;
		break;
	case OPT_ALLOW_SHA1: o->batch.run.policy.allow_sha1 = 1; break;
	case OPT_MIN_KEY_BITS:
		if (parse_ulong(arg, KEYREC_MAX_RSA_BITS, &v) < 0)
			USAGE_ERROR("--min-key-bits needs a number up to %d, not '%s'", KEYREC_MAX_RSA_BITS, arg);
		o->batch.run.policy.min_key_bits = (unsigned)v;
		break;
	case OPT_MAX_KEY_BITS:
		if (parse_ulong(arg, KEYREC_RSA_BITS_CEILING, &v) < 0 || v < 1024)
			USAGE_ERROR("--max-key-bits needs a number from 1024 to %d, not '%s'", KEYREC_RSA_BITS_CEILING, arg);
		o->batch.run.policy.max_key_bits = (unsigned)v;
		break;
	case OPT_MAX_SIGNATURES:
		if (parse_ulong(arg, MSG_FIELDS_MAX, &v) < 0 || v < 1)
			USAGE_ERROR("--max-signatures needs a number from 1 to %d, not '%s'", MSG_FIELDS_MAX, arg);
		o->batch.run.max_signatures = (unsigned)v;
		break;
	case OPT_KEYS:
		if (push_arg(&o->keys, &o->batch.nkeys, arg) < 0)
			USAGE_ERROR("out of memory");
		o->batch.keys = o->keys;
		break;
	case OPT_DNS_SERVER:
		if (o->batch.dns.nservers == DNS_SERVERS_MAX)
			USAGE_ERROR("at most %d --dns-server options", DNS_SERVERS_MAX);
		if (dnswire_parse_server(arg, &o->batch.dns.servers[o->batch.dns.nservers]) < 0)
			USAGE_ERROR("--dns-server needs IP or IP:PORT ([IPv6]:PORT), not '%s'", arg);
		o->batch.dns.nservers++;
		break;
	case OPT_DNS_TIMEOUT:
		if (parse_timeout(arg, &o->batch.dns.timeout_ms) < 0)
			USAGE_ERROR("--dns-timeout needs seconds (0 < SECONDS <= 3600), not '%s'", arg);
		break;
	case OPT_DNS_CONCURRENCY:
		if (parse_ulong(arg, DNS_CONCURRENCY_MAX, &v) < 0 || v == 0)
			USAGE_ERROR("--dns-concurrency needs a number from 1 to %d, not '%s'", DNS_CONCURRENCY_MAX, arg);
		o->batch.dns.concurrency = (unsigned)v;
		break;
	case OPT_JSON: o->batch.report.format = REPORT_JSON; break;
	case OPT_FORMAT:
		if (parse_format(arg, &o->batch.report.format) < 0)
			USAGE_ERROR("--format needs text, json or ar, not '%s'", arg);
		break;
	case OPT_COLOR:
		if (parse_color(arg, &o->color) < 0)
			USAGE_ERROR("--color needs auto, always or never, not '%s'", arg);
		break;
	case OPT_ARC_ONLY: o->batch.run.do_dkim = 0; o->batch.run.do_arc = 1; break;
	case OPT_DKIM_ONLY: o->batch.run.do_arc = 0; o->batch.run.do_dkim = 1; break;
	case OPT_EXPLAIN: o->batch.report.explain = 1; break;
	case OPT_DUMP_CANON: o->batch.dump_dir = arg; break;
	case OPT_BUNDLE: o->batch.bundle_dir = arg; break;
	case OPT_REDACT: o->batch.redact = 1; break;
	case OPT_FORCE: o->batch.force = 1; break;
	case OPT_COMPARE: o->batch.compare_sent = arg; break;
	case 'j':
		if (parse_ulong(arg, ENGINE_JOBS_MAX, &v) < 0 || v == 0)
			USAGE_ERROR("-j needs a number of threads from 1 to %d, not '%s'", ENGINE_JOBS_MAX, arg);
		o->batch.jobs = (unsigned)v;
		break;
	case 'r': o->batch.input.recursive = 1; break;
	case OPT_FILES_FROM:
		if (o->batch.files_from)
			USAGE_ERROR("--files-from can be given once");
		o->batch.files_from = arg;
		break;
	case '0': o->batch.files_from_nul = 1; break;
	case OPT_MBOX: return push_name(o, arg, INPUT_MBOX_ALWAYS, err, errlen);
	case OPT_NAME: return push_name(o, arg, INPUT_MBOX_AUTO, err, errlen);
	case OPT_MBOX_FORMAT:
		if (input_mbox_format_parse(arg, &o->batch.input.mbox_format) < 0)
			USAGE_ERROR("--mbox-format needs mboxrd, mboxo or mboxcl, not '%s'", arg);
		break;
	case OPT_PROGRESS: o->batch.progress = BATCH_YES; break;
	case OPT_NO_PROGRESS: o->batch.progress = BATCH_NO; break;
	case OPT_SUMMARY: o->batch.summary = BATCH_YES; break;
	case OPT_NO_SUMMARY: o->batch.summary = BATCH_NO; break;
	case OPT_SUMMARY_JSON: o->batch.summary_json = arg; break;
	case OPT_SUMMARIZE: o->batch.summarize = 1; break;
	case OPT_AUTHSERV_ID:
		if (strlen(arg) > 255 || !report_ar_is_token(arg)) {
			char shown[300];
			printable_arg(arg, strlen(arg), shown, sizeof shown);
			USAGE_ERROR("--authserv-id needs a token (RFC 8601 section 2.2: printable US-ASCII without space "
				    "or ()<>@,;:\\\"/[]?=, at most 255 characters), not '%s'", shown);
		}
		o->batch.report.authserv_id = arg;
		break;
	case OPT_INTEROP: o->batch.report.interop = 1; break;
	case 'v': o->batch.report.verbose = 1; break;
	case 'h': o->help = 1; break;
	case OPT_VERSION: o->version = 1; break;
	default: USAGE_ERROR("unknown option (see arcverify --help)");
	}
	return 0;
}

/* ---- option errors, in getopt_long's words (glibc's messages), the option shown printable ---- */

static void printable_arg(const char *s, size_t len, char *dst, size_t dstlen)
{
	struct buf b;
	buf_init(&b, dstlen);
	buf_append_printable(&b, s, len);
	snprintf(dst, dstlen, "%s", b.data ? b.data : "");
	buf_free(&b);
}

static const struct option *long_option_by_val(int val)
{
	for (const struct option *lo = long_options; lo->name; lo++)
		if (lo->val == val)
			return lo;
	return NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "(--dkim-only, --dns-server, ...)": every long option that starts with name, sorted; 0 when fewer than two. */
static int ambiguous_candidates(const char *name, size_t len, char *dst, size_t dstlen)
{
	const char *match[sizeof long_options / sizeof long_options[0]];
	size_t n = 0, used = 0;
	for (const struct option *lo = long_options; lo->name; lo++)
		if (strncmp(lo->name, name, len) == 0)
			match[n++] = lo->name;
	qsort(match, n, sizeof match[0], name_cmp);
	dst[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(dst + used, dstlen - used, "%s--%s%s", i ? ", " : "(", match[i], i + 1 == n ? ")" : "");
		used += w > 0 && (size_t)w < dstlen - used ? (size_t)w : 0;
	}
	return n > 1;
}

static int long_option_error(const char *arg, int c, char *err, size_t errlen)
{
	size_t namelen = strcspn(arg, "=");
	char name[160], all[160], cands[400];
	printable_arg(arg, namelen, name, sizeof name);
	printable_arg(arg, strlen(arg), all, sizeof all);
	const struct option *lo = optopt ? long_option_by_val(optopt) : NULL;
	if (lo && c == ':')
		USAGE_ERROR("option '%s' requires an argument", name);
	if (lo)
		USAGE_ERROR("option '%s' doesn't allow an argument", name);
	if (namelen > 2 && ambiguous_candidates(arg + 2, namelen - 2, cands, sizeof cands))
		USAGE_ERROR("option '%s' is ambiguous %s", name, cands);
	USAGE_ERROR("unrecognized option '%s'", all);
}

/* getopt_long returned '?' or ':'. optopt is 0 for an unknown long option, the option's val for a
 * long option's argument problem, and the character for a short option. */
static int option_error(char **argv, int c, char *err, size_t errlen)
{
	if (optopt == 0 || long_option_by_val(optopt))
		return long_option_error(argv[optind - 1], c, err, errlen);
	char ch = (char)optopt, shown[16];
	printable_arg(&ch, 1, shown, sizeof shown);
	if (c == ':')
		USAGE_ERROR("option requires an argument -- '%s'", shown);
	USAGE_ERROR("invalid option -- '%s'", shown);
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	set_defaults(o);
	int only_flags = 0;
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "-:vhrj:0", long_options, NULL);
		if (c == -1)
			break;
		if (c == '?' || c == ':')
			return option_error(argv, c, err, errlen);
		if (c == OPT_ARC_ONLY || c == OPT_DKIM_ONLY)
			only_flags |= c == OPT_ARC_ONLY ? 1 : 2;
		if (apply_option(o, c, optarg, err, errlen) < 0)
			return -1;
	}
	if (only_flags == 3)
		USAGE_ERROR("--arc-only and --dkim-only exclude each other");
	if (o->batch.nkeys && o->batch.dns.nservers)
		USAGE_ERROR("--keys and --dns-server exclude each other: with --keys, DNS is not consulted");
	for (int i = optind; i < argc; i++)   /* after "--" */
		if (push_name(o, argv[i], INPUT_MBOX_AUTO, err, errlen) < 0)
			return -1;
	if (o->batch.files_from_nul && !o->batch.files_from)
		USAGE_ERROR("-0 only applies to --files-from");
	if (o->batch.summarize && (o->batch.compare_sent || o->batch.bundle_dir || o->batch.dump_dir ||
				   o->batch.files_from))
		USAGE_ERROR("--summarize reads JSON records; it cannot be combined with --compare, --bundle, "
			    "--dump-canon or --files-from");
	if (o->batch.compare_sent && o->batch.nnames != 1)
		USAGE_ERROR("--compare SENT needs exactly one more file, the copy as received");
	if (o->batch.compare_sent && (o->batch.bundle_dir || o->batch.dump_dir))
		USAGE_ERROR("--compare cannot be combined with --bundle or --dump-canon");
	if (o->batch.redact && !o->batch.bundle_dir)
		USAGE_ERROR("--redact only applies to --bundle");
	if (o->batch.force && !o->batch.bundle_dir && !o->batch.dump_dir)
		USAGE_ERROR("--force only applies to --bundle and --dump-canon");
	if (o->batch.bundle_dir && o->batch.nnames > 1)
		USAGE_ERROR("--bundle takes one message (%zu given)", o->batch.nnames);
	o->batch.report.show_dkim = o->batch.run.do_dkim;
	o->batch.report.show_arc = o->batch.run.do_arc;
	return 0;
}

void cli_free(struct cli_opts *o)
{
	free(o->keys);
	free(o->names);
	o->keys = NULL;
	o->names = NULL;
}
