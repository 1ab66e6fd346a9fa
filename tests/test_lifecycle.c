/* The lifecycle commands: liftctl experiments, start, stop, ramp (never moving a shopper
 * between variants, checked with the real bucketing over thousands of shoppers, through
 * liftctl assign and a running liftd), and explain, which gives every reason and agrees
 * with the assignment itself. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];
static char out[1 << 20];

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(lifecycle, .init = setup, .fini = teardown, .timeout = 120);

static int run(const char *args)
{
    return cli_run(conninfo, NULL, args, 1, out, sizeof out);
}

#define SHOPPERS 20000

/* Each shopper's variant in recs (-1: not in it), from `liftctl assign --units -`. */
static void assign_all(signed char *variant)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "seq 0 %d | sed 's/^/s-/' | LIFT_DATABASE_URL='%.600s' %s assign --units - "
             "--experiment recs",
             SHOPPERS - 1, conninfo, pgtest_bin("liftctl"));
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        cr_assert_lt(n, SHOPPERS);
        variant[n++] = strstr(line, "\"variant\":\"control\"")        ? 0
                       : strstr(line, "\"variant\":\"personalized\"") ? 1
                                                                      : -1;
    }
    cr_assert_eq(pclose(p), 0);
    cr_assert_eq(n, SHOPPERS);
}

static int in_count(const signed char *v)
{
    int n = 0;
    for (int i = 0; i < SHOPPERS; i++)
        n += v[i] >= 0;
    return n;
}

Test(lifecycle, ramp_never_moves_a_shopper_between_variants)
{
    pgtest_ok(db, PGTEST_RECS);
    static signed char v30[SHOPPERS], v80[SHOPPERS], v50[SHOPPERS];
    cr_assert_eq(run("ramp recs --coverage 30%"), 0, "%s", out);
    cr_assert(strstr(out, "coverage 100% -> 30% (phase 1, same seed)"), "%s", out);
    assign_all(v30);
    cr_assert_eq(run("ramp recs --coverage 0.8"), 0, "%s", out);
    assign_all(v80);
    cr_assert_eq(run("ramp recs --coverage 50%"), 0, "%s", out);
    assign_all(v50);
    /* Shares within 4 standard deviations of a binomial (n = 20000: about 0.013). */
    double tol = 4 * 0.5 / 141.42;
    cr_assert_float_eq(in_count(v30) / (double)SHOPPERS, 0.3, tol);
    cr_assert_float_eq(in_count(v80) / (double)SHOPPERS, 0.8, tol);
    cr_assert_float_eq(in_count(v50) / (double)SHOPPERS, 0.5, tol);
    int moved = 0, left_on_raise = 0, joined_on_lower = 0;
    for (int i = 0; i < SHOPPERS; i++) {
        moved += (v30[i] >= 0 && v80[i] >= 0 && v30[i] != v80[i]) +
                 (v80[i] >= 0 && v50[i] >= 0 && v80[i] != v50[i]);
        left_on_raise += v30[i] >= 0 && v80[i] < 0;
        joined_on_lower += v80[i] < 0 && v50[i] >= 0;
    }
    cr_assert_eq(moved, 0, "%d shoppers changed variant", moved);
    cr_assert_eq(left_on_raise, 0, "raising coverage removed %d shoppers", left_on_raise);
    cr_assert_eq(joined_on_lower, 0, "lowering coverage added %d shoppers", joined_on_lower);
    cr_assert_str_eq(pgtest_value(db, "SELECT phase FROM lift.experiments"), "1");

    /* liftd serves the ramped experiment the same way (it reloads within a second). */
    liftd_proc d = {0};
    liftd_start(&d, conninfo, NULL, NULL);
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    for (int i = 0; i < 500; i++) {
        char target[96];
        snprintf(target, sizeof target, "/v1/assign?unit=s-%d&experiment=recs&expose=0", i);
        cr_assert_eq(liftd_get(&d, target, &r), 200);
        int got = strstr(r.body.data, "\"variant\":\"control\"")        ? 0
                  : strstr(r.body.data, "\"variant\":\"personalized\"") ? 1
                                                                        : -1;
        cr_assert_eq(got, v50[i], "s-%d: liftd says %d, liftctl %d", i, got, v50[i]);
    }
    lift_buf_fini(&r.body);
    liftd_stop(&d, SIGTERM);
}

