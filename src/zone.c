/*
 * zone: offline records from zone-file text (RFC 1035 §5.1 master-file
 * syntax, the subset key records need; see include/zone.h). Tokens: quoted
 * character-strings with \" \\ \DDD escapes, bare words, `;` comments, `(` `)`
 * joining lines. Records are sorted by name once a text is parsed, so
 * answering only reads.
 */
#include "zone.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define ZONE_FILE_MAX (64u << 20)  /* a key file larger than 64 MiB is not a key file */
#define ZONE_TOKENS_MAX 512
#define ZONE_TTL_MAX 2147483647u   /* RFC 2181 §8 */

struct zone_rec {
	char name[KEYANS_NAME_MAX];   /* lower case, no trailing dot */
	enum zone_type type;
	unsigned rrtype;
	uint32_t ttl;
	char *text;                    /* joined strings (CNAME: the target) */
	size_t len;
	unsigned nstrings;
	size_t *lens;                  /* each string's length: joining loses the boundaries */
	char when[40];
	char origin[300];
	size_t seq;                    /* file order, to keep history order stable after sorting */
};

struct zone {
	struct zone_rec *recs;
	size_t n, cap;
	size_t ntxt;                   /* TXT records among the n */
	int long_strings;              /* zone_allow_long_strings was called */
};

struct zone *zone_new(void)
{
	return calloc(1, sizeof(struct zone));
}

void zone_free(struct zone *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++) {
		free(z->recs[i].text);
		free(z->recs[i].lens);
	}
	free(z->recs);
	free(z);
}

size_t zone_count(const struct zone *z)
{
	return z->ntxt;
}

void zone_allow_long_strings(struct zone *z)
{
	z->long_strings = 1;
}

/* One token of a record: a word or a quoted character-string, decoded. */
struct zone_token {
	struct buf text;
	int quoted;
};

struct zone_parser {
	const char *p, *end;
	const char *label;
	unsigned line;          /* line of the cursor */
	unsigned rec_line;      /* line where the current record started */
	char origin[KEYANS_NAME_MAX];
	char last_owner[KEYANS_NAME_MAX];
	char pending_when[40];  /* from a "; valid: DATE" comment, applies to the next record */
	uint32_t default_ttl;   /* $TTL (RFC 2308 §4), else ZONE_DEFAULT_TTL */
	char *err;
	size_t errlen;
};

