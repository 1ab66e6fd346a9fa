/* A whole analysis: each treatment against the control for every metric, the multiple-
 * comparison families with intervals that agree with them, the guardrails' one-sided
 * tests, the sample ratio check, and then the decision (decide.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/stats.h"

void lift_stats_analysis_fini(lift_analysis_out *out)
{
    for (size_t i = 0; i < out->ndecisions; i++)
        free(out->decisions[i].reasons);
    free(out->decisions);
    free(out->results);
    out->decisions = NULL;
    out->ndecisions = 0;
    out->results = NULL;
    out->nresults = 0;
}

static int srm(const lift_analysis *a, lift_analysis_out *out, lift_err *err)
{
    if (!a->units)
        return LIFT_OK;
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
    int rc = lift_stats_srm(a->units, w, a->nvariants, &out->srm, err);
    free(equal);
    out->has_srm = rc == LIFT_OK;
    return rc;
}

/* One member of a correction family: its p-value and where its result is. */
typedef struct member {
    int family;
    size_t result;
    double p;
} member;

static int by_family(const void *x, const void *y)
{
    const member *a = x, *b = y;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return (a->result > b->result) - (a->result < b->result);
}

static void intervals_at(lift_result *x, const lift_test_opts *o, double level)
{
    x->ci_level = 1 - level;
    lift_stats_intervals_at(&x->cmp, o, level, &x->abs_ci, &x->rel_ci);
}

/* Corrects each family (members sorted by family) and draws its intervals at the level
 * that agrees with the calls. */
static int correct(const lift_analysis *a, lift_result *r, member *fam, size_t m,
                   const lift_test_opts *opts, lift_err *err)
{
    qsort(fam, m, sizeof *fam, by_family);
    double *p = malloc((m ? m : 1) * 2 * sizeof *p), *adj = p ? p + m : NULL;
    if (!p)
        return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    int rc = LIFT_OK;
    for (size_t lo = 0, hi; lo < m && rc == LIFT_OK; lo = hi) {
        for (hi = lo; hi < m && fam[hi].family == fam[lo].family; hi++)
            p[hi - lo] = fam[hi].p;
        size_t n = hi - lo, sig = 0;
        if ((rc = lift_stats_adjust(a->correction, p, n, adj, err)) != LIFT_OK)
            break;
        for (size_t k = 0; k < n; k++) {
            lift_result *x = &r[fam[lo + k].result];
            x->p_adjusted = adj[k];
            x->significant = adj[k] < a->opts.alpha;
            sig += x->significant;
        }
        double level = lift_stats_family_level(a->correction, a->opts.alpha, n, sig);
        for (size_t k = 0; k < n && level != a->opts.alpha; k++) {
            lift_result *x = &r[fam[lo + k].result];
            const lift_metric_input *mi = &a->metrics[x->metric];
            lift_test_opts o = *opts;
            o.lower_is_better = mi->lower_is_better;
            intervals_at(x, &o, level);
        }
    }
    free(p);
    return rc;
}

/* A guardrail: one-sided at alpha, uncorrected. Its interval is 1 - 2 alpha (1 - alpha
 * for a confidence sequence, whose two sides share alpha only as a pair), so that its
 * good-side bound is the one-sided bound; a harm is that bound below -margin. */
static void guardrail(const lift_metric_input *mi, lift_result *x, const lift_test_opts *o)
{
    const lift_estimate *e = &x->cmp.rel;
    double alpha = o->alpha, level = o->sequential ? alpha : fmin(2 * alpha, 1);
    intervals_at(x, o, level);
    x->significant = x->rel_ci.lo > 0 || x->rel_ci.hi < 0;
    double best = mi->lower_is_better ? -x->rel_ci.lo : x->rel_ci.hi;
    x->harm = best < -mi->margin;
    /* The shifted estimate g + margin, in the good direction: harm when clearly < 0. */
    double g = (mi->lower_is_better ? -e->estimate : e->estimate) + mi->margin;
    if (o->sequential) {
        lift_estimate s;
        lift_stats_sequential(g, e->se, x->cmp.control.n + x->cmp.treatment.n, alpha, o->tuning,
                              &s);
        x->harm_p = g < 0 ? s.p_value : 1;
    } else {
        double t = g / e->se;
        x->harm_p = t < 0 ? lift_stats_t_sf(-t, x->cmp.df) : 1 - lift_stats_t_sf(t, x->cmp.df);
    }
}

int lift_stats_analyze(const lift_analysis *a, lift_analysis_out *out, lift_err *err)
{
    memset(out, 0, sizeof *out);
    if (a->nvariants < 2)
        return lift_err_field(err, LIFT_EINVAL, "variants",
                              "variants: need a control and at least one treatment");
    int rc = srm(a, out, err);
    if (rc != LIFT_OK)
        return rc;
    size_t per = (size_t)a->nvariants - 1, n = a->nmetrics * per;
    lift_result *r = calloc(n ? n : 1, sizeof *r);
    member *fam = malloc((n ? n : 1) * sizeof *fam);
    if (!r || !fam) {
        free(r);
        free(fam);
        return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < a->nmetrics && rc == LIFT_OK; i++) {
        const lift_metric_input *mi = &a->metrics[i];
        lift_test_opts o = a->opts;
        o.cuped = mi->cuped;
        o.lower_is_better = mi->lower_is_better;
        if (!(mi->margin >= 0 && mi->margin < 1)) {
            rc = lift_err_field(err, LIFT_EINVAL, "margin",
                                "metrics[%zu].margin: %g is not a relative loss in [0, 1)", i,
                                mi->margin);
            break;
        }
        for (int v = 0; v < a->nvariants && rc == LIFT_OK; v++)
            if ((rc = lift_stats_check(mi->kind, &mi->arms[v], o.cuped, err)) != LIFT_OK)
                lift_err_nest(err, "metrics[%zu].data[%d].", i, v);
        for (size_t v = 1; v <= per && rc == LIFT_OK; v++) {
            size_t at = i * per + v - 1;
            lift_result *x = &r[at];
            x->metric = i;
            x->variant = (int)v;
            x->p_adjusted = x->harm_p = (double)NAN;
            x->abs_ci = x->rel_ci = (lift_interval){(double)NAN, (double)NAN};
            rc = lift_stats_compare(mi->kind, &mi->arms[0], &mi->arms[v], &o, &x->cmp, err);
            if (rc != LIFT_OK) {
                if (strcmp(err->field, "cuped") == 0)
                    lift_err_nest(err, "metrics[%zu].", i);
                break;
            }
            /* Marginal intervals until a family says otherwise. */
            x->ci_level = 1 - a->opts.alpha;
            x->abs_ci = (lift_interval){x->cmp.abs.lo, x->cmp.abs.hi};
            if (x->cmp.rel.valid)
                x->rel_ci = (lift_interval){x->cmp.rel.lo, x->cmp.rel.hi};
            if (!x->cmp.rel.valid)
                continue;
            if (mi->role == LIFT_ROLE_GUARDRAIL)
                guardrail(mi, x, &o);
            else
                fam[m++] = (member){mi->family, at, x->cmp.rel.p_value};
        }
    }
    if (rc == LIFT_OK)
        rc = correct(a, r, fam, m, &a->opts, err);
    free(fam);
    if (rc != LIFT_OK) {
        free(r);
        return rc;
    }
    out->results = r;
    out->nresults = n;
    rc = lift_stats_decide(a, out, err);
    if (rc != LIFT_OK)
        lift_stats_analysis_fini(out);
    return rc;
}
