/*
 * input: command-line names to an ordered list of messages (see include/input.h).
 * Directory entries are sorted by name so that a run's order, and so its
 * output, is the same on every machine. mbox splitting follows mbox(5): a
 * message starts at a "From " line at the start of the file or after an empty
 * line, and the empty line before the next "From " belongs to the mbox.
 */
#define _GNU_SOURCE   /* fopencookie: an mbox slice read through a stream without copying it */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

#define SCAN_CHUNK (1u << 20)

void input_list_init(struct input_list *l)
{
	memset(l, 0, sizeof *l);
}

void input_list_free(struct input_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].path);
		free(l->items[i].error);
	}
	for (size_t i = 0; i < l->nspools; i++)
		close(l->spools[i]);
	free(l->items);
	free(l->spools);
	memset(l, 0, sizeof *l);
}

const char *input_mbox_format_name(enum input_mbox_format f)
{
	return f == INPUT_MBOXO ? "mboxo" : f == INPUT_MBOXCL ? "mboxcl" : "mboxrd";
}

int input_mbox_format_parse(const char *s, enum input_mbox_format *out)
{
	static const enum input_mbox_format all[] = { INPUT_MBOXRD, INPUT_MBOXO, INPUT_MBOXCL };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(s, input_mbox_format_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

/* ---- the list ---- */

static struct input_item *new_item(struct input_list *l, const char *name)
{
	if (l->n >= INPUT_NAMES_MAX)
		return NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct input_item *v = realloc(l->items, cap * sizeof *v);
		if (!v)
			return NULL;
		l->items = v;
		l->cap = cap;
	}
	struct input_item *it = &l->items[l->n];
	memset(it, 0, sizeof *it);
	it->spool = -1;
	it->name = strdup(name);
	if (!it->name)
		return NULL;
	l->n++;
	return it;
}

static int add_error(struct input_list *l, const char *name, int not_message, const char *why)
{
	struct input_item *it = new_item(l, name);
	if (!it || !(it->error = strdup(why)))
		return -1;
	it->not_message = not_message;
	return 0;
}

static int add_file(struct input_list *l, const char *name, const char *path, int spool)
{
	struct input_item *it = new_item(l, name);
	if (!it)
		return -1;
	it->spool = spool;
	if (path && !(it->path = strdup(path)))
		return -1;
	struct stat st;
	if (spool >= 0 && fstat(l->spools[spool], &st) == 0)
		it->length = (uint64_t)st.st_size;   /* a spool is read as a slice: no shared file offset */
	return 0;
}

static int add_slice(struct input_list *l, const char *path, int spool, uint64_t off, uint64_t len)
{
	char name[INPUT_NAME_MAX + 32];
	snprintf(name, sizeof name, "%s:%llu", path ? path : "-", (unsigned long long)off);
	if (add_file(l, name, path, spool) < 0)
		return -1;
	struct input_item *it = &l->items[l->n - 1];
	it->mbox = 1;
	it->offset = off;
	it->length = len;
	return 0;
}

/* ---- spools: streams that can be read only once ---- */

static int spool_fd(const struct input_opts *o)
{
	char path[INPUT_NAME_MAX];
	snprintf(path, sizeof path, "%s/arcverify-spool-XXXXXX", o->tmpdir && *o->tmpdir ? o->tmpdir : "/tmp");
	int fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);   /* gone with the descriptor: nothing is left behind */
	return fd;
}

static int copy_fd(int from, int to)
{
	char *chunk = malloc(65536);
	ssize_t got = 0;
	while (chunk && (got = read(from, chunk, 65536)) > 0) {
		for (ssize_t done = 0; done < got;) {
			ssize_t w = write(to, chunk + done, (size_t)(got - done));
			if (w < 0) {
				free(chunk);
				return -1;
			}
			done += w;
		}
	}
	free(chunk);
	return chunk && got == 0 ? 0 : -1;
}

/* Room for one more spool and its descriptor (an unlinked file in tmpdir); -1 with errno. */
static int new_spool_fd(struct input_list *l, const struct input_opts *o)
{
	int *v = realloc(l->spools, (l->nspools + 1) * sizeof *v);
	if (!v)
		return -1;
	l->spools = v;
	return spool_fd(o);
}

