/* fuzz-keyrec: DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4) into OpenSSL keys. */
#include <string.h>

#include "fuzz.h"
#include "keyrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyrec k;
	int rc = keyrec_decode((const char *)data, size, &k);
	FUZZ_CHECK((rc == 0) == (k.problem.result == VERDICT_NONE), "decode result and problem agree");
	FUZZ_CHECK(rc < 0 || k.pkey != NULL, "a usable key has a key");
	FUZZ_CHECK(rc == 0 || k.pkey == NULL, "an unusable key holds nothing");
	FUZZ_CHECK(rc == 0 || k.problem.code != VC_NONE, "a problem has a code");
	struct keyrec_policy pol = { .min_rsa_bits = 1024 };
	for (int want = -1; want <= 1; want++) {
		struct verdict v = { 0 };
		int c = keyrec_check(&k, want, &pol, &v);
		FUZZ_CHECK((c == 0) == (v.result == VERDICT_NONE), "check result and verdict agree");
		FUZZ_CHECK(c < 0 || rc == 0, "only a decoded key passes the check");
	}
	if (rc == 0) {
		struct keyrec copy;
		keyrec_copy(&copy, &k);
		keyrec_free(&copy);
	}
	keyrec_free(&k);
	struct keyrec k2;
	struct verdict v2 = { 0 };
	if (keyrec_parse((const char *)data, size, (int)(size & 1), &pol, &k2, &v2) == 0)
		keyrec_free(&k2);
	return 0;
}
