/* The report's tables and notes as text, shared by the Markdown and HTML renderers. */
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

/* "+12.3% [+8.1%, +16.6%]" */
static void with_ci(const lift_estimate *e, bool relative, const rpt_metric *m, char *out,
                    size_t len)
{
    char a[24], lo[24], hi[24];
    if (!e->valid) {
        snprintf(out, len, "n/a");
        return;
    }
    if (relative) {
        rpt_pct(e->estimate, a, sizeof a);
        rpt_pct(e->lo, lo, sizeof lo);
        rpt_pct(e->hi, hi, sizeof hi);
    } else if (m->kind == LIFT_KIND_PROPORTION) {
        snprintf(a, sizeof a, "%+.2f pp", 100 * e->estimate);
        snprintf(lo, sizeof lo, "%+.2f", 100 * e->lo);
        snprintf(hi, sizeof hi, "%+.2f", 100 * e->hi);
    } else {
        snprintf(a, sizeof a, "%+.4g", e->estimate);
        snprintf(lo, sizeof lo, "%+.4g", e->lo);
        snprintf(hi, sizeof hi, "%+.4g", e->hi);
    }
    snprintf(out, len, "%s [%s, %s]", a, lo, hi);
}

static const char *tag_of(const lift_result *res, const rpt_metric *m)
{
    if (!res->significant)
        return "";
    return (res->cmp.rel.estimate > 0) != m->lower_is_better ? "win" : "loss";
}

/* Cells of one result: control, treatment, absolute, relative, p, adj. p, shoppers. */
static void result_cells(const lift_report *r, const lift_result *res, const rpt_metric *m,
                         char cells[][96])
{
    const lift_comparison *c = &res->cmp;
    rpt_value(m, c->control.n > 0 ? c->control.mean : (double)NAN, cells[0], 96);
    rpt_value(m, c->treatment.n > 0 ? c->treatment.mean : (double)NAN, cells[1], 96);
    with_ci(&c->abs, false, m, cells[2], 96);
    with_ci(&c->rel, true, m, cells[3], 96);
    rpt_p(c->rel.valid ? c->rel.p_value : (double)NAN, cells[4], 96);
    rpt_p(res->p_adjusted, cells[5], 96);
    snprintf(cells[6], 96, "%.0f / %.0f", c->control.n, c->treatment.n);
    snprintf(cells[7], 96, "%s",
             c->status == LIFT_TEST_OK ? (res->significant ? "significant" : "")
                                       : lift_test_status_name(c->status));
    (void)r;
}