/* Copy a stream into a new spool; returns its index, -1 with errno. */
static int make_spool(struct input_list *l, int from, const struct input_opts *o)
{
	int fd = new_spool_fd(l, o);
	if (fd < 0)
		return -1;
	if (copy_fd(from, fd) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	l->spools[l->nspools] = fd;
	return (int)l->nspools++;
}

/* ---- mbox detection and splitting ---- */

/* Read up to n bytes at off from fd. */
static ssize_t read_at(int fd, char *dst, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t got = pread(fd, dst + done, n - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	return (ssize_t)done;
}

struct mbox_scan {
	uint64_t *starts;      /* offsets of the "From " lines */
	size_t n, cap;
	uint64_t size;         /* bytes in the file */
};

static int scan_push(struct mbox_scan *s, uint64_t off)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		uint64_t *v = realloc(s->starts, cap * sizeof *v);
		if (!v)
			return -1;
		s->starts = v;
		s->cap = cap;
	}
	s->starts[s->n++] = off;
	return 0;
}

/*
 * An envelope line (mbox(5)): "From ", a sender without spaces, then a date,
 * which has a time of day (HH:MM). A body line such as "From the desk of..."
 * that a writer failed to quote has no time in it.
 */
static int envelope_line(const char *p, size_t avail)
{
	const char *end = memchr(p, '\n', avail);
	size_t len = end ? (size_t)(end - p) : avail;
	if (len < 7 || len > 1000)
		return 0;
	size_t i = 5;
	while (i < len && p[i] != ' ' && p[i] != '\t')
		i++;
	if (i == 5)
		return 0;
	for (; i + 4 < len; i++)
		if (p[i] >= '0' && p[i] <= '9' && p[i + 1] >= '0' && p[i + 1] <= '9' && p[i + 2] == ':' &&
		    p[i + 3] >= '0' && p[i + 3] <= '9' && p[i + 4] >= '0' && p[i + 4] <= '9')
			return 1;
	return 0;
}

/*
 * Every envelope line that begins a line after an empty line (LF or CRLF ends)
 * opens a message; the first one is at offset 0. Chunks overlap so that a
 * separator and its envelope line split across two reads are still seen.
 */
static int scan_mbox(int fd, struct mbox_scan *s)
{
	static const size_t keep = 1100;   /* an envelope line is checked whole (at most 1000 bytes) */
	char *buf = malloc(SCAN_CHUNK + keep);
	if (!buf || scan_push(s, 0) < 0) {
		free(buf);
		return -1;
	}
	uint64_t base = 0;    /* file offset of buf[0] */
	size_t have = 0;
	for (;;) {
		ssize_t got = read_at(fd, buf + have, SCAN_CHUNK, base + have);
		if (got < 0) {
			free(buf);
			return -1;
		}
		size_t len = have + (size_t)got;
		/* near the end of a chunk, the envelope line may continue in the next one: leave it to that one */
		size_t scan_end = got == 0 ? len : len - (len < keep ? len : keep) + 8;
		for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), "\nFrom ", 6)) != NULL; p++) {
			size_t at = (size_t)(p - buf);
			if (at >= scan_end)
				break;
			int blank = (at >= 1 && buf[at - 1] == '\n') || (at >= 2 && buf[at - 1] == '\r' && buf[at - 2] == '\n');
			if (blank && base + at + 1 > s->starts[s->n - 1] && envelope_line(p + 1, len - at - 1) &&
			    scan_push(s, base + at + 1) < 0) {
				free(buf);
				return -1;
			}
		}
		if (got == 0) {
			s->size = base + len;
			break;
		}
		size_t tail = len < keep ? len : keep;
		memmove(buf, buf + len - tail, tail);
		base += len - tail;
		have = tail;
	}
	free(buf);
	return 0;
}

/* Bytes of the empty line that separates the message ending at end from the next "From " line. */
static uint64_t separator_len(int fd, uint64_t start, uint64_t end)
{
	char tail[4];
	uint64_t n = end - start < 4 ? end - start : 4;
	if (n == 0 || read_at(fd, tail, n, end - n) != (ssize_t)n)
		return 0;
	if (n >= 4 && memcmp(tail, "\r\n\r\n", 4) == 0)
		return 2;
	if (n >= 2 && tail[n - 1] == '\n' && tail[n - 2] == '\n')
		return 1;
	return 0;
}

