/* Reports: the analysis SQL against a hand-made data set worked out by hand; the report's
 * JSON fields; the HTML rendered by headless Chromium; the four formats from the CLI. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lift/report.h"
#include "lift/sqlfiles.h"
#include "support/cli.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 120);

/* The experiment "exp" (control / personalized), as of 2026-06-01T00:00Z:
 *   u1 control  t0 Apr 1  mobile   orders 100 (Apr 2), 50 (Apr 4), refund -30 (Apr 6),
 *                                  order 20 (Apr 21: 30d only), order 10 (Mar 22: before t0),
 *                                  page views Apr 2, Apr 3, Apr 10, and Mar 27 (before t0)
 *   u2 control  t0 Apr 10 desktop  page view Apr 12
 *   u7 control  t0 Mar 1  mobile   (a second control exposure Mar 5, desktop) order 80 and a
 *                                  page view Mar 2
 *   u3 personalized t0 Apr 5 mobile  order 200 Apr 18 23:00 (just inside 14 days), order 40
 *                                  Apr 19 00:00 (just outside), refund -200 Apr 20; page view Apr 6
 *   u4 personalized t0 May 25 (no attrs): order 30, page view May 26 (windows not elapsed)
 *   u6 personalized t0 Feb 1 desktop orders 60 Feb 2, Mar 23, Apr 22; order 999 Jun 1 00:00
 *                                  (at as_of: not counted); page view Feb 2
 *   u5 both variants (Apr 2, Apr 3): excluded as mixed, whatever it bought
 *   u8 first exposed Jun 2 (after as_of); u9 in phase 2: neither counts. */
static const char DATA[] =
    "BEGIN;"
    "INSERT INTO lift.experiments (key, name, status) VALUES ('exp', 'Exp', 'running');"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES"
    "  ('exp', 'control', 0.5), ('exp', 'personalized', 0.5);"
    "COMMIT;"
    "INSERT INTO lift.exposures (event_id, unit, experiment, variant, phase, ts, attrs) VALUES"
    " ('x1', 'u1', 'exp', 'control', 1, '2026-04-01T00:00Z', '{\"device\":\"mobile\"}'),"
    " ('x2', 'u2', 'exp', 'control', 1, '2026-04-10T00:00Z', '{\"device\":\"desktop\"}'),"
    " ('x7', 'u7', 'exp', 'control', 1, '2026-03-01T00:00Z', '{\"device\":\"mobile\"}'),"
    " ('x7b', 'u7', 'exp', 'control', 1, '2026-03-05T00:00Z', '{\"device\":\"desktop\"}'),"
    " ('x3', 'u3', 'exp', 'personalized', 1, '2026-04-05T00:00Z', '{\"device\":\"mobile\"}'),"
    " ('x4', 'u4', 'exp', 'personalized', 1, '2026-05-25T00:00Z', NULL),"
    " ('x6', 'u6', 'exp', 'personalized', 1, '2026-02-01T00:00Z', '{\"device\":\"desktop\"}'),"
    " ('x5a', 'u5', 'exp', 'control', 1, '2026-04-02T00:00Z', '{}'),"
    " ('x5b', 'u5', 'exp', 'personalized', 1, '2026-04-03T00:00Z', '{}'),"
    " ('x8', 'u8', 'exp', 'control', 1, '2026-06-02T00:00Z', '{}'),"
    " ('x9', 'u9', 'exp', 'control', 2, '2026-04-02T00:00Z', '{}');"
    "INSERT INTO lift.events (event_id, unit, type, value, ts) VALUES"
    " ('a1', 'u1', 'order', 100, '2026-04-02T00:00Z'), ('a2', 'u1', 'order', 50, "
    "'2026-04-04T00:00Z'),"
    " ('a3', 'u1', 'refund', -30, '2026-04-06T00:00Z'), ('a4', 'u1', 'order', 20, "
    "'2026-04-21T00:00Z'),"
    " ('a5', 'u1', 'order', 10, '2026-03-22T00:00Z'),"
    " ('a6', 'u1', 'page_view', NULL, '2026-04-02T00:00Z'), ('a7', 'u1', 'page_view', NULL, "
    "'2026-04-03T00:00Z'),"
    " ('a8', 'u1', 'page_view', NULL, '2026-04-10T00:00Z'), ('a9', 'u1', 'page_view', NULL, "
    "'2026-03-27T00:00Z'),"
    " ('b1', 'u2', 'page_view', NULL, '2026-04-12T00:00Z'),"
    " ('c1', 'u7', 'order', 80, '2026-03-02T00:00Z'), ('c2', 'u7', 'page_view', NULL, "
    "'2026-03-02T00:00Z'),"
    " ('d1', 'u3', 'order', 200, '2026-04-18T23:00Z'), ('d2', 'u3', 'order', 40, "
    "'2026-04-19T00:00Z'),"
    " ('d3', 'u3', 'refund', -200, '2026-04-20T00:00Z'), ('d4', 'u3', 'page_view', NULL, "
    "'2026-04-06T00:00Z'),"
    " ('e1', 'u4', 'order', 30, '2026-05-26T00:00Z'), ('e2', 'u4', 'page_view', NULL, "
    "'2026-05-26T00:00Z'),"
    " ('f1', 'u6', 'order', 60, '2026-02-02T00:00Z'), ('f2', 'u6', 'order', 60, "
    "'2026-03-23T00:00Z'),"
    " ('f3', 'u6', 'order', 60, '2026-04-22T00:00Z'), ('f4', 'u6', 'order', 999, "
    "'2026-06-01T00:00Z'),"
    " ('f5', 'u6', 'page_view', NULL, '2026-02-02T00:00Z'),"
    " ('g1', 'u5', 'order', 1000, '2026-04-04T00:00Z');";

#define AS_OF "2026-06-01T00:00:00Z"

#define NA ((double)NAN) /* not part of the metric */

typedef struct expect {
    const char *level, *segment, *variant, *metric;
    double units, n, immature, sum, sum_sq, den_sum, den_sum_sq, sum_x_den, pre_sum, pre_sum_sq,
        sum_x_pre;
} expect;

