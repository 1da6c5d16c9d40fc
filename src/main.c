/* arcverify: parse the command line, run the batch, exit. The only exit() is here. */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "version.h"

#define MAIN_OUT_BUF (1 << 16)   /* bytes of report output per write(2) when stdout is not a terminal */

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

/*
 * Each message allocates and frees its buffers (64 KiB chunks, a body tail of up to 128 KiB, a header
 * block of up to 4 MiB). glibc's defaults hand such blocks back to the kernel on every free (mmap
 * above 128 KiB, brk trimming above 128 KiB free), so every message paid again in page faults: 10%
 * of a batch's time in `perf`. Keep blocks up to 8 MiB on the heap and trim only past 64 MiB free;
 * memory stays bounded by the largest message in flight per thread.
 */
static void tune_allocator(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

/* Output that could not be written must not end in 0 (EX_IOERR, sysexits.h): the last flush is checked. */
static int close_stdout(int status)
{
	int failed = ferror(stdout);   /* an earlier write may have failed where the buffer filled */
	if ((fclose(stdout) != 0 || failed) && status != EXIT_USAGE) {
		fprintf(stderr, "arcverify: cannot write the report: %s\n", strerror(errno ? errno : EIO));
		return EXIT_IOERR;
	}
	return status;
}

int main(int argc, char **argv)
{
	hold_closed_std_fds();
	tune_allocator();
	struct cli_opts o;
	char err[300];
	if (cli_parse(argc, argv, &o, err, sizeof err) < 0) {
		fprintf(stderr, "arcverify: %s\n", err);
		cli_free(&o);
		return EXIT_USAGE;
	}
	int status = 0;
	if (o.help || o.version) {
		if (o.help)
			cli_usage(stdout);
		else
			printf("arcverify %s\n", ARCVERIFY_VERSION);
		cli_free(&o);
		return close_stdout(status);
	}
	o.batch.report.color = o.batch.report.format == REPORT_TEXT && want_color(o.color);
	o.batch.in_tty = isatty(STDIN_FILENO);
	o.batch.out_tty = isatty(STDOUT_FILENO);
	o.batch.err_tty = isatty(STDERR_FILENO);
	char outbuf[MAIN_OUT_BUF];   /* lives until close_stdout: a pipe or file gets 64 KB writes, not 4 KB */
	if (!o.batch.out_tty)
		setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	o.batch.input.tmpdir = getenv("TMPDIR");   /* spools of standard input and pipes */
	const char *delay = getenv("ARCVERIFY_PROGRESS_DELAY");   /* milliseconds; see ENVIRONMENT */
	if (delay && *delay)
		o.batch.progress_delay_ms = atoi(delay);
	status = batch_run(&o.batch, stdout, stderr);
	cli_free(&o);
	return close_stdout(status);
}
