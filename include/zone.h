/*
 * zone: an offline key source read from zone-file text, as used by --keys, the
 * demo, the tests and evidence bundles. Accepts `name [ttl] [IN] TXT "s1" "s2"`,
 * `;` comments, parenthesized multi-line records, relative names after $ORIGIN,
 * and several records per name (key history: a `; valid: DATE` comment just
 * before a record dates it). Names are compared case-insensitively, without the
 * trailing dot. The zone owns every record it returns.
 */
#ifndef ARCVERIFY_ZONE_H
#define ARCVERIFY_ZONE_H

#include <stddef.h>
#include "lookup.h"

struct zone;

struct zone *zone_new(void);
void zone_free(struct zone *z);
/* Parse zone text; origin_label names it in provenance ("file"). 0, or -1 with err "file:line: why". */
int zone_parse(struct zone *z, const char *text, size_t len, const char *origin_label,
	       char *err, size_t errlen);
int zone_load_file(struct zone *z, const char *path, char *err, size_t errlen);
/* Fill ans (status LOOKUP_OK or LOOKUP_NXDOMAIN) for name. */
void zone_answer(const struct zone *z, const char *name, struct lookup_answer *ans);
size_t zone_count(const struct zone *z); /* records held */

#endif
