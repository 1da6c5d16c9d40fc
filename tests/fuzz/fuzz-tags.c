/* fuzz-tags: the RFC 6376 §3.2 tag-list parser, and the helpers that read its values. */
#include <string.h>

#include "fuzz.h"
#include "tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tag_list tl;
	char err[200];
	struct slice text = slice_make((const char *)data, size);
	if (tags_parse(text, &tl, err, sizeof err) < 0) {
		FUZZ_CHECK(err[0] != '\0', "a rejected tag-list has a reason");
		return 0;
	}
	FUZZ_CHECK(tl.n >= 1 && tl.n <= TAGS_MAX, "tag count in bounds");
	struct buf nofws;
	buf_init(&nofws, size + 1);
	for (size_t i = 0; i < tl.n; i++) {
		const struct tag *t = &tl.tags[i];
		FUZZ_CHECK(fuzz_within(t->name, data, size) && fuzz_within(t->value, data, size) &&
				   fuzz_within(t->region, data, size), "tag slices inside the text");
		FUZZ_CHECK(t->name.len > 0, "tag names are not empty");
		char name[80];
		if (t->name.len < sizeof name) {
			memcpy(name, t->name.ptr, t->name.len);
			name[t->name.len] = '\0';
			FUZZ_CHECK(tags_find(&tl, name) == t, "tags_find finds each (unique) tag");
		}
		FUZZ_CHECK(tags_value_nofws(t->value, &nofws) == 0 && nofws.len <= t->value.len, "nofws copy");
		struct slice items[32];
		size_t n;
		if (tags_split_colon(t->value, items, 32, &n) == 0)
			for (size_t k = 0; k < n; k++)
				FUZZ_CHECK(items[k].len > 0 && fuzz_within(items[k], t->value.ptr, t->value.len),
					   "colon items inside the value");
	}
	buf_free(&nofws);
	return 0;
}
