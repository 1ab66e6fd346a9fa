/* Time partitions of lift.events (migration 0010): existing rows survive the conversion, each
 * in its month's partition; ids stay unique across partitions (lift.event_ids), also for a
 * re-sent batch whose rows land on the other side of a month boundary; lift.maintain()
 * creates partitions ahead and moves rows out of the default partition. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lift/migrate.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(partitions, .fini = teardown, .timeout = 120);

/* Everything a row holds, in one string, ordered by id (the reference for "nothing lost"). */
/* The partition a row of lift.events sits in, schema-qualified whatever the search path. */
#define PARTITION "(SELECT 'lift.' || c.relname FROM pg_class c WHERE c.oid = events.tableoid)"

#define ROWS_DIGEST                                                                                \
    "SELECT count(*) || ':' || md5(string_agg(concat_ws('|', event_id, unit, type, value, "        \
    "currency, ts, props, received_at), ';' ORDER BY event_id)) FROM lift.events"

Test(partitions, migration_keeps_every_row_in_its_month)
{
    db = pgtest_db_empty(conninfo, sizeof conninfo);
    lift_err err;
    int applied;
    cr_assert_eq(lift_migrate_upto(db, "0009", &applied, NULL, NULL, &err), LIFT_OK, "%s", err.msg);
    /* 300 events over 2025-11 .. 2026-03, one far in the future, one with props/currency. */
    pgtest_ok(db, "INSERT INTO lift.events (event_id, unit, type, value, ts) "
                  "SELECT 'e' || i, 'u' || (i % 37), 'order', i, "
                  "timestamptz '2025-11-01 00:00:00+00' + i * interval '12 hours' "
                  "FROM generate_series(0, 299) i");
    pgtest_ok(db, "INSERT INTO lift.events (event_id, unit, type, value, currency, ts, props) "
                  "VALUES ('far', 'u1', 'order', 5, 'EUR', '2040-06-01 12:00+00', '{\"a\": 1}')");
    char before[128];
    snprintf(before, sizeof before, "%s", pgtest_value(db, ROWS_DIGEST));
    cr_assert_eq(lift_migrate(db, &applied, NULL, NULL, &err), LIFT_OK, "%s", err.msg);
    cr_assert_gt(applied, 0);

    cr_assert_str_eq(pgtest_value(db, ROWS_DIGEST), before, "rows changed in the conversion");
    cr_assert_str_eq(
        pgtest_value(db, "SELECT relkind FROM pg_class WHERE oid = 'lift.events'::regclass"), "p");
    /* Each row sits in the partition of its UTC month: the conversion creates one for every
     * month the existing rows cover, the far one's too (nothing is left in the default). */
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.events WHERE " PARTITION
                                      " <> 'lift.events_' || to_char(ts AT TIME ZONE "
                                      "'UTC', 'YYYY_MM')"),
                     "0");
    cr_assert_str_eq(
        pgtest_value(db, "SELECT " PARTITION " FROM lift.events WHERE event_id = 'far'"),
        "lift.events_2040_06");
    /* 2025-11 .. 2026-03 (300 half days = 150 days from Nov 1: up to 2026-03-30). */
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(c.relname, ',' ORDER BY c.relname) "
                                      "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                      "WHERE i.inhparent = 'lift.events'::regclass AND "
                                      "c.relname < 'events_2026_04'"),
                     "events_2025_11,events_2025_12,events_2026_01,events_2026_02,events_2026_03");
    /* Every id registered, every row with its ingesting transaction. */
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.event_ids e JOIN lift.events v "
                                      "USING (event_id, ts)"),
                     "301");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.events WHERE ingested IS NULL"),
                     "0");
    /* The (unit, ts) index and the ingested index exist on every partition. */
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM pg_inherits i WHERE i.inhparent = "
                                      "'lift.events'::regclass AND (SELECT count(*) FROM pg_index "
                                      "x WHERE x.indrelid = i.inhrelid) <> 2"),
                     "0");
}

/* One batch, sent twice through the writer's staging path (duplicates skipped); the second
 * time every row's ts is an hour later, so that the rows at the end of January would land in
 * February's partition. */
