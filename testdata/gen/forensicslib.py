"""forensicslib: helpers for make-forensics-fixtures and forensics-check.

Run only with Debian's /usr/bin/python3 (dkimpy 1.1.4, python3-authres).
Two halves, kept apart on purpose:

1. Buggy signers. dkimpy (DKIM.sign, ARC.sign) with ONE known
   canonicalization bug switched on for the duration of a `with` block: a
   documented monkeypatch of dkimpy's own code (dkim.canonicalization's
   Simple/Relaxed classes, dkim.select_headers, dkim.hash_headers, or
   DomainSigner.gen_header for the tag list). dkimpy still canonicalizes
   (with the bug), hashes, signs and folds. Nothing of arcverify is used.

2. An independent reference of the forensics catalogue (the ids of
   src/forensics.c): the RFC 6376 §3.4 canonicalizations written line by
   line (no state machine), each known bug written as the rule it bends,
   header data rebuilt per RFC 6376 §5.4.2/§3.7 and RFC 8617 §5.1.1, and
   RSA PKCS#1 v1.5 verification by plain modular arithmetic (dkimpy is used
   only to parse the ASN.1 of the public key). analyze() says, for every
   DKIM-Signature, AMS and AS of a message, what verifies and which
   variants reproduce the signer's bh= or b=.

   Where the catalogue text and src/forensics.c may differ, this reference
   follows what the signer did (see CRLF_APPENDED_NOTE); the alternative
   reading is computed too (alt_findings) so the difference can be stated.

Everything is deterministic: fixed keys, fixed clock, deterministic RSA.
"""

import base64
import contextlib
import hashlib
import re

import dkim
import dkim.crypto
from dkim.canonicalization import (Relaxed, Simple, compress_whitespace,
                                   correct_empty_body, strip_trailing_lines,
                                   strip_trailing_whitespace,
                                   unfold_header_value)

from fixturelib import (T_SIGN, frozen_time, header_fields, parse_zone,
                        rsa_private_pem, split_message)

CRLF = b'\r\n'


# ============================================================ signers ====
#
# Each patch is a context manager; outside the block dkimpy is unchanged.

@contextlib.contextmanager
def patched_body_canon(simple=None, relaxed=None):
    """Replace dkimpy's body canonicalization (the staticmethods
    Simple.canonicalize_body / Relaxed.canonicalize_body that DKIM.sign and
    ARC.sign reach through CanonicalizationPolicy). The replacement gets
    dkimpy's original function as its first argument."""
    saved = (Simple.__dict__['canonicalize_body'], Relaxed.__dict__['canonicalize_body'])
    orig_s, orig_r = Simple.canonicalize_body, Relaxed.canonicalize_body
    if simple is not None:
        Simple.canonicalize_body = staticmethod(lambda body: simple(orig_s, orig_r, body))
    if relaxed is not None:
        Relaxed.canonicalize_body = staticmethod(lambda body: relaxed(orig_s, orig_r, body))
    try:
        yield
    finally:
        Simple.canonicalize_body, Relaxed.canonicalize_body = saved


@contextlib.contextmanager
def patched_relaxed_headers(fn):
    """Replace dkimpy's relaxed header canonicalization."""
    saved = Relaxed.__dict__['canonicalize_headers']
    Relaxed.canonicalize_headers = staticmethod(fn)
    try:
        yield
    finally:
        Relaxed.canonicalize_headers = saved


@contextlib.contextmanager
def patched_module_function(name, make):
    """Replace dkim.<name> (a module-level function that hash_headers /
    gen_header look up at call time); make(original) returns the new one."""
    saved = getattr(dkim, name)
    setattr(dkim, name, make(saved))
    try:
        yield
    finally:
        setattr(dkim, name, saved)


