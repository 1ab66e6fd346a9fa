/* liftctl prune (migration 0013's lift.prune): whole partitions of lift.events and
 * lift.exposures older than the cutoff are dropped, older rows of the default partitions and
 * older registry ids deleted, the cutoff recorded; a dry run changes nothing; bad ages are
 * refused; the dedup horizon holds before the prune and moves with it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(prune, .fini = teardown, .timeout = 120);

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

/* Six months of events in 2020 (10 a month, on days 1-10 at 06:00) and ten days of the
 * exposure log (5 a day, 1 March to 10 March at 02, 06, 10, 14 and 18h), each in its
 * partition; one event and one exposure in 2010 and in 2035 (the default partitions). */
static const char FIXTURE[] =
    "SELECT lift.events_partition(timestamptz '2020-01-15 00:00+00' + m * interval '1 month') "
    "FROM generate_series(0, 5) m;"
    "SELECT lift.exposures_partition(timestamptz '2020-03-01 12:00+00' + d * interval '1 day') "
    "FROM generate_series(0, 9) d;"
    "INSERT INTO lift.events (event_id, unit, type, value, ts) "
    "SELECT 'e' || m || '-' || k, 'u' || k, 'order', 1, timestamptz '2020-01-01 06:00+00' + "
    "m * interval '1 month' + k * interval '1 day' FROM generate_series(0, 5) m, "
    "generate_series(0, 9) k;"
    "INSERT INTO lift.events (event_id, unit, type, ts) VALUES "
    "('e-old', 'u1', 'order', '2010-05-01 00:00+00'), ('e-far', 'u1', 'order', "
    "'2035-01-01 00:00+00');"
    "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) "
    "SELECT 'x' || d || '-' || h, 'u' || h, 'recs', 'control', timestamptz "
    "'2020-03-01 00:00+00' + d * interval '1 day' + h * interval '1 hour' "
    "FROM generate_series(0, 9) d, unnest(ARRAY[2, 6, 10, 14, 18]) h;"
    "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES "
    "('x-old', 'u1', 'recs', 'control', '2010-05-01 00:00+00'), "
    "('x-far', 'u1', 'recs', 'control', '2035-01-01 00:00+00')";

/* --older-than in whole hours so that the cutoff falls on 5 March 2020 between 12:00 and
 * 13:00 UTC (no fixture row lies in that hour). */
static const char *age_to_noon(void)
{
    static char arg[64];
    snprintf(arg, sizeof arg, "--older-than %sh",
             pgtest_value(db, "SELECT floor(extract(epoch FROM now() - timestamptz "
                              "'2020-03-05 12:00+00') / 3600)::bigint"));
    return arg;
}

/* The partitions of 2020 (the migration made others, for now). */
#define PARTITIONS(parent)                                                                         \
    "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c "     \
    "ON c.oid = i.inhrelid WHERE i.inhparent = 'lift." parent                                      \
    "'::regclass AND c.relname LIKE '" parent "_2020%'"

#define ASSIGNMENTS_DIGEST                                                                         \
    "SELECT count(*) || ':' || md5(string_agg(concat_ws('|', experiment, phase, unit, first_ts, "  \
    "first_id, variant, variants, last_ts, exposures), ';' ORDER BY experiment, phase, unit)) "    \
    "FROM lift.assignments"

/* Everything prune may change, in one string. */
#define STATE                                                                                      \
    "SELECT concat_ws(' ', (SELECT count(*) FROM pg_inherits WHERE inhparent IN "                  \
    "('lift.events'::regclass, 'lift.exposures'::regclass)), (SELECT count(*) FROM lift.events), " \
    "(SELECT count(*) FROM lift.exposures), (SELECT count(*) FROM lift.event_ids), (SELECT "       \
    "count(*) FROM lift.exposure_ids), (SELECT count(*) FROM lift.pruned))"

