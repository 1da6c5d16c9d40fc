/*
 * lookup: the key-source interface. A caller asks for the TXT records at a name
 * ahead of need (lookup_request) and collects the answer later (lookup_wait), so
 * many DNS queries can be in flight at once; the offline zone source answers at
 * once. Answers are cached for the run and record where they came from
 * (provenance), because a bug report must say which key verified what.
 * RFC 6376 §3.6.2.2 (TXT strings concatenated), §6.1.2 (NXDOMAIN/no record is a
 * permanent failure, DNS trouble a temporary one). The lookup owns every answer.
 */
#ifndef ARCVERIFY_LOOKUP_H
#define ARCVERIFY_LOOKUP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOOKUP_NAME_MAX 256      /* a DNS name is at most 253 octets in text form */
#define LOOKUP_RECORD_MAX 16384  /* bound on one joined TXT record (an 8192-bit RSA key needs ~1.4 KiB) */
#define LOOKUP_RECORDS_MAX 16    /* TXT records kept per name */

enum lookup_status {
	LOOKUP_PENDING = 0,  /* query in flight */
	LOOKUP_OK,           /* at least one TXT record */
	LOOKUP_NXDOMAIN,     /* name does not exist: permerror per §6.1.2 */
	LOOKUP_NODATA,       /* name exists, no TXT record: permerror */
	LOOKUP_SERVFAIL,     /* server failure or refusal: temperror */
	LOOKUP_TIMEOUT,      /* no answer within the timeout: temperror */
	LOOKUP_ERROR,        /* malformed answer or local failure: temperror */
};

enum lookup_source { LOOKUP_SRC_DNS, LOOKUP_SRC_KEYS };

struct lookup_txt {
	char *text;          /* the character-strings joined with nothing between them */
	size_t len;
	unsigned nstrings;   /* how many character-strings there were */
	char when[40];       /* key history: the date this record was valid ("" if unknown) */
	char origin[300];    /* "file:line" for zone records */
	void *cache;         /* a decoded form of the record (a parsed key), owned with the answer */
	void (*cache_free)(void *);
};

struct lookup_answer {
	char name[LOOKUP_NAME_MAX];
	enum lookup_status status;
	enum lookup_source source;
	struct lookup_txt records[LOOKUP_RECORDS_MAX];
	size_t nrecords;
	size_t nrecords_dropped;   /* records beyond LOOKUP_RECORDS_MAX or over the size bound */
	uint32_t ttl;              /* DNS only */
	int rcode;                 /* DNS only: response code, -1 if none */
	int ad;                    /* DNS only: 1 if the answer had the AD (authenticated data) bit */
	char server[80];           /* DNS: "ip:port" that answered; keys: the zone file */
	time_t fetched;            /* when the answer arrived (wall clock) */
	char detail[200];          /* human-readable description of a failure */
};

struct dns_opts;
struct lookup;

/* A lookup answering from DNS (opts may be NULL: /etc/resolv.conf). Returns NULL and fills err on failure. */
struct lookup *lookup_new_dns(const struct dns_opts *opts, char *err, size_t errlen);
/* A lookup answering from zone files only; DNS is never consulted. */
struct lookup *lookup_new_zone(const char *const *files, size_t nfiles, char *err, size_t errlen);
void lookup_free(struct lookup *lk);
/* Start resolving name (case-insensitive) unless it is cached or in flight. */
void lookup_request(struct lookup *lk, const char *name);
/* The answer for name, waiting for it if needed; never NULL (failures are answers). */
const struct lookup_answer *lookup_wait(struct lookup *lk, const char *name);
/* 1 when answers arrive later (DNS), so asking early pays; 0 when they are there at once (zone files). */
int lookup_async(const struct lookup *lk);
/* Give in-flight queries up to timeout_ms to progress (batch use). */
void lookup_poll(struct lookup *lk, int timeout_ms);
const char *lookup_status_word(enum lookup_status st);
/* Helpers for sources: fill an answer's record list (copies text); 0 or -1 when over bounds. */
int lookup_answer_add(struct lookup_answer *a, const char *text, size_t len, unsigned nstrings);
void lookup_answer_clear(struct lookup_answer *a);  /* frees record texts and caches */
/* Keep a decoded form of record rec of the cached answer for name (the lookup then frees it with
 * free_fn), so a key used by many signatures or messages is decoded once. 0 when stored; -1 when
 * not (no such answer or record, slot taken): the caller keeps obj. */
int lookup_set_record_cache(struct lookup *lk, const char *name, size_t rec, void *obj, void (*free_fn)(void *));

#endif