class PatchedDKIM(dkim.DKIM):
    """dkimpy's DKIM signer; fields_edit(fields) -> fields may rewrite the
    tag list (e.g. the l= value) just before gen_header hashes and signs it,
    so the signature covers the edit."""

    fields_edit = None
    canon_swap = None   # header canonicalization policy actually used

    def gen_header(self, fields, include_headers, canon_policy, header_name,
                   pk, standardize=False):
        if self.fields_edit:
            fields = self.fields_edit(list(fields))
        if self.canon_swap is not None:
            canon_policy = self.canon_swap
        return super().gen_header(fields, include_headers, canon_policy,
                                  header_name, pk, standardize)


def sign_dkim(msg, *, selector='rsa2048', domain='example.com', key='rsa2048',
              canon=(b'relaxed', b'relaxed'), include_headers=None,
              length=False, fields_edit=None, canon_swap=None,
              should_sign_extra=(), t=T_SIGN):
    """dkimpy DKIM.sign at time t; returns the message with the
    DKIM-Signature prepended. should_sign_extra: names removed from dkimpy's
    should_not_sign set (dkimpy refuses to sign e.g. Received otherwise)."""
    with frozen_time(t):
        d = PatchedDKIM(msg)
        d.fields_edit = fields_edit
        d.canon_swap = canon_swap
        for n in should_sign_extra:
            d.should_not_sign.discard(n)
        sig = d.sign(selector.encode(), domain.encode(), rsa_private_pem(key),
                     canonicalize=canon, include_headers=include_headers,
                     length=length)
    return sig + msg


class PatchedARC(dkim.ARC):
    """dkimpy's ARC sealer (ARC.sign); ams_fields_edit rewrites the AMS tag
    list before it is signed; seal_select(selected) -> selected reorders the
    header fields dkimpy selected for the ARC-Seal (dkim.select_headers is
    wrapped only while the seal's gen_header runs)."""

    ams_fields_edit = None
    seal_select = None

    def gen_header(self, fields, include_headers, canon_policy, header_name,
                   pk, standardize=False):
        if header_name == b'ARC-Message-Signature' and self.ams_fields_edit:
            fields = self.ams_fields_edit(list(fields))
        if header_name == b'ARC-Seal' and self.seal_select:
            reorder = self.seal_select
            with patched_module_function(
                    'select_headers',
                    lambda orig: lambda h, inc: reorder(orig(h, inc))):
                return super().gen_header(fields, include_headers, canon_policy,
                                          header_name, pk, standardize)
        return super().gen_header(fields, include_headers, canon_policy,
                                  header_name, pk, standardize)


def seal_arc(msg, *, selector, domain, key, srv_id, timestamp,
             ams_fields_edit=None, seal_select=None):
    """dkimpy ARC.sign (what dkim.arc_sign wraps) at `timestamp`; returns
    the message with the new ARC set (AS, AMS, AAR) prepended."""
    with frozen_time(timestamp):
        a = PatchedARC(msg, signature_algorithm=b'rsa-sha256')
        a.ams_fields_edit = ams_fields_edit
        a.seal_select = seal_select
        fields = a.sign(selector.encode(), domain.encode(), rsa_private_pem(key),
                        srv_id.encode(), include_headers=a.default_sign_headers(),
                        timestamp=timestamp)
    if not fields:
        raise RuntimeError('dkimpy added no ARC set (no A-R for %s?)' % srv_id)
    return b''.join(fields) + msg


# --- the bugs, written against dkimpy's own canonicalization helpers ---

def bug_relaxed_empty_crlf(orig_s, orig_r, body):
    """dkimpy before 0.7.0 (LP#1727319): relaxed without correct_empty_body,
    so an empty body comes out of strip_trailing_lines as one CRLF."""
    return strip_trailing_lines(compress_whitespace(strip_trailing_whitespace(body)))


def bug_simple_empty_nothing(orig_s, orig_r, body):
    """simple, but a body without content is hashed as zero bytes."""
    out = orig_s(body)
    return b'' if out == CRLF else out


