/* Validity by simulation (docs/statistics.md, "Validity the test suite must demonstrate"), seeded:
 *  - A/A: the share of p < 0.05 over 10000 experiments lies in [0.04, 0.06];
 *  - coverage: the 95% CI holds a planted relative lift in [0.94, 0.96] of experiments,
 *    for proportions, heavy-tailed revenue means and ratios (AOV);
 *  - sequential: with 20 looks, the A/A rate of "significant at any look" stays <= 0.05;
 *  - CUPED: with a correlated pre-period the CI is narrower and coverage holds;
 *  - corrections: BH intervals keep the false coverage rate, Holm intervals are Bonferroni.
 * With 10000 experiments the binomial standard error of a 0.95 coverage is 0.0022, so the
 * [0.94, 0.96] band is 4.6 standard errors wide on each side. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#include "lift/stats.h"

#define SIMS 10000

static gsl_rng *rng;

static void setup(void)
{
    gsl_set_error_handler_off();
    rng = gsl_rng_alloc(gsl_rng_mt19937);
}

static void teardown(void)
{
    gsl_rng_free(rng);
}

TestSuite(stats_sim, .init = setup, .fini = teardown, .timeout = 120);

static const lift_test_opts FIXED = {.alpha = 0.05};

static lift_comparison compare(lift_kind kind, const lift_suff *a, const lift_suff *b,
                               const lift_test_opts *o)
{
    lift_comparison c;
    lift_err err;
    cr_assert_eq(lift_stats_compare(kind, a, b, o, &c, &err), LIFT_OK, "%s", err.msg);
    cr_assert_eq(c.status, LIFT_TEST_OK, "%s", lift_test_status_name(c.status));
    return c;
}

static void in_band(double share, double lo, double hi, const char *what)
{
    cr_log_info("%s: %.4f", what, share);
    cr_assert(share >= lo && share <= hi, "%s: %.4f outside [%.2f, %.2f]", what, share, lo, hi);
}

/* --- data generators: each fills one arm's sums ------------------------------------- */

static lift_suff conversions(double n, double p)
{
    lift_suff s = {.n = n, .sum = gsl_ran_binomial(rng, p, (unsigned)n)};
    s.sum_sq = s.sum;
    return s;
}

/* Revenue per shopper: 30% buy, baskets lognormal(3.5, 1.0), times `scale`. */
static lift_suff revenue(int n, double scale)
{
    lift_suff s = {.n = n};
    for (int i = 0; i < n; i++) {
        double x = gsl_rng_uniform(rng) < 0.3 ? scale * gsl_ran_lognormal(rng, 3.5, 1.0) : 0;
        s.sum += x;
        s.sum_sq += x * x;
    }
    return s;
}

/* AOV: shoppers with 1 + Poisson(0.4) orders, each lognormal(3.6, 0.8) times `scale`. */
static lift_suff orders(int n, double scale)
{
    lift_suff s = {.n = n};
    for (int i = 0; i < n; i++) {
        double k = 1 + gsl_ran_poisson(rng, 0.4), x = 0;
        for (int j = 0; j < (int)k; j++)
            x += scale * gsl_ran_lognormal(rng, 3.6, 0.8);
        s.sum += x;
        s.sum_sq += x * x;
        s.den_sum += k;
        s.den_sum_sq += k * k;
        s.sum_x_den += x * k;
    }
    return s;
}

/* --- A/A ------------------------------------------------------------------------------ */

Test(stats_sim, aa_false_positive_rate_for_proportions)
{
    gsl_rng_set(rng, 101);
    int hits = 0;
    for (int i = 0; i < SIMS; i++) {
        lift_suff a = conversions(5000, 0.05), b = conversions(5000, 0.05);
        hits += compare(LIFT_KIND_PROPORTION, &a, &b, &FIXED).rel.p_value < 0.05;
    }
    in_band((double)hits / SIMS, 0.04, 0.06, "A/A rate, proportion, 10000 experiments");
}

