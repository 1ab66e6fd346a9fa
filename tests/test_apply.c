/* liftctl apply as config as code: declarative and idempotent (the same files twice change
 * no row, no version and announce nothing), edits update exactly what changed, --plan
 * shows it all without applying, and refusals carry the file, the line, PostgreSQL's
 * DETAIL and HINT. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/cli.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];
static char out[65536];

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(apply, .init = setup, .fini = teardown, .timeout = 60);

#define EXAMPLES                                                                                   \
    "sql/examples/homepage_recs.sql sql/examples/checkout_aa.sql sql/examples/global_holdout.sql"

/* Writes text to a file of the test's own; returns its path. */
static const char *file_with(const char *name, const char *text)
{
    static char path[4][600];
    static int k;
    k = (k + 1) % 4;
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(path[k], sizeof path[k], "%s/%s-%d.sql", tmp && *tmp ? tmp : "/tmp", name,
             (int)getpid());
    FILE *f = fopen(path[k], "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path[k];
}

static int apply(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "apply %s", args);
    return cli_run(conninfo, NULL, cmd, 1, out, sizeof out);
}

/* Every config row's xmin, in one string: unchanged means no row was rewritten. */
static const char *xmins(void)
{
    static char all[8192];
    snprintf(all, sizeof all, "%s",
             pgtest_value(db, "SELECT string_agg(t || ':' || x, ',' ORDER BY t, x) FROM ("
                              " SELECT 'e' AS t, key || '=' || xmin AS x FROM lift.experiments"
                              " UNION ALL SELECT 'v', experiment || key || '=' || xmin"
                              "   FROM lift.variants"
                              " UNION ALL SELECT 'l', name || '=' || xmin FROM lift.layers"
                              " UNION ALL SELECT 'o', unit || '=' || xmin FROM lift.overrides"
                              " UNION ALL SELECT 'm', key || '=' || xmin FROM lift.metrics) r"));
    return all;
}

Test(apply, the_same_files_twice_change_nothing)
{
    cr_assert_eq(apply(EXAMPLES), 0, "%s", out);
    cr_assert(strstr(out, "applied: 12 to create, 0 to update, 0 to delete, 0 unchanged"), "%s",
              out);
    char version[32], rows[8192];
    snprintf(version, sizeof version, "%s",
             pgtest_value(db, "SELECT version FROM lift.config_state"));
    snprintf(rows, sizeof rows, "%s", xmins());
    pgtest_ok(db, "LISTEN lift_config");
    cr_assert_eq(apply(EXAMPLES), 0, "%s", out);
    cr_assert(strstr(out, "applied: 0 to create, 0 to update, 0 to delete, 12 unchanged; 0 new "
                          "phases"),
              "%s", out);
    cr_assert(strstr(out, "(unchanged)"), "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT version FROM lift.config_state"), version);
    cr_assert_str_eq(xmins(), rows, "a row was rewritten");
    /* Nothing was announced: a running liftd does not even reload. */
    PGconn *c = lift_db_conn(db);
    PQconsumeInput(c);
    PGnotify *n = PQnotifies(c);
    cr_assert_null(n, "NOTIFY %s after applying the same files", n ? n->relname : "");
    /* A plain no-op UPDATE is no change either. */
    pgtest_ok(db, "UPDATE lift.experiments SET coverage = coverage");
    cr_assert_str_eq(pgtest_value(db, "SELECT version FROM lift.config_state"), version);
    cr_assert_str_eq(xmins(), rows);
}

static const char EDITED[] =
    "BEGIN;\n"
    "INSERT INTO lift.layers (name, description)\n"
    "VALUES ('homepage', 'Tests of the homepage; experiments own disjoint ranges of it');\n"
    "INSERT INTO lift.experiments (key, seed, name, hypothesis, status, layer, layer_start,\n"
    "                              layer_end, primary_metric, target_mde, target_power)\n"
    "VALUES ('homepage_recs', 'homepage_recs-2', 'Homepage recommendations',\n"
    "        'Personalized recommendations on the homepage make more shoppers buy within 14 "
    "days.',\n"
    "        'running', 'homepage', 0, 0.6, 'conversion', 0.10, 0.8);\n"
    "INSERT INTO lift.variants (experiment, key, name, weight, is_control, payload) VALUES\n"
    "  ('homepage_recs', 'control', 'Best-sellers', 0.6, true,\n"
    "   '{\"recs\": \"bestsellers\", \"slots\": 8}'),\n"
    "  ('homepage_recs', 'personalized', 'Personalized picks', 0.4, false,\n"
    "   '{\"recs\": \"personalized\", \"model\": \"two-tower-v3\", \"slots\": 8}');\n"
    "COMMIT;\n";

