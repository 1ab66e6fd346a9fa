# Sourced by tests/run.sh and bench/run.sh: a throwaway PostgreSQL cluster in a temporary
# folder, stopped and removed when the calling script exits (failures included).
#
#   cluster_start BUILD [durable]
#                          sets LIFT_HOME, LIFT_TEST_TMP, LIFT_TEST_CONNINFO and creates a
#                          migrated database "lift_template"; without "durable" the cluster
#                          skips fsync (tests), with it it is configured as for production
# Needs: BUILD/liftctl, psql.

cluster_cleanup() {
    "$CLUSTER_BUILD/liftctl" db stop >/dev/null 2>&1
    # Clusters the fault tests start for themselves, should a test have died mid-way.
    for home in "$LIFT_TEST_TMP"/faultpg-*; do
        [ -d "$home" ] && LIFT_HOME=$home "$CLUSTER_BUILD/liftctl" db stop >/dev/null 2>&1
    done
    # Servers of tests/support/pgtest.c (pgtest_server_start) a dead test left running: by
    # the PID in their postmaster.pid, with a bounded wait for each to go.
    for pidfile in "$LIFT_TEST_TMP"/pgserver-*/postmaster.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(head -n 1 "$pidfile")
        kill -INT "$pid" 2>/dev/null || continue
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
            sleep 0.1
            n=$((n + 1))
        done
    done
    rm -rf "$LIFT_TEST_TMP"
}

cluster_start() {
    CLUSTER_BUILD=$1
    LIFT_TEST_TMP=$(mktemp -d /tmp/lift-test.XXXXXX) || return 1
    chmod 755 "$LIFT_TEST_TMP" # the cluster may run as the postgres user
    export LIFT_TEST_TMP LIFT_HOME="$LIFT_TEST_TMP/home"
    unset LIFT_DATABASE_URL
    trap cluster_cleanup EXIT
    trap 'exit 130' INT TERM
    fast=1
    [ "${2:-}" = durable ] && fast=0
    if ! LIFT_PG_FAST=$fast "$CLUSTER_BUILD/liftctl" db start >"$LIFT_TEST_TMP/url" \
        2>"$LIFT_TEST_TMP/start.log"; then
        cat "$LIFT_TEST_TMP/start.log" >&2
        return 1
    fi
    socket=$(sed -n 's/.*host=\([^&]*\).*/\1/p' "$LIFT_TEST_TMP/url")
    export LIFT_TEST_CONNINFO="host=$socket port=5432 user=lift"
    psql -X -q -v ON_ERROR_STOP=1 "$LIFT_TEST_CONNINFO dbname=postgres" \
        -c "CREATE DATABASE lift_template" >/dev/null || return 1
    if ! LIFT_DATABASE_URL="$LIFT_TEST_CONNINFO dbname=lift_template" \
        "$CLUSTER_BUILD/liftctl" db migrate 2>"$LIFT_TEST_TMP/migrate.log"; then
        cat "$LIFT_TEST_TMP/migrate.log" >&2
        return 1
    fi
}
