/*
 * bodydiff: how the body of a message changed between two copies. The
 * bodies (after LF conversion, as a normal run reads them) are classified:
 * identical, appended (a list footer; with the first line of what was
 * added), truncated, line ends changed, white space changed (equal under
 * relaxed body canonicalization, RFC 6376 §3.4.4), re-encoded (the
 * Content-Transfer-Encoding or Content-Type changed; single-part bodies are
 * decoded (mime.h) and compared too), or changed at a byte and line. The
 * canonical bodies are compared through their SHA-256 digests under both
 * canonicalizations (what bh= sees). A body_diff holds only text and numbers.
 */
#ifndef ARCVERIFY_BODYDIFF_H
#define ARCVERIFY_BODYDIFF_H

#include <stdint.h>

#include "buf.h"
#include "hash.h"
#include "msg.h"

enum bodydiff_kind {
	BODYDIFF_IDENTICAL = 0, BODYDIFF_APPENDED, BODYDIFF_TRUNCATED, BODYDIFF_LINE_ENDS, BODYDIFF_WHITESPACE,
	BODYDIFF_RE_ENCODED, BODYDIFF_CHANGED,
};

enum bodydiff_decoded { BODYDIFF_NOT_DECODED = 0, BODYDIFF_DECODED_SAME, BODYDIFF_DECODED_LINE_ENDS,
			BODYDIFF_DECODED_DIFFERENT };

/* One copy, as the classification sees it. */
struct bodydiff_side {
	const struct buf *body;                 /* not ours: the body after LF conversion */
	const struct msg *msg;                  /* not ours: its header fields */
	const unsigned char *simple_digest;     /* SHA-256 of the simple / relaxed canonical body, */
	const unsigned char *relaxed_digest;    /* or NULL when they could not be computed */
};

struct body_diff {
	enum bodydiff_kind kind;
	uint64_t appended, truncated;     /* bytes, for those kinds */
	uint64_t first_difference;        /* byte offset, when the bodies differ */
	uint64_t first_line;              /* 1-based line of that byte */
	int simple_equal, relaxed_equal;  /* canonical bodies equal (what bh= sees) */
	enum bodydiff_decoded decoded;
	char detail[700];                 /* one sentence for the report */
	char summary[200];                /* a short phrase for explanations: "53 bytes appended" */
};

void bodydiff_classify(struct body_diff *bd, const struct bodydiff_side *sent, const struct bodydiff_side *recv);
const char *bodydiff_kind_name(enum bodydiff_kind k);        /* "identical", "appended", ... */
const char *bodydiff_decoded_name(enum bodydiff_decoded d);  /* "identical", ... or NULL when not decoded */
/*
 * Append at most width characters of s to out, "..." if cut. exact shows CR, LF and TAB
 * as \r \n \t; otherwise folding is undone (CR and LF dropped, TAB shown as a space).
 * Control bytes and bytes that are not UTF-8 are shown as \xNN, so no message can send
 * escape sequences or broken text to a terminal.
 */
void bodydiff_show(struct buf *out, const char *s, size_t len, size_t width, int exact);

#endif
