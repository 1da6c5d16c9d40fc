/* fuzz-zone: zone-file text as --keys reads it (RFC 1035 §5.1 subset), then every name answered. */
#include <string.h>

#include "fuzz.h"
#include "zone.h"

struct walk {
	const struct zone *z;
	size_t txt;
};

static int visit(void *ctx, const struct zone_record *r)
{
	struct walk *w = ctx;
	size_t sum = 0;
	for (unsigned i = 0; i < r->nstrings; i++)
		sum += r->lens[i];
	FUZZ_CHECK(r->type != ZONE_TXT || sum == r->len, "string lengths add up to the joined text");
	FUZZ_CHECK(strlen(r->name) < KEYANS_NAME_MAX, "owner name bounded");
	w->txt += r->type == ZONE_TXT;
	struct keyans ans;
	memset(&ans, 0, sizeof ans);
	zone_answer(w->z, r->name, &ans);
	FUZZ_CHECK(ans.status == (r->type == ZONE_TXT ? KEYANS_OK : ans.status), "a TXT owner answers OK");
	FUZZ_CHECK(ans.status != KEYANS_NXDOMAIN, "an owner exists");
	keyans_clear(&ans);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int longs = 0; longs <= 1; longs++) {
		struct zone *z = zone_new();
		char err[400];
		if (!z)
			return 0;
		if (longs)
			zone_allow_long_strings(z);
		if (zone_parse(z, (const char *)data, size, "fuzz", err, sizeof err) < 0)
			FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0, "errors name the file and line");
		struct walk w = { z, 0 };
		zone_foreach(z, visit, &w);
		FUZZ_CHECK(w.txt == zone_count(z), "zone_count counts the TXT records");
		zone_free(z);
	}
	return 0;
}
