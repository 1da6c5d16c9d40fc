#!/usr/bin/python3
"""arc-crosscheck.py: run every testdata/arc fixture through three ARC
verifiers and compare them with the fixture's .expect file.

  * rfc     arcfixturelib.rfc_arc_verify(): the independent RFC 8617 reading
            the generator asserts against (own header selection and seal
            input, RSA by modular arithmetic, Ed25519 by python3-nacl over
            SHA-256 of the header data, RFC 8463 §3). It must agree on the
            chain result, its reason, oldest-pass and every AMS/AS line.
  * dkimpy  dkim.arc_verify() (Debian python3-dkim 1.1.4): the chain result,
            and the per-instance ams-valid/as-valid it returns when it got
            that far (it stops at the first structural error).
  * mdkim   Mail::DKIM::ARC::Verifier (Debian 1.20230212) with Strict => 1,
            through gen/arc-mdkim-verify.pl: the chain result and the result
            of every AMS and AS.

All three answer key queries from keys.zone and keys-arc.zone with the clock
frozen at the fixture's `now`. dkimpy also re-verifies every DKIM-Signature.

The .expect files follow RFC 8617 (RFC 6376 §3.5 defaults, RFC 8301, RFC
8463). dkimpy and Mail::DKIM depart from it in known ways; DEPARTURES lists
each departure this corpus exercises. A result that matches neither the
expectation nor a listed departure is a MISMATCH, and the script exits 1; a
listed departure that no longer happens is STALE.

Result words: pass, fail, permerror, none, and 'no-result' for dkimpy's
None chain status. Mail::DKIM's 'invalid' counts as permerror.

Usage: testdata/gen/arc-crosscheck.py [-v] [FIXTURE...]
"""

import fnmatch
import glob
import logging
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ inside testdata/gen

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dkim  # noqa: E402
from fixturelib import GEN, PERL, frozen_time  # noqa: E402
from arcfixturelib import (ARC_DIR, ARC_ZONE_FILE, DKIM_ZONE_FILE,  # noqa: E402
                           fields_of, load_zones, multi_dnsfunc, rfc_arc_verify)

logging.getLogger('dkimpy').addHandler(logging.NullHandler())
logging.getLogger('dkimpy').propagate = False

