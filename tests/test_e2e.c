/* The main job end to end, as `make demo` runs it but smaller and seeded: the example
 * config applied with liftctl apply, a real liftd, `liftctl simulate` sending a storefront's
 * traffic over HTTP with planted effects, and `liftctl report` reading it back. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

/* Planted for homepage_recs' personalized variant (relative). */
#define CONVERSION 0.20
#define AOV        0.15
#define RETENTION  0.30
#define END        "2026-03-02T00:00:00Z"
/* The data are a pure function of the seed and END, so the outcome is fixed: with seed 6
 * every planted effect sits well inside its interval (a 95% interval misses 1 time in 20
 * per metric by design; the intervals' coverage is tested in test_stats_sim). */
#define SEED 6

static lift_db *db;
static char conninfo[1024];
static liftd_proc d;

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
}

static void teardown(void)
{
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    lift_db_close(db);
}

TestSuite(e2e, .init = setup, .fini = teardown, .timeout = 300);

static const char *liftctl(const char *args)
{
    return cli_ok(conninfo, args);
}

typedef struct sent {
    long shoppers, assigned, exposures, events, accepted, duplicates;
} sent;

static sent simulate(void)
{
    char args[1024];
    snprintf(args, sizeof args,
             "simulate --experiment homepage_recs --shoppers 20000 --days 90 --seed %d --end %s "
             "--effect conversion=+%g%% --effect aov=+%g%% --effect retention=+%g%% "
             "--url http://127.0.0.1:%d --key %s",
             SEED, END, 100 * CONVERSION, 100 * AOV, 100 * RETENTION, d.port, TEST_KEY);
    const char *out = liftctl(args);
    sent s;
    cr_assert_eq(sscanf(strstr(out, "simulate: ") ? strstr(out, "simulate: ") : out,
                        "simulate: %ld shoppers (%ld assigned to homepage_recs), %ld exposures, "
                        "%ld events sent (%ld accepted, %ld duplicates)",
                        &s.shoppers, &s.assigned, &s.exposures, &s.events, &s.accepted,
                        &s.duplicates),
                 6, "unexpected summary: %s", out);
    return s;
}

static json_t *report(const char *experiment)
{
    char path[512], args[1024];
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(path, sizeof path, "%s/e2e-%d-%s.json", tmp ? tmp : "/tmp", (int)getpid(), experiment);
    snprintf(args, sizeof args, "report %s --format json --as-of %s --out %s", experiment, END,
             path);
    liftctl(args);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s: %s", path, jerr.text);
    return doc;
}

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

Test(e2e, planted_effects_are_recovered_and_nothing_is_lost_or_doubled)
{
    const char *applied =
        liftctl("apply sql/examples/homepage_recs.sql sql/examples/checkout_aa.sql"
                " sql/examples/global_holdout.sql");
    cr_assert(strstr(applied, "applied sql/examples/global_holdout.sql"), "%s", applied);
    memset(&d, 0, sizeof d);
    liftd_start(&d, conninfo, NULL, NULL);

    /* What the simulator says it sent is what the database holds. */
    sent s = simulate();
    cr_log_info("sent %ld exposures and %ld events for %ld shoppers (%ld in homepage_recs)",
                s.exposures, s.events, s.shoppers, s.assigned);
    cr_assert_eq(s.shoppers, 20000);
    cr_assert_gt(s.assigned, 10000);
    cr_assert_eq(s.duplicates, 0);
    cr_assert_eq(s.accepted, s.exposures + s.events);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), s.exposures);
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), s.events);
    cr_assert_eq(count("SELECT count(DISTINCT unit) FROM lift.exposures "
                       "WHERE experiment = 'homepage_recs'"),
                 s.assigned, "one first exposure per assigned shopper");

    /* The same seed again: every row is a duplicate, nothing is stored twice. */
    sent again = simulate();
    cr_assert_eq(again.accepted, 0);
    cr_assert_eq(again.duplicates, s.exposures + s.events);
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), s.events);

    /* Each planted effect lies inside its reported confidence interval; no SRM. */
    json_t *doc = report("homepage_recs");
    cr_assert(json_is_false(json_object_get(json_object_get(doc, "srm"), "flag")));
    static const struct {
        const char *metric;
        double planted;
    } planted[] = {{"conversion", CONVERSION}, {"aov", AOV}, {"retention", RETENTION}};
    for (size_t i = 0; i < 3; i++) {
        const json_t *rel = json_object_get(cli_metric_result(doc, planted[i].metric), "relative");
        double est = json_real_value(json_object_get(rel, "estimate"));
        double lo = json_real_value(json_array_get(json_object_get(rel, "ci"), 0));
        double hi = json_real_value(json_array_get(json_object_get(rel, "ci"), 1));
        cr_log_info("%s: planted %+.2f, estimated %+.4f [%+.4f, %+.4f]", planted[i].metric,
                    planted[i].planted, est, lo, hi);
        cr_assert(lo <= planted[i].planted && planted[i].planted <= hi,
                  "%s: planted %+.2f outside [%+.4f, %+.4f]", planted[i].metric, planted[i].planted,
                  lo, hi);
    }
    const json_t *verdict = json_array_get(json_object_get(doc, "verdicts"), 0);
    cr_assert_str_neq(json_string_value(json_object_get(verdict, "outcome")), "loss");
    json_decref(doc);

    /* The A/A test: no significant difference on its primary metric, no SRM. */
    doc = report("checkout_aa");
    cr_assert(json_is_false(json_object_get(json_object_get(doc, "srm"), "flag")));
    const json_t *aa = cli_metric_result(doc, "conversion");
    cr_log_info("A/A conversion: p %.3f",
                json_real_value(json_object_get(json_object_get(aa, "relative"), "p_value")));
    cr_assert(json_is_false(json_object_get(aa, "significant")));
    json_decref(doc);
}

Test(e2e, apply_refuses_a_bad_file_whole_naming_the_row)
{
    char path[512], cmd[2048], out[4096];
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(path, sizeof path, "%s/bad-%d.sql", tmp ? tmp : "/tmp", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("BEGIN;\n"
          "INSERT INTO lift.experiments (key, name, status) VALUES ('promo', 'Promo', 'running');\n"
          "INSERT INTO lift.variants (experiment, key, weight) VALUES\n"
          "  ('promo', 'control', 0.5), ('promo', 'banner', 0.4);\n"
          "COMMIT;\n",
          f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "apply %s", path);
    int status = cli_run(conninfo, NULL, cmd, 1, out, sizeof out);
    cr_assert_eq(status, 2, "exit %d: %s", status, out);
    cr_assert(strstr(out, "promo") && strstr(out, "nothing was applied"), "%s", out);
    cr_assert(strstr(out, "bad-") && strstr(out, ".sql:5: "), "no file:line: %s", out);
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.experiments WHERE key = 'promo'"),
                     "0");
    /* The connection is usable afterwards: a good file goes in. */
    liftctl("apply sql/examples/checkout_aa.sql");
    cr_assert_str_eq(pgtest_value(db, "SELECT status FROM lift.experiments WHERE key = "
                                      "'checkout_aa'"),
                     "running");
}
