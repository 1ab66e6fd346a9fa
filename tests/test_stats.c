/* The stats engine against values computed independently (tests/ref/stats_ref.py: scipy,
 * statsmodels, mpmath, numpy on the raw per-unit data), to 1e-9 relative; degenerate and
 * malformed inputs; the liftctl stats and power commands. */
#include <criterion/criterion.h>
#include <float.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lift/statsjson.h"
#include "support/pgtest.h"

#define TOL 1e-9

static void init(void)
{
    gsl_set_error_handler_off();
}

TestSuite(stats_ref, .init = init);
TestSuite(stats_degenerate, .init = init);
TestSuite(stats_cli, .init = init);

static json_t *ref;

static json_t *reference(const char *key)
{
    if (!ref) {
        json_error_t jerr;
        ref = json_load_file("tests/ref/stats-ref.json", 0, &jerr);
        cr_assert(ref, "tests/ref/stats-ref.json: %s", jerr.text);
    }
    return json_object_get(ref, key);
}

/* |got - want| <= TOL * max(|want|, scale): relative, with a floor for values near 0
 * (a CI bound crossing 0 is judged against its standard error). */
static void near(double got, double want, double scale, const char *what)
{
    double tol = TOL * fmax(fabs(want), scale);
    cr_assert(fabs(got - want) <= tol, "%s: got %.17g, want %.17g (diff %.3g, tol %.3g)", what, got,
              want, fabs(got - want), tol);
}

static void near_estimate(const lift_estimate *e, const json_t *want, const char *what)
{
    char label[160];
    cr_assert(e->valid, "%s: no estimate", what);
    double se = json_number_value(json_object_get(want, "se"));
    snprintf(label, sizeof label, "%s.estimate", what);
    near(e->estimate, json_number_value(json_object_get(want, "estimate")), se, label);
    snprintf(label, sizeof label, "%s.se", what);
    near(e->se, se, 0, label);
    snprintf(label, sizeof label, "%s.ci[0]", what);
    near(e->lo, json_number_value(json_array_get(json_object_get(want, "ci"), 0)), se, label);
    snprintf(label, sizeof label, "%s.ci[1]", what);
    near(e->hi, json_number_value(json_array_get(json_object_get(want, "ci"), 1)), se, label);
    snprintf(label, sizeof label, "%s.p_value", what);
    near(e->p_value, json_number_value(json_object_get(want, "p_value")), 0, label);
}

/* The interval [lo, hi] of want against got, judged against the estimate's se. */
static void near_ci(const lift_interval *got, const json_t *want, double se, const char *what)
{
    char label[200];
    snprintf(label, sizeof label, "%s[0]", what);
    near(got->lo, json_number_value(json_array_get(want, 0)), se, label);
    snprintf(label, sizeof label, "%s[1]", what);
    near(got->hi, json_number_value(json_array_get(want, 1)), se, label);
}

/* Runs every request of reference(key) through the parser and the analysis and checks each
 * result against the fields its expectation has. */
