/* arcverify: parse the command line, run the batch, exit. The only exit() is here. */
#include <errno.h>
#include <fcntl.h>
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
	const char *term = getenv("TERM");     /* terminfo's name for a terminal without attributes */
	return !(no && *no) && !(term && strcmp(term, "dumb") == 0) && isatty(STDOUT_FILENO);
}

/*
 * A descriptor 0-2 that the caller closed (arcverify <&-, >&-) would be handed to the next file
 * opened, and a spool or a key file would be read as the message, or output written into a
 * bundle. Hold each with /dev/null opened the wrong way round, so that reading a closed standard
 * input or writing a closed standard output still fails with EBADF, as it would have.
 */
static void hold_closed_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int nfd = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (nfd >= 0 && nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
	}
}

int main(int argc, char **argv)
{
	hold_closed_std_fds();
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
	o.batch.input.tmpdir = getenv("TMPDIR");   /* spools of standard input and pipes */
	int status = batch_run(&o.batch, stdout, stderr);
	cli_free(&o);
	return status;
}
