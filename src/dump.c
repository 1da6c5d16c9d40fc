/* dump: canonical bytes per signature, written beside each other for diffing. */
#include "dump.h"

#include <errno.h>
#include <fcntl.h>
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

/* The files dump_end may write for this message: each signature's .header and .body. */
static int each_target(const struct dump *d, const struct run_result *r,
		       int (*fn)(const struct dump *d, const char *path, char *err, size_t errlen), char *err, size_t errlen)
{
	char path[1024];
	static const char *const parts[] = { "header", "body" };
	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < r->ndkim; i++) {
			snprintf(path, sizeof path, "%s/%s.dkim%zu.%s", d->dir, d->base, i + 1, parts[p]);
			if (fn(d, path, err, errlen) < 0)
				return -1;
		}
		for (unsigned i = 1; i <= r->arc.n; i++) {
			snprintf(path, sizeof path, "%s/%s.ams%u.%s", d->dir, d->base, i, parts[p]);
			if (fn(d, path, err, errlen) < 0)
				return -1;
			snprintf(path, sizeof path, "%s/%s.as%u.%s", d->dir, d->base, i, parts[p]);
			if (p == 0 && fn(d, path, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

static int refuse_existing(const struct dump *d, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (d->force || lstat(path, &st) != 0)
		return 0;
	snprintf(err, errlen, "%s exists: --dump-canon does not overwrite (--force replaces it)", path);
	return -1;
}

/* A capture file of our own: a stale one (a crashed run) is removed, and nothing is followed. */
static FILE *open_capture(const char *path)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

int dump_begin(struct dump *d, const char *dir, const char *stem, struct run_result *r, int force, char *err,
	       size_t errlen)
{
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	snprintf(d->base, sizeof d->base, "%s", stem);
	d->force = force;
	if (make_dir(dir, err, errlen) < 0 || each_target(d, r, refuse_existing, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < r->reg.n; i++) {
		snprintf(d->tmp[i], sizeof d->tmp[i], "%.500s/.%.250s.bodyhash%zu.tmp", d->dir, d->base, i);
		d->body[i] = open_capture(d->tmp[i]);
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

/* Give a body capture the signature's name: a hard link, or a copy where links are not allowed.
 * Without force an existing name is an error; with it, it is replaced (never written through). */
static int name_body(const char *from, const char *to, int force, char *err, size_t errlen)
{
	if (force)
		unlink(to);
	if (link(from, to) == 0)
		return 0;
	if (errno == EEXIST) {
		snprintf(err, errlen, "%s exists: --dump-canon does not overwrite (--force replaces it)", to);
		return -1;
	}
	struct buf copy;
	buf_init(&copy, (size_t)1 << 30);
	FILE *in = fopen(from, "rb");
	char chunk[65536];
	size_t got;
	int rc = in ? 0 : -1;
	while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
		rc = buf_append(&copy, chunk, got);
	if (in)
		fclose(in);
	if (rc == 0)
		rc = buf_write_new_file(to, copy.data ? copy.data : "", copy.len, force, err, errlen);
	else
		snprintf(err, errlen, "%s: %s", from, strerror(errno ? errno : ENOMEM));
	buf_free(&copy);
	return rc;
}

static int dump_sig(struct dump *d, const struct run_result *r, const struct dkim_sig *s, const char *kind,
		    unsigned idx, char *err, size_t errlen)
{
	char path[1024];
	if (s->hdata.len) {
		snprintf(path, sizeof path, "%s/%s.%s%u.header", d->dir, d->base, kind, idx);
		if (buf_write_new_file(path, s->hdata.data, s->hdata.len, d->force, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; s->body && i < d->nbody; i++) {
		if (r->reg.items[i] != s->body)
			continue;
		snprintf(path, sizeof path, "%s/%s.%s%u.body", d->dir, d->base, kind, idx);
		return name_body(d->tmp[i], path, d->force, err, errlen);
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
