/* Multiple comparisons: Holm–Bonferroni and Benjamini–Hochberg adjusted p-values. */
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
