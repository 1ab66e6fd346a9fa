/* The simulated shopper (see include/lift/sim.h for the model). */
#include "lift/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "lift/text.h"

#define SEC  INT64_C(1000000)
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

/* Monday first: weekends are the busiest days of a store. */
static const double WEEKDAY[7] = {0.95, 0.90, 0.90, 0.95, 1.00, 1.20, 1.25};
/* UTC hour of day: quiet nights, a lunch bump, an evening peak. */
static const double HOURLY[24] = {0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0,
                                  1.1, 1.0, 0.9,  0.9, 1.0, 1.1,  1.3, 1.5, 1.6, 1.4, 1.0, 0.6};

int sim_params_init(sim_params *p, uint64_t seed, int64_t end, int days, sim_effects effects)
{
    memset(p, 0, sizeof *p);
    p->seed = seed;
    p->end = end;
    p->start = end - (int64_t)days * DAY;
    p->effects = effects;
    p->ndays = days;
    p->day_cdf = malloc((size_t)days * sizeof *p->day_cdf);
    if (!p->day_cdf)
        return -1;
    double total = 0;
    for (int d = 0; d < days; d++) {
        time_t mid = (time_t)((p->start + d * DAY + DAY / 2) / SEC);
        struct tm tm;
        gmtime_r(&mid, &tm);
        total += WEEKDAY[(tm.tm_wday + 6) % 7];
        p->day_cdf[d] = total;
    }
    for (int d = 0; d < days; d++)
        p->day_cdf[d] /= total;
    return 0;
}

void sim_params_fini(sim_params *p)
{
    free(p->day_cdf);
    p->day_cdf = NULL;
}

void sim_shopper_init(sim_shopper *s)
{
    memset(s, 0, sizeof *s);
    s->rng = gsl_rng_alloc(gsl_rng_taus2);
}

void sim_shopper_fini(sim_shopper *s)
{
    free(s->sessions);
    free(s->events);
    gsl_rng_free(s->rng);
    memset(s, 0, sizeof *s);
}

/* splitmix64: spreads (seed, index) over the generator's seeds. */
static unsigned long mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return (unsigned long)(x ^ (x >> 31));
}

static double u01(sim_shopper *s)
{
    return gsl_rng_uniform(s->rng);
}

