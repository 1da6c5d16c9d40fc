/*
 * zone: an offline key source read from zone-file text (RFC 1035 §5.1), as
 * used by --keys, the demo, the tests and evidence bundles. Accepts
 * `name [ttl] [IN] TYPE rdata`, `;` comments, parenthesized multi-line records,
 * $ORIGIN (relative ones too), $TTL, and several records per name (key
 * history: a `; valid: DATE` comment just before a record dates it). Names are
 * compared case-insensitively, without the trailing dot.
 *
 * It answers as DNS would: a CNAME at a name is followed (RFC 1034 §3.6.2;
 * providers publish keys through CNAMEs), a name that has only other records
 * is NODATA rather than NXDOMAIN. A record type it does not know, a class
 * other than IN, a CNAME beside other data and a CNAME loop or over-long chain
 * are zone-file errors naming the file and line. Once parsed, a zone is only
 * read, so several threads may ask it at once. The zone owns its records.
 */
#ifndef ARCVERIFY_ZONE_H
#define ARCVERIFY_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "keyans.h"
#include "keysrc.h"

#define ZONE_CNAME_MAX 8          /* CNAMEs followed from one name */
#define ZONE_DEFAULT_TTL 300      /* a record's TTL when neither it nor $TTL gives one */

struct zone;

/* Why loading failed: the caller tells a broken file (EX_CONFIG) from a missing one (EX_NOINPUT). */
enum zone_status {
	ZONE_OK = 0,
	ZONE_UNREADABLE = -1,   /* cannot be opened or read */
	ZONE_SYNTAX = -2,       /* read, but not a zone file we accept (err says file:line and why) */
	ZONE_NOMEM = -3,
};

struct zone *zone_new(void);
void zone_free(struct zone *z);
/* Parse zone text; origin_label names it in provenance ("file"). ZONE_OK, or an error with err
 * "file:line: why". */
enum zone_status zone_parse(struct zone *z, const char *text, size_t len, const char *origin_label,
			    char *err, size_t errlen);
enum zone_status zone_load_file(struct zone *z, const char *path, char *err, size_t errlen);
/* Fill ans for name, following CNAMEs: KEYANS_OK with its TXT records, KEYANS_NODATA when the
 * name has only other records, KEYANS_NXDOMAIN when it has none. */
void zone_answer(const struct zone *z, const char *name, struct keyans *ans);
size_t zone_count(const struct zone *z); /* TXT records held */

/* RFC 1035 §3.3 limits a quoted character-string to 255 octets and zone_parse
 * enforces it. The test DNS server lets its zones write one longer string and
 * splits it when serving; call this before zone_parse to accept such strings. */
void zone_allow_long_strings(struct zone *z);

enum zone_type { ZONE_TXT, ZONE_A, ZONE_AAAA, ZONE_CNAME, ZONE_SOA, ZONE_OTHER };

/* One record as zone_foreach and zone_find show it; valid only during the callback. */
struct zone_record {
	const char *name;     /* lower case, no trailing dot */
	enum zone_type type;
	unsigned rrtype;      /* the type's number (RFC 1035 §3.2.2, IANA registry) */
	uint32_t ttl;
	const char *text;     /* NUL-terminated; TXT: the strings joined; CNAME: the target (absolute,
			       * lower case, no trailing dot); others: the rdata words joined, unchecked */
	size_t len;
	unsigned nstrings;    /* TXT strings (others: words) as written... */
	const size_t *lens;   /* ...and the length of each, so a server can keep the boundaries */
	const char *origin;   /* "file:line", for messages */
};

typedef int (*zone_record_fn)(void *ctx, const struct zone_record *r);
/* Call fn for every record, sorted by name and in file order within a name (the
 * order zone_answer returns them). Stops at the first nonzero return of fn and
 * returns it; 0 when every record was seen. */
int zone_foreach(const struct zone *z, zone_record_fn fn, void *ctx);
/* The same for the records at exactly name (case-insensitive); no CNAME is followed. */
int zone_find(const struct zone *z, const char *name, zone_record_fn fn, void *ctx);

/* A key source answering from z (taken: freed with the source); label names it in answers. */
struct keysrc *zone_source_new(struct zone *z, const char *label);

#endif
