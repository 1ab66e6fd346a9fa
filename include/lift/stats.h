/* Statistics on per-variant sufficient statistics, as defined in docs/statistics.md:
 * proportion, mean and ratio metrics; absolute and relative lift with delta-method
 * standard errors and Welch–Satterthwaite degrees of freedom; CUPED; always-valid
 * sequential intervals; sample ratio mismatch; Holm and Benjamini–Hochberg; a Bayesian
 * view; sample size and MDE. No I/O; nothing here logs or exits.
 *
 * Accuracy. Inputs are sums, so a variance is (sum_sq - sum^2/n)/(n-1): when the mean is
 * large against the spread, the subtraction cancels digits that no formula can recover
 * from the sums (relative error about 1e-16 * (1 + mean^2/variance)). It is done in
 * extended precision, and proportions use p(1-p) = sum(n-sum)/n^2, which does not
 * cancel: counts up to 2^53 (9e15) are exact. Student-t tails are accurate to 1e-9
 * relative for p > 1e-100 at any degrees of freedom (see stats/tdist.c). */
#ifndef LIFT_STATS_H
#define LIFT_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"

typedef enum { LIFT_KIND_PROPORTION, LIFT_KIND_MEAN, LIFT_KIND_RATIO } lift_kind;

/* One arm's sufficient statistics, over n units (shoppers). x is the metric, d a ratio's
 * denominator, z the metric's pre-period value (CUPED). Unused fields are 0. */
typedef struct lift_suff {
    double n;
    double sum, sum_sq;
    double den_sum, den_sum_sq, sum_x_den;
    double pre_sum, pre_sum_sq, sum_x_pre;
} lift_suff;

/* Checks one arm for impossible values (negative or non-finite counts, more conversions
 * than units, sum_sq below sum^2/n, ...). LIFT_EINVAL naming the field ("sum") first. */
int lift_stats_check(lift_kind kind, const lift_suff *s, bool cuped, lift_err *err);

/* The arm's mean and per-unit variance v (the variance of the mean is v/n). For ratios,
 * mean = sum/den_sum and v is the delta-method variance of docs/statistics.md (times n). */
typedef struct lift_moments {
    double n, mean, var;
} lift_moments;

int lift_stats_moments(lift_kind kind, const lift_suff *s, lift_moments *out, lift_err *err);

/* --- comparing a treatment with the control ------------------------------------------ */

typedef enum {
    LIFT_TEST_OK = 0,
    LIFT_TEST_INSUFFICIENT_DATA, /* fewer than 2 units in an arm */
    LIFT_TEST_NO_VARIANCE,       /* zero variance in both arms */
    LIFT_TEST_ZERO_CONTROL_MEAN, /* relative lift undefined; absolute still reported */
    LIFT_TEST_NO_DENOMINATOR     /* a ratio arm whose denominator sums to 0 */
} lift_test_status;

/* "ok", "insufficient_data", ... and a sentence saying why. */
const char *lift_test_status_name(lift_test_status s);
const char *lift_test_status_reason(lift_test_status s);

typedef struct lift_estimate {
    bool valid;
    double estimate, se, lo, hi, p_value;
} lift_estimate;

typedef struct lift_test_opts {
    double alpha;         /* two-sided, e.g. 0.05 */
    bool cuped;           /* regression-adjust with the pre-period (proportion, mean) */
    bool sequential;      /* always-valid intervals and p-values */
    double tuning;        /* N* for sequential, e.g. 5000 */
    bool lower_is_better; /* direction, for the Bayesian chance to win */
    double prior_mean;    /* Gaussian prior on the relative effect ... */
    double prior_sd;      /* ... or flat when prior_sd <= 0 */
} lift_test_opts;

typedef struct lift_comparison {
    lift_test_status status;
    lift_moments control, treatment; /* unadjusted */
    double df;                       /* Welch–Satterthwaite */
    lift_estimate abs, rel;
    /* CUPED: theta from the pooled arms; `cuped_fallback` when a pooled variance was 0 and
     * the analysis fell back to the unadjusted one. The pre-period check tests the arms'
     * pre-period means; imbalance (p < 0.001) points at a randomization problem. */
    bool cuped, cuped_fallback;
    double theta;
    bool pre_checked, pre_imbalance;
    double pre_p_value;
    /* Bayesian view of the relative effect (valid with rel.valid). */
    double chance_to_win, risk_control, risk_treatment, post_mean, post_sd;
} lift_comparison;

/* Compares treatment b with control a. Writes *out (status says when there is no test)
 * and returns LIFT_OK, or LIFT_EINVAL for impossible inputs or options. */
int lift_stats_compare(lift_kind kind, const lift_suff *a, const lift_suff *b,
                       const lift_test_opts *opts, lift_comparison *out, lift_err *err);

/* --- building blocks (public for tests and other front ends) ------------------------- */

