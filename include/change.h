/*
 * change: how a change to a message explains a signature's failure, in one
 * voice for --compare (two copies: every difference is known) and for the
 * diagnosis (one copy: what the prefix search and the field order show). A
 * change is described the same way in both (did the body change under each
 * body canonicalization, and how; which signed inputs were added, removed or
 * changed; did the signature field itself change), and the sentences come
 * from here: whether the change accounts for bh= (RFC 6376 §3.7), for b=
 * (§3.7, §5.4) or for an ARC-Seal's sets (RFC 8617 §5.1.1), or which changes
 * a signature that still verifies survived. A change owns its lists.
 */
#ifndef ARCVERIFY_CHANGE_H
#define ARCVERIFY_CHANGE_H

#include <stddef.h>

#include "buf.h"
#include "dkim.h"
#include "msg.h"

/* A comma-separated list of items, each kept once (a name repeated in h= is reported once). */
struct change_list {
	struct buf text;
	struct buf seen;       /* "\nitem\n" for every item, to find repeats */
	size_t count;
};

struct change {
	int body_identical;              /* no body byte differs */
	int simple_changed;              /* the canonical body differs under simple (RFC 6376 §3.4.3) */
	int relaxed_changed;             /* ... under relaxed (§3.4.4) */
	char body_summary[200];          /* "56 bytes appended" */
	struct change_list causes;       /* signed inputs added, removed or changed */
	struct change_list tolerated;    /* changes the signature's header canonicalization absorbs */
	int self_changed;                /* the signature's own field changed beyond its canonicalization */
	int labels;                      /* sentences start "explained:" / "not explained:" (--compare) */
};

void change_init(struct change *c);              /* empty, with labels */
void change_free(struct change *c);
void change_list_add(struct change_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *change_list_text(const struct change_list *l);   /* "" when empty */
/* The body change alters what bh= of s covers (its body canonicalization). */
int change_body_breaks(const struct change *c, const struct dkim_sig *s);
/* Why s no longer verifies, as sentences appended to out; 1 when the change accounts for it. */
int change_explain_failure(const struct change *c, const struct dkim_sig *s, struct buf *out);
/* Which changes s, which still verifies, survived and why; sentences appended to out. */
void change_explain_survived(const struct change *c, const struct dkim_sig *s, struct buf *out);
/* One copy: the fields s selects (h=) that lie above its own field, where later hops add theirs. */
void change_fields_above(const struct dkim_sig *s, const struct msg *m, struct change_list *out);
/* "DKIM-Signature", "ARC-Message-Signature", "ARC-Seal". */
const char *change_kind_phrase(enum dkim_kind k);

#endif
