#!/bin/sh
# `make fuzz FUZZ_SECONDS=N`: run every libFuzzer target for N seconds, one after the other,
# from its committed seed corpus (tests/fuzz/corpus/NAME, read only) and a scratch corpus
# (build/fuzz/corpus/NAME, where new inputs go), and print per target the executions, the
# coverage reached and what was found (build/fuzz/artifacts/NAME/). Exit 1 if anything was found.
# FUZZ_FLAGS_EXTRA adds libFuzzer options (e.g. -max_len=); FUZZ_NICE=0 runs without nice.
set -u
cd "$(dirname "$0")/../.."
secs=$1
shift
found=0
printf '%-14s %8s %10s %7s %7s %6s  %s\n' target seconds execs cov ft corpus found
for t in "$@"; do
	bin=build/fuzz/fuzz-$t
	seeds=tests/fuzz/corpus/$t
	scratch=build/fuzz/corpus/$t
	art=build/fuzz/artifacts/$t
	log=build/fuzz/log-$t.txt
	mkdir -p "$scratch" "$art" "$seeds"
	opts="-max_total_time=$secs -print_final_stats=1 -artifact_prefix=$art/ -rss_limit_mb=2560"
	[ -f "tests/fuzz/$t.dict" ] && opts="$opts -dict=tests/fuzz/$t.dict"
	[ -f "tests/fuzz/$t.options" ] && opts="$opts $(cat "tests/fuzz/$t.options")"
	nice_cmd="nice"
	[ "${FUZZ_NICE:-1}" = 0 ] && nice_cmd=""
	# shellcheck disable=SC2086
	$nice_cmd "$bin" $opts ${FUZZ_FLAGS_EXTRA:-} "$scratch" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	arts=$(ls "$art" 2>/dev/null | wc -l)
	what="-"
	if [ "$rc" != 0 ] || [ "$arts" != 0 ]; then
		found=1
		what=$(grep -m1 -E 'ERROR: |runtime error|invariant broken|Assertion' "$log" || echo "exit $rc")
		what="$what; inputs in $art/, log $log"
	fi
	printf '%-14s %8s %10s %7s %7s %6s  %s\n' "$t" "$secs" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$what"
done
exit $found
