/* The decision per treatment (docs/statistics.md, Decisions): labels for every result, then one
 * outcome with its reasons, in words. Reports and `liftctl stats` both call this, so they
 * cannot disagree. The rules, in order:
 *   invalid       sample ratio mismatch, pre-period imbalance, or too many shoppers who saw
 *                 more than one variant: nothing else can be concluded;
 *   rollback      the primary, a guardrail (one-sided, beyond its margin), a long-term
 *                 metric or the money metric (revenue per shopper) is significantly worse;
 *   ship          the primary is significantly better, nothing above is worse, the plan is
 *                 reached (or the test is sequential) and the long-term metrics matured;
 *   no_effect     the primary is not significant with the planned sample and duration;
 *   keep_running  otherwise: underpowered or immature, with the days left to the plan.
 * Losses that decide nothing alone (a secondary metric) and trade-offs are reasons too: a
 * loss is never left unsaid. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/stats.h"
#include "lift/text.h"

#define MIN_DAYS          7    /* whole weeks: weekday effects */
#define DEFAULT_MAX_MIXED 0.01 /* shoppers who saw two variants, as a share of all */

const char *lift_role_name(lift_role r)
{
    static const char *const names[] = {"secondary", "primary", "guardrail"};
    return names[r];
}

int lift_role_parse(const char *name)
{
    for (int r = 0; r < 3; r++)
        if (!strcmp(name, lift_role_name((lift_role)r)))
            return r;
    return -1;
}

const char *lift_label_name(lift_label l)
{
    static const char *const names[] = {"untested", "win", "loss", "flat", "inconclusive"};
    return names[l];
}

const char *lift_outcome_name(lift_outcome o)
{
    static const char *const names[] = {"ship", "rollback", "keep_running", "no_effect", "invalid"};
    return names[o];
}

const char *lift_reason_name(lift_reason_code c)
{
    static const char *const names[] = {
        [LIFT_REASON_SRM] = "srm",
        [LIFT_REASON_PRE_PERIOD_IMBALANCE] = "pre_period_imbalance",
        [LIFT_REASON_MIXED_EXPOSURES] = "mixed_exposures",
        [LIFT_REASON_PRIMARY_LOSS] = "primary_loss",
        [LIFT_REASON_GUARDRAIL_LOSS] = "guardrail_loss",
        [LIFT_REASON_LONG_TERM_LOSS] = "long_term_loss",
        [LIFT_REASON_REVENUE_LOSS] = "revenue_loss",
        [LIFT_REASON_TRADEOFF] = "tradeoff",
        [LIFT_REASON_METRIC_LOSS] = "metric_loss",
        [LIFT_REASON_PRIMARY_WIN] = "primary_win",
        [LIFT_REASON_PRIMARY_FLAT] = "primary_flat",
        [LIFT_REASON_UNDERPOWERED] = "underpowered",
        [LIFT_REASON_IMMATURE] = "immature",
    };
    return names[c];
}

int lift_stats_primary(const lift_analysis *a)
{
    int first = -1;
    for (size_t i = 0; i < a->nmetrics; i++) {
        if (a->metrics[i].segment)
            continue;
        if (a->metrics[i].role == LIFT_ROLE_PRIMARY)
            return (int)i;
        if (first < 0)
            first = (int)i;
    }
    return first;
}

/* --- words --------------------------------------------------------------------------- */

static const char *name_of(const lift_metric_input *m)
{
    return m->name ? m->name : m->key;
}

static void variant_name(const lift_analysis *a, int v, char *out, size_t len)
{
    if (a->variant_names)
        snprintf(out, len, "%s", a->variant_names[v]);
    else
        snprintf(out, len, "variant %d", v);
}

/* "+12.3%", with two decimals under 0.1%. */
static void pct(double x, char *out, size_t len)
{
    if (!isfinite(x))
        snprintf(out, len, "n/a");
    else
        snprintf(out, len, "%+.*f%%", fabs(x) < 0.001 ? 2 : 1, 100 * x);
}