static void set_up_fixture(void)
{
    pgtest_ok(db, PGTEST_RECS);
    pgtest_ok(db, FIXTURE);
    cr_assert_str_eq(pgtest_value(db, PARTITIONS("events")),
                     "events_2020_01,events_2020_02,events_2020_03,events_2020_04,events_2020_05,"
                     "events_2020_06");
    cr_assert_eq(count("SELECT count(*) FROM lift.events_default"), 2);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures_default"), 2);
}

Test(prune, drops_whole_old_partitions_and_the_ids_and_records_the_cutoff)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    set_up_fixture();
    char assignments[128];
    snprintf(assignments, sizeof assignments, "%s", pgtest_value(db, ASSIGNMENTS_DIGEST));
    char args[96], out[8192];
    snprintf(args, sizeof args, "prune %s", age_to_noon());
    int rc = cli_run(conninfo, NULL, args, 1, out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);

    /* January and February end before 5 March; March holds rows on both sides: kept. */
    cr_assert_str_eq(pgtest_value(db, PARTITIONS("events")),
                     "events_2020_03,events_2020_04,events_2020_05,events_2020_06");
    /* 1-4 March go; 5 March (rows at 14h and 18h after the cutoff) stays. */
    cr_assert_str_eq(pgtest_value(db, PARTITIONS("exposures")),
                     "exposures_2020_03_05,exposures_2020_03_06,exposures_2020_03_07,"
                     "exposures_2020_03_08,exposures_2020_03_09,exposures_2020_03_10");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id, ',') FROM lift.events_default"),
                     "e-far");
    cr_assert_str_eq(
        pgtest_value(db, "SELECT string_agg(event_id, ',') FROM lift.exposures_default"), "x-far");
    /* Rows: events 4 months x 10 + e-far; exposures 6 days x 5 + x-far. Ids: only those at or
     * after the cutoff (March 6-10, April-June and e-far: 36; exposures of 5 March at 14h and
     * 18h, 6-10 March and x-far: 28), also those whose rows stay in a kept partition. */
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 41);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 31);
    cr_assert_eq(count("SELECT count(*) FROM lift.event_ids"), 36);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposure_ids"), 28);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(what || ':' || (before >= '2020-03-05 "
                                      "12:00+00' AND before < '2020-03-05 13:00+00'), ',' ORDER "
                                      "BY what) FROM lift.pruned"),
                     "events:true,exposures:true");
    /* The first exposures stay known. */
    cr_assert_str_eq(pgtest_value(db, ASSIGNMENTS_DIGEST), assignments);

    /* What it says it did. */
    static const char *const lines[] = {
        "cutoff 2020-03-05 12:",
        "dropped partition lift.events_2020_01: 10 rows\n",
        "dropped partition lift.events_2020_02: 10 rows\n",
        "dropped partition lift.exposures_2020_03_01: 5 rows\n",
        "dropped partition lift.exposures_2020_03_04: 5 rows\n",
        "deleted 1 rows older than the cutoff from the default partition lift.events_default",
        "deleted 1 rows older than the cutoff from the default partition lift.exposures_default",
        "deleted 26 ids older than the cutoff from lift.event_ids\n",
        "deleted 24 ids older than the cutoff from lift.exposure_ids\n",
        "recorded the cutoff in lift.pruned",
        "pruned 6 partitions (40 rows), 2 rows of default partitions, 50 ids in ",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        cr_assert(strstr(out, lines[i]), "missing \"%s\" in:\n%s", lines[i], out);
    cr_assert(!strstr(out, "events_2020_03:"), "%s", out);

    /* Again: nothing left to drop; the cutoff does not move back for a longer age. */
    cr_assert_eq(cli_run(conninfo, NULL, "prune --older-than 100000h", 1, out, sizeof out), 0, "%s",
                 out);
    cr_assert(strstr(out, "pruned 0 partitions (0 rows), 0 rows of default partitions, 0 ids"),
              "%s", out);
    cr_assert_eq(count("SELECT count(*) FROM lift.pruned WHERE before >= '2020-03-05 12:00+00'"),
                 2);
}

