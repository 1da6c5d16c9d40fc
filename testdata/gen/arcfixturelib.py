"""arcfixturelib: helpers for make-arc-fixtures and arc-crosscheck.py.

Run only with Debian's /usr/bin/python3 (dkimpy 1.1.4, python3-authres and
python3-nacl live there). Builds on fixturelib (keys, zone lines, fixed
clock, message surgery) and adds:

  * the ARC key records (keys-arc.zone) and a dnsfunc over several zones;
  * FixtureARC, dkimpy's ARC sealer with small documented hooks (AMS
    canonicalization and c= tag, Ed25519 keys, edits of the AMS/AS tag
    lists before they are signed, an instance offset); dkimpy still
    canonicalizes, hashes, signs and folds;
  * mdkim_seal(), Perl Mail::DKIM's ARC signer through arc-mdkim-seal.pl;
  * rfc_arc_verify(), a small independent reading of RFC 8617 §5.2 (with
    RFC 6376 §3.5 defaults and RFC 8463 Ed25519) used to check every
    fixture while it is generated and again by arc-crosscheck.py. It uses
    dkimpy only for the canonicalization functions and ASN.1 key parsing;
    header selection, the seal's header data, RSA (plain modular
    arithmetic) and Ed25519 (python3-nacl) verification are its own.

Everything is deterministic: fixed keys, fixed timestamps, and RSA PKCS#1
v1.5 and Ed25519 signatures are deterministic.
"""

import base64
import contextlib
import hashlib
import os
import re
import subprocess

import dkim
import dkim.crypto
from dkim.canonicalization import CanonicalizationPolicy, Relaxed, Simple
import nacl.exceptions
import nacl.signing

from fixturelib import (GEN, PERL, TESTDATA, ed25519_pub_b64, ed25519_seed_b64,
                        header_fields, key_path, parse_zone, rsa_private_pem,
                        rsa_spki_b64, split_message, split_txt, zone_line)

ARC_DIR = os.path.join(TESTDATA, 'arc')
ARC_ZONE_FILE = os.path.join(TESTDATA, 'keys-arc.zone')
DKIM_ZONE_FILE = os.path.join(TESTDATA, 'keys.zone')
CRLF = b'\r\n'

#: RFC 8617 §4.2.1: at most 50 ARC sets.
ARC_MAX = 50


# ================================================================ keys ====

def is_ed25519(key):
    return 'ed25519' in key


def key_record(key):
    """TXT record text for a keys/ name: SPKI for RSA, raw key for Ed25519."""
    if is_ed25519(key):
        return 'v=DKIM1; k=ed25519; p=' + ed25519_pub_b64(key)
    return 'v=DKIM1; k=rsa; p=' + rsa_spki_b64(key)


def multi_dnsfunc(zones):
    """A dkimpy dnsfunc over several parsed zones (first match wins)."""
    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        key = name.lower().rstrip('.')
        for zone in zones:
            recs = zone.get(key)
            if recs:
                return ''.join(recs[0]).encode()
        return None
    return dnsfunc


def load_zones():
    """Both zone files, parsed (keys.zone for DKIM fixtures, keys-arc.zone)."""
    zones = [parse_zone(ARC_ZONE_FILE)]
    if os.path.exists(DKIM_ZONE_FILE):
        zones.append(parse_zone(DKIM_ZONE_FILE))
    return zones


def write_zone(path, records, header_lines):
    """records: {owner name: (text, comment)}; written sorted by name."""
    lines = list(header_lines) + ['']
    for name in sorted(records):
        text, comment = records[name]
        lines.append('; ' + comment)
        lines.append(zone_line(name, split_txt(text)))
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write('\n'.join(lines) + '\n')


# ========================================================= dkimpy sealer ===

@contextlib.contextmanager
def nacl_keys_accepted():
    """dkimpy's ARC.sign() runs every key through parse_pem_private_key(),
    which only knows RSA PEM. Let a python3-nacl SigningKey through
    unchanged; gen_header() then signs with it exactly as dkimpy's DKIM
    signer does for ed25519-sha256: pk.sign(sha256(header data).digest())
    (RFC 8463 §3)."""
    saved = dkim.parse_pem_private_key

    def parse(data):
        if isinstance(data, nacl.signing.SigningKey):
            return data
        return saved(data)
    dkim.parse_pem_private_key = parse
    try:
        yield
    finally:
        dkim.parse_pem_private_key = saved


def private_key(key):
    if is_ed25519(key):
        return nacl.signing.SigningKey(base64.b64decode(ed25519_seed_b64(key)))
    return rsa_private_pem(key)


