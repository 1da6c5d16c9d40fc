/* runmsg: run one message in-process (keys from the fixture zones) for the evidence suites. */
#ifndef ARCVERIFY_TEST_RUNMSG_H
#define ARCVERIFY_TEST_RUNMSG_H

#include <stdio.h>

#include "fixture.h"
#include "lookup.h"
#include "run.h"

struct runmsg {
	struct fixture_run fr;     /* the engine's result */
	const struct run_result *r;  /* &fr.res.run */
	struct lookup *lk;
};

/* Verify the message in bytes (or the file at path when bytes is NULL) at time now, extra zone optional. */
void runmsg_start(struct runmsg *m, const char *path, const char *bytes, size_t len, long now, const char *extra_zone);
void runmsg_finish(struct runmsg *m);
/* A fixture file's bytes with text prepended (e.g. a header field added in transit); caller frees. */
char *runmsg_prepend(const char *path, const char *text, size_t *len);

#endif
