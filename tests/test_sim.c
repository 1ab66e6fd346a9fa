/* The simulated shopper: determinism, the calendar (weekly seasonality, nothing after the
 * end), and planted effects that move the report's metrics by the planted amount. The
 * metrics are computed here from the events by their definitions (docs/statistics.md, Metrics),
 * independently of the analysis SQL. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "lift/sim.h"

#define DAY (86400 * INT64_C(1000000))

static const int64_t END = INT64_C(1772409600) * 1000000; /* 2026-03-02T00:00:00Z, a Monday */

Test(sim, the_same_seed_and_index_give_the_same_shopper)
{
    sim_params p;
    cr_assert_eq(sim_params_init(&p, 42, END, 60, (sim_effects){0.1, 0.05, 0.2}), 0);
    sim_shopper a, b;
    sim_shopper_init(&a);
    sim_shopper_init(&b);
    for (long i = 0; i < 200; i++) {
        sim_shopper_draw(&a, &p, i);
        sim_shopper_live(&a, &p, i % 2);
        sim_shopper_draw(&b, &p, 199 - i); /* something else in between */
        sim_shopper_live(&b, &p, false);
        sim_shopper_draw(&b, &p, i);
        sim_shopper_live(&b, &p, i % 2);
        cr_assert_str_eq(a.unit, b.unit);
        cr_assert_eq(a.t0, b.t0);
        cr_assert_str_eq(a.device, b.device);
        cr_assert_eq(a.nevents, b.nevents);
        cr_assert_eq(a.nsessions, b.nsessions);
        for (size_t e = 0; e < a.nevents; e++) {
            cr_assert_eq(a.events[e].ts, b.events[e].ts);
            cr_assert_str_eq(a.events[e].type, b.events[e].type);
        }
    }
    /* Another seed, other shoppers. */
    sim_params q;
    cr_assert_eq(sim_params_init(&q, 43, END, 60, (sim_effects){0}), 0);
    sim_shopper_draw(&b, &q, 0);
    sim_shopper_draw(&a, &p, 0);
    cr_assert_neq(a.t0, b.t0);
    cr_assert_str_neq(a.unit, b.unit);
    sim_shopper_fini(&a);
    sim_shopper_fini(&b);
    sim_params_fini(&p);
    sim_params_fini(&q);
}

