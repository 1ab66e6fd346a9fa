/* Schema v1: good config is accepted; each kind of bad config is refused by the database
 * itself with a message naming the row; changes are announced with NOTIFY. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/migrate.h"
#include "lift/rows.h"
#include "lift/sqlfiles.h"
#include "support/pgtest.h"

static lift_db *db;

static void setup(void)
{
    db = pgtest_db(NULL, 0);
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(schema, .init = setup, .fini = teardown);

/* A running 50/50 experiment in layer "homepage" covering [0, 0.5). */
static const char GOOD[] =
    "BEGIN;"
    "INSERT INTO lift.layers (name) VALUES ('homepage');"
    "INSERT INTO lift.experiments (key, name, status, layer, layer_start, layer_end)"
    "  VALUES ('recs', 'Homepage recs', 'running', 'homepage', 0, 0.5);"
    "INSERT INTO lift.variants (experiment, key, weight, payload) VALUES"
    "  ('recs', 'control', 0.5, '{\"recs\": \"generic\"}'),"
    "  ('recs', 'personalized', 0.5, '{\"recs\": \"personal\"}');"
    "COMMIT;";

#define cr_assert_has(msg, part) cr_assert(strstr((msg), (part)), "message was: %s", (msg))

Test(schema, accepts_a_good_experiment_and_fills_defaults)
{
    pgtest_ok(db, GOOD);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(key || ':' || position || ':' || "
                                      "is_control, ',' ORDER BY position) FROM lift.variants"),
                     "control:0:true,personalized:1:false");
    cr_assert_str_eq(pgtest_value(db, "SELECT seed || '/' || phase FROM lift.experiments"),
                     "recs/1");
    cr_assert_str_eq(pgtest_value(db, "SELECT fingerprint FROM lift.experiment_phases"),
                     "2:control=0.5,personalized=0.5");
}

Test(schema, refuses_running_weights_not_summing_to_one)
{
    const char *msg = pgtest_fails(
        db, "BEGIN;"
            "INSERT INTO lift.experiments (key, name, status) VALUES ('w', 'W', 'running');"
            "INSERT INTO lift.variants (experiment, key, weight) VALUES ('w', 'a', 0.5),"
            "  ('w', 'b', 0.4);"
            "COMMIT;");
    cr_assert_str_eq(msg, "experiment \"w\": variant weights sum to 0.9, not 1");
}

Test(schema, refuses_running_experiment_with_one_variant)
{
    const char *msg = pgtest_fails(
        db, "BEGIN;"
            "INSERT INTO lift.experiments (key, name, status) VALUES ('one', 'One', 'running');"
            "INSERT INTO lift.variants (experiment, key, weight) VALUES ('one', 'a', 1);"
            "COMMIT;");
    cr_assert_str_eq(msg, "experiment \"one\": a running experiment needs at least 2 variants, "
                          "it has 1");
}

Test(schema, drafts_may_be_incomplete)
{
    pgtest_ok(db, "INSERT INTO lift.experiments (key, name) VALUES ('d', 'Draft');"
                  "INSERT INTO lift.variants (experiment, key, weight) VALUES ('d', 'a', 0.3);");
    const char *msg =
        pgtest_fails(db, "UPDATE lift.experiments SET status = 'running' WHERE key = 'd'");
    cr_assert_str_eq(msg, "experiment \"d\": a running experiment needs at least 2 variants, "
                          "it has 1");
}

Test(schema, refuses_two_controls)
{
    const char *msg = pgtest_fails(
        db, "BEGIN;"
            "INSERT INTO lift.experiments (key, name, status) VALUES ('c2', 'C2', 'running');"
            "INSERT INTO lift.variants (experiment, key, weight, is_control) VALUES"
            "  ('c2', 'a', 0.5, true), ('c2', 'b', 0.5, true);"
            "COMMIT;");
    cr_assert_str_eq(msg, "experiment \"c2\": a running experiment needs exactly one control "
                          "variant, it has 2");
}