static int starts_with_from(int fd)
{
	char head[1024];
	ssize_t n = read_at(fd, head, sizeof head, 0);
	return n >= 5 && memcmp(head, "From ", 5) == 0 && envelope_line(head, (size_t)n);
}

/* Split the file behind fd into messages, or add it whole when it is one message and mode allows. */
static int add_maybe_mbox(struct input_list *l, const char *name, const char *path, int spool, int fd,
			  enum input_mbox_mode mode)
{
	if (!starts_with_from(fd)) {
		if (mode == INPUT_MBOX_ALWAYS)
			return add_error(l, name, 1, "not an mbox: the file does not start with a \"From \" line");
		return add_file(l, name, path, spool);
	}
	struct mbox_scan s = { 0 };
	if (scan_mbox(fd, &s) < 0) {
		free(s.starts);
		return add_error(l, name, 0, strerror(errno));
	}
	int rc = 0;
	if (s.n == 1 && mode != INPUT_MBOX_ALWAYS) {
		rc = add_file(l, name, path, spool);
	} else {
		l->mboxes++;
		for (size_t i = 0; i < s.n && rc == 0; i++) {
			uint64_t end = i + 1 < s.n ? s.starts[i + 1] : s.size;
			uint64_t len = end - s.starts[i] - separator_len(fd, s.starts[i], end);
			rc = add_slice(l, path, spool, s.starts[i], len);
		}
	}
	free(s.starts);
	return rc;
}

/* ---- files and directories ---- */

static int add_regular(struct input_list *l, const char *name, const char *path, enum input_mbox_mode mode)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return add_error(l, name, 0, strerror(errno));
	int rc = add_maybe_mbox(l, name, path, -1, fd, mode);
	close(fd);
	return rc;
}

/* A pipe, <(...), a terminal or a device: read it once into a spool. */
static int add_stream(struct input_list *l, const char *name, int fd, enum input_mbox_mode mode,
		      const struct input_opts *o)
{
	int sp = make_spool(l, fd, o);
	if (sp < 0 && fd == STDIN_FILENO && errno == EBADF)
		return add_error(l, name, 0, "standard input is closed");
	if (sp < 0) {
		char why[INPUT_NAME_MAX + 64];
		snprintf(why, sizeof why, "cannot spool it in %s: %s", o->tmpdir && *o->tmpdir ? o->tmpdir : "/tmp",
			 errno ? strerror(errno) : "failed");
		return add_error(l, name, 0, why);
	}
	return add_maybe_mbox(l, name, NULL, sp, l->spools[sp], mode);
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_maildir(const char *dir)
{
	char sub[INPUT_NAME_MAX];
	snprintf(sub, sizeof sub, "%s/cur", dir);
	if (!is_dir(sub))
		return 0;
	snprintf(sub, sizeof sub, "%s/new", dir);
	return is_dir(sub);
}

/* A directory entry: its name and, where the file system says (d_type), its type; DT_UNKNOWN otherwise. */
struct dir_entry {
	char *name;
	unsigned char type;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

static void free_entries(struct dir_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The entries of dir that do not start with '.', sorted. NULL with errno on failure. */
static struct dir_entry *list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dir_entry *v = NULL;
	size_t cap = 0;
	*n = 0;
	if (!d)
		return NULL;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;   /* dotfiles, ".", ".." (Maildir++ folders are reached by -r only) */
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct dir_entry *w = realloc(v, cap * sizeof *w);
			if (!w)
				break;
			v = w;
		}
		if (!(v[*n].name = strdup(e->d_name)))
			break;
		v[(*n)++].type = e->d_type;
	}
	closedir(d);
	if (!v)
		v = calloc(1, sizeof *v);
	if (v)
		qsort(v, *n, sizeof *v, entry_cmp);
	return v;
}