def bug_relaxed_wsp_lines_kept(orig_s, orig_r, body):
    """relaxed with the steps in the wrong order: trailing empty lines are
    dropped first, whitespace stripped afterwards (whitespace-only lines at
    the end survive as empty lines)."""
    return correct_empty_body(compress_whitespace(strip_trailing_whitespace(
        strip_trailing_lines(body))))


def bug_simple_trailing_kept(orig_s, orig_r, body):
    """simple without 'reduce CRLFs at the end to one'."""
    return body if body.endswith(CRLF) else body + CRLF


def bug_relaxed_trailing_kept(orig_s, orig_r, body):
    """relaxed without dropping trailing empty lines."""
    out = compress_whitespace(strip_trailing_whitespace(body))
    return out if not out or out.endswith(CRLF) else out + CRLF


def bug_final_crlf_dropped(orig, body):
    out = orig(body)
    assert out.endswith(CRLF) and out != CRLF
    return out[:-2]


def bug_relaxed_wsp_not_reduced(orig_s, orig_r, body):
    """relaxed without compress_whitespace (trailing WSP still stripped)."""
    return correct_empty_body(strip_trailing_lines(strip_trailing_whitespace(body)))


def bug_relaxed_eol_wsp_kept(orig_s, orig_r, body):
    """relaxed without strip_trailing_whitespace (runs still compressed)."""
    return correct_empty_body(strip_trailing_lines(compress_whitespace(body)))


LONE_CR = re.compile(rb'\r(?!\n)')


# ===================================================== message surgery ====

def dot_stuff(body):
    """RFC 5321 §4.5.2: a line that starts with '.' gets one more '.'."""
    return b'\n'.join(b'.' + ln if ln.startswith(b'.') else ln
                      for ln in body.split(b'\n'))


def dot_unstuff(body):
    return b'\n'.join(ln[1:] if ln.startswith(b'.') else ln
                      for ln in body.split(b'\n'))


MBOX_FROM = re.compile(rb'>*From ')


def mbox_quote(body):
    """mboxrd quoting: '>*From ' at a line start gets one more '>'."""
    return b'\n'.join(b'>' + ln if MBOX_FROM.match(ln) else ln
                      for ln in body.split(b'\n'))


def mbox_unquote(body):
    return b'\n'.join(ln[1:] if ln.startswith(b'>') and MBOX_FROM.match(ln) else ln
                      for ln in body.split(b'\n'))


def body_of(msg):
    """Body bytes: everything after the empty line ending the header."""
    i = msg.find(b'\r\n\r\n')
    return b'' if i < 0 else msg[i + 4:]


def with_body(msg, body):
    i = msg.find(b'\r\n\r\n')
    assert i >= 0
    return msg[:i + 4] + body


# ====================================================== the reference ====
#
# RFC 6376 §3.4.3 (simple) and §3.4.4 (relaxed), written on whole lines.
# A body is a list of complete lines (each ended by CRLF) plus a partial
# last line (no CRLF; often empty). Only CRLF ends a line: a lone CR or LF
# is data.

WSP_RUN = re.compile(rb'[ \t]+')
WSP_END = re.compile(rb'[ \t]+\Z')


def _lines(body):
    parts = body.split(CRLF)
    return parts[:-1], parts[-1]


def ref_simple(body, *, drop_trailing=True, empty_nothing=False,
               no_final=False, eol=CRLF):
    """§3.4.3: no change, except that CRLFs at the end of the body are
    reduced to one, and a body without content (or without a final CRLF)
    gets one CRLF."""
    complete, partial = _lines(body)
    lines = complete + ([partial] if partial else [])
    if drop_trailing:
        while lines and lines[-1] == b'':
            lines.pop()
    if not lines:
        # no content at all: one CRLF (or nothing, for the bug)
        return b'' if empty_nothing else eol
    out = b''.join(ln + eol for ln in lines)
    if no_final and any(lines):
        out = out[:-len(eol)]
    return out


