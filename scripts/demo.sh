#!/bin/sh
# make demo: the main job end to end. A fresh database of its own (LIFT_HOME=.lift/demo,
# reset on every run, so running it twice works), the example experiments, liftd on
# loopback, ~50,000 simulated shoppers over 120 days with planted effects, and the lift
# reports under reports/out/. The database and liftd keep running afterwards; .lift/demo/env
# points the README's next commands at them, and `scripts/demo.sh stop` stops both.
#
#   scripts/demo.sh [BUILD]      environment: DEMO_SHOPPERS (default 50000, 1 to 100000000),
#                                DEMO_DAYS (120, 1 to 3650)
#   scripts/demo.sh stop         stops the demo's liftd and database
#
# Paths are relative to the current folder, the SQL comes from this script's checkout.
set -eu
DEMO_DIR=.lift/demo
REPORTS=reports/out
KEY=demo-key
SRC=$(cd -P "$(dirname "$0")/.." && pwd)

# A whole number in [1, max], or say which variable is wrong and stop (before anything is
# touched).
check_count() {
    case $2 in
    '' | *[!0-9]* | 0*) ok=no ;;
    *) ok=yes ;;
    esac
    if [ "$ok" = no ] || [ "${#2}" -gt 9 ] || [ "$2" -gt "$3" ]; then
        echo "demo: $1='$2' is not a whole number from 1 to $3 (nothing was changed)" >&2
        exit 2
    fi
}