Test(apply, plan_shows_creates_updates_deletes_and_new_phases_without_applying)
{
    const char *plan_new = "apply --plan " EXAMPLES;
    cr_assert_eq(cli_run(conninfo, NULL, plan_new, 1, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "  create    experiment homepage_recs") &&
                  strstr(out, "(sql/examples/homepage_recs.sql:16)") &&
                  strstr(out, "plan: 12 to create, 0 to update, 0 to delete, 0 unchanged"),
              "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.experiments"), "0",
                     "--plan applied something");
    cr_assert_eq(apply(EXAMPLES), 0, "%s", out);
    char version[32];
    snprintf(version, sizeof version, "%s",
             pgtest_value(db, "SELECT version FROM lift.config_state"));

    /* The edited homepage file: a narrower layer range, new weights with a new seed (a new
     * phase), a changed payload, and the QA override gone. */
    const char *edited = file_with("edited", EDITED);
    char args[1024];
    snprintf(args, sizeof args, "--plan %s", edited);
    cr_assert_eq(apply(args), 0, "%s", out);
    static const char *const want[] = {
        "  unchanged layer homepage",
        "  update    experiment homepage_recs",
        "layer_end: 0.8 -> 0.6, phase: 1 -> 2, seed: \"homepage_recs\" -> \"homepage_recs-2\"",
        "  update    variant homepage_recs/control",
        "            weight: 0.5 -> 0.6",
        ("payload: {\"recs\": \"personalized\", \"model\": \"two-tower-v2\", \"slots\": 8} -> "
         "{\"recs\": \"personalized\", \"model\": \"two-tower-v3\", \"slots\": 8}, weight: "
         "0.5 -> 0.4"),
        "  delete    override homepage_recs/qa-homepage",
        ("  new phase: homepage_recs: phase 1 -> 2 (seed \"homepage_recs\" -> "
         "\"homepage_recs-2\"): every shopper is re-randomized"),
        "plan: 0 to create, 3 to update, 1 to delete, 1 unchanged; 1 new phase"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect(strstr(out, want[i]), "'%s' not in:\n%s", want[i], out);
    cr_assert(!strstr(out, "checkout_aa"), "a row the file does not name is listed:\n%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT version FROM lift.config_state"), version);
    cr_assert_str_eq(pgtest_value(db, "SELECT phase FROM lift.experiments WHERE key = "
                                      "'homepage_recs'"),
                     "1");

    /* Applied: exactly that. */
    cr_assert_eq(apply(edited), 0, "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT phase || ' ' || seed || ' ' || layer_end FROM "
                                      "lift.experiments WHERE key = 'homepage_recs'"),
                     "2 homepage_recs-2 0.6");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.overrides"), "0");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.experiment_phases WHERE "
                                      "experiment = 'homepage_recs'"),
                     "2");
    cr_assert_str_eq(pgtest_value(db, "SELECT status FROM lift.experiments WHERE key = "
                                      "'checkout_aa'"),
                     "running");
    /* Applying it again changes nothing; the seed it names is kept, no third phase. */
    cr_assert_eq(apply(edited), 0, "%s", out);
    cr_assert(strstr(out, "0 to create, 0 to update, 0 to delete, 4 unchanged"), "%s", out);
}

Test(apply, a_file_without_a_seed_keeps_the_current_one)
{
    cr_assert_eq(apply("sql/examples/homepage_recs.sql"), 0, "%s", out);
    pgtest_ok(db, "BEGIN; UPDATE lift.experiments SET seed = 're-seeded' WHERE key = "
                  "'homepage_recs'; COMMIT;");
    cr_assert_eq(apply("sql/examples/homepage_recs.sql"), 0, "%s", out);
    cr_assert(strstr(out, "0 to update") && strstr(out, "0 new phases"), "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT seed || ' ' || phase FROM lift.experiments"),
                     "re-seeded 2");
}

