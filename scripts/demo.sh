#!/bin/sh
# make demo: the main job end to end. A fresh database of its own (LIFT_HOME=.lift/demo,
# reset on every run, so running it twice works), the example experiments, liftd on
# loopback, ~50,000 simulated shoppers over 120 days with planted effects, and the lift
# reports under reports/out/. liftd is stopped at the end; the database keeps running so the
# reports can be re-run (the last lines say how, and how to stop it).
#
#   scripts/demo.sh [BUILD]      environment: DEMO_SHOPPERS (default 50000), DEMO_DAYS (120)
set -eu
BUILD=${1:-build}
SHOPPERS=${DEMO_SHOPPERS:-50000}
DAYS=${DEMO_DAYS:-120}
EFFECTS="--effect conversion=+15% --effect aov=+12% --effect retention=+30%"
KEY=demo-key
export LIFT_HOME=.lift/demo
unset LIFT_DATABASE_URL
LIFTCTL="$BUILD/liftctl"
started=$(date +%s)

step() { printf '\n== %s\n' "$*"; }

step "a fresh database in $LIFT_HOME (the previous demo's data, if any, is removed)"
if [ -e "$LIFT_HOME/pg" ]; then
    "$LIFTCTL" db stop >/dev/null 2>&1 || true
    data=$(readlink -f "$LIFT_HOME/pg")
    rm -rf "$data" "$LIFT_HOME"
fi
"$LIFTCTL" db start
"$LIFTCTL" db migrate

step "the example experiments (sql/examples/), as a product team applies them"
"$LIFTCTL" apply sql/examples/homepage_recs.sql sql/examples/checkout_aa.sql \
    sql/examples/global_holdout.sql

step "liftd on 127.0.0.1 (an ephemeral port)"
mkdir -p "$LIFT_HOME"
LIFT_API_KEYS=$KEY "$BUILD/liftd" --listen 127.0.0.1:0 >"$LIFT_HOME/liftd.log" 2>&1 &
LIFTD=$!
stop_liftd() {
    if kill -0 "$LIFTD" 2>/dev/null; then
        kill -TERM "$LIFTD"
        wait "$LIFTD" || true
    fi
}
trap stop_liftd EXIT
trap 'exit 130' INT TERM
PORT=""
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*level=info start listen=[^ ]* port=\([0-9]*\).*/\1/p' "$LIFT_HOME/liftd.log")
    [ -n "$PORT" ] && break
    kill -0 "$LIFTD" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$PORT" ]; then
    cat "$LIFT_HOME/liftd.log" >&2
    echo "demo: liftd did not start (log above)" >&2
    exit 1
fi
echo "liftd serving on http://127.0.0.1:$PORT (log: $LIFT_HOME/liftd.log)"

step "a storefront: $SHOPPERS shoppers over $DAYS days through liftd; planted for homepage_recs' personalized variant: conversion +15%, basket value +12%, repeat purchase +30%"
# shellcheck disable=SC2086 # EFFECTS is a list of arguments
"$LIFTCTL" simulate --experiment homepage_recs --shoppers "$SHOPPERS" --days "$DAYS" \
    $EFFECTS --seed 1 --url "http://127.0.0.1:$PORT" --key "$KEY"
stop_liftd
echo "liftd stopped"

step "lift reports (reports/out/)"
for exp in homepage_recs checkout_aa global_holdout; do
    for fmt in html md json; do
        "$LIFTCTL" report "$exp" --format "$fmt" --segment device 2>&1 | sed 's/^/  /'
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

cat <<EOF

Open reports/out/homepage_recs.html for the full report, with plots (also .md and .json;
checkout_aa is the A/A test, global_holdout the whole programme against the holdout).
Done in $(($(date +%s) - started)) s. The demo database keeps running:
  LIFT_HOME=$LIFT_HOME $LIFTCTL report homepage_recs --format text --segment channel
  LIFT_HOME=$LIFT_HOME $LIFTCTL db stop
EOF
