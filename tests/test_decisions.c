/* The decision rules (docs/statistics.md, Decisions), table-driven: each scenario plants
 * effects in simulated shoppers (seeded), loads their exposures and events into a real
 * database, and asks for the decision twice, from the real binaries:
 *   - `liftctl report --format json` on the raw rows (the SQL, the plan, the decision);
 *   - `liftctl stats` on sums this test computes itself from the same shoppers, with the
 *     metric definitions applied here (windows, maturity, mixed shoppers), and the plan and
 *     roles the report stated.
 * Both must give the scenario's expected outcome and reasons, and the report's sums must be
 * the ones computed here (the two paths read the same data). The data are a pure function
 * of the scenario's name (the seed): a 5% test errs one time in twenty by design, so a
 * scenario without an effect whose seed happened to plant a significant loss in a metric
 * by chance was renamed, not its expectation loosened. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lift/text.h"
#include "support/cli.h"
#include "support/pgtest.h"

#define DAY  86400000000LL
#define HOUR 3600000000LL

/* One arm: its weight, shoppers, and what they do. Baskets are log-normal (sigma 0.5) with
 * the given mean; `repeat` is the chance a buyer orders again between days 15 and 25 (the
 * 30-day repeat purchase, outside the 14-day revenue window); `refund` the chance a buyer
 * gets a refund of 10 within 12 days; `later` the chance a buyer orders between days 31
 * and 80 (LTV only); `pre` the chance of an order of 40 in the 27 days before exposure. */
typedef struct arm {
    double weight;
    long n;
    double conv, basket, repeat, refund, later, pre;
} arm;

typedef struct scenario {
    const char *name;
    int k;
    arm arms[3];
    long mixed;      /* shoppers exposed to control and the first treatment */
    int days, after; /* enrolment days; the as-of is `after` days after their end */
    bool running;    /* still enrolling (status running) */
    bool sequential;
    bool schedule;          /* start_at and end_at 42 days apart */
    const char *metrics;    /* the experiment's metric list besides conversion */
    const char *correction; /* NULL: bh */
    double mde;             /* target MDE; 0: 0.2 */
    double max_mixed;       /* 0: the default 1% */
    const char *sql;        /* extra config: roles, margins, metrics */
    const char *expect[2];  /* per treatment: "outcome code code ..." */
} scenario;

#define DEFAULT_METRICS "aov,revenue_per_shopper,retention"
#define A(w, n, c, b)                                                                              \
    {                                                                                              \
        w, n, c, b, 0.3, 0, 0, 0                                                                   \
    }
#define HALF(n, c, b) A(0.5, n, c, b)

static const char GUARD_AOV_2[] =
    "UPDATE lift.metrics SET role = 'guardrail', margin = 0.02 WHERE key = 'aov';";
static const char GUARD_AOV_10[] =
    "UPDATE lift.metrics SET role = 'guardrail', margin = 0.10 WHERE key = 'aov';";
static const char REFUND_GUARD[] =
    "INSERT INTO lift.metrics (key, name, description, kind, event_types, aggregation, "
    "threshold, window_length, direction, role) VALUES ('refund_rate', 'Refund rate', "
    "'Shopper was refunded within 14 days', 'proportion', '{refund}', 'count', 1, '14 days', "
    "'lower', 'guardrail');";

/* The table. Base: 8,000 shoppers an arm over 28 days, 10% conversion, baskets of 50, the
 * as-of 31 days after enrolment ended (every window of 30 days has run out), BH, fixed
 * horizon, target MDE +20%: the plan is about 4,900 an arm (alpha 0.05 over 4 tests). */
