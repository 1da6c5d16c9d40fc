/*
 * authres: a tolerant reader of Authentication-Results (RFC 8601 §2.2) and
 * ARC-Authentication-Results payloads (RFC 8617 §4.1.1). It never fails: what
 * it cannot parse it keeps as text, because receivers write non-standard forms
 * (Microsoft's "arc=fail (47)", "compauth=", "oda=1") and the payload of an AAR
 * must never change a chain result. Results are slices into the caller's text.
 */
#ifndef ARCVERIFY_AUTHRES_H
#define ARCVERIFY_AUTHRES_H

#include <stddef.h>

#include "buf.h"

#define AUTHRES_METHODS_MAX 32

struct authres_method {
	struct slice method;    /* "dkim", "spf", "arc", "compauth", ... */
	struct slice result;    /* "pass", "fail", ... as written */
	struct slice comment;   /* first (comment) after the result, without parentheses */
	struct slice props;     /* the rest of this resinfo: reason=, header.d=, ... */
};

struct authres {
	int has_instance;       /* AAR: "i=N;" prefix found */
	unsigned instance;
	struct slice authserv_id;
	struct authres_method methods[AUTHRES_METHODS_MAX];
	size_t nmethods;
	int none;               /* "; none": no methods were evaluated */
};

/* Parse a header field value. aar: expect the "i=N;" prefix of an AAR. */
void authres_parse(struct slice value, int aar, struct authres *out);
/* The first result for a method name (case-insensitive), or NULL. */
const struct authres_method *authres_find(const struct authres *ar, const char *method);
/* AAR prefix check for structure (RFC 8617 §4.1.1): 0 and *instance, or -1 when absent/malformed. */
int authres_aar_instance(struct slice value, unsigned *instance);

#endif