def _relaxed_line(line, reduce=True, strip=True):
    if strip:
        line = WSP_END.sub(b'', line)
    if reduce:
        line = WSP_RUN.sub(b' ', line)
    return line


def ref_relaxed(body, *, reduce=True, strip=True, drop='canonical',
                empty_crlf=False, no_final=False, eol=CRLF):
    """§3.4.4: a. WSP at line ends removed, WSP runs reduced to one SP;
    b. empty lines at the end removed; a CRLF ends a non-empty body, an
    empty body stays empty. drop: 'canonical' (RFC: drop lines empty after
    step a), 'raw' (the bug: drop lines empty before step a), 'none'. A
    partial last line counts only if something is left of it after step a."""
    complete, partial = _lines(body)
    raw = list(complete)
    if _relaxed_line(partial, reduce, strip):
        raw.append(partial)
    if drop == 'raw':
        while raw and raw[-1] == b'':
            raw.pop()
    lines = [_relaxed_line(ln, reduce, strip) for ln in raw]
    if drop == 'canonical':
        while lines and lines[-1] == b'':
            lines.pop()
    if not lines:
        return eol if empty_crlf else b''
    out = b''.join(ln + eol for ln in lines)
    if no_final and any(lines):
        out = out[:-len(eol)]
    return out


def ref_canon(alg, body, **kw):
    return (ref_simple if alg == 'simple' else ref_relaxed)(body, **kw)


def other(alg):
    return 'relaxed' if alg == 'simple' else 'simple'


# The body catalogue: id -> (applies(sig), canonical bytes(sig, body), unlimited)
# Each entry is the rule the signer bent, in the order of src/forensics.c.
BODY_VARIANTS = [
    ('relaxed-empty-crlf', lambda s: s.bcanon == 'relaxed',
     lambda s, b: ref_relaxed(b, empty_crlf=True), False),
    ('simple-empty-nothing', lambda s: s.bcanon == 'simple',
     lambda s, b: ref_simple(b, empty_nothing=True), False),
    ('relaxed-wsp-lines-kept', lambda s: s.bcanon == 'relaxed',
     lambda s, b: ref_relaxed(b, drop='raw'), False),
    ('trailing-empty-lines-kept', lambda s: True,
     lambda s, b: (ref_simple(b, drop_trailing=False) if s.bcanon == 'simple'
                   else ref_relaxed(b, drop='none')), False),
    ('final-crlf-dropped', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, b, no_final=True), False),
    ('relaxed-wsp-not-reduced', lambda s: s.bcanon == 'relaxed',
     lambda s, b: ref_relaxed(b, reduce=False), False),
    ('relaxed-eol-wsp-kept', lambda s: s.bcanon == 'relaxed',
     lambda s, b: ref_relaxed(b, strip=False), False),
    ('other-body-canonicalization', lambda s: True,
     lambda s, b: ref_canon(other(s.bcanon), b), False),
    ('line-ends-converted-twice', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, b.replace(b'\n', b'\r\n')), False),
    ('lf-line-ends', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, b, eol=b'\n'), False),
    ('lone-cr-dropped', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, LONE_CR.sub(b'', b)), False),
    ('lone-cr-doubled', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, LONE_CR.sub(b'\r\r', b)), False),
    ('dot-stuffing-left-in', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, dot_unstuff(b)), False),
    ('dot-stuffed-when-signed', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, dot_stuff(b)), False),
    ('mbox-from-quoting-left-in', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, mbox_unquote(b)), False),
    ('mbox-from-quoted-when-signed', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, mbox_quote(b)), False),
    ('l-on-raw-bytes', lambda s: s.l is not None,
     lambda s, b: ref_canon(s.bcanon, b[:s.l]), True),
    ('l-zero-unlimited', lambda s: s.l == 0,
     lambda s, b: ref_canon(s.bcanon, b), True),
    # What rspamd retries on a mismatch (src/libserver/dkim.c: the body
    # hash context is copied after canonicalization and "\r\n" or "\n" is
    # fed to it): the line end comes AFTER the canonical body.
    ('crlf-appended', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, b) + CRLF, False),
    ('lf-appended', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, b) + b'\n', False),
]

