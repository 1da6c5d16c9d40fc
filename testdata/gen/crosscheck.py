#!/usr/bin/python3
"""crosscheck.py: verify every testdata/dkim fixture with two independent
verifiers and compare their results with the fixture's .expect file.

  * dkimpy 1.1.4: dkim.DKIM(msg, minkey=...).verify(idx=N-1, dnsfunc=...)
    with time.time() frozen at the fixture's `now` and keys from keys.zone;
  * Perl Mail::DKIM 1.20230212 (gen/mdkim-verify.pl): Mail::DKIM::Verifier
    with a resolver answering from keys.zone and time() frozen at `now`.
    Debian's Mail::DKIM has no Ed25519, so ed25519-sha256 signatures are
    skipped for it.

The .expect files follow RFC 6376/8301/8463. Both verifiers depart from those
RFCs in known ways (research/peers-and-quirks.md, testsuites/mail-dkim-corpus/
README.md); DEPARTURES below lists each one this corpus exercises, with the
result the verifier is expected to give instead. A verifier result that
matches neither the expectation nor a listed departure is a MISMATCH, and the
script exits 1. A listed departure that no longer happens is reported STALE.

Results are compared as RFC 8601 words (Mail::DKIM's "invalid" counts as
permerror). For "fail", the kind is compared too when the .expect names it:
"body hash mismatch" (dkimpy: body hash mismatch; Mail::DKIM: body has been
altered) versus "signature did not verify".

Usage: testdata/gen/crosscheck.py [-v] [FIXTURE...]
"""

import fnmatch
import glob
import logging
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ inside testdata/gen

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dkim  # noqa: E402
from dkim.canonicalization import CanonicalizationPolicy  # noqa: E402
from fixturelib import (DKIM_DIR, GEN, PERL, ZONE_FILE, body_hash,  # noqa: E402
                        dkimpy_dnsfunc, frozen_time, get_sig, header_fields,
                        parse_zone, split_message, tag_value)

# (verifier, fixture glob, signature number, result it gives, why) -- every
# way in which dkimpy or Mail::DKIM is known to depart from the RFC rules the
# .expect files follow. The result is a word, or "fail/body" / "fail/sig".
DEPARTURES = [
    # RFC 8301 §3.1: neither verifier rejects rsa-sha1 by default.
    ('dkimpy', '*alg-rsa-sha1', 1, 'pass', 'accepts rsa-sha1 (no RFC 8301 policy)'),
    ('mdkim', '*alg-rsa-sha1', 1, 'pass', 'accepts rsa-sha1 unless Strict'),
    # RFC 8301 §3.2: Mail::DKIM 1.20230212 has no minimum key size.
    ('mdkim', 'alg-rsa512', 1, 'pass', 'accepts 512-bit RSA keys'),
    # Key record tags that dkimpy ignores or compares wrongly.
    ('dkimpy', 'key-h-sha1-only', 1, 'pass', 'ignores key h='),
    ('dkimpy', 'key-t-s-subdomain', 1, 'pass', 'ignores key t=s'),
    ('dkimpy', 'key-t-ys-subdomain', 1, 'pass', 'ignores key t=s'),
    ('dkimpy', 'key-s-email-tlsrpt', 1, 'permerror',
     'compares s= as a whole string, not a colon list'),
    # PKCS#1 RSAPublicKey p=: Mail::DKIM only reads SubjectPublicKeyInfo.
    ('mdkim', 'key-pkcs1', 1, 'permerror', 'reads SubjectPublicKeyInfo p= only'),
    # t= in the future: Mail::DKIM does not check it.
    ('mdkim', 'sig-t-future', 1, 'pass', 'does not check t= against the clock'),
    # x= before t=: dkimpy's check is unreachable code (after a raise).
    ('dkimpy', 'sig-x-before-t', 1, 'pass', 'x < t check is dead code; x= within its 10 h slop'),
    ('mdkim', 'sig-x-expired', 1, 'permerror', 'expired signature is "invalid", not fail'),
    ('dkimpy', 'sig-x-expired', 1, 'permerror', 'raises ValidationError ("x= value is past")'),
    ('dkimpy', 'sig-t-future', 1, 'permerror', 'raises ValidationError ("t= value is in the future")'),
    # h= without From: neither verifier insists on From being signed.
    ('dkimpy', 'sig-h-no-from', 1, 'pass', 'does not require From in h='),
    ('mdkim', 'sig-h-no-from', 1, 'pass', 'does not require From in h='),
    # q= list with unknown methods: dkimpy wants exactly "dns/txt".
    ('dkimpy', 'sig-q-list', 1, 'permerror', 'requires q= to be exactly dns/txt'),
    # Mail::DKIM still accepts pre-RFC 4871 draft signatures, so it neither
    # insists on bh= and b= nor rejects a repeated tag: it goes on to the
    # crypto, which these edited signatures fail.
    ('mdkim', 'sig-missing-bh', 1, 'fail/sig', 'does not require bh='),
    ('mdkim', 'sig-missing-b', 1, 'fail/sig', 'does not require b='),
    ('mdkim', 'sig-duplicate-tag', 1, 'fail/sig', 'does not reject a repeated tag'),
]