class FixtureARC(dkim.ARC):
    """dkimpy's ARC sealer (dkim.ARC.sign, 1.1.4) with hooks.

    dkimpy hard-codes the AMS as c=relaxed/relaxed (ARC.sign computes bh=
    with relaxed body canonicalization, writes c=relaxed/relaxed, and passes
    one relaxed policy to gen_header() for both the AMS and the AS), and
    dkim.arc_sign() forces a=rsa-sha256. The only method overridden here is
    gen_header(), called once for the AMS and once for the AS; for the AMS
    it swaps in the wanted canonicalization policy, recomputes bh= with that
    policy's body canonicalization and writes the matching c= (or none),
    then lets dkimpy hash, sign and fold as usual. The AS keeps dkimpy's
    relaxed policy (RFC 8617 §4.1.3: the AS is always relaxed).

    ams_edit / as_edit: functions fields -> fields applied to the tag list
    before signing (so the signature covers the edit): used to break one
    RFC 8617 rule while keeping the signature valid, each use documented in
    the fixture. instance_offset: pretend the chain has that many more sets,
    so the new set gets a higher i= (an instance gap). signature_algorithm
    b'ed25519-sha256' with a nacl key (see nacl_keys_accepted) seals with
    Ed25519; dkimpy's gen_header() already has that branch.
    """

    def __init__(self, message, *, ams_canon=(b'relaxed', b'relaxed'),
                 c_tag=True, ams_edit=None, as_edit=None, instance_offset=0,
                 **kw):
        super().__init__(message, **kw)
        self.ams_canon = ams_canon
        self.c_tag = c_tag
        self.ams_edit = ams_edit
        self.as_edit = as_edit
        self.instance_offset = instance_offset

    def sorted_arc_headers(self):
        top, headers = super().sorted_arc_headers()
        return top + self.instance_offset, headers

    def gen_header(self, fields, include_headers, canon_policy, header_name,
                   pk, standardize=False):
        fields = list(fields)
        if header_name == b'ARC-Message-Signature':
            canon_policy = CanonicalizationPolicy.from_c_value(b'/'.join(self.ams_canon))
            h = self.hasher()
            h.update(canon_policy.canonicalize_body(self.body))
            bh = base64.b64encode(h.digest())
            out = []
            for tag, value in fields:
                if tag == b'bh':
                    value = bh
                if tag == b'c':
                    if not self.c_tag:
                        continue
                    value = b'/'.join(self.ams_canon)
                out.append((tag, value))
            fields = out
            if self.ams_edit:
                fields = self.ams_edit(fields)
        elif header_name == b'ARC-Seal' and self.as_edit:
            fields = self.as_edit(fields)
        return super().gen_header(fields, include_headers, canon_policy,
                                  header_name, pk, standardize)


def dkimpy_seal(msg, selector, domain, key, srv_id, *, timestamp,
                include_headers=None, **hooks):
    """Seal with dkimpy; return the ARC set fields (AS, AMS, AAR) as bytes,
    each CRLF-terminated, ready to prepend. Uses ARC.sign() directly (what
    dkim.arc_sign() wraps) so that a= can be ed25519-sha256."""
    alg = b'ed25519-sha256' if is_ed25519(key) else b'rsa-sha256'
    with nacl_keys_accepted():
        a = FixtureARC(msg, signature_algorithm=alg, **hooks)
        if not include_headers:
            include_headers = a.default_sign_headers()
        fields = a.sign(selector.encode(), domain.encode(), private_key(key),
                        srv_id.encode(), include_headers=include_headers,
                        timestamp=timestamp)
    if not fields:
        raise RuntimeError('dkimpy added no ARC set (no usable A-R for %s?)' % srv_id)
    return b''.join(fields)


def mdkim_seal(msg, selector, domain, key, srv_id, *, timestamp, chain='ar',
               headers=None):
    """Seal with Perl Mail::DKIM (gen/arc-mdkim-seal.pl); return AS, AMS,
    AAR, CRLF-terminated, ready to prepend."""
    cmd = [PERL, os.path.join(GEN, 'arc-mdkim-seal.pl'), '--key', key_path(key),
           '--selector', selector, '--domain', domain, '--srvid', srv_id,
           '--timestamp', str(timestamp), '--chain', chain]
    if headers:
        cmd += ['--headers', headers]
    return subprocess.run(cmd, input=msg, check=True, capture_output=True).stdout


# ===================================================== message surgery ====

def fields_of(msg):
    """[(name, raw field incl. folding and CRLF)] of the header, in order."""
    head, _ = split_message(msg)
    return [(f.split(b':', 1)[0], f) for f in header_fields(head)]