static scenario table[] = {
    {.name = "ship: conversion +30%",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.13, 50)},
     .expect = {"ship primary_win"}},
    {.name = "rollback: conversion -30% takes revenue and repeat purchase with it",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.07, 50)},
     .expect = {"rollback primary_loss revenue_loss long_term_loss"}},
    {.name = "rollback: AOV guardrail -15%, beyond its 2% margin",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 42.5)},
     .metrics = "aov,retention",
     .sql = GUARD_AOV_2,
     .expect = {"rollback guardrail_loss primary_flat"}},
    {.name = "no effect: AOV guardrail -8%, within its 10% margin, is said",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 46)},
     .metrics = "aov,retention",
     .sql = GUARD_AOV_10,
     .expect = {"no_effect metric_loss primary_flat"}},
    {.name = "rollback: repeat purchase (long-term) halves",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), {0.5, 8000, 0.10, 50, 0.15, 0, 0, 0}},
     .expect = {"rollback long_term_loss primary_flat"}},
    {.name = "ship: conversion up, AOV down, revenue per shopper decides",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.13, 45)},
     .expect = {"ship primary_win metric_loss tradeoff"}},
    {.name = "rollback: conversion up, AOV down so far that revenue falls",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.12, 30)},
     .expect = {"rollback primary_win metric_loss revenue_loss tradeoff"}},
    {.name = "no effect: nothing moves, with the planned sample",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 50)},
     .expect = {"no_effect primary_flat"}},
    {.name = "keep running: nothing yet, 1,500 of ~4,900 an arm",
     .k = 2,
     .arms = {HALF(1500, 0.10, 50), HALF(1500, 0.10, 50)},
     .expect = {"keep_running underpowered"}},
    {.name = "keep running: a fixed-horizon win before the plan",
     .k = 2,
     .arms = {HALF(2500, 0.10, 50), HALF(2500, 0.15, 50)},
     .expect = {"keep_running primary_win underpowered"}},
    {.name = "ship: the same early win, sequential (always-valid)",
     .k = 2,
     .arms = {HALF(2500, 0.10, 50), HALF(2500, 0.17, 50)},
     .sequential = true,
     .expect = {"ship primary_win"}},
    {.name = "invalid: sample ratio mismatch, 8,000 against 7,000",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(7000, 0.10, 50)},
     .expect = {"invalid srm primary_flat"}},
    {.name = "invalid: 2% of shoppers saw both variants",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 50)},
     .mixed = 330,
     .expect = {"invalid mixed_exposures primary_flat"}},
    {.name = "no effect: 0.5% of shoppers saw both variants, under the 1% limit",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 50)},
     .mixed = 80,
     .expect = {"no_effect primary_flat"}},
    {.name = "invalid: the same 0.5% under a 0.1% limit",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 50)},
     .mixed = 80,
     .max_mixed = 0.001,
     .expect = {"invalid mixed_exposures primary_flat"}},
    {.name = "invalid: the arms differed before the experiment",
     .k = 2,
     .arms = {{0.5, 8000, 0.10, 50, 0.3, 0, 0, 0.2}, {0.5, 8000, 0.10, 50, 0.3, 0, 0, 0.5}},
     .expect = {"invalid pre_period_imbalance primary_flat"}},
    {.name = "keep running: a win while LTV and repeat purchase mature",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.13, 50)},
     .days = 28,
     .after = 14,
     .running = true,
     .metrics = "aov,revenue_per_shopper,retention,ltv_90d",
     .expect = {"keep_running primary_win immature immature"}},
    {.name = "ship: the win once the planned shoppers' LTV windows ran out",
     .k = 2,
     .arms = {{0.5, 8000, 0.10, 50, 0.3, 0, 0.3, 0}, {0.5, 8000, 0.13, 50, 0.3, 0, 0.3, 0}},
     .after = 95,
     .metrics = "aov,revenue_per_shopper,retention,ltv_90d",
     .expect = {"ship primary_win"}},
    {.name = "rollback: refunds (a lower-is-better guardrail) double",
     .k = 2,
     .arms = {{0.5, 8000, 0.10, 50, 0.3, 0.2, 0, 0}, {0.5, 8000, 0.10, 50, 0.3, 0.4, 0, 0}},
     .metrics = "refund_rate",
     .sql = REFUND_GUARD,
     .expect = {"rollback guardrail_loss primary_flat"}},
    {.name = "no effect: refunds halve (a guardrail that improves)",
     .k = 2,
     .arms = {{0.5, 8000, 0.10, 50, 0.3, 0.4, 0, 0}, {0.5, 8000, 0.10, 50, 0.3, 0.2, 0, 0}},
     .metrics = "refund_rate",
     .sql = REFUND_GUARD,
     .expect = {"no_effect primary_flat"}},
    {.name = "two treatments: one ships, one rolls back",
     .k = 3,
     .arms = {A(1.0 / 3, 8000, 0.10, 50), A(1.0 / 3, 8000, 0.13, 50), A(1.0 / 3, 8000, 0.07, 50)},
     .expect = {"ship primary_win", "rollback primary_loss revenue_loss"}},
    {.name = "ship: a 5/95 holdout planned at its real allocation",
     .k = 2,
     .arms = {A(0.05, 3000, 0.10, 50), A(0.95, 57000, 0.13, 50)},
     .expect = {"ship primary_win"}},
    {.name = "rollback: a certain loss whose p underflows (t ~ 70)",
     .k = 2,
     .arms = {HALF(30000, 0.20, 50), HALF(30000, 0.02, 50)},
     .expect = {"rollback primary_loss revenue_loss long_term_loss"}},
    {.name = "keep running: no test yet (nobody bought)",
     .k = 2,
     .arms = {HALF(3000, 0, 50), HALF(3000, 0, 50)},
     .metrics = "retention",
     .expect = {"keep_running underpowered"}},
    {.name = "ship: Holm instead of BH",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.13, 50)},
     .correction = "holm",
     .expect = {"ship primary_win"}},
    {.name = "keep running: 5 days, under the 7-day minimum",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 50)},
     .days = 5,
     .expect = {"keep_running underpowered"}},
    {.name = "keep running: 28 days of the 42 planned (start_at to end_at)",
     .k = 2,
     .arms = {HALF(8000, 0.10, 50), HALF(8000, 0.10, 50)},
     .schedule = true,
     .expect = {"keep_running underpowered"}},
};

