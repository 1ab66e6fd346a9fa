/* Fixed-horizon tests: Welch–Satterthwaite degrees of freedom, two-sided p and CI. */
#include <math.h>

#include "lift/stats.h"

double lift_stats_welch_df(double va, double na, double vb, double nb)
{
    double a = va / na, b = vb / nb;
    double den = a * a / (na - 1) + b * b / (nb - 1);
    return den > 0 ? (a + b) * (a + b) / den : (double)NAN;
}

void lift_stats_ttest(double estimate, double se, double df, double crit, lift_estimate *out)
{
    out->estimate = estimate;
    out->se = se;
    /* 2*Q(|t|), not 2*(1-P(|t|)): the subtraction rounds to 0 once p < ~1e-16. */
    out->p_value = 2 * lift_stats_t_sf(fabs(estimate / se), df);
    if (out->p_value > 1)
        out->p_value = 1;
    double half = crit * se;
    out->lo = estimate - half;
    out->hi = estimate + half;
    out->valid = isfinite(out->p_value) && isfinite(half);
}
