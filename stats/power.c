/* Planning: units per arm for a relative MDE, the MDE of a sample, and the duration in
 * whole weeks (docs/statistics.md, Planning and guards). */
#include <gsl/gsl_cdf.h>
#include <math.h>

#include "lift/stats.h"

static int check(const lift_plan *p, lift_err *err)
{
    if (!(p->alpha > 0 && p->alpha < 1))
        return lift_err_field(err, LIFT_EINVAL, "alpha", "alpha: %g is not between 0 and 1",
                              p->alpha);
    if (!(p->power > 0 && p->power < 1))
        return lift_err_field(err, LIFT_EINVAL, "power", "power: %g is not between 0 and 1",
                              p->power);
    if (p->proportion && !(p->baseline > 0 && p->baseline < 1))
        return lift_err_field(err, LIFT_EINVAL, "baseline",
                              "baseline: a rate must lie strictly between 0 and 1, not %g",
                              p->baseline);
    if (!p->proportion && !(p->baseline != 0 && isfinite(p->baseline)))
        return lift_err_field(err, LIFT_EINVAL, "mean", "mean: must be a non-zero number");
    if (!p->proportion && !(p->sd > 0 && isfinite(p->sd)))
        return lift_err_field(err, LIFT_EINVAL, "sd", "sd: must be a positive number");
    return LIFT_OK;
}

/* (z_{1-a/2} + z_{power})^2 */
static double z2(const lift_plan *p)
{
    double z = gsl_cdf_ugaussian_Qinv(p->alpha / 2) + gsl_cdf_ugaussian_Pinv(p->power);
    return z * z;
}

/* Units per arm before rounding; (double)NAN when the treatment rate leaves (0, 1). */
static double raw_n(const lift_plan *p, double mde)
{
    double m = p->baseline, va, vb;
    if (p->proportion) {
        double pb = m * (1 + mde);
        if (!(pb > 0 && pb < 1))
            return (double)NAN;
        va = m * (1 - m);
        vb = pb * (1 - pb);
    } else {
        va = vb = p->sd * p->sd;
    }
    return z2(p) * (va + vb) / (mde * m * mde * m);
}

int lift_stats_sample_size(const lift_plan *p, double mde, double *n, lift_err *err)
{
    int rc = check(p, err);
    if (rc != LIFT_OK)
        return rc;
    if (!(mde != 0 && mde > -1 && isfinite(mde)))
        return lift_err_field(err, LIFT_EINVAL, "mde",
                              "mde: a relative effect such as 0.05 (+5%%), not %g", mde);
    double v = raw_n(p, mde);
    if (!isfinite(v))
        return lift_err_field(err, LIFT_EINVAL, "mde",
                              "mde: a rate of %g changed by %+g%% leaves (0, 1)", p->baseline,
                              100 * mde);
    *n = ceil(v);
    return LIFT_OK;
}

int lift_stats_mde(const lift_plan *p, double n, double *mde, lift_err *err)
{
    int rc = check(p, err);
    if (rc != LIFT_OK)
        return rc;
    if (!(n >= 2 && isfinite(n)))
        return lift_err_field(err, LIFT_EINVAL, "n", "n: need at least 2 units per arm");
    if (!p->proportion) {
        *mde = sqrt(z2(p) * 2 * p->sd * p->sd / n) / fabs(p->baseline);
        return LIFT_OK;
    }
    /* For rates the treatment variance moves with the effect: bisect n(mde) = n, which
     * falls as mde grows, over (0, 1/p - 1). */
    double lo = 1e-12, hi = (1 / p->baseline - 1) * (1 - 1e-12);
    if (raw_n(p, hi) > n)
        return lift_err_field(err, LIFT_EINVAL, "n",
                              "n: %g units per arm cannot detect any rise of a %g rate", n,
                              p->baseline);
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = (lo + hi) / 2;
        if (raw_n(p, mid) > n)
            lo = mid;
        else
            hi = mid;
    }
    *mde = hi;
    return LIFT_OK;
}

int lift_stats_duration_days(double n, int k, double daily)
{
    double days = ceil(n * k / daily);
    double weeks = ceil(days / 7);
    return weeks < 1 ? 7 : (int)weeks * 7;
}
