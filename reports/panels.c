/* The report's panels as text, shared by every renderer but JSON and CSV: the money, the
 * health checks (always shown) and the power and duration of every metric. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#define DAY_US 86400000000.0

const char *rpt_outcome_label(lift_outcome o)
{
    static const char *const labels[] = {"SHIP", "ROLL BACK", "KEEP RUNNING", "NO EFFECT",
                                         "INVALID"};
    return labels[o];
}

void rpt_role_text(const rpt_metric *m, char *out, size_t len)
{
    char margin[32] = "";
    if (m->role == LIFT_ROLE_GUARDRAIL && m->margin > 0)
        snprintf(margin, sizeof margin, ", margin %.3g%%", 100 * m->margin);
    snprintf(out, len, "(%s%s%s)", lift_role_name(m->role), margin,
             m->long_term ? ", long-term" : "");
}

static bool holdout(const lift_report *r)
{
    return !strcmp(r->kind, "holdout");
}

void rpt_money_text(const lift_report *r, int v, char *out, size_t len)
{
    out[0] = '\0';
    if (r->revenue < 0) {
        snprintf(out, len,
                 "No money metric: this experiment does not report revenue per "
                 "shopper, so its value in money is not measured.");
        return;
    }
    const lift_money *m = &r->money[v];
    const rpt_metric *rev = &r->metrics[r->revenue];
    if (!m->valid) {
        snprintf(out, len, "%s: no test of %s yet, so no amount of money can be stated.",
                 r->variants[v], rev->name);
        return;
    }
    char total[48], lo[48], hi[48], per[48], plo[48], phi[48], d[48], daily[48], treated[48],
        p30[48], p30lo[48], p30hi[48];
    rpt_money(r, m->total, total, sizeof total);
    rpt_money(r, m->total_ci.lo, lo, sizeof lo);
    rpt_money(r, m->total_ci.hi, hi, sizeof hi);
    rpt_delta(r, rev, m->per_shopper, per, sizeof per);
    rpt_delta(r, rev, m->per_shopper_ci.lo, plo, sizeof plo);
    rpt_delta(r, rev, m->per_shopper_ci.hi, phi, sizeof phi);
    rpt_count(m->treated, treated, sizeof treated);
    rpt_count(m->daily, daily, sizeof daily);
    rpt_money(r, m->per_30_days, p30, sizeof p30);
    rpt_money(r, m->per_30_days_ci.lo, p30lo, sizeof p30lo);
    rpt_money(r, m->per_30_days_ci.hi, p30hi, sizeof p30hi);
    snprintf(d, sizeof d, "%.4g%%", 100 * rpt_result(r, (size_t)r->revenue, -1, v)->ci_level);
    char who[160];
    if (holdout(r))
        snprintf(who, sizeof who, "Against the holdout, the personalization programme (%s)",
                 r->variants[v]);
    else
        snprintf(who, sizeof who, "%s", r->variants[v]);
    int n = snprintf(out, len,
                     "%s added %s over the experiment (%s CI %s to %s): %s per shopper (%s to "
                     "%s) times %s %s shoppers.",
                     who, total, d, lo, hi, per, plo, phi, treated, r->variants[v]);
    if (n < 0 || (size_t)n >= len)
        return;
    if (isfinite(m->per_30_days))
        snprintf(out + n, len - (size_t)n,
                 " At full rollout: %s per 30 days (%s to %s), assuming the %s shoppers a "
                 "day who entered the experiment over its %.0f days keep coming and all get "
                 "%s.",
                 p30, p30lo, p30hi, daily, r->days_run, r->variants[v]);
}

void rpt_money_table(const lift_report *r, rpt_table *t)
{
    static const char *const head[] = {"Variant", "Incremental revenue [CI]", "Per shopper [CI]",
                                       "Shoppers", "Per 30 days at full rollout [CI]"};
    rpt_table_init(t, 5, head);
    for (int v = 1; r->revenue >= 0 && v < r->nvariants; v++) {
        const lift_money *m = &r->money[v];
        const rpt_metric *rev = &r->metrics[r->revenue];
        char a[48], b[48], c[48], total[160], per[160], p30[160], treated[48];
        rpt_money(r, m->total, a, sizeof a);
        rpt_money(r, m->total_ci.lo, b, sizeof b);
        rpt_money(r, m->total_ci.hi, c, sizeof c);
        snprintf(total, sizeof total, "%s [%s, %s]", a, b, c);
        rpt_delta(r, rev, m->per_shopper, a, sizeof a);
        rpt_delta(r, rev, m->per_shopper_ci.lo, b, sizeof b);
        rpt_delta(r, rev, m->per_shopper_ci.hi, c, sizeof c);
        snprintf(per, sizeof per, "%s [%s, %s]", a, b, c);
        rpt_money(r, m->per_30_days, a, sizeof a);
        rpt_money(r, m->per_30_days_ci.lo, b, sizeof b);
        rpt_money(r, m->per_30_days_ci.hi, c, sizeof c);
        snprintf(p30, sizeof p30, "%s [%s, %s]", a, b, c);
        rpt_count(m->treated, treated, sizeof treated);
        const lift_label l = rpt_result(r, (size_t)r->revenue, -1, v)->label;
        rpt_table_row(t, lift_label_name(l),
                      (const char *[]){r->variants[v], m->valid ? total : "n/a",
                                       m->valid ? per : "n/a", treated, m->valid ? p30 : "n/a"});
    }
}

static void check(rpt_table *t, const char *name, const char *status, const char *detail)
{
    rpt_table_row(t,
                  !strcmp(status, "fail")   ? "loss"
                  : !strcmp(status, "warn") ? "warn"
                                            : "",
                  (const char *[]){name, status, detail});
}

/* "3.2 days before" / "5 hours before" the as-of. */
static void age(const lift_report *r, int64_t t, char *out, size_t len)
{
    char at[48];
    rpt_when(t, at, sizeof at);
    if (!t) {
        snprintf(out, len, "none");
        return;
    }
    double days = (double)(r->opts.as_of - t) / DAY_US;
    if (days < 1)
        snprintf(out, len, "%s (%.1f hours before the as-of)", at, 24 * days);
    else
        snprintf(out, len, "%s (%.1f days before the as-of)", at, days);
}

