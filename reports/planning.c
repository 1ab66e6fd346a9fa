/* Planning a report's experiment (docs/statistics.md, Planning and guards): for every
 * metric, the units each arm needs to detect the target MDE at the real allocation and
 * the corrected alpha, the MDE reachable now and the days to the plan (whole weeks of
 * enrolment, then the metric's window for the last planned shopper); the days run and
 * planned; and when long-term metrics mature. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lift/xalloc.h"
#include "model.h"

#define DAY_US 86400000000.0

static double days_between(int64_t from, int64_t to)
{
    return (double)(to - from) / DAY_US;
}

size_t rpt_family_size(const lift_report *r)
{
    size_t n = 0;
    for (size_t m = 0; m < r->nmetrics; m++)
        n += r->metrics[m].role != LIFT_ROLE_GUARDRAIL;
    return n * (size_t)(r->nvariants - 1);
}

/* The share of shoppers a metric counts once they are mature: all of them for most, the
 * buyers for AOV. 1 until some are mature. */
static double coverage(const lift_report *r, const rpt_metric *m)
{
    double n = 0, units = 0;
    for (int v = 0; v < r->nvariants; v++) {
        n += m->arms[v].n;
        units += r->units[v];
    }
    double mature = units - (double)m->immature;
    return mature > 0 && n > 0 ? fmin(1, n / mature) : 1;
}

static void plan_metric(lift_report *r, rpt_metric *m, const double *rate, double elapsed)
{
    rpt_power *p = &m->power;
    int k = r->nvariants;
    p->need = lift_xcalloc((size_t)k, sizeof *p->need);
    p->mde_now = lift_xcalloc((size_t)k, sizeof *p->mde_now);
    p->plan_days = -1;
    p->days_left = (double)NAN;
    for (int v = 0; v < k; v++)
        p->need[v] = p->mde_now[v] = (double)NAN;
    lift_moments c;
    lift_err err;
    lift_stats_moments(m->kind, &m->arms[0], &c, &err);
    p->baseline = c.mean;
    p->sd = sqrt(c.var);
    p->alpha = m->role == LIFT_ROLE_GUARDRAIL
                   ? fmin(2 * r->opts.alpha, 0.5)
                   : lift_stats_plan_alpha(r->opts.correction, r->opts.alpha, rpt_family_size(r));
    if (c.n < 2)
        return;
    p->have = true;
    p->need[0] = 0;
    for (int v = 1; v < k && p->have; v++) {
        lift_plan plan = {.proportion = m->kind == LIFT_KIND_PROPORTION,
                          .baseline = c.mean,
                          .sd = p->sd,
                          .alpha = p->alpha,
                          .power = r->target_power,
                          .control_share = r->weights[0],
                          .treatment_share = r->weights[v]};
        double na, nb;
        p->have = lift_stats_sample_sizes(&plan, r->target_mde, &na, &nb, &err) == LIFT_OK;
        p->need[0] = fmax(p->need[0], na);
        p->need[v] = nb;
        if (lift_stats_mde_at(&plan, m->arms[0].n, m->arms[v].n, &p->mde_now[v], &err) != LIFT_OK)
            p->mde_now[v] = (double)NAN;
    }
    if (!p->have)
        return;
    p->reached = true;
    double f = coverage(r, m), *shoppers = lift_xcalloc((size_t)k, sizeof *shoppers);
    for (int v = 0; v < k; v++) {
        p->reached &= m->arms[v].n >= p->need[v];
        shoppers[v] = p->need[v] / f;
    }
    p->plan_days = lift_stats_plan_days(shoppers, rate, k, m->window_days);
    free(shoppers);
    if (p->reached)
        p->days_left = 0;
    else if (p->plan_days >= 0 && elapsed > 0)
        p->days_left = fmax(1, ceil(p->plan_days - elapsed));
}

/* When the shoppers the primary's plan needs had entered (or will have, at the rate seen):
 * a long-term metric is mature once its window has run out for them. Without a plan, or
 * once enrolment stopped, the last shopper who entered. */
static int64_t plan_reached_at(const lift_report *r, const double *rate)
{
    const rpt_power *p = &r->metrics[0].power;
    if (!p->have || !r->first_exposure)
        return r->last_exposure;
    double f = coverage(r, &r->metrics[0]);
    double *cum = lift_xcalloc((size_t)r->nvariants, sizeof *cum);
    int64_t at = 0;
    for (size_t d = 0; d < r->ndays && !at; d++) {
        bool all = true;
        for (int v = 0; v < r->nvariants; v++) {
            cum[v] += (double)r->days[d].units[v];
            all &= cum[v] >= p->need[v] / f;
        }
        if (all)
            at = r->days[d].day + (int64_t)DAY_US;
    }
    if (!at) { /* not yet: at the rate seen so far */
        double more = 0;
        for (int v = 0; v < r->nvariants; v++) {
            double left = p->need[v] / f - cum[v];
            if (left > 0)
                more = rate[v] > 0 ? fmax(more, left / rate[v]) : (double)INFINITY;
        }
        at = isfinite(more) ? r->opts.as_of + (int64_t)(more * DAY_US) : 0;
        if (!at || strcmp(r->status, "running") != 0)
            at = r->last_exposure; /* enrolment has stopped: its last shopper */
    }
    free(cum);
    return at;
}

static int by_day(const void *a, const void *b)
{
    const rpt_day *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

void rpt_plan(lift_report *r)
{
    qsort(r->days, r->ndays, sizeof *r->days, by_day);
    int64_t end = r->opts.as_of < r->last_exposure + (int64_t)DAY_US
                      ? r->opts.as_of
                      : r->last_exposure + (int64_t)DAY_US;
    r->days_run = r->first_exposure ? days_between(r->first_exposure, end) : 0;
    double elapsed = r->first_exposure ? days_between(r->first_exposure, r->opts.as_of) : 0;
    r->days_planned = r->start_at && r->end_at ? days_between(r->start_at, r->end_at) : (double)NAN;
    double *rate = lift_xcalloc((size_t)r->nvariants, sizeof *rate), total = 0;
    for (int v = 0; v < r->nvariants; v++) {
        rate[v] = r->days_run > 0 ? r->units[v] / r->days_run : 0;
        total += r->units[v];
    }
    r->daily = r->days_run > 0 ? total / r->days_run : (double)NAN;
    for (size_t m = 0; m < r->nmetrics; m++)
        plan_metric(r, &r->metrics[m], rate, elapsed);
    r->planned = lift_xcalloc((size_t)r->nvariants, sizeof *r->planned);
    memcpy(r->planned, r->metrics[0].power.need, (size_t)r->nvariants * sizeof *r->planned);
    int64_t reached = plan_reached_at(r, rate);
    for (size_t m = 0; m < r->nmetrics; m++) {
        rpt_metric *x = &r->metrics[m];
        if (x->long_term && reached)
            x->days_to_mature =
                fmax(0, ceil(days_between(r->opts.as_of, reached) + x->window_days));
    }
    free(rate);
}