static void check_cases(const char *key)
{
    size_t i;
    json_t *c;
    json_array_foreach(reference(key), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        char *text = json_dumps(json_object_get(c, "request"), 0);
        lift_stats_request req;
        lift_analysis_out out = {0};
        lift_err err;
        cr_assert_eq(lift_statsjson_parse(text, strlen(text), &req, &err), LIFT_OK, "%s: %s", name,
                     err.msg);
        cr_assert_eq(lift_stats_analyze(&req.analysis, &out, &err), LIFT_OK, "%s: %s", name,
                     err.msg);
        const json_t *expected = json_object_get(c, "expected");
        cr_assert_eq(out.nresults, json_array_size(expected), "%s", name);
        for (size_t k = 0; k < out.nresults; k++) {
            const lift_result *res = &out.results[k];
            const lift_comparison *cmp = &res->cmp;
            const json_t *e = json_array_get(expected, k);
            char what[160];
            cr_assert_eq(cmp->status, LIFT_TEST_OK, "%s: status %s", name,
                         lift_test_status_name(cmp->status));
            if (json_object_get(e, "df")) {
                snprintf(what, sizeof what, "%s[%zu].df", name, k);
                near(cmp->df, json_number_value(json_object_get(e, "df")), 0, what);
            }
            if (json_object_get(e, "absolute")) {
                snprintf(what, sizeof what, "%s[%zu].absolute", name, k);
                near_estimate(&cmp->abs, json_object_get(e, "absolute"), what);
                snprintf(what, sizeof what, "%s[%zu].relative", name, k);
                near_estimate(&cmp->rel, json_object_get(e, "relative"), what);
            }
            if (json_object_get(e, "theta")) {
                snprintf(what, sizeof what, "%s.theta", name);
                near(cmp->theta, json_number_value(json_object_get(e, "theta")), 0, what);
                /* scipy's Welch p of the pre-period means; 1e-9 too. */
                snprintf(what, sizeof what, "%s.pre_p_value", name);
                near(cmp->pre_p_value, json_number_value(json_object_get(e, "pre_p_value")), 0,
                     what);
            }
            if (json_object_get(e, "p_value_adjusted")) {
                snprintf(what, sizeof what, "%s[%zu].p_value_adjusted", name, k);
                near(res->p_adjusted, json_number_value(json_object_get(e, "p_value_adjusted")), 0,
                     what);
            }
            if (json_object_get(e, "ci_level")) {
                snprintf(what, sizeof what, "%s[%zu].ci_level", name, k);
                near(res->ci_level, json_number_value(json_object_get(e, "ci_level")), 0, what);
                snprintf(what, sizeof what, "%s[%zu].rel_ci", name, k);
                near_ci(&res->rel_ci, json_object_get(e, "rel_ci"), cmp->rel.se, what);
                bool sig = json_is_true(json_object_get(e, "significant"));
                cr_assert_eq(res->significant, sig, "%s[%zu]: significant", name, k);
                /* The interval shown agrees with the call, and so does the label. */
                cr_assert_eq(res->rel_ci.lo > 0 || res->rel_ci.hi < 0, sig, "%s[%zu]", name, k);
                cr_assert_eq(res->label == LIFT_LABEL_WIN || res->label == LIFT_LABEL_LOSS, sig,
                             "%s[%zu]: label %s", name, k, lift_label_name(res->label));
            }
            if (json_object_get(e, "harm_p")) {
                snprintf(what, sizeof what, "%s[%zu].harm_p", name, k);
                near(res->harm_p, json_number_value(json_object_get(e, "harm_p")), 0, what);
                cr_assert_eq(res->harm, json_is_true(json_object_get(e, "harm")), "%s", name);
                cr_assert(isnan(res->p_adjusted), "%s: a guardrail is outside the family", name);
            }
        }
        const json_t *srm = json_object_get(c, "srm");
        if (srm) {
            cr_assert(out.has_srm);
            near(out.srm.chi2, json_number_value(json_object_get(srm, "chi2")), 0, "srm.chi2");
            near(out.srm.p_value, json_number_value(json_object_get(srm, "p_value")), 0,
                 "srm.p_value");
            cr_assert_eq(out.srm.flag, json_is_true(json_object_get(srm, "flag")));
        }
        lift_stats_analysis_fini(&out);
        lift_statsjson_fini(&req);
        free(text);
    }
}

Test(stats_ref, every_case_matches_the_independent_reference)
{
    check_cases("cases");
}

/* Issue 13, defect 1: a certain, catastrophic loss whose t tail underflows must stay a
 * valid result with p 0 (or its exact tiny value), in every code path. */
Test(stats_ref, certain_effects_keep_valid_results_with_p_near_or_below_1e_300)
{
    check_cases("far_cases");
}

Test(stats_ref, corrected_intervals_agree_with_the_calls)
{
    check_cases("correction_cases");
}

Test(stats_ref, guardrails_are_one_sided_beyond_their_margin)
{
    check_cases("guardrail_cases");
}

