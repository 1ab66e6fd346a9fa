/* Migration 0011 (rollups, stage 1): lift.events.ingested and the commit-safe watermark.
 * lift.rollup_dirty_units(experiment, phase, S) names exactly the shoppers of the phase
 * whose assignment changed or who got events since snapshot S, including rows of a
 * transaction that began before S was taken and committed after it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support/pgtest.h"

static lift_db *db;
static char conninfo[512];

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    pgtest_ok(db, "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES"
                  " ('x1', 'u1', 'recs', 'control', '2026-05-01T00:00Z'),"
                  " ('x2', 'u2', 'recs', 'personalized', '2026-05-01T00:00Z'),"
                  " ('x3', 'u3', 'recs', 'control', '2026-05-01T00:00Z');"
                  "INSERT INTO lift.events (event_id, unit, type, value, ts) VALUES"
                  " ('e1', 'u1', 'order', 10, '2026-05-02T00:00Z')");
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(rollup, .init = setup, .fini = teardown);

/* Records the current snapshot as the phase's watermark. */
static void mark(void)
{
    pgtest_ok(db, "INSERT INTO lift.rollup_state (experiment, phase, layout, fingerprint, snapshot)"
                  " VALUES ('recs', 1, '{}', 'f', pg_current_snapshot())"
                  " ON CONFLICT (experiment, phase) DO UPDATE SET snapshot = EXCLUDED.snapshot");
}

static const char DIRTY[] = "SELECT coalesce(string_agg(unit, ',' ORDER BY unit), '') FROM "
                            "lift.rollup_dirty_units('recs', 1, (SELECT snapshot FROM "
                            "lift.rollup_state WHERE experiment = 'recs' AND phase = 1))";

Test(rollup, events_have_the_storing_transaction)
{
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.events WHERE ingested IS NULL"),
                     "0");
    cr_assert_str_eq(pgtest_value(db, "SELECT indexdef LIKE '%btree (ingested)%' FROM pg_indexes "
                                      "WHERE indexname = 'events_ingested_idx'"),
                     "t");
}

Test(rollup, nothing_is_dirty_right_after_a_mark)
{
    mark();
    cr_assert_str_eq(pgtest_value(db, DIRTY), "");
}

Test(rollup, new_events_and_changed_assignments_are_dirty)
{
    mark();
    pgtest_ok(db, "INSERT INTO lift.events (event_id, unit, type, value, ts) VALUES"
                  " ('e2', 'u2', 'order', 5, '2026-05-03T00:00Z'),"
                  " ('e3', 'stranger', 'order', 5, '2026-05-03T00:00Z');"
                  /* a later exposure of the same variant changes nothing a report reads */
                  "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES"
                  " ('x1b', 'u1', 'recs', 'control', '2026-05-04T00:00Z'),"
                  " ('x3b', 'u3', 'recs', 'personalized', '2026-05-04T00:00Z')");
    /* u2: an event; u3: now mixed; u1 unchanged; the stranger is not in the experiment. */
    cr_assert_str_eq(pgtest_value(db, DIRTY), "u2,u3");
    mark();
    cr_assert_str_eq(pgtest_value(db, DIRTY), "");
}

/* A transaction that began before the mark and commits after it has an older xid than the
 * mark's: a timestamp or "greater xid" watermark would lose its rows; the snapshot does not. */
Test(rollup, a_transaction_committing_after_the_mark_is_not_lost)
{
    lift_err err;
    lift_db *late = lift_db_open(conninfo, &err);
    cr_assert(late, "%s", err.msg);
    pgtest_ok(late, "BEGIN; INSERT INTO lift.events (event_id, unit, type, value, ts) VALUES"
                    " ('e9', 'u3', 'order', 7, '2026-05-03T00:00Z')");
    pgtest_ok(db, "INSERT INTO lift.events (event_id, unit, type, value, ts) VALUES"
                  " ('e8', 'u2', 'order', 5, '2026-05-03T00:00Z')");
    mark(); /* sees e8, not e9 (still in progress) */
    cr_assert_str_eq(pgtest_value(db, DIRTY), "");
    pgtest_ok(late, "COMMIT");
    cr_assert_str_eq(pgtest_value(db, DIRTY), "u3");
    /* Its xid is below the xid of the mark's transaction. */
    cr_assert_str_eq(pgtest_value(db, "SELECT (SELECT ingested FROM lift.events WHERE event_id = "
                                      "'e9') < (SELECT ingested FROM lift.events WHERE event_id "
                                      "= 'e8')"),
                     "t");
    lift_db_close(late);
}

Test(rollup, rows_go_with_their_state)
{
    mark();
    pgtest_ok(db, "INSERT INTO lift.rollups (experiment, phase, unit, aggs) VALUES"
                  " ('recs', 1, 'u1', '{10,1}')");
    pgtest_ok(db, "DELETE FROM lift.rollup_state");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.rollups"), "0");
}
