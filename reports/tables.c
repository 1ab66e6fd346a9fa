/* The report's result tables and method notes as text, shared by the Markdown, HTML and
 * terminal renderers: every cell in words and fixed decimals, every row with its label. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/statsjson.h"
#include "lift/xalloc.h"
#include "model.h"

void rpt_table_init(rpt_table *t, int ncols, const char *const *head)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->head = head;
}

void rpt_table_row(rpt_table *t, const char *tag, const char *const *cells)
{
    t->cells = lift_xrealloc(t->cells, (t->nrows + 1) * (size_t)t->ncols * sizeof *t->cells);
    t->tags = lift_xrealloc(t->tags, (t->nrows + 1) * sizeof *t->tags);
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = lift_xstrdup(cells[i]);
    t->tags[t->nrows++] = lift_xstrdup(tag);
}

void rpt_table_fini(rpt_table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    for (size_t i = 0; i < t->nrows; i++)
        free(t->tags[i]);
    free(t->cells);
    free(t->tags);
    memset(t, 0, sizeof *t);
}

/* "+12.3% [+8.1%, +16.6%]" (relative) or "+2.23 pp [+1.01, +3.45]" (absolute), with the
 * interval shown: the one that agrees with the result's call. */
static void with_ci(const lift_report *r, const lift_result *res, bool relative,
                    const rpt_metric *m, char *out, size_t len)
{
    const lift_estimate *e = relative ? &res->cmp.rel : &res->cmp.abs;
    const lift_interval *ci = relative ? &res->rel_ci : &res->abs_ci;
    char a[48], lo[48], hi[48];
    if (!e->valid) {
        snprintf(out, len, "n/a");
        return;
    }
    if (relative) {
        rpt_pct(e->estimate, a, sizeof a);
        rpt_pct(ci->lo, lo, sizeof lo);
        rpt_pct(ci->hi, hi, sizeof hi);
    } else {
        rpt_delta(r, m, e->estimate, a, sizeof a);
        rpt_delta(r, m, ci->lo, lo, sizeof lo);
        rpt_delta(r, m, ci->hi, hi, sizeof hi);
    }
    snprintf(out, len, "%s [%s, %s]", a, lo, hi);
}

/* The cells of one result: control, treatment, difference, lift, level, p, adjusted p,
 * shoppers, result. */
enum { C_CONTROL, C_TREATMENT, C_ABS, C_REL, C_LEVEL, C_P, C_ADJ, C_UNITS, C_LABEL, C_N };

static void result_cells(const lift_report *r, const lift_result *res, const rpt_metric *m,
                         char cells[C_N][192])
{
    const lift_comparison *c = &res->cmp;
    char a[32], b[32];
    rpt_value(r, m, c->control.n > 0 ? c->control.mean : (double)NAN, cells[C_CONTROL], 192);
    rpt_value(r, m, c->treatment.n > 0 ? c->treatment.mean : (double)NAN, cells[C_TREATMENT], 192);
    with_ci(r, res, false, m, cells[C_ABS], 192);
    with_ci(r, res, true, m, cells[C_REL], 192);
    snprintf(cells[C_LEVEL], 192, "%.4g%%%s", 100 * res->ci_level,
             m->role == LIFT_ROLE_GUARDRAIL ? " (one-sided test)" : "");
    rpt_p(c->rel.valid ? c->rel.p_value : (double)NAN, cells[C_P], 192);
    rpt_p(res->p_adjusted, cells[C_ADJ], 192);
    if (m->role == LIFT_ROLE_GUARDRAIL)
        snprintf(cells[C_ADJ], 192, "guardrail");
    snprintf(cells[C_UNITS], 192, "%s / %s", (rpt_count(c->control.n, a, sizeof a), a),
             (rpt_count(c->treatment.n, b, sizeof b), b));
    if (c->status != LIFT_TEST_OK && !c->rel.valid)
        snprintf(cells[C_LABEL], 192, "untested (%s)", lift_test_status_name(c->status));
    else if (m->role == LIFT_ROLE_GUARDRAIL && res->harm)
        snprintf(cells[C_LABEL], 192, "loss (beyond the margin)");
    else
        snprintf(cells[C_LABEL], 192, "%s", lift_label_name(res->label));
}

void rpt_metric_table(const lift_report *r, size_t m, rpt_table *t)
{
    static const char *const head[] = {"Variant",
                                       "Control",
                                       "Treatment",
                                       "Difference [CI]",
                                       "Lift [CI]",
                                       "CI level",
                                       "p",
                                       "Adjusted p",
                                       "Shoppers (control / treatment)",
                                       "Result"};
    rpt_table_init(t, 10, head);
    for (int v = 1; v < r->nvariants; v++) {
        const lift_result *res = rpt_result(r, m, -1, v);
        char c[C_N][192];
        result_cells(r, res, &r->metrics[m], c);
        const char *cells[] = {r->variants[v], c[C_CONTROL], c[C_TREATMENT], c[C_ABS],
                               c[C_REL],       c[C_LEVEL],   c[C_P],         c[C_ADJ],
                               c[C_UNITS],     c[C_LABEL]};
        rpt_table_row(t, lift_label_name(res->label), cells);
    }
}