void rpt_health_table(const lift_report *r, rpt_table *t)
{
    static const char *const head[] = {"Check", "Status", "Detail"};
    rpt_table_init(t, 3, head);
    char d[1024], n[48], w[48];
    const lift_analysis_out *o = &r->out;

    /* Sample ratio. */
    d[0] = '\0';
    double total = 0, wsum = 0;
    for (int v = 0; v < r->nvariants; v++) {
        total += r->units[v];
        wsum += r->weights[v];
    }
    for (int v = 0; v < r->nvariants; v++) {
        rpt_count(r->units[v], n, sizeof n);
        snprintf(w, sizeof w, "%.1f%%", total > 0 ? 100 * r->units[v] / total : 0.0);
        snprintf(d + strlen(d), sizeof d - strlen(d), "%s%s %s (%s; planned %.1f%%)", v ? ", " : "",
                 r->variants[v], n, w, wsum > 0 ? 100 * r->weights[v] / wsum : 0);
    }
    if (o->has_srm) {
        char p[24];
        rpt_p(o->srm.p_value, p, sizeof p);
        snprintf(d + strlen(d), sizeof d - strlen(d),
                 "; chi-square %.2f (df %d), p %s; fails below p 0.001", o->srm.chi2, o->srm.df, p);
    }
    check(t, "Sample ratio", o->srm.flag ? "fail" : "pass", d);

    /* Shoppers who saw two variants. */
    double limit = r->opts.max_mixed_share > 0 ? r->opts.max_mixed_share : 0.01;
    rpt_count((double)r->mixed, n, sizeof n);
    snprintf(d, sizeof d,
             "%s shoppers (%.2f%% of all), excluded from every metric; fails above "
             "%.2g%%",
             n, 100 * o->mixed_share, 100 * limit);
    check(t, "Saw two variants", o->mixed_share > limit ? "fail" : "pass", d);

    /* Exposures outside the schedule. */
    if (r->start_at || r->end_at) {
        char s[48], e[48];
        rpt_when(r->start_at, s, sizeof s);
        rpt_when(r->end_at, e, sizeof e);
        rpt_count((double)r->outside, n, sizeof n);
        snprintf(d, sizeof d,
                 "%s shoppers first exposed before the start (%s) or after the end "
                 "(%s); they are analysed like the others",
                 n, s, e);
        check(t, "Outside the schedule", r->outside ? "warn" : "pass", d);
    } else {
        check(t, "Outside the schedule", "info",
              "no start_at / end_at set for the experiment: nothing to check against");
    }

    /* Pre-period. */
    d[0] = '\0';
    bool any = false, bad = false;
    for (size_t m = 0; m < r->nmetrics; m++)
        for (int v = 1; v < r->nvariants; v++) {
            const lift_comparison *c = &rpt_result(r, m, -1, v)->cmp;
            if (!c->pre_checked)
                continue;
            char p[24];
            rpt_p(c->pre_p_value, p, sizeof p);
            snprintf(d + strlen(d), sizeof d - strlen(d), "%s%s, %s: p %s", any ? "; " : "",
                     r->metrics[m].name, r->variants[v], p);
            any = true;
            bad |= c->pre_imbalance;
        }
    if (any)
        snprintf(d + strlen(d), sizeof d - strlen(d), " (fails below p 0.001)");
    check(t, "Pre-period balance",
          !any  ? "info"
          : bad ? "fail"
                : "pass",
          any ? d : "not run: no metric has a pre-period with CUPED on");

    /* Immature shoppers per metric. */
    d[0] = '\0';
    for (size_t m = 0; m < r->nmetrics; m++) {
        const rpt_metric *x = &r->metrics[m];
        double share = total > 0 ? (double)x->immature / total : 0;
        rpt_count((double)x->immature, n, sizeof n);
        snprintf(d + strlen(d), sizeof d - strlen(d), "%s%s %.0f%% (%s)", m ? ", " : "", x->name,
                 100 * share, n);
        if (x->long_term && x->days_to_mature > 0)
            snprintf(d + strlen(d), sizeof d - strlen(d), ", matures in %.0f days",
                     x->days_to_mature);
    }
    check(t, "Immature shoppers", "info", d);

    /* Freshness. */
    char e1[96], e2[96];
    age(r, r->latest_exposure, e1, sizeof e1);
    age(r, r->latest_event, e2, sizeof e2);
    snprintf(d, sizeof d, "latest exposure %s; latest event %s", e1, e2);
    check(t, "Freshness", r->latest_exposure ? "info" : "warn", d);

    /* Data path: the rollup, or raw data and why. */
    if (!strcmp(r->data_path, "rollup")) {
        age(r, r->refreshed_at, e1, sizeof e1);
        rpt_count((double)r->recomputed, n, sizeof n);
        snprintf(d, sizeof d,
                 "per-shopper rollup refreshed %s; %s shopper%s with newer data computed from "
                 "raw events",
                 e1, n, r->recomputed == 1 ? "" : "s");
    } else if (!strcmp(r->data_path, "exposure log")) {
        snprintf(d, sizeof d,
                 "raw exposure log and events: the as-of is before the latest "
                 "exposure");
    } else {
        snprintf(d, sizeof d,
                 "raw events: no rollup for these metrics (liftctl refresh "
                 "builds one)");
    }
    check(t, "Data", "info", d);

    /* Currency. */
    if (*r->currency) {
        rpt_count((double)r->excluded, n, sizeof n);
        snprintf(d, sizeof d, "money in %s (%s)%s%s%s%s", r->currency,
                 !strcmp(r->currency_source, "experiment") ? "the experiment's currency"
                 : !strcmp(r->currency_source, "store")    ? "the store's currency"
                                                           : "the only currency of the events",
                 r->excluded ? "; " : "; every event converted", r->excluded ? n : "",
                 r->excluded ? " events without an exchange rate for their day were left out: "
                             : "",
                 r->excluded ? r->excluded_currencies : "");
        check(t, "Currency", r->excluded ? "warn" : "pass", d);
    } else {
        check(t, "Currency", "info", "no event carries a value: no money to report");
    }
}