Test(prune, a_dry_run_lists_what_would_go_and_changes_nothing)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    set_up_fixture();
    char before[256], out[8192], args[96];
    snprintf(before, sizeof before, "%s", pgtest_value(db, STATE));
    snprintf(args, sizeof args, "prune --dry-run %s", age_to_noon());
    cr_assert_eq(cli_run(conninfo, NULL, args, 1, out, sizeof out), 0, "%s", out);
    cr_assert_str_eq(pgtest_value(db, STATE), before);
    cr_assert(strstr(out, "dry run, nothing is changed"), "%s", out);
    cr_assert(strstr(out, "would drop partition lift.events_2020_02: 10 rows\n"), "%s", out);
    cr_assert(strstr(out, "would delete 1 rows older than the cutoff from the default partition "
                          "lift.exposures_default"),
              "%s", out);
    cr_assert(strstr(out, "would prune 6 partitions (40 rows), 2 rows of default partitions, 50 "
                          "ids in "),
              "%s", out);
}

Test(prune, bad_ages_and_roles_are_refused_and_nothing_changes)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    set_up_fixture();
    char before[256], out[4096];
    snprintf(before, sizeof before, "%s", pgtest_value(db, STATE));
    static const struct {
        const char *args, *message;
    } bad[] = {
        {"prune", "--older-than DURATION is required"},
        {"prune --older-than 90", "'90' has no unit: add d (days), w (weeks) or h (hours)"},
        {"prune --older-than 90m", "'90m': unknown unit 'm'"},
        {"prune --older-than d", "'d' does not start with a number"},
        {"prune --older-than -3d", "'-3d' is negative"},
        {"prune --older-than 0w", "the age must be more than 0"},
        {"prune --older-than 5300w", "'5300w' is longer than a century"},
        {"prune --older-than 9d extra", "unexpected argument 'extra'"},
        {"prune --older-than 9d --frob", "unknown option --frob"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(cli_run(conninfo, NULL, bad[i].args, 1, out, sizeof out), 2, "%s: %s",
                     bad[i].args, out);
        cr_assert(strstr(out, bad[i].message), "%s: %s", bad[i].args, out);
    }
    /* liftd's and the analysts' roles may not prune. */
    static const char *const roles[] = {"lift_writer", "lift_analyst"};
    for (size_t i = 0; i < 2; i++) {
        char as[1100];
        pgtest_conninfo_as(conninfo, roles[i], as, sizeof as);
        cr_assert_eq(cli_run(as, NULL, "prune --older-than 1d", 1, out, sizeof out), 1, "%s", out);
        cr_assert(strstr(out, "prune needs the owner of the lift tables"), "%s", out);
    }
    cr_assert_str_eq(pgtest_value(db, STATE), before);
}

/* --- the dedup horizon, through liftd --------------------------------------------------- */

/* Four events over the end of February 2020 and four exposures over the 4/5 March midnight
 * and one after the cutoff (6 March), each with its ts or, with_ts false, without (liftd
 * stamps them with the time they arrive). */
static void batches(char *events, char *exposures, size_t len, bool with_ts)
{
    static const char *const ets[] = {"2020-02-28T23:00:00Z", "2020-02-29T23:30:00Z",
                                      "2020-03-01T00:30:00Z", "2020-03-02T10:00:00Z"};
    static const char *const xts[] = {"2020-03-04T23:00:00Z", "2020-03-04T23:50:00Z",
                                      "2020-03-05T00:10:00Z", "2020-03-06T09:00:00Z"};
    size_t n = (size_t)snprintf(events, len, "{\"events\":[");
    for (int i = 0; i < 4; i++) {
        n += (size_t)snprintf(events + n, len - n,
                              "%s{\"event_id\":\"h-e%d\",\"unit\":\"u%d\",\"type\":\"order\","
                              "\"value\":1",
                              i ? "," : "", i, i);
        n += (size_t)snprintf(events + n, len - n, with_ts ? ",\"ts\":\"%s\"}" : "}%s",
                              with_ts ? ets[i] : "");
    }
    snprintf(events + n, len - n, "]}");
    n = (size_t)snprintf(exposures, len, "{\"exposures\":[");
    for (int i = 0; i < 4; i++) {
        n += (size_t)snprintf(exposures + n, len - n,
                              "%s{\"event_id\":\"h-x%d\",\"unit\":\"u%d\",\"experiment\":"
                              "\"recs\",\"variant\":\"control\"",
                              i ? "," : "", i, i);
        n += (size_t)snprintf(exposures + n, len - n, with_ts ? ",\"ts\":\"%s\"}" : "}%s",
                              with_ts ? xts[i] : "");
    }
    snprintf(exposures + n, len - n, "]}");
}

