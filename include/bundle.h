/*
 * bundle: --bundle DIR, the evidence for a vendor ticket, for one message:
 * DIR/message.eml (the exact bytes read), DIR/keys.zone (every key record
 * used, with TTL, fetch time, server, DNSSEC AD bit and SPKI fingerprint as
 * comments), DIR/result.json (the JSON result) and DIR/report.md (a summary to
 * paste into a ticket). `arcverify --keys DIR/keys.zone --now T DIR/message.eml`
 * reproduces the result offline after the keys rotate. With --redact no message
 * text is written: DIR/structure.txt holds field names, lengths, offsets and
 * hashes instead, and the report quotes no header or body text. A bundle is
 * written whole into a new directory and renamed into place; it never
 * replaces anything but a previous bundle, and that only when asked.
 */
#ifndef ARCVERIFY_BUNDLE_H
#define ARCVERIFY_BUNDLE_H

#include <stdio.h>

#include "report.h"
#include "run.h"

#define BUNDLE_MESSAGE_MAX ((unsigned long long)64 << 20)   /* message bytes copied into a bundle */

struct bundle_opts {
	const char *dir;
	int redact;
	const struct run_opts *run;      /* the policy used, repeated in the reproduction command */
	const struct report_opts *report;
	int force;                       /* --force: DIR may hold a previous bundle, which is replaced */
};

/* The files a bundle may hold, NULL-terminated (static). */
extern const char *const bundle_file_names[];

/*
 * Write the bundle; msg is the input, readable from offset start. DIR must not exist or be empty
 * (with force, it may hold a previous bundle's files and nothing else). The files are written
 * into a new directory beside DIR and renamed into place, so DIR never holds half a bundle, nor a
 * file of an earlier one. 0, or -1 with err (then DIR is as it was).
 */
int bundle_write(const struct bundle_opts *o, const struct report_input *in, FILE *msg, long start,
		 char *err, size_t errlen);

#endif
