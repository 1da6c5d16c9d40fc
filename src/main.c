/* arcverify: parse the command line, run the batch, exit. The only exit() is here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "version.h"

static int want_color(enum cli_color c)
{
	if (c == CLI_COLOR_ALWAYS)
		return 1;
	if (c == CLI_COLOR_NEVER)
		return 0;
	const char *no = getenv("NO_COLOR");   /* https://no-color.org: any non-empty value */
	return !(no && *no) && isatty(STDOUT_FILENO);
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	char err[300];
	if (cli_parse(argc, argv, &o, err, sizeof err) < 0) {
		fprintf(stderr, "arcverify: %s\n", err);
		cli_free(&o);
		return EXIT_USAGE;
	}
	if (o.help || o.version) {
		if (o.help)
			cli_usage(stdout);
		else
			printf("arcverify %s\n", ARCVERIFY_VERSION);
		cli_free(&o);
		return 0;
	}
	o.batch.report.color = o.batch.report.format == REPORT_TEXT && want_color(o.color);
	o.batch.in_tty = isatty(STDIN_FILENO);
	o.batch.out_tty = isatty(STDOUT_FILENO);
	o.batch.err_tty = isatty(STDERR_FILENO);
	o.batch.input.tmpdir = getenv("TMPDIR");
	const char *delay = getenv("ARCVERIFY_PROGRESS_DELAY");   /* milliseconds; see ENVIRONMENT */
	if (delay && *delay)
		o.batch.progress_delay_ms = atoi(delay);
	int status = batch_run(&o.batch, stdout, stderr);
	cli_free(&o);
	/* a report that could not be written must not end in 0 (EX_IOERR, sysexits.h) */
	if (fclose(stdout) != 0 && status != EXIT_USAGE) {
		fprintf(stderr, "arcverify: cannot write the report: %s\n", strerror(errno));
		status = EXIT_IOERR;
	}
	return status;
}