Test(apply, refusals_carry_file_line_detail_and_hint_and_apply_nothing)
{
    cr_assert_eq(apply(EXAMPLES), 0, "%s", out);
    char version[32];
    snprintf(version, sizeof version, "%s",
             pgtest_value(db, "SELECT version FROM lift.config_state"));
    /* New weights in the same phase: refused at the file's COMMIT, with the HINT. */
    const char *weights =
        file_with("weights", "BEGIN;\n"
                             "UPDATE lift.variants SET weight = 0.6 WHERE key = 'control'\n"
                             "  AND experiment = 'homepage_recs';\n"
                             "UPDATE lift.variants SET weight = 0.4 WHERE key = 'personalized';\n"
                             "COMMIT;\n");
    cr_assert_eq(apply(weights), 2, "%s", out);
    cr_assert(strstr(out, "weights-") && strstr(out, ".sql:5: experiment \"homepage_recs\": "
                                                     "variants, weights or hash version changed"),
              "%s", out);
    cr_assert(strstr(out, "\n  HINT: shoppers would move between variants; set a new seed in the "
                          "same transaction to start a new phase"),
              "%s", out);
    cr_assert(strstr(out, "nothing was applied"), "%s", out);
    /* A duplicate key inside a file: the statement's line and the DETAIL. */
    const char *dup = file_with("dup", "-- a layer, then a variant in a taken position\n"
                                       "INSERT INTO lift.layers (name) VALUES ('search');\n\n"
                                       "INSERT INTO lift.variants (experiment, key, weight, "
                                       "position)\n  VALUES ('checkout_aa', 'c', 0, 0);\n");
    cr_assert_eq(apply(dup), 2, "%s", out);
    cr_assert(strstr(out, ".sql:4: duplicate key value violates unique constraint "
                          "\"variants_experiment_position_key\"\n  DETAIL: Key (experiment, "
                          "\"position\")=(checkout_aa, 0) already exists."),
              "%s", out);
    /* A syntax error: line and column. */
    const char *syntax = file_with("syntax", "INSERT INTO lift.layers (name)\n"
                                             "VALUES ('x');\n"
                                             "UPDATE lift.experiments\n"
                                             "   SET coverage = 0.5\n"
                                             "  WHER key = 'x';\n");
    cr_assert_eq(apply(syntax), 2, "%s", out);
    cr_assert(strstr(out, ".sql:5:3: syntax error at or near \"WHER\""), "%s", out);
    /* Two files are one transaction: the second's refusal undoes the first. */
    char two[1400];
    const char *layer = file_with("layer", "INSERT INTO lift.layers (name) VALUES ('search');\n");
    snprintf(two, sizeof two, "%s %s", layer, weights);
    cr_assert_eq(apply(two), 2, "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.layers WHERE name = 'search'"),
                     "0");
    /* psql commands and ROLLBACK are named, not run. */
    const char *meta = file_with("meta", "\\set ON_ERROR_STOP 1\nSELECT 1;\n");
    cr_assert_eq(apply(meta), 2, "%s", out);
    cr_assert(strstr(out, ":1: \\set is a psql command, not SQL"), "%s", out);
    const char *rollback = file_with("rb", "BEGIN;\nINSERT INTO lift.layers (name) VALUES "
                                           "('x');\nROLLBACK;\n");
    cr_assert_eq(apply(rollback), 2, "%s", out);
    cr_assert(strstr(out, ":3: a ROLLBACK in a config file"), "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT version FROM lift.config_state"), version);
}

/* What an experiment or audience a file declares no longer lists goes; rows the file
 * does not mention stay; semicolons in strings, dollar quotes and comments do not split. */
Test(apply, declared_children_are_exactly_the_files)
{
    const char *v1 = file_with(
        "aud1", "INSERT INTO lift.audiences (key, description) VALUES ('mobile', 'a; b');\n"
                "INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES\n"
                "  ('mobile', 'device', 'eq', '\"mobile\"'),\n"
                "  ('mobile', 'country', 'in', '[\"DE\", \"AT\"]'); -- a comment; with a ;\n"
                "/* a block; comment */ DO $body$ BEGIN PERFORM 1; END $body$;\n");
    cr_assert_eq(apply(v1), 0, "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.audience_conditions"), "2");
    cr_assert_str_eq(pgtest_value(db, "SELECT description FROM lift.audiences"), "a; b");
    const char *ids = "SELECT string_agg(id::text, ',' ORDER BY id) FROM lift.audience_conditions";
    char before[64];
    snprintf(before, sizeof before, "%s", pgtest_value(db, ids));
    /* The country condition changes: the device one is kept as it is, the old country one
     * goes. */
    const char *v2 = file_with(
        "aud2", "INSERT INTO lift.audiences (key, description) VALUES ('mobile', 'a; b');\n"
                "INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES\n"
                "  ('mobile', 'device', 'eq', '\"mobile\"'),\n"
                "  ('mobile', 'country', 'in', '[\"DE\", \"AT\", \"CH\"]');\n");
    cr_assert_eq(apply(v2), 0, "%s", out);
    cr_assert(strstr(out, "update    audience mobile"), "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(value::text, ' ' ORDER BY id) FROM "
                                      "lift.audience_conditions"),
                     "\"mobile\" [\"DE\", \"AT\", \"CH\"]");
    cr_assert(!strncmp(pgtest_value(db, ids), before, strcspn(before, ",")),
              "the unchanged condition was rewritten");
}