Test(stats_ref, holm_and_bh_match_statsmodels_with_ties)
{
    size_t i;
    json_t *c;
    json_array_foreach(reference("adjust"), i, c)
    {
        const json_t *p = json_object_get(c, "p"), *want = json_object_get(c, "adjusted");
        double in[16], adj[16];
        size_t m = json_array_size(p);
        for (size_t k = 0; k < m; k++)
            in[k] = json_number_value(json_array_get(p, k));
        bool holm = strcmp(json_string_value(json_object_get(c, "method")), "holm") == 0;
        lift_err err;
        cr_assert_eq(
            lift_stats_adjust(holm ? LIFT_CORRECT_HOLM : LIFT_CORRECT_BH, in, m, adj, &err),
            LIFT_OK);
        for (size_t k = 0; k < m; k++)
            near(adj[k], json_number_value(json_array_get(want, k)), 0, holm ? "holm" : "bh");
    }
}

static void check_bayes(const char *key)
{
    size_t i;
    json_t *c;
    json_array_foreach(reference(key), i, c)
    {
        const json_t *prior = json_object_get(c, "prior");
        lift_test_opts o = {.alpha = 0.05,
                            .lower_is_better = json_is_true(json_object_get(c, "lower_is_better"))};
        if (json_is_array(prior)) {
            o.prior_mean = json_number_value(json_array_get(prior, 0));
            o.prior_sd = json_number_value(json_array_get(prior, 1));
        }
        lift_comparison out;
        lift_stats_bayes(json_number_value(json_object_get(c, "estimate")),
                         json_number_value(json_object_get(c, "se")), &o, &out);
        near(out.post_mean, json_number_value(json_object_get(c, "post_mean")), 0, "post_mean");
        near(out.post_sd, json_number_value(json_object_get(c, "post_sd")), 0, "post_sd");
        near(out.chance_to_win, json_number_value(json_object_get(c, "chance_to_win")), 0,
             "chance_to_win");
        /* quad's own tolerance is 1e-12 relative: the closed forms must agree to 1e-9. */
        near(out.risk_control, json_number_value(json_object_get(c, "risk_control")), 1e-12,
             "risk_control");
        near(out.risk_treatment, json_number_value(json_object_get(c, "risk_treatment")), 1e-12,
             "risk_treatment");
    }
}

Test(stats_ref, bayes_matches_numerical_integration)
{
    check_bayes("bayes");
}

/* A certain loss: chance to win 0, the expected loss of shipping the whole drop. */
Test(stats_ref, bayes_of_a_certain_effect_matches_closed_forms)
{
    check_bayes("bayes_far");
}

Test(stats_ref, sample_size_and_mde_match_scipy)
{
    size_t i;
    json_t *c;
    json_array_foreach(reference("power"), i, c)
    {
        lift_plan plan = {.proportion = json_is_true(json_object_get(c, "proportion")),
                          .baseline = json_number_value(json_object_get(c, "baseline")),
                          .sd = json_number_value(json_object_get(c, "sd")),
                          .alpha = json_number_value(json_object_get(c, "alpha")),
                          .power = json_number_value(json_object_get(c, "power"))};
        double n, mde;
        lift_err err;
        cr_assert_eq(
            lift_stats_sample_size(&plan, json_number_value(json_object_get(c, "mde")), &n, &err),
            LIFT_OK, "%s", err.msg);
        cr_assert_eq(n, json_number_value(json_object_get(c, "n")), "case %zu: n %.0f", i, n);
        cr_assert_eq(lift_stats_mde(&plan, 20000, &mde, &err), LIFT_OK, "%s", err.msg);
        near(mde, json_number_value(json_object_get(c, "mde_at_20000")), 0, "mde");
    }
    /* Duration: whole weeks, never under 7 days. */
    double need[] = {1000, 8000}, daily[] = {100, 100};
    cr_assert_eq(lift_stats_plan_days(need, daily, 2, 0), 84, "80 days of enrolment: 12 weeks");
    cr_assert_eq(lift_stats_plan_days(need, daily, 2, 90), 174, "then 90 days for LTV");
    daily[1] = 0;
    cr_assert_eq(lift_stats_plan_days(need, daily, 2, 0), -1, "an arm that gets nobody");
    cr_assert_eq(lift_stats_duration_days(1000, 2, 100000), 7);
    cr_assert_eq(lift_stats_duration_days(70000, 2, 10000), 14);
    cr_assert_eq(lift_stats_duration_days(70001, 2, 10000), 21);
}