/* "12,345": whole units with thousands separators. */
static void count(double n, char *out, size_t len)
{
    lift_fmt_grouped(out, len, n, 0, false);
}

/* "p 0.012", "p < 0.0001" */
static void pval(const char *what, double p, char *out, size_t len)
{
    if (p < 0.0001)
        snprintf(out, len, "%s < 0.0001", what);
    else
        snprintf(out, len, "%s %.2g", what, p);
}

/* "+12.3% (95% CI +8.1% to +16.6%, adjusted p 0.0004)" for the result's shown interval. */
static void effect(const lift_analysis *a, const lift_result *x, char *out, size_t len)
{
    char e[24], lo[24], hi[24], p[48];
    pct(x->cmp.rel.estimate, e, sizeof e);
    pct(x->rel_ci.lo, lo, sizeof lo);
    pct(x->rel_ci.hi, hi, sizeof hi);
    if (a->metrics[x->metric].role == LIFT_ROLE_GUARDRAIL) { /* its test is one-sided */
        snprintf(out, len, "%s (%.4g%% CI %s to %s)", e, 100 * x->ci_level, lo, hi);
        return;
    }
    if (!isnan(x->p_adjusted) && a->correction != LIFT_CORRECT_NONE)
        pval("adjusted p", x->p_adjusted, p, sizeof p);
    else
        pval("p", x->cmp.rel.p_value, p, sizeof p);
    snprintf(out, len, "%s (%.4g%% CI %s to %s, %s)", e, 100 * x->ci_level, lo, hi, p);
}

static int add(lift_decision *d, size_t cap, lift_reason_code code, int metric, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));

static int add(lift_decision *d, size_t cap, lift_reason_code code, int metric, const char *fmt,
               ...)
{
    if (d->nreasons == cap)
        return 0;
    lift_reason *r = &d->reasons[d->nreasons++];
    r->code = code;
    r->metric = metric;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof r->text, fmt, ap);
    va_end(ap);
    return 1;
}

/* --- where the experiment stands ----------------------------------------------------- */

typedef struct standing {
    bool plan, sample, duration, mature;
    double days_left; /* NAN: unknown */
    double mature_days;
} standing;

/* The duration a plan needs: its planned days, never under a week. */
static double planned_days(const lift_progress *p)
{
    return fmax(MIN_DAYS, p->days_planned > 0 ? p->days_planned : 0);
}

static bool long_term_mature(const lift_metric_input *m)
{
    return !m->long_term || !(m->days_to_mature > 0);
}

/* Whether result x reached the plan: its arms have the planned units and the experiment
 * ran its planned duration. */
static bool reached(const lift_analysis *a, const lift_result *x)
{
    const lift_progress *p = &a->progress;
    if (!p->planned)
        return false;
    if (x->cmp.control.n < p->planned[0] || x->cmp.treatment.n < p->planned[x->variant])
        return false;
    if (p->days_run > 0 && p->days_run < planned_days(p))
        return false;
    return long_term_mature(&a->metrics[x->metric]);
}

