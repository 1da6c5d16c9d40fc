/* buf: bounded buffers and slices (see include/buf.h). */
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->nomem = 0;
}

/* Make room for len more bytes plus the NUL, doubling so appends stay amortized O(1). */
int buf_reserve(struct buf *b, size_t more)
{
	if (more > b->max || b->len > b->max - more) {
		b->nomem = 0;
		return -1;
	}
	size_t need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1 > need ? b->max + 1 : need; /* never allocate past the cap */
	char *p = realloc(b->data, cap);
	if (!p) {
		b->nomem = 1;
		return -1; /* the old block stays valid and owned by b */
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_append_byte(struct buf *b, char c)
{
	if (b->len + 1 < b->cap && b->len < b->max) {   /* room already: the common case */
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append(b, &c, 1);
}

/* Append fmt formatted with ap: measured first, so one reservation; 0, or -1 past the cap. */
static int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	int rc = n < 0 || buf_reserve(b, (size_t)n) < 0 ? -1 : 0;
	if (rc == 0) {
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
	return rc;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int buf_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int ok = (len == 0 || fwrite(data, 1, len, f) == len);
	ok &= fclose(f) == 0; /* closes whatever happened: a short write must not leak the FILE */
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
	return ok ? 0 : -1;
}

int buf_write_new_file(const char *path, const void *data, size_t len, int replace, char *err, size_t errlen)
{
	if (replace && unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	int e = done == len ? 0 : (errno ? errno : EIO);
	if (close(fd) != 0 && !e)
		e = errno;
	if (e)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	return e ? -1 : 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *buf_steal(struct buf *b)
{
	char *p = b->data;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];
	size_t n;
	unsigned min;
	if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
	else return 0;
	if (avail < n)
		return 0;
	unsigned cp = c & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* The code point of a valid UTF-8 sequence of n bytes (n from utf8_seq_len). */
static unsigned utf8_code_point(const unsigned char *p, size_t n)
{
	unsigned cp = p[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/* C1 controls (ECMA-48: CSI, OSC, ... as code points) and Unicode's Bidi_Control characters
 * (UAX #9: embeddings, overrides, isolates and marks reorder the text a reader sees). */
static int is_hidden_control(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int buf_append_printable(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n = c >= 0x80 ? utf8_seq_len(p + i, len - i) : 1;
		if (c == '\r' || c == '\n' || c == '\t')
			rc |= buf_append_str(b, c == '\r' ? "\\r" : c == '\n' ? "\\n" : "\\t");
		else if (c < 0x20 || c == 0x7f || n == 0)
			rc |= buf_printf(b, "\\x%02x", c);
		else if (n > 1 && is_hidden_control(utf8_code_point(p + i, n)))
			rc |= buf_printf(b, "\\u%04x", utf8_code_point(p + i, n));
		else
			rc |= buf_append(b, p + i, n);
		i += n ? n : 1;
	}
	return rc ? -1 : 0;
}

int buf_printf_printable(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char small[512];
	char *text = n >= 0 && (size_t)n < sizeof small ? small : malloc(n >= 0 ? (size_t)n + 1 : 1);
	if (n < 0 || !text)
		return -1;
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = buf_append_printable(b, text, (size_t)n);
	if (text != small)
		free(text);
	return rc;
}

int buf_append_sentence(struct buf *b, const char *fmt, ...)
{
	if (b->len && buf_append_byte(b, ' ') < 0)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void slice_copy_printable(struct slice s, char *dst, size_t dstlen)
{
	struct buf b;
	buf_init(&b, 4 * s.len + 1);
	buf_append_printable(&b, s.ptr, s.len);
	slice_copy(slice_make(b.data ? b.data : "", b.len), dst, dstlen);
	buf_free(&b);
}

struct slice slice_make(const char *p, size_t len)
{
	struct slice s = { p, len };
	return s;
}

struct slice slice_cstr(const char *s)
{
	return slice_make(s, strlen(s));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct slice slice_trim_wsp(struct slice s)
{
	while (s.len && is_space(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

int slice_eq(struct slice s, const char *cstr)
{
	size_t n = strlen(cstr);
	return n == s.len && (n == 0 || memcmp(s.ptr, cstr, n) == 0);
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

int slice_caseeq(struct slice a, struct slice b)
{
	if (a.len != b.len)
		return 0;
	for (size_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.ptr[i]) != lower((unsigned char)b.ptr[i]))
			return 0;
	return 1;
}

int slice_caseeq_str(struct slice s, const char *cstr)
{
	return slice_caseeq(s, slice_cstr(cstr));
}

char *slice_dup(struct slice s)
{
	char *p = malloc(s.len + 1);
	if (!p)
		return NULL;
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return p;
}

size_t slice_copy(struct slice s, char *dst, size_t dstlen)
{
	if (dstlen) {
		size_t n = s.len < dstlen - 1 ? s.len : dstlen - 1;
		if (n)
			memcpy(dst, s.ptr, n);
		dst[n] = '\0';
	}
	return s.len;
}