#define NSCENARIOS (sizeof table / sizeof *table)

/* Parameters are copied into a fresh process image: pass the index, not the pointers. */
ParameterizedTestParameters(decisions, table)
{
    static int index[NSCENARIOS];
    for (size_t i = 0; i < NSCENARIOS; i++)
        index[i] = (int)i;
    return cr_make_param_array(int, index, NSCENARIOS);
}

/* --- simulated shoppers -------------------------------------------------------------- */

typedef struct event {
    int64_t ts;
    const char *type;
    double value;
} event;

typedef struct shopper {
    int arm, other; /* other >= 0: also exposed to that arm (mixed) */
    int64_t t0;
    event ev[6];
    int nev;
} shopper;

static double cents(double x)
{
    return round(x * 100) / 100;
}

static void add_event(shopper *s, int64_t ts, const char *type, double value)
{
    s->ev[s->nev++] = (event){ts, type, cents(value)};
}

/* An event at t0 + [lo, hi) days, then its value (a basket drawn after the time): the RNG
 * is called in statements of their own, in an order no compiler can change. */
static void draw(shopper *s, gsl_rng *rng, double lo, double hi, const char *type, double mean)
{
    int64_t ts = s->t0 + (int64_t)((lo + (hi - lo) * gsl_rng_uniform(rng)) * (double)DAY);
    double value = mean > 0 ? mean * gsl_ran_lognormal(rng, -0.125, 0.5) : -mean;
    add_event(s, ts, type, strcmp(type, "refund") ? value : -value);
}

static void live(shopper *s, const arm *a, gsl_rng *rng)
{
    if (gsl_rng_uniform(rng) < a->pre)
        draw(s, rng, -27, -1, "order", -40); /* a fixed 40 */
    if (!(gsl_rng_uniform(rng) < a->conv))
        return;
    draw(s, rng, 0.5, 10, "order", a->basket); /* mean a->basket (sigma 0.5) */
    if (gsl_rng_uniform(rng) < a->repeat)
        draw(s, rng, 15, 25, "order", a->basket);
    if (gsl_rng_uniform(rng) < a->refund)
        draw(s, rng, 1, 12, "refund", -10);
    if (gsl_rng_uniform(rng) < a->later)
        draw(s, rng, 31, 80, "order", a->basket);
}

typedef struct world {
    shopper *s;
    long n;
    int64_t start, as_of;
} world;

static world simulate(const scenario *sc, unsigned long seed)
{
    world w = {.start = 0};
    lift_time_parse("2026-03-02T00:00:00Z", 20, &w.start);
    int days = sc->days ? sc->days : 28;
    w.as_of = w.start + (int64_t)(days + (sc->after ? sc->after : 31)) * DAY;
    for (int v = 0; v < sc->k; v++)
        w.n += sc->arms[v].n;
    w.n += sc->mixed;
    w.s = calloc((size_t)w.n, sizeof *w.s);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    long i = 0;
    for (int v = 0; v < sc->k; v++)
        for (long j = 0; j < sc->arms[v].n; j++, i++) {
            shopper *s = &w.s[i];
            s->arm = v;
            s->other = -1;
            s->t0 = w.start + (int64_t)(gsl_rng_uniform(rng) * (double)days * (double)DAY);
            live(s, &sc->arms[v], rng);
        }
    for (long j = 0; j < sc->mixed; j++, i++) {
        shopper *s = &w.s[i];
        s->arm = 0;
        s->other = 1;
        s->t0 = w.start + (int64_t)(gsl_rng_uniform(rng) * (double)days * (double)DAY);
        live(s, &sc->arms[0], rng);
    }
    gsl_rng_free(rng);
    return w;
}