static standing stand(const lift_analysis *a, const lift_result *primary)
{
    const lift_progress *p = &a->progress;
    standing s = {.plan = p->planned != NULL, .mature = true, .mature_days = 0};
    double need_days = 0;
    bool unknown = false;
    double floor_days = planned_days(p);
    s.duration = !(p->days_run > 0) || p->days_run >= floor_days;
    if (!s.duration)
        need_days = floor_days - p->days_run;
    if (s.plan && primary) {
        const double n[2] = {primary->cmp.control.n, primary->cmp.treatment.n};
        const double want[2] = {p->planned[0], p->planned[primary->variant]};
        s.sample = n[0] >= want[0] && n[1] >= want[1];
        for (int i = 0; i < 2; i++) {
            if (n[i] >= want[i])
                continue;
            if (!(p->days_run > 0) || !(n[i] > 0))
                unknown = true;
            else
                need_days = fmax(need_days, (want[i] - n[i]) / (n[i] / p->days_run));
        }
    } else {
        unknown = true;
    }
    for (size_t i = 0; i < a->nmetrics; i++)
        if (!a->metrics[i].segment && !long_term_mature(&a->metrics[i])) {
            s.mature = false;
            s.mature_days = fmax(s.mature_days, a->metrics[i].days_to_mature);
        }
    if (p->days_to_plan > 0 && (!s.sample || !s.duration)) {
        need_days = p->days_to_plan;
        unknown = false;
    }
    need_days = fmax(need_days, s.mature_days);
    s.days_left = unknown ? (double)NAN : ceil(need_days);
    return s;
}

/* --- labels -------------------------------------------------------------------------- */

static bool good_direction(const lift_metric_input *m, double estimate)
{
    return (estimate > 0) != m->lower_is_better;
}

static void label(const lift_analysis *a, lift_result *x)
{
    const lift_metric_input *m = &a->metrics[x->metric];
    if (!x->cmp.rel.valid)
        x->label = LIFT_LABEL_UNTESTED;
    else if (x->significant)
        x->label = good_direction(m, x->cmp.rel.estimate) ? LIFT_LABEL_WIN : LIFT_LABEL_LOSS;
    else
        x->label = reached(a, x) ? LIFT_LABEL_FLAT : LIFT_LABEL_INCONCLUSIVE;
}

/* --- one treatment ------------------------------------------------------------------- */

static const lift_result *result(const lift_analysis *a, const lift_analysis_out *out, int m, int v)
{
    return &out->results[(size_t)m * (size_t)(a->nvariants - 1) + (size_t)(v - 1)];
}

static int revenue_metric(const lift_analysis *a)
{
    const char *key = a->revenue_key ? a->revenue_key : "revenue_per_shopper";
    for (size_t i = 0; i < a->nmetrics; i++)
        if (!a->metrics[i].segment && !strcmp(a->metrics[i].key, key) &&
            a->metrics[i].kind == LIFT_KIND_MEAN)
            return (int)i;
    return -1;
}

static void validity(const lift_analysis *a, const lift_analysis_out *out, int v, lift_decision *d,
                     size_t cap)
{
    if (out->has_srm && out->srm.flag) {
        char p[48];
        pval("p", out->srm.p_value, p, sizeof p);
        add(d, cap, LIFT_REASON_SRM, -1,
            "Sample ratio mismatch: the shoppers per variant do not match the planned split "
            "(chi-square %.1f, %s). Assignment or logging is broken; no lift can be trusted "
            "until that is explained.",
            out->srm.chi2, p);
    }
    for (size_t i = 0; i < a->nmetrics; i++) {
        const lift_result *x = result(a, out, (int)i, v);
        if (a->metrics[i].segment || !x->cmp.pre_imbalance)
            continue;
        char p[48];
        pval("p", x->cmp.pre_p_value, p, sizeof p);
        add(d, cap, LIFT_REASON_PRE_PERIOD_IMBALANCE, (int)i,
            "%s already differed between the arms before the experiment (pre-period %s): "
            "the randomization is suspect.",
            name_of(&a->metrics[i]), p);
    }
    double limit =
        a->progress.max_mixed_share > 0 ? a->progress.max_mixed_share : DEFAULT_MAX_MIXED;
    if (out->mixed_share > limit) {
        char n[40];
        count(a->progress.mixed, n, sizeof n);
        add(d, cap, LIFT_REASON_MIXED_EXPOSURES, -1,
            "%.2g%% of shoppers (%s) saw more than one variant, above the %.2g%% limit: "
            "exposure logging or shopper identity is broken.",
            100 * out->mixed_share, n, 100 * limit);
    }
}