void rpt_segment_table(const lift_report *r, const char *attr, rpt_table *t)
{
    static const char *const head[] = {"Segment",  "Metric",     "Variant",
                                       "Control",  "Treatment",  "Lift [CI]",
                                       "CI level", "Adjusted p", "Shoppers (control / treatment)",
                                       "Result"};
    rpt_table_init(t, 10, head);
    for (size_t s = 0; s < r->nsegments; s++) {
        if (strcmp(r->segments[s].attr, attr) != 0)
            continue;
        for (size_t m = 0; m < r->nmetrics; m++)
            for (int v = 1; v < r->nvariants; v++) {
                const lift_result *res = rpt_result(r, m, (int)s, v);
                char c[C_N][192];
                result_cells(r, res, &r->metrics[m], c);
                const char *cells[] = {
                    r->segments[s].value, r->metrics[m].name, r->variants[v], c[C_CONTROL],
                    c[C_TREATMENT],       c[C_REL],           c[C_LEVEL],     c[C_ADJ],
                    c[C_UNITS],           c[C_LABEL]};
                rpt_table_row(t, lift_label_name(res->label), cells);
            }
    }
}

const char *rpt_correction_text(lift_correction c)
{
    return c == LIFT_CORRECT_BH     ? "Benjamini-Hochberg"
           : c == LIFT_CORRECT_HOLM ? "Holm-Bonferroni"
                                    : "no correction";
}

void rpt_method_notes(const lift_report *r, rpt_table *t)
{
    static const char *const head[] = {""};
    rpt_table_init(t, 1, head);
    char n[640];
    int pct = (int)round(100 * (1 - r->opts.alpha));
    snprintf(n, sizeof n,
             "Each treatment is compared with the control by Welch's t-test with "
             "Welch-Satterthwaite degrees of freedom; relative lifts use the delta method; "
             "%d%% intervals, two-sided, unless a correction or a guardrail says otherwise "
             "(the CI level column).",
             pct);
    rpt_table_row(t, "", (const char *[]){n});
    if (r->opts.sequential) {
        snprintf(n, sizeof n,
                 "Sequential testing is on: intervals and p-values are always-valid "
                 "(asymptotic confidence sequences, N* = %.0f), so looking early is safe; the "
                 "cumulative band over time is always-valid too.",
                 r->opts.tuning);
        rpt_table_row(t, "", (const char *[]){n});
    }
    snprintf(n, sizeof n,
             "Multiple comparisons: %s over the %zu whole-experiment results of the metrics "
             "that are not guardrails (metrics x treatments); each segment breakdown is "
             "corrected within its own family. Intervals are drawn at the level that agrees "
             "with the corrected call (%s).",
             rpt_correction_text(r->opts.correction), rpt_family_size(r),
             r->opts.correction == LIFT_CORRECT_BH
                 ? "Benjamini-Yekutieli false-coverage-rate intervals"
             : r->opts.correction == LIFT_CORRECT_HOLM
                 ? "Bonferroni intervals over the hypotheses Holm kept"
                 : "no adjustment");
    rpt_table_row(t, "", (const char *[]){n});
    rpt_table_row(
        t, "",
        (const char *[]){"Guardrails are tested one-sided at alpha, uncorrected (a correction "
                         "would make a loss easier to miss); a loss beyond the guardrail's "
                         "margin rolls back, and so does a significant loss of the primary, a "
                         "long-term metric or revenue per shopper."});
    rpt_table_row(
        t, "",
        (const char *[]){"A shopper's variant and start (t0) are those of the first "
                         "exposure; shoppers exposed to more than one variant are "
                         "excluded. Events count from t0 to the end of each metric's window; "
                         "refunds count against revenue."});
    if (*r->currency) {
        snprintf(n, sizeof n,
                 "Money is in %s (%s). Events in other currencies are converted at their "
                 "day's rate from lift.fx_rates; an event without a rate is left out "
                 "(%ld were).",
                 r->currency,
                 !strcmp(r->currency_source, "experiment") ? "the experiment's currency"
                 : !strcmp(r->currency_source, "store")    ? "the store's currency"
                                                           : "the one currency of the events",
                 r->excluded);
        rpt_table_row(t, "", (const char *[]){n});
    }
    for (size_t m = 0; m < r->nmetrics; m++) {
        const rpt_metric *x = &r->metrics[m];
        char extra[300] = "", role[64];
        if (!isnan(x->cap)) {
            char cap[48];
            rpt_value(r, x, x->cap, cap, sizeof cap);
            snprintf(extra, sizeof extra,
                     "; values capped at %s (the %.1fth percentile of the pooled per-shopper "
                     "values, linear interpolation)",
                     cap, 100 * x->winsor_pct);
        }
        if (r->opts.cuped && x->has_pre)
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                     "; CUPED with the %.0f days before t0", x->pre_days);
        if (x->immature)
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                     "; %ld shoppers left out whose window had not ended", x->immature);
        rpt_role_text(x, role, sizeof role);
        snprintf(n, sizeof n, "%s %s: %s, %.0f-day window%s.", x->name, role, x->description,
                 x->window_days, extra);
        rpt_table_row(t, "", (const char *[]){n});
    }
}
