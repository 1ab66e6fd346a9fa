#!/bin/sh
# make fuzz: runs every libFuzzer harness built from tests/fuzz/fuzz_*.c for FUZZ_SECONDS,
# starting from its seed corpus in tests/fuzz/corpus/<target>/ when there is one (new inputs
# go to BUILD/corpus/<target>/, the seeds stay as they are). Fails on any crash, leak,
# timeout or sanitizer report; the input that caused it is left in BUILD/crash-<target>-*.
#
#   tests/fuzz/run.sh BUILD SECONDS
set -u
BUILD=$1
SECONDS_EACH=$2
HERE=$(dirname "$0")
status=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    t=${bin##*/fuzz_}
    mkdir -p "$BUILD/corpus/$t"
    seeds=$HERE/corpus/$t
    [ -d "$seeds" ] || seeds=""
    echo "== fuzz_$t for ${SECONDS_EACH} s"
    # shellcheck disable=SC2086
    if "$bin" "$BUILD/corpus/$t" $seeds \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$BUILD/crash-$t-" >"$BUILD/fuzz-$t.log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD/fuzz-$t.log")
        cov=$(grep -o 'cov: [0-9]*' "$BUILD/fuzz-$t.log" | tail -n 1)
        echo "fuzz_$t: $runs inputs, $cov, nothing found"
    else
        tail -n 40 "$BUILD/fuzz-$t.log"
        echo "fuzz_$t: FAILED (log $BUILD/fuzz-$t.log, input $BUILD/crash-$t-*)"
        status=1
    fi
done
exit $status
