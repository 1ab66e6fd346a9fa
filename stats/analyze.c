/* A whole analysis: each treatment against the control for every metric, the multiple-
 * comparison family, and the sample ratio check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/stats.h"

void lift_stats_analysis_fini(lift_analysis_out *out)
{
    free(out->results);
    out->results = NULL;
    out->nresults = 0;
}

int lift_stats_analyze(const lift_analysis *a, lift_analysis_out *out, lift_err *err)
{
    out->results = NULL;
    out->nresults = 0;
    out->has_srm = false;
    if (a->nvariants < 2)
        return lift_err_field(err, LIFT_EINVAL, "variants",
                              "variants: need a control and at least one treatment");
    int rc = LIFT_OK;
    if (a->units) {
        double *equal = NULL;
        const double *w = a->weights;
        if (!w) {
            equal = malloc((size_t)a->nvariants * sizeof *equal);
            if (!equal)
                return lift_err_set(err, LIFT_ENOMEM, "out of memory");
            for (int i = 0; i < a->nvariants; i++)
                equal[i] = 1;
            w = equal;
        }
        rc = lift_stats_srm(a->units, w, a->nvariants, &out->srm, err);
        free(equal);
        if (rc != LIFT_OK)
            return rc;
        out->has_srm = true;
    }
    size_t per = (size_t)a->nvariants - 1, n = a->nmetrics * per;
    lift_result *r = calloc(n ? n : 1, sizeof *r);
    double *family = malloc((n ? n : 1) * 2 * sizeof *family);
    if (!r || !family) {
        free(r);
        free(family);
        return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < a->nmetrics && rc == LIFT_OK; i++) {
        const lift_metric_input *mi = &a->metrics[i];
        lift_test_opts o = a->opts;
        o.cuped = mi->cuped;
        o.lower_is_better = mi->lower_is_better;
        for (int v = 0; v < a->nvariants && rc == LIFT_OK; v++)
            if ((rc = lift_stats_check(mi->kind, &mi->arms[v], o.cuped, err)) != LIFT_OK)
                lift_err_nest(err, "metrics[%zu].data[%d].", i, v);
        for (size_t v = 1; v <= per && rc == LIFT_OK; v++) {
            lift_result *x = &r[i * per + v - 1];
            x->metric = i;
            x->variant = (int)v;
            x->p_adjusted = (double)NAN;
            rc = lift_stats_compare(mi->kind, &mi->arms[0], &mi->arms[v], &o, &x->cmp, err);
            if (rc != LIFT_OK && strcmp(err->field, "cuped") == 0)
                lift_err_nest(err, "metrics[%zu].", i);
            else if (rc == LIFT_OK && x->cmp.rel.valid) {
                family[m] = x->cmp.rel.p_value;
                family[n + m++] = (double)(i * per + v - 1); /* where it came from */
            }
        }
    }
    if (rc == LIFT_OK) {
        double *adj = malloc((m ? m : 1) * sizeof *adj);
        rc = adj ? lift_stats_adjust(a->correction, family, m, adj, err)
                 : lift_err_set(err, LIFT_ENOMEM, "out of memory");
        for (size_t k = 0; rc == LIFT_OK && k < m; k++) {
            lift_result *x = &r[(size_t)family[n + k]];
            x->p_adjusted = adj[k];
            x->significant = adj[k] < a->opts.alpha;
        }
        free(adj);
    }
    free(family);
    if (rc != LIFT_OK) {
        free(r);
        return rc;
    }
    out->results = r;
    out->nresults = n;
    return LIFT_OK;
}
