/* Statistics on per-variant sufficient statistics, as defined in docs/statistics.md:
 * proportion, mean and ratio metrics; absolute and relative lift with delta-method
 * standard errors and Welch–Satterthwaite degrees of freedom; CUPED; always-valid
 * sequential intervals; sample ratio mismatch; Holm and Benjamini–Hochberg with intervals
 * that agree with them; one-sided guardrails; a Bayesian view; sample size and MDE at the
 * real allocation; money; and the decision per treatment (ship, rollback, keep running, no
 * effect, invalid) that reports and `liftctl stats` share. No I/O; nothing here logs or
 * exits.
 *
 * Accuracy. Inputs are sums, so a variance is (sum_sq - sum^2/n)/(n-1): when the mean is
 * large against the spread, the subtraction cancels digits that no formula can recover
 * from the sums (relative error about 1e-16 * (1 + mean^2/variance)). It is done in
 * extended precision, and proportions use p(1-p) = sum(n-sum)/n^2, which does not
 * cancel: counts up to 2^53 (9e15) are exact. Student-t tails are accurate to 1e-9
 * relative at any degrees of freedom down to the smallest double (2.2e-308), and their
 * logarithm beyond (see stats/tdist.c). A p-value below the smallest double is 0, and the
 * result carrying it stays valid: an overwhelming effect is the last thing to hide. */
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

typedef struct lift_interval {
    double lo, hi;
} lift_interval;

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

/* Student t upper tail P(T > t) for t >= 0 (0 once it is below the smallest double), its
 * natural logarithm (finite however far the tail), and the inverse (0 < q < 1). */
double lift_stats_t_sf(double t, double df);
double lift_stats_t_log_sf(double t, double df);
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

/* The same confidence sequence at level 1 - level, its mixture still tuned for alpha: the
 * interval excludes 0 exactly when the always-valid p-value is below `level`. */
void lift_stats_sequential_at(double estimate, double se, double n, double alpha, double tuning,
                              double level, lift_estimate *out);

/* Estimate e of comparison c (from lift_stats_compare with opts o) at level 1 - level:
 * the t interval at the comparison's df, or the confidence sequence under o->sequential.
 * Either way the interval excludes 0 exactly when e's p-value is below `level`. */
void lift_stats_interval_at(const lift_estimate *e, const lift_comparison *c,
                            const lift_test_opts *o, double level, lift_interval *out);

/* Both of c's intervals (those of valid estimates) at `level`, the quantile computed once. */
void lift_stats_intervals_at(const lift_comparison *c, const lift_test_opts *o, double level,
                             lift_interval *abs, lift_interval *rel);

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

/* The level at which a family's intervals are drawn so that each agrees with its
 * corrected call, given m members of which r were significant:
 *   none: alpha;
 *   Holm: alpha / max(m - r, 1), Bonferroni over the hypotheses Holm kept (plain
 *         Bonferroni, alpha / m, when none was rejected);
 *   BH:   max(r, 1) alpha / m, the false-coverage-rate intervals of Benjamini and
 *         Yekutieli (2005), which cover the selected parameters with FCR <= alpha.
 * An interval at 1 - level excludes 0 exactly when its corrected p is below alpha. */
double lift_stats_family_level(lift_correction c, double alpha, size_t m, size_t r);

/* --- a whole analysis: every metric, every treatment against the control ---------- */

/* What a metric is for, in the decision (docs/statistics.md, Decisions). */
typedef enum {
    LIFT_ROLE_SECONDARY = 0,
    LIFT_ROLE_PRIMARY,  /* the one the experiment is decided on */
    LIFT_ROLE_GUARDRAIL /* must not get worse: tested one-sided, beyond its margin */
} lift_role;

/* "secondary", "primary", "guardrail"; the parse returns -1 for other names. */
const char *lift_role_name(lift_role r);
int lift_role_parse(const char *name);

typedef struct lift_metric_input {
    const char *key;
    const char *segment; /* NULL for the whole experiment, else a label ("device=mobile") */
    lift_kind kind;
    bool cuped;
    bool lower_is_better;
    const lift_suff *arms; /* one per variant, the control first */
    /* For the decision; zero is the plain secondary metric. */
    lift_role role;
    bool long_term;        /* retention, LTV: a loss is a rollback; must mature */
    double margin;         /* guardrails: a relative loss tolerated (0.02 = 2%) */
    double days_to_mature; /* long-term: days until the last shoppers' window ends */
    int family;            /* correction family: 0 the whole experiment, one per breakdown */
    const char *name;      /* for sentences; NULL: the key */
} lift_metric_input;

