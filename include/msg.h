/*
 * msg: a saved message read as a stream. msg_open reads the header block into
 * memory (bounded by MSG_HEADER_MAX) and splits it into fields kept as exact raw
 * bytes, folding included (RFC 5322 §2.2, needed by RFC 6376 §3.4.1 simple
 * canonicalization); the body is then pulled in chunks with msg_read_body, so
 * memory never depends on the body size. Bare LF line ends are converted to
 * CRLF on the fly unless disabled, and a leading UTF-8 byte order mark and a
 * leading mbox "From " line are skipped (and noted).
 * The msg owns its header block; fields are slices into it. Input is only read.
 */
#ifndef ARCVERIFY_MSG_H
#define ARCVERIFY_MSG_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "simd.h"

#define MSG_HEADER_MAX (4u << 20)   /* header block bound: 50 ARC sets fit many times over */
#define MSG_FIELDS_MAX 8192         /* header fields kept */
#define MSG_CHUNK 65536             /* body bytes read per call */
#define MSG_FIRST_READ 16384        /* the first read of a message: most header blocks fit */

struct msg_field {
	struct slice raw;    /* the whole field without its final CRLF (folding CRLFs kept) */
	struct slice name;   /* the name as written, without trailing white space */
	struct slice value;  /* everything after the colon, without the final CRLF */
	int malformed;       /* no colon, starts with white space, or a name that is not ftext: never selected by h= */
};

struct msg_opts {
	int no_crlf;         /* keep bare LF as data instead of converting (RFC 5322 §2.3 says CRLF) */
	enum simd_isa isa;   /* the vector code that looks for bare LFs; SIMD_AUTO (0): the widest */
};

struct msg {
	FILE *in;                     /* not ours */
	struct msg_opts opts;
	struct buf header;            /* header block, converted, each field ending in CRLF */
	struct msg_field *fields;
	size_t nfields;
	int has_separator;            /* an empty line ended the header block */
	int mbox_from;                /* a leading "From " envelope line was skipped */
	int bom_skipped;              /* a UTF-8 byte order mark before the first field was skipped */
	int data_error;               /* msg_open failed on the content (limits), not on reading */
	uint64_t lf_converted;        /* bare LFs turned into CRLF so far (header and body) */
	uint64_t raw_bytes;           /* input bytes read so far */
	uint64_t body_bytes;          /* converted body bytes delivered so far */
	int prev_cr;                  /* conversion state: last input byte was CR */
	struct buf pending;           /* converted body bytes read with the header block */
	size_t pending_off;
	int eof;
	int read_error;
};

/* Read the header block from in. 0, or -1 with a reason in err (read error; header block over
 * MSG_HEADER_MAX or MSG_FIELDS_MAX, which sets data_error). */
int msg_open(struct msg *m, FILE *in, const struct msg_opts *opts, char *err, size_t errlen);
/* Next chunk of the (converted) body into dst; returns bytes, 0 at the end, -1 on read error. */
long msg_read_body(struct msg *m, char *dst, size_t cap);
void msg_close(struct msg *m);
/* Index of the next field named name at or after start (case-insensitive), or -1. */
long msg_find_field(const struct msg *m, const char *name, size_t start);
/* How many fields are well-formed (a field-name of ftext and a colon, RFC 5322 §2.2, §3.6.8). */
size_t msg_count_well_formed(const struct msg *m);
/* How many well-formed fields are named name (case-insensitive). */
size_t msg_count_fields(const struct msg *m, struct slice name);
/* A seekable copy of a stream (standard input) in a temporary file, positioned at its start, so the
 * message can be read twice (forensics, --compare); NULL on failure. The caller fcloses it. */
FILE *msg_spool(FILE *in);
/* Parse a header block already in memory (tests, --compare): same rules, no body. */
int msg_parse_fields(struct msg *m, char *err, size_t errlen);

#endif
