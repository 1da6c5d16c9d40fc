/*
 * msg: header block reading, field splitting and LF->CRLF conversion.
 * RFC 5322 §2.1 (CRLF line ends, header block ends at the first empty line),
 * §2.2.3 (a line starting with WSP continues the previous field).
 */
#include "msg.h"

#include <stdlib.h>
#include <string.h>

/* Append src to dst, turning each LF not preceded by CR into CRLF unless disabled. */
static int convert_append(struct msg *m, const char *src, size_t n, struct buf *dst)
{
	size_t start = 0;
	if (m->opts.no_crlf) {
		if (n)
			m->prev_cr = src[n - 1] == '\r';
		return buf_append(dst, src, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (src[i] != '\n')
			continue;
		int after_cr = i > 0 ? src[i - 1] == '\r' : m->prev_cr;
		if (after_cr)
			continue;
		if (buf_append(dst, src + start, i - start) < 0 || buf_append(dst, "\r\n", 2) < 0)
			return -1;
		m->lf_converted++;
		start = i + 1;
	}
	if (n)
		m->prev_cr = src[n - 1] == '\r';
	return buf_append(dst, src + start, n - start);
}

static size_t read_raw(struct msg *m, char *dst, size_t cap)
{
	if (m->eof)
		return 0;
	size_t got = fread(dst, 1, cap, m->in);
	if (got < cap) {
		if (ferror(m->in))
			m->read_error = 1;
		m->eof = 1;
	}
	m->raw_bytes += got;
	return got;
}

/* An mbox envelope line ("From addr date", no colon) is not part of the message. */
static size_t skip_mbox_from(struct msg *m, const char *data, size_t n)
{
	if (n < 5 || memcmp(data, "From ", 5) != 0)
		return 0;
	const char *lf = memchr(data, '\n', n);
	m->mbox_from = 1;
	return lf ? (size_t)(lf - data) + 1 : n;
}

/*
 * Find the empty line that ends the header block in hdr, scanning complete lines
 * from *scan. Returns the offset just past that empty line, or 0 if not found yet;
 * *hdr_end receives the offset where the header fields end (before the empty line).
 */
static size_t find_separator(const struct buf *hdr, size_t *scan, size_t *hdr_end)
{
	while (*scan < hdr->len) {
		const char *line = hdr->data + *scan;
		const char *lf = memchr(line, '\n', hdr->len - *scan);
		if (!lf)
			return 0;
		size_t linelen = (size_t)(lf - line);
		if (linelen == 0 || (linelen == 1 && line[0] == '\r')) {
			*hdr_end = *scan;
			return *scan + linelen + 1;
		}
		*scan += linelen + 1;
	}
	return 0;
}

int msg_open(struct msg *m, FILE *in, const struct msg_opts *opts, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->in = in;
	if (opts)
		m->opts = *opts;
	buf_init(&m->header, MSG_HEADER_MAX + 2 * MSG_CHUNK);
	buf_init(&m->pending, 2 * MSG_CHUNK + 2);
	char *chunk = malloc(MSG_CHUNK);
	if (!chunk) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t scan = 0, hdr_end = 0, body_start = 0;
	int first = 1;
	while (!body_start) {
		size_t got = read_raw(m, chunk, MSG_CHUNK);
		if (m->read_error) {
			snprintf(err, errlen, "read error");
			goto fail;
		}
		size_t skip = first ? skip_mbox_from(m, chunk, got) : 0;
		first = 0;
		if (convert_append(m, chunk + skip, got - skip, &m->header) < 0) {
			if (m->header.nomem)
				snprintf(err, errlen, "out of memory");
			else
				snprintf(err, errlen, "header block larger than %u bytes", MSG_HEADER_MAX);
			goto fail;
		}
		body_start = find_separator(&m->header, &scan, &hdr_end);
		if (!body_start && m->header.len > MSG_HEADER_MAX) {
			snprintf(err, errlen, "header block larger than %u bytes", MSG_HEADER_MAX);
			goto fail;
		}
		if (m->eof)
			break;
	}
	if (body_start && hdr_end > MSG_HEADER_MAX) {
		/* the separator came in the chunk that crossed the bound: the bound is the same */
		snprintf(err, errlen, "header block larger than %u bytes", MSG_HEADER_MAX);
		goto fail;
	}
	if (!body_start && m->header.len > MSG_HEADER_MAX) {
		snprintf(err, errlen, "header block larger than %u bytes", MSG_HEADER_MAX);
		goto fail;
	}
	if (body_start) {
		m->has_separator = 1;
		if (buf_append(&m->pending, m->header.data + body_start, m->header.len - body_start) < 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		m->header.len = hdr_end;
		m->header.data[hdr_end] = '\0';
	} else if (m->header.len && m->header.data[m->header.len - 1] != '\n') {
		/* header block ends at EOF mid-line: close the last field like any other */
		if (buf_append(&m->header, "\r\n", 2) < 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	free(chunk);
	if (msg_parse_fields(m, err, errlen) < 0) {
		msg_close(m);
		return -1;
	}
	return 0;
fail:
	free(chunk);
	msg_close(m);
	return -1;
}

/* Length of the line terminator ending at lf: CRLF (2) or a bare LF (1). */
static size_t terminator_len(const char *start, const char *lf)
{
	return (lf > start && lf[-1] == '\r') ? 2 : 1;
}

static void split_field(struct msg_field *f, const char *start, size_t len)
{
	f->raw = slice_make(start, len);
	const char *colon = memchr(start, ':', len);
	f->malformed = !colon || start[0] == ' ' || start[0] == '\t';
	if (f->malformed) {
		f->name = slice_make(start, 0);
		f->value = f->raw;
		return;
	}
	struct slice name = slice_make(start, (size_t)(colon - start));
	while (name.len && (name.ptr[name.len - 1] == ' ' || name.ptr[name.len - 1] == '\t'))
		name.len--;
	f->name = name;
	f->value = slice_make(colon + 1, len - (size_t)(colon + 1 - start));
	if (name.len == 0)
		f->malformed = 1;
}

int msg_parse_fields(struct msg *m, char *err, size_t errlen)
{
	free(m->fields);
	m->fields = NULL;
	m->nfields = 0;
	size_t cap = 0;
	const char *p = m->header.data, *end = p + m->header.len;
	while (p && p < end) {
		const char *start = p;
		const char *lf;
		/* a field runs until a line that does not start with WSP (RFC 5322 §2.2.3) */
		for (;;) {
			lf = memchr(p, '\n', (size_t)(end - p));
			if (!lf) {
				lf = end;
				break;
			}
			if (lf + 1 < end && (lf[1] == ' ' || lf[1] == '\t')) {
				p = lf + 1;
				continue;
			}
			break;
		}
		size_t len = (size_t)(lf - start);
		if (lf < end)
			len -= terminator_len(start, lf) - 1;
		if (m->nfields == MSG_FIELDS_MAX) {
			snprintf(err, errlen, "more than %u header fields", MSG_FIELDS_MAX);
			return -1;
		}
		if (m->nfields == cap) {
			cap = cap ? cap * 2 : 32;
			struct msg_field *nf = realloc(m->fields, cap * sizeof *nf);
			if (!nf) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			m->fields = nf;
		}
		split_field(&m->fields[m->nfields++], start, len);
		p = lf < end ? lf + 1 : end;
	}
	return 0;
}

long msg_read_body(struct msg *m, char *dst, size_t cap)
{
	if (m->pending_off < m->pending.len) {
		size_t n = m->pending.len - m->pending_off;
		if (n > cap)
			n = cap;
		memcpy(dst, m->pending.data + m->pending_off, n);
		m->pending_off += n;
		m->body_bytes += n;
		return (long)n;
	}
	if (!m->has_separator || cap == 0)
		return 0;
	/* converted bytes go to pending first (an LF may become two bytes), so any cap works */
	char raw[MSG_CHUNK / 2];
	size_t got = read_raw(m, raw, sizeof raw);
	if (m->read_error)
		return -1;
	buf_reset(&m->pending);
	m->pending_off = 0;
	if (convert_append(m, raw, got, &m->pending) < 0)
		return -1;
	if (m->pending.len == 0)
		return 0;
	return msg_read_body(m, dst, cap);
}

void msg_close(struct msg *m)
{
	buf_free(&m->header);
	buf_free(&m->pending);
	free(m->fields);
	m->fields = NULL;
	m->nfields = 0;
}

FILE *msg_spool(FILE *in)
{
	FILE *tmp = tmpfile();
	if (!tmp)
		return NULL;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, in)) > 0)
		if (fwrite(chunk, 1, got, tmp) != got) {
			fclose(tmp);
			return NULL;
		}
	if (ferror(in) || fflush(tmp) != 0 || fseek(tmp, 0, SEEK_SET) != 0) {
		fclose(tmp);
		return NULL;
	}
	return tmp;
}

size_t msg_count_fields(const struct msg *m, struct slice name)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nfields; i++)
		n += !m->fields[i].malformed && slice_caseeq(m->fields[i].name, name);
	return n;
}

long msg_find_field(const struct msg *m, const char *name, size_t start)
{
	for (size_t i = start; i < m->nfields; i++)
		if (!m->fields[i].malformed && slice_caseeq_str(m->fields[i].name, name))
			return (long)i;
	return -1;
}
