/*
 * canon: RFC 6376 §3.4 canonicalization algorithms.
 *
 * The body machine sees three kinds of input: line ends (CRLF), white space
 * (SP/HTAB, special only under relaxed) and content (every other byte,
 * including a CR or LF that is not part of a CRLF pair: §3.4.3/§3.4.4 only
 * know CRLF as a line end). Line ends are never emitted at once: they are
 * counted in pending_crlf and paid out when content follows, because empty
 * lines at the end of the body must disappear (§3.4.3, §3.4.4 b).
 */
#include "canon.h"

#include <stddef.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>   /* every x86-64 has SSE2; elsewhere the scalar loops do the same */
#endif
#if SIMD_AVX2_BUILD
#include <immintrin.h>   /* AVX2, used where the CPU has it (struct canon_body's isa) */
#endif

const char *canon_name(enum canon_alg c)
{
	return c == CANON_RELAXED ? "relaxed" : "simple";
}

int canon_parse(struct slice s, enum canon_alg *out)
{
	if (slice_eq(s, "simple"))
		*out = CANON_SIMPLE;
	else if (slice_eq(s, "relaxed"))
		*out = CANON_RELAXED;
	else
		return -1;
	return 0;
}

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* The leading bytes of p[0..n) that are none of SP, TAB, CR, LF: relaxed header canonicalization copies them. */
static size_t header_plain_run(const char *p, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i wsp = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\t')));
		__m128i eol = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(wsp, eol));
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < n && !is_wsp(p[i]) && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

/*
 * §3.4.2 relaxed header canonicalization: lower-case the name; unfold; reduce
 * each WSP run to one SP; delete WSP at the end of the value and around the colon.
 */
