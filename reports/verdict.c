/* Plain-language verdicts: what the primary metric says, with the planned power in mind. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

const char *rpt_outcome_name(rpt_outcome o)
{
    static const char *const names[] = {"win", "loss", "flat", "inconclusive", "untested"};
    return names[o];
}

void rpt_pct(double x, char *out, size_t len)
{
    if (!isfinite(x))
        snprintf(out, len, "n/a");
    else
        snprintf(out, len, "%+.*f%%", fabs(x) < 0.001 ? 2 : 1, 100 * x);
}

void rpt_p(double p, char *out, size_t len)
{
    if (!isfinite(p))
        snprintf(out, len, "n/a");
    else if (p < 0.0001)
        snprintf(out, len, "<0.0001");
    else
        snprintf(out, len, "%.2g", p);
}

void rpt_value(const rpt_metric *m, double x, char *out, size_t len)
{
    if (!isfinite(x))
        snprintf(out, len, "n/a");
    else if (m->kind == LIFT_KIND_PROPORTION)
        snprintf(out, len, "%.2f%%", 100 * x);
    else
        snprintf(out, len, "%.4g", x);
}

rpt_outcome rpt_verdict(const lift_report *r, int v, char *text, size_t len)
{
    const rpt_metric *p = &r->metrics[0];
    const lift_result *res = rpt_result(r, 0, -1, v);
    const lift_comparison *c = &res->cmp;
    const char *t = r->variants[v], *name = p->name;
    char est[24], lo[24], hi[24], mde[24];
    rpt_pct(c->rel.estimate, est, sizeof est);
    rpt_pct(c->rel.lo, lo, sizeof lo);
    rpt_pct(c->rel.hi, hi, sizeof hi);
    rpt_pct(r->target_mde, mde, sizeof mde);
    int pct = (int)round(100 * (1 - r->opts.alpha));
    if (!c->rel.valid) {
        snprintf(text, len, "%s: no test of %s yet: %s.", t, name,
                 c->status != LIFT_TEST_OK ? lift_test_status_reason(c->status)
                                           : "not enough data");
        return RPT_UNTESTED;
    }
    const char *p_label = r->opts.correction != LIFT_CORRECT_NONE ? "adjusted p" : "p";
    double p_value = r->opts.correction != LIFT_CORRECT_NONE ? res->p_adjusted : c->rel.p_value;
    if (res->significant) {
        bool good = (c->rel.estimate > 0) != p->lower_is_better;
        snprintf(text, len, "%s %s %s by %s (%d%% CI %s to %s, %s %.2g).", t,
                 good ? "improved" : "worsened", name, est, pct, lo, hi, p_label, p_value);
        return good ? RPT_WIN : RPT_LOSS;
    }
    /* Significant alone but not within the family: say that the correction decided it. */
    char corrected[160] = "";
    if (r->opts.correction != LIFT_CORRECT_NONE && c->rel.p_value < r->opts.alpha)
        snprintf(corrected, sizeof corrected,
                 " (p %.2g alone, but %.2g after the %s correction over %zu comparisons)",
                 c->rel.p_value, res->p_adjusted,
                 r->opts.correction == LIFT_CORRECT_BH ? "Benjamini-Hochberg" : "Holm",
                 r->out.nresults);
    if (r->reached_sample && r->reached_duration) {
        snprintf(text, len,
                 "No detectable effect of %s on %s: the lift is between %s and %s (%d%% CI), "
                 "not significant%s, and the experiment had the planned power to detect %s.",
                 t, name, lo, hi, pct, corrected, mde);
        return RPT_FLAT;
    }
    char why[160] = "";
    if (r->have_plan && !r->reached_sample)
        snprintf(why, sizeof why, "%.0f of %.0f planned shoppers per variant", r->observed_min,
                 r->planned);
    if (!r->reached_duration)
        snprintf(why + strlen(why), sizeof why - strlen(why), "%s%.1f of at least 7 days",
                 *why ? "; " : "", r->days_run);
    snprintf(text, len,
             "Inconclusive for %s on %s: %s so far (%d%% CI %s to %s), not significant%s, "
             "and the experiment is underpowered (%s). Not evidence of no effect.",
             t, name, est, pct, lo, hi, corrected, *why ? why : "no plan could be computed");
    return RPT_INCONCLUSIVE;
}