static int join(char *out, size_t len, const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	int w = snprintf(out, len, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

/* The regular files directly in dir (cur/ or new/ of a Maildir), in name order. */
static int add_dir_files(struct input_list *l, const char *dir)
{
	size_t n;
	struct dir_entry *v = list_dir(dir, &n);
	if (!v)
		return add_error(l, dir, 0, strerror(errno));
	int rc = 0;
	char path[INPUT_NAME_MAX];
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;   /* a stat only where d_type leaves it open (a symlink, or a file system without it) */
		if (join(path, sizeof path, dir, v[i].name) < 0)
			rc = add_error(l, v[i].name, 0, "path too long");
		else if (v[i].type == DT_REG || ((v[i].type == DT_LNK || v[i].type == DT_UNKNOWN) &&
						 stat(path, &st) == 0 && S_ISREG(st.st_mode)))
			rc = add_file(l, path, path, -1);
	}
	free_entries(v, n);
	return rc;
}

/* RFC-less but universal Maildir layout: messages live in cur/ and new/; tmp/ holds deliveries in progress. */
static int add_maildir(struct input_list *l, const char *dir)
{
	char sub[INPUT_NAME_MAX];
	if (join(sub, sizeof sub, dir, "cur") < 0 || add_dir_files(l, sub) < 0)
		return -1;
	if (join(sub, sizeof sub, dir, "new") < 0)
		return -1;
	return add_dir_files(l, sub);
}

static int add_tree(struct input_list *l, const char *dir, enum input_mbox_mode mode, const struct input_opts *o,
		    unsigned depth);

/* -r: every regular file under dir (mboxes split), Maildirs read as Maildirs, symlinked directories not followed. */
static int add_tree_entry(struct input_list *l, const char *path, enum input_mbox_mode mode,
			  const struct input_opts *o, unsigned depth)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return add_error(l, path, 0, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return add_tree(l, path, mode, o, depth + 1);
	if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
		return 0;
	return S_ISREG(st.st_mode) ? add_regular(l, path, path, mode) : 0;
}

static int add_tree(struct input_list *l, const char *dir, enum input_mbox_mode mode, const struct input_opts *o,
		    unsigned depth)
{
	if (depth > 64)
		return add_error(l, dir, 0, "directories nested more than 64 deep");
	if (is_maildir(dir))
		return add_maildir(l, dir);
	size_t n;
	struct dir_entry *v = list_dir(dir, &n);
	if (!v)
		return add_error(l, dir, 0, strerror(errno));
	int rc = 0;
	char path[INPUT_NAME_MAX];
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = join(path, sizeof path, dir, v[i].name) < 0 ? add_error(l, v[i].name, 0, "path too long")
								 : add_tree_entry(l, path, mode, o, depth);
	free_entries(v, n);
	return rc;
}

int input_add(struct input_list *l, const char *name, enum input_mbox_mode mode, const struct input_opts *o)
{
	if (strcmp(name, "-") == 0) {
		if (l->stdin_used)
			return add_error(l, name, 0, "standard input named twice");
		l->stdin_used = 1;
		return add_stream(l, name, STDIN_FILENO, mode, o);
	}
	struct stat st;
	if (stat(name, &st) != 0)
		return add_error(l, name, 0, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (is_maildir(name))
			return add_maildir(l, name);
		if (o->recursive)
			return add_tree(l, name, mode, o, 0);
		return add_error(l, name, 0, "is a directory, not a Maildir (no cur/ and new/); -r reads every file under it");
	}
	if (S_ISREG(st.st_mode))
		return add_regular(l, name, name, mode);
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return add_error(l, name, 0, strerror(errno));
	int rc = add_stream(l, name, fd, mode, o);
	close(fd);
	return rc;
}

int input_add_bytes(struct input_list *l, const char *name, const void *data, size_t len, const struct input_opts *o)
{
	int fd = new_spool_fd(l, o);
	if (fd < 0)
		return add_error(l, name, 0, strerror(errno));
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)data + done, len - done);
		if (w < 0) {
			close(fd);
			return add_error(l, name, 0, strerror(errno));
		}
		done += (size_t)w;
	}
	l->spools[l->nspools] = fd;
	return add_file(l, name, NULL, (int)l->nspools++);
}

/* One name of a --files-from list; an empty line (or empty NUL-separated entry) is skipped. */
static int add_listed(struct input_list *l, struct buf *name, enum input_mbox_mode mode, const struct input_opts *o)
{
	int rc = name->len ? input_add(l, name->data, mode, o) : 0;
	buf_reset(name);
	return rc;
}

