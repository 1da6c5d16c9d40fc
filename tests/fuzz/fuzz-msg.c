/*
 * fuzz-msg: the header block parser (RFC 5322 §2.1-2.2) and the body reader,
 * through a stream as the tool reads files. The last byte chooses --no-crlf
 * and the vector code that counts bare LFs (scalar, SSE2, AVX2).
 * Invariants: every field is a slice of the header block, a field's name and
 * value lie inside its raw bytes, and the body bytes add up.
 */
#include <string.h>

#include "fuzz.h"
#include "msg.h"

static void check_fields(const struct msg *m)
{
	for (size_t i = 0; i < m->nfields; i++) {
		const struct msg_field *f = &m->fields[i];
		FUZZ_CHECK(fuzz_within(f->raw, m->header.data, m->header.len), "field inside the header block");
		FUZZ_CHECK(fuzz_within(f->name, f->raw.ptr, f->raw.len) && fuzz_within(f->value, f->raw.ptr, f->raw.len),
			   "name and value inside the field");
		FUZZ_CHECK(f->malformed || f->name.len > 0, "a well-formed field has a name");
		if (!f->malformed) {
			FUZZ_CHECK(msg_count_fields(m, f->name) >= 1, "a field counts itself");
			long j = msg_find_field(m, "dkim-signature", i);
			FUZZ_CHECK(j < 0 || (size_t)j >= i, "find searches forward");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *in = fmemopen((void *)data, size - 1, "rb");
	if (!in)
		return 0;
	struct msg_opts opts = { .no_crlf = data[size - 1] & 1, .isa = (enum simd_isa)(SIMD_SCALAR + (data[size - 1] >> 1) % 3) };
	struct msg m;
	char err[200];
	if (msg_open(&m, in, &opts, err, sizeof err) == 0) {
		check_fields(&m);
		static char chunk[4096];
		uint64_t total = 0;
		long got;
		size_t cap = 1 + data[size - 1] % 97;
		while ((got = msg_read_body(&m, chunk, cap)) > 0)
			total += (uint64_t)got;
		FUZZ_CHECK(got == 0, "no read error from memory");
		FUZZ_CHECK(total == m.body_bytes, "body bytes counted");
		FUZZ_CHECK(m.raw_bytes == size - 1, "every input byte read");
		FUZZ_CHECK(opts.no_crlf ? m.lf_converted == 0 : 1, "--no-crlf converts nothing");
		FUZZ_CHECK(msg_parse_fields(&m, err, sizeof err) == 0, "fields parse again");
		check_fields(&m);
		msg_close(&m);
	}
	fclose(in);
	return 0;
}
