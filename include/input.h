/*
 * input: what to verify. Turns the names given on the command line into an
 * ordered list of messages: files; standard input and other streams that can
 * be read only once (pipes, <(...)), spooled to a temporary file so they can
 * be read again; Maildirs (cur/ and new/, never tmp/ or dotfiles); other
 * directories walked with -r; names read from a file (--files-from, -0); and
 * mbox files split at their "From " lines into messages named FILE:OFFSET.
 * Opening an item gives a read-only, seekable stream positioned at the
 * message, with mbox ">From " quoting undone as the chosen format says.
 * Inputs are never written. The list owns its items and spools.
 */
#ifndef ARCVERIFY_INPUT_H
#define ARCVERIFY_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define INPUT_NAMES_MAX 10000000u   /* messages in one run */
#define INPUT_NAME_MAX 4096         /* one path (PATH_MAX) */

/* How ">From " lines inside an mbox message are unquoted (mbox(5) variants). */
enum input_mbox_format {
	INPUT_MBOXRD = 0,   /* every line matching ^>+From  loses one '>' (default) */
	INPUT_MBOXO,        /* only ^>From  (exactly one '>') loses it */
	INPUT_MBOXCL,       /* nothing is unquoted (writers that use Content-Length) */
};

enum input_mbox_mode {
	INPUT_MBOX_AUTO = 0,  /* a file starting with "From " that holds several messages is split */
	INPUT_MBOX_ALWAYS,    /* --mbox: the file is an mbox even when it holds one message */
};

struct input_opts {
	int recursive;                    /* -r: walk directories that are not Maildirs */
	enum input_mbox_format mbox_format;
	const char *tmpdir;               /* where spools go (TMPDIR), NULL for /tmp */
};

struct input_item {
	char *name;            /* as reported: the path, "-", or "PATH:OFFSET" for a message of an mbox */
	char *path;            /* the file to open; NULL when the item reads a spool */
	int spool;             /* index of the spool holding the bytes, or -1 */
	int mbox;              /* a slice of an mbox: [offset, offset + length), quoting undone */
	uint64_t offset, length;
	char *error;           /* the input cannot be read: why (reported like any other message) */
	int not_message;       /* error is about the content (exit 65), not about reading (66) */
};

struct input_list {
	struct input_item *items;
	size_t n, cap;
	int *spools;           /* file descriptors of unlinked temporary files */
	size_t nspools;
	int stdin_used;        /* "-" was named (as a message or as --files-from -) */
	size_t mboxes;         /* files split as mboxes */
};

void input_list_init(struct input_list *l);
void input_list_free(struct input_list *l);
/* Add what a command-line name names (a file, "-", a directory) in order. mode applies to files.
 * Problems become items with error set; -1 only when out of memory or past INPUT_NAMES_MAX. */
int input_add(struct input_list *l, const char *name, enum input_mbox_mode mode, const struct input_opts *o);
/* Add a message held in memory (tests, callers with their own bytes) under name: spooled, never split. */
int input_add_bytes(struct input_list *l, const char *name, const void *data, size_t len, const struct input_opts *o);
/* Add every name listed in file ("-": standard input), one per line or NUL-separated (nul). 0, or -1
 * with err when the list itself cannot be read. */
int input_add_files_from(struct input_list *l, const char *file, int nul, enum input_mbox_mode mode,
			 const struct input_opts *o, char *err, size_t errlen);
/* The item is a whole file of its own (not an mbox slice, not a spool): it starts at offset 0. */
int input_is_plain(const struct input_item *it);
/* Open an item read-only, seekable, at its first byte. NULL with err (strerror wording) on failure. */
FILE *input_open(const struct input_list *l, const struct input_item *it, const struct input_opts *o,
		 char *err, size_t errlen);
const char *input_mbox_format_name(enum input_mbox_format f);   /* "mboxrd", "mboxo", "mboxcl" */
int input_mbox_format_parse(const char *s, enum input_mbox_format *out);  /* 0, or -1 */

#endif