static const char *send_batch(int shift_hours)
{
    static char sql[1024];
    snprintf(sql, sizeof sql,
             "BEGIN; SET LOCAL lift.on_duplicate = 'skip'; "
             "INSERT INTO lift.events (event_id, unit, type, value, ts) "
             "SELECT 'b' || i, 'u' || i, 'order', i, timestamptz '2026-01-31 20:00+00' + "
             "(i * 10 + %d * 60) * interval '1 minute' FROM generate_series(0, 47) i; COMMIT",
             shift_hours);
    return sql;
}

Test(partitions, a_resent_batch_across_a_month_boundary_is_stored_once)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db,
              "SELECT lift.events_partition('2026-01-15'), lift.events_partition('2026-02-15')");
    pgtest_ok(db, send_batch(0));
    /* 48 rows 20:00 .. 03:50: 24 in January (up to 23:50), 24 in February. */
    cr_assert_str_eq(
        pgtest_value(db, "SELECT string_agg(n::text, ',' ORDER BY p) FROM (SELECT " PARTITION
                         " p, count(*) n FROM lift.events "
                         "GROUP BY 1) x"),
        "24,24");
    pgtest_ok(db, send_batch(1));
    pgtest_ok(db, send_batch(-31 * 24)); /* a month earlier: December, the default partition */
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) || '/' || count(DISTINCT event_id) || '/' "
                                      "|| (min(ts) = '2026-01-31 20:00+00') FROM lift.events"),
                     "48/48/true");
    /* Outside the staging path a stored id is refused, whatever month it would go to. */
    cr_assert(strstr(pgtest_fails(db, "INSERT INTO lift.events (event_id, unit, type, ts) "
                                      "VALUES ('b3', 'u3', 'order', '2027-07-01')"),
                     "duplicate key value violates unique constraint"));
    /* Within one batch, the first copy of an id wins. */
    pgtest_ok(db, "BEGIN; SET LOCAL lift.on_duplicate = 'skip'; INSERT INTO lift.events "
                  "(event_id, unit, type, value, ts) VALUES ('x', 'u', 'order', 1, "
                  "'2026-01-31 23:59+00'), ('x', 'u', 'order', 2, '2026-02-01 00:01+00'); COMMIT");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(value::text, ',') FROM lift.events "
                                      "WHERE event_id = 'x'"),
                     "1");
}

Test(partitions, maintain_creates_partitions_ahead_and_empties_the_default)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    /* The migration made this month's and the next two months' partitions. */
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM generate_series(0, 2) i WHERE "
                                      "to_regclass('lift.events_' || to_char((now() + i * "
                                      "interval '1 month') AT TIME ZONE 'UTC', 'YYYY_MM')) IS "
                                      "NULL"),
                     "0");
    /* (Once first: a day of the exposure log's (0013) may have begun since the migration.) */
    (void)pgtest_value(db, "SELECT lift.maintain()");
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.maintain()"), "0");
    /* A row five months ahead waits in the default partition until its month is made. */
    pgtest_ok(db, "INSERT INTO lift.events (event_id, unit, type, ts) VALUES ('late', 'u', 'x', "
                  "now() + interval '5 months')");
    cr_assert_str_eq(
        pgtest_value(db, "SELECT " PARTITION " FROM lift.events WHERE event_id = 'late'"),
        "lift.events_default");
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.maintain(6)"), "4");
    cr_assert_str_eq(pgtest_value(db, "SELECT " PARTITION " = 'lift.events_' || "
                                      "to_char(ts AT TIME ZONE 'UTC', 'YYYY_MM') FROM lift.events "
                                      "WHERE event_id = 'late'"),
                     "t");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.events_default"), "0");
    /* liftd (lift_writer) may run the upkeep; it still cannot read or delete events. */
    char w[1100];
    pgtest_conninfo_as(conninfo, "lift_writer", w, sizeof w);
    lift_err err;
    lift_db *wdb = lift_db_open(w, &err);
    cr_assert(wdb, "%s", err.msg);
    cr_assert_str_eq(pgtest_value(wdb, "SELECT lift.maintain()"), "0");
    cr_assert(strstr(pgtest_fails(wdb, "SELECT * FROM lift.event_ids"), "permission denied"));
    lift_db_close(wdb);
}