Test(sim, arrivals_follow_the_week_and_nothing_happens_after_the_end)
{
    sim_params p;
    cr_assert_eq(sim_params_init(&p, 7, END, 28, (sim_effects){0}), 0);
    sim_shopper s;
    sim_shopper_init(&s);
    long by_weekday[7] = {0}, n = 100000;
    for (long i = 0; i < n; i++) {
        sim_shopper_draw(&s, &p, i);
        cr_assert(s.t0 >= p.start && s.t0 < END);
        time_t t = (time_t)(s.t0 / 1000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        by_weekday[(tm.tm_wday + 6) % 7]++;
        if (i % 50 == 0) {
            sim_shopper_live(&s, &p, false);
            cr_assert_geq(s.nsessions, 1);
            cr_assert_eq(s.sessions[0], s.t0, "the first visit is the first exposure");
            for (size_t k = 0; k < s.nsessions; k++) {
                cr_assert_lt(s.sessions[k], END);
                cr_assert(k == 0 || s.sessions[k - 1] <= s.sessions[k]);
            }
            for (size_t e = 0; e < s.nevents; e++)
                cr_assert_lt(s.events[e].ts, END);
        }
    }
    /* Weights 0.95 0.90 0.90 0.95 1.00 1.20 1.25 (Monday first), 4 weeks: each weekday's
     * share is its weight / 7.15; 4 binomial standard errors of tolerance (~0.0045). */
    static const double W[7] = {0.95, 0.90, 0.90, 0.95, 1.00, 1.20, 1.25};
    for (int d = 0; d < 7; d++) {
        double share = (double)by_weekday[d] / (double)n, want = W[d] / 7.15;
        double se = sqrt(want * (1 - want) / (double)n);
        cr_assert_lt(fabs(share - want), 4 * se, "weekday %d: %.4f, want %.4f", d, share, want);
    }
    sim_shopper_fini(&s);
    sim_params_fini(&p);
}

/* The three planted metrics of one shopper, from the events. */
typedef struct outcome {
    bool converted, retained;
    double revenue, orders; /* within 14 days */
} outcome;

static outcome measure(const sim_shopper *s)
{
    outcome o = {0};
    int orders30 = 0;
    for (size_t e = 0; e < s->nevents; e++) {
        const sim_event *ev = &s->events[e];
        int64_t at = ev->ts - s->t0;
        bool order = !strcmp(ev->type, "order"), refund = !strcmp(ev->type, "refund");
        if (at < 0)
            continue;
        if (order && at < 30 * DAY)
            orders30++;
        if (at < 14 * DAY && (order || refund))
            o.revenue += ev->value;
        if (at < 14 * DAY && order)
            o.orders++;
    }
    o.converted = o.orders > 0;
    o.retained = orders30 >= 2;
    return o;
}

typedef struct arm {
    double n, converted, retained, revenue, orders;
} arm;

static void tally(arm *a, const sim_shopper *s)
{
    outcome o = measure(s);
    a->n++;
    a->converted += o.converted;
    a->retained += o.retained;
    a->revenue += o.revenue;
    a->orders += o.orders;
}

/* Standard error of the relative difference of two proportions (delta method). */
static double rel_se(double xc, double nc, double xt, double nt)
{
    double pc = xc / nc, pt = xt / nt;
    return pt / pc * sqrt((1 - pc) / (nc * pc) + (1 - pt) / (nt * pt));
}

/* 300,000 shoppers a side (by index parity: independent samples), windows complete. The
 * tolerance is 4 standard errors of each relative lift: computed for the proportions; for
 * AOV worked out from the basket's coefficient of variation (log-normal, sigma 0.9: 1.06)
 * and ~35,000 orders a side: sqrt(2 * 1.06^2 / 35000) = 0.008, so 0.032, rounded to 0.04
 * for the refunds' extra spread. */
Test(sim, planted_effects_move_the_metrics_by_the_planted_amount, .timeout = 60)
{
    const sim_effects fx = {0.15, 0.08, 0.20};
    sim_params p;
    cr_assert_eq(sim_params_init(&p, 11, END, 400, fx), 0);
    sim_shopper s;
    sim_shopper_init(&s);
    arm ctl = {0}, trt = {0};
    for (long i = 0; i < 600000; i++) {
        sim_shopper_draw(&s, &p, i);
        if (s.t0 >= END - 31 * DAY)
            continue; /* a window not over by the end */
        sim_shopper_live(&s, &p, i % 2);
        tally(i % 2 ? &trt : &ctl, &s);
    }
    double conv = (trt.converted / trt.n) / (ctl.converted / ctl.n) - 1;
    double ret = (trt.retained / trt.n) / (ctl.retained / ctl.n) - 1;
    double aov = (trt.revenue / trt.orders) / (ctl.revenue / ctl.orders) - 1;
    cr_log_info("conversion %.4f -> %+.4f (planted %+.2f); retention %.4f -> %+.4f (%+.2f); "
                "aov %.2f -> %+.4f (%+.2f)",
                ctl.converted / ctl.n, conv, fx.conversion, ctl.retained / ctl.n, ret, fx.retention,
                ctl.revenue / ctl.orders, aov, fx.aov);
    double se_conv = rel_se(ctl.converted, ctl.n, trt.converted, trt.n);
    double se_ret = rel_se(ctl.retained, ctl.n, trt.retained, trt.n);
    cr_assert_lt(fabs(conv - fx.conversion), 4 * se_conv, "conversion lift %.4f", conv);
    cr_assert_lt(fabs(ret - fx.retention), 4 * se_ret, "retention lift %.4f", ret);
    cr_assert_lt(fabs(aov - fx.aov), 0.04, "aov lift %.4f", aov);
    sim_shopper_fini(&s);
    sim_params_fini(&p);
}

Test(sim, effect_arguments)
{
    sim_effects e = {0};
    char err[256];
    cr_assert(sim_effect_parse("conversion=+12%", &e, err, sizeof err));
    cr_assert_float_eq(e.conversion, 0.12, 1e-12);
    cr_assert(sim_effect_parse("aov=-5%", &e, err, sizeof err));
    cr_assert_float_eq(e.aov, -0.05, 1e-12);
    cr_assert(sim_effect_parse("retention=0.2", &e, err, sizeof err));
    cr_assert_float_eq(e.retention, 0.2, 1e-12);
    cr_assert_not(sim_effect_parse("ltv=+5%", &e, err, sizeof err));
    cr_assert(strstr(err, "'ltv' is not a metric with a planted effect"), "%s", err);
    cr_assert_not(sim_effect_parse("aov=5%%", &e, err, sizeof err));
    cr_assert_not(sim_effect_parse("aov=", &e, err, sizeof err));
    cr_assert_not(sim_effect_parse("conversion", &e, err, sizeof err));
    cr_assert_not(sim_effect_parse("aov=nan", &e, err, sizeof err));
}
