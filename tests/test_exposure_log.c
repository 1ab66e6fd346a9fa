/* The exposure log (migration 0013): partitioned by day, existing rows kept, ids unique
 * across days; and optional: with lift.settings.exposure_log off, exposures merge into
 * lift.assignments exactly (by COPY, INSERT and through liftd) and no row stays. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/migrate.h"
#include "support/liftd.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(exposure_log, .fini = teardown, .timeout = 120);

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

/* The partition a row of lift.exposures sits in, schema-qualified. */
#define PARTITION "(SELECT 'lift.' || c.relname FROM pg_class c WHERE c.oid = exposures.tableoid)"

#define ROWS_DIGEST                                                                                \
    "SELECT count(*) || ':' || md5(string_agg(concat_ws('|', event_id, unit, experiment, "         \
    "variant, phase, ts, attrs, received_at), ';' ORDER BY event_id)) FROM lift.exposures"

#define ASSIGNMENTS_DIGEST                                                                         \
    "SELECT count(*) || ':' || md5(string_agg(concat_ws('|', experiment, phase, unit, first_ts, "  \
    "first_id, variant, attrs, variants, last_ts, exposures), ';' ORDER BY experiment, phase, "    \
    "unit)) FROM lift.assignments"

Test(exposure_log, migration_keeps_every_exposure_in_its_day)
{
    db = pgtest_db_empty(conninfo, sizeof conninfo);
    lift_err err;
    int applied;
    cr_assert_eq(lift_migrate_upto(db, "0012", &applied, NULL, NULL, &err), LIFT_OK, "%s", err.msg);
    /* 300 exposures every 37 minutes from 2025-12-30 (over the new year: 8 days), two
     * variants for some shoppers, attrs on some; one far in the future. */
    pgtest_ok(db, "INSERT INTO lift.exposures (event_id, unit, experiment, variant, phase, ts, "
                  "attrs) SELECT 'x' || i, 'u' || (i % 41), 'recs', CASE WHEN i % 7 = 0 THEN "
                  "'personalized' ELSE 'control' END, 1 + i % 2, timestamptz "
                  "'2025-12-30 00:00+00' + i * interval '37 minutes', CASE WHEN i % 3 = 0 THEN "
                  "jsonb_build_object('d', i) END FROM generate_series(0, 299) i");
    pgtest_ok(db, "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES "
                  "('far', 'u1', 'recs', 'control', '2041-02-03 04:05+00')");
    char rows[128], assignments[128];
    snprintf(rows, sizeof rows, "%s", pgtest_value(db, ROWS_DIGEST));
    snprintf(assignments, sizeof assignments, "%s", pgtest_value(db, ASSIGNMENTS_DIGEST));
    cr_assert(!strncmp(rows, "301:", 4), "%s", rows);
    cr_assert(!strncmp(assignments, "82:", 3), "%s", assignments); /* 41 units x 2 phases */

    cr_assert_eq(lift_migrate(db, &applied, NULL, NULL, &err), LIFT_OK, "%s", err.msg);
    cr_assert_geq(applied, 1); /* 0013 and any later ones */
    cr_assert_str_eq(pgtest_value(db, ROWS_DIGEST), rows, "exposures changed in the conversion");
    cr_assert_str_eq(pgtest_value(db, ASSIGNMENTS_DIGEST), assignments,
                     "assignments changed in the conversion");
    cr_assert_str_eq(
        pgtest_value(db, "SELECT relkind FROM pg_class WHERE oid = 'lift.exposures'::regclass"),
        "p");
    /* Each row in its UTC day's partition (8 days of data and the far one's day). */
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE " PARTITION
                       " <> 'lift.exposures_' || to_char(ts AT TIME ZONE 'UTC', 'YYYY_MM_DD')"),
                 0);
    cr_assert_str_eq(
        pgtest_value(db, "SELECT " PARTITION " FROM lift.exposures WHERE event_id = 'far'"),
        "lift.exposures_2041_02_03");
    /* 299 * 37 min = 184.4 h after 2025-12-30 00:00: up to 2026-01-06 16:23. */
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(c.relname, ',' ORDER BY c.relname) "
                                      "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                      "WHERE i.inhparent = 'lift.exposures'::regclass AND "
                                      "c.relname < 'exposures_2026_01_07'"),
                     "exposures_2025_12_30,exposures_2025_12_31,exposures_2026_01_01,"
                     "exposures_2026_01_02,exposures_2026_01_03,exposures_2026_01_04,"
                     "exposures_2026_01_05,exposures_2026_01_06");
    cr_assert_eq(count("SELECT count(*) FROM lift.exposure_ids i JOIN lift.exposures x "
                       "USING (event_id, ts)"),
                 301);
    /* The analysis index on every partition; the parent's triggers in place. */
    cr_assert_eq(count("SELECT count(*) FROM pg_inherits i WHERE i.inhparent = "
                       "'lift.exposures'::regclass AND (SELECT count(*) FROM pg_index x WHERE "
                       "x.indrelid = i.inhrelid) <> 1"),
                 0);
    /* New rows still merge once (the triggers exist on the new table). */
    pgtest_ok(db, "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES "
                  "('new', 'fresh-unit', 'recs', 'control', '2026-01-02 00:00+00')");
    cr_assert_eq(count("SELECT exposures FROM lift.assignments WHERE unit = 'fresh-unit'"), 1);
}