/* Worked out by hand from the comment above (winsorization: the pooled 99.9th percentile by
 * linear interpolation, as percentile_cont; revenue 14d values 0, 60, 80, 120, 200 give a
 * cap of 120 + 0.996 * 80 = 199.68; LTV 90d values 80 and 180 give 80 + 0.999 * 100). */
static const expect EXPECTED[] = {
    /* conversion: an order within 14 days; u4's window has not elapsed */
    {"all", NULL, "control", "conversion", 3, 3, 0, 2, 2, NA, NA, NA, NA, NA, NA},
    {"all", NULL, "personalized", "conversion", 3, 2, 1, 2, 2, NA, NA, NA, NA, NA, NA},
    /* revenue per shopper: u1 100+50-30; u2 0; u7 80 | u3 200 capped to 199.68, u6 60.
     * Pre-period (28 days before t0): u1's order of 10. */
    {"all", NULL, "control", "revenue_per_shopper", 3, 3, 0, 200, 20800, NA, NA, NA, 10, 100, 1200},
    {"all", NULL, "personalized", "revenue_per_shopper", 3, 2, 1, 259.68, 43472.1024, NA, NA, NA, 0,
     0, 0},
    /* AOV over shoppers with orders: u1 120/2, u7 80/1 | u3 200/1, u6 60/1 (no cap) */
    {"all", NULL, "control", "aov", 3, 2, 0, 200, 20800, 3, 5, 320, NA, NA, NA},
    {"all", NULL, "personalized", "aov", 3, 2, 1, 260, 43600, 2, 2, 260, NA, NA, NA},
    /* retention: a second order within 30 days: u1 (3 orders), u3 (2 orders) */
    {"all", NULL, "control", "retention", 3, 3, 0, 1, 1, NA, NA, NA, NA, NA, NA},
    {"all", NULL, "personalized", "retention", 3, 2, 1, 1, 1, NA, NA, NA, NA, NA, NA},
    /* LTV 90d: only u7 (80) and u6 (180, capped to 179.9) are 90 days old */
    {"all", NULL, "control", "ltv_90d", 3, 1, 2, 80, 6400, NA, NA, NA, NA, NA, NA},
    {"all", NULL, "personalized", "ltv_90d", 3, 1, 2, 179.9, 32364.01, NA, NA, NA, NA, NA, NA},
    /* engagement: page views within 14 days; pre-period: u1's view of Mar 27 */
    {"all", NULL, "control", "engagement", 3, 3, 0, 5, 11, NA, NA, NA, 1, 1, 3},
    {"all", NULL, "personalized", "engagement", 3, 2, 1, 2, 2, NA, NA, NA, 0, 0, 0},
    /* segments by device at first exposure (u7's later desktop exposure does not count) */
    {"segment", "mobile", "control", "conversion", 2, 2, 0, 2, 2, NA, NA, NA, NA, NA, NA},
    {"segment", "desktop", "control", "conversion", 1, 1, 0, 0, 0, NA, NA, NA, NA, NA, NA},
    {"segment", "mobile", "personalized", "aov", 1, 1, 0, 200, 40000, 1, 1, 200, NA, NA, NA},
    {"segment", "(none)", "personalized", "conversion", 1, 0, 1, 0, 0, NA, NA, NA, NA, NA, NA},
};

static bool same(double got, double want)
{
    return isnan(want) ? true : fabs(got - want) <= 1e-9 * fmax(1, fabs(want));
}

Test(report, analysis_sql_matches_the_hand_made_data_set)
{
    pgtest_ok(db, DATA);
    pgtest_ok(db, lift_sql_text("analysis/unit_aggs.sql"));
    pgtest_ok(db, lift_sql_text("analysis/metric_stats.sql"));
    const char *p[] = {"exp", "1", AS_OF,
                       "{conversion,revenue_per_shopper,aov,retention,ltv_90d,engagement}",
                       "{device}"};
    lift_err err;
    PGresult *r = lift_db_exec(db, "SELECT * FROM pg_temp.lift_metric_stats($1, $2, $3, $4, $5)", 5,
                               p, NULL, &err);
    cr_assert(r, "%s", err.msg);
    cr_assert_str_eq(PQgetvalue(r, 0, 18), "1", "one shopper excluded as mixed");
    cr_assert_str_eq(PQgetvalue(r, 0, 19), "2026-02-01 00:00:00+00");
    cr_assert_str_eq(PQgetvalue(r, 0, 20), "2026-05-25 00:00:00+00");
    for (size_t k = 0; k < sizeof EXPECTED / sizeof *EXPECTED; k++) {
        const expect *e = &EXPECTED[k];
        int row = -1;
        for (int i = 0; i < PQntuples(r) && row < 0; i++)
            if (!strcmp(PQgetvalue(r, i, 0), e->level) &&
                (!e->segment || !strcmp(PQgetvalue(r, i, 2), e->segment)) &&
                !strcmp(PQgetvalue(r, i, 4), e->variant) && !strcmp(PQgetvalue(r, i, 5), e->metric))
                row = i;
        cr_assert_geq(row, 0, "no row for %s %s %s %s", e->level, e->segment ? e->segment : "",
                      e->variant, e->metric);
        const double *want = &e->units;
        static const char *const cols[] = {"units",   "n",          "immature",   "sum",
                                           "sum_sq",  "den_sum",    "den_sum_sq", "sum_x_den",
                                           "pre_sum", "pre_sum_sq", "sum_x_pre"};
        for (int c = 0; c < 11; c++) {
            double got = PQgetisnull(r, row, 6 + c) ? (double)NAN : atof(PQgetvalue(r, row, 6 + c));
            cr_assert(same(got, want[c]), "%s %s %s %s: %s = %.10g, want %.10g", e->level,
                      e->segment ? e->segment : "", e->variant, e->metric, cols[c], got, want[c]);
        }
    }
    /* Day rows: shoppers by day of first exposure. */
    long may25 = 0;
    for (int i = 0; i < PQntuples(r); i++)
        if (!strcmp(PQgetvalue(r, i, 0), "day") && !strcmp(PQgetvalue(r, i, 3), "2026-05-25") &&
            !strcmp(PQgetvalue(r, i, 5), "conversion"))
            may25 += atol(PQgetvalue(r, i, 6));
    cr_assert_eq(may25, 1);
    PQclear(r);
}