Test(schema, refuses_overlapping_layer_ranges_of_running_experiments)
{
    pgtest_ok(db, GOOD);
    const char *msg = pgtest_fails(
        db, "BEGIN;"
            "INSERT INTO lift.experiments (key, name, status, layer, layer_start, layer_end)"
            "  VALUES ('banner', 'Banner', 'running', 'homepage', 0.4, 0.9);"
            "INSERT INTO lift.variants (experiment, key, weight) VALUES ('banner', 'a', 0.5),"
            "  ('banner', 'b', 0.5);"
            "COMMIT;");
    cr_assert_str_eq(msg, "experiment \"banner\": range [0.4, 0.9) of layer \"homepage\" "
                          "overlaps running experiment \"recs\" [0, 0.5)");
}

Test(schema, accepts_adjacent_layer_ranges_and_overlapping_drafts)
{
    pgtest_ok(db, GOOD);
    pgtest_ok(db, "BEGIN;"
                  "INSERT INTO lift.experiments (key, name, status, layer, layer_start, "
                  "  layer_end) VALUES ('banner', 'Banner', 'running', 'homepage', 0.5, 1);"
                  "INSERT INTO lift.variants (experiment, key, weight) VALUES"
                  "  ('banner', 'a', 0.5), ('banner', 'b', 0.5);"
                  "INSERT INTO lift.experiments (key, name, layer, layer_start, layer_end)"
                  "  VALUES ('later', 'Later', 'homepage', 0.2, 0.7);"
                  "COMMIT;");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.experiments"), "3");
}

Test(schema, refuses_coverage_outside_unit_interval)
{
    const char *msg = pgtest_fails(
        db, "INSERT INTO lift.experiments (key, name, coverage) VALUES ('c', 'C', 1.5)");
    cr_assert_str_eq(msg, "experiment \"c\": coverage 1.5 is outside [0, 1]");
    msg = pgtest_fails(db, "INSERT INTO lift.experiments (key, name, coverage) "
                           "VALUES ('n', 'N', -0.1)");
    cr_assert_str_eq(msg, "experiment \"n\": coverage -0.1 is outside [0, 1]");
}

Test(schema, refuses_unknown_metrics)
{
    const char *msg = pgtest_fails(
        db, "INSERT INTO lift.experiments (key, name, primary_metric) VALUES ('m', 'M', 'nope')");
    cr_assert_str_eq(msg, "experiment \"m\": unknown metric \"nope\"");
    msg = pgtest_fails(db, "INSERT INTO lift.experiments (key, name, metrics) "
                           "VALUES ('m2', 'M2', '{aov,gmv}')");
    cr_assert_str_eq(msg, "experiment \"m2\": unknown metric \"gmv\"");
}

Test(schema, refuses_weight_change_of_running_experiment_without_new_seed)
{
    pgtest_ok(db, GOOD);
    const char *msg =
        pgtest_fails(db, "BEGIN;"
                         "UPDATE lift.variants SET weight = 0.4 WHERE key = 'control';"
                         "UPDATE lift.variants SET weight = 0.6 WHERE key = 'personalized';"
                         "COMMIT;");
    cr_assert_has(msg, "experiment \"recs\": variants, weights or hash version changed in "
                       "phase 1 (2:control=0.5,personalized=0.5 became "
                       "2:control=0.4,personalized=0.6)");
    /* Payload edits do not move anyone and stay allowed. */
    pgtest_ok(db, "UPDATE lift.variants SET payload = '{\"recs\": \"v2\"}' WHERE key = 'control'");
}

Test(schema, accepts_weight_change_with_a_new_seed_as_a_new_phase)
{
    pgtest_ok(db, GOOD);
    pgtest_ok(db, "BEGIN;"
                  "UPDATE lift.variants SET weight = 0.4 WHERE key = 'control';"
                  "UPDATE lift.variants SET weight = 0.6 WHERE key = 'personalized';"
                  "UPDATE lift.experiments SET seed = 'recs-phase2' WHERE key = 'recs';"
                  "COMMIT;");
    cr_assert_str_eq(pgtest_value(db, "SELECT phase FROM lift.experiments"), "2");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(phase || '=' || fingerprint, ' ' "
                                      "ORDER BY phase) FROM lift.experiment_phases"),
                     "1=2:control=0.5,personalized=0.5 2=2:control=0.4,personalized=0.6");
}

