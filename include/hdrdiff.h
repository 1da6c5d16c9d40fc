/*
 * hdrdiff: the header fields of two copies of one message, aligned. Fields
 * are paired by name and by occurrence counted from the bottom, because hops
 * prepend their fields at the top (RFC 5321 §4.4, RFC 5322 §3.6.7, RFC 8617
 * §4.2): the k-th-from-bottom Received of both copies is the same field. Each
 * pair is the same, differs only where relaxed header canonicalization does
 * not look (RFC 6376 §3.4.2: white space, folding, the case of the name), or
 * differs in content; unpaired fields were added or removed. Each field gets
 * a role (who adds such fields). A header_diff owns its index arrays.
 */
#ifndef ARCVERIFY_HDRDIFF_H
#define ARCVERIFY_HDRDIFF_H

#include <stddef.h>

#include "canon.h"
#include "msg.h"

enum hdrdiff_change { HDRDIFF_SAME = 0, HDRDIFF_WHITESPACE, HDRDIFF_CONTENT };

struct header_diff {
	long *sent_partner;            /* per sent field: the received field it became, -1 = removed */
	long *recv_partner;            /* per received field: the sent field it was, -1 = added */
	size_t *recv_from_bottom;      /* per received field: occurrence of its name from the bottom */
	size_t added, removed, changed, whitespace_only;
};

/* Align the fields of ms (as sent) and mr (as received). 0, or -1 when out of memory. */
int hdrdiff_align(const struct msg *ms, const struct msg *mr, struct header_diff *d);
void hdrdiff_free(struct header_diff *d);
/* Same bytes, equal under relaxed header canonicalization, or different. */
enum hdrdiff_change hdrdiff_compare(struct slice a, struct slice b);
/* Two raw fields are equal under header canonicalization alg (RFC 6376 §3.4.1, §3.4.2). */
int hdrdiff_canon_equal(enum canon_alg alg, struct slice a, struct slice b);
int hdrdiff_same_bytes(struct slice a, struct slice b);
/* Who adds such a field: "trace", "authentication-results", "arc", "dkim-signature", "list", "resent", "other". */
const char *hdrdiff_role(const struct msg_field *f);

#endif