/* A realistic data set, seeded: 6000 shoppers over 42 days from 2026-04-01, 60% mobile;
 * conversion 8% (control) and 9.6% (personalized, +20%); lognormal baskets; 10% of
 * orders refunded; a few page views each. */
static const char SYNTHETIC[] =
    "BEGIN;"
    "INSERT INTO lift.experiments (key, name, hypothesis, status, target_mde) VALUES"
    "  ('recs', 'Homepage recommendations', 'Personalized recommendations make more "
    "shoppers buy.', 'running', 0.2);"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES"
    "  ('recs', 'control', 0.5), ('recs', 'personalized', 0.5);"
    "COMMIT;"
    "SELECT setseed(0.42);"
    "CREATE TEMP TABLE s AS SELECT i, 's' || i AS unit,"
    "  CASE WHEN i % 2 = 0 THEN 'control' ELSE 'personalized' END AS variant,"
    "  timestamptz '2026-04-01' + (i % 42) * interval '1 day' + random() * interval '1 day' AS t0,"
    "  CASE WHEN random() < 0.6 THEN 'mobile' ELSE 'desktop' END AS device"
    "  FROM generate_series(1, 6000) i;"
    "INSERT INTO lift.exposures (event_id, unit, experiment, variant, phase, ts, attrs)"
    "  SELECT 'x' || i, unit, 'recs', variant, 1, t0, jsonb_build_object('device', device) FROM s;"
    "CREATE TEMP TABLE o AS SELECT s.*, k, t0 + random() * interval '12 days' AS ts,"
    "  exp(3.6 + 0.8 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())) AS value"
    "  FROM s CROSS JOIN generate_series(1, 2) k"
    "  WHERE random() < CASE WHEN variant = 'control' THEN 0.08 ELSE 0.096 END / (1 + (k - 1) * 3);"
    "INSERT INTO lift.events (event_id, unit, type, value, currency, ts)"
    "  SELECT 'o' || i || '-' || k, unit, 'order', round(value::numeric, 2), 'EUR', ts FROM o;"
    "INSERT INTO lift.events (event_id, unit, type, value, currency, ts)"
    "  SELECT 'r' || i || '-' || k, unit, 'refund', -round(value::numeric, 2), 'EUR', ts + "
    "interval '2 days'"
    "  FROM o WHERE random() < 0.1;"
    "INSERT INTO lift.events (event_id, unit, type, ts)"
    "  SELECT 'p' || i || '-' || k, unit, 'page_view', t0 + random() * interval '13 days'"
    "  FROM s CROSS JOIN generate_series(1, 4) k WHERE random() < 0.5;";

static lift_report *synthetic_report(const char *const *segments, size_t nsegments)
{
    pgtest_ok(db, SYNTHETIC);
    lift_report_opts o = {.experiment = "recs",
                          .alpha = 0.05,
                          .correction = LIFT_CORRECT_BH,
                          .tuning = 5000,
                          .cuped = true,
                          .segments = segments,
                          .nsegments = nsegments};
    lift_time_parse(AS_OF, strlen(AS_OF), &o.as_of);
    lift_report *r;
    lift_err err;
    cr_assert_eq(lift_report_build(db, &o, &r, &err), LIFT_OK, "%s", err.msg);
    return r;
}

/* The documented field list (include/lift/report.h): path and JSON type; "[]" walks every
 * element of an array, "|null" allows null. */