/* Where the experiment stands against its plan, for the decision. */
typedef struct lift_progress {
    const double *planned;  /* units the primary metric needs per variant; NULL: no plan */
    double mde;             /* the relative effect planned for; 0 or NAN: not stated */
    double days_run;        /* 0 or NAN: unknown (no duration check) */
    double days_planned;    /* 0 or NAN: none beyond the 7-day minimum */
    double days_to_plan;    /* the caller's estimate of the days until the planned sample and
                               duration are met; 0 or NAN: estimated here from the arms' rate */
    double mixed;           /* units that saw more than one variant (excluded) */
    double max_mixed_share; /* above it the experiment is invalid; 0: 0.01 */
} lift_progress;

typedef struct lift_analysis {
    lift_test_opts opts; /* alpha, sequential, tuning, prior; cuped and direction come
                            from each metric */
    lift_correction correction;
    int nvariants;
    const double *units;   /* units assigned per variant, for SRM; NULL: no SRM check */
    const double *weights; /* NULL: equal weights */
    const lift_metric_input *metrics;
    size_t nmetrics;
    lift_progress progress;
    const char *revenue_key;          /* the money metric; NULL: "revenue_per_shopper" if present */
    const char *const *variant_names; /* for sentences; NULL: "variant 1", ... */
} lift_analysis;

/* What one result says, in words every format uses (never a colour alone). */
typedef enum {
    LIFT_LABEL_UNTESTED = 0, /* no test possible (see the comparison's status) */
    LIFT_LABEL_WIN,          /* significant, in the metric's good direction */
    LIFT_LABEL_LOSS,         /* significant, in the bad direction */
    LIFT_LABEL_FLAT,         /* not significant with the planned sample (and matured) */
    LIFT_LABEL_INCONCLUSIVE  /* not significant before that: not evidence of no effect */
} lift_label;

const char *lift_label_name(lift_label l); /* "untested", "win", "loss", "flat", ... */

typedef struct lift_result {
    size_t metric; /* index into lift_analysis.metrics */
    int variant;   /* 1 .. nvariants-1 */
    lift_comparison cmp;
    double p_adjusted; /* NAN outside the family (no relative p-value, or a guardrail) */
    bool significant;  /* the intervals below exclude 0 */
    /* The intervals to show, at 1 - ci_level: the family's level under a correction,
     * 1 - 2 alpha for a guardrail (its one-sided test at alpha; 1 - alpha when sequential),
     * else 1 - alpha. They agree with `significant` and `label`. */
    double ci_level;
    lift_interval abs_ci, rel_ci;
    lift_label label;
    /* Guardrails: one-sided p of a loss beyond the margin, and whether it is one. */
    double harm_p;
    bool harm;
} lift_result;

/* The decision for one treatment (docs/statistics.md, Decisions). */
typedef enum {
    LIFT_OUTCOME_SHIP,
    LIFT_OUTCOME_ROLLBACK,
    LIFT_OUTCOME_KEEP_RUNNING,
    LIFT_OUTCOME_NO_EFFECT,
    LIFT_OUTCOME_INVALID
} lift_outcome;

typedef enum {
    LIFT_REASON_SRM,
    LIFT_REASON_PRE_PERIOD_IMBALANCE,
    LIFT_REASON_MIXED_EXPOSURES,
    LIFT_REASON_PRIMARY_LOSS,
    LIFT_REASON_GUARDRAIL_LOSS,
    LIFT_REASON_LONG_TERM_LOSS,
    LIFT_REASON_REVENUE_LOSS, /* the money metric fell (when not already a guardrail) */
    LIFT_REASON_TRADEOFF,
    LIFT_REASON_METRIC_LOSS, /* a loss that decides nothing alone: never left unsaid */
    LIFT_REASON_PRIMARY_WIN,
    LIFT_REASON_PRIMARY_FLAT,
    LIFT_REASON_UNDERPOWERED,
    LIFT_REASON_IMMATURE
} lift_reason_code;

/* "ship", "rollback", ...; "srm", "primary_win", ... */
const char *lift_outcome_name(lift_outcome o);
const char *lift_reason_name(lift_reason_code c);

#define LIFT_REASON_TEXT 400

typedef struct lift_reason {
    lift_reason_code code;
    int metric; /* index into lift_analysis.metrics, or -1 */
    char text[LIFT_REASON_TEXT];
} lift_reason;

typedef struct lift_decision {
    int variant; /* 1 .. nvariants-1 */
    lift_outcome outcome;
    char summary[LIFT_REASON_TEXT + 160]; /* one sentence: what to do and why */
    double days_left; /* keep_running: estimated days to the plan; else (or unknown) NAN */
    lift_reason *reasons;
    size_t nreasons;
} lift_decision;

