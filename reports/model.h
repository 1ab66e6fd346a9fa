/* The report model, shared by the builder (report.c) and the renderers; private to
 * reports/. Everything is owned by the lift_report and freed with it. */
#ifndef LIFT_REPORT_MODEL_H
#define LIFT_REPORT_MODEL_H

#include "lift/report.h"
#include "lift/stats.h"

/* A metric's plan (planning.c): the units each arm needs to detect the experiment's target
 * MDE at the real allocation and the corrected alpha, and how far the experiment is. */
typedef struct rpt_power {
    bool have;           /* a baseline to plan from (a control with 2 units or more) */
    double baseline, sd; /* the control's mean (a rate for proportions) and sd */
    double alpha;        /* two-sided, after the correction (a guardrail's is 2 alpha) */
    double *need;        /* per variant; the control's is the most any treatment needs */
    double *mde_now;     /* per treatment (1..): the smallest lift detectable now */
    bool reached;        /* every arm has what it needs */
    int plan_days;       /* enrolment in whole weeks (+ the window if long-term); -1: unknown */
    double days_left;    /* to the plan at the observed traffic; NAN: unknown */
} rpt_power;

typedef struct rpt_metric {
    char *key, *name, *description;
    lift_kind kind;
    bool lower_is_better, has_pre;
    bool money;     /* sums event values: shown in the reporting currency */
    lift_role role; /* the primary is the experiment's; others from lift.metrics */
    double margin;  /* guardrails: the relative loss tolerated */
    bool long_term; /* lift.metrics.long_term, else a window of 30 days or more */
    double window_days, winsor_pct, pre_days, cap; /* NAN when not defined */
    long immature;                                 /* shoppers whose window had not elapsed */
    double days_to_mature; /* long-term: until the planned shoppers' windows end */
    lift_suff *arms;       /* per variant, whole experiment */
    rpt_power power;
} rpt_metric;

typedef struct rpt_segment {
    char *attr, *value, *label; /* label: "device=mobile" */
    int family;                 /* 1 + the attribute's place in the options */
    lift_suff *arms;            /* [metric][variant] */
} rpt_segment;

typedef struct rpt_day {
    int64_t day;        /* midnight UTC, microseconds since the epoch */
    long *units;        /* per variant: shoppers first exposed that day */
    lift_suff *primary; /* per variant: the primary metric's sums for those shoppers */
    lift_estimate *rel; /* per treatment (index 1..): cumulative relative lift to this day */
} rpt_day;

struct lift_report {
    lift_report_opts opts;
    char **segment_names;
    char *key, *name, *hypothesis, *status, *kind, *primary;
    int phase;
    double target_mde, target_power;
    int64_t generated_at, first_exposure, last_exposure; /* 0 when none */
    int64_t start_at, end_at;                            /* 0 when not set */
    int nvariants;
    char **variants; /* control first */
    double *weights, *units;
    long mixed;
    rpt_metric *metrics; /* the primary first */
    size_t nmetrics;
    rpt_segment *segments;
    size_t nsegments;
    rpt_day *days;
    size_t ndays;
    /* Money: the reporting currency ("" when no event has a value), where it came from
     * ("experiment", "store" or "events"), and the money metric (-1: none). */
    char currency[4], store_currency[4];
    const char *currency_source;
    int revenue;
    lift_money *money; /* per treatment (index 1..) */
    /* Health. */
    int64_t latest_exposure, latest_event; /* 0 when none */
    long outside;                          /* first exposed outside [start_at, end_at) */
    long excluded;                         /* events left out: no exchange rate */
    char *excluded_currencies;             /* "CHF 35, SEK 2" */
    /* Where the shoppers' numbers came from: "rollup" (lift.rollups, refreshed at
     * refreshed_at, with `recomputed` shoppers computed from raw data for being newer),
     * "assignments" (raw events, no usable rollup) or "exposure log" (a past as-of). */
    char data_path[16];
    int64_t refreshed_at;
    long recomputed;
    /* Statistics: inputs [0, nmetrics) are the whole experiment, then nmetrics per segment;
     * each segment attribute is a correction family of its own. */
    lift_analysis analysis;
    lift_metric_input *inputs;
    lift_analysis_out out;
    /* Where the experiment stands (planning.c): days since the first exposure (to as-of or
     * the last exposure), the planned duration (end - start; NAN: none), shoppers entering
     * a day (all variants), and the primary's needs per variant (the decision's plan). */
    double days_run, days_planned, daily;
    double *planned;
    double series_level; /* the level of the cumulative band: the primary's */
};

