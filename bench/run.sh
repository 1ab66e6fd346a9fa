#!/bin/sh
# Runs the benchmarks (make bench): each prints its figures next to a baseline measured in
# the same run. A throwaway PostgreSQL and liftd on loopback are started and stopped here;
# every load is bounded in time (about 4 minutes in all).
set -u
BUILD=${1:-build}
HERE=$(dirname "$0")
. "$HERE/../scripts/cluster.sh"
status=0

for b in bench_assign bench_stats; do
    echo "== bench/$b"
    "$BUILD/bench/$b" "$BUILD" || status=1
done

cluster_start "$BUILD" durable || exit 1
KEY=bench-key
admin="$LIFT_TEST_CONNINFO dbname=postgres"
# bench: four experiments (about 3 exposures per request); bench1: one 2-variant experiment.
for db in bench bench1; do
    psql -X -q "$admin" -c "CREATE DATABASE $db TEMPLATE lift_template" || exit 1
done
psql -X -q -v ON_ERROR_STOP=1 "$LIFT_TEST_CONNINFO dbname=bench" -f "$HERE/config.sql" >/dev/null ||
    exit 1
psql -X -q -v ON_ERROR_STOP=1 "$LIFT_TEST_CONNINFO dbname=bench1" >/dev/null <<'EOF' || exit 1
BEGIN;
INSERT INTO lift.experiments (key, name, status) VALUES ('homepage_recs', 'Homepage recs', 'running');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('homepage_recs', 'control', 0.5, '{"recs": "generic"}'),
  ('homepage_recs', 'personalized', 0.5, '{"recs": "ml"}');
COMMIT;
EOF

# Starts liftd on database $1; sets PORT and LIFTD.
start_liftd() {
    LIFT_API_KEYS=$KEY "$BUILD/liftd" --listen 127.0.0.1:0 \
        --db "$LIFT_TEST_CONNINFO dbname=$1 user=lift_writer" >"$LIFT_TEST_TMP/liftd.log" 2>&1 &
    LIFTD=$!
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n "s/.*level=info start listen=[^ ]* port=\([0-9]*\).*/\1/p" \
            "$LIFT_TEST_TMP/liftd.log")
        [ -n "$PORT" ] && return 0
        sleep 0.1
    done
    cat "$LIFT_TEST_TMP/liftd.log"
    exit 1
}

stop_liftd() {
    kill -TERM "$LIFTD"
    wait "$LIFTD"
}

# wrk for 10 s, three times; prints each run and the median run (by requests/s).
wrk_runs() {
    label=$1
    shift
    for i in 1 2 3; do
        wrk -t2 -c64 -d10s --latency "$@" >"$LIFT_TEST_TMP/wrk.$i"
        awk -v run="$i" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
             END {printf "  run %d: %s requests/s  p50 %s  p99 %s\n", run, rps, p50, p99}' \
            "$LIFT_TEST_TMP/wrk.$i"
    done >"$LIFT_TEST_TMP/runs"
    cat "$LIFT_TEST_TMP/runs"
    sort -k3 -g "$LIFT_TEST_TMP/runs" | sed -n 2p | awk -v l="$label" '{$1 = ""; $2 = ""; print l " median:" $0}'
}

printf '%s\n' "== bench/ingest: POST /v1/events, against psql \\copy of the same rows"
start_liftd bench
"$BUILD/bench/bench_ingest" "http://127.0.0.1:$PORT" "$KEY" "$LIFT_TEST_CONNINFO dbname=bench" 10 ||
    status=1
stop_liftd

