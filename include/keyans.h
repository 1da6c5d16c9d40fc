/*
 * keyans: the answer a key source gives for one name: its status (RFC 6376
 * §6.1.2 sorts NXDOMAIN/NODATA, which are permanent, from DNS trouble, which is
 * temporary), the TXT records with their character-strings joined (§3.6.2.2),
 * and the provenance a bug report needs (server or zone file and line, TTL,
 * AD bit, CNAMEs followed, fetch time). Whoever holds a struct keyans owns its
 * record texts and their decoded caches (keyans_free / keyans_clear).
 */
#ifndef ARCVERIFY_KEYANS_H
#define ARCVERIFY_KEYANS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KEYANS_NAME_MAX 256      /* a DNS name is at most 253 octets in text form */
#define KEYANS_RECORD_MAX 16384  /* bound on one joined TXT record (an 8192-bit RSA key needs ~1.4 KiB) */
#define KEYANS_RECORDS_MAX 16    /* TXT records kept per name */

enum keyans_status {
	KEYANS_PENDING = 0,  /* not answered yet */
	KEYANS_OK,           /* at least one TXT record */
	KEYANS_NXDOMAIN,     /* the name does not exist: permerror per §6.1.2 */
	KEYANS_NODATA,       /* the name exists without a TXT record: permerror */
	KEYANS_SERVFAIL,     /* every server answered SERVFAIL, REFUSED or the like: temperror */
	KEYANS_TIMEOUT,      /* no answer within the timeout: temperror */
	KEYANS_UNREACHABLE,  /* every server refused the connection (ICMP port unreachable): temperror */
	KEYANS_ERROR,        /* malformed answer, CNAME loop or local failure: temperror */
};

enum keyans_source { KEYANS_SRC_DNS, KEYANS_SRC_KEYS };

struct keyans_txt {
	char *text;          /* the character-strings joined with nothing between them; ours */
	size_t len;
	unsigned nstrings;   /* how many character-strings there were */
	char when[40];       /* key history: the date this record was valid ("" if unknown) */
	char origin[300];    /* "file:line" for zone records */
	void *cache;         /* a decoded form of the record (a parsed key), owned with the answer */
	void (*cache_free)(void *);
};

struct keyans {
	char name[KEYANS_NAME_MAX];    /* as asked: lower case, no trailing dot */
	enum keyans_status status;
	enum keyans_source source;
	struct keyans_txt *records;    /* nrecords of them, ours */
	size_t nrecords;
	size_t nrecords_dropped;       /* records beyond KEYANS_RECORDS_MAX or over the size bound */
	char target[KEYANS_NAME_MAX];  /* the name the records are at after CNAMEs ("" when none was followed) */
	unsigned cnames;               /* CNAMEs followed */
	uint32_t ttl;                  /* DNS: the records' smallest TTL, or the negative TTL (RFC 2308 §5) */
	int has_ttl;                   /* ttl is meaningful (a negative answer without SOA has none) */
	int rcode;                     /* DNS only: response code, -1 if none */
	int ad;                        /* DNS only: 1 if the answer had the AD (authenticated data) bit */
	char server[80];               /* DNS: "ip:port" that answered; keys: the zone files */
	time_t fetched;                /* when the answer arrived (wall clock) */
	unsigned ms;                   /* DNS: milliseconds from the first query to the answer */
	char detail[200];              /* human-readable description of a failure */
};

/* A fresh answer for name (status PENDING, rcode -1, fetched now); NULL when out of memory. */
struct keyans *keyans_new(const char *name, enum keyans_source src);
void keyans_free(struct keyans *a);            /* keyans_clear, then the struct; NULL is fine */
void keyans_clear(struct keyans *a);           /* frees record texts and decoded caches */
/* Append a record (copies text); 0, or -1 when over the bounds (counted in nrecords_dropped). */
int keyans_add(struct keyans *a, const char *text, size_t len, unsigned nstrings);
/* Set status and a printf-style detail (cut with "..." when too long). */
void keyans_fail(struct keyans *a, enum keyans_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *keyans_status_word(enum keyans_status st);  /* "ok", "NXDOMAIN", "timeout", ... */
int keyans_is_temporary(enum keyans_status st);          /* §6.1.2: 1 for temperror statuses */
/* The cache key of a name: lower case, one trailing dot removed. 0, or -1 when longer than
 * 253 octets (never cut: a cut name could share an answer with another name). */
int keyans_name_key(const char *name, char out[KEYANS_NAME_MAX]);

#endif
