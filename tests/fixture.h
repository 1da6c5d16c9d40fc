/*
 * fixture: test helpers shared by the suites. A fixture is testdata/<dir>/NAME.eml
 * with NAME.expect beside it (format in testdata/README.md); fixture_check runs
 * it through the same code path as the command line (cli_parse, run_*, batch
 * exit status) and compares every expectation.
 */
#ifndef ARCVERIFY_TEST_FIXTURE_H
#define ARCVERIFY_TEST_FIXTURE_H

#include <stddef.h>

#include "buf.h"
#include "engine.h"
#include "input.h"

#define FIXTURE_MAX 512

/* Names (without extension) of the fixtures in dir, sorted; returns the count. */
size_t fixture_list(const char *dir, char names[][128], size_t max);
/* Run one fixture; on mismatch fills why and returns -1. extra_args are added before the file. */
int fixture_check(const char *dir, const char *name, const char *const *extra_args, size_t nextra,
		  char *why, size_t whylen);
/* Directory of the repository's testdata (ARCVERIFY_TESTDATA or "testdata"). */
const char *fixture_testdata(void);
/* Directory of ../shared (ARCVERIFY_SHARED), or NULL when absent (print a loud skip). */
const char *fixture_shared(void);
/* Run the arcverify binary with argv (argv[0] ignored); capture stdout (and stderr if err). Standard
 * input is stdin_file, /dev/null when NULL, closed when "" (FIXTURE_STDIN_CLOSED). Returns exit status. */
#define FIXTURE_STDIN_CLOSED ""
int fixture_exec(const char *const *argv, struct buf *out, struct buf *err, const char *stdin_file);
/* Run the arcverify binary with argv (argv[0] ignored) on a pseudo-terminal, the environment changed
 * by env ("NAME=value" sets, "NAME" unsets; NULL-terminated, or NULL): standard error, and standard
 * input and output unless quiet_stdout (then /dev/null), are the terminal. What the terminal
 * received goes into out; returns the exit status. */
int fixture_pty_exec(const char *const *argv, const char *const *env, int quiet_stdout, struct buf *out);
/* One message through the engine, as every caller verifies messages. */
struct fixture_run {
	struct input_list list;
	struct engine_result res;     /* res.run is the run; res.forensics when asked */
};
/* Verify the file at path (bytes == NULL) or the bytes given, named path, with run options ro and
 * keys from lk; forensics examines every failing signature. Asserts that the message was read. */
void fixture_run(struct fixture_run *fr, const char *path, const char *bytes, size_t len,
		 const struct run_opts *ro, struct lookup *lk, int forensics);
void fixture_run_free(struct fixture_run *fr);
/* Record a skipped test (loudly on stderr, and in the runner's skip log so the closing summary
 * counts it): call instead of asserting when a test cannot run here. */
void fixture_skip(const char *test, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Offset of the first thing in text output that a terminal would act on or a reader could be
 * fooled by: a C0 control but LF, DEL, a C1 control (raw byte or UTF-8), a Unicode Bidi_Control
 * character, bytes that are not UTF-8. -1 when there is none. */
long fixture_find_raw_control(const char *s, size_t len);
/* Read a whole file into a buf; 0 or -1. */
int fixture_read_file(const char *path, struct buf *out);
/* The committed test key testdata/keys/NAME.pem (an EVP_PKEY *, the caller's); fails the test if absent. */
void *fixture_load_key(const char *name);
/*
 * Random text for canonicalization tests: tokens drawn by an LCG from *seed
 * (advanced), appended at out while the length is under room (out holds room
 * plus the longest token), at most max_tokens of them, and ending after each
 * token with chance 1/end_one_in. Returns the length.
 */
size_t fixture_token_text(char *out, size_t room, const char *const *tokens, size_t ntokens, unsigned *seed,
			  unsigned end_one_in, size_t max_tokens);

#endif
