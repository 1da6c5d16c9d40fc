/* mime: Content-Transfer-Encoding and its decoding (RFC 2045 §6). */
#include "mime.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "b64.h"

void mime_transfer_encoding(const struct msg *m, char *dst, size_t dstlen)
{
	snprintf(dst, dstlen, "7bit");
	for (size_t i = m->nfields; i-- > 0;) {
		const struct msg_field *f = &m->fields[i];
		if (f->malformed || !slice_caseeq_str(f->name, "Content-Transfer-Encoding"))
			continue;
		struct slice v = slice_trim_wsp(f->value);
		size_t n = 0;
		/* §6.1: mechanism := token; comments and parameters after it are not part of it */
		for (size_t k = 0; k < v.len && n + 1 < dstlen && !strchr(";( \r\n\t", v.ptr[k]); k++)
			dst[n++] = (char)((v.ptr[k] >= 'A' && v.ptr[k] <= 'Z') ? v.ptr[k] + 32 : v.ptr[k]);
		dst[n] = '\0';
		return;
	}
}

int mime_is_multipart(const struct msg *m)
{
	for (size_t i = m->nfields; i-- > 0;) {
		const struct msg_field *f = &m->fields[i];
		if (!f->malformed && slice_caseeq_str(f->name, "Content-Type")) {
			struct slice v = slice_trim_wsp(f->value);
			return v.len >= 10 && strncasecmp(v.ptr, "multipart/", 10) == 0;
		}
	}
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of a line end at p (CRLF or LF), 0 if none. */
static size_t line_end_at(const char *p, size_t left)
{
	if (left >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	return left >= 1 && p[0] == '\n';
}

/*
 * RFC 2045 §6.7 quoted-printable: "=XX" is a byte, "=" before the line end is a soft
 * line break, white space at the end of a line was added in transport and goes
 * (rule 3), and anything else (a stray "=") is kept as it is, as §6.7 note 1 advises.
 */
int mime_qp_decode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		char c = p[i];
		if (c == '=' && i + 2 < len && hex_value(p[i + 1]) >= 0 && hex_value(p[i + 2]) >= 0) {
			if (buf_append_byte(out, (char)(hex_value(p[i + 1]) * 16 + hex_value(p[i + 2]))) < 0)
				return -1;
			i += 3;
			continue;
		}
		if (c == '=' || c == ' ' || c == '\t') {
			size_t k = i + 1;
			while (k < len && (p[k] == ' ' || p[k] == '\t'))
				k++;
			size_t eol = line_end_at(p + k, len - k);
			if (eol || k == len) {
				i = c == '=' ? k + eol : k;   /* soft break goes; trailing white space goes */
				continue;
			}
			if (c != '=') {                       /* inner white space: the whole run at once */
				if (buf_append(out, p + i, k - i) < 0)
					return -1;
				i = k;
				continue;
			}
		}
		if (buf_append_byte(out, c) < 0)
			return -1;
		i++;
	}
	return 0;
}

int mime_decode(const char *cte, struct slice s, struct buf *out)
{
	if (!s.ptr)
		s = slice_cstr("");
	if (!strcmp(cte, "7bit") || !strcmp(cte, "8bit") || !strcmp(cte, "binary"))
		return buf_append(out, s.ptr, s.len);
	if (!strcmp(cte, "quoted-printable"))
		return mime_qp_decode(s.ptr, s.len, out);
	if (!strcmp(cte, "base64")) {
		char why[120];
		return b64_decode(s, out, why, sizeof why);
	}
	return -1;
}
