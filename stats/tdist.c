/* Student t tails and quantiles, accurate where GSL's own are not.
 *
 * gsl_cdf_tdist_Q switches to a Cornish–Fisher approximation above 30 degrees of
 * freedom (1e-9 relative error at df 31) and gsl_cdf_tdist_Qinv is good to about 4e-9,
 * while our reference checks are 1e-9. Here:
 *  - below 1e4 degrees of freedom (and for far tails below 1e7), the regularized
 *    incomplete beta, in whichever of its two forms does not cancel;
 *  - above, Fisher's asymptotic expansion in 1/df, to fourth order, whose polynomials
 *    g1..g4 below are exact rationals obtained by fitting tails computed by mpmath at 300
 *    digits (tests/ref). GSL's incomplete beta loses digits there: x = df/(df+t^2) sits
 *    next to 1 (3.9e-9 relative error at df 7.5e7).
 * Measured against mpmath on a grid of t in [0.001, 20], df in [1e3, 1e13]: relative error
 * below 2e-11 wherever p > 1e-12, and below 1e-9 wherever p > 1e-100. The expansion is
 * also much faster than the incomplete beta, whose continued fraction grows with df. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

#include "lift/stats.h"

#define FISHER_DF 1e4

/* P(T > t) = I_x(df/2, 1/2) / 2 = (1 - I_y(1/2, df/2)) / 2 with x = df/(df+t^2), y = 1 - x.
 * The second form is exact while the tail is large, the first once it is small. */
static double beta_tail(double t, double df)
{
    gsl_sf_result r;
    double y = t * t / (df + t * t);
    if (gsl_sf_beta_inc_e(0.5, df / 2, y, &r) != GSL_SUCCESS)
        return (double)NAN;
    if (r.val <= 0.5)
        return (1 - r.val) / 2;
    if (gsl_sf_beta_inc_e(df / 2, 0.5, df / (df + t * t), &r) != GSL_SUCCESS)
        return (double)NAN;
    return r.val / 2;
}

/* Q_t(t) = Q(t) + phi(t) (g1/df + g2/df^2 + g3/df^3 + g4/df^4) + O(df^-5). */
static double fisher_tail(double t, double df)
{
    double t2 = t * t, t3 = t2 * t, t5 = t3 * t2, t7 = t5 * t2, t9 = t7 * t2, t11 = t9 * t2,
           t13 = t11 * t2, t15 = t13 * t2, v = 1 / df;
    double g1 = (t3 + t) / 4;
    double g2 = (3 * t7 - 7 * t5 - 5 * t3 - 3 * t) / 96;
    double g3 = (t11 - 11 * t9 + 14 * t7 + 6 * t5 - 3 * t3 - 15 * t) / 384;
    double g4 =
        (15 * t15 - 375 * t13 + 2225 * t11 - 2141 * t9 - 939 * t7 - 213 * t5 + 915 * t3 + 945 * t) /
        92160;
    return gsl_cdf_ugaussian_Q(t) +
           gsl_ran_ugaussian_pdf(t) * v * (g1 + v * (g2 + v * (g3 + v * g4)));
}

double lift_stats_t_sf(double t, double df)
{
    if (!(t >= 0) || !(df > 0))
        return (double)NAN;
    /* The expansion needs t^4/df small; far tails at moderate df go to the beta form. */
    if (df < FISHER_DF || (df < 1e7 && t * t * t * t >= df / 50))
        return beta_tail(t, df);
    return fisher_tail(t, df);
}

double lift_stats_t_isf(double q, double df)
{
    if (!(q > 0 && q < 1) || !(df > 0))
        return (double)NAN;
    if (q > 0.5)
        return -lift_stats_t_isf(1 - q, df);
    /* GSL's answer, polished by Newton steps on the accurate tail above. */
    double t = gsl_cdf_tdist_Qinv(q, df);
    for (int i = 0; i < 8 && isfinite(t); i++) {
        double f = lift_stats_t_sf(t, df) - q;
        /* The slope only sets the step; the normal density is close enough at large df. */
        double dens = df >= FISHER_DF ? gsl_ran_ugaussian_pdf(t) : gsl_ran_tdist_pdf(t, df);
        if (!(dens > 0))
            break;
        double step = f / dens;
        t += step;
        if (fabs(step) <= 1e-15 * fabs(t))
            break;
    }
    return t;
}