Test(schema, refuses_restart_with_changed_weights_and_old_seed)
{
    pgtest_ok(db, GOOD);
    pgtest_ok(db, "BEGIN;"
                  "UPDATE lift.experiments SET status = 'stopped';"
                  "UPDATE lift.variants SET weight = 0.2 WHERE key = 'control';"
                  "UPDATE lift.variants SET weight = 0.8 WHERE key = 'personalized';"
                  "COMMIT;");
    const char *msg = pgtest_fails(db, "UPDATE lift.experiments SET status = 'running'");
    cr_assert_has(msg, "changed in phase 1");
}

Test(schema, refuses_hash_version_change_without_new_seed)
{
    pgtest_ok(db, GOOD);
    const char *msg = pgtest_fails(db, "UPDATE lift.experiments SET hash_version = 1");
    cr_assert_has(msg, "(2:control=0.5,personalized=0.5 became 1:control=0.5,personalized=0.5)");
}

Test(schema, refuses_bad_audience_conditions)
{
    pgtest_ok(db, "INSERT INTO lift.audiences (key) VALUES ('mobile')");
    const char *msg = pgtest_fails(db, "INSERT INTO lift.audience_conditions (audience, "
                                       "attribute, op, value) VALUES ('mobile', 'device', 'in', "
                                       "'\"mobile\"')");
    cr_assert_str_eq(msg, "audience \"mobile\": condition device in \"mobile\" needs a non-empty "
                          "array of strings or numbers");
    msg = pgtest_fails(db, "INSERT INTO lift.audience_conditions (audience, attribute, op, value)"
                           " VALUES ('mobile', 'age', 'between', '3')");
    cr_assert_has(msg, "operator \"between\" on \"age\" is not one of");
    pgtest_ok(db, "INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES"
                  " ('mobile', 'device', 'in', '[\"mobile\", \"tablet\"]'),"
                  " ('mobile', 'orders', 'gte', '2'), ('mobile', 'email', 'exists', 'true')");
}

Test(schema, refuses_override_to_unknown_variant)
{
    pgtest_ok(db, GOOD);
    const char *msg = pgtest_fails(db, "INSERT INTO lift.overrides (experiment, unit, variant) "
                                       "VALUES ('recs', 'qa-1', 'treatment')");
    cr_assert_str_eq(msg, "override of unit \"qa-1\" in experiment \"recs\": unknown variant "
                          "\"treatment\"");
}

Test(schema, refuses_bad_metric_definitions)
{
    const char *msg = pgtest_fails(db, "INSERT INTO lift.metrics (key, name, kind, event_types) "
                                       "VALUES ('gmv_per_order', 'GMV/order', 'ratio', '{order}')");
    cr_assert_str_eq(msg, "metric \"gmv_per_order\": a ratio metric needs den_event_types");
    msg = pgtest_fails(db, "INSERT INTO lift.metrics (key, name, kind, event_types, cuped_pre) "
                           "VALUES ('c', 'C', 'proportion', '{order}', '7 days')");
    cr_assert_str_eq(msg, "metric \"c\": cuped_pre needs a mean metric and a positive length");
}

Test(schema, ships_the_default_metric_pack)
{
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(key || ':' || kind, ',' ORDER BY key)"
                                      " FROM lift.metrics"),
                     "aov:ratio,conversion:proportion,engagement:mean,ltv_90d:mean,"
                     "retention:proportion,revenue_per_shopper:mean");
    cr_assert_str_eq(pgtest_value(db, "SELECT window_length FROM lift.metrics "
                                      "WHERE key = 'ltv_90d'"),
                     "90 days");
}