Test(lifecycle, experiments_start_and_stop)
{
    pgtest_ok(db, PGTEST_RECS);
    pgtest_ok(db,
              "INSERT INTO lift.layers (name) VALUES ('home');"
              "BEGIN;"
              "INSERT INTO lift.experiments (key, name, layer, layer_start, layer_end)"
              "  VALUES ('banner', 'Banner', 'home', 0, 0.5), ('banner2', 'B2', 'home', 0.4, 1);"
              "INSERT INTO lift.variants (experiment, key, weight) VALUES"
              "  ('banner', 'off', 0.9), ('banner', 'on', 0.1),"
              "  ('banner2', 'off', 0.5), ('banner2', 'on', 0.5);"
              "COMMIT;"
              "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES"
              "  ('x1', 'a', 'recs', 'control', now()), ('x2', 'a', 'recs', 'control', now()),"
              "  ('x3', 'b', 'recs', 'personalized', now())");
    cr_assert_eq(run("experiments"), 0, "%s", out);
    cr_assert(strstr(out, "EXPERIMENT") && strstr(out, "PHASE STARTED"), "%s", out);
    cr_assert(strstr(out, "banner   ") && strstr(out, "draft") && strstr(out, "off 90% / on 10%") &&
                  strstr(out, "home [0, 0.5)"),
              "%s", out);
    cr_assert(strstr(out, "control 50% / personalized 50%"), "%s", out);
    char *recs = strstr(out, "\nrecs ");
    cr_assert(recs && strstr(recs, "running") && strchr(recs, '2'), "2 shoppers exposed: %s", out);
    cr_assert_eq(run("experiments --keys"), 0, "%s", out);
    cr_assert_str_eq(out, "banner\nbanner2\nrecs\n");

    cr_assert_eq(run("start banner"), 0, "%s", out);
    cr_assert(strstr(out, "banner: draft -> running (phase 1)"), "%s", out);
    cr_assert_eq(run("start banner"), 0, "%s", out);
    cr_assert(strstr(out, "already running"), "%s", out);
    /* The database refuses an overlap in the layer, naming the other experiment. */
    cr_assert_eq(run("start banner2"), 2, "%s", out);
    cr_assert(strstr(out, "liftctl start: experiment \"banner2\": range [0.4, 1) of layer "
                          "\"home\" overlaps running experiment \"banner\" [0, 0.5)"),
              "%s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT status FROM lift.experiments WHERE key = "
                                      "'banner2'"),
                     "draft");
    cr_assert_eq(run("stop banner"), 0, "%s", out);
    cr_assert(strstr(out, "banner: running -> stopped"), "%s", out);
    cr_assert_eq(run("start banner2"), 0, "%s", out);
    /* A stopped experiment resumes its phase. */
    pgtest_ok(db, "UPDATE lift.experiments SET layer_end = 0.4 WHERE key = 'banner'");
    cr_assert_eq(run("start banner"), 0, "%s", out);
    cr_assert(strstr(out, "stopped -> running (phase 1)"), "%s", out);
    cr_assert_eq(run("stop nosuch"), 2, "%s", out);
    cr_assert(strstr(out, "no experiment 'nosuch'"), "%s", out);
}

