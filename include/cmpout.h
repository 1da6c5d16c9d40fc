/*
 * cmpout: a comparison of two copies (sigmatch.h) written for people or for
 * scripts. Text: a summary, whether the signed content changed (the exit
 * status), the header changes, the body change, and each signature with its
 * result in both copies and its explanation. JSON: one object, keys stable
 * (documented in compare.h), with "schema" as in the per-message output.
 * Message text is shown escaped (bodydiff_show). Output goes to a buf.
 */
#ifndef ARCVERIFY_CMPOUT_H
#define ARCVERIFY_CMPOUT_H

#include "buf.h"
#include "sigmatch.h"

void cmpout_text(struct buf *out, const struct sigmatch *cx, int verbose);  /* verbose: full values, h= */
void cmpout_json(struct buf *out, const struct sigmatch *cx);

#endif