static size_t pick(sim_shopper *s, const double *weights, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    double x = u01(s) * total;
    for (size_t i = 0; i + 1 < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

static int64_t span(sim_shopper *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(u01(s) * (double)(hi - lo));
}

void sim_shopper_draw(sim_shopper *s, const sim_params *p, long index)
{
    gsl_rng_set(s->rng, mix(p->seed * UINT64_C(0x100000001b3) ^ (uint64_t)index));
    s->index = index;
    snprintf(s->unit, sizeof s->unit, "sim%llu-%ld", (unsigned long long)p->seed, index);
    s->device = u01(s) < 0.6 ? "mobile" : "desktop";
    static const double CHANNEL[3] = {0.5, 0.3, 0.2};
    static const char *const CHANNELS[3] = {"organic", "paid_social", "email"};
    s->channel = CHANNELS[pick(s, CHANNEL, 3)];
    s->customer = u01(s) < 0.7 ? "new" : "returning";
    s->consent = u01(s) >= 0.04;
    s->propensity = gsl_ran_gamma(s->rng, 2.0, 0.5);

    double x = u01(s);
    int d = 0;
    while (d + 1 < p->ndays && p->day_cdf[d] < x)
        d++;
    int64_t day = p->start + d * DAY;
    time_t at = (time_t)(day / SEC);
    struct tm tm;
    gmtime_r(&at, &tm);
    double hourly[24];
    for (int h = 0; h < 24; h++)
        hourly[h] = HOURLY[(tm.tm_hour + h) % 24];
    int64_t hour = day + (int64_t)pick(s, hourly, 24) * HOUR;
    s->t0 = span(s, hour, hour + HOUR);
    if (s->t0 >= p->end)
        s->t0 = p->end - 1;
    s->nsessions = s->nevents = 0;
}

/* Room for one more item in an array of *cap items of `size` bytes, n of them used. */
static void *room(void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t more = *cap ? 2 * *cap : 16;
    void *p = realloc(items, more * size);
    if (!p)
        abort(); /* a shopper has dozens of events: no memory at all is left */
    *cap = more;
    return p;
}

static void add_event(sim_shopper *s, const sim_params *p, int64_t ts, const char *type,
                      double value)
{
    if (ts >= p->end)
        return;
    s->events = room(s->events, s->nevents, &s->events_cap, sizeof *s->events);
    s->events[s->nevents++] = (sim_event){ts, type, value};
}

/* A visit: page views a minute or so apart (none when views < 0: straight to the cart),
 * maybe an add-to-cart; the time it ends. */
static int64_t visit(sim_shopper *s, const sim_params *p, int64_t at, double views, bool exposed,
                     double cart)
{
    if (exposed && at < p->end) {
        s->sessions = room(s->sessions, s->nsessions, &s->sessions_cap, sizeof *s->sessions);
        s->sessions[s->nsessions++] = at;
    }
    unsigned n = views < 0 ? 0 : 1 + gsl_ran_poisson(s->rng, views);
    for (unsigned i = 0; i < n; i++) {
        add_event(s, p, at, "page_view", (double)NAN);
        at += span(s, 20 * SEC, 3 * MIN);
    }
    if (u01(s) < cart) {
        add_event(s, p, at, "add_to_cart", (double)NAN);
        at += span(s, 10 * SEC, MIN);
    }
    return at;
}

/* A basket value: log-normal (median ~55, a long right tail), in cents. */
static double basket(sim_shopper *s, double scale)
{
    double mu = log(55.0) + (strcmp(s->device, "desktop") == 0 ? 0.15 : 0);
    double v = gsl_ran_lognormal(s->rng, mu, 0.9) * scale;
    return fmax(1.0, round(v * 100) / 100);
}

/* An order at `at`, in a visit of its own unless `in_visit` (straight to the cart from an
 * app or e-mail link: page views are browsing, so engagement moves with no planted effect);
 * 8% are refunded in full within 20 days. */
static void order(sim_shopper *s, const sim_params *p, int64_t at, bool in_visit, double scale)
{
    if (!in_visit)
        at = visit(s, p, at, -1, true, 1.0);
    double v = basket(s, scale);
    add_event(s, p, at, "order", v);
    if (u01(s) < 0.08)
        add_event(s, p, at + span(s, DAY, 20 * DAY), "refund", -v);
}

void sim_shopper_live(sim_shopper *s, const sim_params *p, bool treated)
{
    const sim_effects *fx = &p->effects;
    double lam = s->propensity, affinity = lam / (1 + lam);
    bool returning = strcmp(s->customer, "returning") == 0;
    double m = (strcmp(s->device, "desktop") == 0 ? 1.2 : 0.9) *
               (strcmp(s->channel, "email") == 0         ? 1.4
                : strcmp(s->channel, "paid_social") == 0 ? 0.75
                                                         : 1.0) *
               (returning ? 1.5 : 0.9);
    double q = 0.22 * m * affinity;                       /* converts within 14 days */
    double r = 0.40 * affinity * (returning ? 1.5 : 1.0); /* orders again within 30 */
    double scale = treated ? 1 + fx->aov : 1;
    if (treated) {
        q *= 1 + fx->conversion;
        r *= (1 + fx->retention) / (1 + fx->conversion);
    }
    s->nsessions = s->nevents = 0;

    /* History: returning customers visited (and bought) in the 28 days before t0. */
    if (returning) {
        unsigned visits = gsl_ran_poisson(s->rng, 1.5 * lam);
        for (unsigned i = 0; i < visits; i++) {
            int64_t at = span(s, s->t0 - 28 * DAY, s->t0 - HOUR);
            at = visit(s, p, at, 2.0 * lam, false, 0.3);
            if (u01(s) < 0.15 * affinity * 2)
                add_event(s, p, at, "order", basket(s, 1));
        }
    }

    /* The first visit, at t0, and maybe the first order within 14 days. */
    int64_t end = visit(s, p, s->t0, 3.0 * lam, true, 0.3);
    if (u01(s) < q) {
        int64_t first = end;
        bool in_visit = u01(s) < 0.5;
        if (!in_visit) {
            double days;
            do
                days = gsl_ran_exponential(s->rng, 3.0);
            while (days >= 13.9);
            first = s->t0 + (int64_t)(days * (double)DAY) + MIN;
        }
        order(s, p, first, in_visit, scale);
        /* A second order within 30 days of t0, and more between day 30 and 90. */
        if (u01(s) < r) {
            int64_t last = s->t0 + 30 * DAY - HOUR;
            if (first + HOUR < last)
                order(s, p, span(s, first + HOUR, last), false, scale);
        }
        unsigned more = gsl_ran_poisson(s->rng, 0.4 * lam);
        for (unsigned i = 0; i < more; i++)
            order(s, p, span(s, s->t0 + 30 * DAY, s->t0 + 90 * DAY), false, scale);
    }

    /* Browsing visits over the following 60 days. */
    unsigned visits = gsl_ran_poisson(s->rng, 1.0 * lam);
    for (unsigned i = 0; i < visits; i++)
        visit(s, p, span(s, s->t0 + HOUR, s->t0 + 60 * DAY), 2.0, true, 0.2);

    /* Sessions were added in the order drawn: sort them (a handful). */
    for (size_t i = 1; i < s->nsessions; i++)
        for (size_t j = i; j > 0 && s->sessions[j - 1] > s->sessions[j]; j--) {
            int64_t t = s->sessions[j];
            s->sessions[j] = s->sessions[j - 1];
            s->sessions[j - 1] = t;
        }
}

bool sim_effect_parse(const char *arg, sim_effects *e, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        snprintf(err, errlen, "'%s' is not METRIC=CHANGE (e.g. conversion=+10%%)", arg);
        return false;
    }
    size_t n = (size_t)(eq - arg);
    double *slot = n == 10 && !strncmp(arg, "conversion", n) ? &e->conversion
                   : n == 3 && !strncmp(arg, "aov", n)       ? &e->aov
                   : n == 9 && !strncmp(arg, "retention", n) ? &e->retention
                                                             : NULL;
    if (!slot) {
        snprintf(err, errlen,
                 "'%.*s' is not a metric with a planted effect "
                 "(conversion, aov, retention)",
                 (int)n, arg);
        return false;
    }
    if (!lift_share_parse(eq + 1, slot)) {
        snprintf(err, errlen, "'%s' is not a fraction or a percentage (0.1 or +10%%)", eq + 1);
        return false;
    }
    return true;
}
