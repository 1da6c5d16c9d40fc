/*
 * bundle: --bundle DIR, the evidence for a vendor ticket, for one message:
 * DIR/message.eml (the exact bytes read), DIR/keys.zone (every key record
 * used, with TTL, fetch time, server, DNSSEC AD bit and SPKI fingerprint as
 * comments), DIR/result.json (the JSON result) and DIR/report.md (a summary to
 * paste into a ticket). `arcverify --keys DIR/keys.zone --now T DIR/message.eml`
 * reproduces the result offline after the keys rotate. With --redact no message
 * text is written: DIR/structure.txt holds field names, lengths, offsets and
 * hashes instead, and the report quotes no header or body text.
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
};

/* Write the bundle; msg is the input, readable from offset start. 0, or -1 with err. */
int bundle_write(const struct bundle_opts *o, const struct report_input *in, FILE *msg, long start,
		 char *err, size_t errlen);

#endif