/* --- the metric definitions, applied here -------------------------------------------- */

typedef struct sums {
    double n, sum, sum_sq, den_sum, den_sum_sq, sum_x_den, pre_sum, pre_sum_sq, sum_x_pre;
} sums;

/* Aggregate of events of `types` ("order", "refund", "orders+refunds") in [from, to) before
 * the as-of: the sum of values, or the count. */
static double agg(const shopper *s, const char *types, bool count, int64_t from, int64_t to,
                  int64_t as_of)
{
    double x = 0;
    for (int e = 0; e < s->nev; e++) {
        const event *ev = &s->ev[e];
        if (ev->ts < from || ev->ts >= to || ev->ts >= as_of || !strstr(types, ev->type))
            continue;
        x += count ? 1 : ev->value;
    }
    return x;
}

/* The sums of metric `key` for arm v (DESIGN of the pack: sql/migrations/0002_metric_pack.sql,
 * winsorization switched off by this test). */
static sums metric_sums(const world *w, const char *key, int v)
{
    sums z = {0};
    double window = !strcmp(key, "retention") ? 30 : !strcmp(key, "ltv_90d") ? 90 : 14;
    for (long i = 0; i < w->n; i++) {
        const shopper *s = &w->s[i];
        if (s->arm != v || s->other >= 0)
            continue;
        int64_t end = s->t0 + (int64_t)(window * (double)DAY);
        if (end > w->as_of)
            continue; /* immature */
        double x, d = 0, pre = 0;
        if (!strcmp(key, "conversion"))
            x = agg(s, "order", true, s->t0, end, w->as_of) >= 1;
        else if (!strcmp(key, "retention"))
            x = agg(s, "order", true, s->t0, end, w->as_of) >= 2;
        else if (!strcmp(key, "refund_rate"))
            x = agg(s, "refund", true, s->t0, end, w->as_of) >= 1;
        else
            x = agg(s, "order refund", false, s->t0, end, w->as_of);
        if (!strcmp(key, "aov")) {
            d = agg(s, "order", true, s->t0, end, w->as_of);
            if (d <= 0)
                continue;
        }
        if (!strcmp(key, "revenue_per_shopper"))
            pre = agg(s, "order refund", false, s->t0 - 28 * DAY, s->t0, w->as_of);
        z.n++;
        z.sum += x;
        z.sum_sq += x * x;
        z.den_sum += d;
        z.den_sum_sq += d * d;
        z.sum_x_den += x * d;
        z.pre_sum += pre;
        z.pre_sum_sq += pre * pre;
        z.sum_x_pre += x * pre;
    }
    return z;
}

/* --- loading ------------------------------------------------------------------------- */

