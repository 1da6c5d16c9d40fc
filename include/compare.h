/*
 * compare: two copies of one message (as sent, as received): which header fields
 * were added, removed or changed, whether and how the body changed, and for each
 * signature present in either copy whether the change explains its failure.
 *
 * Both copies go through the engine like any other input (engine.h: opened with
 * the input module, so "-" is spooled, verified with the caller's policy and key
 * source, bare LFs become CRLF unless --no-crlf), keeping their bodies, each
 * bounded by COMPARE_BODY_MAX, and two extra body hashes (simple and relaxed
 * SHA-256, what bh= sees). The work is cut in modules: hdrdiff (header
 * alignment), bodydiff and mime (the body), sigmatch with change (signatures and
 * why they broke) and cmpout (text and JSON); this module drives them and says
 * whether the signed content changed (the exit status, compare_status).
 *
 * JSON output (compare_opts.json): one object, keys stable:
 *   "schema"                 the JSON schema version, as in the per-message output
 *   "sent", "received"       the two file names as given
 *   "identical"              true when no header field and no body byte differs
 *   "signed_content_changed" true when the content a signature of the sent copy covers (its h= fields
 *                            under its header canonicalization, its body under its body canonicalization
 *                            within l=, an ARC-Seal's sets) differs in the received copy; with no signature
 *                            in the sent copy, when any sent field or body byte differs (exit status 1)
 *   "errors"                 problems with either copy, as "sent: ..." / "received: ..." strings
 *   "headers": {
 *     "added":   [{"name", "value", "role"}]     fields only in the received copy, top to bottom
 *     "removed": [{"name", "value", "role"}]     fields only in the sent copy, top to bottom
 *     "changed": [{"name", "from_bottom", "whitespace_only", "sent", "received"}]
 *   }
 *       "value", "sent", "received" are the exact field values (after the colon, folding kept);
 *       "role" is "trace", "authentication-results", "arc", "dkim-signature", "list", "resent"
 *       or "other"; "from_bottom" is the occurrence of that name counted from the bottom (1 =
 *       lowest); "whitespace_only" is true when both are equal under relaxed header
 *       canonicalization (RFC 6376 §3.4.2: white space, folding or the case of the name).
 *   "body": {
 *     "changed"              bool
 *     "kind"                 "identical", "appended", "truncated", "line-ends", "whitespace",
 *                            "re-encoded" or "changed"
 *     "detail"               one sentence
 *     "appended_bytes"       N for "appended", else null
 *     "truncated_bytes"      N for "truncated", else null
 *     "first_difference"     byte offset (0-based) of the first difference, null if identical
 *     "first_difference_line" line number (1-based) of that byte, null if identical
 *     "sent_bytes", "received_bytes"   body sizes after LF conversion
 *     "canonically_equal": {"simple": bool, "relaxed": bool}   RFC 6376 §3.4.3/§3.4.4 bodies equal
 *     "decoded"              for "re-encoded" single-part bodies: "identical",
 *                            "identical-apart-from-line-ends", "different"; else null
 *     "lf_converted": {"sent": N, "received": N}   bare LFs turned into CRLF in each file
 *     "separator": {"sent": bool, "received": bool}  an empty line ended the header block
 *   }
 *   "signatures": [{
 *     "kind"                 "dkim", "ams" or "as"
 *     "instance"             ARC i=; for "dkim" the position (1 = topmost) in the sent copy,
 *                            or in the received copy when the signature was added
 *     "received_position"    "dkim" only: position in the received copy (null when absent)
 *     "d", "s"
 *     "sent", "received"     RFC 8601 result in that copy, null when absent from it
 *     "sent_reason", "received_reason"   the verdict reasons, null when absent
 *     "outcome"              "unchanged" (same result and reason), "broken" (passes in the sent
 *                            copy only), "repaired" (passes in the received copy only),
 *                            "different" (other different results), "added", "removed"
 *     "explained"            true when the signature does not pass in the received copy (or is
 *                            missing from it) and a difference between the copies accounts for
 *                            that; false when there is nothing to explain or no cause was found
 *     "explanation"          one or more sentences
 *   }]
 *   "arc": {"sent": {"result", "reason"}, "received": {"result", "reason"}}  the chain verdicts
 */
#ifndef ARCVERIFY_COMPARE_H
#define ARCVERIFY_COMPARE_H

#include <stddef.h>

#include "buf.h"
#include "input.h"
#include "lookup.h"
#include "run.h"

#define COMPARE_BODY_MAX ((size_t)64 << 20)   /* body bytes held per copy */

/* What compare_run found; the exit status follows (batch.h). */
enum compare_status {
	COMPARE_SAME = 0,          /* the copies carry the same signed content (exit 0) */
	COMPARE_CHANGED = 1,       /* signed content changed (exit 1) */
	COMPARE_UNREADABLE = -1,   /* a copy cannot be read (exit 66) */
	COMPARE_NOT_MESSAGE = -2,  /* a copy is not a message, or past a limit (exit 65) */
	COMPARE_USAGE = -3,        /* both copies named "-" (exit 64) */
};

struct compare_opts {
	const struct run_opts *run;      /* evaluation policy, as for a normal run (NULL: the defaults) */
	const struct input_opts *input;  /* how inputs are opened (NULL: the defaults) */
	int json;                        /* one JSON object instead of text */
	int verbose;
};

/* Compare; append the report to out. Returns a compare_status; for a negative one err says which
 * copy and why. Either name may be "-" (standard input, spooled), but not both. */
int compare_run(const char *sent, const char *received, const struct compare_opts *o, struct lookup *lk,
		struct buf *out, char *err, size_t errlen);

#endif