typedef struct lift_analysis_out {
    bool has_srm;
    lift_srm srm;
    lift_result *results; /* nmetrics x (nvariants - 1), metric-major */
    size_t nresults;
    lift_decision *decisions; /* one per treatment, variant order */
    size_t ndecisions;
    double mixed_share; /* progress.mixed over every unit seen; 0 without units */
} lift_analysis_out;

/* Runs the analysis and decides. Each correction family is the results of the metrics
 * sharing a `family` number that have a relative p-value, guardrails aside (they are
 * tested one-sided and uncorrected: a correction would make a loss easier to miss).
 * The primary is the metric with role primary, else the first whole-experiment metric.
 * LIFT_EINVAL names the field ("metrics[2].data[1].sum"). On success the caller frees
 * with lift_stats_analysis_fini(). */
int lift_stats_analyze(const lift_analysis *a, lift_analysis_out *out, lift_err *err);
void lift_stats_analysis_fini(lift_analysis_out *out);

/* The index of the primary metric of a (whole experiment), or -1 without metrics. */
int lift_stats_primary(const lift_analysis *a);

/* Labels and decides from the results already in out (lift_stats_analyze does this; a
 * caller who changes the progress may decide again). */
int lift_stats_decide(const lift_analysis *a, lift_analysis_out *out, lift_err *err);

/* --- money --------------------------------------------------------------------------- */

/* Incremental revenue from a revenue-per-shopper result: its absolute difference, with the
 * interval shown, times the treatment's shoppers; and per 30 days at full rollout, times
 * the shoppers a day who entered the experiment (all variants: the traffic assumption). */
typedef struct lift_money {
    bool valid;
    double per_shopper;
    lift_interval per_shopper_ci;
    double treated, total;
    lift_interval total_ci;
    double daily, per_30_days;
    lift_interval per_30_days_ci;
} lift_money;

void lift_stats_money(const lift_result *revenue, double treated, double daily, lift_money *out);

/* --- over time ----------------------------------------------------------------------- */

/* The cumulative relative lift of one metric by day: for each day d, treatment v against
 * the control on the sums of days 0..d. days holds ndays x nvariants sums (day-major);
 * rel gets ndays x nvariants estimates (column 0 unused; invalid where no test). Each day
 * is a look, so with opts->sequential the intervals are always-valid; they are drawn at
 * 1 - level (the headline interval's level, so the last day matches it). */
int lift_stats_series(lift_kind kind, const lift_suff *days, size_t ndays, int nvariants,
                      const lift_test_opts *opts, double level, lift_estimate *rel, lift_err *err);

/* --- planning ---------------------------------------------------------------------------- */

typedef struct lift_plan {
    bool proportion; /* baseline is a rate p; else a mean with standard deviation sd */
    double baseline, sd;
    double alpha, power; /* e.g. 0.05 and 0.8; alpha already corrected (plan_alpha) */
    /* The two arms' shares of traffic (weights); both 0: equal arms. */
    double control_share, treatment_share;
} lift_plan;

/* Units per arm to detect a relative effect mde (docs/statistics.md, Planning), rounded up, for
 * equal arms (whatever the plan's shares say). */
int lift_stats_sample_size(const lift_plan *plan, double mde, double *n, lift_err *err);

/* The same for the plan's allocation: with shares r_a, r_b of the pair,
 *   n_a = r_a N, n_b = r_b N, N = (z_{1-a/2} + z_power)^2 (v_a/r_a + v_b/r_b) / (mde m_a)^2
 * (a 5/95 holdout needs far fewer control units than two equal arms would). */
int lift_stats_sample_sizes(const lift_plan *plan, double mde, double *na, double *nb,
                            lift_err *err);

/* The smallest relative effect detectable with n units per arm, or with na and nb. */
int lift_stats_mde(const lift_plan *plan, double n, double *mde, lift_err *err);
int lift_stats_mde_at(const lift_plan *plan, double na, double nb, double *mde, lift_err *err);

/* The alpha a plan must use for the correction a report applies over m tests: alpha / m
 * for Holm and for Benjamini–Hochberg (the level of the first rejection, the worst case),
 * alpha without correction. */
double lift_stats_plan_alpha(lift_correction c, double alpha, size_t m);

/* Days to reach n units per arm over k variants at `daily` units a day, in whole weeks
 * and never under 7. */
int lift_stats_duration_days(double n, int k, double daily);

/* Days until a plan is met: the arms reach need[i] units at daily[i] a day (whole weeks of
 * enrolment, never under 7), then a long-term metric's window (mature_days) runs out for
 * the last shoppers. -1 when an arm needs units but gets none a day. */
int lift_stats_plan_days(const double *need, const double *daily, int k, double mature_days);

#endif
