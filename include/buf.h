/*
 * buf: a growable byte buffer with a compulsory size cap, and read-only slices.
 * Every buffer that holds hostile input is bounded: appending past the cap fails
 * instead of growing, so no input can make arcverify allocate without limit.
 * A buf owns its data; a slice never owns what it points at.
 */
#ifndef ARCVERIFY_BUF_H
#define ARCVERIFY_BUF_H

#include <stddef.h>

struct slice {
	const char *ptr; /* not ours: points into a buffer owned elsewhere */
	size_t len;
};

struct buf {
	char *data;  /* always NUL-terminated when non-NULL, so text can be printed */
	size_t len;
	size_t cap;  /* allocated bytes */
	size_t max;  /* append fails once len would exceed this */
	int nomem;   /* the last append that failed ran out of memory (0: it would have passed max) */
};

void buf_init(struct buf *b, size_t max);                      /* empty buffer capped at max bytes */
int buf_append(struct buf *b, const void *data, size_t len);  /* 0, or -1 when the cap or memory runs out */
int buf_append_str(struct buf *b, const char *s);             /* buf_append of a C string */
int buf_append_byte(struct buf *b, char c);
/* Make room for more bytes (plus the NUL) so a caller can write data[len..len+more) itself; 0 or -1. */
int buf_reserve(struct buf *b, size_t more);
int buf_printf(struct buf *b, const char *fmt, ...)           /* formatted append, same failure rule */
	__attribute__((format(printf, 2, 3)));
/* Write len bytes to a new file at path (replacing it). 0, or -1 with "path: why" in err. */
int buf_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Write len bytes to a file created for it (O_EXCL: never into an existing file, never through a
 * symbolic link). With replace, whatever is at path is unlinked first; without, an existing path
 * is an error. 0, or -1 with "path: why" in err. */
int buf_write_new_file(const char *path, const void *data, size_t len, int replace, char *err, size_t errlen);
void buf_reset(struct buf *b);                                 /* len = 0, keeps the memory */
void buf_free(struct buf *b);
char *buf_steal(struct buf *b);                                /* hand the data to the caller (free()) */

/* Length of the valid UTF-8 sequence (RFC 3629) at p, or 0 when the bytes are not one
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
size_t utf8_seq_len(const unsigned char *p, size_t avail);
/* Append message text for a terminal or a report: CR, LF and TAB as \r \n \t, other C0 control
 * bytes, DEL and bytes that are not UTF-8 as \xNN, C1 controls (U+0080-U+009F) and the Unicode
 * Bidi_Control characters (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) as \uNNNN, so
 * hostile input can neither send escape sequences nor reorder what the reader sees. */
int buf_append_printable(struct buf *b, const char *s, size_t len);
/* Formatted append escaped as a whole like buf_append_printable (a newline in fmt too: end lines
 * with buf_append_byte); 0, or -1 past the cap. */
int buf_printf_printable(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append one more sentence (formatted), a space before it unless b is empty; same failure rule. */
int buf_append_sentence(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct slice slice_make(const char *p, size_t len);
struct slice slice_cstr(const char *s);
struct slice slice_trim_wsp(struct slice s);                   /* strip SP/HTAB/CR/LF at both ends */
int slice_eq(struct slice s, const char *cstr);                /* exact byte comparison with a C string */
int slice_caseeq(struct slice a, struct slice b);              /* ASCII case-insensitive equality */
int slice_caseeq_str(struct slice s, const char *cstr);
char *slice_dup(struct slice s);                               /* malloc'd NUL-terminated copy, NULL on OOM */
size_t slice_copy(struct slice s, char *dst, size_t dstlen);   /* truncating copy with NUL; returns s.len */
/* The same, made printable as buf_append_printable does (for text kept to show later). */
void slice_copy_printable(struct slice s, char *dst, size_t dstlen);

#endif
