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
 *  - for far tails (t >= 8) at any degrees of freedom, the logarithm of the tail, as the
 *    density at t times the integral of the density ratio beyond t (below). Neither form
 *    above survives there: the incomplete beta underflows (GSL reports an error, which
 *    used to turn a certain effect into "no test"), and the expansion needs t^4/df small.
 * Measured against mpmath on a grid of t in [0.001, 20], df in [1e3, 1e13]: relative error
 * below 2e-11 wherever p > 1e-12, and below 1e-9 wherever p > 1e-100; far tails, t in
 * [8, 1000] and df in [3, 1e12], to 1e-12 in the tail itself down to p = 1e-300 and in
 * its logarithm beyond. The expansion is also much faster than the incomplete beta, whose
 * continued fraction grows with df. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

#include "lift/stats.h"

#define FISHER_DF 1e4
#define FAR_T     8.0 /* p < 3e-15 at large df; 0.002 at df 3 */

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

/* log(Gamma(a + 1/2) / Gamma(a)). For large a the difference of two log-gammas would
 * cancel (lgamma(5e8) is 1e10: 1e-6 lost); its asymptotic series, to a^-7, errs by
 * 0.0043 a^-9 instead (1e-18 at a = 50; checked against mpmath). */
static double log_gamma_ratio_half(double a)
{
    if (a < 50)
        return gsl_sf_lnpoch(a, 0.5);
    double i = 1 / a, i2 = i * i;
    return 0.5 * log(a) + i * (-1.0 / 8 + i2 * (1.0 / 192 + i2 * (-1.0 / 640 + i2 * 17.0 / 14336)));
}

typedef struct far_tail {
    double t, df, rate;
} far_tail;

/* f(t + v/rate) / f(t), f the t density: the integrand below, smooth and at most 1. */
static double density_ratio(double v, void *p)
{
    const far_tail *f = p;
    double u = v / f->rate;
    return exp(-(f->df + 1) / 2 * log1p((2 * f->t + u) * u / (f->df + f->t * f->t)));
}

/* log P(T > t) = log f(t) + log of the integral of f(s)/f(t) over s > t. The ratio falls
 * from 1 at the rate (df+1) t / (df+t^2); in that scale the integral is of order 1 and
 * QAGIU takes it to 1e-13 in a few hundred evaluations, whatever t and df. Nothing is
 * subtracted, so nothing cancels or underflows. NAN when the integration fails. */
static double far_log_tail(double t, double df)
{
    far_tail f = {t, df, (df + 1) * t / (df + t * t)};
    double log_f =
        log_gamma_ratio_half(df / 2) - 0.5 * log(df * M_PI) - (df + 1) / 2 * log1p(t * t / df);
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(64);
    if (!w)
        return (double)NAN;
    gsl_function F = {density_ratio, &f};
    double integral, abserr;
    int status = gsl_integration_qagiu(&F, 0, 0, 1e-13, 64, w, &integral, &abserr);
    gsl_integration_workspace_free(w);
    if (status != GSL_SUCCESS || !(integral > 0))
        return (double)NAN;
    return log_f + log(integral / f.rate);
}

double lift_stats_t_log_sf(double t, double df)
{
    if (!(t >= 0) || !(df > 0))
        return (double)NAN;
    if (isinf(t))
        return -(double)INFINITY;
    if (t >= FAR_T)
        return far_log_tail(t, df);
    return log(lift_stats_t_sf(t, df));
}

double lift_stats_t_sf(double t, double df)
{
    if (!(t >= 0) || !(df > 0))
        return (double)NAN;
    /* exp of the log: below the smallest double the tail becomes a subnormal, then 0. */
    if (t >= FAR_T)
        return exp(lift_stats_t_log_sf(t, df));
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
        /* Newton converges quadratically: after a step of 1e-9 relative (GSL's start is good
         * to ~4e-9) what is left is ~1e-18, so one more evaluation would only confirm it. */
        if (fabs(step) <= 1e-9 * fabs(t))
            break;
    }
    return t;
}
