/* The `liftctl stats` JSON contract: strict request parsing and result writing. */
#include "lift/statsjson.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/jsonread.h"
#include "lift/xalloc.h"

static const char *const kind_names[] = {"proportion", "mean", "ratio"};
static const char *const correction_names[] = {"none", "holm", "bh"};

const char *lift_kind_name(lift_kind k)
{
    return kind_names[k];
}

const char *lift_correction_name(lift_correction c)
{
    return correction_names[c];
}

static int find(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

int lift_kind_parse(const char *name)
{
    return find(kind_names, 3, name);
}

int lift_correction_parse(const char *name)
{
    return find(correction_names, 3, name);
}

/* One allocation for everything the parsed request points at. */
typedef struct storage {
    lift_metric_input *metrics;
    lift_suff *suffs;
    double *units, *weights, *planned;
    const char **variants;
} storage;

static int bad(lift_err *err, const char *field, const char *what)
{
    return lift_json_fail(err, field, "", "%s", what);
}

static int number_list(const json_t *arr, int k, double *out, const char *name, lift_err *err)
{
    if (!json_is_array(arr) || (int)json_array_size(arr) != k) {
        char what[64];
        snprintf(what, sizeof what, "expected an array of %d numbers, one per variant", k);
        return bad(err, name, what);
    }
    for (int i = 0; i < k; i++) {
        const json_t *v = json_array_get(arr, (size_t)i);
        if (!json_is_number(v) || !(json_number_value(v) >= 0)) {
            char field[64];
            snprintf(field, sizeof field, "%s[%d]", name, i);
            return bad(err, field, "expected a number >= 0");
        }
        out[i] = json_number_value(v);
    }
    return LIFT_OK;
}

static int parse_arm(json_t *j, lift_kind kind, bool cuped, lift_suff *s, const char *where,
                     lift_err *err)
{
    static const char *const allowed[] = {"n",          "sum",       "sum_sq",  "den_sum",
                                          "den_sum_sq", "sum_x_den", "pre_sum", "pre_sum_sq",
                                          "sum_x_pre",  NULL};
    if (!json_is_object(j))
        return bad(err, where, "expected an object of sums");
    bool mean_like = kind != LIFT_KIND_PROPORTION, ratio = kind == LIFT_KIND_RATIO;
    int rc;
    if ((rc = lift_json_known(j, allowed, where, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "n", where, true, &s->n, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "sum", where, true, &s->sum, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "sum_sq", where, mean_like, &s->sum_sq, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "den_sum", where, ratio, &s->den_sum, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "den_sum_sq", where, ratio, &s->den_sum_sq, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "sum_x_den", where, ratio, &s->sum_x_den, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "pre_sum", where, cuped, &s->pre_sum, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "pre_sum_sq", where, cuped && kind == LIFT_KIND_MEAN,
                               &s->pre_sum_sq, err)) != LIFT_OK ||
        (rc = lift_json_number(j, "sum_x_pre", where, cuped, &s->sum_x_pre, err)) != LIFT_OK)
        return rc;
    if (kind == LIFT_KIND_PROPORTION) /* 0/1 values: x^2 = x */
        s->sum_sq = s->sum, s->pre_sum_sq = s->pre_sum;
    rc = lift_stats_check(kind, s, cuped, err);
    if (rc != LIFT_OK)
        lift_err_nest(err, "%s.", where);
    return rc;
}

static int parse_metric(json_t *j, int k, lift_metric_input *m, lift_suff *arms, const char *where,
                        lift_err *err)
{
    static const char *const allowed[] = {
        "key",       "name",   "type",           "cuped",   "direction", "role",
        "long_term", "margin", "days_to_mature", "segment", "data",      NULL};
    static const char *const directions[] = {"higher", "lower"};
    static const char *const roles[] = {"secondary", "primary", "guardrail"};
    if (!json_is_object(j))
        return bad(err, where, "expected an object {\"key\", \"type\", \"data\"}");
    int rc = lift_json_known(j, allowed, where, err), kind = 0, dir = 0;
    if (rc != LIFT_OK)
        return rc;
    const json_t *key = json_object_get(j, "key"), *data = json_object_get(j, "data");
    if (!json_is_string(key) || json_string_length(key) == 0)
        return lift_json_fail(err, where, "key", "expected the metric's name");
    m->key = json_string_value(key);
    if ((rc = lift_json_pick(j, "type", where, true, kind_names, 3, &kind, err)) != LIFT_OK)
        return rc;
    m->kind = (lift_kind)kind;
    if ((rc = lift_json_pick(j, "direction", where, false, directions, 2, &dir, err)) != LIFT_OK)
        return rc;
    m->lower_is_better = dir == 1;
    int role = 0;
    size_t len;
    if ((rc = lift_json_pick(j, "role", where, false, roles, 3, &role, err)) != LIFT_OK ||
        (rc = lift_json_bool(j, "long_term", where, &m->long_term, err)) != LIFT_OK ||
        (rc = lift_json_number_in(j, "margin", where, 0, 0.999999, &m->margin, err)) != LIFT_OK ||
        (rc = lift_json_number_in(j, "days_to_mature", where, 0, 1e6, &m->days_to_mature, err)) !=
            LIFT_OK ||
        (rc = lift_json_string(j, "name", where, false, &m->name, &len, err)) != LIFT_OK ||
        (rc = lift_json_bool(j, "cuped", where, &m->cuped, err)) != LIFT_OK)
        return rc;
    m->role = (lift_role)role;
    if (m->margin > 0 && m->role != LIFT_ROLE_GUARDRAIL)
        return lift_json_fail(err, where, "margin",
                              "a margin is for guardrails (\"role\": "
                              "\"guardrail\")");
    if (m->cuped && m->kind == LIFT_KIND_RATIO)
        return lift_json_fail(err, where, "cuped",
                              "defined for proportion and mean metrics, not ratios");
    if ((rc = lift_json_string(j, "segment", where, false, &m->segment, &len, err)) != LIFT_OK)
        return lift_json_fail(err, where, "segment", "expected a label such as \"device=mobile\"");
    if (!json_is_array(data) || (int)json_array_size(data) != k)
        return lift_json_fail(err, where, "data", "expected %d objects of sums, one per variant",
                              k);
    for (int v = 0; v < k; v++) {
        char arm[LIFT_ERR_FIELD_LEN + 48];
        snprintf(arm, sizeof arm, "%s.data[%d]", where, v);
        if ((rc = parse_arm(json_array_get(data, (size_t)v), m->kind, m->cuped, &arms[v], arm,
                            err)) != LIFT_OK)
            return rc;
    }
    m->arms = arms;
    return LIFT_OK;
}

/* "plan": {"shoppers_per_variant": N or [N, ...], "days_run", "days_planned", "mde"} */
static int parse_plan(json_t *doc, int k, storage *st, lift_progress *p, lift_err *err)
{
    static const char *const allowed[] = {"shoppers_per_variant", "days_run", "days_planned", "mde",
                                          NULL};
    p->days_run = p->days_planned = p->mde = (double)NAN;
    int rc;
    if ((rc = lift_json_number_in(doc, "mixed", "", 0, 1e15, &p->mixed, err)) != LIFT_OK ||
        (rc = lift_json_number_in(doc, "max_mixed_share", "", 0, 1, &p->max_mixed_share, err)) !=
            LIFT_OK)
        return rc;
    json_t *plan = NULL;
    if ((rc = lift_json_object(doc, "plan", "", &plan, err)) != LIFT_OK || !plan)
        return rc;
    if ((rc = lift_json_known(plan, allowed, "plan", err)) != LIFT_OK ||
        (rc = lift_json_number_in(plan, "days_run", "plan", 0, 1e5, &p->days_run, err)) !=
            LIFT_OK ||
        (rc = lift_json_number_in(plan, "days_planned", "plan", 0, 1e5, &p->days_planned, err)) !=
            LIFT_OK ||
        (rc = lift_json_number_in(plan, "mde", "plan", -1, 1e6, &p->mde, err)) != LIFT_OK)
        return rc;
    const json_t *n = lift_json_member(plan, "shoppers_per_variant");
    if (json_is_number(n)) {
        if (!(json_number_value(n) >= 0))
            return bad(err, "plan.shoppers_per_variant", "expected a number >= 0");
        for (int v = 0; v < k; v++)
            st->planned[v] = json_number_value(n);
    } else if (n &&
               (rc = number_list(n, k, st->planned, "plan.shoppers_per_variant", err)) != LIFT_OK) {
        return rc;
    }
    if (n)
        p->planned = st->planned;
    return LIFT_OK;
}

/* Families: the whole experiment is 0; each segment attribute ("device" of
 * "device=mobile") is a family of its own, numbered in order of appearance. */
static void families(lift_analysis *a, lift_metric_input *m)
{
    for (size_t i = 0; i < a->nmetrics; i++) {
        if (!m[i].segment)
            continue;
        size_t attr = strcspn(m[i].segment, "=");
        int family = 0;
        for (size_t j = 0; j < i && !family; j++)
            if (m[j].segment && strcspn(m[j].segment, "=") == attr &&
                !strncmp(m[j].segment, m[i].segment, attr))
                family = m[j].family;
        m[i].family = family ? family : (int)i + 1;
    }
}

/* One primary at most; the money metric, when named, must be a whole-experiment mean. */
static int roles(const lift_analysis *a, const json_t *doc, lift_err *err)
{
    int primary = -1;
    for (size_t i = 0; i < a->nmetrics; i++) {
        if (a->metrics[i].role != LIFT_ROLE_PRIMARY || a->metrics[i].segment)
            continue;
        if (primary >= 0) {
            char where[32];
            snprintf(where, sizeof where, "metrics[%zu]", i);
            return lift_json_fail(err, where, "role",
                                  "metrics[%d] is the primary already: one "
                                  "metric decides",
                                  primary);
        }
        primary = (int)i;
    }
    if (!a->revenue_key)
        return LIFT_OK;
    for (size_t i = 0; i < a->nmetrics; i++)
        if (!a->metrics[i].segment && !strcmp(a->metrics[i].key, a->revenue_key) &&
            a->metrics[i].kind == LIFT_KIND_MEAN)
            return LIFT_OK;
    (void)doc;
    return bad(err, "revenue_metric",
               "expected the key of a mean metric of the request "
               "(revenue per shopper)");
}

static int parse_options(json_t *doc, lift_stats_request *req, lift_err *err)
{
    lift_analysis *a = &req->analysis;
    a->opts.alpha = 0.05;
    a->opts.tuning = 5000;
    int rc = lift_json_number(doc, "alpha", "", false, &a->opts.alpha, err), c = 0;
    if (rc != LIFT_OK)
        return rc;
    if (!(a->opts.alpha > 0 && a->opts.alpha < 1))
        return bad(err, "alpha", "expected a number between 0 and 1");
    if ((rc = lift_json_pick(doc, "correction", "", false, correction_names, 3, &c, err)) !=
        LIFT_OK)
        return rc;
    a->correction = (lift_correction)c;
    json_t *seq = json_object_get(doc, "sequential");
    if (json_is_object(seq)) {
        static const char *const allowed[] = {"tuning", NULL};
        if ((rc = lift_json_known(seq, allowed, "sequential", err)) != LIFT_OK ||
            (rc = lift_json_number(seq, "tuning", "sequential", false, &a->opts.tuning, err)) !=
                LIFT_OK)
            return rc;
        if (!(a->opts.tuning > 0 && isfinite(a->opts.tuning)))
            return bad(err, "sequential.tuning", "expected a positive number of units");
        a->opts.sequential = true;
    } else if (seq && !json_is_null(seq) && !json_is_boolean(seq)) {
        return bad(err, "sequential", "expected {\"tuning\": N}, true or false");
    } else {
        a->opts.sequential = json_is_true(seq);
    }
    json_t *bayes = json_object_get(doc, "bayes");
    if (bayes && !json_is_null(bayes)) {
        static const char *const allowed[] = {"prior_mean", "prior_sd", NULL};
        if (!json_is_object(bayes))
            return bad(err, "bayes", "expected {\"prior_mean\": m, \"prior_sd\": s}");
        if ((rc = lift_json_known(bayes, allowed, "bayes", err)) != LIFT_OK ||
            (rc = lift_json_number(bayes, "prior_mean", "bayes", false, &a->opts.prior_mean,
                                   err)) != LIFT_OK ||
            (rc = lift_json_number(bayes, "prior_sd", "bayes", false, &a->opts.prior_sd, err)) !=
                LIFT_OK)
            return rc;
        if (a->opts.prior_sd < 0)
            return bad(err, "bayes.prior_sd", "expected a positive number (0: flat prior)");
    }
    return LIFT_OK;
}

int lift_statsjson_parse(const char *text, size_t len, lift_stats_request *req, lift_err *err)
{
    static const char *const allowed[] = {
        "alpha",           "correction",     "sequential", "bayes", "variants",
        "weights",         "units",          "metrics",    "plan",  "mixed",
        "max_mixed_share", "revenue_metric", NULL};
    memset(req, 0, sizeof *req);
    json_t *doc = lift_json_load(text, len, "request", NULL, err);
    if (!doc)
        return err->code;
    req->doc = doc;
    if (!json_is_object(doc))
        return bad(err, "request", "expected an object {\"variants\", \"metrics\", ...}");
    int rc = lift_json_known(doc, allowed, "", err);
    if (rc == LIFT_OK)
        rc = parse_options(doc, req, err);
    if (rc != LIFT_OK)
        return rc;
    const json_t *variants = json_object_get(doc, "variants"),
                 *metrics = json_object_get(doc, "metrics");
    if (!json_is_array(variants) || json_array_size(variants) < 2 ||
        json_array_size(variants) > 1000)
        return bad(err, "variants", "expected the variant names, the control first (at least 2)");
    if (!json_is_array(metrics))
        return bad(err, "metrics", "expected an array of metrics");
    int k = (int)json_array_size(variants);
    size_t nm = json_array_size(metrics);
    storage *st = lift_xcalloc(1, sizeof *st);
    st->metrics = lift_xcalloc(nm + 1, sizeof *st->metrics);
    st->suffs = lift_xcalloc(nm * (size_t)k + 1, sizeof *st->suffs);
    st->units = lift_xcalloc((size_t)k, sizeof *st->units);
    st->weights = lift_xcalloc((size_t)k, sizeof *st->weights);
    st->variants = lift_xcalloc((size_t)k, sizeof *st->variants);
    st->planned = lift_xcalloc((size_t)k, sizeof *st->planned);
    req->storage = st;
    for (int v = 0; v < k; v++) {
        const json_t *name = json_array_get(variants, (size_t)v);
        char field[32];
        snprintf(field, sizeof field, "variants[%d]", v);
        if (!json_is_string(name) || json_string_length(name) == 0)
            return bad(err, field, "expected a variant name");
        st->variants[v] = json_string_value(name);
        for (int u = 0; u < v; u++)
            if (strcmp(st->variants[u], st->variants[v]) == 0)
                return bad(err, field, "duplicate variant name");
    }
    lift_analysis *a = &req->analysis;
    a->nvariants = k;
    const json_t *units = json_object_get(doc, "units"), *weights = json_object_get(doc, "weights");
    if (units && !json_is_null(units)) {
        if ((rc = number_list(units, k, st->units, "units", err)) != LIFT_OK)
            return rc;
        a->units = st->units;
    }
    if (weights && !json_is_null(weights)) {
        if ((rc = number_list(weights, k, st->weights, "weights", err)) != LIFT_OK)
            return rc;
        a->weights = st->weights;
    }
    for (size_t i = 0; i < nm; i++) {
        char where[32];
        snprintf(where, sizeof where, "metrics[%zu]", i);
        if ((rc = parse_metric(json_array_get(metrics, i), k, &st->metrics[i],
                               st->suffs + i * (size_t)k, where, err)) != LIFT_OK)
            return rc;
    }
    a->metrics = st->metrics;
    a->nmetrics = nm;
    families(a, st->metrics);
    size_t key_len;
    if ((rc = parse_plan(doc, k, st, &a->progress, err)) != LIFT_OK ||
        (rc = lift_json_string(doc, "revenue_metric", "", false, &a->revenue_key, &key_len, err)) !=
            LIFT_OK ||
        (rc = roles(a, doc, err)) != LIFT_OK)
        return rc;
    req->variants = st->variants;
    a->variant_names = st->variants;
    return LIFT_OK;
}

void lift_statsjson_fini(lift_stats_request *req)
{
    storage *st = req->storage;
    if (st) {
        free(st->metrics);
        free(st->suffs);
        free(st->units);
        free(st->weights);
        free(st->variants);
        free(st->planned);
        free(st);
    }
    json_decref(req->doc);
    memset(req, 0, sizeof *req);
}

/* --- results ------------------------------------------------------------------------- */

static void write_estimate(lift_jw *w, const char *key, const lift_estimate *e)
{
    lift_jw_key(w, key);
    if (!e->valid) {
        lift_jw_null(w);
        return;
    }
    lift_jw_obj(w);
    lift_jw_key(w, "estimate");
    lift_jw_num(w, e->estimate);
    lift_jw_key(w, "se");
    lift_jw_num(w, e->se);
    lift_jw_key(w, "ci");
    lift_jw_arr(w);
    lift_jw_num(w, e->lo);
    lift_jw_num(w, e->hi);
    lift_jw_end(w);
    lift_jw_key(w, "p_value");
    lift_jw_num(w, e->p_value);
    lift_jw_end(w);
}

static void write_arm(lift_jw *w, const char *key, const lift_moments *m)
{
    lift_jw_key(w, key);
    lift_jw_obj(w);
    lift_jw_key(w, "n");
    lift_jw_num(w, m->n);
    lift_jw_key(w, "mean");
    lift_jw_num(w, m->n > 0 ? m->mean : (double)NAN);
    lift_jw_key(w, "variance");
    lift_jw_num(w, m->n > 1 ? m->var : (double)NAN);
    lift_jw_end(w);
}

/* [lo, hi], or null without a test. */
static void write_interval(lift_jw *w, const char *key, bool valid, const lift_interval *ci)
{
    lift_jw_key(w, key);
    if (!valid) {
        lift_jw_null(w);
        return;
    }
    lift_jw_arr(w);
    lift_jw_num(w, ci->lo);
    lift_jw_num(w, ci->hi);
    lift_jw_end(w);
}

void lift_statsjson_write_result(lift_jw *w, const lift_analysis *a, const char *const *variants,
                                 const lift_result *r)
{
    const lift_metric_input *m = &a->metrics[r->metric];
    const lift_comparison *c = &r->cmp;
    lift_jw_obj(w);
    lift_jw_key(w, "metric");
    lift_jw_str(w, m->key);
    if (m->segment) {
        lift_jw_key(w, "segment");
        lift_jw_str(w, m->segment);
    }
    lift_jw_key(w, "variant");
    lift_jw_str(w, variants[r->variant]);
    lift_jw_key(w, "type");
    lift_jw_str(w, lift_kind_name(m->kind));
    lift_jw_key(w, "status");
    lift_jw_str(w, lift_test_status_name(c->status));
    if (c->status != LIFT_TEST_OK) {
        lift_jw_key(w, "reason");
        lift_jw_str(w, lift_test_status_reason(c->status));
    }
    write_arm(w, "control", &c->control);
    write_arm(w, "treatment", &c->treatment);
    write_estimate(w, "absolute", &c->abs);
    write_estimate(w, "relative", &c->rel);
    lift_jw_key(w, "df");
    lift_jw_num(w, c->df);
    lift_jw_key(w, "p_value_adjusted");
    lift_jw_num(w, r->p_adjusted);
    lift_jw_key(w, "significant");
    lift_jw_bool(w, r->significant);
    lift_jw_key_str(w, "label", lift_label_name(r->label));
    lift_jw_key_str(w, "role", lift_role_name(m->role));
    lift_jw_key(w, "interval");
    lift_jw_obj(w);
    lift_jw_key_num(w, "level", r->ci_level);
    write_interval(w, "absolute", c->abs.valid, &r->abs_ci);
    write_interval(w, "relative", c->rel.valid, &r->rel_ci);
    lift_jw_end(w);
    if (m->role == LIFT_ROLE_GUARDRAIL) {
        lift_jw_key(w, "guardrail");
        lift_jw_obj(w);
        lift_jw_key_num(w, "margin", m->margin);
        lift_jw_key_num(w, "harm_p_value", r->harm_p);
        lift_jw_key(w, "harm");
        lift_jw_bool(w, r->harm);
        lift_jw_end(w);
    }
    if (c->cuped) {
        lift_jw_key(w, "cuped");
        lift_jw_obj(w);
        lift_jw_key(w, "theta");
        lift_jw_num(w, c->theta);
        lift_jw_key(w, "fallback");
        lift_jw_bool(w, c->cuped_fallback);
        lift_jw_key(w, "pre_period");
        lift_jw_obj(w);
        lift_jw_key(w, "p_value");
        lift_jw_num(w, c->pre_p_value);
        lift_jw_key(w, "imbalance");
        lift_jw_bool(w, c->pre_imbalance);
        lift_jw_end(w);
        lift_jw_end(w);
    }
    if (c->rel.valid && isfinite(c->chance_to_win)) {
        lift_jw_key(w, "bayes");
        lift_jw_obj(w);
        lift_jw_key(w, "chance_to_win");
        lift_jw_num(w, c->chance_to_win);
        lift_jw_key(w, "expected_loss");
        lift_jw_obj(w);
        lift_jw_key(w, "control");
        lift_jw_num(w, c->risk_control);
        lift_jw_key(w, "treatment");
        lift_jw_num(w, c->risk_treatment);
        lift_jw_end(w);
        lift_jw_key(w, "posterior");
        lift_jw_obj(w);
        lift_jw_key(w, "mean");
        lift_jw_num(w, c->post_mean);
        lift_jw_key(w, "sd");
        lift_jw_num(w, c->post_sd);
        lift_jw_end(w);
        lift_jw_end(w);
    }
    lift_jw_end(w);
}

void lift_statsjson_write_srm(lift_jw *w, const lift_analysis_out *out)
{
    if (!out->has_srm) {
        lift_jw_null(w);
        return;
    }
    lift_jw_obj(w);
    lift_jw_key(w, "chi2");
    lift_jw_num(w, out->srm.chi2);
    lift_jw_key(w, "df");
    lift_jw_int(w, out->srm.df);
    lift_jw_key(w, "p_value");
    lift_jw_num(w, out->srm.p_value);
    lift_jw_key(w, "flag");
    lift_jw_bool(w, out->srm.flag);
    lift_jw_end(w);
}

void lift_statsjson_write_settings(lift_jw *w, const lift_analysis *a)
{
    lift_jw_obj(w);
    lift_jw_key(w, "alpha");
    lift_jw_num(w, a->opts.alpha);
    lift_jw_key(w, "correction");
    lift_jw_str(w, lift_correction_name(a->correction));
    lift_jw_key(w, "sequential");
    if (a->opts.sequential) {
        lift_jw_obj(w);
        lift_jw_key(w, "tuning");
        lift_jw_num(w, a->opts.tuning);
        lift_jw_end(w);
    } else {
        lift_jw_null(w);
    }
    lift_jw_key(w, "prior");
    if (a->opts.prior_sd > 0) {
        lift_jw_obj(w);
        lift_jw_key(w, "mean");
        lift_jw_num(w, a->opts.prior_mean);
        lift_jw_key(w, "sd");
        lift_jw_num(w, a->opts.prior_sd);
        lift_jw_end(w);
    } else {
        lift_jw_str(w, "flat");
    }
    lift_jw_end(w);
}

void lift_statsjson_write_decisions(lift_jw *w, const lift_analysis *a, const char *const *variants,
                                    const lift_analysis_out *out)
{
    lift_jw_arr(w);
    for (size_t i = 0; i < out->ndecisions; i++) {
        const lift_decision *d = &out->decisions[i];
        lift_jw_obj(w);
        lift_jw_key_str(w, "variant", variants[d->variant]);
        lift_jw_key_str(w, "outcome", lift_outcome_name(d->outcome));
        lift_jw_key_str(w, "summary", d->summary);
        lift_jw_key_num(w, "days_left", d->days_left);
        lift_jw_key(w, "reasons");
        lift_jw_arr(w);
        for (size_t k = 0; k < d->nreasons; k++) {
            const lift_reason *r = &d->reasons[k];
            lift_jw_obj(w);
            lift_jw_key_str(w, "code", lift_reason_name(r->code));
            lift_jw_key(w, "metric");
            if (r->metric >= 0)
                lift_jw_str(w, a->metrics[r->metric].key);
            else
                lift_jw_null(w);
            lift_jw_key_str(w, "text", r->text);
            lift_jw_end(w);
        }
        lift_jw_end(w);
        lift_jw_end(w);
    }
    lift_jw_end(w);
}

void lift_statsjson_write(lift_jw *w, const lift_analysis *a, const char *const *variants,
                          const lift_analysis_out *out)
{
    lift_jw_obj(w);
    lift_jw_key(w, "decisions");
    lift_statsjson_write_decisions(w, a, variants, out);
    lift_jw_key(w, "srm");
    lift_statsjson_write_srm(w, out);
    lift_jw_key(w, "settings");
    lift_statsjson_write_settings(w, a);
    lift_jw_key(w, "results");
    lift_jw_arr(w);
    for (size_t i = 0; i < out->nresults; i++)
        lift_statsjson_write_result(w, a, variants, &out->results[i]);
    lift_jw_end(w);
    lift_jw_end(w);
}
