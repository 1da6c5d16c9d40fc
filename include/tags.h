/*
 * tags: the tag=value list of RFC 6376 §3.2, shared by DKIM-Signature, the ARC
 * header fields (RFC 8617 §4.1) and DKIM key records (§3.6.1). One function per
 * ABNF production; the parser validates the whole list before anyone reads a
 * tag, so a malformed list is one permerror with a precise reason.
 * Tags are slices into the caller's text, which must outlive the list.
 */
#ifndef ARCVERIFY_TAGS_H
#define ARCVERIFY_TAGS_H

#include <stddef.h>

#include "buf.h"

#define TAGS_MAX 64  /* more tags than any record defines, many times over */

struct tag {
	struct slice name;    /* tag-name, case-sensitive (§3.2) */
	struct slice value;   /* tag-value without surrounding FWS; may hold inner FWS */
	struct slice region;  /* everything between '=' and ';' (or the end): what §3.7 empties for b= */
};

struct tag_list {
	struct tag tags[TAGS_MAX];
	size_t n;
};

/* Parse text as a tag-list. 0, or -1 with a reason such as "duplicate tag s" in err. */
int tags_parse(struct slice text, struct tag_list *out, char *err, size_t errlen);
const struct tag *tags_find(const struct tag_list *tl, const char *name);
/* Copy a value with every FWS character (SP, HTAB, CR, LF) removed, as §3.5 allows in b=/bh=/p=. */
int tags_value_nofws(struct slice value, struct buf *out);
/* Split a colon-separated value (h=, q=, s=, key h=) into trimmed items; -1 if more than max or an item is empty. */
int tags_split_colon(struct slice value, struct slice *items, size_t max, size_t *n);

#endif
