/*
 * mime: the RFC 2045 decoding --compare needs to tell a re-encoded body from
 * a changed one: the Content-Transfer-Encoding of a message (§6.1, "7bit"
 * when absent), whether it is multipart (RFC 2046 §5.1), and a body decoded
 * from quoted-printable (§6.7) or base64 (§6.8, through b64.h). Decoding
 * never fails on stray bytes (kept as RFC 2045 §6.7 note 1 advises); an
 * unknown encoding is reported, not guessed. The caller owns every buffer.
 */
#ifndef ARCVERIFY_MIME_H
#define ARCVERIFY_MIME_H

#include <stddef.h>

#include "buf.h"
#include "msg.h"

/* The token of the bottom-most Content-Transfer-Encoding field, lower case; "7bit" when absent. */
void mime_transfer_encoding(const struct msg *m, char *dst, size_t dstlen);
/* The bottom-most Content-Type is multipart/... (RFC 2046 §5.1). */
int mime_is_multipart(const struct msg *m);
/* Append the quoted-printable decoding of p (RFC 2045 §6.7) to out. 0, or -1 when out is full. */
int mime_qp_decode(const char *p, size_t len, struct buf *out);
/* Append body decoded per cte ("7bit", "8bit", "binary", "quoted-printable", "base64") to out.
 * 0, or -1 when the encoding is unknown or broken, or out is full. */
int mime_decode(const char *cte, struct slice body, struct buf *out);

#endif