BODY_IDS = [v[0] for v in BODY_VARIANTS]

CRLF_APPENDED_NOTE = (
    'crlf-appended / lf-appended are computed here as the canonical body '
    'followed by CRLF / LF (what a signer that adds a line end before hashing '
    'produces, and what rspamd retries: it copies the finished canonical body '
    'hash context and feeds "\\r\\n" or "\\n"). src/forensics.c instead feeds '
    'the line end to the canonicalizer as input (XF_APPEND_CRLF/LF); a CRLF '
    'appended to the input is absorbed by the end-of-body rules of both '
    'canonicalizations, so that reading can never differ from the RFC hash.')

# The same two ids as src/forensics.c reads them (line end appended to the
# input before canonicalization), for reporting the difference.
ALT_VARIANTS = [
    ('crlf-appended', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, b + CRLF), False),
    ('lf-appended', lambda s: True,
     lambda s, b: ref_canon(s.bcanon, b + b'\n'), False),
]


def _limit(sig, data, unlimited):
    return data if sig.l is None or unlimited else data[:sig.l]


def body_digest(sig, data):
    return hashlib.new(sig.hash, data).digest()


def body_findings(sig, body, variants=BODY_VARIANTS):
    found = []
    for vid, applies, fn, unlimited in variants:
        if applies(sig) and body_digest(sig, _limit(sig, fn(sig, body), unlimited)) == sig.bh:
            found.append(vid)
    return found


def prefix_search(sig, body):
    """The shortest prefix of the body, cut at a line end (or empty), whose
    RFC canonical form hashes to bh=: (signed bytes, appended bytes), or
    None. Only for signatures without l=."""
    if sig.l is not None:
        return None
    cuts = [0] + [m.end() for m in re.finditer(rb'\r\n', body)]
    for n in cuts:
        if body_digest(sig, ref_canon(sig.bcanon, body[:n])) == sig.bh:
            return n, len(body) - n
    return None


# ------------------------------------------------------------ headers ----

def hcanon(alg, raw, folded_space=False):
    """RFC 6376 §3.4.1/§3.4.2 for one field (raw, folding included, no
    final CRLF). folded_space: keep one SP after the colon when the value
    starts on a continuation line (the OpenDKIM <= 2.10.3 bug)."""
    if alg == 'simple':
        return raw
    name, value = raw.split(b':', 1)
    v = WSP_RUN.sub(b' ', value.replace(CRLF, b'')).strip(b' \t')
    if folded_space and re.match(rb'[ \t]*\r\n', value) and v:
        v = b' ' + v
    return name.rstrip(b' \t').lower() + b':' + v


def empty_b(raw):
    """The field with the value of its b= tag deleted (RFC 6376 §3.7)."""
    name, value = raw.split(b':', 1)
    specs = value.split(b';')
    for k, spec in enumerate(specs):
        if b'=' in spec and spec.split(b'=', 1)[0].strip(b' \t\r\n') == b'b':
            specs[k] = spec[:spec.index(b'=') + 1]
    return name + b':' + b';'.join(specs)


class Field:
    def __init__(self, idx, raw):
        self.idx = idx
        self.raw = raw                      # without the final CRLF
        self.name = raw.split(b':', 1)[0].rstrip(b' \t').lower() if b':' in raw else None


def parse_tags(value):
    tags = {}
    for spec in value.split(b';'):
        if not spec.strip():
            continue
        n, v = spec.split(b'=', 1)
        tags[n.strip(b' \t\r\n').decode()] = v
    return tags


def nows(v):
    return re.sub(rb'[ \t\r\n]+', b'', v)


