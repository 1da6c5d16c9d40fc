/*
 * cli: the command line. One table of options feeds getopt_long, --help and
 * the documentation checks, so usage, README and man page cannot drift apart
 * unnoticed. Parsing fills the batch layer's own options (batch.h) and never
 * exits: it returns an error for main to turn into exit status 64 (EX_USAGE).
 */
#ifndef ARCVERIFY_CLI_H
#define ARCVERIFY_CLI_H

#include <stdio.h>

#include "batch.h"

enum cli_color { CLI_COLOR_AUTO = 0, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

struct cli_opts {
	struct batch_opts batch;
	enum cli_color color;
	const char **keys;          /* --keys files, argv strings (not ours); batch.keys points here */
	struct batch_name *names;   /* message names, argv strings; batch.names points here */
	int help, version;
};

/* 0 on success, -1 with a message in err (usage error). */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
void cli_usage(FILE *f);
void cli_free(struct cli_opts *o);

#endif