static int canon_header_relaxed(struct slice raw, unsigned quirks, struct buf *out)
{
	/* the canonical form is never longer than the raw field: reserve once, write directly */
	if (buf_reserve(out, raw.len + 1) < 0)
		return -1;
	char *w = out->data + out->len;
	const char *colon = memchr(raw.ptr, ':', raw.len);
	size_t namelen = colon ? (size_t)(colon - raw.ptr) : raw.len;
	while (namelen && is_wsp(raw.ptr[namelen - 1]))
		namelen--;
	for (size_t i = 0; i < namelen; i++)
		*w++ = (char)lower((unsigned char)raw.ptr[i]);
	if (colon) {
		*w++ = ':';
		const char *p = colon + 1, *end = raw.ptr + raw.len;
		int seen = 0, space = 0, folded = 0;
		while (p < end) {
			size_t run = header_plain_run(p, (size_t)(end - p));
			if (run) {             /* content, copied whole; a WSP run before it becomes one SP */
				if (space && (seen || (folded && (quirks & CANON_HQ_FOLDED_SPACE))))
					*w++ = ' ';
				space = 0;
				seen = 1;
				memcpy(w, p, run);
				w += run;
				p += run;
				continue;
			}
			char c = *p++;
			if (c == '\r' && p < end && *p == '\n')
				continue;              /* unfold: the CR of a folding CRLF */
			if (c == '\n' || is_wsp(c)) {
				space = 1;             /* folds and WSP runs become one SP ... */
				folded |= c == '\n' && !seen;
				continue;
			}
			if (space && (seen || (folded && (quirks & CANON_HQ_FOLDED_SPACE))))
				*w++ = ' ';            /* ... unless they lead the value */
			space = 0;
			seen = 1;
			*w++ = c;
		}
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int canon_header_quirk(enum canon_alg c, unsigned quirks, struct slice raw, struct buf *out)
{
	if (c == CANON_SIMPLE)
		return buf_append(out, raw.ptr, raw.len); /* §3.4.1: no change at all */
	return canon_header_relaxed(raw, quirks, out);
}

int canon_header(enum canon_alg c, struct slice raw, struct buf *out)
{
	return canon_header_quirk(c, 0, raw, out);
}

/* ---- body ---- */

static void body_flush(struct canon_body *cb)
{
	if (cb->outlen) {
		cb->sink(cb->sink_ctx, cb->out, cb->outlen);
		cb->outlen = 0;
	}
}

static void body_emit(struct canon_body *cb, const char *data, size_t len)
{
	if (cb->outlen + len > sizeof cb->out) {
		body_flush(cb);
		if (len > sizeof cb->out) {
			cb->sink(cb->sink_ctx, data, len);
			return;
		}
	}
	memcpy(cb->out + cb->outlen, data, len);
	cb->outlen += len;
}

static void body_emit_line_ends(struct canon_body *cb, uint64_t n)
{
	const char *eol = (cb->quirks & CANON_Q_LF_ENDS) ? "\n" : "\r\n";
	size_t eollen = strlen(eol);
	while (n--)
		body_emit(cb, eol, eollen);
}

void canon_body_init(struct canon_body *cb, enum canon_alg alg, unsigned quirks,
		     canon_sink_fn sink, void *sink_ctx)
{
	memset(cb, 0, offsetof(struct canon_body, out)); /* also clears the forensic hook */
	cb->alg = alg;
	cb->quirks = quirks;
	cb->sink = sink;
	cb->sink_ctx = sink_ctx;
	cb->isa = simd_resolve(SIMD_AUTO);
	cb->outlen = 0;
	buf_init(&cb->wsp_run, 1u << 16);
}

/* The WSP run before content: one SP under relaxed (§3.4.4 a), or as written for the quirk. */
static void body_emit_wsp(struct canon_body *cb)
{
	if ((cb->quirks & CANON_Q_NO_WSP_REDUCE) && cb->wsp_run.len)
		body_emit(cb, cb->wsp_run.data, cb->wsp_run.len);
	else
		body_emit(cb, " ", 1);
	cb->line_wsp = 0;
	buf_reset(&cb->wsp_run);
}

/* Content follows: the held-back line ends were not trailing after all. */
static void body_before_content(struct canon_body *cb)
{
	if (cb->pending_crlf) {
		body_emit_line_ends(cb, cb->pending_crlf);
		cb->pending_crlf = 0;
	}
	if (cb->line_wsp)
		body_emit_wsp(cb);
	cb->line_content = 1;
	cb->any_content = 1;
}

static void body_content(struct canon_body *cb, const char *data, size_t len)
{
	body_before_content(cb);
	body_emit(cb, data, len);
}

static void body_wsp(struct canon_body *cb, char c)
{
	cb->line_wsp = 1;
	if (cb->quirks & CANON_Q_NO_WSP_REDUCE)
		buf_append_byte(&cb->wsp_run, c); /* bounded; a longer run is shortened */
}

static void body_end_line(struct canon_body *cb)
{
	if (cb->line_wsp) {
		if (cb->quirks & CANON_Q_NO_EOL_STRIP) {
			body_before_content(cb);      /* WSP kept as if it were content */
		} else if ((cb->quirks & CANON_Q_WSP_LINES_KEPT) && !cb->line_content) {
			/* the buggy order: empty lines dropped before WSP is stripped */
			if (cb->pending_crlf) {
				body_emit_line_ends(cb, cb->pending_crlf);
				cb->pending_crlf = 0;
			}
			cb->any_content = 1;
		}
		cb->line_wsp = 0;
		buf_reset(&cb->wsp_run);
	}
	cb->pending_crlf++;
	cb->line_content = 0;
}

/* Length of the run of plain content bytes at data: no CR, and no WSP under relaxed. */
static size_t plain_run(const struct canon_body *cb, const char *data, size_t len)
{
	if (cb->alg == CANON_SIMPLE) {
		const char *cr = memchr(data, '\r', len);
		return cr ? (size_t)(cr - data) : len;
	}
	size_t i = 0;
	while (i < len && data[i] != '\r' && data[i] != ' ' && data[i] != '\t')
		i++;
	return i;
}

/* Bytes the relaxed rules look at: WSP runs (§3.4.4 a) and CR, which may end a line. */
static int relaxed_special(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* §3.4.4 a changes p[i]: a TAB (it becomes SP), or an SP followed by WSP or CR, or by what is not known yet. */
static int relaxed_changes(const char *p, size_t i, size_t len)
{
	return p[i] == '\t' || (p[i] == ' ' && (i + 1 == len || relaxed_special(p[i + 1])));
}

/*
 * Whether p[i] ends a run that §3.4.3/§3.4.4 pass through unchanged. Under
 * relaxed: a TAB (it becomes SP), an SP followed by WSP or CR (a run to
 * reduce, or WSP at a line end), and under both a CR, unless (cross_lines) it
 * starts a CRLF followed by content, so the line was not a trailing empty one
 * and nothing at its end changes. What follows p[len - 1] is not known yet,
 * so a byte whose answer depends on it ends the run too.
 */
static int run_breaks(enum canon_alg alg, const char *p, size_t i, size_t len, int cross_lines)
{
	char c = p[i];
	if (c == '\r')
		return !cross_lines || i + 2 >= len || p[i + 1] != '\n' ||
		       (alg == CANON_SIMPLE ? p[i + 2] == '\r' : relaxed_special(p[i + 2]));
	return alg == CANON_RELAXED && relaxed_changes(p, i, len);
}

#ifdef __SSE2__
static __m128i relaxed_special16(__m128i v)
{
	return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
}

/* relaxed_changes for the 16 bytes x; y holds the 16 that start one byte later. */
static __m128i relaxed_changes16(__m128i x, __m128i y)
{
	__m128i sp_then_special = _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), relaxed_special16(y));
	return _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), sp_then_special);
}

