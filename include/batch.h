/*
 * batch: the driver over every input named on the command line: opens each
 * file (or standard input), runs it through run.h, writes its report, and folds
 * the per-message outcomes into one exit status (sysexits: 64 usage, 66 no
 * input, 75 temporary failure). Maildir and mbox scanning belong here later.
 */
#ifndef ARCVERIFY_BATCH_H
#define ARCVERIFY_BATCH_H

#include <stdio.h>

#include "cli.h"

#define EXIT_VERIFY_FAIL 1
#define EXIT_USAGE 64      /* EX_USAGE */
#define EXIT_NOINPUT 66    /* EX_NOINPUT */
#define EXIT_TEMPFAIL 75   /* EX_TEMPFAIL */

/* Verify every input; reports go to out, problems with inputs to err. Returns the exit status. */
int batch_run(const struct cli_opts *o, FILE *out, FILE *err);

#endif
