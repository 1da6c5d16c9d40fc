/*
 * b64: base64 (RFC 4648 §4) as DKIM uses it for b=, bh= and p= (RFC 6376 §2.7
 * base64string: FWS may appear anywhere and is ignored). Decoding is strict
 * about everything else: bad characters, bad padding and stray bits are errors.
 */
#ifndef ARCVERIFY_B64_H
#define ARCVERIFY_B64_H

#include <stddef.h>

#include "buf.h"

/* Decode text (FWS ignored) into out (replaced). 0, or -1 with a reason in err. */
int b64_decode(struct slice text, struct buf *out, char *err, size_t errlen);
/* Encode len bytes into out (appended, NUL-terminated). 0 or -1. */
int b64_encode(const unsigned char *data, size_t len, struct buf *out);
/* Encode into a fixed array; returns 0, or -1 if it does not fit. */
int b64_encode_to(const unsigned char *data, size_t len, char *dst, size_t dstlen);

#endif