Test(schema, facts_are_append_only_and_idempotent_by_event_id)
{
    pgtest_ok(db, "INSERT INTO lift.events (event_id, unit, type, value, ts) "
                  "VALUES ('e1', 'u1', 'order', 10, now())");
    const char *msg = pgtest_fails(db, "UPDATE lift.events SET value = 20");
    cr_assert_str_eq(msg, "lift.events is append-only: rows cannot be updated");
    msg = pgtest_fails(db, "INSERT INTO lift.events (event_id, unit, type, value, ts) "
                           "VALUES ('e1', 'u1', 'order', 10, now())");
    cr_assert_has(msg, "duplicate key value violates unique constraint");
    /* The id registry (lift.event_ids) holds across partitions: another month, same id. */
    msg = pgtest_fails(db, "INSERT INTO lift.events (event_id, unit, type, value, ts) "
                           "VALUES ('e1', 'u1', 'order', 10, now() - interval '400 days')");
    cr_assert_has(msg, "duplicate key value violates unique constraint");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.events"), "1");
}

static bool wait_notify(PGconn *conn, int ms, char *payload, size_t len)
{
    struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
    for (int waited = 0; waited <= ms; waited += 50) {
        PQconsumeInput(conn);
        PGnotify *n = PQnotifies(conn);
        if (n) {
            snprintf(payload, len, "%s:%s", n->relname, n->extra);
            PQfreemem(n);
            return true;
        }
        poll(&p, 1, 50);
    }
    return false;
}

Test(schema, announces_committed_changes_with_notify)
{
    char conninfo[1024], payload[128];
    lift_db_close(db);
    db = pgtest_db(conninfo, sizeof conninfo);
    lift_err err;
    lift_db *listener = lift_db_open(conninfo, &err);
    cr_assert(listener, "%s", err.msg);
    pgtest_ok(listener, "LISTEN lift_config");
    const char *before = pgtest_value(db, "SELECT version FROM lift.config_state");
    long v0 = atol(before);

    pgtest_ok(db, "BEGIN; INSERT INTO lift.layers (name) VALUES ('rolled_back'); ROLLBACK;");
    cr_assert_not(wait_notify(lift_db_conn(listener), 200, payload, sizeof payload),
                  "a rolled-back change was announced: %s", payload);

    pgtest_ok(db, "INSERT INTO lift.layers (name) VALUES ('search')");
    cr_assert(wait_notify(lift_db_conn(listener), 2000, payload, sizeof payload));
    cr_assert_str_eq(payload, "lift_config:layers");
    cr_assert_gt(atol(pgtest_value(db, "SELECT version FROM lift.config_state")), v0);
    lift_db_close(listener);
}

Test(schema, migrations_run_twice_change_nothing)
{
    lift_err err;
    int applied = -1;
    cr_assert_eq(lift_migrate(db, &applied, NULL, NULL, &err), LIFT_OK, "%s", err.msg);
    cr_assert_eq(applied, 0);
    /* Every migration file built in, each recorded once. */
    char want[512] = "";
    for (size_t i = 0; i < lift_sql_nfiles; i++)
        if (!strncmp(lift_sql_files[i].name, "migrations/", 11))
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%.4s", *want ? "," : "",
                     lift_sql_files[i].name + 11);
    cr_assert(!strncmp(want, "0001,0002,0003,0004", 19), "built in: %s", want);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(version, ',' ORDER BY version) "
                                      "FROM lift.schema_migrations"),
                     want);
}

/* Migration 0005: roles, margins and the long-term flag of metrics; rates and currencies. */
Test(schema, metric_roles_and_margins_are_checked)
{
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(key || ':' || role, ',' ORDER BY key) "
                                      "FROM lift.metrics"),
                     "aov:secondary,conversion:secondary,engagement:secondary,"
                     "ltv_90d:secondary,retention:secondary,revenue_per_shopper:secondary");
    /* The legacy flag and the role follow each other. */
    pgtest_ok(db, "UPDATE lift.metrics SET guardrail = true WHERE key = 'aov'");
    cr_assert_str_eq(pgtest_value(db, "SELECT role FROM lift.metrics WHERE key = 'aov'"),
                     "guardrail");
    pgtest_ok(db, "UPDATE lift.metrics SET role = 'secondary', margin = NULL WHERE key = 'aov'");
    cr_assert_str_eq(pgtest_value(db, "SELECT guardrail FROM lift.metrics WHERE key = 'aov'"), "f");
    pgtest_ok(db, "UPDATE lift.metrics SET role = 'guardrail', margin = 0.02 WHERE key = 'aov'");
    const char *msg =
        pgtest_fails(db, "UPDATE lift.metrics SET role = 'primary' WHERE key = 'aov'");
    cr_assert(strstr(msg, "metric \"aov\": role \"primary\" is not secondary or guardrail"), "%s",
              msg);
    msg = pgtest_fails(db, "UPDATE lift.metrics SET margin = 1.5 WHERE key = 'aov'");
    cr_assert(strstr(msg, "metric \"aov\": margin 1.5 is not a relative loss in [0, 1)"), "%s",
              msg);
    msg = pgtest_fails(db, "UPDATE lift.metrics SET margin = 0.05 WHERE key = 'engagement'");
    cr_assert(strstr(msg, "metric \"engagement\": only a guardrail takes a margin"), "%s", msg);
}