/* Issue 13, defect 7: the real allocation and the correction. A 5/95 holdout planned as two
 * equal arms asks the holdout for about 1.9 times the shoppers it needs. */
Test(stats_ref, sample_size_follows_the_allocation_and_the_correction)
{
    size_t i;
    json_t *c;
    json_array_foreach(reference("allocation"), i, c)
    {
        const json_t *w = json_object_get(c, "weights");
        double alpha = json_number_value(json_object_get(c, "alpha"));
        size_t m = (size_t)json_number_value(json_object_get(c, "family"));
        lift_plan plan = {.proportion = true,
                          .baseline = json_number_value(json_object_get(c, "baseline")),
                          .alpha = lift_stats_plan_alpha(LIFT_CORRECT_HOLM, alpha, m),
                          .power = json_number_value(json_object_get(c, "power")),
                          .control_share = json_number_value(json_array_get(w, 0)),
                          .treatment_share = json_number_value(json_array_get(w, 1))};
        cr_assert_eq(lift_stats_plan_alpha(LIFT_CORRECT_BH, alpha, m), plan.alpha);
        cr_assert_eq(lift_stats_plan_alpha(LIFT_CORRECT_NONE, alpha, m), alpha);
        double mde = json_number_value(json_object_get(c, "mde")), na, nb, n, reach;
        lift_err err;
        cr_assert_eq(lift_stats_sample_sizes(&plan, mde, &na, &nb, &err), LIFT_OK, "%s", err.msg);
        cr_assert_eq(na, json_number_value(json_object_get(c, "n_control")), "case %zu: %.0f", i,
                     na);
        cr_assert_eq(nb, json_number_value(json_object_get(c, "n_treatment")), "case %zu: %.0f", i,
                     nb);
        cr_assert_eq(lift_stats_sample_size(&plan, mde, &n, &err), LIFT_OK);
        cr_assert_eq(n, json_number_value(json_object_get(c, "n_equal")), "case %zu", i);
        const json_t *at = json_object_get(c, "mde_at");
        cr_assert_eq(lift_stats_mde_at(&plan, json_number_value(json_array_get(at, 0)),
                                       json_number_value(json_array_get(at, 1)), &reach, &err),
                     LIFT_OK, "%s", err.msg);
        near(reach, json_number_value(json_object_get(c, "mde_reached")), 0, "mde_at");
        if (i == 0)
            cr_assert(n / na > 1.9 && n / na < 2, "equal arms over-size the holdout %.3fx", n / na);
    }
}

Test(stats_ref, student_t_tails_and_quantiles_match_mpmath)
{
    size_t i;
    json_t *c;
    json_array_foreach(reference("tdist"), i, c)
    {
        double t = json_number_value(json_object_get(c, "t")),
               df = json_number_value(json_object_get(c, "df"));
        char what[64];
        snprintf(what, sizeof what, "sf(%g, %g)", t, df);
        near(lift_stats_t_sf(t, df), json_number_value(json_object_get(c, "sf")), 0, what);
    }
    json_array_foreach(reference("tquantile"), i, c)
    {
        double q = json_number_value(json_object_get(c, "q")),
               df = json_number_value(json_object_get(c, "df"));
        char what[64];
        snprintf(what, sizeof what, "isf(%g, %g)", q, df);
        near(lift_stats_t_isf(q, df), json_number_value(json_object_get(c, "t")), 0, what);
    }
}

/* Far tails, t in [8, 150] and df in [1e3, 1e9]: the tail to 1e-9 wherever it is a normal
 * double, and its logarithm to 1e-9 (that is, the tail to 1e-9 relative) beyond. */
