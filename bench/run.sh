#!/bin/sh
# Runs the benchmarks (make bench). Each prints its figures next to a baseline measured
# in the same run; servers and clusters they need are started and stopped here.
set -u
BUILD=${1:-build}
status=0
for b in assign stats; do
    [ -x "$BUILD/bench/$b" ] || continue
    echo "== bench/$b"
    "$BUILD/bench/$b" "$BUILD" || status=1
done
exit $status