# (verifier, fixture glob, line, result it gives instead, why). line is
# 'arc', 'ams N' or 'as N'.
DEPARTURES = [
    # --- dkimpy 1.1.4 -----------------------------------------------------
    ('dkimpy', '*cv-fail', 'arc', 'no-result',
     'newest seal says cv=fail: returns cv None ("ARC-Seal[2] reported failure, the chain '
     'is terminated"), not fail'),
    ('dkimpy', '*cv-fail', 'as 2', 'fail',
     'computes every seal over sets 1..i, also a cv=fail seal, which covers only its own '
     'set (RFC 8617 §5.1.2): it rejects the cv=fail seals both sealers make'),
    ('dkimpy', 'ed25519-*', 'arc', 'fail',
     'its ARC verifier knows rsa-sha256 only (ARC_HASH_ALGORITHMS): "unknown signature '
     'algorithm: ed25519-sha256" ends the validation'),
    ('dkimpy', 'ams-no-c-relaxed', 'arc', 'pass', 'reads a missing AMS c= as relaxed/relaxed'),
    ('dkimpy', 'ams-no-c-relaxed*', 'ams 1', 'pass', 'reads a missing AMS c= as relaxed/relaxed'),
    ('dkimpy', 'ams-no-c-simple', 'arc', 'fail',
     'reads a missing AMS c= as relaxed/relaxed, so the simple-signed AMS fails'),
    ('dkimpy', 'ams-no-c-simple', 'ams 1', 'fail', 'reads a missing AMS c= as relaxed/relaxed'),
    ('dkimpy', 'chain-51hop', 'arc', 'pass',
     'enforces the 50-set limit only when sealing, not when verifying'),
    # --- Mail::DKIM 1.20230212, Strict ------------------------------------
    ('mdkim', '*cv-fail', 'as 2', 'fail',
     'computes every seal over sets 1..i (it verifies with Chain => pass), also a cv=fail '
     'seal, which covers only its own set (§5.1.2): it rejects its own cv=fail seals'),
    ('mdkim', 'ed25519-2hop', '* 2', 'permerror',
     'no Ed25519 before 1.20230630: "invalid (unsupported algorithm ed25519-sha256)"'),
    ('mdkim', 'ed25519-mixed-3hop', '* [13]', 'permerror',
     'no Ed25519 before 1.20230630: "invalid (unsupported algorithm ed25519-sha256)"'),
    ('mdkim', 'ed25519-mixed-3hop', 'arc', 'fail',
     'an unusable seal is dropped, not kept: seal 1 is then "missing ARC-Seal 1"'),
    ('mdkim', 'key-missing-as1', 'arc', 'permerror',
     'a seal without a key makes the chain "invalid", not fail'),
    ('mdkim', 'key-missing-ams2', 'arc', 'permerror',
     'a newest AMS without a key makes the chain "invalid", not fail'),
    ('mdkim', 'key-too-small', '* 1', 'fail',
     'Strict rejects the 512-bit key as a signature failure ("Key length 512 too short"), '
     'not permerror'),
    ('mdkim', 'chain-51hop', 'arc', 'pass', 'no 50-set limit (added in 1.20240124)'),
    ('mdkim', 'struct-as-h-tag', 'arc', 'pass', 'does not reject an ARC-Seal with h='),
    ('mdkim', 'struct-ams-signs-as', 'ams 2', 'fail',
     'reports the AMS that signs ARC-Seal as a failed signature ("Arc-Message-Signature '
     'covers Arc-Seal"); the chain fails either way'),
]


def parse_expect(path):
    exp = {'now': None, 'args': [], 'lines': [], 'exit': None}
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
            elif words[0] == 'exit':
                exp['exit'] = int(words[1])
            elif words[0] in ('arc', 'oldest-pass'):
                exp['lines'].append((words[0], words[1], ' '.join(words[2:])))
            elif words[0] in ('ams', 'as', 'dkim'):
                exp['lines'].append(('%s %s' % (words[0], words[1]), words[2], ' '.join(words[3:])))
            else:
                raise ValueError('%s: unknown directive %r' % (path, words[0]))
    return exp


def run_rfc(eml, zones):
    got = rfc_arc_verify(eml, zones)
    res = {'arc': (got['chain'], got['reason']),
           'oldest-pass': (str(got['oldest_pass']), '')}
    for i, r in got['ams'].items():
        res['ams %d' % i] = r
    for i, r in got['seal'].items():
        res['as %d' % i] = r
    return res


def run_dkimpy(eml, now, zones):
    """Chain word and per-instance words from dkim.arc_verify."""
    with frozen_time(now):
        cv, results, reason = dkim.arc_verify(eml, dnsfunc=multi_dnsfunc(zones))
    word = {b'pass': 'pass', b'fail': 'fail', b'none': 'none'}.get(cv, 'no-result')
    res = {'arc': (word, reason)}
    for r in results:
        i = r['instance']
        res['ams %d' % i] = ('pass' if r.get('ams-valid') else 'fail', 'ams-valid')
        res['as %d' % i] = ('pass' if r.get('as-valid') else 'fail', 'as-valid')
    # DKIM-Signatures, each by index.
    n = sum(1 for name, _ in fields_of(eml) if name.lower() == b'dkim-signature')
    for idx in range(n):
        with frozen_time(now):
            try:
                ok = dkim.DKIM(eml).verify(idx=idx, dnsfunc=multi_dnsfunc(zones))
                w = 'pass' if ok else 'fail'
            except dkim.ValidationError as e:
                w = 'fail' if str(e).startswith('body hash') else 'permerror'
        res['dkim %d' % (idx + 1)] = (w, '')
    return res