void rpt_metric_table(const lift_report *r, size_t m, rpt_table *t)
{
    static const char *const head[] = {"Variant",       "Control",       "Treatment",
                                       "Absolute [CI]", "Relative [CI]", "p",
                                       "Adjusted p",    "Shoppers",      "Result"};
    rpt_table_init(t, 9, head);
    for (int v = 1; v < r->nvariants; v++) {
        const lift_result *res = rpt_result(r, m, -1, v);
        char c[8][96];
        result_cells(r, res, &r->metrics[m], c);
        const char *cells[] = {r->variants[v], c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
        rpt_table_row(t, tag_of(res, &r->metrics[m]), cells);
    }
}

void rpt_segment_table(const lift_report *r, const char *attr, rpt_table *t)
{
    static const char *const head[] = {"Segment",   "Metric",        "Variant",    "Control",
                                       "Treatment", "Relative [CI]", "Adjusted p", "Shoppers"};
    rpt_table_init(t, 8, head);
    for (size_t s = 0; s < r->nsegments; s++) {
        if (strcmp(r->segments[s].attr, attr) != 0)
            continue;
        for (size_t m = 0; m < r->nmetrics; m++)
            for (int v = 1; v < r->nvariants; v++) {
                const lift_result *res = rpt_result(r, m, (int)s, v);
                char c[8][96];
                result_cells(r, res, &r->metrics[m], c);
                const char *cells[] = {r->segments[s].value,
                                       r->metrics[m].name,
                                       r->variants[v],
                                       c[0],
                                       c[1],
                                       c[3],
                                       c[5],
                                       c[6]};
                rpt_table_row(t, tag_of(res, &r->metrics[m]), cells);
            }
    }
}

void rpt_power_table(const lift_report *r, rpt_table *t)
{
    static const char *const head[] = {"", ""};
    rpt_table_init(t, 2, head);
    char a[256], b[256], first[LIFT_TIME_LEN], last[LIFT_TIME_LEN];
    a[0] = '\0';
    for (int v = 0; v < r->nvariants; v++)
        snprintf(a + strlen(a), sizeof a - strlen(a), "%s%s %.0f", v ? ", " : "", r->variants[v],
                 r->units[v]);
    if (r->mixed)
        snprintf(a + strlen(a), sizeof a - strlen(a),
                 " (%ld excluded: exposed to more than one variant)", r->mixed);
    rpt_table_row(t, "", (const char *[]){"Shoppers", a});
    lift_time_format(r->first_exposure, first);
    lift_time_format(r->last_exposure, last);
    first[10] = last[10] = '\0';
    int weeks = (int)floor(r->days_run / 7);
    snprintf(a, sizeof a, "%.1f days (%d whole week%s), first exposure %s, last %s%s", r->days_run,
             weeks, weeks == 1 ? "" : "s", r->first_exposure ? first : "none",
             r->last_exposure ? last : "none",
             r->reached_duration ? "" : "; under the 7-day minimum (weekday effects)");
    rpt_table_row(t, r->reached_duration ? "" : "loss", (const char *[]){"Duration", a});
    char mde[24];
    rpt_pct(r->target_mde, mde, sizeof mde);
    snprintf(b, sizeof b, "Planned sample (%s, MDE %s, power %.0f%%)", r->metrics[0].name, mde,
             100 * r->target_power);
    if (r->have_plan)
        snprintf(a, sizeof a, "%.0f per variant; the smallest arm has %.0f (%s)", r->planned,
                 r->observed_min, r->reached_sample ? "reached" : "not reached yet");
    else
        snprintf(a, sizeof a, "cannot be computed yet (no baseline in the control)");
    rpt_table_row(t, r->reached_sample ? "" : "loss", (const char *[]){b, a});
}

void rpt_method_notes(const lift_report *r, rpt_table *t)
{
    static const char *const head[] = {""};
    rpt_table_init(t, 1, head);
    char n[512];
    int pct = (int)round(100 * (1 - r->opts.alpha));
    snprintf(n, sizeof n,
             "Each treatment is compared with the control by Welch's t-test with "
             "Welch-Satterthwaite degrees of freedom; relative lifts use the delta method; "
             "%d%% confidence intervals, two-sided.",
             pct);
    rpt_table_row(t, "", (const char *[]){n});
    if (r->opts.sequential) {
        snprintf(n, sizeof n,
                 "Sequential testing is on: intervals and p-values are always-valid "
                 "(asymptotic confidence sequences, N* = %.0f), so looking early is safe.",
                 r->opts.tuning);
        rpt_table_row(t, "", (const char *[]){n});
    }
    snprintf(n, sizeof n,
             "Multiple comparisons: %s over %zu results (metrics x treatments x "
             "segments).",
             r->opts.correction == LIFT_CORRECT_BH     ? "Benjamini-Hochberg"
             : r->opts.correction == LIFT_CORRECT_HOLM ? "Holm-Bonferroni"
                                                       : "no correction",
             r->out.nresults);
    rpt_table_row(t, "", (const char *[]){n});
    rpt_table_row(
        t, "",
        (const char *[]){"A shopper's variant and start (t0) are those of the first "
                         "exposure; shoppers exposed to more than one variant are "
                         "excluded. Events count from t0 to the end of each metric's window; "
                         "refunds count against revenue."});
    for (size_t m = 0; m < r->nmetrics; m++) {
        const rpt_metric *x = &r->metrics[m];
        char extra[200] = "";
        if (!isnan(x->cap))
            snprintf(extra, sizeof extra, "; values capped at %.4g (the %.1fth percentile)", x->cap,
                     100 * x->winsor_pct);
        if (r->opts.cuped && x->has_pre)
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                     "; CUPED with the %.0f days before t0", x->pre_days);
        if (x->immature)
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                     "; %ld shoppers left out whose window had not ended", x->immature);
        snprintf(n, sizeof n, "%s: %s, %.0f-day window%s.", x->name, x->description, x->window_days,
                 extra);
        rpt_table_row(t, "", (const char *[]){n});
    }
}

void rpt_srm_warning(const lift_report *r, char *out, size_t len)
{
    out[0] = '\0';
    if (r->out.has_srm && r->out.srm.flag)
        snprintf(out, len,
                 "Sample ratio mismatch: the shoppers per variant do not match the planned "
                 "split (chi-square %.1f, p %.2g). Assignment or logging is broken somewhere; "
                 "the lifts below are not trustworthy until that is explained.",
                 r->out.srm.chi2, r->out.srm.p_value);
}