Test(stats_ref, far_student_t_tails_match_mpmath_past_1e_300)
{
    size_t i;
    json_t *c;
    int below = 0;
    json_array_foreach(reference("tfar"), i, c)
    {
        double t = json_number_value(json_object_get(c, "t")),
               df = json_number_value(json_object_get(c, "df")),
               sf = json_number_value(json_object_get(c, "sf")),
               log_sf = json_number_value(json_object_get(c, "log_sf"));
        double got = lift_stats_t_sf(t, df), got_log = lift_stats_t_log_sf(t, df);
        cr_assert(fabs(got_log - log_sf) <= TOL, "log sf(%g, %g): got %.17g, want %.17g", t, df,
                  got_log, log_sf);
        if (sf >= DBL_MIN) {
            char what[64];
            snprintf(what, sizeof what, "sf(%g, %g)", t, df);
            near(got, sf, 0, what);
        } else {
            cr_assert(got >= 0 && got < DBL_MIN, "sf(%g, %g) = %g below the smallest double", t, df,
                      got);
            below++;
        }
    }
    cr_assert_gt(below, 20, "the grid goes past the smallest double");
}

/* --- degenerate and malformed input -------------------------------------------------- */

/* Analyzes a one-metric request; returns the first result's status name and fills out. */
static lift_comparison analyze_one(const char *json, int *rc, lift_err *err)
{
    lift_stats_request req;
    lift_analysis_out out = {0};
    lift_comparison c;
    memset(&c, 0, sizeof c);
    *rc = lift_statsjson_parse(json, strlen(json), &req, err);
    if (*rc == LIFT_OK)
        *rc = lift_stats_analyze(&req.analysis, &out, err);
    if (*rc == LIFT_OK) {
        c = out.results[0].cmp;
        /* Whatever the status, the rendered JSON holds no NaN or Inf. */
        lift_buf b;
        lift_jw w;
        lift_buf_init(&b);
        lift_jw_init(&w, &b, false);
        lift_statsjson_write(&w, &req.analysis, req.variants, &out);
        cr_assert(!strstr(b.data, "nan") && !strstr(b.data, "inf") && !strstr(b.data, "NaN"), "%s",
                  b.data);
        json_error_t jerr;
        json_t *parsed = json_loads(b.data, 0, &jerr);
        cr_assert(parsed, "result is not JSON: %s", jerr.text);
        json_decref(parsed);
        lift_buf_fini(&b);
        lift_stats_analysis_fini(&out);
    }
    lift_statsjson_fini(&req);
    return c;
}

#define REQ(type, a, b)                                                                            \
    "{\"variants\":[\"c\",\"t\"],\"metrics\":[{\"key\":\"m\",\"type\":\"" type "\",\"data\":[" a   \
    "," b "]}]}"

Test(stats_degenerate, statuses_instead_of_nan)
{
    int rc;
    lift_err err;
    lift_comparison c =
        analyze_one(REQ("proportion", "{\"n\":1,\"sum\":1}", "{\"n\":50,\"sum\":3}"), &rc, &err);
    cr_assert_eq(rc, LIFT_OK, "%s", err.msg);
    cr_assert_eq(c.status, LIFT_TEST_INSUFFICIENT_DATA);
    cr_assert_not(c.abs.valid);

    c = analyze_one(REQ("mean", "{\"n\":100,\"sum\":500,\"sum_sq\":2500}",
                        "{\"n\":120,\"sum\":600,\"sum_sq\":3000}"),
                    &rc, &err);
    cr_assert_eq(c.status, LIFT_TEST_NO_VARIANCE, "every value is 5");

    c = analyze_one(REQ("proportion", "{\"n\":100,\"sum\":0}", "{\"n\":100,\"sum\":0}"), &rc, &err);
    cr_assert_eq(c.status, LIFT_TEST_NO_VARIANCE);

    c = analyze_one(
        REQ("mean", "{\"n\":100,\"sum\":0,\"sum_sq\":0}", "{\"n\":100,\"sum\":30,\"sum_sq\":90}"),
        &rc, &err);
    cr_assert_eq(c.status, LIFT_TEST_ZERO_CONTROL_MEAN);
    cr_assert(c.abs.valid, "the absolute difference is still tested");
    cr_assert_not(c.rel.valid);

    c = analyze_one(REQ("ratio",
                        "{\"n\":10,\"sum\":0,\"sum_sq\":0,\"den_sum\":0,\"den_sum_sq\":0,"
                        "\"sum_x_den\":0}",
                        "{\"n\":10,\"sum\":100,\"sum_sq\":1200,\"den_sum\":12,\"den_sum_sq\":16,"
                        "\"sum_x_den\":130}"),
                    &rc, &err);
    cr_assert_eq(c.status, LIFT_TEST_NO_DENOMINATOR);
}