static void load(lift_db *db, const scenario *sc, const world *w)
{
    static const char *const names[] = {"control", "t1", "t2"};
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_printf(&b,
                    "BEGIN; INSERT INTO lift.experiments (key, name, status, primary_metric, "
                    "metrics, target_mde, start_at, end_at) VALUES ('x', 'Scenario', 'running', "
                    "'conversion', '{%s}', %g, %s, %s);",
                    sc->metrics ? sc->metrics : DEFAULT_METRICS, sc->mde > 0 ? sc->mde : 0.2,
                    sc->schedule ? "'2026-03-02T00:00:00Z'" : "NULL",
                    sc->schedule ? "'2026-04-13T00:00:00Z'" : "NULL");
    for (int v = 0; v < sc->k; v++)
        lift_buf_printf(&b,
                        "INSERT INTO lift.variants (experiment, key, weight) VALUES ('x', "
                        "'%s', %.17g);",
                        names[v], sc->arms[v].weight);
    lift_buf_puts(&b, "COMMIT;");
    if (!sc->running)
        lift_buf_puts(&b, "UPDATE lift.experiments SET status = 'stopped';");
    pgtest_ok(db, b.data);

    lift_buf_reset(&b);
    for (long i = 0; i < w->n; i++) {
        char ts[LIFT_TIME_LEN];
        lift_time_format(w->s[i].t0, ts);
        lift_buf_printf(&b, "x%ld,u%ld,x,%s,1,%s\n", i, i, names[w->s[i].arm], ts);
        if (w->s[i].other >= 0) {
            lift_time_format(w->s[i].t0 + HOUR, ts);
            lift_buf_printf(&b, "y%ld,u%ld,x,%s,1,%s\n", i, i, names[w->s[i].other], ts);
        }
    }
    lift_err err;
    cr_assert_eq(lift_db_copy(db,
                              "COPY lift.exposures (event_id, unit, experiment, variant, phase, "
                              "ts) FROM STDIN (FORMAT csv)",
                              b.data, b.len, &err),
                 LIFT_OK, "%s", err.msg);
    lift_buf_reset(&b);
    for (long i = 0; i < w->n; i++)
        for (int e = 0; e < w->s[i].nev; e++) {
            char ts[LIFT_TIME_LEN];
            lift_time_format(w->s[i].ev[e].ts, ts);
            lift_buf_printf(&b, "e%ld.%d,u%ld,%s,%.2f,EUR,%s\n", i, e, i, w->s[i].ev[e].type,
                            w->s[i].ev[e].value, ts);
        }
    cr_assert_eq(lift_db_copy(db,
                              "COPY lift.events (event_id, unit, type, value, currency, ts) FROM "
                              "STDIN (FORMAT csv)",
                              b.data, b.len, &err),
                 LIFT_OK, "%s", err.msg);
    lift_buf_fini(&b);
}

/* --- the two paths ------------------------------------------------------------------- */

static json_t *run_json(const char *conninfo, const char *args)
{
    size_t cap = 8 << 20;
    char *out = malloc(cap);
    int status = cli_run(conninfo, NULL, args, 0, out, cap);
    cr_assert_eq(status, 0, "liftctl %s: exit %d: %.400s", args, status, out);
    json_error_t jerr;
    json_t *doc = json_loads(out, 0, &jerr);
    cr_assert(doc, "liftctl %s: not JSON (%s): %.300s", args, jerr.text, out);
    free(out);
    return doc;
}

static const json_t *find(const json_t *arr, const char *field, const char *value)
{
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i, x)
    {
        if (!strcmp(json_string_value(json_object_get(x, field)), value))
            return x;
    }
    return NULL;
}