/* Losses, wins and trade-offs; returns whether one of them is a rollback. */
static bool effects(const lift_analysis *a, const lift_analysis_out *out, int v, int primary,
                    lift_decision *d, size_t cap)
{
    bool rollback = false;
    int revenue = revenue_metric(a);
    int win = -1, loss = -1;
    char e[160], vn[80];
    variant_name(a, v, vn, sizeof vn);
    for (size_t i = 0; i < a->nmetrics; i++) {
        const lift_metric_input *m = &a->metrics[i];
        const lift_result *x = result(a, out, (int)i, v);
        if (m->segment)
            continue;
        if (x->label == LIFT_LABEL_WIN && win < 0)
            win = (int)i;
        if (x->label == LIFT_LABEL_LOSS && loss < 0)
            loss = (int)i;
        if ((int)i == primary || (x->label != LIFT_LABEL_LOSS && !x->harm))
            continue;
        effect(a, x, e, sizeof e);
        if (m->role == LIFT_ROLE_GUARDRAIL && x->harm) {
            char bound[24], margin[24], p[48];
            pct(m->lower_is_better ? x->rel_ci.lo : x->rel_ci.hi, bound, sizeof bound);
            pct(m->lower_is_better ? m->margin : -m->margin, margin, sizeof margin);
            pval("one-sided p", x->harm_p, p, sizeof p);
            add(d, cap, LIFT_REASON_GUARDRAIL_LOSS, (int)i,
                "Guardrail %s got worse under %s: %s; even its best case, %s, is beyond the "
                "%s it may lose (%s).",
                name_of(m), vn, e, bound, margin, p);
            rollback = true;
        } else if (m->long_term) {
            add(d, cap, LIFT_REASON_LONG_TERM_LOSS, (int)i,
                "Long-term metric %s got worse: %s. A short-term gain that costs long-term "
                "value loses money.",
                name_of(m), e);
            rollback = true;
        } else if ((int)i == revenue && m->role != LIFT_ROLE_GUARDRAIL) {
            add(d, cap, LIFT_REASON_REVENUE_LOSS, (int)i, "%s, the money metric, got worse: %s.",
                name_of(m), e);
            rollback = true;
        } else {
            add(d, cap, LIFT_REASON_METRIC_LOSS, (int)i, "%s got worse: %s%s.", name_of(m), e,
                m->role == LIFT_ROLE_GUARDRAIL ? ", within the loss its guardrail tolerates"
                                               : "; a secondary metric decides nothing alone");
        }
    }
    if (win >= 0 && loss >= 0) {
        char money[240];
        if (revenue >= 0) {
            const lift_result *x = result(a, out, revenue, v);
            effect(a, x, e, sizeof e);
            snprintf(money, sizeof money, "%s, which counts both, changed %s: %s",
                     name_of(&a->metrics[revenue]), e,
                     x->label == LIFT_LABEL_WIN    ? "the trade-off pays"
                     : x->label == LIFT_LABEL_LOSS ? "the trade-off loses money"
                                                   : "not significant either way");
        } else {
            snprintf(money, sizeof money,
                     "there is no revenue-per-shopper metric to say whether it pays");
        }
        add(d, cap, LIFT_REASON_TRADEOFF, loss, "%s improved but %s got worse: %s.",
            name_of(&a->metrics[win]), name_of(&a->metrics[loss]), money);
    }
    return rollback;
}