def body_of(msg):
    _, rest = split_message(msg)
    return rest[2:] if rest.startswith(CRLF) else b''


def rebuild(fields, msg):
    """Message from raw fields plus the body part of msg."""
    _, rest = split_message(msg)
    return b''.join(f for _, f in fields) + rest


KIND = {b'arc-authentication-results': 'aar', b'arc-message-signature': 'ams',
        b'arc-seal': 'as'}


def arc_instance(kind, raw):
    value = raw.split(b':', 1)[1]
    if kind == 'aar':
        m = re.match(rb'\s*i\s*=\s*(\d+)\s*;', value)
    else:
        m = re.search(rb'(?:^|;)\s*i\s*=\s*(\d+)\s*(?:;|$)', value.replace(CRLF, b''))
    return int(m.group(1)) if m else 0


def find_arc(msg, kind, instance, nth=1):
    """Index (in fields_of) of the nth field of that kind and instance."""
    seen = 0
    for idx, (name, raw) in enumerate(fields_of(msg)):
        if KIND.get(name.lower()) == kind and arc_instance(kind, raw) == instance:
            seen += 1
            if seen == nth:
                return idx
    raise ValueError('no %s i=%d' % (kind, instance))


def drop_arc(msg, kind, instance):
    fields = fields_of(msg)
    del fields[find_arc(msg, kind, instance)]
    return rebuild(fields, msg)


def edit_arc(msg, kind, instance, fn):
    """Replace the raw field with fn(raw)."""
    fields = fields_of(msg)
    idx = find_arc(msg, kind, instance)
    new = fn(fields[idx][1])
    assert new != fields[idx][1], 'edit changed nothing'
    fields[idx] = (fields[idx][0], new)
    return rebuild(fields, msg)


def duplicate_arc(msg, kind, instance):
    """Insert a verbatim copy of the field right below itself."""
    fields = fields_of(msg)
    idx = find_arc(msg, kind, instance)
    fields.insert(idx + 1, fields[idx])
    return rebuild(fields, msg)


def flip_b(raw):
    """Change one base64 character in the middle of the b= value."""
    m = re.search(rb'(?:^|;)\s*b\s*=', raw.split(b':', 1)[1])
    start = len(raw.split(b':', 1)[0]) + 1 + m.end()
    pos = start + 40
    while raw[pos:pos + 1] in (b' ', b'\t', b'\r', b'\n'):
        pos += 1
    c = raw[pos:pos + 1]
    return raw[:pos] + (b'B' if c != b'B' else b'C') + raw[pos + 1:]


def tag_edit(tag, value):
    """An ams_edit/as_edit hook: set tag (bytes) to value, appending it
    before b= when absent."""
    def edit(fields):
        out, done = [], False
        for t, v in fields:
            if t == tag:
                v, done = value, True
            if t == b'b' and not done:
                out.append((tag, value))
                done = True
            out.append((t, v))
        return out
    return edit


# ============================================= independent RFC 8617 check ==

def parse_tags(value):
    """RFC 6376 §3.2 tag-list -> {name: value}, folding removed and
    surrounding WSP stripped (WSP inside b=/bh= is removed by the caller);
    raises ValueError on a duplicate or malformed tag-spec."""
    tags = {}
    specs = value.replace(CRLF, b'').split(b';')
    if specs and not specs[-1].strip():
        specs = specs[:-1]
    for spec in specs:
        if b'=' not in spec:
            raise ValueError('malformed tag-spec %r' % spec.strip())
        name, val = spec.split(b'=', 1)
        name = name.strip().decode()
        if name in tags:
            raise ValueError('duplicate tag %s' % name)
        tags[name] = val.strip(b' \t')
    return tags


def empty_b(name, value):
    """The field with the b= value deleted (RFC 6376 §3.7): the tag-spec
    whose name is b keeps 'b=' and loses its value and the FWS around it."""
    out = []
    for spec in value.split(b';'):
        if spec.split(b'=', 1)[0].strip(b' \t\r\n') == b'b' and b'=' in spec:
            spec = spec.split(b'=', 1)[0] + b'='
        out.append(spec)
    return name, b';'.join(out)


def canon_header(algo, name, value):
    """One canonicalized header field, CRLF-terminated (dkimpy's code)."""
    [(n, v)] = (Relaxed if algo == b'relaxed' else Simple).canonicalize_headers([(name, value)])
    return n + b':' + v