/* The config of the explain tests: one experiment per reason. */
static const char EXPLAIN_CONFIG[] =
    "INSERT INTO lift.layers (name) VALUES ('half');"
    "INSERT INTO lift.audiences (key) VALUES ('adult_mobile'), ('holdable');"
    "INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES"
    "  ('adult_mobile', 'device', 'eq', '\"mobile\"'), ('adult_mobile', 'age', 'gte', '18'),"
    "  ('holdable', 'hold', 'exists', 'true');"
    "BEGIN;"
    "INSERT INTO lift.experiments (key, name, status, kind, layer, layer_start, layer_end,"
    "                              audience, coverage, start_at, end_at) VALUES"
    "  ('hold', 'Holdout', 'running', 'holdout', NULL, NULL, NULL, 'holdable', 1, NULL, NULL),"
    "  ('open', 'Open', 'running', 'standard', NULL, NULL, NULL, NULL, 1, NULL, NULL),"
    "  ('drafted', 'Draft', 'draft', 'standard', NULL, NULL, NULL, NULL, 1, NULL, NULL),"
    "  ('later', 'Later', 'running', 'standard', NULL, NULL, NULL, NULL, 1,"
    "   now() + interval '10 days', NULL),"
    "  ('past', 'Past', 'running', 'standard', NULL, NULL, NULL, NULL, 1,"
    "   '2020-01-01', '2021-01-01'),"
    "  ('layered', 'Layered', 'running', 'standard', 'half', 0, 0.5, NULL, 1, NULL, NULL),"
    "  ('targeted', 'Targeted', 'running', 'standard', NULL, NULL, NULL, 'adult_mobile', 1,"
    "   NULL, NULL),"
    "  ('sparse', 'Sparse', 'running', 'standard', NULL, NULL, NULL, NULL, 0.2, NULL, NULL);"
    "INSERT INTO lift.variants (experiment, key, weight)"
    "  SELECT key, v, CASE WHEN key = 'hold' THEN (CASE v WHEN 'a' THEN 0.3 ELSE 0.7 END)"
    "                      ELSE 0.5 END"
    "    FROM lift.experiments, (VALUES ('a'), ('b')) x(v) ORDER BY key, v;"
    "INSERT INTO lift.overrides (experiment, unit, variant) VALUES"
    "  ('hold', 'qa-1', 'b'), ('open', 'qa-1', 'b');"
    "COMMIT;";

/* The explanation of one experiment for one shopper, from --json. */
static json_t *explain(const char *unit, const char *extra, const char *experiment)
{
    char args[512];
    snprintf(args, sizeof args, "explain --unit %s --json --experiment %s %s", unit, experiment,
             extra ? extra : "");
    cr_assert_eq(cli_run(conninfo, NULL, args, 0, out, sizeof out), 0, "%s", out);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    cr_assert(j, "%s: %s", e.text, out);
    return j;
}

static const char *reason(json_t *j)
{
    return json_string_value(json_object_get(j, "reason"));
}

