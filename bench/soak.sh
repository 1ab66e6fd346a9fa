#!/bin/sh
# make soak: liftd under a steady mixed load at half its measured maximum for SOAK_SECONDS
# (default 600), against a throwaway durable PostgreSQL; prints liftd's RSS and open file
# descriptors at the start, every minute and at the end, and fails on RSS growth of 10% or
# more, moving descriptors, any error, or an acknowledged event missing.
#   bench/soak.sh [BUILD] [SECONDS]
set -u
BUILD=${1:-build}
SECONDS_SOAK=${2:-600}
HERE=$(dirname "$0")
. "$HERE/../scripts/cluster.sh"
KEY=soak-key

cluster_start "$BUILD" durable || exit 1
admin="$LIFT_TEST_CONNINFO dbname=postgres"
psql -X -q "$admin" -c "CREATE DATABASE soak TEMPLATE lift_template" || exit 1
DB="$LIFT_TEST_CONNINFO dbname=soak"
psql -X -q -v ON_ERROR_STOP=1 "$DB" -f "$HERE/config.sql" >/dev/null || exit 1

LIFT_API_KEYS=$KEY "$BUILD/liftd" --listen 127.0.0.1:0 --db "$DB user=lift_writer" \
    >"$LIFT_TEST_TMP/liftd.log" 2>&1 &
LIFTD=$!
PORT=""
for _ in $(seq 1 100); do
    PORT=$(sed -n "s/.*level=info start listen=[^ ]* port=\([0-9]*\).*/\1/p" \
        "$LIFT_TEST_TMP/liftd.log")
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { cat "$LIFT_TEST_TMP/liftd.log"; exit 1; }

"$BUILD/bench/soak" "http://127.0.0.1:$PORT" "$KEY" "$LIFTD" "$DB" "$SECONDS_SOAK"
status=$?
kill -TERM "$LIFTD"
wait "$LIFTD" || status=1
exit $status
