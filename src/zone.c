/*
 * zone: offline TXT records from zone-file text (RFC 1035 §5.1 master-file
 * syntax, the subset key records need). Tokens: quoted character-strings with
 * \" \\ \DDD escapes, bare words, `;` comments, `(` `)` joining lines.
 * A/AAAA records are kept only so their names exist (see zone.h).
 */
#include "zone.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define ZONE_FILE_MAX (64u << 20)  /* a key file larger than 64 MiB is not a key file */
#define ZONE_TOKENS_MAX 512

struct zone_rec {
	char name[LOOKUP_NAME_MAX];   /* lower case, no trailing dot */
	enum zone_type type;
	char *text;                    /* joined strings */
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
	int sorted;
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
	char origin[LOOKUP_NAME_MAX];
	char last_owner[LOOKUP_NAME_MAX];
	char pending_when[40];  /* from a "; valid: DATE" comment, applies to the next record */
	char *err;
	size_t errlen;
};

static int zp_error(struct zone_parser *zp, const char *why)
{
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

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !strchr("smhdwSMHDW", *s))
			return 0;
	return 1;
}

/* Owner name: absolute with a trailing dot, relative to $ORIGIN otherwise, @ = origin. */
static int zp_owner(struct zone_parser *zp, const char *word, char *out, size_t outlen)
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
	if (written < 0 || (size_t)written >= outlen)
		return zp_error(zp, "owner name too long");
	/* RFC 1035 §2.3.1: labels are not empty; "a..b" or "a.." would be stored where no lookup finds it */
	if (out[0] == '.' || strstr(out, "..") || (out[0] && out[strlen(out) - 1] == '.'))
		return zp_error(zp, "owner name has an empty label");
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
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

static int zone_add(struct zone *z, const struct zone_parser *zp, const char *owner,
		    enum zone_type type, struct zone_token *toks, int first, int n)
{
	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 32;
		struct zone_rec *r = realloc(z->recs, cap * sizeof *r);
		if (!r)
			return -1;
		z->recs = r;
		z->cap = cap;
	}
	struct buf joined;
	int failed;
	buf_init(&joined, LOOKUP_RECORD_MAX);
	for (int i = first; i < n; i++)
		if (buf_append(&joined, toks[i].text.data ? toks[i].text.data : "", toks[i].text.len) < 0) {
			buf_free(&joined);
			return -1;
		}
	size_t *lens = token_lengths(toks, first, n, &failed);
	if (failed) {
		buf_free(&joined);
		return -1;
	}
	struct zone_rec *r = &z->recs[z->n];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", owner);
	r->type = type;
	r->lens = lens;
	r->len = joined.len;
	r->text = buf_steal(&joined);
	r->nstrings = (unsigned)(n - first);
	snprintf(r->when, sizeof r->when, "%s", zp->pending_when);
	snprintf(r->origin, sizeof r->origin, "%s:%u", zp->label, zp->rec_line);
	r->seq = z->n;
	z->n++;
	z->ntxt += type == ZONE_TXT;
	z->sorted = 0;
	return 0;
}

static int zp_directive(struct zone_parser *zp, struct zone_token *toks, int n)
{
	if (strcasecmp(toks[0].text.data, "$ORIGIN") == 0) {
		if (n < 2)
			return zp_error(zp, "$ORIGIN without a name");
		/* RFC 1035 §5.1: a relative $ORIGIN is relative to the current origin */
		char next[LOOKUP_NAME_MAX];
		if (zp_owner(zp, toks[1].text.data, next, sizeof next) < 0)
			return -1;
		snprintf(zp->origin, sizeof zp->origin, "%s", next);
		return 0;
	}
	if (strcasecmp(toks[0].text.data, "$TTL") == 0)
		return 0;
	return zp_error(zp, "unsupported directive");
}

/* 1 with *type set for the types the zone keeps, 0 for the others. */
static int zone_type_of(const char *word, enum zone_type *type)
{
	static const struct {
		const char *word;
		enum zone_type type;
	} kept[] = { { "TXT", ZONE_TXT }, { "A", ZONE_A }, { "AAAA", ZONE_AAAA } };
	for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
		if (strcasecmp(word, kept[k].word) == 0) {
			*type = kept[k].type;
			return 1;
		}
	return 0;
}

static int zp_check_txt(const struct zone *z, struct zone_parser *zp, const struct zone_token *toks,
			int first, int n)
{
	if (first >= n)
		return zp_error(zp, "TXT record without strings");
	for (int k = first; k < n && !z->long_strings; k++)
		if (toks[k].text.len > 255 && toks[k].quoted)
			return zp_error(zp, "TXT character-string longer than 255 octets");
	return 0;
}

/* name [ttl] [class] type rdata..., with ttl and class in either order. */
static int zp_record(struct zone *z, struct zone_parser *zp, struct zone_token *toks, int n,
		     int owner_blank)
{
	int i = 0;
	char owner[LOOKUP_NAME_MAX];
	if (owner_blank) {
		if (!zp->last_owner[0])
			return zp_error(zp, "record without an owner name");
		snprintf(owner, sizeof owner, "%s", zp->last_owner);
	} else {
		if (toks[0].quoted)
			return zp_error(zp, "owner name is a quoted string");
		if (zp_owner(zp, toks[0].text.data, owner, sizeof owner) < 0)
			return -1;
		i = 1;
	}
	snprintf(zp->last_owner, sizeof zp->last_owner, "%s", owner);
	for (int k = 0; k < 2 && i < n && !toks[i].quoted; k++) {
		const char *w = toks[i].text.data;
		if (is_number(w) || strcasecmp(w, "IN") == 0 || strcasecmp(w, "CH") == 0)
			i++;
	}
	if (i >= n)
		return zp_error(zp, "record without a type");
	enum zone_type type;
	int kept = zone_type_of(toks[i].text.data, &type);
	i++;
	if (!kept) {
		zp->pending_when[0] = '\0';
		return 0; /* other record types carry no keys and do not make a name exist here */
	}
	if (type == ZONE_TXT && zp_check_txt(z, zp, toks, i, n) < 0)
		return -1;
	if (zone_add(z, zp, owner, type, toks, i, n) < 0)
		return zp_error(zp, "record too large or out of memory");
	zp->pending_when[0] = '\0';
	return 0;
}

