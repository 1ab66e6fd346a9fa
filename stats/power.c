/* Planning: units per arm for a relative MDE at the real allocation, the MDE of a sample,
 * the alpha a correction leaves, and the duration in whole weeks with the long-term window
 * (docs/statistics.md, Planning and guards). */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

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

/* The arms' shares of the pair: the plan's, or equal. */
static void shares(const lift_plan *p, double *ra, double *rb)
{
    double a = p->control_share, b = p->treatment_share;
    if (!(a > 0 && b > 0 && isfinite(a) && isfinite(b)))
        a = b = 1;
    *ra = a / (a + b);
    *rb = b / (a + b);
}

/* Variances of the control and of a treatment moved by mde; false when a rate would leave
 * (0, 1). */
static bool variances(const lift_plan *p, double mde, double *va, double *vb)
{
    double m = p->baseline;
    if (!p->proportion) {
        *va = *vb = p->sd * p->sd;
        return true;
    }
    double pb = m * (1 + mde);
    if (!(pb > 0 && pb < 1))
        return false;
    *va = m * (1 - m);
    *vb = pb * (1 - pb);
    return true;
}

/* Units of the pair (both arms) before rounding, at the plan's shares; NAN when the
 * treatment rate leaves (0, 1). */
static double raw_pair(const lift_plan *p, double mde)
{
    double va, vb, ra, rb, m = p->baseline;
    if (!variances(p, mde, &va, &vb))
        return (double)NAN;
    shares(p, &ra, &rb);
    return z2(p) * (va / ra + vb / rb) / (mde * m * mde * m);
}

/* Units per arm for equal arms (the pair over 2). */
static double raw_n(const lift_plan *p, double mde)
{
    lift_plan equal = *p;
    equal.control_share = equal.treatment_share = 0;
    return raw_pair(&equal, mde) / 2;
}

static int check_mde(const lift_plan *p, double mde, lift_err *err)
{
    if (!(mde != 0 && mde > -1 && isfinite(mde)))
        return lift_err_field(err, LIFT_EINVAL, "mde",
                              "mde: a relative effect such as 0.05 (+5%%), not %g", mde);
    if (!isfinite(raw_pair(p, mde)))
        return lift_err_field(err, LIFT_EINVAL, "mde",
                              "mde: a rate of %g changed by %+g%% leaves (0, 1)", p->baseline,
                              100 * mde);
    return LIFT_OK;
}

int lift_stats_sample_size(const lift_plan *p, double mde, double *n, lift_err *err)
{
    int rc = check(p, err);
    if (rc == LIFT_OK)
        rc = check_mde(p, mde, err);
    if (rc != LIFT_OK)
        return rc;
    *n = ceil(raw_n(p, mde));
    return LIFT_OK;
}

int lift_stats_sample_sizes(const lift_plan *p, double mde, double *na, double *nb, lift_err *err)
{
    int rc = check(p, err);
    if (rc == LIFT_OK)
        rc = check_mde(p, mde, err);
    if (rc != LIFT_OK)
        return rc;
    double ra, rb, pair = raw_pair(p, mde);
    shares(p, &ra, &rb);
    *na = ceil(ra * pair);
    *nb = ceil(rb * pair);
    return LIFT_OK;
}

/* z^2 (v_a/na + v_b/nb) / (mde m)^2: above 1 when na and nb cannot detect mde. */
static double need_ratio(const lift_plan *p, double mde, double na, double nb)
{
    double va, vb, m = p->baseline;
    if (!variances(p, mde, &va, &vb))
        return (double)NAN;
    return z2(p) * (va / na + vb / nb) / (mde * m * mde * m);
}

int lift_stats_mde_at(const lift_plan *p, double na, double nb, double *mde, lift_err *err)
{
    int rc = check(p, err);
    if (rc != LIFT_OK)
        return rc;
    if (!(na >= 2 && nb >= 2 && isfinite(na) && isfinite(nb)))
        return lift_err_field(err, LIFT_EINVAL, "n", "n: need at least 2 units per arm");
    if (!p->proportion) {
        *mde = sqrt(z2(p) * p->sd * p->sd * (1 / na + 1 / nb)) / fabs(p->baseline);
        return LIFT_OK;
    }
    /* For rates the treatment variance moves with the effect: bisect need(mde) = 1, which
     * falls as mde grows, over (0, 1/p - 1). */
    double lo = 1e-12, hi = (1 / p->baseline - 1) * (1 - 1e-12);
    if (need_ratio(p, hi, na, nb) > 1)
        return lift_err_field(err, LIFT_EINVAL, "n",
                              "n: %g and %g units cannot detect any rise of a %g rate", na, nb,
                              p->baseline);
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = (lo + hi) / 2;
        if (need_ratio(p, mid, na, nb) > 1)
            lo = mid;
        else
            hi = mid;
    }
    *mde = hi;
    return LIFT_OK;
}

int lift_stats_mde(const lift_plan *p, double n, double *mde, lift_err *err)
{
    int rc = lift_stats_mde_at(p, n, n, mde, err);
    if (rc == LIFT_EINVAL && !strcmp(err->field, "n") && p->proportion && n >= 2)
        lift_err_field(err, LIFT_EINVAL, "n",
                       "n: %g units per arm cannot detect any rise of a %g rate", n, p->baseline);
    return rc;
}

double lift_stats_plan_alpha(lift_correction c, double alpha, size_t m)
{
    return c == LIFT_CORRECT_NONE || m < 2 ? alpha : alpha / (double)m;
}

int lift_stats_duration_days(double n, int k, double daily)
{
    double days = ceil(n * k / daily);
    double weeks = ceil(days / 7);
    return weeks < 1 ? 7 : (int)weeks * 7;
}

int lift_stats_plan_days(const double *need, const double *daily, int k, double mature_days)
{
    double days = 0;
    for (int i = 0; i < k; i++) {
        if (!(need[i] > 0))
            continue;
        if (!(daily[i] > 0))
            return -1;
        days = fmax(days, ceil(need[i] / daily[i]));
    }
    double weeks = ceil(days / 7);
    return (weeks < 1 ? 7 : (int)weeks * 7) + (int)ceil(fmax(mature_days, 0));
}