static const struct {
    const char *path, *type;
} FIELDS[] = {
    {"report_version", "number"},
    {"generated_at", "string"},
    {"as_of", "string"},
    {"decisions[].variant", "string"},
    {"decisions[].outcome", "string"},
    {"decisions[].summary", "string"},
    {"decisions[].days_left", "number|null"},
    {"decisions[].reasons[].code", "string"},
    {"decisions[].reasons[].metric", "string|null"},
    {"decisions[].reasons[].text", "string"},
    {"money.currency", "string|null"},
    {"money.currency_source", "string"},
    {"money.metric", "string|null"},
    {"money.programme", "boolean"},
    {"money.variants[].variant", "string"},
    {"money.variants[].valid", "boolean"},
    {"money.variants[].ci_level", "number"},
    {"money.variants[].per_shopper", "number|null"},
    {"money.variants[].per_shopper_ci", "array"},
    {"money.variants[].treated", "number"},
    {"money.variants[].total", "number|null"},
    {"money.variants[].total_ci", "array"},
    {"money.variants[].daily_shoppers", "number|null"},
    {"money.variants[].per_30_days", "number|null"},
    {"money.variants[].per_30_days_ci", "array"},
    {"money.variants[].text", "string"},
    {"health.srm", "object|null"},
    {"health.mixed.units", "number"},
    {"health.mixed.share", "number"},
    {"health.mixed.threshold", "number"},
    {"health.mixed.pass", "boolean"},
    {"health.outside_schedule.checked", "boolean"},
    {"health.outside_schedule.units", "number"},
    {"health.pre_period[].metric", "string"},
    {"health.pre_period[].variant", "string"},
    {"health.pre_period[].p_value", "number"},
    {"health.pre_period[].imbalance", "boolean"},
    {"health.immature[].metric", "string"},
    {"health.immature[].units", "number"},
    {"health.immature[].share", "number"},
    {"health.immature[].days_to_mature", "number|null"},
    {"health.freshness.latest_exposure", "string|null"},
    {"health.freshness.latest_event", "string|null"},
    {"health.currency.excluded_events", "number"},
    {"health.currency.excluded_by_currency", "string"},
    {"experiment.key", "string"},
    {"experiment.name", "string"},
    {"experiment.hypothesis", "string"},
    {"experiment.status", "string"},
    {"experiment.kind", "string"},
    {"experiment.phase", "number"},
    {"experiment.primary_metric", "string"},
    {"experiment.target_mde", "number"},
    {"experiment.target_power", "number"},
    {"experiment.start_at", "string|null"},
    {"experiment.end_at", "string|null"},
    {"experiment.revenue_metric", "string|null"},
    {"experiment.variants[].key", "string"},
    {"experiment.variants[].weight", "number"},
    {"experiment.variants[].control", "boolean"},
    {"experiment.variants[].units", "number"},
    {"settings.alpha", "number"},
    {"settings.correction", "string"},
    {"settings.sequential", "object|null"},
    {"settings.prior", "string"},
    {"settings.cuped", "boolean"},
    {"settings.segments", "array"},
    {"settings.max_mixed_share", "number"},
    {"exposure.first", "string|null"},
    {"exposure.last", "string|null"},
    {"exposure.days_run", "number"},
    {"exposure.units", "number"},
    {"exposure.mixed_excluded", "number"},
    {"srm", "object|null"},
    {"srm.chi2", "number"},
    {"srm.df", "number"},
    {"srm.p_value", "number"},
    {"srm.flag", "boolean"},
    {"verdicts[].variant", "string"},
    {"verdicts[].metric", "string"},
    {"verdicts[].outcome", "string"},
    {"verdicts[].text", "string"},
    {"power.metric", "string"},
    {"power.baseline", "number"},
    {"power.planned_per_variant", "number|null"},
    {"power.observed_per_variant", "number"},
    {"power.reached_sample", "boolean"},
    {"power.days_run", "number"},
    {"power.days_planned", "number|null"},
    {"power.whole_weeks_run", "number"},
    {"power.reached_duration", "boolean"},
    {"power.underpowered", "boolean"},
    {"metrics[].key", "string"},
    {"metrics[].name", "string"},
    {"metrics[].description", "string"},
    {"metrics[].type", "string"},
    {"metrics[].direction", "string"},
    {"metrics[].guardrail", "boolean"},
    {"metrics[].role", "string"},
    {"metrics[].margin", "number"},
    {"metrics[].long_term", "boolean"},
    {"metrics[].money", "boolean"},
    {"metrics[].power.baseline", "number|null"},
    {"metrics[].power.alpha", "number"},
    {"metrics[].power.needed_per_variant", "array"},
    {"metrics[].power.reached", "boolean"},
    {"metrics[].power.mde_now", "array"},
    {"metrics[].power.plan_days", "number|null"},
    {"metrics[].power.days_left", "number|null"},
    {"metrics[].window_days", "number"},
    {"metrics[].cap", "number|null"},
    {"metrics[].cuped_pre_days", "number|null"},
    {"metrics[].immature_excluded", "number"},
    {"metrics[].results[].metric", "string"},
    {"metrics[].results[].variant", "string"},
    {"metrics[].results[].status", "string"},
    {"metrics[].results[].control.n", "number"},
    {"metrics[].results[].control.mean", "number|null"},
    {"metrics[].results[].treatment.n", "number"},
    {"metrics[].results[].absolute", "object|null"},
    {"metrics[].results[].relative", "object|null"},
    {"metrics[].results[].p_value_adjusted", "number|null"},
    {"metrics[].results[].significant", "boolean"},
    {"metrics[].results[].label", "string"},
    {"metrics[].results[].role", "string"},
    {"metrics[].results[].interval.level", "number"},
    {"metrics[].results[].interval.relative", "array|null"},
    {"segments[].attribute", "string"},
    {"segments[].value", "string"},
    {"segments[].family", "number"},
    {"segments[].results[].segment", "string"},
    {"segments[].results[].relative", "object|null"},
    {"series.primary_metric", "string"},
    {"series.ci_level", "number"},
    {"series.always_valid", "boolean"},
    {"series.days[].day", "string"},
    {"series.days[].units", "array"},
    {"series.days[].relative[].variant", "string"},
    {"series.days[].relative[].estimate", "number|null"},
};

static bool type_ok(const json_t *v, const char *type)
{
    const char *name = json_is_object(v)    ? "object"
                       : json_is_array(v)   ? "array"
                       : json_is_string(v)  ? "string"
                       : json_is_number(v)  ? "number"
                       : json_is_boolean(v) ? "boolean"
                                            : "null";
    char want[64], have[16];
    snprintf(want, sizeof want, "|%s|", type); /* "|number|null|" */
    snprintf(have, sizeof have, "|%s|", name);
    return strstr(want, have) != NULL;
}

/* Checks path (relative to v) against type; counts the values checked. */
static void check_path(const json_t *v, const char *path, const char *type, const char *full,
                       int *seen)
{
    if (!*path) {
        cr_assert(type_ok(v, type), "%s: not %s", full, type);
        ++*seen;
        return;
    }
    if (json_is_null(v))
        return; /* a nullable parent (srm) */
    char key[64];
    size_t n = strcspn(path, ".[");
    snprintf(key, sizeof key, "%.*s", (int)n, path);
    const char *rest = path + n;
    const json_t *child = json_object_get(v, key);
    cr_assert(child, "%s: missing %s", full, key);
    if (!strncmp(rest, "[]", 2)) {
        cr_assert(json_is_array(child), "%s: %s is not an array", full, key);
        rest += 2;
        if (*rest == '.')
            rest++;
        size_t i;
        const json_t *item;
        json_array_foreach(child, i, item) check_path(item, rest, type, full, seen);
        return;
    }
    check_path(child, *rest == '.' ? rest + 1 : rest, type, full, seen);
}