/* Student t upper tail P(T > t) for t >= 0, and its inverse (0 < q < 1). */
double lift_stats_t_sf(double t, double df);
double lift_stats_t_isf(double q, double df);

/* Welch–Satterthwaite degrees of freedom from per-unit variances and sizes. */
double lift_stats_welch_df(double va, double na, double vb, double nb);

/* Fixed-horizon test of an estimate with standard error se: two-sided p and a CI of
 * half-width crit * se, where crit = lift_stats_t_isf(alpha / 2, df) (computed once by
 * callers that test several estimates at the same df). */
void lift_stats_ttest(double estimate, double se, double df, double crit, lift_estimate *out);

/* Always-valid CI and p-value (Waudby-Smith et al. 2023) for an estimate with standard
 * error se after n units in total, with tuning N*. */
void lift_stats_sequential(double estimate, double se, double n, double alpha, double tuning,
                           lift_estimate *out);

/* CUPED's theta from the two arms pooled; 0 (and *fallback) when a pooled variance is 0. */
double lift_stats_cuped_theta(lift_kind kind, const lift_suff *a, const lift_suff *b,
                              bool *fallback);

/* Posterior of the relative effect given estimate and se (flat prior when prior_sd <= 0);
 * chance that treatment beats control and the expected loss of each choice. */
void lift_stats_bayes(double estimate, double se, const lift_test_opts *opts, lift_comparison *out);

/* --- sample ratio mismatch --------------------------------------------------------------- */

typedef struct lift_srm {
    double chi2, p_value;
    int df;
    bool flag; /* p < 0.001 with at least 8 units per compared variant */
} lift_srm;

/* Pearson chi-square of units against weights over the k variants with weight > 0. */
int lift_stats_srm(const double *units, const double *weights, int k, lift_srm *out, lift_err *err);

/* --- multiple comparisons ---------------------------------------------------------------- */

typedef enum { LIFT_CORRECT_NONE, LIFT_CORRECT_HOLM, LIFT_CORRECT_BH } lift_correction;

/* Adjusted p-values of a family of m p-values (Holm–Bonferroni or Benjamini–Hochberg),
 * written to adj (which may alias p). LIFT_ENOMEM if scratch space is unavailable. */
int lift_stats_adjust(lift_correction c, const double *p, size_t m, double *adj, lift_err *err);

/* --- a whole analysis: every metric, every treatment against the control ---------- */

typedef struct lift_metric_input {
    const char *key;
    const char *segment; /* NULL for the whole experiment, else a label ("device=mobile") */
    lift_kind kind;
    bool cuped;
    bool lower_is_better;
    const lift_suff *arms; /* one per variant, the control first */
} lift_metric_input;

typedef struct lift_analysis {
    lift_test_opts opts; /* alpha, sequential, tuning, prior; cuped and direction come
                            from each metric */
    lift_correction correction;
    int nvariants;
    const double *units;   /* units assigned per variant, for SRM; NULL: no SRM check */
    const double *weights; /* NULL: equal weights */
    const lift_metric_input *metrics;
    size_t nmetrics;
} lift_analysis;

typedef struct lift_result {
    size_t metric; /* index into lift_analysis.metrics */
    int variant;   /* 1 .. nvariants-1 */
    lift_comparison cmp;
    double p_adjusted; /* NAN outside the family (no relative p-value) */
    bool significant;  /* adjusted p (or p without correction) below alpha */
} lift_result;

typedef struct lift_analysis_out {
    bool has_srm;
    lift_srm srm;
    lift_result *results; /* nmetrics x (nvariants - 1), metric-major */
    size_t nresults;
} lift_analysis_out;

/* Runs the analysis. The correction's family is every result with a relative p-value
 * (metrics x treatments x segments). LIFT_EINVAL names the field ("metrics[2].data[1].sum").
 * On success the caller frees with lift_stats_analysis_fini(). */
int lift_stats_analyze(const lift_analysis *a, lift_analysis_out *out, lift_err *err);
void lift_stats_analysis_fini(lift_analysis_out *out);

/* --- planning ---------------------------------------------------------------------------- */

typedef struct lift_plan {
    bool proportion; /* baseline is a rate p; else a mean with standard deviation sd */
    double baseline, sd;
    double alpha, power; /* e.g. 0.05 and 0.8 */
} lift_plan;

/* Units per arm to detect a relative effect mde (docs/statistics.md, Planning), rounded up. */
int lift_stats_sample_size(const lift_plan *plan, double mde, double *n, lift_err *err);

/* The smallest relative effect detectable with n units per arm. */
int lift_stats_mde(const lift_plan *plan, double n, double *mde, lift_err *err);

/* Days to reach n units per arm over k variants at `daily` units a day, in whole weeks
 * and never under 7. */
int lift_stats_duration_days(double n, int k, double daily);

#endif