def classify_expect(result, reason):
    if result == 'fail' and 'body hash mismatch' in reason:
        return 'fail/body'
    if result == 'fail' and 'signature did not verify' in reason:
        return 'fail/sig'
    return result


def matches(observed, wanted):
    """observed is fine-grained ('fail/body'); wanted may be coarse ('fail')."""
    return observed == wanted or observed.split('/')[0] == wanted


def parse_expect(path):
    exp = {'now': None, 'args': [], 'sigs': {}, 'exit': None}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            words = line.split()
            if words[0] == 'now':
                exp['now'] = int(words[1])
            elif words[0] == 'args':
                exp['args'] = words[1:]
            elif words[0] == 'dkim':
                exp['sigs'][int(words[1])] = (words[2], ' '.join(words[3:]))
            elif words[0] == 'exit':
                exp['exit'] = int(words[1])
            else:
                raise ValueError('%s: unknown directive %r' % (path, words[0]))
    return exp


def to_crlf(data):
    return re.sub(rb'(?<!\r)\n', b'\r\n', data)


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def run_dkimpy(eml, n, now, zone, minkey):
    """Verify signature n (1 = topmost) with dkimpy -> (result, detail)."""
    logger = logging.getLogger('dkimpy-crosscheck')
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    cap = Capture()
    logger.handlers = [cap]
    with frozen_time(now):
        try:
            d = dkim.DKIM(eml, logger=logger, minkey=minkey)
            ok = d.verify(idx=n - 1, dnsfunc=dkimpy_dnsfunc(zone))
        except dkim.ValidationError as e:
            msg = str(e)
            if msg.startswith('body hash mismatch'):
                return 'fail/body', msg
            return 'permerror', 'ValidationError: ' + msg
        except dkim.DKIMException as e:
            return 'permerror', '%s: %s' % (type(e).__name__, e)
    errors = [m for m in cap.messages if not m.startswith(('sig:', 'bh:'))
              and 'valid' not in m]
    if ok:
        return 'pass', 'verify() True'
    if errors:   # key problems are logged and verify() returns False
        return 'permerror', 'logged: ' + '; '.join(errors)[:150]
    return 'fail/sig', 'verify() False'


def dkimpy_stored_body(raw, n):
    """For --no-crlf: body hash of the bytes as stored (the body starts
    after the first empty line, LF LF), canonicalized by dkimpy's code for
    the signature's c= and hashed with its a=; only the body hash can be
    checked this way."""
    sep = re.search(rb'\r?\n\r?\n', raw)
    body = raw[sep.end():] if sep else b''
    field = get_sig(to_crlf(raw), n)
    c = (tag_value(field, 'c') or 'simple/simple').encode()
    policy = CanonicalizationPolicy.from_c_value(c)
    alg = tag_value(field, 'a').split('-')[1]
    got = body_hash(policy.canonicalize_body(body), alg)
    if got != tag_value(field, 'bh'):
        return 'fail/body', 'dkimpy canonicalization of stored body: bh %s' % got
    return 'pass', 'stored body matches bh= (header hash not checked)'


def count_signatures(crlf):
    head, _ = split_message(crlf)
    return sum(1 for f in header_fields(head)
               if f.lower().startswith(b'dkim-signature:'))


def exit_status(sigs):
    words = [r for r, _ in sigs.values()]
    if any(w in ('fail', 'permerror', 'policy', 'neutral') for w in words):
        return 1
    return 75 if 'temperror' in words else 0