Test(report, json_has_every_documented_field)
{
    const char *seg[] = {"device"};
    lift_report *r = synthetic_report(seg, 1);
    lift_buf b;
    lift_buf_init(&b);
    lift_err err;
    cr_assert_eq(lift_report_render(r, LIFT_REPORT_JSON, &b, &err), LIFT_OK);
    json_error_t jerr;
    json_t *doc = json_loads(b.data, 0, &jerr);
    cr_assert(doc, "not JSON: %s", jerr.text);
    for (size_t i = 0; i < sizeof FIELDS / sizeof *FIELDS; i++) {
        int seen = 0;
        check_path(doc, FIELDS[i].path, FIELDS[i].type, FIELDS[i].path, &seen);
        cr_assert_gt(seen, 0, "%s: no value", FIELDS[i].path);
    }
    /* The planted +20% on conversion is found; the split is fine. */
    json_t *conv = json_array_get(json_object_get(doc, "metrics"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(conv, "key")), "conversion");
    json_t *rel = json_object_get(json_array_get(json_object_get(conv, "results"), 0), "relative");
    double lo = json_number_value(json_array_get(json_object_get(rel, "ci"), 0));
    double hi = json_number_value(json_array_get(json_object_get(rel, "ci"), 1));
    cr_assert(lo <= 0.2 && 0.2 <= hi, "planted +20%% outside [%g, %g]", lo, hi);
    cr_assert(json_is_false(json_object_get(json_object_get(doc, "srm"), "flag")));
    cr_assert_eq(json_array_size(json_object_get(json_object_get(doc, "series"), "days")), 42);
    json_decref(doc);
    lift_buf_fini(&b);
    lift_report_free(r);
}

Test(report, csv_has_a_row_per_metric_variant_and_segment)
{
    const char *seg[] = {"device"};
    lift_report *r = synthetic_report(seg, 1);
    lift_buf b;
    lift_buf_init(&b);
    lift_err err;
    cr_assert_eq(lift_report_render(r, LIFT_REPORT_CSV, &b, &err), LIFT_OK);
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    /* header + 6 metrics x 1 treatment x (whole + mobile + desktop) */
    cr_assert_eq(lines, 1 + 6 * 3, "%s", b.data);
    cr_assert(strstr(b.data, "conversion,device,mobile,personalized,proportion,ok,"), "%s", b.data);
    lift_buf_fini(&b);
    lift_report_free(r);
}

static const char *chromium(void)
{
    return access("/usr/bin/chromium", X_OK) == 0 ? "/usr/bin/chromium" : NULL;
}

Test(report, html_renders_in_headless_chromium_without_console_errors)
{
    const char *browser = chromium();
    cr_assert(browser, "chromium is missing: `make test` installs it (scripts/deps.sh test)");
    const char *seg[] = {"device"};
    lift_report *r = synthetic_report(seg, 1);
    lift_buf b;
    lift_buf_init(&b);
    lift_err err;
    cr_assert_eq(lift_report_render(r, LIFT_REPORT_HTML, &b, &err), LIFT_OK);
    lift_report_free(r);
    cr_assert(!strstr(b.data, "<script") && !strstr(b.data, "http://") &&
                  !strstr(b.data, "https://"),
              "the report must be self-contained");
    char html[512], png[1024], log[512], profile[512], cmd[4096], cwd[256];
    const char *tmp = getenv("LIFT_TEST_TMP"), *build = getenv("LIFT_TEST_BUILD");
    cr_assert(getcwd(cwd, sizeof cwd));
    snprintf(html, sizeof html, "%s/report.html", tmp ? tmp : "/tmp");
    /* Absolute: chromium runs from / (a root-owned cwd it cannot write in is fine). */
    snprintf(png, sizeof png, "%s/%s/report.png", cwd, build ? build : "build");
    snprintf(log, sizeof log, "%s/chromium.log", tmp ? tmp : "/tmp");
    snprintf(profile, sizeof profile, "%s/chromium-profile", tmp ? tmp : "/tmp");
    FILE *f = fopen(html, "w");
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    lift_buf_fini(&b);
    unlink(png);
    snprintf(cmd, sizeof cmd,
             "cd / && timeout 60 %s --headless --no-sandbox --disable-gpu "
             "--disable-background-networking --no-first-run --disable-component-update "
             "--disable-sync --user-data-dir=%s --enable-logging=stderr --v=0 "
             "--hide-scrollbars --window-size=1200,3600 --screenshot=%s file://%s >%s 2>&1",
             browser, profile, png, html, log);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "chromium failed; see %s", log);
    struct stat s;
    cr_assert_eq(stat(png, &s), 0, "no screenshot at %s", png);
    cr_assert_gt(s.st_size, 20000, "the screenshot is suspiciously small (%ld bytes)",
                 (long)s.st_size);
    /* Page console messages show up as CONSOLE lines in Chromium's log. */
    FILE *lf = fopen(log, "r");
    char line[2048];
    while (lf && fgets(line, sizeof line, lf))
        cr_assert(!strstr(line, "CONSOLE"), "console message: %s", line);
    if (lf)
        fclose(lf);
    cr_log_info("screenshot written to %s (%ld bytes)", png, (long)s.st_size);

    /* The page as Chromium laid it out: the decision, the money and the health panel come
     * first, before any plot or table of results. */
    char dom[600];
    snprintf(dom, sizeof dom, "%s/report-dom.html", tmp ? tmp : "/tmp");
    snprintf(cmd, sizeof cmd,
             "cd / && timeout 60 %s --headless --no-sandbox --disable-gpu "
             "--disable-background-networking --no-first-run --disable-component-update "
             "--disable-sync --user-data-dir=%s --dump-dom file://%s >%s 2>>%s",
             browser, profile, html, dom, log);
    st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "chromium --dump-dom failed; see %s", log);
    FILE *df = fopen(dom, "r");
    cr_assert(df);
    static char page[1 << 22];
    size_t n = fread(page, 1, sizeof page - 1, df);
    page[n] = '\0';
    fclose(df);
    static const char *const order[] = {"<h2>Decision</h2>",       "<h2>Money</h2>",
                                        "<h2>Health</h2>",         "<h2>Power and duration</h2>",
                                        "<h2>Lift by metric</h2>", "<h2>Metrics</h2>"};
    const char *at = page;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const char *next = strstr(page, order[i]);
        cr_assert(next, "the rendered page has no %s", order[i]);
        cr_assert(next >= at, "%s comes too late", order[i]);
        at = next;
    }
    const char *first_svg = strstr(page, "<svg");
    const char *decision = strstr(page, "class=\"decision ");
    cr_assert(decision && first_svg && decision < first_svg, "the decision leads the page");
    cr_assert(strstr(page, "Incremental revenue") && strstr(page, "Sample ratio") &&
                  strstr(page, "Saw two variants") && strstr(page, "Freshness"),
              "money and health panel rendered");
}