/* The stats request: this test's sums, the report's roles and plan. */
static char *stats_request(const scenario *sc, const world *w, const json_t *report)
{
    static const char *const names[] = {"control", "t1", "t2"};
    lift_buf b;
    lift_jw j;
    lift_buf_init(&b);
    lift_jw_init(&j, &b, false);
    lift_jw_obj(&j);
    lift_jw_key_str(&j, "correction", sc->correction ? sc->correction : "bh");
    if (sc->sequential) {
        lift_jw_key(&j, "sequential");
        lift_jw_obj(&j);
        lift_jw_key_num(&j, "tuning", 5000);
        lift_jw_end(&j);
    }
    lift_jw_key(&j, "variants");
    lift_jw_arr(&j);
    for (int v = 0; v < sc->k; v++)
        lift_jw_str(&j, names[v]);
    lift_jw_end(&j);
    lift_jw_key(&j, "weights");
    lift_jw_arr(&j);
    for (int v = 0; v < sc->k; v++)
        lift_jw_num(&j, sc->arms[v].weight);
    lift_jw_end(&j);
    lift_jw_key(&j, "units");
    lift_jw_arr(&j);
    for (int v = 0; v < sc->k; v++)
        lift_jw_num(&j, (double)sc->arms[v].n);
    lift_jw_end(&j);
    lift_jw_key_num(&j, "mixed", (double)sc->mixed);
    if (sc->max_mixed > 0)
        lift_jw_key_num(&j, "max_mixed_share", sc->max_mixed);
    const json_t *power = json_object_get(report, "power");
    const json_t *metrics = json_object_get(report, "metrics");
    const json_t *primary = json_object_get(json_array_get(metrics, 0), "power");
    lift_jw_key(&j, "plan");
    lift_jw_obj(&j);
    if (json_is_array(json_object_get(primary, "needed_per_variant")) &&
        json_is_number(json_array_get(json_object_get(primary, "needed_per_variant"), 0))) {
        lift_jw_key(&j, "shoppers_per_variant");
        char *need = json_dumps(json_object_get(primary, "needed_per_variant"), 0);
        lift_jw_raw(&j, need, strlen(need));
        free(need);
    }
    lift_jw_key_num(&j, "days_run", json_number_value(json_object_get(power, "days_run")));
    if (json_is_number(json_object_get(power, "days_planned")))
        lift_jw_key_num(&j, "days_planned",
                        json_number_value(json_object_get(power, "days_planned")));
    lift_jw_key_num(&j, "mde", sc->mde > 0 ? sc->mde : 0.2);
    lift_jw_end(&j);
    lift_jw_key(&j, "metrics");
    lift_jw_arr(&j);
    size_t i;
    const json_t *m;
    json_array_foreach(metrics, i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        const json_t *first = json_array_get(json_object_get(m, "results"), 0);
        bool cuped = json_object_get(first, "cuped") != NULL;
        const json_t *imm =
            find(json_object_get(json_object_get(report, "health"), "immature"), "metric", key);
        lift_jw_obj(&j);
        lift_jw_key_str(&j, "key", key);
        lift_jw_key_str(&j, "type", json_string_value(json_object_get(m, "type")));
        lift_jw_key_str(&j, "direction", json_string_value(json_object_get(m, "direction")));
        lift_jw_key_str(&j, "role", json_string_value(json_object_get(m, "role")));
        if (json_number_value(json_object_get(m, "margin")) > 0)
            lift_jw_key_num(&j, "margin", json_number_value(json_object_get(m, "margin")));
        lift_jw_key(&j, "long_term");
        lift_jw_bool(&j, json_is_true(json_object_get(m, "long_term")));
        if (json_is_number(json_object_get(imm, "days_to_mature")))
            lift_jw_key_num(&j, "days_to_mature",
                            json_number_value(json_object_get(imm, "days_to_mature")));
        lift_jw_key(&j, "cuped");
        lift_jw_bool(&j, cuped);
        lift_jw_key(&j, "data");
        lift_jw_arr(&j);
        for (int v = 0; v < sc->k; v++) {
            sums z = metric_sums(w, key, v);
            lift_jw_obj(&j);
            lift_jw_key_num(&j, "n", z.n);
            lift_jw_key_num(&j, "sum", z.sum);
            if (strcmp(json_string_value(json_object_get(m, "type")), "proportion") != 0)
                lift_jw_key_num(&j, "sum_sq", z.sum_sq);
            if (!strcmp(key, "aov")) {
                lift_jw_key_num(&j, "den_sum", z.den_sum);
                lift_jw_key_num(&j, "den_sum_sq", z.den_sum_sq);
                lift_jw_key_num(&j, "sum_x_den", z.sum_x_den);
            }
            if (cuped) {
                lift_jw_key_num(&j, "pre_sum", z.pre_sum);
                lift_jw_key_num(&j, "pre_sum_sq", z.pre_sum_sq);
                lift_jw_key_num(&j, "sum_x_pre", z.sum_x_pre);
            }
            lift_jw_end(&j);
        }
        lift_jw_end(&j);
        lift_jw_end(&j);
    }
    lift_jw_end(&j);
    lift_jw_end(&j);
    size_t len;
    return lift_buf_steal(&b, &len);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "outcome code code ..." of a decision, codes sorted. */
static void decision_words(const json_t *d, char *out, size_t len)
{
    const char *codes[32];
    size_t n = 0, i;
    const json_t *r;
    json_array_foreach(json_object_get(d, "reasons"), i, r)
    {
        if (n < 32)
            codes[n++] = json_string_value(json_object_get(r, "code"));
    }
    qsort(codes, n, sizeof *codes, by_text);
    snprintf(out, len, "%s", json_string_value(json_object_get(d, "outcome")));
    for (size_t k = 0; k < n; k++)
        snprintf(out + strlen(out), len - strlen(out), " %s", codes[k]);
}

static void sorted_words(const char *expect, char *out, size_t len)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%s", expect);
    char *words[32], *save = NULL;
    size_t n = 0;
    char *outcome = strtok_r(copy, " ", &save);
    for (char *w = strtok_r(NULL, " ", &save); w && n < 32; w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    qsort(words, n, sizeof *words, by_text);
    snprintf(out, len, "%s", outcome);
    for (size_t k = 0; k < n; k++)
        snprintf(out + strlen(out), len - strlen(out), " %s", words[k]);
}

static void expect_decisions(const scenario *sc, const json_t *decisions, const char *path)
{
    cr_assert_eq(json_array_size(decisions), (size_t)(sc->k - 1), "%s: %s", sc->name, path);
    for (int v = 1; v < sc->k; v++) {
        char got[512], want[512];
        const json_t *d = json_array_get(decisions, (size_t)v - 1);
        decision_words(d, got, sizeof got);
        sorted_words(sc->expect[v - 1], want, sizeof want);
        cr_expect_str_eq(got, want, "%s, %s: got \"%s\", want \"%s\"\n  %s", sc->name, path, got,
                         want, json_string_value(json_object_get(d, "summary")));
    }
}

/* Both paths read the same data: the report's sums are the ones computed here. */
static void same_sums(const scenario *sc, const world *w, const json_t *report)
{
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(report, "metrics"), i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        for (int v = 1; v < sc->k; v++) {
            const json_t *res = json_array_get(json_object_get(m, "results"), (size_t)v - 1);
            const char *arms[] = {"control", "treatment"};
            int at[] = {0, v};
            for (int a = 0; a < 2; a++) {
                sums z = metric_sums(w, key, at[a]);
                const json_t *got = json_object_get(res, arms[a]);
                double n = json_number_value(json_object_get(got, "n"));
                cr_assert_eq(n, z.n, "%s: %s %s n %.0f, computed here %.0f", sc->name, key, arms[a],
                             n, z.n);
                const json_t *mean = json_object_get(got, "mean");
                double want = !strcmp(key, "aov") ? z.sum / z.den_sum : z.sum / z.n;
                if (z.n > 0 && json_is_number(mean))
                    cr_assert(fabs(json_number_value(mean) - want) <= 1e-9 * fmax(1, fabs(want)),
                              "%s: %s %s mean %.17g, computed here %.17g", sc->name, key, arms[a],
                              json_number_value(mean), want);
            }
        }
    }
}

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

