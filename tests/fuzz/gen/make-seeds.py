#!/usr/bin/python3
"""Seed corpora for the fuzz targets, cut out of testdata/ (run from the source tree:
/usr/bin/python3 tests/fuzz/gen/make-seeds.py). Each seed is named by the SHA-1 of its
bytes, as libFuzzer names corpus files, so re-running adds nothing twice."""
import base64, glob, hashlib, os, re, struct

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')
OUT = os.path.join(ROOT, 'tests', 'fuzz', 'corpus')

def put(target, data, limit=200):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if len(os.listdir(d)) >= limit:
        return
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)

def messages():
    for sub in ('dkim', 'arc', 'forensics', 'compare'):
        for p in sorted(glob.glob(os.path.join(ROOT, 'testdata', sub, '*.eml'))):
            yield open(p, 'rb').read()

def split(msg):
    m = msg.replace(b'\r\n', b'\n')
    head, sep, body = m.partition(b'\n\n')
    fields = re.split(rb'\n(?=[^ \t])', head)
    return [f.replace(b'\n', b'\r\n') for f in fields], body.replace(b'\n', b'\r\n')

def zone_records(text):
    for m in re.finditer(r'^(\S+)\s+(?:\d+\s+)?(?:IN\s+)?TXT\s+((?:"(?:[^"\\]|\\.)*"\s*)+)', text, re.M):
        yield ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))).encode()

# fuzz-dnswire input: flags (bit 0 TCP, bit 1 match the query), CNAMEs followed, then for a
# matching reply the header's flag bytes, ANCOUNT, NSCOUNT, ARCOUNT and the records after the
# question (the query's name sits at offset 12, so a pointer C0 0C names it).
def dname(text):
    return b''.join(bytes([len(l)]) + l.encode() for l in text.split('.')) + b'\0'

def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack('>HHIH', rtype, 1, ttl, len(rdata)) + rdata

def txt(*strings):
    return b''.join(bytes([len(t)]) + t.encode() for t in strings)

def reply(flags, rcode, an, ns, records, hops=0):
    return bytes([2, hops]) + bytes([flags, rcode]) + struct.pack('>HHH', an, ns, 0) + b''.join(records)

def dns_seeds():
    q = b'\xc0\x0c'
    soa = dname('ns.example.com') + dname('hostmaster.example.com') + struct.pack('>IIIII', 1, 7200, 3600, 1209600, 300)
    yield reply(4, 0x80, 1, 0, [rr(q, 16, 3600, txt('v=DKIM1; k=rsa; ', 'p=MIIBIjANBgkq'))])
    yield reply(4, 0x80, 2, 0, [rr(q, 5, 300, dname('sel.keys.provider.example')),
                                 rr(dname('sel.keys.provider.example'), 16, 300, txt('v=DKIM1; p='))])
    yield reply(4, 0x80, 3, 0, [rr(q, 5, 60, dname('a.example.com')),
                                 rr(dname('a.example.com'), 5, 60, dname('b.example.com')),
                                 rr(dname('b.example.com'), 5, 60, dname('a.example.com'))])
    yield reply(4, 0x83, 0, 1, [rr(dname('example.com'), 6, 900, soa)])
    yield reply(0, 0x80, 0, 1, [rr(dname('example.com'), 2, 3600, dname('ns1.example.net'))])
    yield reply(0, 0x82, 0, 0, [])
    yield reply(6, 0x80, 0, 0, [])
    query = struct.pack('>HHHHHH', 0x1234, 0x8180, 1, 1, 0, 0) + dname('sel._domainkey.example.com') + struct.pack('>HH', 16, 1)
    yield b'\0\0' + query + rr(q, 16, 1, txt('x'))

def main():
    msgs = list(messages())
    for i, msg in enumerate(msgs):
        if len(msg) < 70000:
            put('message', msg, 400)
        fields, body = split(msg)
        head = b'\r\n'.join(fields) + b'\r\n\r\n'
        put('msg', head + body[:512], 300)
        put('canon-body', bytes([i % 256, (7 * i) % 64]) + body[:4096], 300)
        put('canon-diff', body[:2048], 200)
        put('canon-diff', head[:2048], 200)
        for f in fields:
            name, _, value = f.partition(b':')
            put('canon-header', f, 300)
            n = name.strip().lower()
            if n in (b'dkim-signature', b'arc-seal', b'arc-message-signature'):
                put('tags', value, 300)
                for tag in (b'b', b'bh'):
                    m = re.search(rb'(?:^|;)\s*' + tag + rb'\s*=([^;]*)', value)
                    if m:
                        put('b64', m.group(1), 200)
            if n in (b'authentication-results', b'arc-authentication-results'):
                put('authres', value, 300)
    for z in glob.glob(os.path.join(ROOT, 'testdata', '*.zone')) + glob.glob(os.path.join(ROOT, 'testdata', '*', '*.zone')):
        text = open(z, encoding='utf-8', errors='replace').read()
        put('zone', text.encode()[:8192], 100)
        for rec in zone_records(text):
            put('keyrec', rec, 200)
            put('tags', rec, 300)
            m = re.search(rb'p=([^;]*)', rec)
            if m:
                put('b64', m.group(1), 200)
                try:   # the key itself, for der (SubjectPublicKeyInfo or RSAPublicKey)
                    put('der', base64.b64decode(re.sub(rb'\s+', b'', m.group(1)), validate=True), 100)
                except ValueError:
                    pass
        for chunk in re.split(r'\n(?=\S)', text):
            if 'TXT' in chunk:
                put('zone', chunk.encode(), 100)
    for seed in dns_seeds():
        put('dnswire', seed, 50)

main()