stop_demo() {
    if [ -f "$DEMO_DIR/liftd.pid" ]; then
        pid=$(cat "$DEMO_DIR/liftd.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 150); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            echo "liftd (pid $pid) stopped"
        fi
        rm -f "$DEMO_DIR/liftd.pid"
    fi
    if [ -e "$DEMO_DIR/pg" ]; then
        LIFT_HOME=$DEMO_DIR "$LIFTCTL" db stop
    fi
}

if [ "${1:-}" = stop ]; then
    BUILD=${2:-build}
    LIFTCTL="$BUILD/liftctl"
    unset LIFT_DATABASE_URL
    stop_demo
    exit 0
fi

BUILD=${1:-build}
SHOPPERS=${DEMO_SHOPPERS:-50000}
DAYS=${DEMO_DAYS:-120}
check_count DEMO_SHOPPERS "$SHOPPERS" 100000000
check_count DEMO_DAYS "$DAYS" 3650
for bin in liftctl liftd; do
    if [ ! -x "$BUILD/$bin" ]; then
        echo "demo: $BUILD/$bin is missing; run make first (nothing was changed)" >&2
        exit 2
    fi
done
EFFECTS="--effect conversion=+15% --effect aov=+12% --effect retention=+30%"
LIFTCTL="$BUILD/liftctl"
export LIFT_HOME=$DEMO_DIR
unset LIFT_DATABASE_URL LIFTD_DATABASE_URL LIFT_URL LIFT_API_KEY
started=$(date +%s)

step() { printf '\n== %s\n' "$*"; }

step "a fresh database in $DEMO_DIR (the previous demo's data, if any, is removed)"
if [ -e "$DEMO_DIR/pg" ] || [ -f "$DEMO_DIR/liftd.pid" ]; then
    stop_demo >/dev/null 2>&1 || true
    data=$(readlink -f "$DEMO_DIR/pg" || true)
    rm -rf "$data" "$DEMO_DIR"
fi
"$LIFTCTL" db start
"$LIFTCTL" db migrate

step "the example experiments (sql/examples/), as a product team applies them"
applied=$("$LIFTCTL" apply "$SRC/sql/examples/homepage_recs.sql" \
    "$SRC/sql/examples/checkout_aa.sql" "$SRC/sql/examples/global_holdout.sql")
echo "$applied" | tail -n 5

step "liftd on 127.0.0.1 (an ephemeral port)"
mkdir -p "$DEMO_DIR"
LOG="$DEMO_DIR/liftd.log"
: >"$LOG" # before liftd starts: the background job opens it on its own time
LIFT_API_KEYS=$KEY "$BUILD/liftd" --listen 127.0.0.1:0 >"$LOG" 2>&1 &
LIFTD=$!
echo "$LIFTD" >"$DEMO_DIR/liftd.pid"
# If anything fails from here on, liftd goes too: a half-finished demo leaves nothing
# running (the database stays, as after a successful run).
keep_liftd=no
on_exit() {
    if [ "$keep_liftd" = no ] && kill -0 "$LIFTD" 2>/dev/null; then
        kill -TERM "$LIFTD"
        wait "$LIFTD" 2>/dev/null || true
        rm -f "$DEMO_DIR/liftd.pid"
    fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM
died() {
    echo "demo: liftd (pid $LIFTD) died $1; the end of its log ($LOG):" >&2
    tail -n 20 "$LOG" | sed 's/^/  /' >&2
    rm -f "$DEMO_DIR/liftd.pid"
    exit 1
}
PORT=""
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*level=info start listen=[^ ]* port=\([0-9]*\).*/\1/p' "$LOG")
    [ -n "$PORT" ] && break
    kill -0 "$LIFTD" 2>/dev/null || died "at start"
    sleep 0.1
done
[ -n "$PORT" ] || died "or hung: no start line in 10 s"
URL="http://127.0.0.1:$PORT"
echo "liftd serving on $URL (log: $LOG)"

step "a storefront: $SHOPPERS shoppers over $DAYS days through liftd; planted for homepage_recs' personalized variant: conversion +15%, basket value +12%, repeat purchase +30%"
# simulate runs in the background so that a dying liftd is noticed within a second,
# rather than after simulate's own 60 s of retries.
# shellcheck disable=SC2086 # EFFECTS is a list of arguments
"$LIFTCTL" simulate --experiment homepage_recs --shoppers "$SHOPPERS" --days "$DAYS" \
    $EFFECTS --seed 1 --url "$URL" --key "$KEY" &
SIM=$!
while kill -0 "$SIM" 2>/dev/null; do
    if ! kill -0 "$LIFTD" 2>/dev/null; then
        kill -TERM "$SIM" 2>/dev/null || true
        wait "$SIM" 2>/dev/null || true
        died "during the simulation"
    fi
    sleep 0.5
done
wait "$SIM" || {
    kill -0 "$LIFTD" 2>/dev/null || died "during the simulation"
    echo "demo: the simulation failed (above)" >&2
    exit 1
}

step "lift reports ($REPORTS/)"
mkdir -p "$REPORTS"
for exp in homepage_recs checkout_aa global_holdout; do
    for fmt in html md json; do
        "$LIFTCTL" report "$exp" --format "$fmt" --segment device \
            --out "$REPORTS/$exp.$fmt" 2>&1 | sed 's/^/  /'
    done
done

step "summary: homepage_recs"
"$LIFTCTL" report homepage_recs --format text
printf '\nThe other experiments:\n'
for exp in checkout_aa global_holdout; do
    "$LIFTCTL" report "$exp" --format text |
        awk -v name="$exp" '/^Decision for/ { print "  " name ": " $0; getline; print "  " $0 }
                           /^Money/ { getline; print "  " $0 }
                           /^  Sample ratio|^  Saw two variants/ { print "  " $0 }'
done

# What the next commands need to reach this demo, not another database.
cat >"$DEMO_DIR/env" <<EOF
# The demo's database and liftd, for the README's next commands: . $DEMO_DIR/env
export LIFT_HOME='$(cd "$DEMO_DIR" && pwd)'
export LIFT_URL='$URL'
export LIFT_API_KEY='$KEY'
unset LIFT_DATABASE_URL LIFTD_DATABASE_URL
EOF
keep_liftd=yes

cat <<EOF

Open $REPORTS/homepage_recs.html for the full report, with plots (also .md and .json;
checkout_aa is the A/A test, global_holdout the whole programme against the holdout).
Done in $(($(date +%s) - started)) s. The demo's database and liftd ($URL) keep running:
  . $DEMO_DIR/env                    # point liftctl, simulate and curl at them
  $LIFTCTL experiments
  $LIFTCTL report homepage_recs --format text --segment channel
  scripts/demo.sh stop               # stop liftd and the database
EOF
