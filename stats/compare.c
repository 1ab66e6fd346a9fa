/* One treatment against the control: absolute and relative lift, with CUPED, sequential
 * and Bayesian views (docs/statistics.md, Effects). */
#include <math.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *name, *reason;
} statuses[] = {
    [LIFT_TEST_OK] = {"ok", ""},
    [LIFT_TEST_INSUFFICIENT_DATA] = {"insufficient_data",
                                     "an arm has fewer than 2 units: there is no variance "
                                     "to test with"},
    [LIFT_TEST_NO_VARIANCE] = {"no_variance",
                               "every unit has the same value in both arms: there is nothing "
                               "to test"},
    [LIFT_TEST_ZERO_CONTROL_MEAN] = {"zero_control_mean",
                                     "the control mean is 0, so a relative lift is undefined; "
                                     "the absolute difference is reported"},
    [LIFT_TEST_NO_DENOMINATOR] = {"no_denominator",
                                  "an arm's ratio denominator sums to 0 (no orders, say)"},
};

const char *lift_test_status_name(lift_test_status s)
{
    return statuses[s].name;
}

const char *lift_test_status_reason(lift_test_status s)
{
    return statuses[s].reason;
}

static int check_opts(lift_kind kind, const lift_test_opts *o, lift_err *err)
{
    if (!(o->alpha > 0 && o->alpha < 1))
        return lift_err_field(err, LIFT_EINVAL, "alpha", "alpha: %g is not between 0 and 1",
                              o->alpha);
    if (o->sequential && !(o->tuning > 0 && isfinite(o->tuning)))
        return lift_err_field(err, LIFT_EINVAL, "sequential.tuning",
                              "sequential.tuning: %g is not a positive number of units", o->tuning);
    if (o->cuped && kind == LIFT_KIND_RATIO)
        return lift_err_field(err, LIFT_EINVAL, "cuped",
                              "cuped: defined for proportion and mean metrics, not ratios");
    return LIFT_OK;
}

/* crit: the t quantile for the CI, shared by the absolute and relative estimates. */
static void test(double estimate, double se, double df, double crit, double n,
                 const lift_test_opts *o, lift_estimate *out)
{
    if (o->sequential)
        lift_stats_sequential(estimate, se, n, o->alpha, o->tuning, out);
    else
        lift_stats_ttest(estimate, se, df, crit, out);
}

/* Welch test of the pre-period means: a difference there is a randomization problem. */
static void pre_period_check(lift_kind kind, const lift_suff *a, const lift_suff *b,
                             lift_comparison *out)
{
    double va = stats_var(kind, a->n, a->pre_sum, a->pre_sum_sq);
    double vb = stats_var(kind, b->n, b->pre_sum, b->pre_sum_sq);
    double d = b->pre_sum / b->n - a->pre_sum / a->n, se = sqrt(va / a->n + vb / b->n);
    if (se > 0) {
        double p = 2 * lift_stats_t_sf(fabs(d / se), lift_stats_welch_df(va, a->n, vb, b->n));
        out->pre_p_value = p < 1 ? p : 1;
    } else {
        out->pre_p_value = d == 0 ? 1 : 0;
    }
    out->pre_checked = true;
    out->pre_imbalance = out->pre_p_value < 0.001;
}

