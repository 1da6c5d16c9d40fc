"""fixturelib: shared helpers for make-dkim-fixtures and crosscheck.py.

Run only with Debian's /usr/bin/python3 (python3-dkim = dkimpy 1.1.4 and
python3-nacl live there). Everything here is deterministic: keys come from
testdata/keys/, the signing time is fixed (T_SIGN), and both RSA PKCS#1 v1.5
and Ed25519 signatures are deterministic, so a re-run reproduces every file
byte for byte.
"""

import base64
import contextlib
import hashlib
import logging
import os
import re
import subprocess
import time

import dkim  # dkimpy 1.1.4 (Debian python3-dkim)

GEN = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(GEN)
KEYS = os.path.join(TESTDATA, 'keys')
DKIM_DIR = os.path.join(TESTDATA, 'dkim')
ZONE_FILE = os.path.join(TESTDATA, 'keys.zone')
PERL = '/usr/bin/perl'

#: Every fixture is signed "at" this time (2025-11-24 16:00:00 UTC) ...
T_SIGN = 1764000000
#: ... and, unless the case is about time, evaluated one hour later.
NOW = T_SIGN + 3600

# dkimpy logs verification problems at ERROR level; keep the generator quiet.
logging.getLogger('dkimpy').addHandler(logging.NullHandler())
logging.getLogger('dkimpy').propagate = False


@contextlib.contextmanager
def frozen_time(epoch):
    """Make time.time() (used by dkimpy for t= when signing and for the t=/x=
    checks when verifying) return a fixed epoch inside the block."""
    saved = time.time
    time.time = lambda: float(epoch)
    try:
        yield
    finally:
        time.time = saved


# ---------------------------------------------------------------- keys ----

def _openssl(*args, data=None):
    return subprocess.run(('openssl',) + args, input=data, check=True,
                          capture_output=True).stdout


def key_path(name):
    return os.path.join(KEYS, name + '.pem')


def rsa_private_pem(name):
    with open(key_path(name), 'rb') as f:
        return f.read()


def rsa_spki_b64(name):
    """p= value in the usual SubjectPublicKeyInfo form (RFC 6376 App. C)."""
    der = _openssl('pkey', '-in', key_path(name), '-pubout', '-outform', 'DER')
    return base64.b64encode(der).decode()


def rsa_pkcs1_b64(name):
    """p= value as a bare PKCS#1 RSAPublicKey (the literal text of §3.6.1)."""
    der = _openssl('rsa', '-in', key_path(name), '-RSAPublicKey_out',
                   '-outform', 'DER')
    return base64.b64encode(der).decode()


def ed25519_seed_b64(name='ed25519'):
    """The raw 32-byte private seed, base64: what dkimpy's sign() wants for
    ed25519-sha256 (nacl.signing.SigningKey with Base64Encoder)."""
    der = _openssl('pkey', '-in', key_path(name), '-outform', 'DER')
    assert len(der) == 48, 'unexpected PKCS#8 Ed25519 encoding'
    return base64.b64encode(der[-32:])


def ed25519_pub_b64(name='ed25519'):
    """p= value for k=ed25519: the raw 32-byte public key (RFC 8463 §4)."""
    der = _openssl('pkey', '-in', key_path(name), '-pubout', '-outform', 'DER')
    assert len(der) == 44, 'unexpected SPKI Ed25519 encoding'
    return base64.b64encode(der[-32:]).decode()


# The Ed25519 identity point (y = 1, x = 0), a key of order 1: [k]A is the
# identity for every k, so R = [S]B satisfies RFC 8032 §5.1.7's check
# [S]B = R + [k]A for every message. With S = 1, R is the base point B,
# encoded as 0x58 followed by 31 bytes 0x66 (RFC 8032 §5.1). No signer makes
# such a signature; it is written by this arithmetic. libsodium (so PyNaCl and
# dkimpy) refuses keys of small order; RFC 8032 does not.
SMALL_ORDER_PUB = bytes([1]) + bytes(31)
SMALL_ORDER_SIG = bytes([0x58]) + bytes([0x66]) * 31 + bytes([1]) + bytes(31)


def small_order_verdicts(digest):
    """(RFC 8032 through python3-cryptography's OpenSSL, libsodium through
    PyNaCl) for SMALL_ORDER_SIG over digest: True when it verifies."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    import nacl.exceptions
    import nacl.signing
    try:
        Ed25519PublicKey.from_public_bytes(SMALL_ORDER_PUB).verify(SMALL_ORDER_SIG, digest)
        rfc = True
    except InvalidSignature:
        rfc = False
    try:
        nacl.signing.VerifyKey(SMALL_ORDER_PUB).verify(digest, SMALL_ORDER_SIG)
        sodium = True
    except nacl.exceptions.BadSignatureError:
        sodium = False
    return rfc, sodium


# ---------------------------------------------------------------- zone ----

def split_txt(text, size=255):
    """Split a record into character-strings of at most `size` octets."""
    raw = text.encode()
    return [raw[i:i + size].decode() for i in range(0, len(raw), size)] or ['']


def zone_line(name, strings):
    quoted = ' '.join('"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')
                      for s in strings)
    return '%s. 3600 IN TXT %s' % (name, quoted)


def parse_zone(path=ZONE_FILE):
    """name (lower case, no trailing dot) -> list of records, each a list of
    character-strings. Handles the one-line form that keys.zone uses."""
    zone = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if not line.strip() or line.lstrip().startswith(';'):
                continue
            m = re.match(r'(\S+)\s+(?:\d+\s+)?(?:IN\s+)?TXT\s+(.*)$', line, re.I)
            if not m:
                raise ValueError('cannot parse zone line: %r' % line)
            strings = [re.sub(r'\\(.)', r'\1', s) for s in
                       re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))]
            zone.setdefault(m.group(1).lower().rstrip('.'), []).append(strings)
    return zone


def dkimpy_dnsfunc(zone):
    """A dnsfunc for dkimpy: the first TXT record's strings joined, or None
    (NXDOMAIN), as dkimpy's own get_txt does."""
    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        recs = zone.get(name.lower().rstrip('.'))
        if not recs:
            return None
        return ''.join(recs[0]).encode()
    return dnsfunc


