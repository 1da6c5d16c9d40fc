/*
 * msg: header block reading, field splitting and LF->CRLF conversion.
 * RFC 5322 §2.1 (CRLF line ends, header block ends at the first empty line),
 * §2.2.3 (a line starting with WSP continues the previous field).
 */
#include "msg.h"

#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>   /* every x86-64 has SSE2; elsewhere the scalar loop does the same */
#endif
#if SIMD_AVX2_BUILD
#include <immintrin.h>

/*
 * Whether the n bytes at p hold a bare LF after p[0], 32 at a time: mail with
 * CRLF line ends has none, so the vectors are only ORed together and looked at
 * once. *done is where they stopped; the bytes from there are not looked at.
 */
SIMD_AVX2_FN static int any_bare_lf_avx2(const char *p, size_t n, size_t *done)
{
	__m256i seen = _mm256_setzero_si256();
	size_t i = 1;
	for (; i + 32 <= n; i += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i before = _mm256_loadu_si256((const __m256i *)(const void *)(p + i - 1));
		seen = _mm256_or_si256(seen, _mm256_andnot_si256(_mm256_cmpeq_epi8(before, _mm256_set1_epi8('\r')),
								 _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\n'))));
	}
	*done = i;
	return !_mm256_testz_si256(seen, seen);
}
#endif

/*
 * The bare LFs (not preceded by CR; prev_cr says whether the byte before p
 * was one) among the n bytes at p: the LF->CRLF conversion's only question
 * about mail that already has CRLF line ends, so it is asked 16 or 32 bytes
 * at a time (isa).
 */
static size_t count_bare_lf(enum simd_isa isa, const char *p, size_t n, int prev_cr)
{
	size_t bare = n && p[0] == '\n' && !prev_cr, i = 1;
#if SIMD_AVX2_BUILD
	size_t done;
	if (isa == SIMD_AVX2 && !any_bare_lf_avx2(p, n, &done))
		i = done;   /* none before done: the rest is counted below */
#endif
#ifdef __SSE2__
	for (; isa >= SIMD_SSE2 && i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i before = _mm_loadu_si128((const __m128i *)(const void *)(p + i - 1));
		__m128i lone = _mm_andnot_si128(_mm_cmpeq_epi8(before, _mm_set1_epi8('\r')),
						_mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
		for (unsigned m = (unsigned)_mm_movemask_epi8(lone); m; m &= m - 1)
			bare++;   /* mail with CRLF line ends has none: no popcount call per vector */
	}
#endif
	for (; i < n; i++)
		bare += p[i] == '\n' && p[i - 1] != '\r';
	return bare;
}

/* Append src to dst, turning each LF not preceded by CR into CRLF unless disabled. */
static int convert_append(struct msg *m, const char *src, size_t n, struct buf *dst)
{
	size_t start = 0;
	if (m->opts.no_crlf || count_bare_lf(m->opts.isa, src, n, m->prev_cr) == 0) {
		if (n)
			m->prev_cr = src[n - 1] == '\r';
		return buf_append(dst, src, n);
	}
	for (const char *lf = src; (lf = memchr(lf, '\n', n - (size_t)(lf - src))) != NULL; lf++) {
		size_t i = (size_t)(lf - src);
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

/* The bare LFs of the n bytes at p, each turned into CRLF in place (p has room for 2n); the new length. */
static size_t expand_lf(struct msg *m, char *p, size_t n)
{
	int prev = m->prev_cr;
	size_t bare = count_bare_lf(m->opts.isa, p, n, prev);
	if (n)
		m->prev_cr = p[n - 1] == '\r';
	if (!bare)
		return n;
	m->lf_converted += bare;
	size_t out = n + bare;
	for (size_t i = n; i-- > 0;) {     /* from the end, so nothing is overwritten before it is read */
		p[--out] = p[i];
		if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : prev))
			p[--out] = '\r';
	}
	return n + bare;
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

/* A UTF-8 byte order mark that an editor put before the first field: never part of a message
 * (RFC 5322 §2.2 field names are US-ASCII), so it is skipped and noted. */
static size_t skip_bom(struct msg *m, const char *data, size_t n)
{
	if (n < 3 || memcmp(data, "\xef\xbb\xbf", 3) != 0)
		return 0;
	m->bom_skipped = 1;
	return 3;
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
	m->opts.isa = simd_resolve(m->opts.isa);
	buf_init(&m->header, MSG_HEADER_MAX + 2 * MSG_CHUNK);
	buf_init(&m->pending, 2 * MSG_CHUNK + 2);
	char *chunk = malloc(MSG_CHUNK);
	/* room for the first read at once, not grown from 64 bytes by doubling */
	if (!chunk || buf_reserve(&m->header, MSG_FIRST_READ) < 0) {
		free(chunk);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t scan = 0, hdr_end = 0, body_start = 0;
	int first = 1;
	/* a small first read: what it brings of the body is copied twice more (pending, then the reader's buffer) */
	size_t want = MSG_FIRST_READ;
	while (!body_start) {
		size_t got = read_raw(m, chunk, want);
		want = MSG_CHUNK;
		if (m->read_error) {
			snprintf(err, errlen, "read error");
			goto fail;
		}
		size_t skip = first ? skip_bom(m, chunk, got) : 0;
		skip += first ? skip_mbox_from(m, chunk + skip, got - skip) : 0;
		first = 0;
		if (convert_append(m, chunk + skip, got - skip, &m->header) < 0) {
			if (!m->header.nomem)
				goto too_large;
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		body_start = find_separator(&m->header, &scan, &hdr_end);
		if (!body_start && m->header.len > MSG_HEADER_MAX)
			goto too_large;
		if (m->eof)
			break;
	}
	if (body_start && hdr_end > MSG_HEADER_MAX)
		goto too_large;   /* the separator came in the chunk that crossed the bound: the bound is the same */
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
		m->data_error = m->nfields == MSG_FIELDS_MAX;
		msg_close(m);
		return -1;
	}
	return 0;
too_large:
	snprintf(err, errlen, "header block larger than %u bytes", MSG_HEADER_MAX);
	m->data_error = 1;
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

/* RFC 5322 §3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126. */
static int is_field_name(struct slice name)
{
	if (name.len == 0)
		return 0;
	for (size_t i = 0; i < name.len; i++)
		if ((unsigned char)name.ptr[i] < 33 || (unsigned char)name.ptr[i] > 126 || name.ptr[i] == ':')
			return 0;
	return 1;
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
		name.len--;   /* obs-optional: WSP before the colon (§4.5.3) */
	f->name = name;
	f->value = slice_make(colon + 1, len - (size_t)(colon + 1 - start));
	if (!is_field_name(name))
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
	if (m->opts.no_crlf || cap < 2) {
		size_t got = read_raw(m, dst, cap);
		if (got)
			m->prev_cr = dst[got - 1] == '\r';
		m->body_bytes += got;
		return m->read_error ? -1 : (long)got;
	}
	/* half the room: each bare LF becomes CRLF in place, so the converted bytes always fit */
	size_t got = read_raw(m, dst, cap / 2);
	if (m->read_error)
		return -1;
	size_t n = expand_lf(m, dst, got);
	m->body_bytes += n;
	return (long)n;
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

size_t msg_count_well_formed(const struct msg *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nfields; i++)
		n += !m->fields[i].malformed;
	return n;
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