Test(stats_degenerate, cuped_falls_back_without_pre_period_variance)
{
    int rc;
    lift_err err;
    lift_comparison plain = analyze_one(REQ("mean", "{\"n\":1000,\"sum\":5000,\"sum_sq\":40000}",
                                            "{\"n\":1000,\"sum\":5300,\"sum_sq\":43000}"),
                                        &rc, &err);
    lift_comparison c = analyze_one(
        "{\"variants\":[\"c\",\"t\"],\"metrics\":[{\"key\":\"m\",\"type\":\"mean\",\"cuped\":true,"
        "\"data\":[{\"n\":1000,\"sum\":5000,\"sum_sq\":40000,\"pre_sum\":0,\"pre_sum_sq\":0,"
        "\"sum_x_pre\":0},{\"n\":1000,\"sum\":5300,\"sum_sq\":43000,\"pre_sum\":0,"
        "\"pre_sum_sq\":0,\"sum_x_pre\":0}]}]}",
        &rc, &err);
    cr_assert_eq(rc, LIFT_OK, "%s", err.msg);
    cr_assert(c.cuped && c.cuped_fallback);
    cr_assert_eq(c.theta, 0);
    cr_assert_eq(c.rel.p_value, plain.rel.p_value, "the fallback is the unadjusted analysis");
    cr_assert_eq(c.rel.lo, plain.rel.lo);
}

static void refused(const char *json, const char *msg)
{
    int rc;
    lift_err err;
    analyze_one(json, &rc, &err);
    cr_assert_eq(rc, LIFT_EINVAL, "accepted: %s", json);
    cr_assert_str_eq(err.msg, msg);
}

Test(stats_degenerate, malformed_requests_name_the_field)
{
    refused(REQ("proportion", "{\"n\":300,\"sum\":312}", "{\"n\":300,\"sum\":3}"),
            "metrics[0].data[0].sum: 312 conversions is more than the 300 units");
    refused(REQ("proportion", "{\"n\":300,\"sum\":3}", "{\"n\":-5,\"sum\":0}"),
            "metrics[0].data[1].n: must not be negative");
    refused(REQ("mean", "{\"n\":30,\"sum\":3}", "{\"n\":30,\"sum\":3,\"sum_sq\":1}"),
            "metrics[0].data[0].sum_sq: missing");
    refused(REQ("mean", "{\"n\":30,\"sum\":30,\"sum_sq\":10}", "{\"n\":30,\"sum\":3,\"sum_sq\":1}"),
            "metrics[0].data[0].sum_sq: is smaller than sum^2/n, which no data can give");
    refused(REQ("ratio", "{\"n\":30,\"sum\":30,\"sum_sq\":100}", "{\"n\":30,\"sum\":3}"),
            "metrics[0].data[0].den_sum: missing");
    refused(REQ("median", "{\"n\":30,\"sum\":3}", "{\"n\":30,\"sum\":3}"),
            "metrics[0].type: expected one of \"proportion\", \"mean\", \"ratio\"");
    refused(REQ("proportion", "{\"n\":30,\"sum\":3,\"sums\":1}", "{\"n\":30,\"sum\":3}"),
            "metrics[0].data[0].sums: unknown field");
    refused(REQ("proportion", "{\"n\":30,\"sum\":\"3\"}", "{\"n\":30,\"sum\":3}"),
            "metrics[0].data[0].sum: expected a number");
    refused("{\"variants\":[\"c\"],\"metrics\":[]}",
            "variants: expected the variant names, the control first (at least 2)");
    refused("{\"alpha\":1.5,\"variants\":[\"c\",\"t\"],\"metrics\":[]}",
            "alpha: expected a number between 0 and 1");
    refused("{\"variants\":[\"c\",\"t\"],\"correction\":\"bonferroni\",\"metrics\":[]}",
            "correction: expected one of \"none\", \"holm\", \"bh\"");
    refused("{\"variants\":[\"c\",\"t\"],\"units\":[10],\"metrics\":[]}",
            "units: expected an array of 2 numbers, one per variant");
    refused("{\"variants\":[\"c\",\"t\"],\"metrics\":[{\"key\":\"m\",\"type\":\"ratio\","
            "\"cuped\":true,\"data\":[]}]}",
            "metrics[0].cuped: defined for proportion and mean metrics, not ratios");
    refused("{\"variants\":[\"c\",\"t\"],\"metrics\":[],\"variants\":[]}",
            "request is not valid JSON (line 1, column 45): duplicate object key near "
            "'\"variants\"'");
    refused("{\"variants\":[\"c\",\"t\"],\"metrics\":[{\"key\":\"m\",\"type\":\"mean\",\"data\":"
            "[{\"n\":1e400,\"sum\":1,\"sum_sq\":1},{\"n\":2,\"sum\":1,\"sum_sq\":1}]}]}",
            "request is not valid JSON (line 1, column 76): real number overflow near '1e400'");
}

