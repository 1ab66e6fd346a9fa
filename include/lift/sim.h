/* The simulated shopper of `liftctl simulate`: who a shopper is and what they do around
 * their first exposure, drawn from a generator seeded by (seed, shopper index), so the same
 * seed always gives the same shoppers whatever the number of threads. No I/O.
 *
 * The model, per shopper:
 *   - segments: device (mobile 60%, desktop 40%), channel (organic 50%, paid_social 30%,
 *     email 20%), customer (new 70%, returning 30%); 4% decline analytics consent;
 *   - a latent propensity (gamma, mean 1) that drives both their history and their future,
 *     so the pre-period predicts the outcome (what CUPED uses);
 *   - first exposure t0 in [start, end), by day with weekly seasonality (weekends ~30%
 *     busier than midweek) and by hour with an evening peak;
 *   - returning customers have visits and orders in the 28 days before t0 (not exposed);
 *   - a first session at t0 (page views, maybe add_to_cart); with probability q they order
 *     within 14 days; each order brings a heavy-tailed (log-normal) basket, and 8% are
 *     refunded in full within 20 days; with probability r a converter orders a second time
 *     within 30 days of t0; converters come back for more orders between day 30 and 90
 *     (straight to the cart: no page views); everyone returns for a few browsing sessions
 *     over 60 days, so engagement (page views) has no effect unless one is planted.
 * Planted effects apply to treated shoppers only and make the report's metrics move by
 * exactly the planted relative amount in expectation: conversion multiplies q by (1 + c);
 * aov multiplies every basket by (1 + a); retention multiplies r by (1 + z) / (1 + c), so
 * that P(second order within 30 days) = q r moves by (1 + z). Exact as long as
 * q (1 + c) <= 1 and r (1 + z) / (1 + c) <= 1 (q < 0.56 and r < 0.6 here). */
#ifndef LIFT_SIM_H
#define LIFT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct sim_effects {
    double conversion, aov, retention; /* relative: 0.1 is +10% */
} sim_effects;

typedef struct sim_params {
    uint64_t seed;
    int64_t start, end; /* first exposures fall in [start, end); nothing at or after end */
    sim_effects effects;
    double *day_cdf; /* arrival weights by day, cumulative (sim_params_init) */
    int ndays;
} sim_params;

/* Sets up the arrival calendar for days of simulated traffic ending at end. */
int sim_params_init(sim_params *p, uint64_t seed, int64_t end, int days, sim_effects effects);
void sim_params_fini(sim_params *p);

typedef struct sim_event {
    int64_t ts;
    const char *type; /* "page_view", "add_to_cart", "order", "refund" */
    double value;     /* NAN for none */
} sim_event;

typedef struct sim_shopper {
    long index;
    char unit[40];
    const char *device, *channel, *customer;
    bool consent;
    double propensity;
    int64_t t0;
    int64_t *sessions; /* session starts from t0 on (exposure times), ascending, < end */
    size_t nsessions, sessions_cap;
    sim_event *events; /* every event before end, in no particular order */
    size_t nevents, events_cap;
    gsl_rng *rng;
} sim_shopper;

void sim_shopper_init(sim_shopper *s);
void sim_shopper_fini(sim_shopper *s);

/* Draws shopper `index`: id, segments, consent, propensity and t0 (what the storefront
 * knows when it asks for an assignment). */
void sim_shopper_draw(sim_shopper *s, const sim_params *p, long index);

/* Draws what the shopper does, treated or not; fills sessions and events. */
void sim_shopper_live(sim_shopper *s, const sim_params *p, bool treated);

/* Parses an --effect argument "metric=+12%" / "metric=-5%" / "metric=0.12" into e.
 * False, with why in err, for an unknown metric or a bad number. */
bool sim_effect_parse(const char *arg, sim_effects *e, char *err, size_t errlen);

#endif
