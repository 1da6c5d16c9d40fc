/* b64: RFC 4648 base64 with DKIM's FWS rule (RFC 6376 §2.7). */
#include "b64.h"

#include <stdio.h>
#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of each byte as a base64 digit: 0..63, or -1 (FWS and '=' are told apart by the caller). */
#define B64_ROW_INVALID -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
static const signed char b64_values[256] = {
	B64_ROW_INVALID, B64_ROW_INVALID,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,                 /* '+' '/' */
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,                 /* '0'..'9' */
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,                            /* 'A'..'O' */
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,                  /* 'P'..'Z' */
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,                  /* 'a'..'o' */
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,                  /* 'p'..'z' */
	B64_ROW_INVALID, B64_ROW_INVALID, B64_ROW_INVALID, B64_ROW_INVALID,
	B64_ROW_INVALID, B64_ROW_INVALID, B64_ROW_INVALID, B64_ROW_INVALID,
};

static int b64_value(unsigned char c)
{
	return b64_values[c];
}

static int is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int b64_decode(struct slice text, struct buf *out, char *err, size_t errlen)
{
	buf_reset(out);
	/* at most 3 bytes per 4 characters (FWS makes fewer), and never past the cap: one reservation */
	size_t room = text.len / 4 * 3 + 3;
	if (room > out->max)
		room = out->max;
	if (buf_reserve(out, room) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->nomem = 0;   /* from here every failure is the text's */
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t chars = 0;
	for (size_t i = 0; i < text.len; i++) {
		if (bits == 0 && i + 4 <= text.len && out->len + 3 <= room) {
			/* four plain digits make three bytes at once; anything else takes the byte path */
			const unsigned char *q = (const unsigned char *)text.ptr + i;
			int a = b64_value(q[0]), b = b64_value(q[1]), c = b64_value(q[2]), d = b64_value(q[3]);
			if ((a | b | c | d) >= 0 && !pad) {
				unsigned v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
				out->data[out->len++] = (char)(v >> 16);
				out->data[out->len++] = (char)(v >> 8 & 0xff);
				out->data[out->len++] = (char)(v & 0xff);
				chars += 4;
				i += 3;
				continue;
			}
		}
		char c = text.ptr[i];
		if (is_fws(c))
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		int v = b64_value((unsigned char)c);
		if (v < 0) {
			snprintf(err, errlen, "invalid base64 character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
			return -1;
		}
		if (pad) {
			snprintf(err, errlen, "base64 data after '=' padding");
			return -1;
		}
		chars++;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (out->len == room) {   /* only when the cap made room smaller */
				snprintf(err, errlen, "base64 value too long");
				return -1;
			}
			out->data[out->len++] = (char)((acc >> bits) & 0xff);
		}
	}
	out->data[out->len] = '\0';
	if (chars % 4 != 0 || pad > 2) {
		snprintf(err, errlen, "base64 length or padding is wrong");
		return -1;
	}
	if (bits && (acc & ((1u << bits) - 1))) {
		snprintf(err, errlen, "base64 has non-zero trailing bits");
		return -1;
	}
	return 0;
}

int b64_encode(const unsigned char *data, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16;
		if (i + 1 < len) v |= (unsigned)data[i + 1] << 8;
		if (i + 2 < len) v |= data[i + 2];
		char q[4] = { alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
			      i + 1 < len ? alphabet[(v >> 6) & 63] : '=',
			      i + 2 < len ? alphabet[v & 63] : '=' };
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	return out->data || buf_append(out, "", 0) == 0 ? 0 : -1;
}

int b64_encode_to(const unsigned char *data, size_t len, char *dst, size_t dstlen)
{
	struct buf b;
	buf_init(&b, dstlen);
	int rc = b64_encode(data, len, &b);
	if (rc == 0 && b.len < dstlen)
		memcpy(dst, b.data, b.len + 1);
	else
		rc = -1;
	buf_free(&b);
	return rc;
}
