/* CUPED: regression adjustment with the pre-period value of the same metric; theta from
 * the two arms pooled (docs/statistics.md, CUPED). */
#include "internal.h"

double lift_stats_cuped_theta(lift_kind kind, const lift_suff *a, const lift_suff *b,
                              bool *fallback)
{
    double n = a->n + b->n;
    double sx = a->sum + b->sum, sxx = a->sum_sq + b->sum_sq;
    double sz = a->pre_sum + b->pre_sum, szz = a->pre_sum_sq + b->pre_sum_sq;
    double vx = stats_var(kind, n, sx, sxx), vz = stats_var(kind, n, sz, szz);
    *fallback = !(vx > 0) || !(vz > 0);
    if (*fallback)
        return 0;
    return stats_cov(n, sx, sz, a->sum_x_pre + b->sum_x_pre) / vz;
}
