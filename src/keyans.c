/* keyans: key answers (see include/keyans.h). */
#include "keyans.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYANS_NAME_OCTETS 253   /* RFC 1035 §2.3.4: 255 octets in wire form, 253 in text */

struct keyans *keyans_new(const char *name, enum keyans_source src)
{
	struct keyans *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	snprintf(a->name, sizeof a->name, "%s", name ? name : "");
	a->source = src;
	a->rcode = -1;
	a->fetched = time(NULL);
	return a;
}

void keyans_clear(struct keyans *a)
{
	for (size_t i = 0; i < a->nrecords; i++) {
		free(a->records[i].text);
		if (a->records[i].cache && a->records[i].cache_free)
			a->records[i].cache_free(a->records[i].cache);
	}
	free(a->records);
	a->records = NULL;
	a->nrecords = 0;
}

void keyans_free(struct keyans *a)
{
	if (!a)
		return;
	keyans_clear(a);
	free(a);
}

/* Room for one more record: the array grows 1, 2, 4 ... up to KEYANS_RECORDS_MAX. */
static int grow_records(struct keyans *a)
{
	size_t n = a->nrecords;
	if (n != 0 && (n & (n - 1)) != 0)
		return 0; /* not a power of two: room is left */
	size_t cap = n ? n * 2 : 1;
	if (cap > KEYANS_RECORDS_MAX)
		cap = KEYANS_RECORDS_MAX;
	struct keyans_txt *r = realloc(a->records, cap * sizeof *r);
	if (!r)
		return -1;
	a->records = r;
	return 0;
}

int keyans_add(struct keyans *a, const char *text, size_t len, unsigned nstrings)
{
	if (a->nrecords == KEYANS_RECORDS_MAX || len > KEYANS_RECORD_MAX || grow_records(a) < 0) {
		a->nrecords_dropped++;
		return -1;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		a->nrecords_dropped++;
		return -1;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	struct keyans_txt *t = &a->records[a->nrecords++];
	memset(t, 0, sizeof *t);
	t->text = copy;
	t->len = len;
	t->nstrings = nstrings;
	return 0;
}

void keyans_fail(struct keyans *a, enum keyans_status st, const char *fmt, ...)
{
	va_list ap;
	a->status = st;
	va_start(ap, fmt);
	int n = vsnprintf(a->detail, sizeof a->detail, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= sizeof a->detail)
		memcpy(a->detail + sizeof a->detail - 4, "...", 4);
}

const char *keyans_status_word(enum keyans_status st)
{
	switch (st) {
	case KEYANS_PENDING: return "pending";
	case KEYANS_OK: return "ok";
	case KEYANS_NXDOMAIN: return "NXDOMAIN";
	case KEYANS_NODATA: return "no TXT record";
	case KEYANS_SERVFAIL: return "SERVFAIL";
	case KEYANS_TIMEOUT: return "timeout";
	case KEYANS_UNREACHABLE: return "connection refused";
	case KEYANS_ERROR: return "error";
	}
	return "unknown";
}

int keyans_is_temporary(enum keyans_status st)
{
	return st == KEYANS_SERVFAIL || st == KEYANS_TIMEOUT || st == KEYANS_UNREACHABLE || st == KEYANS_ERROR;
}

int keyans_name_key(const char *name, char out[KEYANS_NAME_MAX])
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	if (n > KEYANS_NAME_OCTETS) {
		out[0] = '\0';
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	return 0;
}