def run_mdkim(eml, now):
    """Verify all signatures with Mail::DKIM -> {n: (result, detail)}."""
    out = subprocess.run([PERL, os.path.join(GEN, 'mdkim-verify.pl'),
                          '--zone', ZONE_FILE, '--now', str(now)],
                         input=eml, capture_output=True, check=True).stdout
    res = {}
    for line in out.decode().splitlines():
        n, word, detail = (line.split('\t') + ['', ''])[:3]
        if word == 'invalid':
            word = 'permerror'
        elif word == 'fail':
            word = 'fail/body' if 'body has been altered' in detail else 'fail/sig'
        res[int(n)] = (word, detail)
    return res


def judge(verifier, name, n, wanted, observed):
    if matches(observed, wanted):
        for v, pat, sn, _, why in DEPARTURES:
            if v == verifier and sn == n and fnmatch.fnmatch(name, pat):
                return 'STALE', 'listed departure did not happen: ' + why
        return 'agree', ''
    for v, pat, sn, res, why in DEPARTURES:
        if v == verifier and sn == n and fnmatch.fnmatch(name, pat) \
                and matches(observed, res):
            return 'known', why
    return 'MISMATCH', ''


def main():
    verbose = '-v' in sys.argv[1:]
    only = [a for a in sys.argv[1:] if a != '-v']
    zone = parse_zone()
    counts = {}
    problems = 0
    rows = []
    for path in sorted(glob.glob(os.path.join(DKIM_DIR, '*.expect'))):
        name = os.path.basename(path)[:-7]
        if only and name not in only:
            continue
        exp = parse_expect(path)
        with open(os.path.join(DKIM_DIR, name + '.eml'), 'rb') as f:
            raw = f.read()
        args = exp['args']
        minkey = int(args[args.index('--min-key-bits') + 1]) if '--min-key-bits' in args else 1024
        allow_sha1 = '--allow-sha1' in args
        no_crlf = '--no-crlf' in args
        crlf = to_crlf(raw)
        nsigs = count_signatures(crlf)
        if nsigs != len(exp['sigs']) or exp['exit'] != exit_status(exp['sigs']):
            rows.append((name, 0, '-', 'MISMATCH', '.expect inconsistent: %d signatures '
                         'in the message, %d dkim lines, exit %s' % (
                             nsigs, len(exp['sigs']), exp['exit'])))
            counts['MISMATCH'] = counts.get('MISMATCH', 0) + 1
            problems += 1
        mres = None if no_crlf else run_mdkim(crlf, exp['now'])
        if mres is not None and len(mres) != len(exp['sigs']):
            rows.append((name, 0, 'mdkim', 'MISMATCH', '%d signatures seen, %d expected'
                         % (len(mres), len(exp['sigs']))))
        for n, (result, reason) in sorted(exp['sigs'].items()):
            wanted = classify_expect(result, reason)
            alg = tag_value(get_sig(crlf, n), 'a') or ''
            for verifier in ('dkimpy', 'mdkim'):
                if no_crlf and verifier == 'mdkim':
                    status, obs, detail = 'n/a', '-', 'Mail::DKIM needs CRLF input'
                elif no_crlf:
                    # dkimpy's parser always rewrites LF to CRLF, so use its
                    # canonicalization directly on the stored body bytes.
                    obs, detail = dkimpy_stored_body(raw, n)
                    status, why = judge(verifier, name, n, wanted, obs)
                elif verifier == 'mdkim' and alg.startswith('ed25519'):
                    status, obs, detail = 'n/a', '-', 'no Ed25519 in Mail::DKIM 1.20230212'
                else:
                    if verifier == 'dkimpy':
                        obs, detail = run_dkimpy(raw, n, exp['now'], zone, minkey)
                    else:
                        obs, detail = mres.get(n, ('missing', 'signature not reported'))
                    w = wanted
                    if allow_sha1 and alg == 'rsa-sha1' and result == 'pass':
                        w = 'pass'
                    status, why = judge(verifier, name, n, w, obs)
                    if why:
                        detail = why + ' [' + detail + ']'
                counts[status] = counts.get(status, 0) + 1
                if status in ('MISMATCH', 'STALE'):
                    problems += 1
                rows.append((name, n, verifier, status,
                             'expect %s; got %s: %s' % (wanted, obs, detail)))
    width = max((len(r[0]) for r in rows), default=10)
    for name, n, verifier, status, text in rows:
        if verbose or status != 'agree':
            print('%-*s sig%d %-6s %-8s %s' % (width, name, n, verifier, status, text))
    print('summary: ' + ', '.join('%s %d' % kv for kv in sorted(counts.items())))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