Test(stats_sim, aa_false_positive_rate_for_revenue)
{
    gsl_rng_set(rng, 102);
    int hits = 0;
    int abs_hits = 0;
    for (int i = 0; i < SIMS; i++) {
        lift_suff a = revenue(2000, 1), b = revenue(2000, 1);
        lift_comparison c = compare(LIFT_KIND_MEAN, &a, &b, &FIXED);
        hits += c.rel.p_value < 0.05;
        abs_hits += c.abs.p_value < 0.05;
    }
    cr_log_info("A/A absolute: %.4f", (double)abs_hits / SIMS);
    in_band((double)hits / SIMS, 0.04, 0.06, "A/A rate, heavy-tailed revenue, 10000 experiments");
}

/* --- coverage of a planted lift ------------------------------------------------------- */

Test(stats_sim, coverage_of_a_planted_conversion_lift)
{
    gsl_rng_set(rng, 201);
    int covered = 0;
    for (int i = 0; i < SIMS; i++) {
        lift_suff a = conversions(20000, 0.05), b = conversions(20000, 0.05 * 1.10);
        lift_comparison c = compare(LIFT_KIND_PROPORTION, &a, &b, &FIXED);
        covered += c.rel.lo <= 0.10 && 0.10 <= c.rel.hi;
    }
    in_band((double)covered / SIMS, 0.94, 0.96, "coverage, proportion +10%");
}

Test(stats_sim, coverage_of_a_planted_revenue_lift)
{
    gsl_rng_set(rng, 202);
    int covered = 0;
    for (int i = 0; i < SIMS; i++) {
        lift_suff a = revenue(4000, 1), b = revenue(4000, 1.05);
        lift_comparison c = compare(LIFT_KIND_MEAN, &a, &b, &FIXED);
        covered += c.rel.lo <= 0.05 && 0.05 <= c.rel.hi;
    }
    in_band((double)covered / SIMS, 0.94, 0.96, "coverage, heavy-tailed revenue +5%");
}

Test(stats_sim, coverage_of_a_planted_aov_lift)
{
    gsl_rng_set(rng, 203);
    int covered = 0;
    for (int i = 0; i < SIMS; i++) {
        lift_suff a = orders(3000, 1), b = orders(3000, 1.04);
        lift_comparison c = compare(LIFT_KIND_RATIO, &a, &b, &FIXED);
        covered += c.rel.lo <= 0.04 && 0.04 <= c.rel.hi;
    }
    in_band((double)covered / SIMS, 0.94, 0.96, "coverage, AOV ratio +4%");
}

/* --- sequential: peeking 20 times ----------------------------------------------------- */

Test(stats_sim, sequential_aa_rate_with_20_looks)
{
    gsl_rng_set(rng, 301);
    lift_test_opts o = {.alpha = 0.05, .sequential = true, .tuning = 5000};
    int rejected = 0, fixed_rejected = 0;
    const int sims = 4000, looks = 20, step = 500;
    for (int i = 0; i < sims; i++) {
        lift_suff a = {0}, b = {0};
        bool any = false, any_fixed = false;
        for (int k = 0; k < looks; k++) {
            lift_suff da = conversions(step, 0.1), db = conversions(step, 0.1);
            a.n += da.n, a.sum += da.sum, a.sum_sq += da.sum;
            b.n += db.n, b.sum += db.sum, b.sum_sq += db.sum;
            any |= compare(LIFT_KIND_PROPORTION, &a, &b, &o).rel.p_value < 0.05;
            any_fixed |= compare(LIFT_KIND_PROPORTION, &a, &b, &FIXED).rel.p_value < 0.05;
        }
        rejected += any;
        fixed_rejected += any_fixed;
    }
    double rate = (double)rejected / sims, naive = (double)fixed_rejected / sims;
    cr_log_info("sequential A/A with 20 looks: %.4f (fixed-horizon test peeking: %.4f)", rate,
                naive);
    cr_assert_leq(rate, 0.05, "always-valid rate %.4f", rate);
    /* The point of it: peeking at a fixed-horizon test inflates the error rate. */
    cr_assert_gt(naive, 0.15, "naive peeking rate %.4f", naive);
}