int lift_stats_compare(lift_kind kind, const lift_suff *a, const lift_suff *b,
                       const lift_test_opts *o, lift_comparison *out, lift_err *err)
{
    int rc;
    if ((rc = check_opts(kind, o, err)) != LIFT_OK ||
        (rc = lift_stats_check(kind, a, o->cuped, err)) != LIFT_OK ||
        (rc = lift_stats_check(kind, b, o->cuped, err)) != LIFT_OK)
        return rc;
    lift_comparison c;
    memset(&c, 0, sizeof c);
    c.df = c.pre_p_value = c.chance_to_win = c.risk_control = c.risk_treatment = (double)NAN;
    lift_stats_moments(kind, a, &c.control, err);
    lift_stats_moments(kind, b, &c.treatment, err);
    double na = a->n, nb = b->n, ma = c.control.mean, mb = c.treatment.mean;
    if (na < 2 || nb < 2) {
        c.status = LIFT_TEST_INSUFFICIENT_DATA;
    } else if (kind == LIFT_KIND_RATIO && (a->den_sum == 0 || b->den_sum == 0)) {
        c.status = LIFT_TEST_NO_DENOMINATOR;
    }
    if (c.status != LIFT_TEST_OK) {
        *out = c;
        return LIFT_OK;
    }

    /* Per-unit variances of what is compared: x, or x - theta z under CUPED. */
    double va = c.control.var, vb = c.treatment.var, adj_a = ma, adj_b = mb;
    double theta = 0, rel_a = va * mb * mb / (ma * ma); /* control's term of the rel. se */
    if (o->cuped) {
        theta = lift_stats_cuped_theta(kind, a, b, &c.cuped_fallback);
        double vza = stats_var(kind, na, a->pre_sum, a->pre_sum_sq);
        double vzb = stats_var(kind, nb, b->pre_sum, b->pre_sum_sq);
        double ca = stats_cov(na, a->sum, a->pre_sum, a->sum_x_pre);
        double cb = stats_cov(nb, b->sum, b->pre_sum, b->sum_x_pre);
        va = c.control.var + theta * theta * vza - 2 * theta * ca;
        vb = c.treatment.var + theta * theta * vzb - 2 * theta * cb;
        adj_a = ma - theta * a->pre_sum / na;
        adj_b = mb - theta * b->pre_sum / nb;
        rel_a =
            c.control.var * mb * mb / (ma * ma) - 2 * theta * ca * mb / ma + theta * theta * vza;
        c.cuped = true;
        c.theta = theta;
        pre_period_check(kind, a, b, &c);
    }
    if (!(va > 0) && !(vb > 0)) {
        c.status = LIFT_TEST_NO_VARIANCE;
        *out = c;
        return LIFT_OK;
    }
    if (va < 0)
        va = 0; /* rounding in x - theta z; a variance cannot be negative */
    if (vb < 0)
        vb = 0;
    c.df = lift_stats_welch_df(va, na, vb, nb);
    double crit = o->sequential ? 0 : lift_stats_t_isf(o->alpha / 2, c.df);
    test(adj_b - adj_a, sqrt(va / na + vb / nb), c.df, crit, na + nb, o, &c.abs);
    if (ma == 0) {
        c.status = LIFT_TEST_ZERO_CONTROL_MEAN;
    } else {
        if (rel_a < 0)
            rel_a = 0;
        double se = sqrt(vb / (nb * ma * ma) + rel_a / (na * ma * ma));
        test((adj_b - adj_a) / fabs(ma), se, c.df, crit, na + nb, o, &c.rel);
        if (c.rel.valid && se > 0)
            lift_stats_bayes(c.rel.estimate, se, o, &c);
    }
    if (!c.abs.valid)
        return lift_err_set(err, LIFT_ENUM,
                            "the test did not produce finite numbers "
                            "(df %g)",
                            c.df);
    *out = c;
    return LIFT_OK;
}

/* e's interval at `level`; crit is the t quantile for it (fixed horizon), computed once by
 * the caller for the comparison's estimates. */
static void interval(const lift_estimate *e, const lift_comparison *c, const lift_test_opts *o,
                     double level, double crit, lift_interval *out)
{
    if (o->sequential) {
        lift_estimate s;
        lift_stats_sequential_at(e->estimate, e->se, c->control.n + c->treatment.n, o->alpha,
                                 o->tuning, level, &s);
        *out = (lift_interval){s.lo, s.hi};
        return;
    }
    *out = (lift_interval){e->estimate - crit * e->se, e->estimate + crit * e->se};
}

void lift_stats_interval_at(const lift_estimate *e, const lift_comparison *c,
                            const lift_test_opts *o, double level, lift_interval *out)
{
    interval(e, c, o, level, o->sequential ? 0 : lift_stats_t_isf(level / 2, c->df), out);
}

void lift_stats_intervals_at(const lift_comparison *c, const lift_test_opts *o, double level,
                             lift_interval *abs, lift_interval *rel)
{
    double crit = o->sequential ? 0 : lift_stats_t_isf(level / 2, c->df);
    if (c->abs.valid)
        interval(&c->abs, c, o, level, crit, abs);
    if (c->rel.valid)
        interval(&c->rel, c, o, level, crit, rel);
}
