/* Lift reports: from the raw exposures and events of one experiment to a report that leads
 * with the decision per treatment, the money and the health checks, then says, in plain
 * words and in pictures, whether personalization lifted each metric, by how much and how
 * sure we are. HTML (self-contained, inline SVG plots), Markdown, JSON, CSV and text.
 *
 * The JSON report's fields (report_version 2; every one always present; null where not
 * applicable):
 *   report_version, generated_at, as_of,
 *   decisions [{variant, outcome, summary, days_left, reasons [{code, metric, text}]}],
 *   money {currency, currency_source, metric, programme, variants [{variant, valid,
 *     ci_level, per_shopper, per_shopper_ci, treated, total, total_ci, daily_shoppers,
 *     per_30_days, per_30_days_ci, text}]},
 *   health {srm, mixed {units, share, threshold, pass}, outside_schedule {checked, units},
 *     pre_period [{metric, variant, p_value, imbalance}], immature [{metric, units, share,
 *     days_to_mature}], freshness {latest_exposure, latest_event},
 *     currency {excluded_events, excluded_by_currency}},
 *   experiment {key, name, hypothesis, status, kind, phase, primary_metric, target_mde,
 *     target_power, start_at, end_at, revenue_metric, variants [{key, weight, control,
 *     units}]},
 *   settings {alpha, correction, sequential, prior, cuped, segments, max_mixed_share},
 *   exposure {first, last, days_run, units, mixed_excluded},
 *   srm {chi2, df, p_value, flag} | null,
 *   verdicts [{variant, metric, outcome, text}] (version 1's: the primary's label and the
 *     decision's summary),
 *   power {metric, baseline, planned_per_variant (the control's need), observed_per_variant
 *     (min), reached_sample, days_run, days_planned, whole_weeks_run, reached_duration,
 *     underpowered},
 *   metrics [{key, name, description, type, direction, guardrail, role, margin, long_term,
 *     money, window_days, cap, cuped_pre_days, immature_excluded, power {baseline, alpha,
 *     needed_per_variant, reached, mde_now, plan_days, days_left},
 *     results [<liftctl stats result>]}],
 *   segments [{attribute, value, family, results [<liftctl stats result>]}],
 *   series {primary_metric, ci_level, always_valid, days [{day, units [per variant],
 *     relative [{variant, estimate, lo, hi}]}]}
 * where <liftctl stats result> and the decisions are the objects of docs/statistics.md
 * (liftctl stats). */
#ifndef LIFT_REPORT_H
#define LIFT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "lift/db.h"
#include "lift/err.h"
#include "lift/stats.h"
#include "lift/text.h"

typedef enum {
    LIFT_REPORT_HTML,
    LIFT_REPORT_MD,
    LIFT_REPORT_JSON,
    LIFT_REPORT_CSV,
    LIFT_REPORT_TEXT /* a terminal summary: verdict and one line per metric */
} lift_report_format;

/* How far in the future an as-of may be: clocks of two machines disagree a little. */
#define LIFT_REPORT_CLOCK_TOLERANCE (5 * 60 * INT64_C(1000000))

typedef struct lift_report_opts {
    const char *experiment;
    int64_t as_of; /* microseconds since the epoch; windows must have elapsed by then. 0: now;
                      refused beyond now + LIFT_REPORT_CLOCK_TOLERANCE, and before the start */
    double alpha;
    lift_correction correction; /* over metrics x treatments; each segment breakdown apart */
    bool sequential;
    double tuning;               /* N* */
    bool cuped;                  /* where the metric defines a pre-period */
    const char *const *segments; /* request attributes to break results down by */
    size_t nsegments;
    double max_mixed_share; /* shoppers who saw two variants beyond it: invalid; 0: 0.01 */
} lift_report_opts;

typedef struct lift_report lift_report;

/* Reads the experiment's config and computes its statistics (the sums inside PostgreSQL,
 * one pass; the inference and the decision here). LIFT_ENOTFOUND for an unknown
 * experiment; LIFT_EINVAL for bad options, an as-of in the future or before the start, an
 * attribute no exposure carries (the message lists those that exist), or events in several
 * currencies with no reporting currency. The caller frees with lift_report_free(). */
int lift_report_build(lift_db *db, const lift_report_opts *opts, lift_report **out, lift_err *err);
void lift_report_free(lift_report *r); /* NULL is a no-op */

/* Appends the report in the given format. */
int lift_report_render(const lift_report *r, lift_report_format format, lift_buf *out,
                       lift_err *err);

/* Parses "html", "md", "json", "csv" or "text"; -1 otherwise. */
int lift_report_format_parse(const char *name);

#endif