Test(report, liftctl_report_writes_all_four_formats)
{
    pgtest_ok(db, SYNTHETIC);
    const char *tmp = getenv("LIFT_TEST_TMP");
    static const char *const formats[] = {"html", "md", "json", "csv"};
    static const char *const md_title = "# Homepage recommendations: lift report";
    const char *const starts[] = {"<!doctype html>", md_title, "{",
                                  "decision,metric,segment_attribute"};
    for (int i = 0; i < 4; i++) {
        char out[512], cmd[3072];
        snprintf(out, sizeof out, "%s/cli-report-%d.%s", tmp ? tmp : "/tmp", (int)getpid(),
                 formats[i]);
        snprintf(cmd, sizeof cmd,
                 "LIFT_DATABASE_URL='%s' %s report recs --format %s --out %s --segment device "
                 "--as-of 2026-06-01 --correction holm --sequential 8000 2>/dev/null",
                 conninfo, pgtest_bin("liftctl"), formats[i], out);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
        FILE *f = fopen(out, "r");
        cr_assert(f);
        char head[64] = "";
        cr_assert(fgets(head, sizeof head, f));
        fclose(f);
        cr_assert(!strncmp(head, starts[i], strlen(starts[i])), "%s starts with %s", formats[i],
                  head);
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "LIFT_DATABASE_URL='%s' %s report nope --format json --out - 2>&1 >/dev/null | "
             "grep -q \"liftctl report: no experiment 'nope'\"",
             conninfo, pgtest_bin("liftctl"));
    cr_assert_eq(system(cmd), 0, "unknown experiments are named");
}

/* Analysts may hold only lift_analyst's read-only rights: the report needs no more. */
Test(report, an_analyst_with_read_only_rights_can_report)
{
    pgtest_ok(db, SYNTHETIC);
    char analyst[1100], out[4096];
    pgtest_conninfo_as(conninfo, "lift_analyst", analyst, sizeof analyst);
    int status = cli_run(analyst, NULL, "report recs --format json --out - --as-of 2026-06-01", 1,
                         out, sizeof out);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(strstr(out, "\"report_version\""), "%.300s", out);
    /* ...and can change nothing. */
    lift_err err;
    lift_db *a = lift_db_open(analyst, &err);
    cr_assert(a, "%s", err.msg);
    cr_assert(strstr(pgtest_fails(a, "INSERT INTO lift.events (event_id, unit, type, ts) "
                                     "VALUES ('x', 'u', 't', now())"),
                     "permission denied"));
    cr_assert(strstr(pgtest_fails(a, "UPDATE lift.experiments SET status = 'stopped'"),
                     "permission denied"));
    cr_assert(strstr(pgtest_fails(a, "DELETE FROM lift.exposures"), "permission denied"));
    cr_assert_neq(atol(pgtest_value(a, "SELECT count(*) FROM lift.events")), 0);
    lift_db_close(a);
}

/* --- issue 13: reports that decide ------------------------------------------------------ */

static json_t *report_json(const char *args, int expect_status, char *out, size_t len)
{
    int status = cli_run(conninfo, NULL, args, expect_status != 0, out, len);
    cr_assert_eq(status, expect_status, "liftctl %s: exit %d: %.500s", args, status, out);
    if (expect_status != 0)
        return NULL;
    json_error_t jerr;
    json_t *doc = json_loads(out, 0, &jerr);
    cr_assert(doc, "liftctl %s: not JSON: %s", args, jerr.text);
    return doc;
}

static double arm_mean(const json_t *res, const char *arm)
{
    return json_number_value(json_object_get(json_object_get(res, arm), "mean"));
}

Test(report, the_json_leads_with_the_decision_money_and_health)
{
    static char out[1 << 21];
    pgtest_ok(db, SYNTHETIC);
    json_t *doc =
        report_json("report recs --format json --out - --as-of 2026-06-01", 0, out, sizeof out);
    const char *order[6];
    int n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        if (n < 6)
            order[n++] = key;
    }
    cr_assert_str_eq(order[3], "decisions");
    cr_assert_str_eq(order[4], "money");
    cr_assert_str_eq(order[5], "health");
    const json_t *d = json_array_get(json_object_get(doc, "decisions"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(d, "variant")), "personalized");
    cr_assert(json_array_size(json_object_get(d, "reasons")) > 0);
    /* Money: the revenue difference times the treated shoppers, and its interval. */
    const json_t *m = json_array_get(json_object_get(json_object_get(doc, "money"), "variants"), 0);
    const json_t *rev = cli_metric_result(doc, "revenue_per_shopper");
    double per = json_number_value(json_object_get(json_object_get(rev, "absolute"), "estimate"));
    double treated = json_number_value(json_object_get(m, "treated"));
    cr_assert_eq(treated, 3000);
    cr_assert(fabs(json_number_value(json_object_get(m, "total")) - per * treated) < 1e-6);
    const json_t *shown = json_object_get(json_object_get(rev, "interval"), "absolute");
    cr_assert(fabs(json_number_value(json_array_get(json_object_get(m, "total_ci"), 0)) -
                   treated * json_number_value(json_array_get(shown, 0))) < 1e-6);
    /* 6000 shoppers over the ~43 days from the first exposure to a day after the last: ~140 a
     * day, times 30 days. */
    double daily = json_number_value(json_object_get(m, "daily_shoppers"));
    double days = json_number_value(json_object_get(json_object_get(doc, "power"), "days_run"));
    cr_assert(fabs(daily - 6000 / days) < 1e-9 && days > 42 && days < 44, "daily %g over %g days",
              daily, days);
    cr_assert(fabs(json_number_value(json_object_get(m, "per_30_days")) - per * daily * 30) < 1e-6);
    cr_assert(strstr(json_string_value(json_object_get(m, "text")), "shoppers a day who entered"));
    /* A single-currency store needs no set-up: its values carry its currency. */
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "money"), "currency")),
                     "EUR");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(doc, "money"), "currency_source")),
        "events");
    json_decref(doc);
}

