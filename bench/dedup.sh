#!/bin/sh
# bench/dedup: GET /v1/assign under storefront traffic (1M shoppers, Zipf-distributed repeat
# visits, bench/zipf.lua; four experiments, bench/config.sql) at full speed, three liftd
# runs in one go, each window RUN_SECONDS long:
#   baseline    expose=0 (no logging: the serving cost alone)
#   cache on    expose=1, --expose-cache 1048576 (the default); two windows, the first one
#               a cold start, the second seeing shoppers of the first again
#   cache off   expose=1, --expose-cache 0 (every request logged: as before the cache)
# Prints requests/s of each and the ratio to the baseline (goal >= 0.9), rows written to
# lift.exposures per request, exposures spooled (goal 0), and bytes stored per logged request
# (pg_total_relation_size of lift.exposures + lift.assignments / requests).
#
#   bench/dedup.sh [BUILD] [RUN_SECONDS]   (bench/run.sh calls it inside its cluster; alone,
#                                           it starts one of its own)
set -u
BUILD=${1:-build}
SECS=${2:-15}
HERE=$(dirname "$0")
if [ -z "${LIFT_TEST_CONNINFO:-}" ]; then
    . "$HERE/../scripts/cluster.sh"
    cluster_start "$BUILD" durable || exit 1
fi
KEY=bench-key
admin="$LIFT_TEST_CONNINFO dbname=postgres"
status=0

# Starts liftd on database $1 with options $2...; sets PORT and LIFTD.
dedup_liftd() {
    db=$1
    shift
    LIFT_API_KEYS=$KEY "$BUILD/liftd" --listen 127.0.0.1:0 --spool-dir "$LIFT_TEST_TMP/spool-$db" \
        --db "$LIFT_TEST_CONNINFO dbname=$db user=lift_writer" "$@" >"$LIFT_TEST_TMP/$db.log" 2>&1 &
    LIFTD=$!
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n "s/.*level=info start listen=[^ ]* port=\([0-9]*\).*/\1/p" \
            "$LIFT_TEST_TMP/$db.log")
        [ -n "$PORT" ] && return 0
        sleep 0.1
    done
    cat "$LIFT_TEST_TMP/$db.log"
    exit 1
}

metric() {
    curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'
}

# Waits (up to 60 s) until nothing is queued or spooled, then stops liftd (which flushes).
drain_and_stop() {
    for _ in $(seq 1 600); do
        [ "$(metric lift_queue_rows)" = 0 ] && [ "$(metric lift_spool_pending_bytes)" = 0 ] && break
        sleep 0.1
    done
    kill -TERM "$LIFTD"
    wait "$LIFTD"
}

# One run: database $1 (fresh), expose $2, windows $3 (wrk runs of SECS seconds one after
# the other on the same liftd: the first is the cold start of a day, the next ones see the
# shoppers again), liftd options $4...; writes "rps requests p99 logged" to
# $LIFT_TEST_TMP/$1.run.<window> and the metrics at the end to $1.metrics.
dedup_run() {
    db=$1 expose=$2 windows=$3
    shift 3
    psql -X -q "$admin" -c "CREATE DATABASE $db TEMPLATE lift_template" || exit 1
    psql -X -q -v ON_ERROR_STOP=1 "$LIFT_TEST_CONNINFO dbname=$db" -f "$HERE/config.sql" \
        >/dev/null || exit 1
    dedup_liftd "$db" "$@"
    LIFT_BENCH_EXPOSE=0 wrk -t2 -c64 -d2s -s "$HERE/zipf.lua" "http://127.0.0.1:$PORT" \
        >/dev/null # warm up (the Lua table, the connections); expose=0 logs nothing
    before=0
    for w in $(seq 1 "$windows"); do
        LIFT_BENCH_EXPOSE=$expose wrk -t2 -c64 -d"${SECS}s" --latency -s "$HERE/zipf.lua" \
            "http://127.0.0.1:$PORT" >"$LIFT_TEST_TMP/$db.wrk"
        logged=$(metric lift_exposures_logged_total)
        awk -v logged=$((logged - before)) '/Requests\/sec/ {rps=$2} / requests in / {n=$1}
             /^ +99%/ {p99=$2} END {print rps, n, p99, logged}' "$LIFT_TEST_TMP/$db.wrk" \
            >"$LIFT_TEST_TMP/$db.run.$w"
        before=$logged
    done
    curl -s "http://127.0.0.1:$PORT/metrics" >"$LIFT_TEST_TMP/$db.metrics"
    drain_and_stop
}