Test(schema, rates_and_currencies_are_checked)
{
    pgtest_ok(db, "UPDATE lift.settings SET currency = 'EUR'");
    pgtest_ok(db, "INSERT INTO lift.fx_rates VALUES ('USD', '2026-04-01', 0.92)");
    const char *msg = pgtest_fails(db, "INSERT INTO lift.fx_rates VALUES ('CHF', '2026-04-01', 0)");
    cr_assert(strstr(msg, "fx rate of CHF on 2026-04-01: 0 is not a positive number"), "%s", msg);
    msg = pgtest_fails(db, "INSERT INTO lift.fx_rates VALUES ('EUR', '2026-04-01', 1.1)");
    cr_assert(strstr(msg, "EUR is the store currency, its rate is 1"), "%s", msg);
    msg = pgtest_fails(db, "INSERT INTO lift.fx_rates VALUES ('usd', '2026-04-02', 1)");
    cr_assert(strstr(msg, "fx_rates_currency_check"), "%s", msg);
    msg = pgtest_fails(db, "INSERT INTO lift.experiments (key, name, revenue_metric) "
                           "VALUES ('m', 'M', 'conversion')");
    cr_assert(strstr(msg, "experiment \"m\": revenue_metric \"conversion\" is not a mean "
                          "metric that sums values"),
              "%s", msg);
    pgtest_ok(db, "INSERT INTO lift.experiments (key, name, currency) VALUES ('m', 'M', 'USD')");
}

Test(schema, writer_role_cannot_change_config_or_read_other_schemas)
{
    char conninfo[1024], as_writer[1100];
    lift_db_close(db);
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, GOOD);
    pgtest_ok(db, "CREATE TABLE public.secrets (x int); INSERT INTO public.secrets VALUES (1)");
    pgtest_conninfo_as(conninfo, "lift_writer", as_writer, sizeof as_writer);
    lift_err err;
    lift_db *w = lift_db_open(as_writer, &err);
    cr_assert(w, "%s", err.msg);
    pgtest_ok(w,
              "INSERT INTO lift.events (event_id, unit, type, ts) VALUES ('e', 'u', 'x', now())");
    cr_assert_str_eq(pgtest_value(w, "SELECT count(*) FROM lift.experiments"), "1");
    cr_assert_has(pgtest_fails(w, "UPDATE lift.variants SET payload = '{}'"), "permission denied");
    cr_assert_has(pgtest_fails(w, "INSERT INTO lift.layers (name) VALUES ('x')"),
                  "permission denied");
    cr_assert_has(pgtest_fails(w, "DELETE FROM lift.events"), "permission denied");
    /* It reads the facts it writes (liftd's rollup refresher, migration 0014), nothing else. */
    cr_assert_str_eq(pgtest_value(w, "SELECT count(*) FROM lift.events"), "1");
    cr_assert_has(pgtest_fails(w, "SELECT * FROM public.secrets"), "permission denied");
    lift_db_close(w);
}

