/*
 * interop: which known verifier bugs a verifying signature would trip on this
 * message. Each row names a behaviour, the implementations known to have
 * shipped it (research notes on peers: their issue trackers and source), the
 * RFC rule, when it can apply, and the forensic variant whose hash must differ
 * from the RFC one for the signature to fail there.
 */
#include "interop.h"

#include <stdlib.h>
#include <string.h>

#include "tags.h"

enum risk_when {
	WHEN_ANY, WHEN_RELAXED_BODY, WHEN_SIMPLE_BODY, WHEN_RELAXED_HEADER, WHEN_MIXED_C, WHEN_SHORT_C,
	WHEN_AMS_NO_C, WHEN_HAS_L, WHEN_L_ZERO, WHEN_ED25519, WHEN_STRICT_REFUSED, WHEN_NOT_SEAL,
};

struct risk_row {
	const char *id;
	const char *body_variant;     /* its hash must differ (forensics probe), or NULL */
	const char *header_variant;   /* or this one's; both NULL: a trait, counted when it applies */
	enum risk_when when;
	const char *what, *verifiers, *rule;
};

static const struct risk_row risks[] = {
	{ "relaxed-empty-crlf", "relaxed-empty-crlf", NULL, WHEN_RELAXED_BODY,
	  "hash an empty relaxed body as one CRLF instead of zero bytes",
	  "dkimpy < 0.7.0 (LP#1727319), toorop/go-dkim (#9), stalwart mail-auth < 0.3.7 (#22), KumoMTA (its own "
	  "test asserts relaxed(CRLF) = CRLF; PR #575)", "RFC 6376 §3.4.4 b" },
	{ "simple-empty-nothing", "simple-empty-nothing", NULL, WHEN_SIMPLE_BODY,
	  "hash an empty simple body as zero bytes instead of one CRLF",
	  "OpenARC (both forks: its body canonicalizer lacks OpenDKIM's simple empty-body CRLF), Haraka (#2410)",
	  "RFC 6376 §3.4.3" },
	{ "relaxed-wsp-lines-kept", "relaxed-wsp-lines-kept", NULL, WHEN_RELAXED_BODY,
	  "keep whitespace-only lines at the end of a relaxed body",
	  "rspamd before PR #5662 (#5590), MimeKit (#187), mailauth < 2.3.4 (#17), stalwart mail-auth, KumoMTA, "
	  "OpenSMTPD filter-dkimverify", "RFC 6376 §3.4.4 a then b" },
	{ "lone-cr-dropped", "lone-cr-dropped", NULL, WHEN_NOT_SEAL,
	  "drop a CR that is not part of CRLF", "stalwart mail-auth (drops every CR), mailauth < 5.0.3",
	  "RFC 6376 §3.4.3 / §3.4.4 (a lone CR is data)" },
	{ "l-on-raw-bytes", "l-on-raw-bytes", NULL, WHEN_HAS_L,
	  "count l= on the raw body instead of the canonicalized one", "stalwart mail-auth (by reading its source)",
	  "RFC 6376 §3.5 l=" },
	{ "l-zero-unlimited", "l-zero-unlimited", NULL, WHEN_L_ZERO,
	  "read l=0 as \"no limit\"", "stalwart mail-auth (by reading its source)", "RFC 6376 §3.5 l=" },
	{ "trailing-empty-lines-kept", "trailing-empty-lines-kept", NULL, WHEN_NOT_SEAL,
	  "keep the trailing empty lines of the body", "rspamd (#651, 2016)", "RFC 6376 §3.4.3 / §3.4.4 b" },
	{ "ams-missing-c-as-relaxed", "other-body-canonicalization", "ams-missing-c-as-relaxed", WHEN_AMS_NO_C,
	  "read an AMS without c= as relaxed/relaxed instead of simple/simple",
	  "dkimpy (1.1.x), mailauth <= 5 (mailauth 7 retries relaxed/relaxed in its lenient mode)",
	  "RFC 8617 §4.1.2 with RFC 6376 §3.5" },
	{ "other-body-canonicalization", "other-body-canonicalization", NULL, WHEN_MIXED_C,
	  "apply the header canonicalization of c= to the body", "stalwart mail-auth <= 0.9.1 (fixed in 0.9.2)",
	  "RFC 6376 §3.5 c=" },
	{ "other-header-canonicalization", "other-body-canonicalization", "other-header-canonicalization", WHEN_SHORT_C,
	  "read a missing or one-word c= otherwise than simple/simple or WORD/simple",
	  "PHPMailer DKIMValidator (nextcloud/mail PR #12238, DKIMValidator PR #17, #21)", "RFC 6376 §3.5 c=" },
	{ "space-after-colon-kept", NULL, "space-after-colon-kept", WHEN_RELAXED_HEADER,
	  "keep one space after the colon of a field whose value starts on a continuation line",
	  "OpenDKIM <= 2.10.3 (#39, PR #119), markenwerk java-utils-mail-dkim (PR #7), MimeKit (#171)",
	  "RFC 6376 §3.4.2" },
	{ "top-down-selection", NULL, "top-down-selection", WHEN_NOT_SEAL,
	  "select repeated header fields from the top down", "OpenDKIM (#157), aboutmyemail (#26)", "RFC 6376 §5.4.2" },
	{ "h-deduplicated", NULL, "h-deduplicated", WHEN_NOT_SEAL,
	  "use each name of h= only once", "kmille/dkim-verify (#5)", "RFC 6376 §5.4.2" },
	{ "repeated-name-same-field", NULL, "repeated-name-same-field", WHEN_NOT_SEAL,
	  "hash the same field again for a repeated h= name", "OpenSMTPD filter-dkimverify (fixed in a fork, f185a96)",
	  "RFC 6376 §5.4.2" },
	{ "ed25519-strict-refused", NULL, NULL, WHEN_STRICT_REFUSED,
	  "refuse an Ed25519 key or R of small order, or a key not in canonical form, though the signature "
	  "verifies", "libsodium's crypto_sign_verify_detached and crypto_sign_open, so PyNaCl and dkimpy",
	  "RFC 8032 §5.1.7 (RFC 8463 §3)" },
	{ "ed25519-unsupported", NULL, NULL, WHEN_ED25519,
	  "do not verify Ed25519 (report it as fail, or ignore it)",
	  "Gmail (dkim=fail (signature did not verify) for Ed25519 while passing RSA on the same message; "
	  "stalwart #3193, ergo PR #2242), Debian 12's Mail::DKIM (Ed25519 came in 1.20230630)", "RFC 8463 §3" },
	{ "l-ignored", NULL, NULL, WHEN_HAS_L,
	  "ignore or refuse signatures with l=", "stalwart mail-auth >= 0.4.0 (ignores them by default), go-msgauth "
	  "(refuses every l=)", "RFC 6376 §3.5 l=, §8.2" },
};