int input_add_files_from(struct input_list *l, const char *file, int nul, enum input_mbox_mode mode,
			 const struct input_opts *o, char *err, size_t errlen)
{
	int is_stdin = strcmp(file, "-") == 0;
	if (is_stdin && l->stdin_used) {
		snprintf(err, errlen, "--files-from -: standard input is already used");
		return -1;
	}
	FILE *f = is_stdin ? stdin : fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "--files-from %s: %s", file, strerror(errno));
		return -1;
	}
	l->stdin_used |= is_stdin;
	struct buf name;
	buf_init(&name, INPUT_NAME_MAX);
	int c, rc = 0, sep = nul ? '\0' : '\n';
	while (rc == 0 && (c = getc(f)) != EOF) {
		if (c == sep)
			rc = add_listed(l, &name, mode, o);
		else if (buf_append_byte(&name, (char)c) < 0)
			rc = add_error(l, "(--files-from)", 0, "a listed name is longer than 4096 bytes");
	}
	if (rc == 0)
		rc = add_listed(l, &name, mode, o);
	int bad = ferror(f);
	buf_free(&name);
	if (!is_stdin)
		fclose(f);
	if (rc < 0 || bad) {
		snprintf(err, errlen, "--files-from %s: %s", file, bad ? "read error" : "out of memory");
		return -1;
	}
	return 0;
}

/* ---- opening an mbox slice: a stream over [offset, offset+length) with quoting undone ---- */

struct slice_reader {
	int fd;                 /* ours when own_fd */
	int own_fd;
	uint64_t start, len;
	uint64_t pos;           /* raw bytes of the slice consumed */
	uint64_t out;           /* bytes delivered (the stream position) */
	enum input_mbox_format format; /* INPUT_MBOXCL: bytes pass unchanged */
	int at_line_start;
	size_t quotes;          /* '>' seen at the start of the current line, not yet delivered */
	size_t matched;         /* bytes of "From " matched after them */
	char pend[80];          /* bytes held while deciding whether a line is a quoted From line */
	size_t npend, pend_off;
	char raw[65536];        /* bytes read from the file, not yet consumed */
};

static void reader_reset(struct slice_reader *r)
{
	r->pos = r->out = 0;
	r->at_line_start = 1;
	r->quotes = r->matched = r->npend = r->pend_off = 0;
}

/* A line that began with quotes and matched: how many '>' survive the format's rule. */
static size_t kept_quotes(const struct slice_reader *r, int is_from)
{
	if (!is_from || r->format == INPUT_MBOXCL)
		return r->quotes;
	if (r->format == INPUT_MBOXO)
		return r->quotes == 1 ? 0 : r->quotes;
	return r->quotes - 1;   /* mboxrd */
}

/* The line start is decided: queue what was held, with one '>' dropped if it was a quoted From line. */
static void reader_decide(struct slice_reader *r, int is_from)
{
	size_t keep = kept_quotes(r, is_from);
	size_t n = 0;
	for (size_t i = 0; i < keep && n < sizeof r->pend; i++)
		r->pend[n++] = '>';
	memcpy(r->pend + n, "From ", r->matched);
	r->npend = n + r->matched;
	r->pend_off = 0;
	r->quotes = r->matched = 0;
	r->at_line_start = 0;
}

/* Feed one raw byte at a line start; returns 1 when the byte itself must be delivered after pend. */
static int reader_line_start_byte(struct slice_reader *r, char c)
{
	if (r->matched == 0 && c == '>' && r->quotes < 64) {
		r->quotes++;
		return 0;
	}
	if (r->quotes > 0 && r->matched < 5 && c == "From "[r->matched]) {
		if (++r->matched == 5)
			reader_decide(r, 1);
		return 0;
	}
	reader_decide(r, 0);
	return 1;
}

/* Consume raw bytes into dst: runs inside a line are copied whole, line starts go byte by byte. */
static size_t reader_consume(struct slice_reader *r, const char *raw, size_t got, char *dst, size_t size, size_t *n)
{
	size_t used = 0;
	while (used < got && *n < size && r->pend_off >= r->npend) {
		if (!r->at_line_start || r->format == INPUT_MBOXCL) {
			size_t k = got - used < size - *n ? got - used : size - *n;
			const char *nl = r->format == INPUT_MBOXCL ? NULL : memchr(raw + used, '\n', k);
			if (nl)
				k = (size_t)(nl - (raw + used)) + 1;
			memcpy(dst + *n, raw + used, k);
			*n += k;
			used += k;
			r->at_line_start = raw[used - 1] == '\n';
			continue;
		}
		char c = raw[used++];
		if (!reader_line_start_byte(r, c))
			continue;
		if (r->pend_off < r->npend && r->npend < sizeof r->pend)
			r->pend[r->npend++] = c;    /* after the held bytes */
		else
			dst[(*n)++] = c;
		r->at_line_start = c == '\n';
	}
	return used;
}

