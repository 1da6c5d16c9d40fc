/* hdrdiff: header fields of two copies aligned by name, counted from the bottom (see include/hdrdiff.h). */
#include "hdrdiff.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct field_key {
	struct slice name;             /* empty for malformed lines: they form one group */
	size_t index;
};

static int name_cmp(struct slice a, struct slice b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? strncasecmp(a.ptr, b.ptr, n) : 0;
	if (c)
		return c;
	return a.len < b.len ? -1 : a.len > b.len;
}

/* By name, then bottom-most first: hops prepend, so counting from the bottom pairs the same fields. */
static int field_key_cmp(const void *pa, const void *pb)
{
	const struct field_key *a = pa, *b = pb;
	int c = name_cmp(a->name, b->name);
	if (c)
		return c;
	return a->index < b->index ? 1 : a->index > b->index ? -1 : 0;
}

static struct field_key *sorted_field_keys(const struct msg *m)
{
	struct field_key *k = malloc((m->nfields ? m->nfields : 1) * sizeof *k);
	if (!k)
		return NULL;
	for (size_t i = 0; i < m->nfields; i++) {
		k[i].name = m->fields[i].malformed ? slice_make(m->fields[i].raw.ptr, 0) : m->fields[i].name;
		k[i].index = i;
	}
	qsort(k, m->nfields, sizeof *k, field_key_cmp);
	return k;
}

int hdrdiff_canon_equal(enum canon_alg alg, struct slice a, struct slice b)
{
	struct buf ca, cb;
	buf_init(&ca, MSG_HEADER_MAX);
	buf_init(&cb, MSG_HEADER_MAX);
	int eq = canon_header(alg, a, &ca) == 0 && canon_header(alg, b, &cb) == 0 && ca.len == cb.len &&
		 (ca.len == 0 || memcmp(ca.data, cb.data, ca.len) == 0);
	buf_free(&ca);
	buf_free(&cb);
	return eq;
}

int hdrdiff_same_bytes(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

enum hdrdiff_change hdrdiff_compare(struct slice a, struct slice b)
{
	if (hdrdiff_same_bytes(a, b))
		return HDRDIFF_SAME;
	return hdrdiff_canon_equal(CANON_RELAXED, a, b) ? HDRDIFF_WHITESPACE : HDRDIFF_CONTENT;
}

/* Pair the k-th-from-bottom field of each name in one copy with the same in the other. */
static void pair_name_groups(const struct field_key *ks, size_t ns, const struct field_key *kr, size_t nr,
			     struct header_diff *d)
{
	size_t i = 0, j = 0;
	while (i < ns || j < nr) {
		struct slice name = i == ns ? kr[j].name
				    : j == nr ? ks[i].name
				    : name_cmp(ks[i].name, kr[j].name) <= 0 ? ks[i].name : kr[j].name;
		size_t gi = i, gj = j;
		while (gi < ns && name_cmp(ks[gi].name, name) == 0)
			gi++;
		while (gj < nr && name_cmp(kr[gj].name, name) == 0)
			gj++;
		for (size_t k = 0; i + k < gi || j + k < gj; k++) {
			long si = i + k < gi ? (long)ks[i + k].index : -1;
			long rj = j + k < gj ? (long)kr[j + k].index : -1;
			if (si >= 0)
				d->sent_partner[si] = rj;
			if (rj >= 0) {
				d->recv_partner[rj] = si;
				d->recv_from_bottom[rj] = k + 1;
			}
		}
		i = gi;
		j = gj;
	}
}

static void count_field_changes(const struct msg *ms, const struct msg *mr, struct header_diff *d)
{
	for (size_t i = 0; i < ms->nfields; i++)
		d->removed += d->sent_partner[i] < 0;
	for (size_t j = 0; j < mr->nfields; j++) {
		long i = d->recv_partner[j];
		if (i < 0) {
			d->added++;
			continue;
		}
		enum hdrdiff_change fc = hdrdiff_compare(ms->fields[i].raw, mr->fields[j].raw);
		d->changed += fc != HDRDIFF_SAME;
		d->whitespace_only += fc == HDRDIFF_WHITESPACE;
	}
}

int hdrdiff_align(const struct msg *ms, const struct msg *mr, struct header_diff *d)
{
	memset(d, 0, sizeof *d);
	d->sent_partner = calloc(ms->nfields ? ms->nfields : 1, sizeof *d->sent_partner);
	d->recv_partner = calloc(mr->nfields ? mr->nfields : 1, sizeof *d->recv_partner);
	d->recv_from_bottom = calloc(mr->nfields ? mr->nfields : 1, sizeof *d->recv_from_bottom);
	struct field_key *ks = sorted_field_keys(ms), *kr = sorted_field_keys(mr);
	int ok = d->sent_partner && d->recv_partner && d->recv_from_bottom && ks && kr;
	if (ok) {
		pair_name_groups(ks, ms->nfields, kr, mr->nfields, d);
		count_field_changes(ms, mr, d);
	}
	free(ks);
	free(kr);
	return ok ? 0 : -1;
}

void hdrdiff_free(struct header_diff *d)
{
	free(d->sent_partner);
	free(d->recv_partner);
	free(d->recv_from_bottom);
	memset(d, 0, sizeof *d);
}

const char *hdrdiff_role(const struct msg_field *f)
{
	static const char *const trace[] = { "Received", "Return-Path", "Delivered-To", "X-Received",
					     "X-Original-To", "Received-SPF" };
	if (f->malformed)
		return "other";
	for (size_t i = 0; i < sizeof trace / sizeof trace[0]; i++)
		if (slice_caseeq_str(f->name, trace[i]))
			return "trace";
	if (slice_caseeq_str(f->name, "Authentication-Results"))
		return "authentication-results";
	if (slice_caseeq_str(f->name, "DKIM-Signature"))
		return "dkim-signature";
	if (f->name.len > 4 && strncasecmp(f->name.ptr, "ARC-", 4) == 0)
		return "arc";
	if (f->name.len > 5 && strncasecmp(f->name.ptr, "List-", 5) == 0)
		return "list";
	if (f->name.len > 7 && strncasecmp(f->name.ptr, "Resent-", 7) == 0)
		return "resent";
	return "other";
}