#define NRISKS (sizeof risks / sizeof risks[0])

/* Every variant a row needs probed, each once. */
static const char *const probe_ids[] = {
	"relaxed-empty-crlf", "simple-empty-nothing", "relaxed-wsp-lines-kept", "lone-cr-dropped", "l-on-raw-bytes",
	"l-zero-unlimited", "trailing-empty-lines-kept", "other-body-canonicalization", "ams-missing-c-as-relaxed",
	"other-header-canonicalization", "space-after-colon-kept", "top-down-selection", "h-deduplicated",
	"repeated-name-same-field",
};

const char *const *interop_probe_ids(size_t *n)
{
	*n = sizeof probe_ids / sizeof probe_ids[0];
	return probe_ids;
}

/* c= written as one word, or not at all (RFC 6376 §3.5: simple/simple, or WORD/simple). */
static int short_c(const struct dkim_sig *s)
{
	const struct tag *c = tags_find(&s->tags, "c");
	return !c || !memchr(c->value.ptr, '/', c->value.len);
}

static int row_applies(const struct risk_row *row, const struct dkim_sig *s)
{
	int seal = s->kind == DKIM_KIND_SEAL;
	switch (row->when) {
	case WHEN_RELAXED_BODY: return !seal && s->bcanon == CANON_RELAXED;
	case WHEN_SIMPLE_BODY: return !seal && s->bcanon == CANON_SIMPLE;
	case WHEN_RELAXED_HEADER: return seal || s->hcanon == CANON_RELAXED;
	case WHEN_MIXED_C: return !seal && tags_find(&s->tags, "c") && s->hcanon != s->bcanon;
	case WHEN_SHORT_C: return s->kind == DKIM_KIND_SIGNATURE && short_c(s);
	case WHEN_AMS_NO_C: return s->kind == DKIM_KIND_AMS && !tags_find(&s->tags, "c");
	case WHEN_HAS_L: return !seal && s->has_l;
	case WHEN_L_ZERO: return !seal && s->has_l && s->l == 0;
	case WHEN_ED25519: return s->alg == SIG_ED25519_SHA256;
	case WHEN_STRICT_REFUSED: return s->strict_refused;
	case WHEN_NOT_SEAL: return !seal;
	default: return 1;
	}
}

