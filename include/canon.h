/*
 * canon: RFC 6376 §3.4 canonicalization. Header fields are canonicalized one at
 * a time (§3.4.1 simple, §3.4.2 relaxed). The body is a streaming state machine
 * fed by chunks of any size (§3.4.3 simple, §3.4.4 relaxed): the output never
 * depends on where the chunks split, memory is constant, and trailing empty
 * lines are held back as a count until later content proves they are not
 * trailing. Quirk flags reproduce known non-conformant canonicalizations for
 * forensics; the RFC behaviour is quirks == 0.
 */
#ifndef ARCVERIFY_CANON_H
#define ARCVERIFY_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "simd.h"

enum canon_alg { CANON_SIMPLE = 0, CANON_RELAXED = 1 };

/* Known canonicalization bugs (see forensics); never set on the verification path. */
enum canon_quirk {
	CANON_Q_EMPTY_AS_CRLF = 1u << 0,     /* relaxed: empty body hashed as one CRLF */
	CANON_Q_EMPTY_AS_NOTHING = 1u << 1,  /* simple: empty body hashed as zero bytes */
	CANON_Q_WSP_LINES_KEPT = 1u << 2,    /* relaxed: whitespace-only trailing lines kept as CRLF */
	CANON_Q_KEEP_TRAILING = 1u << 3,     /* trailing empty lines kept */
	CANON_Q_NO_FINAL_CRLF = 1u << 4,     /* the CRLF ending the last line dropped */
	CANON_Q_NO_WSP_REDUCE = 1u << 5,     /* relaxed: runs of WSP kept as written */
	CANON_Q_NO_EOL_STRIP = 1u << 6,      /* relaxed: WSP at line ends kept */
	CANON_Q_LF_ENDS = 1u << 7,           /* line ends emitted as bare LF */
};

const char *canon_name(enum canon_alg c);                 /* "simple" / "relaxed" */
int canon_parse(struct slice s, enum canon_alg *out);     /* 0, or -1 if neither word */

/* Known header canonicalization bugs (forensics only). */
enum canon_header_quirk {
	CANON_HQ_FOLDED_SPACE = 1u << 0,     /* relaxed: a value starting on a continuation line keeps one SP */
};

/* Append the canonical form of one header field (raw, without its final CRLF). No CRLF is added. */
int canon_header(enum canon_alg c, struct slice raw, struct buf *out);
/* The same with header quirks (enum canon_header_quirk); quirks == 0 is canon_header. */
int canon_header_quirk(enum canon_alg c, unsigned quirks, struct slice raw, struct buf *out);

typedef void (*canon_sink_fn)(void *ctx, const char *data, size_t len);

struct canon_body {
	enum canon_alg alg;
	unsigned quirks;
	canon_sink_fn sink;       /* receives the canonical bytes */
	void *sink_ctx;           /* not ours */
	uint64_t pending_crlf;    /* line ends not yet emitted: trailing empty lines unless content follows */
	int pending_cr;           /* a CR waiting to see whether LF follows */
	int line_content;         /* the current line has non-WSP content (relaxed) / any byte (simple) */
	int line_wsp;             /* relaxed: WSP seen since the last content byte on this line */
	int any_content;          /* some content byte has been emitted */
	struct buf wsp_run;       /* exact WSP run, kept only for CANON_Q_NO_WSP_REDUCE */
	/* forensics: called at every line end of the input, after the output is flushed to the sink */
	void (*on_line_end)(void *ctx, uint64_t in_pos);
	void *line_ctx;           /* not ours */
	uint64_t in_pos;          /* input bytes consumed before the current feed */
	enum simd_isa isa;        /* the vector code that finds unchanged runs: the widest; tests pin others */
	char out[8192];           /* output staging, flushed to the sink */
	size_t outlen;
};

void canon_body_init(struct canon_body *cb, enum canon_alg alg, unsigned quirks,
		     canon_sink_fn sink, void *sink_ctx);
void canon_body_feed(struct canon_body *cb, const char *data, size_t len);
void canon_body_finish(struct canon_body *cb);  /* applies the end-of-body rules and flushes */
void canon_body_free(struct canon_body *cb);

/*
 * Whether relaxed body canonicalization (§3.4.4 a) leaves these bytes as
 * simple (§3.4.3) does, from a state that holds no WSP: no TAB, no SP followed
 * by WSP or CR, no WSP at the end (what follows it is not known yet). Line ends
 * and trailing empty lines the two treat alike; only the end of the body (an
 * empty body, §3.4.3 against §3.4.4 b) differs, and canon_body_finish applies
 * it. Conservative: 0 can also mean the two agree. isa: the vector code to look with.
 */
int canon_relaxed_keeps(enum simd_isa isa, const char *data, size_t len);
/* cb (relaxed, never fed) takes the state of simple after bytes for which canon_relaxed_keeps held. */
void canon_body_adopt(struct canon_body *cb, const struct canon_body *simple);

#endif