def select_fields(fields, names):
    """RFC 6376 §5.4.2: for each name in h=, the next instance from the
    bottom not yet used; a name with no instance left selects nothing."""
    used = {}
    out = []
    for want in names:
        start = used.get(want, len(fields))
        i = start - 1
        while i >= 0 and fields[i][0].lower() != want:
            i -= 1
        used[want] = i if i >= 0 else 0
        if i >= 0:
            out.append(fields[i])
    return out


_DIGESTINFO_SHA256 = bytes.fromhex('3031300d060960864801650304020105000420')


def key_lookup(zones, selector, domain):
    name = '%s._domainkey.%s' % (selector, domain)
    for zone in zones:
        recs = zone.get(name.lower())
        if recs:
            return name, ''.join(recs[0])
    return name, None


def verify_crypto(zones, tags, data):
    """Verify b= over the header data with the key of s=/d= ->
    (result, reason) in arcverify's vocabulary."""
    name, rec = key_lookup(zones, tags['s'].decode(), tags['d'].decode())
    if rec is None:
        return 'permerror', 'no key for %s' % name
    ktags = {k.strip(): v.strip() for k, v in
             (s.split('=', 1) for s in rec.split(';') if '=' in s)}
    p = base64.b64decode(re.sub(r'\s+', '', ktags.get('p', '')))
    sig = base64.b64decode(re.sub(rb'\s+', b'', tags['b']))
    digest = hashlib.sha256(data).digest()
    alg = tags['a'].decode()
    if ktags.get('k', 'rsa') == 'ed25519' and alg == 'ed25519-sha256':
        try:
            nacl.signing.VerifyKey(p).verify(digest, sig)
            return 'pass', 'signature verified'
        except nacl.exceptions.BadSignatureError:
            return 'fail', 'signature did not verify'
    if ktags.get('k', 'rsa') == 'rsa' and alg == 'rsa-sha256':
        pk = dkim.crypto.parse_public_key(p)
        n, e = pk['modulus'], pk['publicExponent']
        if n.bit_length() < 1024:
            return 'permerror', 'key too small (%d bits)' % n.bit_length()
        k = (n.bit_length() + 7) // 8
        em = pow(int.from_bytes(sig, 'big'), e, n).to_bytes(k, 'big')
        t = _DIGESTINFO_SHA256 + digest
        want = b'\x00\x01' + b'\xff' * (k - len(t) - 3) + b'\x00' + t
        if em == want:
            return 'pass', 'signature verified'
        return 'fail', 'signature did not verify'
    return 'permerror', 'key type %s cannot verify a=%s' % (ktags.get('k'), alg)


def verify_ams(fields, body, raw, zones):
    """An ARC-Message-Signature with DKIM-Signature semantics (RFC 8617
    §4.1.2): c= defaults to simple/simple (RFC 6376 §3.5)."""
    name, value = raw.split(b':', 1)
    try:
        tags = parse_tags(value)
    except ValueError as e:
        return 'permerror', str(e)
    for req in ('i', 'a', 'b', 'bh', 'd', 'h', 's'):
        if req not in tags:
            return 'permerror', 'missing required tag ' + req
    if tags['a'] not in (b'rsa-sha256', b'ed25519-sha256'):
        return 'permerror', 'unknown algorithm'
    c = tags.get('c', b'simple/simple').split(b'/')
    hc, bc = c[0], (c[1] if len(c) > 1 else b'simple')
    cbody = (Relaxed if bc == b'relaxed' else Simple).canonicalize_body(body)
    bh = base64.b64encode(hashlib.sha256(cbody).digest())
    if bh != re.sub(rb'\s+', b'', tags['bh']):
        return 'fail', 'body hash mismatch'
    names = [h.strip().lower() for h in tags['h'].split(b':')]
    split = [(n, f[len(n) + 1:]) for n, f in fields]
    data = b''.join(canon_header(hc, n, v) for n, v in select_fields(split, names))
    data += canon_header(hc, *empty_b(name, value)).rstrip(b'\r\n')
    return verify_crypto(zones, tags, data)


