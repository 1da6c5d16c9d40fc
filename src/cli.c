/* cli: option table, parsing and --help text. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyrec.h"

enum {
	OPT_NO_CRLF = 256, OPT_NOW, OPT_ALLOW_SHA1, OPT_MIN_KEY_BITS, OPT_KEYS, OPT_DNS_SERVER,
	OPT_DNS_TIMEOUT, OPT_JSON, OPT_FORMAT, OPT_COLOR, OPT_ARC_ONLY, OPT_DKIM_ONLY, OPT_VERSION,
	OPT_EXPLAIN, OPT_DUMP_CANON, OPT_BUNDLE, OPT_REDACT, OPT_COMPARE, OPT_MAX_KEY_BITS, OPT_MAX_SIGNATURES,
};

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
	{ "json", no_argument, NULL, OPT_JSON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "arc-only", no_argument, NULL, OPT_ARC_ONLY },
	{ "dkim-only", no_argument, NULL, OPT_DKIM_ONLY },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "dump-canon", required_argument, NULL, OPT_DUMP_CANON },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "redact", no_argument, NULL, OPT_REDACT },
	{ "compare", required_argument, NULL, OPT_COMPARE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void cli_usage(FILE *f)
{
	fputs("Usage: arcverify [OPTIONS] [FILE...]\n"
	      "       arcverify [OPTIONS] --compare SENT RECEIVED\n"
	      "Verify the DKIM signatures (RFC 6376, RFC 8463) and the ARC chain (RFC 8617)\n"
	      "of saved messages and explain every result. With no FILE, or with -, read\n"
	      "standard input. Messages are only read, never written.\n"
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
	      "\n"
	      "Output:\n"
	      "  --explain               when a hash fails, find which known canonicalization\n"
	      "                          bug or change reproduces it (forensics; also with -v)\n"
	      "  -v, --verbose           show fields hashed, body hashes, keys and header data\n"
	      "\n"
	      "Evidence:\n"
	      "  --dump-canon DIR        write the exact bytes hashed per signature into DIR\n"
	      "  --bundle DIR            write a reproducible evidence bundle for one message:\n"
	      "                          message.eml, keys.zone, result.json, report.md\n"
	      "  --redact                with --bundle: no message text, only structure,\n"
	      "                          lengths, offsets and hashes\n"
	      "  --compare SENT          compare the copy as sent with the one FILE given\n"
	      "                          (as received): header and body changes, and whether\n"
	      "                          they explain each signature's failure\n"
	      "  --format FORMAT         text (default), json (JSON Lines) or ar\n"
	      "                          (an RFC 8601 Authentication-Results field)\n"
	      "  --json                  the same as --format json\n"
	      "  --color WHEN            colour text output: auto (default), always, never;\n"
	      "                          NO_COLOR in the environment means never\n"
	      "  -h, --help              show this help\n"
	      "  --version               show the version\n"
	      "\n"
	      "Exit status: 0 every signature and chain passed (or none was found),\n"
	      "1 any fail or permerror, 75 only temperrors, 64 usage error,\n"
	      "66 an input could not be read. With --compare: 0 the copies are identical,\n"
	      "1 they differ.\n", f);
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
	o->batch.jobs = 1;
}

#define USAGE_ERROR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

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
		if (dns_parse_server(arg, &o->batch.dns.servers[o->batch.dns.nservers]) < 0)
			USAGE_ERROR("--dns-server needs IP or IP:PORT ([IPv6]:PORT), not '%s'", arg);
		o->batch.dns.nservers++;
		break;
	case OPT_DNS_TIMEOUT:
		if (parse_timeout(arg, &o->batch.dns.timeout_ms) < 0)
			USAGE_ERROR("--dns-timeout needs seconds (0 < SECONDS <= 3600), not '%s'", arg);
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
	case OPT_COMPARE: o->batch.compare_sent = arg; break;
	case 'v': o->batch.report.verbose = 1; break;
	case 'h': o->help = 1; break;
	case OPT_VERSION: o->version = 1; break;
	default: USAGE_ERROR("unknown option (see arcverify --help)");
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	set_defaults(o);
	int only_flags = 0;
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "vh", long_options, NULL);
		if (c == -1)
			break;
		if (c == '?') {
			if (optopt)
				USAGE_ERROR("option -%c is unknown or needs an argument (see arcverify --help)", optopt);
			USAGE_ERROR("option %s is unknown or needs an argument (see arcverify --help)", argv[optind - 1]);
		}
		if (c == OPT_ARC_ONLY || c == OPT_DKIM_ONLY)
			only_flags |= c == OPT_ARC_ONLY ? 1 : 2;
		if (apply_option(o, c, optarg, err, errlen) < 0)
			return -1;
	}
	if (only_flags == 3)
		USAGE_ERROR("--arc-only and --dkim-only exclude each other");
	if (o->batch.nkeys && o->batch.dns.nservers)
		USAGE_ERROR("--keys and --dns-server exclude each other: with --keys, DNS is not consulted");
	for (int i = optind; i < argc; i++)
		if (push_arg(&o->names, &o->batch.nnames, argv[i]) < 0)
			USAGE_ERROR("out of memory");
	o->batch.names = o->names;
	if (o->batch.compare_sent && o->batch.nnames != 1)
		USAGE_ERROR("--compare SENT needs exactly one more file, the copy as received");
	if (o->batch.compare_sent && (o->batch.bundle_dir || o->batch.dump_dir))
		USAGE_ERROR("--compare cannot be combined with --bundle or --dump-canon");
	if (o->batch.redact && !o->batch.bundle_dir)
		USAGE_ERROR("--redact only applies to --bundle");
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
	o->keys = o->names = NULL;
}
