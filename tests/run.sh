#!/bin/sh
# Runs every test binary in BUILD/tests against a throwaway PostgreSQL cluster in a
# temporary folder, which is always stopped and removed (failures and interrupts too).
# Ends with one summary line and a non-zero exit status on any failure.
#
#   tests/run.sh [BUILD] [TEST...]      e.g. tests/run.sh build test_schema
set -u
BUILD=${1:-build}
[ $# -gt 0 ] && shift
ONLY="$*"
. "$(dirname "$0")/../scripts/cluster.sh"
export LIFT_TEST_BUILD="$BUILD"

started=$(date +%s)
if ! cluster_start "$BUILD"; then
    echo "0 passed, 1 failed (could not start the test cluster)"
    exit 1
fi

passed=0 failed=0
for t in "$BUILD"/tests/test_* "$BUILD"/tests/fault/test_*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    name=$(basename "$t")
    if [ -n "$ONLY" ] && ! echo " $ONLY " | grep -q " $name "; then
        continue
    fi
    echo "== $name"
    # --verbose=1 shows the figures tests log (rates, timings) along with failures.
    timeout 900 "$t" --verbose=1 --jobs="${LIFT_TEST_JOBS:-2}" >"$LIFT_TEST_TMP/$name.out" 2>&1
    rc=$?
    grep -v '^\[----\] Criterion v' "$LIFT_TEST_TMP/$name.out"
    line=$(grep 'Synthesis:' "$LIFT_TEST_TMP/$name.out" | tail -n 1)
    tested=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
    ok=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    if [ -z "$tested" ]; then # no synthesis: the binary itself died
        failed=$((failed + 1))
        echo "$name: exited with status $rc before finishing"
        continue
    fi
    passed=$((passed + ok))
    failed=$((failed + tested - ok))
    if [ "$rc" -ne 0 ] && [ "$tested" -eq "$ok" ]; then # e.g. a crash in a teardown
        failed=$((failed + 1))
        echo "$name: exited with status $rc though its tests passed"
    fi
done

# The API contract: every answer the tests recorded (tests/support/liftd.c, tests/compat/
# lib.js) against docs/openapi.yaml, which must itself be valid OpenAPI 3.1.
if [ -d "$LIFT_TEST_TMP/responses" ]; then
    echo "== contract (docs/openapi.yaml)"
    if [ ! -d "$BUILD/node/node_modules" ]; then
        # make test and make sanitize install them first (scripts/node_deps.sh); a run
        # without them (make tsan) checks no contract.
        echo "contract: not checked ($BUILD/node/node_modules is missing: scripts/node_deps.sh $BUILD)"
    elif NODE_PATH=$(cd "$BUILD/node/node_modules" && pwd) node tests/compat/contract.js \
        docs/openapi.yaml "$LIFT_TEST_TMP/responses"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed ($(($(date +%s) - started)) s)"
[ "$failed" -eq 0 ]
