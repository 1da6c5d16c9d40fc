/*
 * fuzz-canon-header: header field canonicalization (RFC 6376 §3.4.1, §3.4.2).
 * Simple is the identity; relaxed is never longer than the field, holds no
 * CR, LF, HTAB or WSP run after the colon, has a lower-case name, and
 * canonicalizing its output again changes nothing.
 */
#include <string.h>

#include "canon.h"
#include "fuzz.h"

static void check_relaxed(const struct buf *o, size_t rawlen)
{
	FUZZ_CHECK(o->len <= rawlen, "relaxed is never longer");
	const char *colon = memchr(o->data ? o->data : "", ':', o->len);
	if (!colon)
		return;
	for (const char *p = o->data; p < colon; p++)
		FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'), "name in lower case");
	FUZZ_CHECK(colon == o->data || (colon[-1] != ' ' && colon[-1] != '\t') ||
			   memchr(o->data, '\n', (size_t)(colon - o->data)) != NULL,
		   "no WSP before the colon");
	const char *end = o->data + o->len;
	for (const char *p = colon + 1; p < end; p++) {
		FUZZ_CHECK(*p != '\n' && *p != '\t', "value unfolded, HTAB reduced");
		FUZZ_CHECK(!(*p == '\r' && p + 1 < end && p[1] == '\n'), "no CRLF left");
		FUZZ_CHECK(!(*p == ' ' && (p == colon + 1 || p[-1] == ' ' || p + 1 == end)), "WSP runs reduced and trimmed");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice raw = slice_make((const char *)data, size);
	struct buf simple, relaxed, again, quirk;
	buf_init(&simple, size + 1);
	buf_init(&relaxed, size + 1);
	buf_init(&again, size + 1);
	buf_init(&quirk, size + 1);
	FUZZ_CHECK(canon_header(CANON_SIMPLE, raw, &simple) == 0 && simple.len == size &&
			   (size == 0 || memcmp(simple.data, data, size) == 0), "simple is the identity");
	FUZZ_CHECK(canon_header(CANON_RELAXED, raw, &relaxed) == 0, "relaxed fits");
	check_relaxed(&relaxed, size);
	FUZZ_CHECK(canon_header(CANON_RELAXED, slice_make(relaxed.data ? relaxed.data : "", relaxed.len), &again) == 0 &&
			   again.len == relaxed.len && (again.len == 0 || memcmp(again.data, relaxed.data, again.len) == 0),
		   "relaxed is idempotent");
	FUZZ_CHECK(canon_header_quirk(CANON_RELAXED, CANON_HQ_FOLDED_SPACE, raw, &quirk) == 0 &&
			   quirk.len >= relaxed.len && quirk.len <= relaxed.len + 1, "the folded-space quirk adds at most one SP");
	buf_free(&simple);
	buf_free(&relaxed);
	buf_free(&again);
	buf_free(&quirk);
	return 0;
}
