/* Sample ratio mismatch: Pearson chi-square of assigned units against the weights. */
#include <gsl/gsl_cdf.h>
#include <math.h>

#include "lift/stats.h"

int lift_stats_srm(const double *units, const double *weights, int k, lift_srm *out, lift_err *err)
{
    double total_w = 0, n = 0;
    int used = 0;
    for (int i = 0; i < k; i++) {
        if (!(units[i] >= 0) || !isfinite(units[i]))
            return lift_err_field(err, LIFT_EINVAL, "units", "units[%d]: %g is not a count", i,
                                  units[i]);
        if (!(weights[i] >= 0) || !isfinite(weights[i]))
            return lift_err_field(err, LIFT_EINVAL, "weights", "weights[%d]: %g is not a weight", i,
                                  weights[i]);
        if (weights[i] > 0) {
            total_w += weights[i];
            n += units[i];
            used++;
        }
    }
    if (used == 0)
        return lift_err_field(err, LIFT_EINVAL, "weights", "weights: every weight is 0");
    double chi2 = 0;
    for (int i = 0; i < k && n > 0; i++) {
        if (weights[i] <= 0)
            continue;
        double expected = n * weights[i] / total_w;
        chi2 += (units[i] - expected) * (units[i] - expected) / expected;
    }
    out->chi2 = chi2;
    out->df = used - 1;
    out->p_value = used > 1 && n > 0 ? gsl_cdf_chisq_Q(chi2, used - 1) : 1;
    out->flag = out->p_value < 0.001 && n >= 8.0 * used;
    return LIFT_OK;
}
