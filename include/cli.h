/*
 * cli: the command line. One table of options feeds getopt_long, --help and
 * the documentation checks, so usage, README and man page cannot drift apart
 * unnoticed. Parsing never exits: it returns an error for main to turn into
 * exit status 64 (EX_USAGE).
 */
#ifndef ARCVERIFY_CLI_H
#define ARCVERIFY_CLI_H

#include <stdio.h>

#include "dns.h"
#include "report.h"
#include "run.h"


enum cli_color { CLI_COLOR_AUTO = 0, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

struct cli_opts {
	struct run_opts run;
	struct report_opts report;
	struct dns_opts dns;
	enum cli_color color;
	const char **keys;          /* --keys files, argv strings (not ours) */
	size_t nkeys;
	const char **files;         /* message files, argv strings; "-" is stdin */
	size_t nfiles;
	const char *dump_dir;       /* --dump-canon DIR */
	const char *bundle_dir;     /* --bundle DIR */
	int redact;                 /* --redact */
	const char *compare_sent;   /* --compare SENT: the one FILE is the received copy */
	int help, version;
};

/* 0 on success, -1 with a message in err (usage error). */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
void cli_usage(FILE *f);
void cli_free(struct cli_opts *o);

#endif
