/* The report model, shared by the builder (report.c) and the renderers; private to
 * reports/. Everything is owned by the lift_report and freed with it. */
#ifndef LIFT_REPORT_MODEL_H
#define LIFT_REPORT_MODEL_H

#include "lift/report.h"
#include "lift/stats.h"

typedef struct rpt_metric {
    char *key, *name, *description;
    lift_kind kind;
    bool lower_is_better, guardrail, has_pre;
    double window_days, winsor_pct, pre_days, cap; /* NAN when not defined */
    long immature;                                 /* shoppers whose window had not elapsed */
    lift_suff *arms;                               /* per variant, whole experiment */
} rpt_metric;

typedef struct rpt_segment {
    char *attr, *value, *label; /* label: "device=mobile" */
    lift_suff *arms;            /* [metric][variant] */
} rpt_segment;

typedef struct rpt_day {
    int64_t day;        /* midnight UTC, microseconds since the epoch */
    long *units;        /* per variant: shoppers first exposed that day */
    lift_suff *primary; /* per variant: the primary metric's sums for those shoppers */
    lift_estimate *rel; /* per treatment (index 1..): cumulative relative lift to this day */
} rpt_day;

/* What the verdict of one treatment on the primary metric is. */
typedef enum {
    RPT_WIN,          /* significant, in the metric's good direction */
    RPT_LOSS,         /* significant, in the bad direction */
    RPT_FLAT,         /* not significant, with the planned sample: no effect as large as the MDE */
    RPT_INCONCLUSIVE, /* not significant, before the planned sample or duration */
    RPT_UNTESTED      /* no test possible (see the result's status) */
} rpt_outcome;

struct lift_report {
    lift_report_opts opts;
    char **segment_names;
    char *key, *name, *hypothesis, *status, *kind, *primary;
    int phase;
    double target_mde, target_power;
    int64_t generated_at, first_exposure, last_exposure; /* 0 when none */
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
    /* Statistics: inputs [0, nmetrics) are the whole experiment, then nmetrics per segment,
     * all in one correction family. */
    lift_analysis analysis;
    lift_metric_input *inputs;
    lift_analysis_out out;
    /* Planning, for the primary metric. */
    bool have_plan;
    double baseline, planned, observed_min, days_run;
    bool reached_sample, reached_duration;
};

/* The result of metric m for treatment v (1..) in segment s (-1: whole experiment). */
const lift_result *rpt_result(const lift_report *r, size_t m, int s, int v);

/* The verdict of treatment v on the primary metric, and a plain-language sentence. */
rpt_outcome rpt_verdict(const lift_report *r, int v, char *text, size_t len);

/* "win", "loss", "flat", "inconclusive", "untested". */
const char *rpt_outcome_name(rpt_outcome o);

/* Formats a relative lift "+12.3%" for people ("n/a" when not finite). */
void rpt_pct(double x, char *out, size_t len);

/* A p-value for people: "0.012", "<0.0001", "n/a". */
void rpt_p(double p, char *out, size_t len);

/* A mean or rate for people: 4 significant digits, a rate as a percentage. */
void rpt_value(const rpt_metric *m, double x, char *out, size_t len);

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

/* The report's tables: one per metric (the whole experiment), one per segment attribute,
 * the exposure/power panel, and the method notes (a one-column table). */
void rpt_metric_table(const lift_report *r, size_t m, rpt_table *t);
void rpt_segment_table(const lift_report *r, const char *attr, rpt_table *t);
void rpt_power_table(const lift_report *r, rpt_table *t);
void rpt_method_notes(const lift_report *r, rpt_table *t);

/* "Sample ratio mismatch: ..." when flagged, else "". */
void rpt_srm_warning(const lift_report *r, char *out, size_t len);

/* The renderers (render_*.c). */
void rpt_render_json(const lift_report *r, lift_buf *out);
void rpt_render_csv(const lift_report *r, lift_buf *out);
void rpt_render_md(const lift_report *r, lift_buf *out);
void rpt_render_html(const lift_report *r, lift_buf *out);
void rpt_render_text(const lift_report *r, lift_buf *out);

#endif