static void post(liftd_proc *d, const char *path, const char *body, const char *want)
{
    lift_httpc_response r;
    lift_buf_init(&r.body);
    cr_assert_eq(liftd_post(d, path, body, &r), 202, "%s: %s", path, r.body.data);
    cr_assert_str_eq(r.body.data, want, "%s", path);
    lift_buf_fini(&r.body);
}

Test(prune, a_resent_batch_is_stored_once_before_the_horizon_and_again_after_it)
{
    liftd_proc d;
    liftd_fixture_up(&d, &db, conninfo, sizeof conninfo, NULL);
    pgtest_ok(db, "SELECT lift.events_partition('2020-02-15'), lift.events_partition('2020-03-15'),"
                  "lift.exposures_partition('2020-03-04 12:00+00'), "
                  "lift.exposures_partition('2020-03-05 12:00+00'), "
                  "lift.exposures_partition('2020-03-06 12:00+00')");
    char events[2048], exposures[2048];
    batches(events, exposures, sizeof events, true);
    post(&d, "/v1/events", events, "{\"accepted\":4,\"duplicates\":0}\n");
    post(&d, "/v1/exposures", exposures, "{\"accepted\":4,\"duplicates\":0}\n");
    /* Before any prune: re-sent, across month and day boundaries, nothing twice. */
    post(&d, "/v1/events", events, "{\"accepted\":0,\"duplicates\":4}\n");
    post(&d, "/v1/exposures", exposures, "{\"accepted\":0,\"duplicates\":4}\n");
    cr_assert_eq(count("SELECT count(DISTINCT tableoid) FROM lift.events"), 2);
    cr_assert_eq(count("SELECT count(DISTINCT tableoid) FROM lift.exposures"), 3);

    char out[8192], args[96];
    snprintf(args, sizeof args, "prune %s", age_to_noon());
    cr_assert_eq(cli_run(conninfo, NULL, args, 1, out, sizeof out), 0, "%s", out);
    /* February goes; March straddles the cutoff: its two rows stay, their ids go. */
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 2);
    cr_assert_eq(count("SELECT count(*) FROM lift.event_ids"), 0);
    /* 5 March 00:10 stays (its day straddles the cutoff), its id goes; 6 March stays. */
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 2);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposure_ids"), 1);

    /* With their own times, older than the cutoff: skipped as duplicates, never stored again;
     * the exposure of 6 March is still registered. */
    post(&d, "/v1/events", events, "{\"accepted\":0,\"duplicates\":4}\n");
    post(&d, "/v1/exposures", exposures, "{\"accepted\":0,\"duplicates\":4}\n");
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 2);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 2);
    /* Without ts (stamped on arrival): the pruned ids are forgotten, so stored again: the
     * dedup horizon. The exposure whose id is still registered is a duplicate. */
    batches(events, exposures, sizeof events, false);
    post(&d, "/v1/events", events, "{\"accepted\":4,\"duplicates\":0}\n");
    post(&d, "/v1/exposures", exposures, "{\"accepted\":3,\"duplicates\":1}\n");
    cr_assert_eq(count("SELECT count(*) FROM lift.events WHERE ts > now() - interval '1 hour'"), 4);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 5);
    liftd_fixture_down(&d, db);
    db = NULL;
}
