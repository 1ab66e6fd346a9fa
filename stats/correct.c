/* Multiple comparisons: Holm–Bonferroni and Benjamini–Hochberg adjusted p-values, and the
 * level of intervals that agree with them. */
#include <stdlib.h>

#include "lift/stats.h"

typedef struct ranked {
    double p;
    size_t at;
} ranked;

static int by_p(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return (a->at > b->at) - (a->at < b->at); /* ties in input order: deterministic */
}

int lift_stats_adjust(lift_correction c, const double *p, size_t m, double *adj, lift_err *err)
{
    if (c == LIFT_CORRECT_NONE || m == 0) {
        for (size_t i = 0; i < m; i++)
            adj[i] = p[i];
        return LIFT_OK;
    }
    ranked *r = malloc(m * sizeof *r);
    if (!r)
        return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++)
        r[i] = (ranked){p[i], i};
    qsort(r, m, sizeof *r, by_p);
    if (c == LIFT_CORRECT_HOLM) {
        double run = 0; /* p_(i) (m - i), running maximum, capped at 1 */
        for (size_t i = 0; i < m; i++) {
            double v = r[i].p * (double)(m - i);
            run = v > run ? v : run;
            adj[r[i].at] = run < 1 ? run : 1;
        }
    } else {
        double run = 1; /* from the largest: p_(i) m / rank, running minimum */
        for (size_t i = m; i-- > 0;) {
            double v = r[i].p * (double)m / (double)(i + 1);
            run = v < run ? v : run;
            adj[r[i].at] = run;
        }
    }
    free(r);
    return LIFT_OK;
}

/* Why these agree with the calls (m members, r significant, sorted p_(1) <= ... <= p_(m)):
 *  - BH rejects the r smallest, and p_(r) < r alpha / m while every kept p_(k) >=
 *    k alpha / m >= (r + 1) alpha / m: so p < r alpha / m exactly for the rejected.
 *    With r = 0 every p_(k) >= k alpha / m >= alpha / m. (Benjamini and Yekutieli,
 *    "False discovery rate-adjusted multiple confidence intervals for selected
 *    parameters", JASA 100 (2005) 71-81: level 1 - r alpha / m keeps FCR <= alpha.)
 *  - Holm rejects p_(j) < alpha / (m - j + 1) for j <= r, each below alpha / (m - r), and
 *    stops at p_(r+1) >= alpha / (m - r), which every kept p is at least. */
double lift_stats_family_level(lift_correction c, double alpha, size_t m, size_t r)
{
    if (c == LIFT_CORRECT_NONE || m == 0)
        return alpha;
    if (c == LIFT_CORRECT_HOLM)
        return alpha / (double)(m > r ? m - r : 1);
    return alpha * (double)(r > 0 ? r : 1) / (double)m;
}