/* Rates by day, in the store's currency (EUR): USD 0.9 on Apr 2, 0.8 on Apr 3, nothing on
 * Apr 4; CHF never. Revenue per shopper by hand:
 *   control   c1: 100 EUR + 50 USD on Apr 2 (45 EUR) = 145; c2: 20 USD on Apr 3 = 16; c3: 0
 *   treatment t1: 200 CHF (no rate: left out) + 10 EUR on Apr 4 = 10; t2: 30 (no currency:
 *             the store's) = 30; t3: 0
 * In USD (the experiment's own currency): EUR at 1 / 0.9 on Apr 2, none on Apr 4:
 *   control   c1: 111.11 + 50 = 161.11; c2: 20; t1: both left out; t2: 33.33. */
static const char FX[] =
    "UPDATE lift.metrics SET winsor_pct = NULL;"
    "BEGIN;"
    "INSERT INTO lift.experiments (key, name, status) VALUES ('fx', 'FX', 'running');"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES ('fx', 'control', 0.5),"
    "  ('fx', 'treatment', 0.5);"
    "COMMIT;"
    "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES"
    " ('x1', 'c1', 'fx', 'control', '2026-04-01T00:00Z'), ('x2', 'c2', 'fx', 'control', "
    "'2026-04-01T00:00Z'), ('x3', 'c3', 'fx', 'control', '2026-04-01T00:00Z'),"
    " ('x4', 't1', 'fx', 'treatment', '2026-04-01T00:00Z'), ('x5', 't2', 'fx', 'treatment', "
    "'2026-04-01T00:00Z'), ('x6', 't3', 'fx', 'treatment', '2026-04-01T00:00Z');"
    "INSERT INTO lift.events (event_id, unit, type, value, currency, ts) VALUES"
    " ('e1', 'c1', 'order', 100, 'EUR', '2026-04-02T10:00Z'), ('e2', 'c1', 'order', 50, 'USD', "
    "'2026-04-02T11:00Z'), ('e3', 'c2', 'order', 20, 'USD', '2026-04-03T10:00Z'),"
    " ('e4', 't1', 'order', 200, 'CHF', '2026-04-02T10:00Z'), ('e5', 't1', 'order', 10, 'EUR', "
    "'2026-04-04T10:00Z'), ('e6', 't2', 'order', 30, NULL, '2026-04-02T10:00Z');";

Test(report, money_is_converted_at_the_days_rate_and_what_has_no_rate_is_counted)
{
    static char out[1 << 20];
    pgtest_ok(db, FX);
    /* Several currencies and no reporting currency: never summed. */
    report_json("report fx --format json --out - --as-of 2026-06-01", 2, out, sizeof out);
    cr_assert(strstr(out, "experiment 'fx': its events are in several currencies (CHF ... USD) "
                          "and no reporting currency is set"),
              "%s", out);
    pgtest_ok(db, "UPDATE lift.settings SET currency = 'EUR';"
                  "INSERT INTO lift.fx_rates VALUES ('USD', '2026-04-02', 0.9),"
                  " ('USD', '2026-04-03', 0.8);");
    json_t *doc =
        report_json("report fx --format json --out - --as-of 2026-06-01", 0, out, sizeof out);
    const json_t *rev = cli_metric_result(doc, "revenue_per_shopper");
    cr_assert(fabs(arm_mean(rev, "control") - 161.0 / 3) < 1e-9, "%.17g", arm_mean(rev, "control"));
    cr_assert(fabs(arm_mean(rev, "treatment") - 40.0 / 3) < 1e-9, "%.17g",
              arm_mean(rev, "treatment"));
    const json_t *cur = json_object_get(json_object_get(doc, "health"), "currency");
    cr_assert_eq(json_number_value(json_object_get(cur, "excluded_events")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(cur, "excluded_by_currency")), "CHF 1");
    const json_t *money = json_object_get(doc, "money");
    cr_assert_str_eq(json_string_value(json_object_get(money, "currency")), "EUR");
    cr_assert_str_eq(json_string_value(json_object_get(money, "currency_source")), "store");
    json_decref(doc);

    pgtest_ok(db, "UPDATE lift.experiments SET currency = 'USD' WHERE key = 'fx'");
    doc = report_json("report fx --format json --out - --as-of 2026-06-01", 0, out, sizeof out);
    rev = cli_metric_result(doc, "revenue_per_shopper");
    cr_assert(fabs(arm_mean(rev, "control") - (100 / 0.9 + 50 + 20) / 3) < 1e-9, "%.17g",
              arm_mean(rev, "control"));
    cr_assert(fabs(arm_mean(rev, "treatment") - 30 / 0.9 / 3) < 1e-9, "%.17g",
              arm_mean(rev, "treatment"));
    cur = json_object_get(json_object_get(doc, "health"), "currency");
    cr_assert_eq(json_number_value(json_object_get(cur, "excluded_events")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(cur, "excluded_by_currency")),
                     "CHF 1, EUR 1");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(doc, "money"), "currency_source")),
        "experiment");
    json_decref(doc);
    /* Every format labels money with the currency, and says what was left out. */
    cli_run(conninfo, NULL, "report fx --format text --as-of 2026-06-01", 0, out, sizeof out);
    cr_assert(strstr(out, " USD") && strstr(out, "CHF 1, EUR 1"), "%s", out);
}

