/*
 * fuzz-b64: base64 as DKIM uses it (RFC 4648 §4, RFC 6376 §2.7 FWS). Decoding
 * is strict (padding, trailing bits), so whatever decodes re-encodes to the
 * input without its FWS; and every byte string survives encode + decode.
 */
#include <string.h>

#include "b64.h"
#include "fuzz.h"

static void roundtrip_text(const uint8_t *data, size_t size)
{
	struct buf out, again, plain;
	char err[120];
	buf_init(&out, size + 1);
	buf_init(&again, 2 * size + 8);
	buf_init(&plain, size + 1);
	if (b64_decode(slice_make((const char *)data, size), &out, err, sizeof err) == 0) {
		for (size_t i = 0; i < size; i++)
			if (!strchr(" \t\r\n", data[i]) || data[i] == 0)
				buf_append_byte(&plain, (char)data[i]);
		FUZZ_CHECK(b64_encode((const unsigned char *)out.data, out.len, &again) == 0, "re-encode");
		FUZZ_CHECK(again.len == plain.len && memcmp(again.data, plain.data ? plain.data : "", plain.len) == 0,
			   "decode then encode gives the text back without FWS");
	} else {
		FUZZ_CHECK(err[0] != '\0', "a rejected value has a reason");
	}
	buf_free(&out);
	buf_free(&again);
	buf_free(&plain);
}

static void roundtrip_bytes(const uint8_t *data, size_t size)
{
	struct buf text, back;
	char err[120];
	buf_init(&text, 2 * size + 8);
	buf_init(&back, size + 1);
	FUZZ_CHECK(b64_encode(data, size, &text) == 0, "encode");
	FUZZ_CHECK(text.len == (size + 2) / 3 * 4, "encoded length");
	FUZZ_CHECK(b64_decode(slice_make(text.data, text.len), &back, err, sizeof err) == 0, "decode what was encoded");
	FUZZ_CHECK(back.len == size && (size == 0 || memcmp(back.data, data, size) == 0), "bytes survive");
	char small[64];
	int rc = b64_encode_to(data, size, small, sizeof small);
	FUZZ_CHECK(rc == ((size + 2) / 3 * 4 < sizeof small ? 0 : -1), "b64_encode_to fits or says so");
	if (rc == 0)
		FUZZ_CHECK(strcmp(small, text.data) == 0, "b64_encode_to agrees");
	buf_free(&text);
	buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip_text(data, size);
	roundtrip_bytes(data, size);
	return 0;
}
