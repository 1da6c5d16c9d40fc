#!/bin/sh
# `make fuzz FUZZ_SECONDS=N`: run every libFuzzer target for N seconds, one after the other,
# from its committed seed corpus (tests/fuzz/corpus/NAME, read only) and a scratch corpus
# (build/fuzz/corpus/NAME, where new inputs go), and print per target the wall and CPU seconds,
# the executions, the coverage reached (cov, ft of the last status line) and what was found
# (build/fuzz/artifacts/NAME/). Exit 1 if anything was found.
# FUZZ_CPU=1 makes N CPU seconds instead (on a shared machine a niced fuzzer gets less than a
# core): the target runs in rounds of at most 5 minutes until it has used N CPU seconds.
# FUZZ_FLAGS_EXTRA adds libFuzzer options (e.g. -max_len=); FUZZ_NICE=0 runs without nice.
set -u
cd "$(dirname "$0")/../.."
secs=$1
shift
found=0
printf '%-13s %6s %6s %10s %6s %7s %6s  %s\n' target wall cpu execs cov ft corpus found
for t in "$@"; do
	bin=build/fuzz/fuzz-$t
	seeds=tests/fuzz/corpus/$t
	scratch=build/fuzz/corpus/$t
	art=build/fuzz/artifacts/$t
	log=build/fuzz/log-$t.txt
	mkdir -p "$scratch" "$art" "$seeds"
	: >"$log"
	opts="-print_final_stats=1 -artifact_prefix=$art/ -rss_limit_mb=2560"
	[ -f "tests/fuzz/$t.dict" ] && opts="$opts -dict=tests/fuzz/$t.dict"
	[ -f "tests/fuzz/$t.options" ] && opts="$opts $(cat "tests/fuzz/$t.options")"
	nice_cmd="nice"
	[ "${FUZZ_NICE:-1}" = 0 ] && nice_cmd=""
	cpu=0 wall=0 execs=0 rc=0
	while :; do
		round=$secs
		if [ "${FUZZ_CPU:-0}" = 1 ]; then
			left=$(awk -v s="$secs" -v c="$cpu" 'BEGIN { l = s - c; print (l > 300 ? 300 : int(l) + 1) }')
			round=$left
		fi
		start=$(date +%s)
		# shellcheck disable=SC2086
		/usr/bin/time -f '%U %S' -o "$log.time" $nice_cmd "$bin" $opts -max_total_time="$round" \
			${FUZZ_FLAGS_EXTRA:-} "$scratch" "$seeds" >>"$log" 2>&1
		rc=$?
		wall=$((wall + $(date +%s) - start))
		cpu=$(awk -v c="$cpu" '{ printf "%d", c + $1 + $2 }' "$log.time")
		e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		execs=$((execs + ${e:-0}))
		[ "$rc" != 0 ] && break
		[ "${FUZZ_CPU:-0}" = 1 ] && [ "$cpu" -lt "$secs" ] && continue
		break
	done
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
	printf '%-13s %6s %6s %10s %6s %7s %6s  %s\n' "$t" "$wall" "$cpu" "$execs" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$what"
done
exit $found