/* --- CUPED ---------------------------------------------------------------------------- */

/* x = 0.8 z + 5 + N(0, 15^2) with z ~ Gamma(2, 20): E[x] = 37; `add` shifts x. */
static lift_suff with_pre(int n, double add)
{
    lift_suff s = {.n = n};
    for (int i = 0; i < n; i++) {
        double z = gsl_ran_gamma(rng, 2.0, 20.0);
        double x = 0.8 * z + 5 + gsl_ran_gaussian(rng, 15.0) + add;
        s.sum += x;
        s.sum_sq += x * x;
        s.pre_sum += z;
        s.pre_sum_sq += z * z;
        s.sum_x_pre += x * z;
    }
    return s;
}

Test(stats_sim, cuped_narrows_the_ci_and_keeps_coverage)
{
    gsl_rng_set(rng, 401);
    lift_test_opts cuped = {.alpha = 0.05, .cuped = true};
    int covered = 0, covered_plain = 0, imbalanced = 0;
    double width = 0, width_plain = 0;
    const double lift = 0.05; /* of E[x] = 37 */
    for (int i = 0; i < SIMS; i++) {
        lift_suff a = with_pre(2000, 0), b = with_pre(2000, lift * 37);
        lift_comparison c = compare(LIFT_KIND_MEAN, &a, &b, &cuped);
        lift_comparison p = compare(LIFT_KIND_MEAN, &a, &b, &FIXED);
        covered += c.rel.lo <= lift && lift <= c.rel.hi;
        covered_plain += p.rel.lo <= lift && lift <= p.rel.hi;
        width += c.rel.hi - c.rel.lo;
        width_plain += p.rel.hi - p.rel.lo;
        imbalanced += c.pre_imbalance;
    }
    cr_log_info("CUPED: mean CI width %.5f against %.5f unadjusted (%.0f%% narrower)", width / SIMS,
                width_plain / SIMS, 100 * (1 - width / width_plain));
    in_band((double)covered / SIMS, 0.94, 0.96, "coverage with CUPED");
    in_band((double)covered_plain / SIMS, 0.94, 0.96, "coverage without CUPED");
    /* corr(x, z) = 0.8*28.3/sqrt(0.8^2*800+225) = 0.83: the variance falls by 1 - 0.69. */
    cr_assert_lt(width, 0.7 * width_plain, "CUPED width %.5f vs %.5f", width / SIMS,
                 width_plain / SIMS);
    /* Randomized arms: the imbalance flag (p < 0.001) is rare. */
    cr_assert_leq(imbalanced, SIMS / 200, "imbalance flagged %d times", imbalanced);
}

/* --- corrected intervals -------------------------------------------------------------- */

/* One family of 20 conversion metrics, 5 of them with a planted +8% lift, analysed under
 * correction c; counts the selected (significant) intervals and those that miss their true
 * lift, with the report's intervals (shown) and with the marginal 95% ones. */
