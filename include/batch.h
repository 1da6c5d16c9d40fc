/*
 * batch: a verification run over every input: collects the inputs (input.h),
 * opens the key source, drives the engine (engine.h) and writes each
 * message's report in input order, the evidence files (--dump-canon,
 * --bundle), and folds the outcomes into one exit status (sysexits.h numbers,
 * see batch_exit_status). It takes its own options, filled by the command line
 * or by any other caller; it never exits.
 */
#ifndef ARCVERIFY_BATCH_H
#define ARCVERIFY_BATCH_H

#include <stdio.h>

#include "dns.h"
#include "engine.h"
#include "input.h"
#include "report.h"
#include "run.h"

#define EXIT_VERIFY_FAIL 1
#define EXIT_USAGE 64      /* EX_USAGE */
#define EXIT_DATAERR 65    /* EX_DATAERR: an input holds no message */
#define EXIT_NOINPUT 66    /* EX_NOINPUT */
#define EXIT_CANTCREAT 73  /* EX_CANTCREAT: an output file or directory cannot be made */
#define EXIT_IOERR 74      /* EX_IOERR: output could not be written */
#define EXIT_TEMPFAIL 75   /* EX_TEMPFAIL */
#define EXIT_CONFIG 78     /* EX_CONFIG: a --keys zone file is wrong */

/* One name from the command line, and whether it was given with --mbox. */
struct batch_name {
	const char *name;           /* not ours */
	enum input_mbox_mode mode;
};

enum batch_tristate { BATCH_AUTO = -1, BATCH_NO = 0, BATCH_YES = 1 };

struct batch_opts {
	struct run_opts run;
	struct report_opts report;
	struct input_opts input;
	struct dns_opts dns;
	const char *const *keys;    /* --keys files (not ours) */
	size_t nkeys;
	const struct batch_name *names;   /* files, directories, "-", in command-line order (not ours) */
	size_t nnames;
	const char *files_from;     /* --files-from FILE or "-" */
	int files_from_nul;         /* -0 */
	unsigned jobs;              /* -j: worker threads */
	int progress;               /* enum batch_tristate: a progress line on err (auto: err is a terminal) */
	int summary;                /* enum batch_tristate: totals after the reports (auto: out is a terminal
	                             * and several messages were verified) */
	const char *summary_json;   /* --summary-json FILE */
	int summarize;              /* --summarize: the names are JSON Lines records to total */
	int in_tty, out_tty, err_tty;   /* stdin / out / err are terminals (set by the caller) */
	int progress_delay_ms;      /* a progress line appears once the run is this old (default 1000) */
	const char *dump_dir;       /* --dump-canon DIR */
	const char *bundle_dir;     /* --bundle DIR */
	int redact;                 /* --redact */
	int force;                  /* --force: --bundle may replace a previous bundle, --dump-canon its files */
	const char *compare_sent;   /* --compare SENT: the one name is the received copy */
};

/* Verify every input; reports go to out, problems with the tool and its inputs to err.
 * Returns the exit status. */
int batch_run(const struct batch_opts *o, FILE *out, FILE *err);

#endif
