/* The Bayesian view: a Gaussian (or flat) prior on the relative effect, likelihood
 * N(estimate, se^2); chance to beat control and expected losses from the truncated
 * normal (docs/statistics.md, Bayesian view). */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>

#include "lift/stats.h"

void lift_stats_bayes(double estimate, double se, const lift_test_opts *opts, lift_comparison *out)
{
    double prec = 1 / (se * se), mean = estimate;
    if (opts->prior_sd > 0) {
        double pp = 1 / (opts->prior_sd * opts->prior_sd);
        mean = (estimate * prec + opts->prior_mean * pp) / (prec + pp);
        prec += pp;
    }
    double sd = sqrt(1 / prec);
    /* x: the improvement in the metric's good direction. */
    double mx = opts->lower_is_better ? -mean : mean, z = mx / sd;
    out->post_mean = mean;
    out->post_sd = sd;
    out->chance_to_win = gsl_cdf_ugaussian_P(z);
    /* E[max(0, -x)] and E[max(0, x)] for x ~ N(mx, sd^2). */
    out->risk_treatment = sd * gsl_ran_ugaussian_pdf(z) - mx * gsl_cdf_ugaussian_Q(z);
    out->risk_control = sd * gsl_ran_ugaussian_pdf(z) + mx * gsl_cdf_ugaussian_P(z);
}
