#!/bin/sh
# Part of `make bench` (issue 9): a cold batch over slow DNS against the same batch with offline keys.
# A Maildir of 5,000 messages (2 KB to 50 KB) signed under 1,200 key names by dkimpy
# (testdata/gen/make-bench-corpus, cached under build/bench/dns), verified with every CPU:
#   1. with --keys;
#   2. through the test DNS server (build/dnstest-server) answering after 50 ms, cold cache;
#   3. the same with --dns-concurrency 256 (the default 128 keeps under dnsmasq's limit), and with 1
#      (no overlap: what a serial resolver costs);
# and 20 messages whose keys all time out with --dns-timeout 2. Measures; asserts nothing.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
B=build/bench
D=$B/dns
NOW=1764003600
[ -x build/dnstest-server ] || make -s build/dnstest-server
if [ ! -f "$D/keys.zone" ]; then
	$PY -c 'import dkim, nacl' 2>/dev/null || { echo "bench-dns: needs python3-dkim and python3-nacl"; exit 0; }
	echo "bench-dns: signing the DNS benchmark Maildir with dkimpy (once; cached in $D) ..."
	$PY testdata/gen/make-bench-corpus --out "$D" --count 5000 --max-kb 50 --selectors 1200
fi
msgs=$(ls "$D/Maildir/cur" | wc -l)
names=$(grep -c TXT "$D/keys.zone")
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
now_ns() { date +%s%N; }

# start_server FAULT-OR-EMPTY DELAY: sets $srv and $port
start_server() {
	rm -f "$B/dns.port"
	if [ -n "$1" ]; then
		build/dnstest-server --zone "$D/keys.zone" --delay-ms "$2" --fault "$1" --port-file "$B/dns.port" \
			>/dev/null 2>>"$B/dnstest.log" &
	else
		build/dnstest-server --zone "$D/keys.zone" --delay-ms "$2" --port-file "$B/dns.port" \
			>/dev/null 2>>"$B/dnstest.log" &
	fi
	srv=$!
	while [ ! -s "$B/dns.port" ]; do sleep 0.05; done
	port=$(cat "$B/dns.port")
}
stop_server() { kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; }
timed() {   # prints the milliseconds the command took
	t=$(now_ns)
	"$@" >/dev/null 2>&1 || true
	echo $(( ($(now_ns) - t) / 1000000 ))
}

best3() {   # the least milliseconds of three runs of the command, each with its files in the page cache
	b=0
	for _ in 1 2 3; do
		cat "$D"/Maildir/cur/* >/dev/null
		m=$(timed "$@")
		{ [ "$b" = 0 ] || [ "$m" -lt "$b" ]; } && b=$m
	done
	echo "$b"
}

echo "== DNS: $msgs messages under $names key names, -j$cpus (each time the best of three runs)"
k=$(best3 ./arcverify --keys "$D/keys.zone" --now $NOW --json -j "$cpus" "$D/Maildir")
start_server "" 50   # the server keeps no cache: every arcverify run against it is a cold one
c=$(best3 ./arcverify --dns-server "127.0.0.1:$port" --now $NOW --json -j "$cpus" "$D/Maildir")
./arcverify --dns-server "127.0.0.1:$port" --now $NOW --json -j "$cpus" --summary-json "$B/dns-summary.json" \
	"$D/Maildir" >/dev/null 2>&1 || true
w=$(best3 ./arcverify --dns-server "127.0.0.1:$port" --dns-concurrency 256 --now $NOW --json -j "$cpus" "$D/Maildir")
stop_server
# The waiting floor: each query holds one of the N slots for 50 ms, twice as long when a truncated
# answer sends it again over TCP (RFC 7766); a run cannot wait less than slot time / N.
set -- $($PY -c 'import json, sys; d = json.load(open(sys.argv[1]))["dns"]; print(d["answered"], d["tcp"])' \
	"$B/dns-summary.json" 2>/dev/null || echo "$names 0")
floor128=$(( ($1 + $2) * 50 / 128 )); floor256=$(( ($1 + $2) * 50 / 256 ))
start_server "" 50
s=$(timed ./arcverify --dns-server "127.0.0.1:$port" --dns-concurrency 1 --now $NOW --json -j "$cpus" "$D/Maildir")
stop_server
echo "--keys:                            $k ms"
echo "DNS, 50 ms per answer, cold:       $c ms ($(awk "BEGIN{printf \"%.2f\", $c/$k}")x --keys;" \
	"$(awk "BEGIN{printf \"%.2f\", $c/$floor128}")x its waiting floor, $floor128 ms)"
echo "the same, --dns-concurrency 256: $w ms ($(awk "BEGIN{printf \"%.2f\", $w/$k}")x --keys;" \
	"$(awk "BEGIN{printf \"%.2f\", $w/$floor256}")x its waiting floor, $floor256 ms)"
echo "  (the floor: $1 names, $2 of them asked again over TCP, each 50 ms a try, N at a time)"
echo "the same, --dns-concurrency 1:     $s ms ($(awk "BEGIN{printf \"%.2f\", $s/$k}")x --keys)"

mkdir -p "$B/timeouts/cur" "$B/timeouts/new"
ls "$D/Maildir/cur" | head -20 | while read -r f; do cp "$D/Maildir/cur/$f" "$B/timeouts/cur/"; done
start_server '*=drop' 0
t=$(timed ./arcverify --dns-server "127.0.0.1:$port" --dns-timeout 2 --now $NOW "$B/timeouts")
stop_server
echo "20 messages whose keys all time out, --dns-timeout 2: $t ms (one after another would be 40000 ms)"