# ------------------------------------------------------------- signing ----

def dkimpy_sign(msg, selector, domain, key, *, alg=b'rsa-sha256',
                canon=(b'relaxed', b'relaxed'), include_headers=None,
                identity=None, length=False, t=T_SIGN):
    """Sign with dkimpy's DKIM.sign() at time t; return the message with the
    new DKIM-Signature field prepended. `key` is a keys/ name."""
    if alg == b'ed25519-sha256':
        privkey = ed25519_seed_b64(key)
    else:
        privkey = rsa_private_pem(key)
    with frozen_time(t):
        d = dkim.DKIM(msg)
        sig = d.sign(selector.encode(), domain.encode(), privkey,
                     signature_algorithm=alg, identity=identity,
                     canonicalize=canon, include_headers=include_headers,
                     length=length)
    return sig + msg


def mdkim_sign(msg, selector, domain, key, *, alg='rsa-sha256',
               method='relaxed/relaxed', t=T_SIGN, expiration=None,
               identity=None, headers=None, query=None, tags=()):
    """Sign with Perl Mail::DKIM (gen/mdkim-sign.pl); return the message with
    the new DKIM-Signature field prepended."""
    cmd = [PERL, os.path.join(GEN, 'mdkim-sign.pl'), '--key', key_path(key),
           '--selector', selector, '--domain', domain, '--algorithm', alg,
           '--method', method, '--timestamp', str(t)]
    if expiration is not None:
        cmd += ['--expiration', str(expiration)]
    if identity is not None:
        cmd += ['--identity', identity]
    if headers is not None:
        cmd += ['--headers', headers]
    if query is not None:
        cmd += ['--query', query]
    for tag in tags:
        cmd += ['--tag', tag]
    sig = subprocess.run(cmd, input=msg, check=True, capture_output=True).stdout
    return sig + msg


# ------------------------------------------------------ message surgery ----

def split_message(msg):
    """(header block incl. its last CRLF, separator+body). No body => b''."""
    i = msg.find(b'\r\n\r\n')
    if i < 0:
        return msg, b''
    return msg[:i + 2], msg[i + 2:]


def header_fields(header_block):
    """Raw header fields (with folding and CRLF), in order."""
    fields = []
    for line in header_block.split(b'\r\n')[:-1]:
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1] += line + b'\r\n'
        else:
            fields.append(line + b'\r\n')
    return fields


def sig_field_span(msg, n=1):
    """(start, end) byte offsets of the n-th (1 = topmost) DKIM-Signature
    field, folding and final CRLF included."""
    head, _ = split_message(msg)
    pos, count = 0, 0
    for field in header_fields(head):
        if field.lower().startswith(b'dkim-signature:'):
            count += 1
            if count == n:
                return pos, pos + len(field)
        pos += len(field)
    raise ValueError('no DKIM-Signature number %d' % n)


def get_sig(msg, n=1):
    s, e = sig_field_span(msg, n)
    return msg[s:e]


def replace_sig(msg, new_field, n=1):
    s, e = sig_field_span(msg, n)
    return msg[:s] + new_field + msg[e:]


def sig_tags(field):
    """Tag specs of a raw DKIM-Signature field: list of (name, raw spec)."""
    value = field.split(b':', 1)[1]
    if value.endswith(b'\r\n'):
        value = value[:-2]
    specs = value.split(b';')
    return [(spec.split(b'=', 1)[0].strip().decode(), spec) for spec in specs]


def edit_sig_tags(msg, n=1, drop=(), edit=None, append=None):
    """Rewrite the tag-list of signature n: drop tags by name, apply
    edit(name, raw_spec) -> raw_spec, and append raw specs. Folding inside
    untouched specs is kept."""
    field = get_sig(msg, n)
    name, value = field.split(b':', 1)
    tail = b'\r\n' if value.endswith(b'\r\n') else b''
    specs = [s for s in value[:len(value) - len(tail)].split(b';')]
    out = []
    for spec in specs:
        tname = spec.split(b'=', 1)[0].strip().decode()
        if tname in drop:
            continue
        if edit is not None:
            spec = edit(tname, spec)
        out.append(spec)
    if append:
        out.extend(append)
    return replace_sig(msg, name + b':' + b';'.join(out) + tail, n)


def tag_value(field, tname):
    for name, spec in sig_tags(field):
        if name == tname:
            return re.sub(rb'\s+', b'', spec.split(b'=', 1)[1]).decode()
    return None


def body_hash(data, alg='sha256'):
    return base64.b64encode(hashlib.new(alg, data).digest()).decode()