void rpt_power_table(const lift_report *r, rpt_table *t)
{
    static const char *const head[] = {"Metric",   "Role",    "Baseline", "Planned per variant",
                                       "Has",      "Reached", "MDE now",  "Plan (days)",
                                       "Days left"};
    rpt_table_init(t, 9, head);
    for (size_t m = 0; m < r->nmetrics; m++) {
        const rpt_metric *x = &r->metrics[m];
        const rpt_power *p = &x->power;
        char role[64], base[48], need[256] = "", has[256] = "", mde[160] = "", days[32], left[32];
        rpt_role_text(x, role, sizeof role);
        rpt_value(r, x, p->baseline, base, sizeof base);
        for (int v = 0; v < r->nvariants; v++) {
            char a[48], b[48];
            rpt_count(p->need[v], a, sizeof a);
            rpt_count(x->arms[v].n, b, sizeof b);
            snprintf(need + strlen(need), sizeof need - strlen(need), "%s%s", v ? " / " : "", a);
            snprintf(has + strlen(has), sizeof has - strlen(has), "%s%s", v ? " / " : "", b);
            if (v > 0) {
                char e[32];
                rpt_pct(p->mde_now[v], e, sizeof e);
                snprintf(mde + strlen(mde), sizeof mde - strlen(mde), "%s%s", v > 1 ? " / " : "",
                         e);
            }
        }
        snprintf(days, sizeof days, p->plan_days >= 0 ? "%d" : "n/a", p->plan_days);
        if (isfinite(p->days_left))
            snprintf(left, sizeof left, "%.0f", p->days_left);
        else
            snprintf(left, sizeof left, "n/a");
        rpt_table_row(t, p->have && !p->reached ? "warn" : "",
                      (const char *[]){x->name, role, base, p->have ? need : "no baseline yet", has,
                                       p->have ? (p->reached ? "yes" : "no") : "n/a", mde, days,
                                       left});
    }
}