static ssize_t slice_read(void *cookie, char *dst, size_t size)
{
	struct slice_reader *r = cookie;
	size_t n = 0;
	while (n < size) {
		if (r->pend_off < r->npend) {
			size_t k = r->npend - r->pend_off < size - n ? r->npend - r->pend_off : size - n;
			memcpy(dst + n, r->pend + r->pend_off, k);
			r->pend_off += k;
			n += k;
			continue;
		}
		uint64_t left = r->len - r->pos;
		if (left == 0) {
			if (r->quotes || r->matched)
				reader_decide(r, 0);
			if (r->pend_off < r->npend)
				continue;
			break;
		}
		size_t want = size - n < sizeof r->raw ? size - n : sizeof r->raw;
		if (want > left)
			want = (size_t)left;
		ssize_t got = read_at(r->fd, r->raw, want, r->start + r->pos);
		if (got <= 0)
			return n ? (ssize_t)n : got;
		r->pos += reader_consume(r, r->raw, (size_t)got, dst, size, &n);
	}
	r->out += n;
	return (ssize_t)n;
}

/* Streams are read forwards; a seek re-reads from the start (forensics and bundles rewind once). */
static int slice_seek(void *cookie, off64_t *offset, int whence)
{
	struct slice_reader *r = cookie;
	uint64_t target = whence == SEEK_CUR ? r->out + (uint64_t)*offset : (uint64_t)*offset;
	if (whence == SEEK_END || (*offset < 0 && whence == SEEK_SET))
		return -1;
	if (target < r->out || (target == 0 && r->pos > 0))
		reader_reset(r);
	char skip[4096];
	while (r->out < target) {
		size_t want = target - r->out < sizeof skip ? (size_t)(target - r->out) : sizeof skip;
		ssize_t got = slice_read(r, skip, want);
		if (got <= 0)
			break;
	}
	*offset = (off64_t)r->out;
	return 0;
}

static int slice_close(void *cookie)
{
	struct slice_reader *r = cookie;
	if (r->own_fd)
		close(r->fd);
	free(r);
	return 0;
}

static FILE *open_slice(int fd, int own, const struct input_item *it, enum input_mbox_format format)
{
	struct slice_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fd = fd;
	r->own_fd = own;
	r->start = it->offset;
	r->len = it->length;
	r->format = format;
	reader_reset(r);
	cookie_io_functions_t io = { .read = slice_read, .seek = slice_seek, .close = slice_close };
	FILE *f = fopencookie(r, "r", io);
	if (!f)
		free(r);
	return f;
}

int input_is_plain(const struct input_item *it)
{
	return it->spool < 0 && !it->mbox;
}

/*
 * A file that is one message. Unbuffered: every read asks for 16 KiB or more,
 * which stdio would pass through anyway, so a buffer would only cost an
 * fstat and an allocation per message. "e" is O_CLOEXEC (glibc, musl, BSDs).
 */
static FILE *open_plain(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		snprintf(err, errlen, "%s", strerror(errno));
	else
		setvbuf(f, NULL, _IONBF, 0);
	return f;
}

FILE *input_open(const struct input_list *l, const struct input_item *it, const struct input_opts *o,
		 char *err, size_t errlen)
{
	if (it->error) {
		snprintf(err, errlen, "%s", it->error);
		return NULL;
	}
	int own = it->spool < 0;
	if (input_is_plain(it))
		return open_plain(it->path, err, errlen);
	int fd = own ? open(it->path, O_RDONLY | O_CLOEXEC) : dup(l->spools[it->spool]);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	/* spools are shared by their items, so they are read with pread through a slice reader */
	FILE *f = open_slice(fd, 1, it, it->mbox ? o->mbox_format : INPUT_MBOXCL);
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
	}
	return f;
}
