/*
 * fuzz-canon-body: the body canonicalization machine (RFC 6376 §3.4.3,
 * §3.4.4) with every quirk combination forensics uses. The first byte picks
 * the algorithm and quirks, the second the chunk size. Invariants: relaxed
 * output holds no WSP run, no WSP before a CRLF and no trailing empty line;
 * simple output is the input up to trailing CRLFs.
 */
#include <string.h>

#include "canon.h"
#include "fuzz.h"

struct sink {
	struct buf out;
};

static void collect(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;
	FUZZ_CHECK(buf_append(&s->out, data, len) == 0, "output bounded by the input");
}

static void check_relaxed(const struct buf *o)
{
	for (size_t i = 1; i < o->len; i++) {
		int wsp = o->data[i] == ' ' || o->data[i] == '\t';
		FUZZ_CHECK(o->data[i] != '\t', "relaxed: no HTAB left");
		FUZZ_CHECK(!(wsp && o->data[i - 1] == ' '), "relaxed: no WSP run");
		FUZZ_CHECK(!(o->data[i] == '\r' && o->data[i - 1] == ' ' && i + 1 < o->len && o->data[i + 1] == '\n'),
			   "relaxed: no WSP before a line end");
	}
	FUZZ_CHECK(o->len == 0 || (o->len >= 2 && memcmp(o->data + o->len - 2, "\r\n", 2) == 0), "ends in CRLF");
	FUZZ_CHECK(o->len < 4 || memcmp(o->data + o->len - 4, "\r\n\r\n", 4) != 0, "no trailing empty line");
}

static void check_simple(const struct buf *o, const uint8_t *in, size_t n)
{
	FUZZ_CHECK(o->len >= 2 && memcmp(o->data + o->len - 2, "\r\n", 2) == 0, "simple: ends in CRLF");
	size_t keep = o->len - 2; /* the output is a prefix of the input, plus one CRLF */
	FUZZ_CHECK(keep <= n && memcmp(o->data, in, keep) == 0, "simple: the input unchanged");
	FUZZ_CHECK(o->len < 4 || memcmp(o->data + o->len - 4, "\r\n\r\n", 4) != 0, "no trailing empty line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	enum canon_alg alg = (data[0] & 1) ? CANON_RELAXED : CANON_SIMPLE;
	unsigned quirks = (unsigned)data[0] >> 1;  /* 7 bits: CANON_Q_EMPTY_AS_CRLF .. CANON_Q_NO_EOL_STRIP */
	if (data[0] & 0x80)
		quirks |= CANON_Q_LF_ENDS;
	size_t chunk = 1 + data[1] % 64;
	const uint8_t *body = data + 2;
	size_t n = size - 2;
	struct sink s;
	buf_init(&s.out, 2 * n + 64);
	struct canon_body cb;
	canon_body_init(&cb, alg, quirks, collect, &s);
	for (size_t off = 0; off < n; off += chunk)
		canon_body_feed(&cb, (const char *)body + off, n - off < chunk ? n - off : chunk);
	canon_body_finish(&cb);
	canon_body_free(&cb);
	if (quirks == 0 && alg == CANON_RELAXED)
		check_relaxed(&s.out);
	if (quirks == 0 && alg == CANON_SIMPLE)
		check_simple(&s.out, body, n);
	buf_free(&s.out);
	return 0;
}
