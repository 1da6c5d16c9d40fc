#!/bin/sh
# `make bench`: messages per second for arcverify over the bundled fixtures (offline keys),
# and the same for dkimpy when Debian's python3-dkim is installed. Measures; asserts nothing.
set -eu
cd "$(dirname "$0")/.."
rounds=${BENCH_ROUNDS:-40}
keys="--keys testdata/keys.zone"
[ -f testdata/keys-arc.zone ] && keys="$keys --keys testdata/keys-arc.zone"
files=$(ls testdata/dkim/*.eml testdata/arc/*.eml 2>/dev/null || true)
n=$(echo "$files" | wc -l)
list=$(mktemp)
trap 'rm -f "$list"' EXIT
i=0
while [ $i -lt "$rounds" ]; do echo "$files"; i=$((i + 1)); done >"$list"
total=$((n * rounds))

now_ns() { date +%s%N; }
start=$(now_ns)
# xargs keeps the argument lists bounded; one process verifies many messages
xargs ./arcverify $keys --now 1764003600 --format json >/dev/null <"$list" || true
end=$(now_ns)
ms=$(( (end - start) / 1000000 ))
[ "$ms" -gt 0 ] || ms=1
rate=$(( total * 1000 / ms ))
echo "arcverify: $total messages in $ms ms: $rate messages/s"

if /usr/bin/python3 -c 'import dkim' 2>/dev/null; then
	/usr/bin/python3 - "$list" testdata/keys.zone testdata/keys-arc.zone <<'PY'
import re, sys, time, dkim
paths = [l.strip() for l in open(sys.argv[1]) if l.strip()]
records = {}
for zf in sys.argv[2:]:
    try:
        text = open(zf).read()
    except OSError:
        continue
    for m in re.finditer(r'^(\S+)\s+(?:\d+\s+)?(?:IN\s+)?TXT\s+((?:"(?:[^"\\]|\\.)*"\s*)+)', text, re.M):
        name = m.group(1).rstrip('.').lower()
        records[name] = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))).encode()
def dnsfunc(name, timeout=5):
    return records.get(name.decode().rstrip('.').lower(), b'')
msgs = [open(p, 'rb').read() for p in paths]
start = time.time()
for m in msgs:
    try:
        d = dkim.DKIM(m, minkey=512)
        for i in range(len(d.headers)):
            pass
        sigs = [h for h in d.headers if h[0].lower() == b'dkim-signature']
        for idx in range(len(sigs)):
            try:
                d.verify(idx=idx, dnsfunc=dnsfunc)
            except Exception:
                pass
        if any(h[0].lower() == b'arc-seal' for h in d.headers):
            try:
                dkim.arc_verify(m, dnsfunc=dnsfunc)
            except Exception:
                pass
    except Exception:
        pass
secs = time.time() - start
rate = len(msgs) / secs if secs else 0
print("dkimpy:    %d messages in %d ms: %d messages/s" % (len(msgs), secs * 1000, rate))
PY
else
	echo "dkimpy: not installed (Debian python3-dkim); no comparison"
fi