class Sig:
    """One DKIM-Signature, AMS or AS."""

    def __init__(self, kind, index, field):
        self.kind, self.index, self.field = kind, index, field
        self.tags = parse_tags(field.raw.split(b':', 1)[1])
        t = self.tags
        self.alg = nows(t['a']).decode()
        self.hash = 'sha256' if self.alg.endswith('sha256') else 'sha1'
        self.d, self.s = nows(t['d']).decode(), nows(t['s']).decode()
        self.b = base64.b64decode(nows(t['b']))
        self.has_c = 'c' in t
        c = nows(t['c']).decode() if 'c' in t else 'simple/simple'
        self.hcanon, _, bc = c.partition('/')
        self.bcanon = bc or 'simple'
        if kind == 'as':
            self.hcanon = self.bcanon = 'relaxed'
        self.bh = base64.b64decode(nows(t['bh'])) if 'bh' in t else None
        self.h = [x.strip().lower() for x in nows(t['h']).split(b':')] if 'h' in t else []
        self.l = int(nows(t['l'])) if 'l' in t else None
        self.cv = nows(t.get('cv', b'')).decode().lower()
        self.instance = int(nows(t['i'])) if kind != 'dkim' else None


def header_data(sig, fields, *, canon=None, top_down=False, dedupe=False,
                reuse=False, self_crlf=False, keep_b=False, folded_space=False):
    """RFC 6376 §5.4.2: each h= name takes the last unused field of that
    name, bottom up; a name with none left contributes nothing; the
    signature field comes last, b= emptied, no CRLF (§3.7). The keyword
    arguments are the header bugs of the catalogue."""
    canon = canon or sig.hcanon
    used = set()
    order = list(fields) if top_down else list(reversed(fields))

    def pick(name, exclude):
        for f in order:
            if f.idx != sig.field.idx and f.idx not in exclude and f.name == name:
                return f
        return None
    out = b''
    for i, name in enumerate(sig.h):
        seen = name in sig.h[:i]
        if dedupe and seen:
            continue
        f = pick(name, used)
        if f is None and reuse and seen:
            f = pick(name, set())
        if f is None:
            continue
        used.add(f.idx)
        out += hcanon(canon, f.raw, folded_space) + CRLF
    own = sig.field.raw if keep_b else empty_b(sig.field.raw)
    out += hcanon(canon, own, folded_space)
    return out + (CRLF if self_crlf else b'')


def seal_data(sig, sets, *, descending=False, self_crlf=False, keep_b=False,
              folded_space=False):
    """RFC 8617 §5.1.1: ARC sets 1..i in increasing order, each AAR, AMS,
    AS, relaxed, CRLF-terminated; the seal itself last, b= emptied, no CRLF.
    §5.1.2: cv=fail covers only its own set. descending: sets newest first
    (the seal's own AAR and AMS first, its own field still last)."""
    i = sig.instance
    first = i if sig.cv == 'fail' else 1
    ks = list(range(first, i + 1))
    if descending:
        ks.reverse()
    out = b''
    for k in ks:
        st = sets[k]
        parts = [st['aar'], st['ams']] + ([st['as']] if k != i else [])
        for f in parts:
            out += hcanon('relaxed', f.raw) + CRLF
    own = sig.field.raw if keep_b else empty_b(sig.field.raw)
    out += hcanon('relaxed', own, folded_space)
    return out + (CRLF if self_crlf else b'')


HEADER_VARIANTS = [
    # id, applies(sig), kwargs (for header_data / seal_data)
    ('ams-missing-c-as-relaxed', lambda s: s.kind == 'ams' and not s.has_c,
     dict(canon='relaxed')),
    ('other-header-canonicalization',
     lambda s: s.kind == 'dkim' or (s.kind == 'ams' and s.has_c),
     lambda s: dict(canon=other(s.hcanon))),
    ('space-after-colon-kept', lambda s: s.hcanon == 'relaxed',
     dict(folded_space=True)),
    ('top-down-selection', lambda s: s.kind != 'as', dict(top_down=True)),
    ('h-deduplicated', lambda s: s.kind != 'as', dict(dedupe=True)),
    ('repeated-name-same-field', lambda s: s.kind != 'as', dict(reuse=True)),
    ('signature-field-with-crlf', lambda s: True, dict(self_crlf=True)),
    ('b-not-emptied', lambda s: True, dict(keep_b=True)),
    ('seal-sets-descending', lambda s: s.kind == 'as' and s.instance > 1,
     dict(descending=True)),
]
HEADER_IDS = [v[0] for v in HEADER_VARIANTS]