/* run_breaks for the 16 bytes at p, as a bit mask; p[16] and p[17] are there to look at. */
static unsigned breaks16(enum canon_alg alg, const char *p, int cross_lines)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
	__m128i bad = _mm_cmpeq_epi8(x, _mm_set1_epi8('\r'));
	if (cross_lines) {
		__m128i z = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
		__m128i z_stops = alg == CANON_SIMPLE ? _mm_cmpeq_epi8(z, _mm_set1_epi8('\r')) : relaxed_special16(z);
		__m128i line_goes_on = _mm_andnot_si128(z_stops, _mm_cmpeq_epi8(y, _mm_set1_epi8('\n')));
		bad = _mm_andnot_si128(line_goes_on, bad);
	}
	if (alg == CANON_RELAXED)
		bad = _mm_or_si128(bad, relaxed_changes16(x, y));
	return (unsigned)_mm_movemask_epi8(bad);
}
#endif

#if SIMD_AVX2_BUILD
/* relaxed_special16, relaxed_changes16 and breaks16 at twice the width. */
SIMD_AVX2_FN static __m256i relaxed_special32(__m256i v)
{
	return _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(' ')),
					       _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t'))),
			       _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r')));
}

SIMD_AVX2_FN static __m256i relaxed_changes32(__m256i x, __m256i y)
{
	__m256i sp_then_special = _mm256_and_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(' ')), relaxed_special32(y));
	return _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\t')), sp_then_special);
}

SIMD_AVX2_FN static unsigned breaks32(enum canon_alg alg, const char *p, int cross_lines)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(p + 1));
	__m256i bad = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\r'));
	if (cross_lines) {
		__m256i z = _mm256_loadu_si256((const __m256i *)(const void *)(p + 2));
		__m256i z_stops = alg == CANON_SIMPLE ? _mm256_cmpeq_epi8(z, _mm256_set1_epi8('\r')) : relaxed_special32(z);
		__m256i line_goes_on = _mm256_andnot_si256(z_stops, _mm256_cmpeq_epi8(y, _mm256_set1_epi8('\n')));
		bad = _mm256_andnot_si256(line_goes_on, bad);
	}
	if (alg == CANON_RELAXED)
		bad = _mm256_or_si256(bad, relaxed_changes32(x, y));
	return (unsigned)_mm256_movemask_epi8(bad);
}

/* The first break at or after *at, 32 bytes at a time: 1 with *at on it, or 0 with *at where the vectors stopped. */
SIMD_AVX2_FN static int find_break32(enum canon_alg alg, const char *data, size_t len, int cross_lines, size_t *at)
{
	size_t i = *at;
	for (; i + 34 <= len; i += 32) {
		unsigned m = breaks32(alg, data + i, cross_lines);
		if (m) {
			*at = i + (size_t)__builtin_ctz(m);
			return 1;
		}
	}
	*at = i;
	return 0;
}

/* Whether relaxed_changes holds anywhere in the vectors of data (*done: where they stopped). */
SIMD_AVX2_FN static int any_change32(const char *data, size_t len, size_t *done)
{
	size_t i = 0;
	for (; i + 33 <= len; i += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(data + i));
		__m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(data + i + 1));
		__m256i changes = relaxed_changes32(x, y);
		if (!_mm256_testz_si256(changes, changes))
			return 1;
	}
	*done = i;
	return 0;
}
#endif

/*
 * The longest run at data (which starts with a content byte) that RFC 6376
 * §3.4.3/§3.4.4 pass through unchanged, so it can go to the hash whole: under
 * relaxed, content with single SPs between content bytes; under simple,
 * anything but CR. With cross_lines, a CRLF followed by a content byte is
 * unchanged too, so a run spans lines. The run ends on a content byte, which
 * leaves the state as a content byte does. Sixteen bytes at a time where the
 * machine has SSE2 (every x86-64); the rule is run_breaks either way.
 */
