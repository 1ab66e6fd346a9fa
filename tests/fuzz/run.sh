#!/bin/sh
# make fuzz: runs each libFuzzer harness for FUZZ_SECONDS, starting from the seed corpus
# in tests/fuzz/corpus/<target>/ (new inputs go to BUILD/corpus/<target>/, the seeds stay as
# they are). Fails on any crash, leak, timeout or sanitizer report; the input that caused
# it is left in BUILD/crash-<target>-*.
#
#   tests/fuzz/run.sh BUILD SECONDS
set -u
BUILD=$1
SECONDS_EACH=$2
HERE=$(dirname "$0")
status=0
for t in query ingest audience; do
    mkdir -p "$BUILD/corpus/$t"
    echo "== fuzz_$t for ${SECONDS_EACH} s"
    if "$BUILD/fuzz/fuzz_$t" "$BUILD/corpus/$t" "$HERE/corpus/$t" \
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
