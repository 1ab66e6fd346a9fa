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

tmp=$(mktemp -d /tmp/lift-test.XXXXXX) || exit 1
chmod 755 "$tmp" # the cluster may run as the postgres user, which must reach it
export LIFT_HOME="$tmp/home" LIFT_TEST_BUILD="$BUILD" LIFT_TEST_TMP="$tmp"
unset LIFT_DATABASE_URL

cleanup() {
    "$BUILD/liftctl" db stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
if ! LIFT_PG_FAST=1 "$BUILD/liftctl" db start >"$tmp/url" 2>"$tmp/start.log"; then
    cat "$tmp/start.log" >&2
    echo "0 passed, 1 failed (could not start the test cluster)"
    exit 1
fi
socket=$(sed -n 's/.*host=\([^&]*\).*/\1/p' "$tmp/url")
export LIFT_TEST_CONNINFO="host=$socket port=5432 user=lift"

# Every test database is a copy of this migrated template.
psql -X -q -v ON_ERROR_STOP=1 "$LIFT_TEST_CONNINFO dbname=postgres" \
    -c "CREATE DATABASE lift_template" >/dev/null || exit 1
if ! LIFT_DATABASE_URL="$LIFT_TEST_CONNINFO dbname=lift_template" \
    "$BUILD/liftctl" db migrate 2>"$tmp/migrate.log"; then
    cat "$tmp/migrate.log" >&2
    echo "0 passed, 1 failed (migrations failed)"
    exit 1
fi

passed=0 failed=0
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    if [ -n "$ONLY" ] && ! echo " $ONLY " | grep -q " $name "; then
        continue
    fi
    echo "== $name"
    timeout 900 "$t" --jobs="${LIFT_TEST_JOBS:-2}" >"$tmp/$name.out" 2>&1
    rc=$?
    cat "$tmp/$name.out"
    line=$(grep 'Synthesis:' "$tmp/$name.out" | tail -n 1)
    tested=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
    ok=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    if [ -z "$tested" ]; then # no synthesis: the binary itself died
        failed=$((failed + 1))
        echo "$name: exited with status $rc before finishing"
        continue
    fi
    passed=$((passed + ok))
    failed=$((failed + tested - ok))
    [ "$rc" -ne 0 ] && [ "$tested" -eq "$ok" ] && failed=$((failed + 1))
done

echo "$passed passed, $failed failed ($(($(date +%s) - started)) s)"
[ "$failed" -eq 0 ]
