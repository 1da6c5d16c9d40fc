/*
 * zone: an offline key source read from zone-file text, as used by --keys, the
 * demo, the tests and evidence bundles. Accepts `name [ttl] [IN] TXT "s1" "s2"`,
 * `;` comments, parenthesized multi-line records, relative names after $ORIGIN,
 * and several records per name (key history: a `; valid: DATE` comment just
 * before a record dates it). Names are compared case-insensitively, without the
 * trailing dot. The zone owns every record it returns.
 *
 * A and AAAA records are kept too, though they carry no keys: a name that has
 * only them exists, so its TXT lookup is NODATA rather than NXDOMAIN (as DNS
 * would answer), and the test DNS server (tests/dnstest.c) serves them from
 * the same parse. Other types are skipped.
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
/* Fill ans for name: LOOKUP_OK with its TXT records, LOOKUP_NODATA when the name has
 * only A/AAAA records, LOOKUP_NXDOMAIN when it has none. */
void zone_answer(const struct zone *z, const char *name, struct lookup_answer *ans);
size_t zone_count(const struct zone *z); /* TXT records held */

/* RFC 1035 §3.3 limits a quoted character-string to 255 octets and zone_parse
 * enforces it. The test DNS server lets its zones write one longer string and
 * splits it when serving; call this before zone_parse to accept such strings. */
void zone_allow_long_strings(struct zone *z);

enum zone_type { ZONE_TXT, ZONE_A, ZONE_AAAA };

/* One record as zone_foreach shows it; valid only during the callback. */
struct zone_record {
	const char *name;     /* lower case, no trailing dot */
	enum zone_type type;
	const char *text;     /* NUL-terminated; TXT: the strings joined; A/AAAA: the rdata words joined, unchecked */
	size_t len;
	unsigned nstrings;    /* TXT strings (A/AAAA: words) as written... */
	const size_t *lens;   /* ...and the length of each, so a server can keep the boundaries */
	const char *origin;   /* "file:line", for messages */
};

typedef int (*zone_record_fn)(void *ctx, const struct zone_record *r);
/* Call fn for every record, sorted by name and in file order within a name (the
 * order zone_answer returns them). Stops at the first nonzero return of fn and
 * returns it; 0 when every record was seen. */
int zone_foreach(const struct zone *z, zone_record_fn fn, void *ctx);

#endif