def verify_seal(sets, i, zones):
    """ARC-Seal i (RFC 8617 §5.1.1): relaxed AAR, AMS, AS of sets 1..i in
    order, the seal itself last with b= emptied; a cv=fail seal covers its
    own set only (§5.1.2)."""
    raw = sets[i]['as'][0]
    name, value = raw.split(b':', 1)
    try:
        tags = parse_tags(value)
    except ValueError as e:
        return 'permerror', str(e)
    for req in ('i', 'a', 'b', 'cv', 'd', 's'):
        if req not in tags:
            return 'permerror', 'missing required tag ' + req
    if tags['a'] not in (b'rsa-sha256', b'ed25519-sha256'):
        return 'permerror', 'unknown algorithm'
    scope = [i] if tags['cv'].lower() == b'fail' else range(1, i + 1)
    data = b''
    for j in scope:
        for kind in ('aar', 'ams', 'as'):
            if j == i and kind == 'as':
                continue
            f = sets[j][kind][0]
            data += canon_header(b'relaxed', *f.split(b':', 1))
    data += canon_header(b'relaxed', *empty_b(name, value)).rstrip(b'\r\n')
    return verify_crypto(zones, tags, data)


def rfc_arc_verify(msg, zones):
    """RFC 8617 §5.2 -> dict(chain, reason, oldest_pass, ams={i: (res,
    why)}, seal={i: (res, why)}). Every AMS and AS present is verified (as
    arcverify does); a seal whose sets 1..i are not all complete and unique
    cannot be computed and is left out. Reasons use arcverify's words."""
    fields = fields_of(msg)
    body = body_of(msg)
    sets = {}
    out = dict(chain='none', reason='no ARC header fields', oldest_pass=None,
               ams={}, seal={})
    beyond = None
    count = 0
    for name, raw in fields:
        kind = KIND.get(name.lower())
        if not kind:
            continue
        count += 1
        i = arc_instance(kind, raw)
        if i > ARC_MAX:
            beyond = beyond or (kind, i)
            continue
        sets.setdefault(i, {'aar': [], 'ams': [], 'as': []})[kind].append(raw)
    if not count:
        return out
    top = max(sets) if sets else 0
    complete = {i: i in sets and all(len(sets[i][k]) == 1 for k in ('aar', 'ams', 'as'))
                for i in range(1, top + 1)}
    for i in range(1, top + 1):
        if i in sets and sets[i]['ams']:
            out['ams'][i] = verify_ams(fields, body, sets[i]['ams'][0], zones)
        if all(complete[j] for j in range(1, i + 1)):
            out['seal'][i] = verify_seal(sets, i, zones)

    def fail(reason):
        out['chain'], out['reason'] = 'fail', reason
        return out
    # Step 2: structure (first problem found decides, in arcverify's order).
    if 0 in sets:
        return fail('an ARC field has no valid i= instance tag')
    if beyond:
        return fail('%s i=%d is beyond the limit of %d' % (beyond[0], beyond[1], ARC_MAX))
    names = {'aar': 'ARC-Authentication-Results', 'ams': 'ARC-Message-Signature',
             'as': 'ARC-Seal'}
    for i in range(1, top + 1):
        for kind in ('aar', 'ams', 'as'):
            n = len(sets.get(i, {}).get(kind, []))
            if n == 0:
                return fail('ARC set i=%d has no %s' % (i, names[kind]))
            if n > 1:
                return fail('ARC set i=%d has %d %s fields' % (i, n, names[kind]))
    seal_tags = {i: parse_tags(sets[i]['as'][0].split(b':', 1)[1]) for i in sets}
    if seal_tags[top].get('cv', b'').lower() == b'fail':
        return fail('ARC-Seal i=%d says cv=fail' % top)
    for i in range(1, top + 1):
        want = b'none' if i == 1 else b'pass'
        if seal_tags[i].get('cv', b'').lower() != want:
            return fail('ARC-Seal i=%d has cv=%s; instance %d must say cv=%s'
                        % (i, seal_tags[i].get('cv', b'').decode(), i, want.decode()))
        if 'h' in seal_tags[i]:
            return fail('ARC-Seal i=%d has an h= tag' % i)
        ams_h = parse_tags(sets[i]['ams'][0].split(b':', 1)[1]).get('h', b'')
        if b'arc-seal' in [h.strip().lower() for h in ams_h.split(b':')]:
            return fail('ARC-Message-Signature i=%d signs ARC-Seal' % i)
    # Step 3: the newest AMS.
    if out['ams'][top][0] != 'pass':
        return fail('the newest ARC-Message-Signature (i=%d) does not verify' % top)
    # Step 5 (newest first): every AS.
    for i in range(top, 0, -1):
        if out['seal'][i][0] != 'pass':
            return fail('ARC-Seal i=%d does not verify' % i)
    # Step 4: oldest-pass, 0 when every AMS validates.
    oldest = 0
    for i in range(top - 1, 0, -1):
        if out['ams'][i][0] != 'pass':
            oldest = i + 1
            break
    out.update(chain='pass', reason='all seals and the newest AMS verify',
               oldest_pass=oldest)
    return out