static size_t unchanged_run(const struct canon_body *cb, const char *data, size_t len, int cross_lines)
{
	size_t i = 0;
#if SIMD_AVX2_BUILD
	if (cb->isa == SIMD_AVX2 && find_break32(cb->alg, data, len, cross_lines, &i))
		return i;
#endif
#ifdef __SSE2__
	for (; cb->isa >= SIMD_SSE2 && i + 18 <= len; i += 16) {
		unsigned m = breaks16(cb->alg, data + i, cross_lines);
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < len && !run_breaks(cb->alg, data, i, len, cross_lines))
		i++;
	return i;
}

int canon_relaxed_keeps(enum simd_isa isa, const char *data, size_t len)
{
	size_t i = 0;
#if SIMD_AVX2_BUILD
	if (isa == SIMD_AVX2 && any_change32(data, len, &i))
		return 0;
#endif
#ifdef __SSE2__
	for (; isa >= SIMD_SSE2 && i + 17 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(data + i + 1));
		if (_mm_movemask_epi8(relaxed_changes16(x, y)))
			return 0;
	}
#endif
	for (; i < len; i++)
		if (relaxed_changes(data, i, len))
			return 0;
	return 1;
}

void canon_body_adopt(struct canon_body *cb, const struct canon_body *simple)
{
	cb->pending_crlf = simple->pending_crlf;
	cb->pending_cr = simple->pending_cr;
	cb->line_content = simple->line_content;
	cb->line_wsp = 0;
	cb->any_content = simple->any_content;
	cb->in_pos = simple->in_pos;
	cb->outlen = 0;
}

/* Forensics watches every line end: flush first, so the sink has seen every byte before it. */
static void body_line_end_hook(struct canon_body *cb, uint64_t in_pos)
{
	if (cb->on_line_end) {
		body_flush(cb);
		cb->on_line_end(cb->line_ctx, in_pos);
	}
}

void canon_body_feed(struct canon_body *cb, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (cb->pending_cr) {
			cb->pending_cr = 0;
			if (data[i] == '\n') {
				body_end_line(cb);
				i++;
				body_line_end_hook(cb, cb->in_pos + i);
				continue;
			}
			body_content(cb, "\r", 1); /* a lone CR is data */
		}
		char c = data[i];
		if (c == '\r') {
			cb->pending_cr = 1;
			i++;
		} else if (cb->alg == CANON_RELAXED && is_wsp(c)) {
			body_wsp(cb, c);
			i++;
		} else {
			/* quirks change what counts as unchanged, and forensics watches each line end */
			size_t n = cb->quirks ? plain_run(cb, data + i, len - i)
					      : unchanged_run(cb, data + i, len - i, !cb->on_line_end);
			body_content(cb, data + i, n);
			i += n;
		}
	}
	cb->in_pos += len;
	body_flush(cb);
}

void canon_body_finish(struct canon_body *cb)
{
	if (cb->pending_cr) {
		cb->pending_cr = 0;
		body_content(cb, "\r", 1);
	}
	if (cb->line_wsp && (cb->quirks & CANON_Q_NO_EOL_STRIP))
		body_before_content(cb);
	unsigned q = cb->quirks;
	if (cb->any_content) {
		/* §3.4.3/§3.4.4: trailing empty lines go, but the last line keeps (or gets) one CRLF */
		if (q & CANON_Q_KEEP_TRAILING)
			body_emit_line_ends(cb, cb->pending_crlf ? cb->pending_crlf : 1);
		else if (!(q & CANON_Q_NO_FINAL_CRLF))
			body_emit_line_ends(cb, 1);
	} else if (cb->alg == CANON_SIMPLE) {
		/* §3.4.3: "If there is no body or no CRLFs at the end of the body, a CRLF is added." */
		if (q & CANON_Q_KEEP_TRAILING)
			body_emit_line_ends(cb, cb->pending_crlf ? cb->pending_crlf : 1);
		else if (!(q & CANON_Q_EMPTY_AS_NOTHING))
			body_emit_line_ends(cb, 1);
	} else {
		/* §3.4.4 b: a CRLF is added only to a non-empty body, so an empty body is zero bytes */
		if (q & CANON_Q_EMPTY_AS_CRLF)
			body_emit_line_ends(cb, 1);
		else if (q & CANON_Q_KEEP_TRAILING)
			body_emit_line_ends(cb, cb->pending_crlf);
	}
	cb->pending_crlf = 0;
	body_flush(cb);
}

void canon_body_free(struct canon_body *cb)
{
	buf_free(&cb->wsp_run);
}
