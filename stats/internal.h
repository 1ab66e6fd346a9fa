/* Helpers shared inside the stats library; not part of its API. */
#ifndef LIFT_STATS_INTERNAL_H
#define LIFT_STATS_INTERNAL_H

#include "lift/stats.h"

/* Per-unit variance of a quantity: p(1-p) for proportions, else the sample variance. */
double stats_var(lift_kind kind, double n, double sum, double sum_sq);

/* Sample covariance of two per-unit quantities from their sums. */
double stats_cov(double n, double sum_x, double sum_y, double sum_xy);

#endif