# ---------------------------------------------------------------- keys ----

DIGESTINFO = {
    'sha256': bytes.fromhex('3031300d060960864801650304020105000420'),
    'sha1': bytes.fromhex('3021300906052b0e03021a05000414'),
}


class Keys:
    def __init__(self, zone_file):
        self.zone = parse_zone(zone_file)

    def rsa(self, sig):
        recs = self.zone.get('%s._domainkey.%s' % (sig.s, sig.d))
        if not recs:
            return None
        tags = parse_tags(''.join(recs[0]).encode())
        p = base64.b64decode(nows(tags['p']))
        pk = dkim.crypto.parse_public_key(p)   # ASN.1 only
        return pk['modulus'], pk['publicExponent']

    def verify(self, sig, data):
        """RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2) by modular arithmetic."""
        key = self.rsa(sig)
        if key is None:
            return None
        n, e = key
        k = (n.bit_length() + 7) // 8
        s = int.from_bytes(sig.b, 'big')
        if len(sig.b) != k or s >= n:
            return False
        em = pow(s, e, n).to_bytes(k, 'big')
        t = DIGESTINFO[sig.hash] + hashlib.new(sig.hash, data).digest()
        return em == b'\x00\x01' + b'\xff' * (k - len(t) - 3) + b'\x00' + t


# ----------------------------------------------------------- analysis ----

KIND_OF = {b'dkim-signature': 'dkim', b'arc-message-signature': 'ams',
           b'arc-seal': 'as', b'arc-authentication-results': 'aar'}


def parse_message(msg):
    head, _ = split_message(msg)
    fields = [Field(i, f[:-2]) for i, f in enumerate(header_fields(head))]
    sigs, sets = [], {}
    ndkim = 0
    for f in fields:
        kind = KIND_OF.get(f.name)
        if kind == 'dkim':
            ndkim += 1
            sigs.append(Sig('dkim', ndkim, f))
        elif kind == 'aar':
            m = re.match(rb'\s*i\s*=\s*(\d+)\s*;', f.raw.split(b':', 1)[1])
            sets.setdefault(int(m.group(1)), {})['aar'] = f
        elif kind in ('ams', 'as'):
            s = Sig(kind, None, f)
            s.index = s.instance
            sets.setdefault(s.instance, {})[kind] = f
            sets[s.instance][kind + '_sig'] = s
            sigs.append(s)
    return fields, sigs, sets, body_of(msg)


class Result:
    def __init__(self, sig):
        self.sig = sig
        self.body_ok = None
        self.header_ok = None
        self.body = []          # body variant ids that reproduce bh=
        self.alt_body = []      # the same under src/forensics.c's reading of *-appended
        self.prefix = None
        self.header = []        # header variant ids under which b= verifies
        self.word = self.reason = None
        self.l_too_long = False