/* --- the log off -------------------------------------------------------------------- */

static uint64_t rng = 7;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* n exposures as COPY csv, over 200 shoppers, two phases, ties in time, mixed variants and
 * NULL attrs; every fourth row is delivered twice (a re-send). Returns the deliveries. */
static size_t deliveries(lift_buf *csv, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        char line[160];
        snprintf(line, sizeof line, "x%zu,u%llu,recs,%s,%d,2026-03-%02d %02d:00:00+00,%s\n", i,
                 (unsigned long long)(r % 200), (r >> 16) % 5 == 0 ? "personalized" : "control",
                 1 + (int)((r >> 24) % 3 == 0), 1 + (int)(i % 9), (int)((r >> 8) % 3),
                 (r >> 32) % 4 == 0 ? "" : "\"{\"\"d\"\":1}\"");
        for (int copy = 0; copy < (i % 4 == 0 ? 2 : 1); copy++, m++)
            lift_buf_puts(csv, line);
    }
    return m;
}

/* The reference: each shopper's earliest (ts, event_id) delivery, the variants seen, the
 * latest time and the number of deliveries, from the plain table `src` (DISTINCT ON, not the
 * merge's array_agg). */
#define EXPECTED_DIGEST                                                                            \
    "WITH f AS (SELECT DISTINCT ON (experiment, phase, unit) experiment, phase, unit, ts, "        \
    "event_id, variant, attrs FROM src ORDER BY experiment, phase, unit, ts, event_id), "          \
    "g AS (SELECT experiment, phase, unit, array_agg(DISTINCT variant ORDER BY variant) v, "       \
    "max(ts) l, count(*) n FROM src GROUP BY 1, 2, 3) "                                            \
    "SELECT count(*) || ':' || md5(string_agg(concat_ws('|', experiment, phase, unit, f.ts, "      \
    "f.event_id, f.variant, f.attrs, g.v, g.l, g.n), ';' ORDER BY experiment, phase, unit)) "      \
    "FROM f JOIN g USING (experiment, phase, unit)"

Test(exposure_log, off_merges_copy_and_insert_exactly_and_keeps_no_row)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    lift_buf csv;
    lift_buf_init(&csv);
    size_t m = deliveries(&csv, 3000);
    cr_assert_eq(m, 3750);
    lift_err err;
    pgtest_ok(db, "CREATE TEMP TABLE src (event_id text, unit text, experiment text, variant "
                  "text, phase integer, ts timestamptz, attrs jsonb, k serial)");
    cr_assert_eq(lift_db_copy(db,
                              "COPY src (event_id, unit, experiment, variant, phase, ts, attrs) "
                              "FROM STDIN (FORMAT csv)",
                              csv.data, csv.len, &err),
                 LIFT_OK, "%s", err.msg);
    char want[128];
    snprintf(want, sizeof want, "%s", pgtest_value(db, EXPECTED_DIGEST));
    cr_assert_gt(count("SELECT count(*) FILTER (WHERE cardinality(v) > 1) FROM (SELECT "
                       "array_agg(DISTINCT variant) v FROM src GROUP BY phase, unit) x"),
                 0, "no mixed shopper in the data");
    cr_assert_gt(count("SELECT count(*) FROM (SELECT 1 FROM src GROUP BY phase, unit, ts "
                       "HAVING count(DISTINCT event_id) > 1) x"),
                 0, "no tie in the data");

    pgtest_ok(db, "UPDATE lift.settings SET exposure_log = false");
    /* The first half of the deliveries by COPY, in batches of 500 lines... */
    size_t lines = 0;
    for (size_t start = 0; lines < m / 2;) {
        size_t end = start;
        for (int k = 0; k < 500 && lines < m / 2; k++, lines++)
            end =
                (size_t)((const char *)memchr(csv.data + end, '\n', csv.len - end) - csv.data) + 1;
        cr_assert_eq(lift_db_copy(db,
                                  "COPY lift.exposures (event_id, unit, experiment, variant, "
                                  "phase, ts, attrs) FROM STDIN (FORMAT csv)",
                                  csv.data + start, end - start, &err),
                     LIFT_OK, "%s", err.msg);
        start = end;
    }
    /* ... the rest by INSERT, in one statement, in another order. */
    char sql[300];
    snprintf(sql, sizeof sql,
             "INSERT INTO lift.exposures (event_id, unit, experiment, variant, phase, ts, attrs) "
             "SELECT event_id, unit, experiment, variant, phase, ts, attrs FROM src WHERE k > %zu "
             "ORDER BY md5(k::text)",
             lines);
    pgtest_ok(db, sql);

    cr_assert_str_eq(pgtest_value(db, ASSIGNMENTS_DIGEST), want);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 0);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposure_ids"), 0);
    cr_assert_eq(count("SELECT sum(exposures) FROM lift.assignments"), 3750);

    /* On again: rows are kept and registered from the next statement on. */
    pgtest_ok(db, "UPDATE lift.settings SET exposure_log = true");
    pgtest_ok(db, "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES "
                  "('on-1', 'u1', 'recs', 'control', '2026-03-01 00:00+00')");
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 1);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposure_ids"), 1);
    lift_buf_fini(&csv);
}

