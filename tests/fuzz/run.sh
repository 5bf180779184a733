#!/bin/sh
# Fuzzes every harness of tests/fuzz for SECONDS each (default 60) under
# AddressSanitizer and UBSan with leak detection, starting from the seed
# corpus in the tree.  New inputs go to BUILD/fuzz-corpus/<harness>, a
# crash to BUILD/fuzz-artifacts/; the tree is not written.  Prints, per
# harness, the executions run; exits non-zero on the first finding.
#   sh tests/fuzz/run.sh [SECONDS] [BUILD]     (BUILD default build-fuzz)
# Needs clang (scripts/deps.sh installs it).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
build=${2:-build-fuzz}
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$build" fuzz >/dev/null
root=$(pwd)
case $build in
/*) babs=$build ;;
*) babs=$root/$build ;;
esac
export APNAS_PLUGIN_PATH="$babs/plugins"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS="suppressions=$root/tests/lsan-libconfig.supp"
mkdir -p "$build/fuzz-artifacts"
total=0
for seeds in tests/fuzz/corpus/*/; do
	h=$(basename "$seeds")
	work="$build/fuzz-corpus/$h"
	mkdir -p "$work"
	dict=""
	[ -f "tests/fuzz/dict/$h.dict" ] && dict="-dict=tests/fuzz/dict/$h.dict"
	log="$build/fuzz-artifacts/$h.log"
	# rss and per-input time bounds: a parser that allocates or loops
	# without limit is a finding, not a stalled CI
	if ! nice -n 10 "$build/tests/fuzz/fuzz_$h" -max_total_time="$secs" \
		-rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-artifacts/$h-" $dict \
		"$work" "$seeds" >"$log" 2>&1; then
		tail -n 60 "$log"
		echo "fuzz_$h: FINDING (log $log)" >&2
		exit 1
	fi
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	total=$((total + ${n:-0}))
	echo "fuzz_$h: ${n:-?} executions in ${secs} s, no finding"
done
echo "fuzz: $total executions in all, no finding"
