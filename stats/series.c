/* The cumulative lift of a metric by day: every day is a look, so under sequential testing
 * the band is always-valid (docs/statistics.md, Sequential testing). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lift/stats.h"

int lift_stats_series(lift_kind kind, const lift_suff *days, size_t ndays, int nvariants,
                      const lift_test_opts *opts, double level, lift_estimate *rel, lift_err *err)
{
    if (nvariants < 2)
        return lift_err_field(err, LIFT_EINVAL, "variants",
                              "variants: need a control and at least one treatment");
    lift_suff *cum = calloc((size_t)nvariants, sizeof *cum);
    if (!cum)
        return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    int rc = LIFT_OK;
    for (size_t d = 0; d < ndays && rc == LIFT_OK; d++) {
        for (int v = 0; v < nvariants; v++) {
            const lift_suff *s = &days[d * (size_t)nvariants + (size_t)v];
            double *to = &cum[v].n;
            const double *from = &s->n;
            for (size_t k = 0; k < sizeof *s / sizeof *from; k++)
                to[k] += from[k];
        }
        for (int v = 1; v < nvariants; v++) {
            lift_estimate *e = &rel[d * (size_t)nvariants + (size_t)v];
            memset(e, 0, sizeof *e);
            lift_comparison c;
            rc = lift_stats_compare(kind, &cum[0], &cum[v], opts, &c, err);
            if (rc != LIFT_OK)
                break;
            if (!c.rel.valid)
                continue;
            *e = c.rel;
            if (level != opts->alpha) {
                lift_interval ci;
                lift_stats_interval_at(&c.rel, &c, opts, level, &ci);
                e->lo = ci.lo;
                e->hi = ci.hi;
            }
        }
    }
    free(cum);
    return rc;
}