Test(exposure_log, off_through_liftd_merges_posts_and_assigns_and_keeps_no_row)
{
    liftd_proc d;
    /* Without liftd's exposure cache, every /v1/assign logs an exposure. */
    static const char *const args[] = {"--expose-cache", "0", NULL};
    liftd_fixture_up(&d, &db, conninfo, sizeof conninfo, args);
    lift_httpc_response r;
    lift_buf_init(&r.body);
    pgtest_ok(db, "UPDATE lift.settings SET exposure_log = false");
    const char *body =
        "{\"exposures\":[{\"event_id\":\"p1\",\"unit\":\"ann\",\"experiment\":\"recs\","
        "\"variant\":\"personalized\",\"ts\":\"2026-03-01T10:00:00Z\",\"attrs\":{\"d\":\"m\"}},"
        "{\"event_id\":\"p2\",\"unit\":\"ann\",\"experiment\":\"recs\",\"variant\":\"control\","
        "\"ts\":\"2026-03-01T09:00:00Z\"},"
        "{\"event_id\":\"p3\",\"unit\":\"ben\",\"experiment\":\"recs\",\"variant\":\"control\","
        "\"ts\":\"2026-03-02T09:00:00Z\"}]}";
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 202, "%s", r.body.data);
    cr_assert_str_eq(r.body.data, "{\"accepted\":3,\"duplicates\":0}\n");
    /* A re-send cannot be recognised with the log off: merged again, counted again. */
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 202, "%s", r.body.data);
    cr_assert_str_eq(r.body.data, "{\"accepted\":3,\"duplicates\":0}\n");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(concat_ws('|', unit, first_ts AT TIME "
                                      "ZONE 'UTC', first_id, variant, attrs, variants, last_ts AT "
                                      "TIME ZONE 'UTC', exposures), ';' ORDER BY unit) FROM "
                                      "lift.assignments"),
                     "ann|2026-03-01 09:00:00|p2|control|{control,personalized}|2026-03-01 "
                     "10:00:00|4;ben|2026-03-02 09:00:00|p3|control|{control}|2026-03-02 "
                     "09:00:00|2");
    /* /v1/assign's live exposures: merged, not logged. */
    for (int i = 0; i < 3; i++)
        cr_assert_eq(liftd_get(&d, "/v1/assign?unit=live-1", &r), 200, "%s", r.body.data);
    for (int i = 0; i < 500 && count("SELECT coalesce(sum(exposures), 0) FROM lift.assignments "
                                     "WHERE unit = 'live-1'") < 3;
         i++)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    cr_assert_eq(count("SELECT exposures FROM lift.assignments WHERE unit = 'live-1'"), 3);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 0);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposure_ids"), 0);

    /* On again: stored, and a re-send is a duplicate again. */
    pgtest_ok(db, "UPDATE lift.settings SET exposure_log = true");
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 202, "%s", r.body.data);
    cr_assert_str_eq(r.body.data, "{\"accepted\":3,\"duplicates\":0}\n");
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 202, "%s", r.body.data);
    cr_assert_str_eq(r.body.data, "{\"accepted\":0,\"duplicates\":3}\n");
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 3);
    cr_assert_eq(count("SELECT exposures FROM lift.assignments WHERE unit = 'ann'"), 6);
    lift_buf_fini(&r.body);
    liftd_fixture_down(&d, db);
    db = NULL;
}