static void plan_words(const lift_analysis *a, const lift_result *x, const standing *s, char *out,
                       size_t len)
{
    const lift_progress *p = &a->progress;
    out[0] = '\0';
    if (!s->plan) {
        snprintf(out, len,
                 "no plan was given (shoppers per variant), so the test's power is "
                 "unknown");
        return;
    }
    if (!s->sample) {
        char n0[40], w0[40], n1[40], w1[40];
        count(x->cmp.control.n, n0, sizeof n0);
        count(p->planned[0], w0, sizeof w0);
        count(x->cmp.treatment.n, n1, sizeof n1);
        count(p->planned[x->variant], w1, sizeof w1);
        snprintf(out, len, "%s of %s planned shoppers in control and %s of %s in treatment", n0, w0,
                 n1, w1);
    }
    if (!s->duration)
        snprintf(out + strlen(out), len - strlen(out), "%s%.1f of %.0f planned days",
                 *out ? "; " : "", p->days_run, planned_days(p));
}

static void decide_variant(const lift_analysis *a, const lift_analysis_out *out, int v,
                           lift_decision *d, size_t cap)
{
    int primary = lift_stats_primary(a);
    const lift_result *px = primary >= 0 ? result(a, out, primary, v) : NULL;
    const lift_metric_input *pm = primary >= 0 ? &a->metrics[primary] : NULL;
    standing s = stand(a, px);
    char vn[80], e[160], why[320];
    variant_name(a, v, vn, sizeof vn);
    d->variant = v;
    d->days_left = (double)NAN;

    validity(a, out, v, d, cap);
    bool invalid = d->nreasons > 0;
    bool rollback = false, win = false;
    if (px && px->label == LIFT_LABEL_LOSS) {
        effect(a, px, e, sizeof e);
        add(d, cap, LIFT_REASON_PRIMARY_LOSS, primary, "%s got worse under %s: %s.", name_of(pm),
            vn, e);
        rollback = true;
    }
    rollback |= effects(a, out, v, primary, d, cap);
    if (px && px->label == LIFT_LABEL_WIN) {
        effect(a, px, e, sizeof e);
        add(d, cap, LIFT_REASON_PRIMARY_WIN, primary, "%s improved under %s: %s.", name_of(pm), vn,
            e);
        win = true;
    }
    bool powered = s.plan && s.sample && s.duration;
    bool early_ok = a->opts.sequential && s.duration; /* always-valid: looking early is fine */
    if (px && px->label == LIFT_LABEL_FLAT && s.mature) {
        char mde[64] = "";
        if (a->progress.mde > 0 && isfinite(a->progress.mde)) {
            char m[24];
            pct(a->progress.mde, m, sizeof m);
            snprintf(mde, sizeof mde, ", planned to detect %s", m);
        }
        effect(a, px, e, sizeof e);
        add(d, cap, LIFT_REASON_PRIMARY_FLAT, primary,
            "%s showed no significant change: %s with the planned sample and duration%s.",
            name_of(pm), e, mde);
    }
    if (!px || !px->cmp.rel.valid) {
        add(d, cap, LIFT_REASON_UNDERPOWERED, primary, "No test of %s yet: %s.",
            pm ? name_of(pm) : "a primary metric",
            px ? lift_test_status_reason(px->cmp.status) : "the analysis has no metric");
    } else if (!powered && !(win && early_ok)) {
        plan_words(a, px, &s, why, sizeof why);
        if (win)
            add(d, cap, LIFT_REASON_UNDERPOWERED, primary,
                "The win came before the plan (%s): a fixed-horizon test is read once, at the "
                "planned sample and duration; looks before it inflate false wins (sequential "
                "testing allows them).",
                why);
        else
            add(d, cap, LIFT_REASON_UNDERPOWERED, primary,
                "Underpowered: %s. Not significant yet is not evidence of no effect.", why);
    }
    for (size_t i = 0; i < a->nmetrics; i++) {
        const lift_metric_input *m = &a->metrics[i];
        if (!m->segment && !long_term_mature(m))
            add(d, cap, LIFT_REASON_IMMATURE, (int)i,
                "%s is a long-term metric: its window runs out for the planned shoppers in "
                "%.0f days; until then a long-term loss cannot be ruled out.",
                name_of(m), ceil(m->days_to_mature));
    }

    if (invalid) {
        static const char *const what[] = {[LIFT_REASON_SRM] = "sample ratio mismatch",
                                           [LIFT_REASON_PRE_PERIOD_IMBALANCE] =
                                               "pre-period imbalance",
                                           [LIFT_REASON_MIXED_EXPOSURES] = "mixed exposures"};
        d->outcome = LIFT_OUTCOME_INVALID;
        snprintf(d->summary, sizeof d->summary,
                 "Invalid: %s cannot be judged until the %s is explained; its lifts are not "
                 "trustworthy.",
                 vn, what[d->reasons[0].code]);
    } else if (rollback) {
        const lift_reason *first = d->reasons;
        while (first->code != LIFT_REASON_PRIMARY_LOSS &&
               first->code != LIFT_REASON_GUARDRAIL_LOSS &&
               first->code != LIFT_REASON_LONG_TERM_LOSS && first->code != LIFT_REASON_REVENUE_LOSS)
            first++;
        d->outcome = LIFT_OUTCOME_ROLLBACK;
        snprintf(d->summary, sizeof d->summary, "Roll back %s. %s", vn, first->text);
    } else if (win && (powered || early_ok) && s.mature) {
        d->outcome = LIFT_OUTCOME_SHIP;
        effect(a, px, e, sizeof e);
        snprintf(d->summary, sizeof d->summary,
                 "Ship %s: %s improved %s, and neither a guardrail nor a long-term metric got "
                 "worse.",
                 vn, name_of(pm), e);
    } else if (px && px->label == LIFT_LABEL_FLAT && s.mature) {
        d->outcome = LIFT_OUTCOME_NO_EFFECT;
        snprintf(d->summary, sizeof d->summary,
                 "No effect: %s did not move %s with the planned sample and duration.", vn,
                 name_of(pm));
    } else {
        d->outcome = LIFT_OUTCOME_KEEP_RUNNING;
        d->days_left = s.days_left;
        char left[64] = "";
        if (isfinite(s.days_left))
            snprintf(left, sizeof left, "; about %.0f more day%s to the plan", s.days_left,
                     s.days_left == 1 ? "" : "s");
        char now[240] = "";
        if (px && px->cmp.rel.valid) {
            effect(a, px, e, sizeof e);
            snprintf(now, sizeof now, " (%s so far: %s)", name_of(pm), e);
        }
        snprintf(d->summary, sizeof d->summary, "Keep %s running: %s%s%s.", vn,
                 !s.mature && (powered || (win && early_ok)) ? "long-term metrics still maturing"
                 : win ? "a win before the plan is not yet a result"
                       : "not enough evidence yet",
                 now, left);
    }
}

int lift_stats_decide(const lift_analysis *a, lift_analysis_out *out, lift_err *err)
{
    for (size_t i = 0; i < out->ndecisions; i++)
        free(out->decisions[i].reasons);
    free(out->decisions);
    out->decisions = NULL;
    out->ndecisions = 0;
    const lift_progress *p = &a->progress;
    double seen = p->mixed > 0 ? p->mixed : 0;
    for (int v = 0; a->units && v < a->nvariants; v++)
        seen += a->units[v];
    out->mixed_share = seen > 0 && p->mixed > 0 ? p->mixed / seen : 0;
    for (size_t i = 0; i < out->nresults; i++)
        label(a, &out->results[i]);
    size_t k = (size_t)a->nvariants - 1, cap = 3 * a->nmetrics + 8;
    lift_decision *d = calloc(k, sizeof *d);
    if (!d)
        return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    out->decisions = d;
    out->ndecisions = k;
    for (size_t i = 0; i < k; i++) {
        d[i].reasons = calloc(cap, sizeof *d[i].reasons);
        if (!d[i].reasons)
            return lift_err_set(err, LIFT_ENOMEM, "out of memory");
        decide_variant(a, out, (int)i + 1, &d[i], cap);
    }
    return LIFT_OK;
}