echo "== bench/liftd: GET /v1/assign, exposure logging on, wrk -t2 -c64 (loopback, same 2 cores)"
for db in bench1 bench; do
    start_liftd $db
    wrk -t2 -c64 -d2s -s "$HERE/assign.lua" "http://127.0.0.1:$PORT" >/dev/null # warm up
    if [ $db = bench1 ]; then
        wrk_runs "baseline GET /healthz" "http://127.0.0.1:$PORT/healthz"
        LIFT_BENCH_EXPOSE=0 wrk_runs "assign, 1 experiment, expose=0 (no logging)" \
            -s "$HERE/assign.lua" "http://127.0.0.1:$PORT"
        wrk_runs "assign, 1 experiment (1 exposure/request)" -s "$HERE/assign.lua" \
            "http://127.0.0.1:$PORT"
    else
        wrk_runs "assign, 4 experiments (~3 exposures/request)" -s "$HERE/assign.lua" \
            "http://127.0.0.1:$PORT"
    fi
    sleep 1
    curl -s "http://127.0.0.1:$PORT/metrics" |
        awk '/^lift_exposures_logged_total/ {l=$2} /^lift_rows_committed_total\{table="exposures"/ {c=$2}
             /^lift_spooled_rows_total/ {s=$2}
             END {printf "  exposures logged %d, committed %d, spooled %d (replayed later)\n", l, c, s}'
    stop_liftd
done
echo "target: >= 100000 requests/s with p99 <= 2 ms"

"$HERE/dedup.sh" "$BUILD" 15 || status=1

echo "== bench/sdk: GrowthBook payload and OFREP evaluation next to /v1/assign (4 experiments, wrk -t2 -c64)"
CLIENT_KEY=$(LIFT_DATABASE_URL="$LIFT_TEST_CONNINFO dbname=bench" "$BUILD/liftctl" keys create \
    --client --rate unlimited --note bench 2>/dev/null) || exit 1
start_liftd bench
URL="http://127.0.0.1:$PORT"
wrk -t2 -c64 -d2s -s "$HERE/ofrep.lua" "$URL" >/dev/null # warm up
LIFT_BENCH_EXPOSE=0 wrk_runs "baseline GET /v1/assign, expose=0" -s "$HERE/assign.lua" "$URL"
wrk_runs "GET /api/features/{clientKey} (the cached payload, $(curl -s "$URL/api/features/$CLIENT_KEY" |
    wc -c) bytes)" "$URL/api/features/$CLIENT_KEY"
wrk_runs "POST /ofrep/v1/evaluate/flags/homepage_recs, expose false" -s "$HERE/ofrep.lua" "$URL"
LIFT_BENCH_PATH=/ofrep/v1/evaluate/flags wrk_runs "POST /ofrep/v1/evaluate/flags (bulk), expose false" \
    -s "$HERE/ofrep.lua" "$URL"
stop_liftd

echo "== bench/report: liftctl report --format json, 1M shoppers and 5M events, against a bare scan"
psql -X -q "$admin" -c "CREATE DATABASE benchreport TEMPLATE lift_template" || exit 1
REPORT_DB="$LIFT_TEST_CONNINFO dbname=benchreport"
psql -X -q -v ON_ERROR_STOP=1 "$REPORT_DB" -f "$HERE/report-data.sql" >/dev/null || exit 1
psql -X -q "$REPORT_DB" -c "VACUUM ANALYZE lift.exposures" -c "VACUUM ANALYZE lift.events" || exit 1
ms() { echo $(($(date +%s%N) / 1000000)); }
for i in 1 2 3; do
    t=$(ms)
    psql -X -q -At "$REPORT_DB" -c "SELECT (SELECT count(*) FROM lift.exposures), count(*), sum(value)
                                    FROM lift.events" >/dev/null || status=1
    scan=$(($(ms) - t))
    t=$(ms)
    LIFT_DATABASE_URL="$REPORT_DB" "$BUILD/liftctl" report bigexp --format json \
        --as-of 2026-06-01 --out "$LIFT_TEST_TMP/bigexp.json" 2>"$LIFT_TEST_TMP/report.err" ||
        { cat "$LIFT_TEST_TMP/report.err" >&2; status=1; }
    report=$(($(ms) - t))
    echo "  run $i: bare scan $scan ms  report $report ms"
done >"$LIFT_TEST_TMP/report-runs"
cat "$LIFT_TEST_TMP/report-runs"
scan=$(awk '{print $5}' "$LIFT_TEST_TMP/report-runs" | sort -n | sed -n 2p)
report=$(awk '{print $8}' "$LIFT_TEST_TMP/report-runs" | sort -n | sed -n 2p)
awk -v s="$scan" -v r="$report" 'BEGIN {
    printf "median: bare scan %d ms, report %d ms = %.1fx the scan\n", s, r, r / s }'
echo "target: <= 2x the bare scan"
exit $status
