#!/bin/sh
# tests/bench-hostile.sh (called by `make bench`): does verification time stay linear in the size
# of a hostile message? Builds once, cached under build/bench-hostile/, 20 MB messages made from
# testdata/bad/base-signed.eml: an ordinary one (plain text body), many short header lines (the
# 4 MiB header block full of folded fields), 64 signatures each naming the same header field 250
# times over 8000 copies of it, a body of white-space runs, and a body with a bare CR every other
# byte, each at 4 MB and 20 MB; then prints seconds per MB for each, without and with --explain
# (forensics reads the body again and searches it for a signed prefix): linear time means the
# same figure at both sizes. Measures; asserts nothing.
set -eu
cd "$(dirname "$0")/.."
dir=build/bench-hostile
mkdir -p "$dir"
[ -x ./arcverify ] || { echo "bench-hostile: build ./arcverify first (make)" >&2; exit 1; }
if [ ! -f "$dir/done" ]; then
	/usr/bin/python3 - "$dir" <<'PY'
import os, sys
out = sys.argv[1]
base = open('testdata/bad/base-signed.eml', 'rb').read()
head, body = base.split(b'\r\n\r\n', 1)
sig_end = head.index(b'\r\nFrom:') + 2
sig, rest = head[:sig_end], head[sig_end:]
def write(name, header, body_unit):
    for mb in (4, 20):
        n = max(0, (mb << 20) - len(header) - 4)
        reps = n // len(body_unit) + 1
        data = header + b'\r\n\r\n' + (body_unit * reps)[:n]
        with open(os.path.join(out, '%s-%d.eml' % (name, mb)), 'wb') as f:
            f.write(data)

write('ordinary', head, b'The quick brown fox jumps over the lazy dog; the lazy dog sleeps on.\r\n')
folded = b''.join(b'X-H: v' + b'\r\n h' * 120 + b'\r\n' for _ in range(8000))[: (4 << 20) - len(head) - 16]
folded = folded[:folded.rindex(b'\r\n') + 2]
write('short-header-lines', folded + head, b'The quick brown fox jumps over the lazy dog; the lazy dog sleeps on.\r\n')
many = sig.replace(b'h=', b'h=' + b'x-h:' * 250, 1)   # with the 5 names signed: 255 of DKIM_H_MAX 256
write('signatures-same-header', many * 64 + b'X-H: same\r\n' * 8000 + rest,
      b'The quick brown fox jumps over the lazy dog; the lazy dog sleeps on.\r\n')
write('whitespace-runs', head, b' \t  \t\t   \t    \t \t\t\t  ' * 3 + b'\r\n')
write('bare-cr', head, b'a\r')
PY
	touch "$dir/done"
fi
keys="--keys testdata/keys.zone --keys testdata/keys-arc.zone"
secs() {
	s=$(date +%s%N)
	./arcverify $keys --now 1764003600 "$@" >/dev/null 2>&1 || true
	e=$(date +%s%N)
	echo $(( (e - s) / 1000000 ))
}
printf '%-24s %4s %10s %14s\n' message MB 's/MB' 's/MB --explain'
for m in ordinary short-header-lines signatures-same-header whitespace-runs bare-cr; do
	for mb in 4 20; do
		f=$dir/$m-$mb.eml
		bytes=$(wc -c <"$f")
		plain=$(secs "$f")
		expl=$(secs --explain "$f")
		awk -v n="$m" -v b="$bytes" -v p="$plain" -v x="$expl" \
			'BEGIN { mb = b / 1048576; printf "%-24s %4.0f %10.4f %14.4f\n", n, mb, p / 1000 / mb, x / 1000 / mb }'
	done
done
