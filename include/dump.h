/*
 * dump: --dump-canon DIR writes, per signature, the exact bytes that were
 * hashed, so anyone can check them with sha256sum and compare with what
 * another implementation hashes: NAME.KINDn.header (the canonicalized header
 * data, RFC 6376 §3.7, with b= emptied) and NAME.KINDn.body (the canonicalized
 * body after l=, §3.4 and §3.5). The body is captured by a tap on the shared
 * body hash while it streams, so nothing is hashed twice; signatures that
 * share a body hash share the file (hard links). Files are created, never
 * written into: an existing one is refused unless --force, which replaces it
 * (a symbolic link in its place is replaced, not followed).
 */
#ifndef ARCVERIFY_DUMP_H
#define ARCVERIFY_DUMP_H

#include <stdio.h>

#include "hash.h"
#include "run.h"

struct dump {
	char dir[512];
	int force;                         /* existing files may be replaced (never written through) */
	char base[256];                    /* file-name stem for this message */
	FILE *body[HASH_BODIES_MAX];       /* one capture file per shared body hash */
	char tmp[HASH_BODIES_MAX][800];
	size_t nbody;
};

/* Start capturing: call after run_open, before run_body. Unless force, any file this message's dump
 * would write that exists already is an error, before anything is written. 0, or -1 with err. */
int dump_begin(struct dump *d, const char *dir, const char *stem, struct run_result *r, int force, char *err,
	       size_t errlen);
/* Write the header data files and name the body captures per signature; call after run_evaluate. */
int dump_end(struct dump *d, const struct run_result *r, char *err, size_t errlen);
/* A file-name stem for an input path: its base name with unsafe characters replaced. */
void dump_stem(const char *path, size_t seq, int numbered, char *out, size_t outlen);

#endif