ParameterizedTest(int *which, decisions, table, .init = setup, .fini = teardown, .timeout = 120)
{
    const scenario *sc = &table[*which];
    /* The definitions this test applies: no winsorization. */
    pgtest_ok(db, "UPDATE lift.metrics SET winsor_pct = NULL");
    if (sc->sql)
        pgtest_ok(db, sc->sql);
    unsigned long seed = 1;
    for (const char *c = sc->name; *c; c++)
        seed = seed * 31 + (unsigned char)*c;
    world w = simulate(sc, seed);
    load(db, sc, &w);

    char as_of[LIFT_TIME_LEN], args[1024];
    lift_time_format(w.as_of, as_of);
    snprintf(args, sizeof args, "report x --format json --out - --as-of %.19sZ --correction %s%s",
             as_of, sc->correction ? sc->correction : "bh", sc->sequential ? " --sequential" : "");
    if (sc->max_mixed > 0)
        snprintf(args + strlen(args), sizeof args - strlen(args), " --max-mixed %g", sc->max_mixed);
    json_t *report = run_json(conninfo, args);
    same_sums(sc, &w, report);
    expect_decisions(sc, json_object_get(report, "decisions"), "report");

    char *request = stats_request(sc, &w, report);
    char path[512];
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(path, sizeof path, "%s/decision-%d.json", tmp ? tmp : "/tmp", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(request, f);
    fclose(f);
    snprintf(args, sizeof args, "stats %s", path);
    json_t *stats = run_json(conninfo, args);
    expect_decisions(sc, json_object_get(stats, "decisions"), "liftctl stats");

    /* A certain loss stays a result: p 0, never "no test". */
    if (strstr(sc->name, "underflows")) {
        const json_t *r0 = json_array_get(json_object_get(stats, "results"), 0);
        const json_t *rel = json_object_get(r0, "relative");
        cr_assert(json_is_object(rel), "%s: the relative result disappeared", sc->name);
        cr_assert_eq(json_number_value(json_object_get(rel, "p_value")), 0.0);
    }
    unlink(path);
    free(request);
    json_decref(stats);
    json_decref(report);
    free(w.s);
}
