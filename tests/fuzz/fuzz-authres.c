/* fuzz-authres: the tolerant Authentication-Results / ARC-Authentication-Results reader (RFC 8601, RFC 8617 §4.1.1). */
#include "authres.h"
#include "fuzz.h"

static void check(const struct authres *ar, const uint8_t *data, size_t size)
{
	FUZZ_CHECK(ar->nmethods <= AUTHRES_METHODS_MAX, "method count in bounds");
	FUZZ_CHECK(fuzz_within(ar->authserv_id, data, size), "authserv-id inside the value");
	for (size_t i = 0; i < ar->nmethods; i++) {
		const struct authres_method *m = &ar->methods[i];
		FUZZ_CHECK(fuzz_within(m->method, data, size) && fuzz_within(m->result, data, size) &&
				   fuzz_within(m->comment, data, size) && fuzz_within(m->props, data, size),
			   "resinfo slices inside the value");
		FUZZ_CHECK(m->method.len > 0, "a method has a name");
	}
	FUZZ_CHECK(ar->nmethods == 0 || authres_find(ar, "\x01") == NULL, "find of an impossible name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice v = slice_make((const char *)data, size);
	struct authres ar;
	for (int aar = 0; aar <= 1; aar++) {
		authres_parse(v, aar, &ar);
		check(&ar, data, size);
		authres_find(&ar, "dkim");
		authres_find(&ar, "arc");
	}
	unsigned inst = 0;
	if (authres_aar_instance(v, &inst) == 0)
		FUZZ_CHECK(inst >= 1 && inst <= 999999999u, "instance in range");
	return 0;
}
