/* Per-arm moments: proportion, mean and ratio (docs/statistics.md, Per-variant moments). */
#include <math.h>
#include <stdio.h>

#include "internal.h"

/* (sum_sq - sum^2/n) / (n-1), in extended precision: the subtraction cancels when the mean
 * is large against the spread; clamped at 0 against rounding. */
static double sample_var(double n, double sum, double sum_sq)
{
    long double ln = (long double)n, ls = (long double)sum;
    long double v = ((long double)sum_sq - ls * ls / ln) / (ln - 1);
    return v > 0 ? (double)v : 0;
}

/* (sum_xy - sum_x sum_y / n) / (n-1): the covariance of two per-unit quantities. */
static double sample_cov(double n, double sum_x, double sum_y, double sum_xy)
{
    long double ln = (long double)n, lx = (long double)sum_x, ly = (long double)sum_y;
    return (double)(((long double)sum_xy - lx * ly / ln) / (ln - 1));
}

static int need(bool ok, const char *field, const char *what, lift_err *err)
{
    return ok ? LIFT_OK : lift_err_field(err, LIFT_EINVAL, field, "%s: %s", field, what);
}

/* Cauchy–Schwarz with room for rounding: sum^2 <= n * sum_sq. */
static bool consistent(double n, double sum, double sum_sq)
{
    return sum * sum <= n * sum_sq * (1 + 1e-12) + 1e-300;
}

int lift_stats_check(lift_kind kind, const lift_suff *s, bool cuped, lift_err *err)
{
    const double f[] = {s->n,         s->sum,     s->sum_sq,     s->den_sum,  s->den_sum_sq,
                        s->sum_x_den, s->pre_sum, s->pre_sum_sq, s->sum_x_pre};
    static const char *const names[] = {"n",       "sum",        "sum_sq",
                                        "den_sum", "den_sum_sq", "sum_x_den",
                                        "pre_sum", "pre_sum_sq", "sum_x_pre"};
    for (int i = 0; i < 9; i++)
        if (!isfinite(f[i]))
            return need(false, names[i], "must be a finite number", err);
    int rc;
    if ((rc = need(s->n >= 0, "n", "must not be negative", err)) != LIFT_OK)
        return rc;
    if (kind == LIFT_KIND_PROPORTION) {
        if ((rc = need(s->sum >= 0, "sum", "must not be negative", err)) != LIFT_OK)
            return rc;
        if (s->sum > s->n) {
            char what[128];
            snprintf(what, sizeof what, "%.15g conversions is more than the %.15g units", s->sum,
                     s->n);
            return need(false, "sum", what, err);
        }
    } else {
        if ((rc = need(s->sum_sq >= 0, "sum_sq", "must not be negative", err)) != LIFT_OK ||
            (rc = need(consistent(s->n, s->sum, s->sum_sq), "sum_sq",
                       "is smaller than sum^2/n, which no data can give", err)) != LIFT_OK)
            return rc;
    }
    if (kind == LIFT_KIND_RATIO &&
        ((rc = need(s->den_sum_sq >= 0, "den_sum_sq", "must not be negative", err)) != LIFT_OK ||
         (rc = need(consistent(s->n, s->den_sum, s->den_sum_sq), "den_sum_sq",
                    "is smaller than den_sum^2/n, which no data can give", err)) != LIFT_OK))
        return rc;
    if (cuped && kind == LIFT_KIND_PROPORTION &&
        ((rc = need(s->pre_sum >= 0 && s->pre_sum <= s->n, "pre_sum",
                    "must lie between 0 and n for a proportion", err)) != LIFT_OK))
        return rc;
    if (cuped && kind == LIFT_KIND_MEAN &&
        ((rc = need(s->pre_sum_sq >= 0, "pre_sum_sq", "must not be negative", err)) != LIFT_OK ||
         (rc = need(consistent(s->n, s->pre_sum, s->pre_sum_sq), "pre_sum_sq",
                    "is smaller than pre_sum^2/n, which no data can give", err)) != LIFT_OK))
        return rc;
    return LIFT_OK;
}

/* Per-unit variance of x: p(1-p) for proportions (no n-1), else the sample variance. */
static double var_x(lift_kind kind, double n, double sum, double sum_sq)
{
    if (kind == LIFT_KIND_PROPORTION)
        return n > 0 ? (sum / n) * ((n - sum) / n) : 0; /* (n-sum)/n: no 1-p cancellation */
    return n > 1 ? sample_var(n, sum, sum_sq) : 0;
}

int lift_stats_moments(lift_kind kind, const lift_suff *s, lift_moments *out, lift_err *err)
{
    (void)err;
    lift_moments m = {s->n, s->n > 0 ? s->sum / s->n : 0, 0};
    if (kind != LIFT_KIND_RATIO) {
        m.var = var_x(kind, s->n, s->sum, s->sum_sq);
    } else if (s->n > 1 && s->den_sum != 0) {
        double mx = s->sum / s->n, md = s->den_sum / s->n;
        double vx = sample_var(s->n, s->sum, s->sum_sq);
        double vd = sample_var(s->n, s->den_sum, s->den_sum_sq);
        double cxd = sample_cov(s->n, s->sum, s->den_sum, s->sum_x_den);
        m.mean = s->sum / s->den_sum;
        m.var = vx / (md * md) + vd * mx * mx / (md * md * md * md) - 2 * cxd * mx / (md * md * md);
        if (m.var < 0)
            m.var = 0; /* rounding only: the delta-method form is a variance */
    } else {
        m.mean = s->den_sum != 0 ? s->sum / s->den_sum : 0;
    }
    *out = m;
    return LIFT_OK;
}

double stats_var(lift_kind kind, double n, double sum, double sum_sq)
{
    return var_x(kind, n, sum, sum_sq);
}

double stats_cov(double n, double sum_x, double sum_y, double sum_xy)
{
    return n > 1 ? sample_cov(n, sum_x, sum_y, sum_xy) : 0;
}