/* The result of metric m for treatment v (1..) in segment s (-1: whole experiment). */
const lift_result *rpt_result(const lift_report *r, size_t m, int s, int v);

/* Numbers for people (format.c): fixed decimals per kind, thousands separators.
 *   rpt_pct     a relative lift "+12.3%" (two decimals under 0.1%)
 *   rpt_p       a p-value "0.012", "<0.0001"
 *   rpt_count   a count "12,345"
 *   rpt_value   a metric's value: a rate "10.59%", money "82.83 EUR", else "4.68"
 *   rpt_delta   a difference of two values: "+2.23 pp", "+12.95 EUR", "+0.03"
 *   rpt_money   an amount of money with a sign "+12,345 EUR"
 * Each writes "n/a" for a value that is not finite. */
void rpt_pct(double x, char *out, size_t len);
void rpt_p(double p, char *out, size_t len);
void rpt_count(double n, char *out, size_t len);
void rpt_value(const lift_report *r, const rpt_metric *m, double x, char *out, size_t len);
void rpt_delta(const lift_report *r, const rpt_metric *m, double x, char *out, size_t len);
void rpt_money(const lift_report *r, double x, char *out, size_t len);

/* "12.3 days" / "2026-04-01 10:15 UTC" style helpers for the health panel. */
void rpt_when(int64_t t, char *out, size_t len);

/* A table of text, built once (tables.c) and written as Markdown or HTML. `tag` marks a
 * row ("win", "loss" or "") for highlighting. */
typedef struct rpt_table {
    int ncols;
    const char *const *head;
    size_t nrows;
    char **cells; /* nrows * ncols, each allocated */
    char **tags;
} rpt_table;

void rpt_table_init(rpt_table *t, int ncols, const char *const *head);
void rpt_table_row(rpt_table *t, const char *tag, const char *const *cells);
void rpt_table_fini(rpt_table *t);

/* The report's tables (tables.c), in the order every format shows them (the decisions
 * come first, from r->out.decisions; rpt_outcome_label names an outcome for people):
 *   money      per treatment: incremental revenue, its CI, the 30-day projection
 *   health     check, status ("pass", "fail", "info"), detail (tag "fail" on failures)
 *   power      per metric: planned units, reached, MDE now, days to the plan
 *   metric     per treatment: control, treatment, lift [CI], p, adjusted p, shoppers, result
 *   segment    per value, metric, treatment (one table per attribute)
 *   notes      the method, one sentence a row */
const char *rpt_outcome_label(lift_outcome o); /* "SHIP", "ROLL BACK", "KEEP RUNNING", ... */
void rpt_money_table(const lift_report *r, rpt_table *t);
void rpt_health_table(const lift_report *r, rpt_table *t);
void rpt_power_table(const lift_report *r, rpt_table *t);
void rpt_metric_table(const lift_report *r, size_t m, rpt_table *t);
void rpt_segment_table(const lift_report *r, const char *attr, rpt_table *t);
void rpt_method_notes(const lift_report *r, rpt_table *t);

/* A sentence of the money, per treatment v (1..): the incremental revenue with its CI and
 * the 30-day projection with its traffic assumption; "" when there is no money metric. */
void rpt_money_text(const lift_report *r, int v, char *out, size_t len);

/* "Benjamini-Hochberg", "Holm-Bonferroni", "no correction" */
const char *rpt_correction_text(lift_correction c);

/* "(primary)", "(guardrail, margin 2%)", "(secondary, long-term)" */
void rpt_role_text(const rpt_metric *m, char *out, size_t len);

/* Planning (planning.c): per-metric plans, days run and planned, the decision's plan and
 * the long-term metrics' maturity. Runs after the sums are loaded, before the analysis. */
void rpt_plan(lift_report *r);

/* The headline correction family's size: whole-experiment results of the metrics that are
 * not guardrails (those are tested one-sided, uncorrected), times the treatments. */
size_t rpt_family_size(const lift_report *r);

/* The renderers (render_*.c). */
void rpt_render_json(const lift_report *r, lift_buf *out);
void rpt_render_csv(const lift_report *r, lift_buf *out);
void rpt_render_md(const lift_report *r, lift_buf *out);
void rpt_render_html(const lift_report *r, lift_buf *out);
void rpt_render_text(const lift_report *r, lift_buf *out);

#endif