Test(schema, refuses_deleting_or_renaming_a_metric_in_use)
{
    pgtest_ok(db, GOOD); /* primary metric: conversion (the default) */
    const char *msg = pgtest_fails(db, "DELETE FROM lift.metrics WHERE key = 'conversion'");
    cr_assert_str_eq(msg, "metric \"conversion\" is used by experiment \"recs\"");
    msg = pgtest_fails(db, "UPDATE lift.metrics SET key = 'conv' WHERE key = 'conversion'");
    cr_assert_str_eq(msg, "metric \"conversion\" is used by experiment \"recs\"");
    /* The money metric counts as used too. */
    pgtest_ok(db, "INSERT INTO lift.metrics (key, name, kind, event_types) VALUES"
                  "  ('net', 'Net', 'mean', '{order,refund}');"
                  "UPDATE lift.experiments SET revenue_metric = 'net' WHERE key = 'recs'");
    msg = pgtest_fails(db, "DELETE FROM lift.metrics WHERE key = 'net'");
    cr_assert_str_eq(msg, "metric \"net\" is used by experiment \"recs\"");
    /* Unused metrics may go, and used ones may change in other ways. */
    pgtest_ok(db, "UPDATE lift.metrics SET name = 'Converted' WHERE key = 'conversion';"
                  "DELETE FROM lift.metrics WHERE key = 'engagement'");
}

Test(schema, refuses_null_event_types_and_a_101st_variant)
{
    const char *msg =
        pgtest_fails(db, "INSERT INTO lift.metrics (key, name, kind, event_types) VALUES"
                         "  ('m', 'M', 'mean', ARRAY['order', NULL])");
    cr_assert_str_eq(msg, "metric \"m\": event type lists must not contain NULL");
    msg = pgtest_fails(db, "BEGIN;"
                           "INSERT INTO lift.experiments (key, name) VALUES ('many', 'Many');"
                           "INSERT INTO lift.variants (experiment, key, weight)"
                           "  SELECT 'many', 'v' || i, 0 FROM generate_series(1, 101) i;"
                           "COMMIT;");
    cr_assert_str_eq(msg, "experiment \"many\": more than 100 variants");
}

/* The row layout of lift/rows.h, which liftd's COPY statements and staging tables expand,
 * against the tables the migrations made: every column it names exists with the same type
 * (modifiers included), and every column it leaves out has a default. */
static void layout_matches(const char *table, const char *defs)
{
    char sql[1200];
    snprintf(sql, sizeof sql, "CREATE TEMP TABLE layout (%s)", defs);
    pgtest_ok(db, sql);
    cr_assert_neq(atoi(pgtest_value(db, "SELECT count(*) FROM pg_attribute WHERE attrelid = "
                                        "'pg_temp.layout'::regclass AND attnum > 0")),
                  0);
    snprintf(sql, sizeof sql,
             "SELECT string_agg(l.attname || ' ' || format_type(l.atttypid, l.atttypmod) || "
             "' is ' || coalesce(format_type(t.atttypid, t.atttypmod), 'missing'), '; ') "
             "FROM pg_attribute l LEFT JOIN pg_attribute t ON t.attrelid = '%s'::regclass "
             "AND t.attname = l.attname AND NOT t.attisdropped "
             "WHERE l.attrelid = 'pg_temp.layout'::regclass AND l.attnum > 0 "
             "AND (t.attname IS NULL OR (t.atttypid, t.atttypmod) <> (l.atttypid, l.atttypmod))",
             table);
    const char *wrong = pgtest_value(db, sql);
    cr_assert_str_eq(wrong, "", "%s: %s (layout %s)", table, wrong, defs);
    snprintf(sql, sizeof sql,
             "SELECT string_agg(attname, ', ') FROM pg_attribute t "
             "WHERE attrelid = '%s'::regclass AND attnum > 0 AND NOT attisdropped "
             "AND NOT atthasdef AND attname NOT IN (SELECT attname FROM pg_attribute "
             "WHERE attrelid = 'pg_temp.layout'::regclass)",
             table);
    const char *missing = pgtest_value(db, sql);
    cr_assert_str_eq(missing, "", "%s: %s neither in the layout nor defaulted", table, missing);
    pgtest_ok(db, "DROP TABLE pg_temp.layout");
}

Test(schema, row_layouts_match_the_fact_tables)
{
    layout_matches("lift.events", LIFT_EVENT_COLUMN_DEFS);
    layout_matches("lift.exposures", LIFT_EXPOSURE_COLUMN_DEFS);
}
