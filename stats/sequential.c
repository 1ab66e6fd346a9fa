/* Always-valid inference: asymptotic confidence sequences (Waudby-Smith, Arnold, Wu,
 * Howard, Ramdas, "Time-uniform central limit theory", arXiv 2103.06476), as in
 * docs/statistics.md, Sequential testing. Peeking at any number of looks keeps the error rate. */
#include <math.h>

#include "lift/stats.h"

void lift_stats_sequential_at(double estimate, double se, double n, double alpha, double tuning,
                              double level, lift_estimate *out)
{
    double l = -2 * log(alpha);
    double rho2 = (l + log(l + 1)) / tuning; /* rho^2, tightest at n = N* */
    double nr = n * rho2 + 1;
    double s = se * sqrt(n); /* the per-unit scale: s^2 = se^2 n */
    /* The boundary at `level` with the mixture tuned for alpha: |d| > half exactly when
     * log E > -log(level), E being the e-value below. */
    double half = s * sqrt(2 * nr / (n * n * rho2) * log(sqrt(nr) / level));
    /* E = exp(rho^2 n d^2/se^2 / (2(n rho^2 + 1))) / sqrt(n rho^2 + 1); p = min(1, 1/E),
     * taken in logs so that a huge E does not overflow (p then underflows to 0). */
    double log_e = rho2 * n * (estimate / se) * (estimate / se) / (2 * nr) - 0.5 * log(nr);
    out->estimate = estimate;
    out->se = se;
    out->lo = estimate - half;
    out->hi = estimate + half;
    out->p_value = log_e <= 0 ? 1 : exp(-log_e);
    out->valid = isfinite(half) && isfinite(out->p_value);
}

void lift_stats_sequential(double estimate, double se, double n, double alpha, double tuning,
                           lift_estimate *out)
{
    lift_stats_sequential_at(estimate, se, n, alpha, tuning, alpha, out);
}