static int breaks_with(const struct forensic_report *fr, const char *id)
{
	for (size_t i = 0; id && fr && i < fr->nbreaks; i++)
		if (strcmp(fr->breaks[i].id, id) == 0)
			return 1;
	return 0;
}

/* The row is a risk for s: it applies, and (for a hash bug) the probe shows the hash would differ. */
static int row_hits(const struct risk_row *row, const struct dkim_sig *s, const struct forensics *f)
{
	if (!row_applies(row, s))
		return 0;
	if (!row->body_variant && !row->header_variant)
		return 1;
	const struct forensic_report *fr = forensics_for(f, s);
	return fr && fr->probed && (breaks_with(fr, row->body_variant) || breaks_with(fr, row->header_variant));
}

static int add_risk(struct interop *io, const struct dkim_sig *s, const struct risk_row *row)
{
	struct interop_risk *v = realloc(io->v, (io->n + 1) * sizeof *v);
	if (!v)
		return -1;
	io->v = v;
	io->v[io->n++] = (struct interop_risk){ s, row->id, row->what, row->verifiers, row->rule };
	return 0;
}

static int sig_risks(struct interop *io, const struct dkim_sig *s, const struct forensics *f)
{
	if (!s->usable || s->v.result != VERDICT_PASS)
		return 0;
	for (size_t i = 0; i < NRISKS; i++)
		if (row_hits(&risks[i], s, f) && add_risk(io, s, &risks[i]) < 0)
			return -1;
	return 0;
}

int interop_build(struct interop *io, const struct run_result *r, const struct forensics *f)
{
	memset(io, 0, sizeof *io);
	io->computed = 1;
	if (!r->msg_open)
		return 0;
	for (size_t i = 0; i < r->ndkim; i++)
		if (sig_risks(io, &r->dkim[i], f) < 0)
			return -1;
	for (unsigned i = 0; i < r->arc.n; i++) {
		const struct arc_set *set = &r->arc.sets[i];
		if ((set->has_ams && sig_risks(io, &set->ams, f) < 0) || (set->has_as && sig_risks(io, &set->as, f) < 0))
			return -1;
	}
	return 0;
}

size_t interop_for(const struct interop *io, const struct dkim_sig *s, const struct interop_risk **first)
{
	size_t n = 0;
	*first = NULL;
	for (size_t i = 0; io && i < io->n; i++) {
		if (io->v[i].sig != s)
			continue;
		if (!n)
			*first = &io->v[i];
		n++;
	}
	return n;
}

void interop_free(struct interop *io)
{
	free(io->v);
	io->v = NULL;
	io->n = 0;
	io->computed = 0;
}