Test(report, segments_are_corrected_in_their_own_family_and_unknown_ones_refused)
{
    static char out[1 << 21];
    pgtest_ok(db, SYNTHETIC);
    json_t *plain =
        report_json("report recs --format json --out - --as-of 2026-06-01", 0, out, sizeof out);
    json_t *seg = report_json("report recs --format json --out - --as-of 2026-06-01 --segment "
                              "device",
                              0, out, sizeof out);
    static const char *const keys[] = {"conversion", "aov", "revenue_per_shopper", "retention",
                                       "engagement"};
    for (size_t i = 0; i < 5; i++) {
        double a = json_number_value(
                   json_object_get(cli_metric_result(plain, keys[i]), "p_value_adjusted")),
               b = json_number_value(
                   json_object_get(cli_metric_result(seg, keys[i]), "p_value_adjusted"));
        /* The same up to the order PostgreSQL adds the same floats in (1e-16). */
        cr_assert(fabs(a - b) <= 1e-12 * fmax(a, b),
                  "%s: adjusted p %.17g without segments, "
                  "%.17g with",
                  keys[i], a, b);
    }
    json_decref(plain);
    json_decref(seg);
    report_json("report recs --format json --out - --as-of 2026-06-01 --segment browser", 2, out,
                sizeof out);
    cr_assert(strstr(out, "segment: no exposure of experiment 'recs' carries the attribute "
                          "'browser'; its exposures carry: device"),
              "%s", out);
}

Test(report, as_of_in_the_future_or_before_the_start_is_refused_saying_why)
{
    static char out[1 << 16];
    pgtest_ok(db, SYNTHETIC);
    report_json("report recs --format json --out - --as-of 2099-01-01", 2, out, sizeof out);
    cr_assert(strstr(out, "as of 2099-01-01T00:00:00Z is in the future"), "%s", out);
    report_json("report recs --format json --out - --as-of 2026-03-01", 2, out, sizeof out);
    cr_assert(strstr(out, "as of 2026-03-01T00:00:00Z experiment 'recs' had not started: its "
                          "first exposure (phase 1) is at 2026-04-01"),
              "%s", out);
    pgtest_ok(db, "UPDATE lift.experiments SET start_at = '2026-04-01', end_at = '2026-05-13'");
    report_json("report recs --format json --out - --as-of 2026-03-01", 2, out, sizeof out);
    cr_assert(strstr(out, "it starts at 2026-04-01T00:00:00Z, so there is nothing to report yet"),
              "%s", out);
    /* A little clock drift is fine: a minute ahead. */
    char args[256], ahead[LIFT_TIME_LEN];
    lift_time_format(lift_time_now() + 60 * INT64_C(1000000), ahead);
    snprintf(args, sizeof args, "report recs --format json --out - --as-of %.19sZ", ahead);
    json_decref(report_json(args, 0, out, sizeof out));
}

Test(report, the_sequential_band_is_always_valid_and_ends_at_the_headline_interval)
{
    static char out[1 << 21];
    pgtest_ok(db, SYNTHETIC);
    json_t *fixed =
        report_json("report recs --format json --out - --as-of 2026-06-01", 0, out, sizeof out);
    json_t *seq = report_json("report recs --format json --out - --as-of 2026-06-01 --sequential",
                              0, out, sizeof out);
    json_t *docs[] = {fixed, seq};
    double width[2];
    for (int k = 0; k < 2; k++) {
        const json_t *series = json_object_get(docs[k], "series");
        cr_assert_eq(json_is_true(json_object_get(series, "always_valid")), k == 1);
        const json_t *days = json_object_get(series, "days");
        const json_t *last = json_array_get(
            json_object_get(json_array_get(days, json_array_size(days) - 1), "relative"), 0);
        const json_t *shown = json_object_get(
            json_object_get(cli_metric_result(docs[k], "conversion"), "interval"), "relative");
        double lo = json_number_value(json_object_get(last, "lo")),
               hi = json_number_value(json_object_get(last, "hi"));
        cr_assert(fabs(lo - json_number_value(json_array_get(shown, 0))) < 1e-12, "lo %g", lo);
        cr_assert(fabs(hi - json_number_value(json_array_get(shown, 1))) < 1e-12, "hi %g", hi);
        width[k] = hi - lo;
    }
    cr_assert_gt(width[1], width[0], "the always-valid band is wider: %g vs %g", width[1],
                 width[0]);
    json_decref(fixed);
    json_decref(seq);
}

Test(report, every_format_says_the_decision_labels_and_the_text_one_segments_and_mode)
{
    static char out[1 << 21];
    pgtest_ok(db, SYNTHETIC);
    cli_run(conninfo, NULL,
            "report recs --format text --as-of 2026-06-01 --segment device --sequential 8000", 0,
            out, sizeof out);
    const char *d = strstr(out, "Decision for personalized:"), *m = strstr(out, "\nMoney\n"),
               *h = strstr(out, "\nHealth\n"), *s = strstr(out, "Segments by device");
    cr_assert(d && m && h && s && d < m && m < h && h < s, "%s", out);
    cr_assert(strstr(out, "Sequential testing: on (always-valid intervals, N* = 8000)"), "%s", out);
    cr_assert(strstr(out, "mobile") && strstr(out, "desktop"), "%s", out);
    static const char *const formats[] = {"md", "html", "csv", "text"};
    for (int i = 0; i < 4; i++) {
        char args[256];
        snprintf(args, sizeof args, "report recs --format %s --out - --as-of 2026-06-01",
                 formats[i]);
        cli_run(conninfo, NULL, args, 0, out, sizeof out);
        /* Labels in words, not colour alone: the planted +20% is a win; thousands have commas. */
        cr_assert(strstr(out, "win"), "%s: no label", formats[i]);
        cr_assert(strstr(out, "inconclusive") || strstr(out, "flat"), "%s", formats[i]);
        if (i != 2) {
            cr_assert(strstr(out, "3,000"), "%s: no thousands separator", formats[i]);
            cr_assert(strstr(out, " EUR"), "%s: money without its currency", formats[i]);
        }
    }
}