m() { awk -v m="$2" '$1 == m {print $2}' "$LIFT_TEST_TMP/$1.metrics"; }

# What a database holds after a run: exposure rows, assignment rows, bytes of both tables.
stored() {
    psql -X -q -At -F' ' "$LIFT_TEST_CONNINFO dbname=$1" -c "SELECT
        (SELECT count(*) FROM lift.exposures), (SELECT count(*) FROM lift.assignments),
        pg_total_relation_size('lift.exposures'), pg_total_relation_size('lift.assignments'),
        (SELECT count(DISTINCT unit) FROM lift.assignments)"
}

echo "== bench/dedup: GET /v1/assign, 1M shoppers with Zipf(1) repeat visits, 4 experiments, wrk -t2 -c64, ${SECS} s windows"
dedup_run dedup_base 0 1
dedup_run dedup_on 1 2
dedup_run dedup_off 1 1 --expose-cache 0

read -r base_rps base_n base_p99 _ <"$LIFT_TEST_TMP/dedup_base.run.1"
printf '  baseline, expose=0          : %6.0f requests/s, p99 %s\n' "$base_rps" "$base_p99"
window() { # label, run file
    read -r rps n p99 logged <"$2"
    awk -v l="$1" -v rps="$rps" -v n="$n" -v p99="$p99" -v logged="$logged" -v base="$base_rps" \
        'BEGIN { printf "  %-29s: %6.0f requests/s = %.2fx the baseline, p99 %s, %.3f exposure rows per request\n",
                        l, rps, rps / base, p99, logged / n }'
}
window "cache on, first ${SECS} s" "$LIFT_TEST_TMP/dedup_on.run.1"
window "cache on, next ${SECS} s" "$LIFT_TEST_TMP/dedup_on.run.2"
window "cache off (--expose-cache 0)" "$LIFT_TEST_TMP/dedup_off.run.1"
for run in on off; do
    n=0
    for f in "$LIFT_TEST_TMP"/dedup_$run.run.*; do
        n=$((n + $(awk '{print $2}' "$f")))
    done
    read -r rows arows ebytes abytes units <<EOS
$(stored dedup_$run)
EOS
    awk -v label="$run" -v n="$n" -v rows="$rows" -v arows="$arows" -v eb="$ebytes" \
        -v ab="$abytes" -v units="$units" -v spooled="$(m dedup_$run lift_spooled_rows_total)" \
        -v hits="$(m dedup_$run lift_expose_cache_hits_total)" \
        -v evict="$(m dedup_$run lift_expose_cache_evictions_total)" 'BEGIN {
        printf "  cache %-3s: %d requests, %d exposure rows (%.3f per request), %d shoppers, %d spooled\n",
               label, n, rows, rows / n, units, spooled
        printf "             %d cache hits, %d evictions; stored %.1f bytes per logged request\n",
               hits, evict, (eb + ab) / n
        printf "             (lift.exposures %.1f MB, lift.assignments %.1f MB in %d rows)\n",
               eb / 1e6, ab / 1e6, arows }'
done
# A whole day of the population (~20 visits a shopper: 20M requests) is beyond a bounded
# run; the expected number of distinct shoppers, sum over k of 1 - (1 - p_k)^M (a model, not
# a measurement, checked against the run), times the exposure rows per shopper measured.
n=0
for f in "$LIFT_TEST_TMP"/dedup_on.run.*; do
    n=$((n + $(awk '{print $2}' "$f")))
done
read -r rows arows ebytes abytes units <<EOS
$(stored dedup_on)
EOS
awk -v rows="$rows" -v units="$units" -v n="$n" 'BEGIN {
    N = 1000000; M = 20000000; h = 0
    for (k = 1; k <= N; k++) h += 1 / k
    for (k = 1; k <= N; k++) { p = 1 / (k * h); d += 1 - exp(M * log(1 - p)); dn += 1 - exp(n * log(1 - p)) }
    printf "  model check: %.0f distinct shoppers expected in %d requests, %d seen\n", dn, n, units
    printf "  a whole day, 20M requests (20 a shopper): ~%.0f shoppers, ~%.3f exposure rows per request\n",
           d, d * rows / units / M }'
echo "goal: cache on >= 0.9x the baseline, 0 spooled"
exit $status
