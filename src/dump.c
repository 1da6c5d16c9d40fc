/* dump: canonical bytes per signature, written beside each other for diffing. */
#include "dump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void dump_stem(const char *path, size_t seq, int numbered, char *out, size_t outlen)
{
	const char *base = strcmp(path, "-") == 0 ? "stdin" : path;
	const char *slash = strrchr(base, '/');
	if (slash && slash[1])
		base = slash + 1;
	char clean[200];
	size_t n = 0;
	for (; *base && n + 1 < sizeof clean; base++) {
		char c = *base;
		int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '-' || c == '_';
		clean[n++] = safe ? c : '_';
	}
	clean[n] = '\0';
	if (numbered)
		snprintf(out, outlen, "%03zu-%s", seq, clean);
	else
		snprintf(out, outlen, "%s", clean);
}

static void dump_tap(void *ctx, const char *data, size_t len)
{
	fwrite(data, 1, len, (FILE *)ctx);
}

static int make_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	return -1;
}

int dump_begin(struct dump *d, const char *dir, const char *stem, struct run_result *r, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	snprintf(d->base, sizeof d->base, "%s", stem);
	if (make_dir(dir, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < r->reg.n; i++) {
		snprintf(d->tmp[i], sizeof d->tmp[i], "%.500s/.%.250s.bodyhash%zu.tmp", d->dir, d->base, i);
		d->body[i] = fopen(d->tmp[i], "wb");
		if (!d->body[i]) {
			snprintf(err, errlen, "%s: %s", d->tmp[i], strerror(errno));
			return -1;
		}
		r->reg.items[i]->tap.fn = dump_tap;
		r->reg.items[i]->tap.ctx = d->body[i];
		d->nbody = i + 1;
	}
	return 0;
}

/* Give a body capture the signature's name: a hard link, or a copy where links are not allowed. */
static int name_body(const char *from, const char *to, char *err, size_t errlen)
{
	unlink(to);
	if (link(from, to) == 0)
		return 0;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	int rc = in && out ? 0 : -1;
	char chunk[65536];
	size_t got;
	while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
		if (fwrite(chunk, 1, got, out) != got)
			rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", to, strerror(errno));
	return rc;
}

static int dump_sig(struct dump *d, const struct run_result *r, const struct dkim_sig *s, const char *kind,
		    unsigned idx, char *err, size_t errlen)
{
	char path[1024];
	if (s->hdata.len) {
		snprintf(path, sizeof path, "%s/%s.%s%u.header", d->dir, d->base, kind, idx);
		if (buf_write_file(path, s->hdata.data, s->hdata.len, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; s->body && i < d->nbody; i++) {
		if (r->reg.items[i] != s->body)
			continue;
		snprintf(path, sizeof path, "%s/%s.%s%u.body", d->dir, d->base, kind, idx);
		return name_body(d->tmp[i], path, err, errlen);
	}
	return 0;
}

int dump_end(struct dump *d, const struct run_result *r, char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < d->nbody; i++) {
		if (d->body[i] && fclose(d->body[i]) != 0)
			rc = -1;
		d->body[i] = NULL;
		r->reg.items[i]->tap.fn = NULL;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: write error", d->dir);
	for (size_t i = 0; rc == 0 && i < r->ndkim; i++)
		rc = dump_sig(d, r, &r->dkim[i], "dkim", (unsigned)i + 1, err, errlen);
	for (unsigned i = 1; rc == 0 && i <= r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i - 1];
		if (set->has_ams)
			rc = dump_sig(d, r, &set->ams, "ams", i, err, errlen);
		if (rc == 0 && set->has_as)
			rc = dump_sig(d, r, &set->as, "as", i, err, errlen);
	}
	for (size_t i = 0; i < d->nbody; i++)
		unlink(d->tmp[i]);
	return rc;
}