/* The decision's fields (docs/statistics.md, liftctl stats) are as strict as the rest. */
Test(stats_degenerate, decision_fields_are_checked)
{
#define M2(a, b)                                                                                   \
    "{\"variants\":[\"c\",\"t\"],\"metrics\":[{\"key\":\"m\",\"type\":\"proportion\"," a           \
    "\"data\":[{\"n\":30,\"sum\":3},{\"n\":30,\"sum\":3}]},{\"key\":\"k\",\"type\":"               \
    "\"proportion\"," b "\"data\":[{\"n\":30,\"sum\":3},{\"n\":30,\"sum\":3}]}]}"
    refused(M2("\"role\":\"primary\",", "\"role\":\"primary\","),
            "metrics[1].role: metrics[0] is the primary already: one metric decides");
    refused(M2("\"role\":\"boss\",", ""),
            "metrics[0].role: expected one of \"secondary\", \"primary\", \"guardrail\"");
    refused(M2("\"margin\":0.02,", ""),
            "metrics[0].margin: a margin is for guardrails (\"role\": \"guardrail\")");
    refused(M2("\"role\":\"guardrail\",\"margin\":1.5,", ""),
            "metrics[0].margin: expected a number in [0, 0.999999]");
    refused(M2("\"long_term\":1,", ""), "metrics[0].long_term: expected true or false");
    refused("{\"variants\":[\"c\",\"t\"],\"plan\":{\"shoppers\":5},\"metrics\":[]}",
            "plan.shoppers: unknown field");
    refused("{\"variants\":[\"c\",\"t\"],\"plan\":{\"shoppers_per_variant\":[5]},"
            "\"metrics\":[]}",
            "plan.shoppers_per_variant: expected an array of 2 numbers, one per variant");
    refused("{\"variants\":[\"c\",\"t\"],\"revenue_metric\":\"gmv\",\"metrics\":[]}",
            "revenue_metric: expected the key of a mean metric of the request (revenue per "
            "shopper)");
#undef M2
}