int zone_parse(struct zone *z, const char *text, size_t len, const char *origin_label,
	       char *err, size_t errlen)
{
	struct zone_parser zp = { .p = text, .end = text + len, .label = origin_label,
				  .line = 1, .rec_line = 1, .err = err, .errlen = errlen };
	struct zone_token *toks = calloc(ZONE_TOKENS_MAX, sizeof *toks);
	if (!toks) {
		snprintf(err, errlen, "%s: out of memory", origin_label);
		return -1;
	}
	for (int i = 0; i < ZONE_TOKENS_MAX; i++)
		buf_init(&toks[i].text, LOOKUP_RECORD_MAX);
	int rc = 0;
	for (;;) {
		int owner_blank;
		int n = zp_read_record(&zp, toks, &owner_blank);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (int i = 0; i < n; i++)
			if (!toks[i].text.data)
				buf_append(&toks[i].text, "", 0);
		if (!owner_blank && !toks[0].quoted && toks[0].text.data[0] == '$')
			rc = zp_directive(&zp, toks, n);
		else
			rc = zp_record(z, &zp, toks, n, owner_blank);
		if (rc < 0)
			break;
	}
	for (int i = 0; i < ZONE_TOKENS_MAX; i++)
		buf_free(&toks[i].text);
	free(toks);
	return rc < 0 ? -1 : 0;
}

int zone_load_file(struct zone *z, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct buf data;
	buf_init(&data, ZONE_FILE_MAX);
	char chunk[65536];
	size_t got;
	int rc = 0;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(&data, chunk, got) < 0) {
			snprintf(err, errlen, "%s: larger than %u bytes", path, ZONE_FILE_MAX);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	fclose(f);
	if (rc == 0)
		rc = zone_parse(z, data.data ? data.data : "", data.len, path, err, errlen);
	buf_free(&data);
	return rc;
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
	/* n > 1: an empty zone has recs == NULL, which qsort must not be given */
	if (!z->sorted && z->n > 1) {
		qsort(z->recs, z->n, sizeof *z->recs, rec_cmp);
		z->sorted = 1;
	}
}

void zone_answer(const struct zone *zc, const char *name, struct lookup_answer *ans)
{
	struct zone *z = (struct zone *)zc; /* sorting is a cache; the set of records is unchanged */
	char key[LOOKUP_NAME_MAX];
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	if (n >= sizeof key)
		n = sizeof key - 1;
	for (size_t i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[n] = '\0';
	zone_sort(z);
	/* lower bound by binary search, then walk the run of equal names */
	size_t lo = 0, hi = z->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(z->recs[mid].name, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	ans->source = LOOKUP_SRC_KEYS;
	ans->rcode = -1;
	ans->status = LOOKUP_NXDOMAIN;
	for (size_t i = lo; i < z->n && strcmp(z->recs[i].name, key) == 0; i++) {
		const struct zone_rec *r = &z->recs[i];
		if (r->type != ZONE_TXT) {
			/* the name exists: no TXT record so far is NODATA, not NXDOMAIN */
			if (ans->status == LOOKUP_NXDOMAIN)
				ans->status = LOOKUP_NODATA;
			continue;
		}
		if (lookup_answer_add(ans, r->text, r->len, r->nstrings) == 0) {
			struct lookup_txt *t = &ans->records[ans->nrecords - 1];
			snprintf(t->when, sizeof t->when, "%s", r->when);
			snprintf(t->origin, sizeof t->origin, "%s", r->origin);
		}
		ans->status = LOOKUP_OK;
	}
	if (ans->status == LOOKUP_OK && ans->nrecords == 0) {
		/* every record was dropped (out of memory): an answer with no record must not look like one */
		ans->status = LOOKUP_ERROR;
		snprintf(ans->detail, sizeof ans->detail, "out of memory copying the records of %.150s", key);
	}
	if (ans->status == LOOKUP_NXDOMAIN)
		snprintf(ans->detail, sizeof ans->detail, "%.150s is not in the key files", key);
	else if (ans->status == LOOKUP_NODATA)
		snprintf(ans->detail, sizeof ans->detail, "%.150s has no TXT record in the key files", key);
}

int zone_foreach(const struct zone *zc, zone_record_fn fn, void *ctx)
{
	struct zone *z = (struct zone *)zc; /* sorting is a cache, as in zone_answer */
	zone_sort(z);
	for (size_t i = 0; i < z->n; i++) {
		const struct zone_rec *r = &z->recs[i];
		struct zone_record view = { .name = r->name, .type = r->type, .text = r->text, .len = r->len,
					    .nstrings = r->nstrings, .lens = r->lens, .origin = r->origin };
		int rc = fn(ctx, &view);
		if (rc)
			return rc;
	}
	return 0;
}