Test(lifecycle, explain_gives_every_reason)
{
    pgtest_ok(db, EXPLAIN_CONFIG);
    /* The holdout takes shoppers sent with attr.hold: find one it holds out (its control
     * a), by its own answer. Shoppers without the attribute are free of it. */
    char held[32] = "";
    const char *free_unit = "u-free";
    for (int i = 0; i < 200 && !*held; i++) {
        char unit[32];
        snprintf(unit, sizeof unit, "u-%d", i);
        json_t *j = explain(unit, "--attr hold=1", "hold");
        const char *v = json_string_value(json_object_get(j, "variant"));
        if (v && !strcmp(v, "a"))
            snprintf(held, sizeof held, "%s", unit);
        json_decref(j);
    }
    cr_assert(*held);
    static const struct {
        const char *unit, *extra, *experiment, *reason, *text;
    } cases[] = {
        {"free", NULL, "open", "in", "in: "},
        {"qa-1", NULL, "open", "override", "in: b by QA override"},
        {"free", NULL, "drafted", "status", "the experiment is draft"},
        {"free", NULL, "later", "not_started", "not in: it starts at"},
        {"free", NULL, "past", "ended", "not in: it ended at 2021-01-01T00:00:00"},
        {"held", "--attr hold=1", "open", "held_out",
         "held out by hold (its control a gets no other"},
        {"held", "--attr hold=1", "drafted", "status", "draft"}, /* status is checked first */
        {"free", NULL, "hold", "audience", "hold exists true (no hold attribute)"},
        {"free", "--attr device=desktop --attr age=30", "targeted", "audience",
         "audience condition 1 of 2 fails: device eq \"mobile\" (device=\"desktop\")"},
        {"free", "--attr device=mobile", "targeted", "audience",
         "audience condition 2 of 2 fails: age gte 18 (no age attribute)"},
        {"free", "--attr device=mobile --attr age=30", "targeted", "in", "in: "},
        {"free", "--no-consent", "open", "no_consent", "no consent; served the control a"},
        {"free", "--no-consent", "drafted", "status", "draft"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *unit = !strcmp(cases[i].unit, "free")   ? free_unit
                           : !strcmp(cases[i].unit, "held") ? held
                                                            : cases[i].unit;
        json_t *j = explain(unit, cases[i].extra, cases[i].experiment);
        const char *text = json_string_value(json_object_get(j, "text"));
        cr_expect_str_eq(reason(j), cases[i].reason, "%s in %s: %s", unit, cases[i].experiment,
                         text);
        cr_expect(strstr(text, cases[i].text), "%s in %s: '%s' not in '%s'", unit,
                  cases[i].experiment, cases[i].text, text);
        json_decref(j);
    }
    /* Layer and coverage, checked against the hash computed apart (liftctl hash): the
     * layer position is hash("__half", unit, 1), the bucket hash(seed, unit, 2). */
    int layer = 0, coverage = 0;
    for (int i = 0; i < 60; i++) {
        char unit[32], args[128];
        snprintf(unit, sizeof unit, "w-%d", i);
        json_t *j = explain(unit, NULL, "layered");
        snprintf(args, sizeof args, "hash --version 1 __half %s", unit);
        cr_assert_eq(run(args), 0, "%s", out);
        double pos = atof(out);
        cr_assert_float_eq(json_real_value(json_object_get(j, "layer_position")), pos, 1e-12);
        cr_assert_str_eq(reason(j), pos < 0.5 ? "in" : "layer", "%s at %g", unit, pos);
        layer += pos >= 0.5;
        json_decref(j);
        j = explain(unit, NULL, "sparse");
        snprintf(args, sizeof args, "hash sparse %s", unit);
        cr_assert_eq(run(args), 0, "%s", out);
        double h = atof(out);
        /* 50/50 at coverage 0.2: a owns [0, 0.1), b [0.5, 0.6). */
        bool in = h < 0.1 || (h >= 0.5 && h < 0.6);
        cr_assert_str_eq(reason(j), in ? "in" : "coverage", "%s at %g", unit, h);
        cr_assert_float_eq(json_real_value(json_object_get(j, "hash")), h, 1e-12);
        coverage += !in;
        json_decref(j);
    }
    cr_assert_gt(layer, 10);
    cr_assert_gt(coverage, 30);
    /* The text form lists every experiment. */
    char args[128];
    snprintf(args, sizeof args, "explain --unit %s", free_unit);
    cr_assert_eq(run(args), 0, "%s", out);
    static const char *const all[] = {"hold ", "open ",    "drafted ",  "later ",
                                      "past ", "layered ", "targeted ", "sparse "};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        cr_expect(strstr(out, all[i]), "%s missing:\n%s", all[i], out);
}

/* explain and assign are one evaluation: the experiments explain puts a shopper in are
 * exactly those assign returns, with the same variants. */
Test(lifecycle, explain_agrees_with_assign)
{
    pgtest_ok(db, EXPLAIN_CONFIG);
    int checked = 0;
    for (int i = 0; i < 150; i++) {
        char args[256], unit[32];
        snprintf(unit, sizeof unit, "c-%d", i);
        const char *attrs = i % 3 == 0   ? "--attr device=mobile --attr age=40"
                            : i % 3 == 1 ? "--attr hold=1"
                                         : "";
        snprintf(args, sizeof args, "assign --unit %s %s", unit, attrs);
        cr_assert_eq(run(args), 0, "%s", out);
        json_t *a = json_loads(out, 0, NULL);
        json_t *list = json_object_get(a, "assignments");
        snprintf(args, sizeof args, "explain --unit %s --json %s", unit, attrs);
        static char ex[1 << 16];
        cr_assert_eq(cli_run(conninfo, NULL, args, 0, ex, sizeof ex), 0, "%s", ex);
        size_t in = 0;
        for (char *line = strtok(ex, "\n"); line; line = strtok(NULL, "\n")) {
            json_t *j = json_loads(line, 0, NULL);
            if (json_is_true(json_object_get(j, "in"))) {
                const char *key = json_string_value(json_object_get(j, "experiment"));
                const char *v = json_string_value(json_object_get(j, "variant"));
                bool found = false;
                for (size_t k = 0; k < json_array_size(list); k++) {
                    json_t *x = json_array_get(list, k);
                    if (!strcmp(json_string_value(json_object_get(x, "experiment")), key)) {
                        found = true;
                        cr_assert_str_eq(json_string_value(json_object_get(x, "variant")), v,
                                         "%s in %s", unit, key);
                    }
                }
                cr_assert(found, "%s: explain says in %s, assign does not", unit, key);
                in++;
            }
            json_decref(j);
        }
        cr_assert_eq(in, json_array_size(list), "%s: %zu in by explain, %zu assigned", unit, in,
                     json_array_size(list));
        checked += (int)in;
        json_decref(a);
    }
    cr_assert_gt(checked, 150);
}

/* sql/examples: the definitions apply (twice: no change), then changes/ (a ramp, a stop, a
 * re-seed starting phase 2); the email campaign takes its exposures from the email system
 * through POST /v1/exposures, and the storefront's /v1/assign never serves it. */
Test(lifecycle, the_examples_and_their_changes)
{
    cr_assert_eq(run("apply sql/examples/*.sql"), 0, "%s", out);
    cr_assert_eq(run("apply sql/examples/*.sql"), 0, "%s", out);
    cr_assert(strstr(out, "0 to create, 0 to update, 0 to delete") && strstr(out, "(unchanged)"),
              "%s", out);
    cr_assert_eq(run("apply --plan sql/examples/changes/*.sql"), 0, "%s", out);
    cr_assert(strstr(out, "new phase: homepage_recs: phase 1 -> 2"), "%s", out);
    cr_assert_eq(run("apply sql/examples/changes/*.sql"), 0, "%s", out);
    cr_assert_str_eq(
        pgtest_value(db, "SELECT string_agg(key || ':' || status || ':' || coverage "
                         "|| ':' || phase, ' ' ORDER BY key) FROM lift.experiments "
                         "WHERE key IN ('checkout_aa', 'homepage_recs', "
                         "'mobile_banner')"),
        "checkout_aa:stopped:1:1 homepage_recs:running:1:2 mobile_banner:running:0.5:1");

    liftd_proc d = {0};
    liftd_start(&d, conninfo, NULL, NULL);
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    /* The storefront does not get the email experiment; the email system does. */
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=shopper-7&expose=0", &r), 200);
    cr_assert(!strstr(r.body.data, "winback_email"), "%s", r.body.data);
    cr_assert_eq(liftd_get(&d,
                           "/v1/assign?unit=shopper-7&experiment=winback_email&attr.channel=email"
                           "&expose=0",
                           &r),
                 200);
    json_t *j = json_loads(r.body.data, 0, NULL);
    const char *variant = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "assignments"), 0), "variant"));
    cr_assert(variant, "%s", r.body.data);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"exposures\":[{\"event_id\":\"email-1-shopper-7\",\"unit\":\"shopper-7\","
             "\"experiment\":\"winback_email\",\"variant\":\"%s\","
             "\"ts\":\"2026-11-01T09:00:00Z\",\"attrs\":{\"channel\":\"email\"}}]}",
             variant);
    json_decref(j);
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 202, "%s", r.body.data);
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 202, "%s", r.body.data);
    cr_assert(strstr(r.body.data, "\"duplicates\":1"), "%s", r.body.data);
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.exposures WHERE experiment = "
                                      "'winback_email' AND unit = 'shopper-7'"),
                     "1");
    lift_buf_fini(&r.body);
    liftd_stop(&d, SIGTERM);
}