Test(stats_degenerate, large_counts_stay_exact)
{
    /* 3.1% of a billion against 3.11%: p(1-p) from integer counts has no cancellation. */
    lift_suff a = {.n = 1e9, .sum = 31000000}, b = {.n = 1e9, .sum = 31100000};
    lift_moments m;
    lift_err err;
    lift_stats_moments(LIFT_KIND_PROPORTION, &a, &m, &err);
    cr_assert_eq(m.var, 0.031 * 0.969, "%.17g", m.var);
    lift_comparison c;
    lift_test_opts o = {.alpha = 0.05};
    cr_assert_eq(lift_stats_compare(LIFT_KIND_PROPORTION, &a, &b, &o, &c, &err), LIFT_OK);
    /* Hand-worked: se = sqrt((.031*.969 + .0311*.9689)/1e9) = 7.7553e-6; z = 12.894. */
    near(c.abs.se, sqrt((0.031 * 0.969 + 0.0311 * 0.9689) / 1e9), 0, "se");
    cr_assert(c.abs.p_value > 0 && c.abs.p_value < 1e-30, "p %g", c.abs.p_value);

    /* A mean of 1e6 with sd 1 over 1e6 units: sum_sq - sum^2/n cancels 12 digits. */
    double n = 1e6, mean = 1e6;
    lift_suff big = {.n = n, .sum = n * mean, .sum_sq = n * (mean * mean + 1) + 0.0};
    lift_stats_moments(LIFT_KIND_MEAN, &big, &m, &err);
    cr_assert(fabs(m.var - 1) < 1e-3, "variance %.17g (extended precision keeps 3 digits)", m.var);
}

/* --- the commands -------------------------------------------------------------------- */

static const char *run(const char *cmd, int *status)
{
    static char out[1 << 16];
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

Test(stats_cli, stats_filter_exits_2_naming_the_field)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "echo '" REQ("proportion", "{\"n\":300,\"sum\":312}",
                          "{\"n\":300,\"sum\":3}") "' | %s stats 2>&1",
             pgtest_bin("liftctl"));
    int status;
    cr_assert_str_eq(run(cmd, &status),
                     "liftctl stats: metrics[0].data[0].sum: 312 conversions is more than the 300 "
                     "units\n");
    cr_assert_eq(status, 2);
}

Test(stats_cli, stats_filter_answers_the_contract)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "echo '{\"variants\":[\"control\",\"personalized\"],\"units\":[10000,10050],"
             "\"metrics\":[{\"key\":\"conversion\",\"type\":\"proportion\",\"data\":"
             "[{\"n\":10000,\"sum\":312},{\"n\":10050,\"sum\":360}]}]}' | %s stats",
             pgtest_bin("liftctl"));
    int status;
    json_error_t jerr;
    json_t *r = json_loads(run(cmd, &status), 0, &jerr);
    cr_assert_eq(status, 0);
    cr_assert(r, "%s", jerr.text);
    json_t *first = json_array_get(json_object_get(r, "results"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "metric")), "conversion");
    cr_assert_str_eq(json_string_value(json_object_get(first, "variant")), "personalized");
    cr_assert(json_is_false(json_object_get(json_object_get(r, "srm"), "flag")));
    static const char *const fields[] = {"control",  "treatment",        "absolute",
                                         "relative", "p_value_adjusted", "significant"};
    for (size_t i = 0; i < 6; i++)
        cr_assert(json_object_get(first, fields[i]), "missing %s", fields[i]);
    json_decref(r);
}

Test(stats_cli, power_prints_sample_and_whole_weeks)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s power --baseline 5%% --mde 10%% --daily-shoppers 4000 --weeks 3",
             pgtest_bin("liftctl"));
    int status;
    const char *out = run(cmd, &status);
    cr_assert_eq(status, 0, "%s", out);
    /* 31231 per arm (scipy, tests/ref) x 2 at 4000 a day = 15.6 days: 3 weeks. */
    cr_assert(strstr(out, "shoppers per variant:    31,231"), "%s", out);
    cr_assert(strstr(out, "3 weeks (21 days at 4000 shoppers a day"), "%s", out);
    cr_assert(strstr(out, " 3 weeks     42000 shoppers per variant"), "%s", out);
}

Test(stats_cli, power_plans_a_holdout_at_its_allocation)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s power --baseline 5%% --mde 5%% --split 5/95",
             pgtest_bin("liftctl"));
    int status;
    const char *out = run(cmd, &status);
    cr_assert_eq(status, 0, "%s", out);
    /* scipy (tests/ref, "allocation"): 62,940 and 1,195,848; equal arms ask 122,121 each. */
    cr_assert(strstr(out, "control shoppers:        62,940"), "%s", out);
    cr_assert(strstr(out, "treatment shoppers:      1,195,848"), "%s", out);
    cr_assert(strstr(out, "equal arms, per arm:     122,121"), "%s", out);
}