static void family(lift_correction c, double *fcr, double *fcr_marginal, int *selected)
{
    enum { M = 20, TRUE_EFFECTS = 5 };
    lift_suff arms[M][2];
    lift_metric_input in[M];
    for (int k = 0; k < M; k++) {
        double lift = k < TRUE_EFFECTS ? 0.08 : 0;
        arms[k][0] = conversions(20000, 0.1);
        arms[k][1] = conversions(20000, 0.1 * (1 + lift));
        in[k] = (lift_metric_input){.key = "m", .kind = LIFT_KIND_PROPORTION, .arms = arms[k]};
    }
    lift_analysis a = {
        .opts = FIXED, .correction = c, .nvariants = 2, .metrics = in, .nmetrics = M};
    lift_analysis_out out;
    lift_err err;
    cr_assert_eq(lift_stats_analyze(&a, &out, &err), LIFT_OK, "%s", err.msg);
    int sel = 0, miss = 0, miss_marginal = 0;
    for (int k = 0; k < M; k++) {
        const lift_result *r = &out.results[k];
        double truth = k < TRUE_EFFECTS ? 0.08 : 0;
        /* The shown interval agrees with the call, whatever the family did. */
        cr_assert_eq(r->significant, r->rel_ci.lo > 0 || r->rel_ci.hi < 0);
        if (!r->significant)
            continue;
        sel++;
        miss += truth < r->rel_ci.lo || truth > r->rel_ci.hi;
        miss_marginal += truth < r->cmp.rel.lo || truth > r->cmp.rel.hi;
    }
    *fcr += sel ? (double)miss / sel : 0;
    *fcr_marginal += sel ? (double)miss_marginal / sel : 0;
    *selected += sel;
    lift_stats_analysis_fini(&out);
}

/* Benjamini and Yekutieli (2005): intervals at 1 - R alpha / m over the BH-selected keep
 * the false coverage rate (the expected share of selected intervals that miss) <= alpha;
 * the marginal 95% intervals of the same selections do not. 2000 families: the FCR's
 * standard error is about 0.003. */
Test(stats_sim, bh_intervals_keep_the_false_coverage_rate)
{
    gsl_rng_set(rng, 501);
    double fcr = 0, marginal = 0;
    int selected = 0;
    const int families = 2000;
    for (int i = 0; i < families; i++)
        family(LIFT_CORRECT_BH, &fcr, &marginal, &selected);
    cr_log_info("BH: FCR %.4f with the adjusted intervals, %.4f with marginal ones; %.2f "
                "selected a family",
                fcr / families, marginal / families, (double)selected / families);
    cr_assert_leq(fcr / families, 0.05, "FCR %.4f", fcr / families);
    cr_assert_gt(marginal / families, 0.05, "the marginal intervals do not keep it");
}

/* Holm: each shown interval is at least a marginal 1 - alpha interval, and a 1 - alpha/m
 * one when nothing is rejected (simultaneous, Bonferroni): over families with no effect at
 * all, some interval misses 0 exactly when Holm rejects something, 1 - (1 - alpha/m)^m =
 * 0.0489 of them for 10 independent tests. 4000 families: standard error 0.0034, so the band
 * [0.035, 0.065] is 4 of them wide each side (the marginal intervals would miss in 40%). */
Test(stats_sim, holm_intervals_are_bonferroni_when_nothing_is_rejected)
{
    gsl_rng_set(rng, 502);
    enum { M = 10 };
    int any_miss = 0;
    const int families = 4000;
    for (int i = 0; i < families; i++) {
        lift_suff arms[M][2];
        lift_metric_input in[M];
        for (int k = 0; k < M; k++) {
            arms[k][0] = conversions(5000, 0.1);
            arms[k][1] = conversions(5000, 0.1);
            in[k] = (lift_metric_input){.key = "m", .kind = LIFT_KIND_PROPORTION, .arms = arms[k]};
        }
        lift_analysis a = {.opts = FIXED,
                           .correction = LIFT_CORRECT_HOLM,
                           .nvariants = 2,
                           .metrics = in,
                           .nmetrics = M};
        lift_analysis_out out;
        lift_err err;
        cr_assert_eq(lift_stats_analyze(&a, &out, &err), LIFT_OK, "%s", err.msg);
        bool miss = false;
        for (int k = 0; k < M; k++)
            miss |= out.results[k].rel_ci.lo > 0 || out.results[k].rel_ci.hi < 0;
        any_miss += miss;
        lift_stats_analysis_fini(&out);
    }
    in_band((double)any_miss / families, 0.035, 0.065, "Holm, A/A families: any interval misses 0");
}