def analyze(msg, keys):
    """Every signature's verdict and forensic findings, by the reference."""
    fields, sigs, sets, body = parse_message(msg)
    results = []
    for s in sigs:
        r = Result(s)
        if s.kind != 'as':
            canon = ref_canon(s.bcanon, body)
            r.l_too_long = s.l is not None and s.l > len(canon)
            if s.l is not None:
                canon = canon[:s.l]
            r.body_ok = body_digest(s, canon) == s.bh
            r.header_ok = keys.verify(s, header_data(s, fields))
        else:
            r.header_ok = keys.verify(s, seal_data(s, sets))
        if r.body_ok is False:
            r.body = body_findings(s, body)
            r.alt_body = body_findings(s, body, ALT_VARIANTS)
            r.prefix = prefix_search(s, body)
        if r.header_ok is False:
            for vid, applies, kw in HEADER_VARIANTS:
                if not applies(s):
                    continue
                kw = kw(s) if callable(kw) else kw
                data = (seal_data(s, sets, **kw) if s.kind == 'as'
                        else header_data(s, fields, **kw))
                if keys.verify(s, data):
                    r.header.append(vid)
        if r.l_too_long:
            r.word, r.reason = 'fail', 'l= larger than the body'
        elif r.body_ok is False:
            r.word, r.reason = 'fail', 'body hash mismatch'
        elif r.header_ok is False:
            r.word, r.reason = 'fail', 'signature did not verify'
        else:
            r.word, r.reason = 'pass', 'signature verified'
        results.append(r)
    arc = None
    if sets:
        n = max(sets)
        newest = [r for r in results if r.sig.kind == 'ams' and r.sig.instance == n][0]
        seals = sorted((r for r in results if r.sig.kind == 'as'),
                       key=lambda r: -r.sig.instance)
        if newest.word != 'pass':
            arc = ('fail', 'the newest ARC-Message-Signature (i=%d) does not verify' % n)
        else:
            bad = [r for r in seals if r.word != 'pass']
            arc = (('fail', 'ARC-Seal i=%d does not verify' % bad[0].sig.instance)
                   if bad else ('pass', 'all %d ARC-Seals' % n))
    return results, arc, body


# ------------------------------------------------------ .expect lines ----

#: arcverify's stable reason codes (include/verdict.h) for the reference's reasons.
REASON_CODE = {'body hash mismatch': 'body-hash-mismatch', 'signature did not verify': 'sig-invalid',
               'signature verified': 'verified', 'l= larger than the body': 'length-exceeds-body'}


def arc_line(results, arc):
    """'arc RESULT CODE [CAUSE]': the chain code, and the code of the signature that decided it."""
    word, reason = arc
    if word == 'pass':
        return 'arc pass chain-verified'
    m = re.search(r'i=(\d+)', reason)
    kind = 'ams' if 'Message-Signature' in reason else 'as'
    cause = [r for r in results if r.sig.kind == kind and r.sig.instance == int(m.group(1))][0]
    code = 'arc-newest-ams-failed' if kind == 'ams' else 'arc-seal-failed'
    return 'arc fail %s %s' % (code, REASON_CODE[cause.reason])


def expect_lines(results, arc):
    """The directive lines the reference predicts, in .expect order: dkim, arc, ams, as, then
    forensic / prefix / header-forensic lines. Verdicts carry arcverify's reason codes."""
    out = []
    for r in results:
        if r.sig.kind == 'dkim':
            out.append('dkim %d %s %s' % (r.sig.index, r.word, REASON_CODE[r.reason]))
    if arc:
        out.append(arc_line(results, arc))
    for kind in ('ams', 'as'):
        for r in sorted((r for r in results if r.sig.kind == kind),
                        key=lambda r: r.sig.instance):
            out.append('%s %d %s %s' % (kind, r.sig.instance, r.word, REASON_CODE[r.reason]))
    for r in results:
        tgt = '%s %d' % (r.sig.kind, r.sig.index)
        if r.body_ok is False:
            for vid in r.body:
                out.append('forensic %s %s' % (tgt, vid))
            if r.prefix:
                out.append('prefix %s %d %d' % ((tgt,) + r.prefix))
            if not r.body and not r.prefix:
                out.append('forensic %s none' % tgt)
        if r.header_ok is False:
            for vid in r.header:
                out.append('header-forensic %s %s' % (tgt, vid))
            if not r.header:
                out.append('header-forensic %s none' % tgt)
    return out


def exit_status(results, arc):
    words = [r.word for r in results] + ([arc[0]] if arc else [])
    return 1 if any(w in ('fail', 'permerror') for w in words) else 0