static int zp_error(struct zone_parser *zp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int zp_error(struct zone_parser *zp, const char *fmt, ...)
{
	char why[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(zp->err, zp->errlen, "%s:%u: %s", zp->label, zp->rec_line, why);
	return -1;
}

/* "; valid: 2024-01-01" before a record dates it, for key history. */
static void zp_comment(struct zone_parser *zp, const char *start, const char *stop)
{
	static const char tag[] = "valid:";
	const char *c = start + 1;
	while (c < stop && (*c == ' ' || *c == '\t'))
		c++;
	if ((size_t)(stop - c) > sizeof tag - 1 && strncasecmp(c, tag, sizeof tag - 1) == 0) {
		c += sizeof tag - 1;
		struct slice when = slice_trim_wsp(slice_make(c, (size_t)(stop - c)));
		slice_copy(when, zp->pending_when, sizeof zp->pending_when);
	}
}

static int zp_read_quoted(struct zone_parser *zp, struct buf *out)
{
	zp->p++; /* opening quote */
	while (zp->p < zp->end && *zp->p != '"') {
		char c = *zp->p++;
		if (c == '\n')
			zp->line++;
		if (c == '\\' && zp->p < zp->end) {
			if (zp->end - zp->p >= 3 && isdigit((unsigned char)zp->p[0]) &&
			    isdigit((unsigned char)zp->p[1]) && isdigit((unsigned char)zp->p[2])) {
				int v = (zp->p[0] - '0') * 100 + (zp->p[1] - '0') * 10 + (zp->p[2] - '0');
				if (v > 255)
					return zp_error(zp, "escape \\DDD above 255");
				c = (char)v;
				zp->p += 3;
			} else {
				c = *zp->p++;
			}
		}
		if (buf_append_byte(out, c) < 0)
			return zp_error(zp, "character-string too long");
	}
	if (zp->p >= zp->end)
		return zp_error(zp, "unterminated quoted string");
	zp->p++;
	return 0;
}

/*
 * Read the tokens of one logical record (up to a newline outside parentheses).
 * Returns the number of tokens, 0 at end of input with nothing read, -1 on error.
 * *owner_blank is set when the record starts with white space (owner = previous).
 */
static int zp_read_record(struct zone_parser *zp, struct zone_token *toks, int *owner_blank)
{
	int n = 0, depth = 0;
	*owner_blank = 0;
	while (zp->p < zp->end) {
		/* skip blank lines and comment-only lines between records */
		if (n == 0 && depth == 0) {
			const char *q = zp->p;
			while (q < zp->end && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < zp->end && (*q == '\n' || *q == ';')) {
				if (*q == ';') {
					const char *e = memchr(q, '\n', (size_t)(zp->end - q));
					e = e ? e : zp->end;
					zp_comment(zp, q, e);
					q = e;
				}
				if (q < zp->end)
					q++;
				zp->line++;
				zp->p = q;
				continue;
			}
			if (q >= zp->end) {
				zp->p = q;
				return 0;
			}
			*owner_blank = q != zp->p;
			zp->rec_line = zp->line;
			zp->p = q;
		}
		char c = *zp->p;
		if (c == ' ' || c == '\t' || c == '\r') {
			zp->p++;
		} else if (c == ';') {
			const char *e = memchr(zp->p, '\n', (size_t)(zp->end - zp->p));
			zp->p = e ? e : zp->end;
		} else if (c == '\n') {
			zp->p++;
			zp->line++;
			if (depth == 0)
				return n;
		} else if (c == '(') {
			depth++;
			zp->p++;
		} else if (c == ')') {
			if (--depth < 0)
				return zp_error(zp, "unbalanced ')'");
			zp->p++;
		} else {
			if (n == ZONE_TOKENS_MAX)
				return zp_error(zp, "too many fields in one record");
			struct zone_token *t = &toks[n++];
			buf_reset(&t->text);
			t->quoted = c == '"';
			if (t->quoted) {
				if (zp_read_quoted(zp, &t->text) < 0)
					return -1;
			} else {
				while (zp->p < zp->end && !strchr(" \t\r\n;()", *zp->p)) {
					if (buf_append_byte(&t->text, *zp->p++) < 0)
						return zp_error(zp, "word too long");
				}
			}
		}
	}
	if (depth != 0)
		return zp_error(zp, "unbalanced '('");
	return n;
}

/*
 * A TTL: seconds, or BIND's units (1h30m, 2d, 1w). 0 with *ttl set, -1 when the
 * word is not a TTL (then it may be a class or a type). RFC 2181 §8 bounds it.
 */
static int parse_ttl(const char *w, uint32_t *ttl)
{
	static const char units[] = "smhdw";
	static const unsigned long scale[] = { 1, 60, 3600, 86400, 604800 };
	unsigned long long total = 0, cur = 0;
	int digits = 0;
	if (!isdigit((unsigned char)*w))
		return -1;
	for (; *w; w++) {
		const char *u = strchr(units, tolower((unsigned char)*w));
		if (isdigit((unsigned char)*w)) {
			cur = cur * 10 + (unsigned)(*w - '0');
			digits = 1;
		} else if (u && *u && digits) {
			total += cur * scale[u - units];
			cur = 0;
			digits = 0;
		} else {
			return -1;
		}
		if (cur > ZONE_TTL_MAX || total > ZONE_TTL_MAX)
			return -1;
	}
	total += cur;
	if (total > ZONE_TTL_MAX)
		return -1;
	*ttl = (uint32_t)total;
	return 0;
}

/* Owner name: absolute with a trailing dot, relative to $ORIGIN otherwise, @ = origin. */
static int zp_name(struct zone_parser *zp, const char *word, char *out, size_t outlen)
{
	size_t n = strlen(word);
	int written;
	if (strcmp(word, "@") == 0)
		written = snprintf(out, outlen, "%s", zp->origin);
	else if (n && word[n - 1] == '.')
		written = snprintf(out, outlen, "%.*s", (int)(n - 1), word);
	else if (zp->origin[0])
		written = snprintf(out, outlen, "%s.%s", word, zp->origin);
	else
		written = snprintf(out, outlen, "%s", word);
	if (written < 0 || (size_t)written >= outlen || written > 253)
		return zp_error(zp, "name longer than 253 octets");
	/* RFC 1035 §2.3.1: labels are not empty; "a..b" or "a.." would be stored where no lookup finds it */
	if (out[0] == '.' || strstr(out, "..") || (out[0] && out[strlen(out) - 1] == '.'))
		return zp_error(zp, "owner name has an empty label");
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

/* The record types a zone file may hold (IANA "Resource Record (RR) TYPEs"); DNAME is refused below. */
static const struct zone_type_name {
	const char *word;
	unsigned rrtype;
	enum zone_type type;
} known_types[] = {
	{ "A", 1, ZONE_A }, { "NS", 2, ZONE_OTHER }, { "CNAME", 5, ZONE_CNAME }, { "SOA", 6, ZONE_SOA },
	{ "PTR", 12, ZONE_OTHER }, { "HINFO", 13, ZONE_OTHER }, { "MX", 15, ZONE_OTHER }, { "TXT", 16, ZONE_TXT },
	{ "RP", 17, ZONE_OTHER }, { "AFSDB", 18, ZONE_OTHER }, { "AAAA", 28, ZONE_AAAA }, { "LOC", 29, ZONE_OTHER },
	{ "SRV", 33, ZONE_OTHER }, { "NAPTR", 35, ZONE_OTHER }, { "KX", 36, ZONE_OTHER }, { "CERT", 37, ZONE_OTHER },
	{ "DNAME", 39, ZONE_OTHER }, { "DS", 43, ZONE_OTHER }, { "SSHFP", 44, ZONE_OTHER },
	{ "IPSECKEY", 45, ZONE_OTHER }, { "RRSIG", 46, ZONE_OTHER }, { "NSEC", 47, ZONE_OTHER },
	{ "DNSKEY", 48, ZONE_OTHER }, { "DHCID", 49, ZONE_OTHER }, { "NSEC3", 50, ZONE_OTHER },
	{ "NSEC3PARAM", 51, ZONE_OTHER }, { "TLSA", 52, ZONE_OTHER }, { "SMIMEA", 53, ZONE_OTHER },
	{ "HIP", 55, ZONE_OTHER }, { "CDS", 59, ZONE_OTHER }, { "CDNSKEY", 60, ZONE_OTHER },
	{ "OPENPGPKEY", 61, ZONE_OTHER }, { "CSYNC", 62, ZONE_OTHER }, { "ZONEMD", 63, ZONE_OTHER },
	{ "SVCB", 64, ZONE_OTHER }, { "HTTPS", 65, ZONE_OTHER }, { "SPF", 99, ZONE_OTHER },
	{ "URI", 256, ZONE_OTHER }, { "CAA", 257, ZONE_OTHER },
};

/* "TYPE123" (RFC 3597 §5): the number, or 0 when the word is not of that form. */
static unsigned generic_number(const char *w, const char *prefix)
{
	size_t p = strlen(prefix);
	unsigned long v = 0;
	if (strncasecmp(w, prefix, p) != 0 || !w[p] || strlen(w + p) > 5)
		return 0;
	for (const char *c = w + p; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return 0;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	return v <= 65535 ? (unsigned)v : 0;
}

/* The type of word; -1 (err set) when it is none we know or one we cannot honour. */
static int zp_type(struct zone_parser *zp, const char *w, struct zone_type_name *out)
{
	for (size_t k = 0; k < sizeof known_types / sizeof known_types[0]; k++)
		if (strcasecmp(w, known_types[k].word) == 0) {
			*out = known_types[k];
			if (out->rrtype == 39)
				return zp_error(zp, "DNAME is not supported in key files (write a CNAME per key name)");
			return 0;
		}
	unsigned num = generic_number(w, "TYPE");
	if (num) {
		for (size_t k = 0; k < sizeof known_types / sizeof known_types[0]; k++)
			if (known_types[k].rrtype == num && known_types[k].type != ZONE_OTHER)
				return zp_error(zp, "write %s records by name, not as %s", known_types[k].word, w);
		*out = (struct zone_type_name){ "TYPE", num, ZONE_OTHER };
		return 0;
	}
	return zp_error(zp, "unknown record type '%.40s'", w);
}

/* 1 for IN (RFC 1035 §3.2.4), 0 for a word that is no class, -1 (err set) for another class. */
static int zp_class(struct zone_parser *zp, const char *w)
{
	static const char *const others[] = { "CH", "CS", "HS", "NONE", "ANY" };
	unsigned num = generic_number(w, "CLASS");
	if (strcasecmp(w, "IN") == 0 || num == 1)
		return 1;
	for (size_t k = 0; k < sizeof others / sizeof others[0]; k++)
		if (strcasecmp(w, others[k]) == 0)
			num = 2;
	if (num)
		return zp_error(zp, "class %.20s: DKIM keys are IN records", w);
	return 0;
}

/* The rdata strings' lengths, or NULL for none (malloc(0) may return NULL too). */
static size_t *token_lengths(const struct zone_token *toks, int first, int n, int *failed)
{
	*failed = 0;
	if (n <= first)
		return NULL;
	size_t *lens = malloc((size_t)(n - first) * sizeof *lens);
	if (!lens) {
		*failed = 1;
		return NULL;
	}
	for (int i = first; i < n; i++)
		lens[i - first] = toks[i].text.len;
	return lens;
}

static struct zone_rec *zone_slot(struct zone *z)
{
	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 32;
		struct zone_rec *r = realloc(z->recs, cap * sizeof *r);
		if (!r)
			return NULL;
		z->recs = r;
		z->cap = cap;
	}
	struct zone_rec *r = &z->recs[z->n];
	memset(r, 0, sizeof *r);
	return r;
}

/* Append a record whose rdata are toks[first..n) joined. ZONE_OK, ZONE_SYNTAX (too long) or ZONE_NOMEM. */
static enum zone_status zone_add(struct zone *z, const struct zone_parser *zp, const char *owner,
				 const struct zone_type_name *t, uint32_t ttl, struct zone_token *toks, int first, int n)
{
	struct buf joined;
	int failed;
	size_t total = 0;
	for (int i = first; i < n; i++)
		total += toks[i].text.len;
	if (total > KEYANS_RECORD_MAX)
		return ZONE_SYNTAX;
	struct zone_rec *r = zone_slot(z);
	if (!r)
		return ZONE_NOMEM;
	buf_init(&joined, KEYANS_RECORD_MAX + 1);
	for (int i = first; i < n; i++)
		if (buf_append(&joined, toks[i].text.data ? toks[i].text.data : "", toks[i].text.len) < 0) {
			buf_free(&joined);
			return ZONE_NOMEM;
		}
	size_t *lens = token_lengths(toks, first, n, &failed);
	if (failed || buf_append(&joined, "", 0) < 0) {
		buf_free(&joined);
		free(lens);
		return ZONE_NOMEM;
	}
	snprintf(r->name, sizeof r->name, "%s", owner);
	r->type = t->type;
	r->rrtype = t->rrtype;
	r->ttl = ttl;
	r->lens = lens;
	r->len = joined.len;
	r->text = buf_steal(&joined);
	r->nstrings = (unsigned)(n - first);
	snprintf(r->when, sizeof r->when, "%s", zp->pending_when);
	snprintf(r->origin, sizeof r->origin, "%s:%u", zp->label, zp->rec_line);
	r->seq = z->n;
	z->n++;
	z->ntxt += t->type == ZONE_TXT;
	return ZONE_OK;
}

static int zp_directive(struct zone_parser *zp, struct zone_token *toks, int n)
{
	if (strcasecmp(toks[0].text.data, "$ORIGIN") == 0) {
		if (n < 2)
			return zp_error(zp, "$ORIGIN without a name");
		/* RFC 1035 §5.1: a relative $ORIGIN is relative to the current origin */
		char next[KEYANS_NAME_MAX];
		if (zp_name(zp, toks[1].text.data, next, sizeof next) < 0)
			return -1;
		snprintf(zp->origin, sizeof zp->origin, "%s", next);
		return 0;
	}
	if (strcasecmp(toks[0].text.data, "$TTL") == 0) {
		if (n < 2 || parse_ttl(toks[1].text.data, &zp->default_ttl) < 0)
			return zp_error(zp, "$TTL needs a TTL (seconds, or units such as 1h)");
		return 0;
	}
	return zp_error(zp, "unsupported directive %.40s", toks[0].text.data);
}

/* The rdata of each type, checked as far as answering needs. */
static int zp_check_rdata(const struct zone *z, struct zone_parser *zp, const struct zone_type_name *t,
			  const struct zone_token *toks, int first, int n)
{
	if (first >= n)
		return zp_error(zp, "%s record without data", t->type == ZONE_TXT ? "TXT" : t->word);
	if (t->type == ZONE_TXT) {
		for (int k = first; k < n && !z->long_strings; k++)
			if (toks[k].text.len > 255 && toks[k].quoted)
				return zp_error(zp, "TXT character-string longer than 255 octets");
	} else if (t->type == ZONE_CNAME && (n - first != 1 || toks[first].quoted)) {
		return zp_error(zp, "CNAME needs exactly one target name");
	} else if (t->type == ZONE_SOA && n - first != 7) {
		return zp_error(zp, "SOA needs 7 fields (mname rname serial refresh retry expire minimum)");
	}
	return 0;
}

/* The owner of a record: the previous one for a blank owner field, else the first token. */
static int zp_owner(struct zone_parser *zp, struct zone_token *toks, int owner_blank, char *owner, int *next)
{
	*next = 0;
	if (owner_blank) {
		if (!zp->last_owner[0])
			return zp_error(zp, "record without an owner name");
		snprintf(owner, KEYANS_NAME_MAX, "%s", zp->last_owner);
		return 0;
	}
	if (toks[0].quoted)
		return zp_error(zp, "owner name is a quoted string");
	if (zp_name(zp, toks[0].text.data, owner, KEYANS_NAME_MAX) < 0)
		return -1;
	if (owner[0] == '*' && (owner[1] == '.' || owner[1] == '\0'))
		return zp_error(zp, "wildcard owner names are not supported in key files");
	*next = 1;
	snprintf(zp->last_owner, sizeof zp->last_owner, "%s", owner);
	return 0;
}

/* [ttl] [class], in either order (RFC 1035 §5.1); *i moves past them. */
static int zp_ttl_class(struct zone_parser *zp, struct zone_token *toks, int n, int *i, uint32_t *ttl)
{
	*ttl = zp->default_ttl;
	for (int k = 0; k < 2 && *i < n && !toks[*i].quoted; k++) {
		const char *w = toks[*i].text.data;
		int cls;
		if (parse_ttl(w, ttl) == 0)
			(*i)++;
		else if ((cls = zp_class(zp, w)) < 0)
			return -1;
		else if (cls == 1)
			(*i)++;
		else
			break;
	}
	if (*i >= n || toks[*i].quoted)
		return zp_error(zp, "record without a type");
	return 0;
}

/* name [ttl] [class] type rdata...; -1 with err set, or ZONE_NOMEM. */
static int zp_record(struct zone *z, struct zone_parser *zp, struct zone_token *toks, int n, int owner_blank)
{
	char owner[KEYANS_NAME_MAX];
	int i;
	uint32_t ttl;
	struct zone_type_name t = { NULL, 0, ZONE_OTHER };
	if (zp_owner(zp, toks, owner_blank, owner, &i) < 0 || zp_ttl_class(zp, toks, n, &i, &ttl) < 0 ||
	    zp_type(zp, toks[i].text.data, &t) < 0 || zp_check_rdata(z, zp, &t, toks, i + 1, n) < 0)
		return -1;
	i++;
	if (t.type == ZONE_CNAME) {
		char target[KEYANS_NAME_MAX];
		if (zp_name(zp, toks[i].text.data, target, sizeof target) < 0)
			return -1;
		buf_reset(&toks[i].text);
		if (buf_append_str(&toks[i].text, target) < 0)
			return zp_error(zp, "out of memory");
	}
	enum zone_status st = zone_add(z, zp, owner, &t, ttl, toks, i, n);
	if (st == ZONE_SYNTAX)
		return zp_error(zp, "record longer than %d octets", KEYANS_RECORD_MAX);
	if (st != ZONE_OK) {
		zp_error(zp, "out of memory");
		return ZONE_NOMEM;
	}
	zp->pending_when[0] = '\0';
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct zone_rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void zone_sort(struct zone *z)
{
	if (z->n > 1) /* an empty zone has recs == NULL, which qsort must not be given */
		qsort(z->recs, z->n, sizeof *z->recs, rec_cmp);
}

/* Index of the first record at key (the zone is sorted), or z->n. */
static size_t lower_bound(const struct zone *z, const char *key)
{
	size_t lo = 0, hi = z->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(z->recs[mid].name, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The CNAME record at key, or NULL (a CNAME is alone at its name, which zone_check_cnames ensures). */
static const struct zone_rec *cname_at(const struct zone *z, const char *key)
{
	size_t i = lower_bound(z, key);
	if (i < z->n && strcmp(z->recs[i].name, key) == 0 && z->recs[i].type == ZONE_CNAME)
		return &z->recs[i];
	return NULL;
}

/* RFC 1034 §3.6.2, RFC 2181 §10.1: a name with a CNAME has no other data. */
static int check_cname_alone(const struct zone *z, char *err, size_t errlen)
{
	for (size_t i = 1; i < z->n; i++) {
		const struct zone_rec *a = &z->recs[i - 1], *b = &z->recs[i];
		if (strcmp(a->name, b->name) != 0 || (a->type != ZONE_CNAME && b->type != ZONE_CNAME))
			continue;
		const struct zone_rec *later = a->seq > b->seq ? a : b;
		snprintf(err, errlen, "%s: %s has a CNAME and other records (a CNAME must be alone, RFC 1034 §3.6.2)",
			 later->origin, later->name);
		return -1;
	}
	return 0;
}

/* Every CNAME chain ends within ZONE_CNAME_MAX hops without coming back to a name it passed. */
static int check_cname_chain(const struct zone *z, const struct zone_rec *start, char *err, size_t errlen)
{
	const char *seen[ZONE_CNAME_MAX + 1];
	const struct zone_rec *c = start;
	size_t hops = 0;
	seen[0] = start->name;
	while (c) {
		for (size_t k = 0; k <= hops; k++)
			if (strcmp(seen[k], c->text) == 0) {
				snprintf(err, errlen, "%s: CNAME loop: %.100s leads back to %.100s", start->origin,
					 start->name, c->text);
				return -1;
			}
		if (++hops > ZONE_CNAME_MAX) {
			snprintf(err, errlen, "%s: CNAME chain from %.100s is longer than %d", start->origin, start->name,
				 ZONE_CNAME_MAX);
			return -1;
		}
		seen[hops] = c->text;
		c = cname_at(z, c->text);
	}
	return 0;
}

static int zone_check_cnames(const struct zone *z, char *err, size_t errlen)
{
	if (check_cname_alone(z, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < z->n; i++)
		if (z->recs[i].type == ZONE_CNAME && check_cname_chain(z, &z->recs[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* Read records until the end of text; ZONE_OK or the first error. */
static enum zone_status zp_run(struct zone *z, struct zone_parser *zp, struct zone_token *toks)
{
	for (;;) {
		int owner_blank;
		int n = zp_read_record(zp, toks, &owner_blank);
		if (n < 0)
			return ZONE_SYNTAX;
		if (n == 0)
			return ZONE_OK;
		for (int i = 0; i < n; i++)
			if (!toks[i].text.data && buf_append(&toks[i].text, "", 0) < 0)
				return ZONE_NOMEM;
		int rc;
		if (!owner_blank && !toks[0].quoted && toks[0].text.data[0] == '$')
			rc = zp_directive(zp, toks, n);
		else
			rc = zp_record(z, zp, toks, n, owner_blank);
		if (rc < 0)
			return rc == ZONE_NOMEM ? ZONE_NOMEM : ZONE_SYNTAX;
	}
}

enum zone_status zone_parse(struct zone *z, const char *text, size_t len, const char *origin_label,
			    char *err, size_t errlen)
{
	struct zone_parser zp = { .p = text, .end = text + len, .label = origin_label, .line = 1, .rec_line = 1,
				  .default_ttl = ZONE_DEFAULT_TTL, .err = err, .errlen = errlen };
	struct zone_token *toks = calloc(ZONE_TOKENS_MAX, sizeof *toks);
	if (!toks) {
		snprintf(err, errlen, "%s: out of memory", origin_label);
		return ZONE_NOMEM;
	}
	for (int i = 0; i < ZONE_TOKENS_MAX; i++)
		buf_init(&toks[i].text, KEYANS_RECORD_MAX);
	enum zone_status rc = zp_run(z, &zp, toks);
	for (int i = 0; i < ZONE_TOKENS_MAX; i++)
		buf_free(&toks[i].text);
	free(toks);
	zone_sort(z); /* also after an error: the records read so far stay usable and sorted */
	if (rc == ZONE_OK && zone_check_cnames(z, err, errlen) < 0)
		rc = ZONE_SYNTAX;
	return rc;
}

enum zone_status zone_load_file(struct zone *z, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ZONE_UNREADABLE;
	}
	struct buf data;
	buf_init(&data, ZONE_FILE_MAX);
	char chunk[65536];
	size_t got;
	enum zone_status rc = ZONE_OK;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(&data, chunk, got) < 0) {
			snprintf(err, errlen, "%s: larger than %u bytes, or out of memory", path, ZONE_FILE_MAX);
			rc = ZONE_SYNTAX;
			break;
		}
	}
	if (rc == ZONE_OK && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = ZONE_UNREADABLE;
	}
	fclose(f);
	if (rc == ZONE_OK)
		rc = zone_parse(z, data.data ? data.data : "", data.len, path, err, errlen);
	buf_free(&data);
	return rc;
}

/* The TXT records at key into ans; the status says whether the name exists. */
static void collect_txt(const struct zone *z, const char *key, struct keyans *ans)
{
	ans->status = KEYANS_NXDOMAIN;
	for (size_t i = lower_bound(z, key); i < z->n && strcmp(z->recs[i].name, key) == 0; i++) {
		const struct zone_rec *r = &z->recs[i];
		if (r->type != ZONE_TXT) {
			/* the name exists: no TXT record so far is NODATA, not NXDOMAIN */
			if (ans->status == KEYANS_NXDOMAIN)
				ans->status = KEYANS_NODATA;
			continue;
		}
		if (keyans_add(ans, r->text, r->len, r->nstrings) == 0) {
			struct keyans_txt *t = &ans->records[ans->nrecords - 1];
			snprintf(t->when, sizeof t->when, "%s", r->when);
			snprintf(t->origin, sizeof t->origin, "%s", r->origin);
		}
		ans->status = KEYANS_OK;
	}
	/* every record was dropped (out of memory): an answer with no record must not look like one */
	if (ans->status == KEYANS_OK && ans->nrecords == 0)
		keyans_fail(ans, KEYANS_ERROR, "out of memory copying the records of %.150s", key);
}

void zone_answer(const struct zone *z, const char *name, struct keyans *ans)
{
	char key[KEYANS_NAME_MAX];
	ans->source = KEYANS_SRC_KEYS;
	ans->rcode = -1;
	if (keyans_name_key(name, key) < 0) {
		keyans_fail(ans, KEYANS_ERROR, "a DNS name has at most 253 octets");
		return;
	}
	const struct zone_rec *c;
	/* RFC 1034 §3.6.2: the answer is at the canonical name; loaded zones have short, loop-free chains */
	while ((c = cname_at(z, key)) != NULL && ans->cnames < ZONE_CNAME_MAX) {
		snprintf(key, sizeof key, "%s", c->text);
		snprintf(ans->target, sizeof ans->target, "%s", c->text);
		ans->cnames++;
	}
	collect_txt(z, key, ans);
	if (ans->status == KEYANS_NXDOMAIN)
		keyans_fail(ans, KEYANS_NXDOMAIN, "%.120s%s%.60s is not in the key files", ans->cnames ? ans->name : key,
			    ans->cnames ? ": its CNAME target " : "", ans->cnames ? key : "");
	else if (ans->status == KEYANS_NODATA)
		keyans_fail(ans, KEYANS_NODATA, "%.150s has no TXT record in the key files", key);
}

static int show(const struct zone_rec *r, zone_record_fn fn, void *ctx)
{
	struct zone_record view = { .name = r->name, .type = r->type, .rrtype = r->rrtype, .ttl = r->ttl,
				    .text = r->text, .len = r->len, .nstrings = r->nstrings, .lens = r->lens,
				    .origin = r->origin };
	return fn(ctx, &view);
}

int zone_foreach(const struct zone *z, zone_record_fn fn, void *ctx)
{
	for (size_t i = 0; i < z->n; i++) {
		int rc = show(&z->recs[i], fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int zone_find(const struct zone *z, const char *name, zone_record_fn fn, void *ctx)
{
	char key[KEYANS_NAME_MAX];
	if (keyans_name_key(name, key) < 0)
		return 0;
	for (size_t i = lower_bound(z, key); i < z->n && strcmp(z->recs[i].name, key) == 0; i++) {
		int rc = show(&z->recs[i], fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---------- the zone as a key source ---------- */

struct zone_src {
	struct zone *z;        /* ours */
	char label[200];       /* the files, for answers' server field */
};

/* Synchronous and read-only: several threads may ask at once. */
static void zsrc_request(void *impl, const char *name, void *user, keysrc_done_fn done, void *cbctx)
{
	const struct zone_src *zs = impl;
	struct keyans *a = keyans_new(name, KEYANS_SRC_KEYS);
	if (a) {
		zone_answer(zs->z, name, a);
		snprintf(a->server, sizeof a->server, "%.79s", zs->label);
	}
	done(cbctx, user, a);
}

static size_t zsrc_poll(void *impl, int timeout_ms, int wake_fd, keysrc_done_fn done, void *cbctx)
{
	(void)impl, (void)timeout_ms, (void)wake_fd, (void)done, (void)cbctx;
	return 0; /* nothing is ever left open */
}

static void zsrc_destroy(void *impl)
{
	struct zone_src *zs = impl;
	zone_free(zs->z);
	free(zs);
}

static const struct keysrc_ops zone_ops = {
	.async = 0, .request = zsrc_request, .poll = zsrc_poll, .counters = NULL, .destroy = zsrc_destroy,
};

struct keysrc *zone_source_new(struct zone *z, const char *label)
{
	struct zone_src *zs = calloc(1, sizeof *zs);
	if (!zs) {
		zone_free(z);
		return NULL;
	}
	zs->z = z;
	snprintf(zs->label, sizeof zs->label, "%s", label ? label : "");
	return keysrc_new(&zone_ops, zs);
}