/* --- daily partitions ----------------------------------------------------------------- */

Test(exposure_log, days_are_made_ahead_and_the_default_takes_the_rest)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    /* Today's partition and the next 7 days' exist (the migration ran lift.maintain()). */
    (void)count("SELECT lift.maintain()"); /* in case midnight passed since the migration */
    cr_assert_eq(count("SELECT count(*) FROM generate_series(0, 7) i WHERE to_regclass("
                       "'lift.exposures_' || to_char((now() + i * interval '1 day') AT TIME ZONE "
                       "'UTC', 'YYYY_MM_DD')) IS NULL"),
                 0);
    cr_assert_eq(count("SELECT lift.maintain()"), 0);
    /* Two rows either side of midnight UTC (written in another time zone) land in two days. */
    pgtest_ok(db, "SET TIME ZONE 'America/New_York';"
                  "SELECT lift.exposures_partition('2026-05-01 12:00+00'), "
                  "lift.exposures_partition('2026-05-02 12:00+00');"
                  "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES "
                  "('late', 'u', 'recs', 'control', '2026-05-01 19:59:59.999999-04'), "
                  "('early', 'u', 'recs', 'control', '2026-05-01 20:00:00-04'), "
                  "('ahead', 'u', 'recs', 'control', now() + interval '30 days'), "
                  "('past', 'u', 'recs', 'control', '2001-01-01 00:00+00');"
                  "RESET TIME ZONE");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id || '=' || " PARTITION
                                      ", ',' ORDER BY event_id) FROM lift.exposures"),
                     "ahead=lift.exposures_default,early=lift.exposures_2026_05_02,"
                     "late=lift.exposures_2026_05_01,past=lift.exposures_default");
    /* A day made later takes its rows out of the default partition. */
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.exposures_partition(now() + interval '30 "
                                      "days')"),
                     "t");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id, ',') FROM "
                                      "lift.exposures_default"),
                     "past");
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE event_id = 'ahead' AND " PARTITION
                       " = 'lift.exposures_' || to_char(ts AT TIME ZONE 'UTC', 'YYYY_MM_DD')"),
                 1);
}

/* One batch through the writer's staging idiom (duplicates skipped); shifted by hours, so
 * that rows before midnight land after it the second time. */
static const char *send_batch(int shift_hours)
{
    static char sql[1024];
    snprintf(sql, sizeof sql,
             "BEGIN; SET LOCAL lift.on_duplicate = 'skip'; "
             "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) "
             "SELECT 'b' || i, 'u' || i, 'recs', 'control', timestamptz '2026-05-01 20:00+00' + "
             "(i * 10 + %d * 60) * interval '1 minute' FROM generate_series(0, 47) i "
             "ON CONFLICT DO NOTHING; COMMIT",
             shift_hours);
    return sql;
}

Test(exposure_log, a_resent_batch_across_a_day_boundary_is_stored_and_merged_once)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, "SELECT lift.exposures_partition('2026-05-01 12:00+00'), "
                  "lift.exposures_partition('2026-05-02 12:00+00')");
    pgtest_ok(db, send_batch(0));
    /* 48 rows 20:00 .. 03:50: 24 on May 1 (up to 23:50), 24 on May 2. */
    cr_assert_str_eq(
        pgtest_value(db, "SELECT string_agg(n::text, ',' ORDER BY p) FROM (SELECT " PARTITION
                         " p, count(*) n FROM lift.exposures GROUP BY 1) x"),
        "24,24");
    pgtest_ok(db, send_batch(1));
    pgtest_ok(db, send_batch(-24 * 40)); /* 40 days earlier: the default partition */
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) || '/' || count(DISTINCT event_id) || '/' "
                                      "|| (min(ts) = '2026-05-01 20:00+00') FROM lift.exposures"),
                     "48/48/true");
    /* Merged once: the skipped copies are not in the statement's rows. */
    cr_assert_eq(count("SELECT sum(exposures) FROM lift.assignments"), 48);
    /* Outside the staging idiom a stored id is refused, whatever day it would go to. */
    cr_assert(strstr(pgtest_fails(db, "INSERT INTO lift.exposures (event_id, unit, experiment, "
                                      "variant, ts) VALUES ('b3', 'u3', 'recs', 'control', "
                                      "'2027-07-01')"),
                     "duplicate key value violates unique constraint \"exposure_ids_pkey\""));
}