def run_mdkim(eml, now):
    cmd = [PERL, os.path.join(GEN, 'arc-mdkim-verify.pl'), '--zone', ARC_ZONE_FILE,
           '--zone', DKIM_ZONE_FILE, '--now', str(now), '--strict']
    out = subprocess.run(cmd, input=eml, capture_output=True, check=True).stdout.decode()
    res = {}
    for line in out.splitlines():
        parts = line.split('\t')
        word_map = {'invalid': 'permerror'}
        if parts[0] == 'chain':
            res['arc'] = (word_map.get(parts[1], parts[1]), parts[2])
        else:
            key = '%s %s' % (parts[0], parts[1])
            if key not in res:      # a duplicated field: keep the first
                res[key] = (word_map.get(parts[2], parts[2]), parts[3])
    return res


def judge(verifier, name, line, wanted, observed):
    if observed == wanted:
        for v, pat, ln, _, why in DEPARTURES:
            if v == verifier and fnmatch.fnmatch(line, ln) and fnmatch.fnmatch(name, pat):
                return 'STALE', 'listed departure did not happen: ' + why
        return 'agree', ''
    for v, pat, ln, res, why in DEPARTURES:
        if v == verifier and fnmatch.fnmatch(line, ln) and fnmatch.fnmatch(name, pat) \
                and observed == res:
            return 'known', why
    return 'MISMATCH', ''


def main():
    verbose = '-v' in sys.argv[1:]
    only = [a for a in sys.argv[1:] if a != '-v']
    zones = load_zones()
    counts = {}
    rows = []
    for path in sorted(glob.glob(os.path.join(ARC_DIR, '*.expect'))):
        name = os.path.basename(path)[:-7]
        if only and name not in only:
            continue
        exp = parse_expect(path)
        with open(os.path.join(ARC_DIR, name + '.eml'), 'rb') as f:
            eml = f.read()
        got = {'rfc': run_rfc(eml, zones), 'dkimpy': run_dkimpy(eml, exp['now'], zones),
               'mdkim': run_mdkim(eml, exp['now'])}
        for line, result, reason in exp['lines']:
            for verifier in ('rfc', 'dkimpy', 'mdkim'):
                if verifier == 'mdkim' and line.startswith(('dkim', 'oldest-pass')):
                    continue      # Mail::DKIM's DKIM side is gen/crosscheck.py's job
                if verifier == 'dkimpy' and line == 'oldest-pass':
                    continue      # dkimpy does not compute oldest-pass
                if verifier == 'rfc' and line.startswith('dkim'):
                    continue
                obs = got[verifier].get(line)
                if obs is None:
                    status, text = 'n/a', 'not reported'
                    if verifier == 'rfc':
                        status = 'MISMATCH'
                else:
                    word, detail = obs
                    if verifier == 'rfc':
                        ok = word == result and reason.lower() in detail.lower()
                        status, why = ('agree' if ok else 'MISMATCH'), ''
                    else:
                        want = result
                        if verifier == 'dkimpy' and line.startswith(('ams', 'as')):
                            want = 'pass' if result == 'pass' else 'fail'   # booleans only
                        status, why = judge(verifier, name, line, want, word)
                    text = 'expect %s; got %s: %s' % (result, word, (why + ' [' + detail + ']') if why else detail)
                counts[status] = counts.get(status, 0) + 1
                rows.append((name, line, verifier, status, text))
    width = max((len(r[0]) for r in rows), default=10)
    for name, line, verifier, status, text in rows:
        if verbose or status not in ('agree', 'n/a'):
            print('%-*s %-11s %-6s %-8s %s' % (width, name, line, verifier, status, text[:200]))
    print('summary: ' + ', '.join('%s %d' % kv for kv in sorted(counts.items())))
    return 1 if counts.get('MISMATCH') or counts.get('STALE') else 0


if __name__ == '__main__':
    sys.exit(main())
