/* Building a report: the experiment's config, the sufficient statistics from
 * sql/analysis/metric_stats.sql, the plan (planning.c), then the stats engine and its
 * decision, the cumulative series and the money. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/refresh.h"
#include "lift/sqlfiles.h"
#include "lift/statsjson.h"
#include "lift/xalloc.h"
#include "model.h"

#define DAY_US 86400000000LL

/* Report building is batch work: allocation failures abort (lift/xalloc.h). */

/* Column col of row as a whole number. */
static long count(const PGresult *r, int row, const char *col)
{
    return atol(lift_db_text(r, row, col));
}

/* Column col of row as a time; 0 when NULL. */
static int64_t when(const PGresult *r, int row, const char *col)
{
    int64_t t = 0;
    const char *s = lift_db_text(r, row, col);
    if (!lift_db_null(r, row, col))
        lift_time_parse(s, strlen(s), &t);
    return t;
}

static PGresult *query(lift_db *db, const char *file, int n, const char *const *params,
                       lift_err *err)
{
    const char *sql = lift_sql_text(file);
    if (!sql) {
        lift_err_set(err, LIFT_EIO, "sql/%s is not built in", file);
        return NULL;
    }
    return lift_db_exec(db, sql, n, params, NULL, err);
}

static void copy_currency(char out[4], const PGresult *res, const char *col)
{
    snprintf(out, 4, "%s", lift_db_null(res, 0, col) ? "" : lift_db_text(res, 0, col));
}

static int load_metrics(lift_report *r, lift_db *db, const char *metrics, lift_err *err)
{
    const char *mp[] = {metrics};
    PGresult *res = query(db, "analysis/metrics.sql", 1, mp, err);
    if (!res)
        return LIFT_EDB;
    r->nmetrics = (size_t)PQntuples(res);
    r->metrics = lift_xcalloc(r->nmetrics + 1, sizeof *r->metrics);
    for (size_t m = 0; m < r->nmetrics; m++) {
        rpt_metric *x = &r->metrics[m];
        int row = (int)m;
        x->key = lift_xstrdup(lift_db_text(res, row, "key"));
        x->name = lift_xstrdup(lift_db_text(res, row, "name"));
        x->description = lift_xstrdup(lift_db_text(res, row, "description"));
        int kind = lift_kind_parse(lift_db_text(res, row, "kind"));
        assert(kind >= 0 && "lift.metrics refuses other kinds");
        x->kind = (lift_kind)kind;
        x->lower_is_better = !strcmp(lift_db_text(res, row, "lower_is_better"), "t");
        int role = lift_role_parse(lift_db_text(res, row, "role"));
        x->role = m == 0 ? LIFT_ROLE_PRIMARY : role < 0 ? LIFT_ROLE_SECONDARY : (lift_role)role;
        x->margin = x->role == LIFT_ROLE_GUARDRAIL ? lift_db_num(res, row, "margin") : 0;
        x->long_term = !strcmp(lift_db_text(res, row, "long_term"), "t");
        x->money = !strcmp(lift_db_text(res, row, "money"), "t");
        x->window_days = lift_db_num(res, row, "window_days");
        x->winsor_pct = lift_db_num(res, row, "winsor_pct");
        x->pre_days = lift_db_num(res, row, "pre_days");
        x->has_pre = !isnan(x->pre_days);
        x->cap = (double)NAN;
        x->arms = lift_xcalloc((size_t)r->nvariants, sizeof *x->arms);
    }
    PQclear(res);
    return LIFT_OK;
}

static int load_experiment(lift_report *r, lift_db *db, lift_err *err)
{
    const char *p[] = {r->opts.experiment};
    PGresult *res = query(db, "analysis/experiment.sql", 1, p, err);
    if (!res)
        return LIFT_EDB;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return lift_err_set(err, LIFT_ENOTFOUND, "no experiment '%s'", r->opts.experiment);
    }
    r->key = lift_xstrdup(lift_db_text(res, 0, "key"));
    r->name = lift_xstrdup(lift_db_text(res, 0, "name"));
    r->hypothesis = lift_xstrdup(lift_db_text(res, 0, "hypothesis"));
    r->status = lift_xstrdup(lift_db_text(res, 0, "status"));
    r->kind = lift_xstrdup(lift_db_text(res, 0, "kind"));
    r->phase = (int)count(res, 0, "phase");
    r->primary = lift_xstrdup(lift_db_text(res, 0, "primary_metric"));
    char *metrics =
        lift_xstrdup(lift_db_text(res, 0, "metrics")); /* a text[] literal, passed back as is */
    char *revenue = lift_xstrdup(lift_db_text(res, 0, "revenue_metric"));
    r->target_mde = lift_db_num(res, 0, "target_mde");
    r->target_power = lift_db_num(res, 0, "target_power");
    r->start_at = when(res, 0, "start_at");
    r->end_at = when(res, 0, "end_at");
    copy_currency(r->currency, res, "experiment_currency");
    copy_currency(r->store_currency, res, "store_currency");
    r->currency_source = *r->currency ? "experiment" : *r->store_currency ? "store" : "events";
    if (!*r->currency)
        memcpy(r->currency, r->store_currency, sizeof r->currency);
    PQclear(res);

    res = query(db, "analysis/variants.sql", 1, p, err);
    if (!res) {
        free(metrics);
        free(revenue);
        return LIFT_EDB;
    }
    r->nvariants = PQntuples(res);
    r->variants = lift_xcalloc((size_t)r->nvariants + 1, sizeof *r->variants);
    r->weights = lift_xcalloc((size_t)r->nvariants + 1, sizeof *r->weights);
    r->units = lift_xcalloc((size_t)r->nvariants + 1, sizeof *r->units);
    for (int v = 0; v < r->nvariants; v++) {
        r->variants[v] = lift_xstrdup(lift_db_text(res, v, "key"));
        r->weights[v] = lift_db_num(res, v, "weight");
    }
    PQclear(res);
    int rc = r->nvariants < 2 ? lift_err_set(err, LIFT_EINVAL,
                                             "experiment '%s' has %d variant(s): nothing to "
                                             "compare",
                                             r->key, r->nvariants)
                              : load_metrics(r, db, metrics, err);
    free(metrics);
    r->revenue = -1;
    for (size_t m = 0; rc == LIFT_OK && m < r->nmetrics; m++)
        if (!strcmp(r->metrics[m].key, revenue) && r->metrics[m].kind == LIFT_KIND_MEAN)
            r->revenue = (int)m;
    free(revenue);
    return rc;
}

/* The as-of must have happened (give or take a clock's drift), and after the start. */
static int check_as_of(const lift_report *r, lift_err *err)
{
    char as_of[LIFT_TIME_LEN], other[LIFT_TIME_LEN];
    lift_time_format(r->opts.as_of, as_of);
    if (r->opts.as_of > r->generated_at + LIFT_REPORT_CLOCK_TOLERANCE) {
        lift_time_format(r->generated_at, other);
        return lift_err_field(err, LIFT_EINVAL, "as_of",
                              "as of %.19sZ is in the future (it is %.19sZ now): metric windows "
                              "that have not ended cannot count as complete",
                              as_of, other);
    }
    if (r->start_at && r->opts.as_of <= r->start_at) {
        lift_time_format(r->start_at, other);
        return lift_err_field(err, LIFT_EINVAL, "as_of",
                              "as of %.19sZ experiment '%s' had not started: it starts at "
                              "%.19sZ, so there is nothing to report yet",
                              as_of, r->key, other);
    }
    return LIFT_OK;
}

static int variant_index(const lift_report *r, const char *key)
{
    for (int v = 0; v < r->nvariants; v++)
        if (!strcmp(r->variants[v], key))
            return v;
    return -1;
}

static int metric_index(const lift_report *r, const char *key)
{
    for (size_t m = 0; m < r->nmetrics; m++)
        if (!strcmp(r->metrics[m].key, key))
            return (int)m;
    return -1;
}

static rpt_segment *segment(lift_report *r, const char *attr, const char *value)
{
    for (size_t s = 0; s < r->nsegments; s++)
        if (!strcmp(r->segments[s].attr, attr) && !strcmp(r->segments[s].value, value))
            return &r->segments[s];
    r->segments = lift_xrealloc(r->segments, (r->nsegments + 1) * sizeof *r->segments);
    rpt_segment *s = &r->segments[r->nsegments++];
    s->attr = lift_xstrdup(attr);
    s->value = lift_xstrdup(value);
    size_t n = strlen(attr) + strlen(value) + 2;
    s->label = lift_xmalloc(n);
    snprintf(s->label, n, "%s=%s", attr, value);
    s->family = 0;
    for (size_t i = 0; i < r->opts.nsegments; i++)
        if (!strcmp(r->opts.segments[i], attr))
            s->family = (int)i + 1;
    s->arms = lift_xcalloc(r->nmetrics * (size_t)r->nvariants, sizeof *s->arms);
    return s;
}

static rpt_day *day_of(lift_report *r, int64_t day)
{
    for (size_t d = 0; d < r->ndays; d++)
        if (r->days[d].day == day)
            return &r->days[d];
    r->days = lift_xrealloc(r->days, (r->ndays + 1) * sizeof *r->days);
    rpt_day *d = &r->days[r->ndays++];
    d->day = day;
    d->units = lift_xcalloc((size_t)r->nvariants, sizeof *d->units);
    d->primary = lift_xcalloc((size_t)r->nvariants, sizeof *d->primary);
    d->rel = lift_xcalloc((size_t)r->nvariants, sizeof *d->rel);
    return d;
}

static lift_suff suff_of(const PGresult *res, int row)
{
    static const char *const cols[] = {"n",       "sum",        "sum_sq",
                                       "den_sum", "den_sum_sq", "sum_x_den",
                                       "pre_sum", "pre_sum_sq", "sum_x_pre"};
    _Static_assert(sizeof cols / sizeof *cols == sizeof(lift_suff) / sizeof(double),
                   "one column per field of lift_suff, in its order");
    lift_suff s;
    double *f = &s.n;
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        double x = lift_db_num(res, row, cols[i]);
        f[i] = isnan(x) ? 0 : x; /* NULL: no such sums for this kind */
    }
    return s;
}

/* What every row repeats: exposure span, health, the events' currencies. */
static int load_totals(lift_report *r, const PGresult *res, lift_err *err)
{
    r->mixed = count(res, 0, "mixed");
    r->first_exposure = when(res, 0, "first_exposure");
    r->last_exposure = when(res, 0, "last_exposure");
    r->latest_exposure = when(res, 0, "latest_exposure");
    r->latest_event = when(res, 0, "latest_event");
    r->outside = count(res, 0, "outside");
    r->excluded = count(res, 0, "excluded");
    r->excluded_currencies = lift_xstrdup(lift_db_text(res, 0, "excluded_currencies"));
    snprintf(r->data_path, sizeof r->data_path, "%s", lift_db_text(res, 0, "data_path"));
    r->refreshed_at = when(res, 0, "refreshed_at");
    r->recomputed = count(res, 0, "recomputed");
    if (*r->currency)
        return LIFT_OK;
    /* No reporting currency set: the events' own, if they have only one. */
    const char *lo = lift_db_text(res, 0, "currency_lo"), *hi = lift_db_text(res, 0, "currency_hi");
    if (!lift_db_null(res, 0, "currency_lo") && strcmp(lo, hi) != 0)
        return lift_err_set(err, LIFT_EINVAL,
                            "experiment '%s': its events are in several currencies (%s ... %s) "
                            "and no reporting currency is set: set lift.settings.currency (the "
                            "store's, in which lift.fx_rates are quoted) or "
                            "lift.experiments.currency, and load the rates",
                            r->key, lo, hi);
    snprintf(r->currency, sizeof r->currency, "%s", lift_db_null(res, 0, "currency_lo") ? "" : lo);
    return LIFT_OK;
}

/* Segments asked for that no exposure carries are refused, naming those that exist. */
static int check_segments(lift_report *r, lift_db *db, const char *phase, const char *as_of,
                          lift_err *err)
{
    for (size_t i = 0; i < r->opts.nsegments; i++) {
        bool seen = false;
        for (size_t s = 0; s < r->nsegments && !seen; s++)
            seen = !strcmp(r->segments[s].attr, r->opts.segments[i]) &&
                   strcmp(r->segments[s].value, "(none)") != 0;
        if (seen || !r->first_exposure)
            continue;
        const char *p[] = {r->key, phase, as_of};
        PGresult *res = query(db, "analysis/segment_keys.sql", 3, p, err);
        if (!res)
            return LIFT_EDB;
        lift_buf known;
        lift_buf_init(&known);
        for (int k = 0; k < PQntuples(res); k++)
            lift_buf_printf(&known, "%s%s", k ? ", " : "", lift_db_text(res, k, "attribute"));
        int rc = lift_err_field(err, LIFT_EINVAL, "segment",
                                "segment: no exposure of experiment '%s' carries the attribute "
                                "'%s'; %s%.120s",
                                r->key, r->opts.segments[i],
                                known.len ? "its exposures carry: " : "its exposures carry none",
                                known.len ? known.data : "");
        lift_buf_fini(&known);
        PQclear(res);
        return rc;
    }
    return LIFT_OK;
}

/* As of a time before the first exposure there is nothing yet: say when it came. */
static int check_started(const lift_report *r, lift_db *db, const char *phase, lift_err *err)
{
    if (r->first_exposure)
        return LIFT_OK;
    const char *p[] = {r->key, phase};
    PGresult *res = query(db, "analysis/first_exposure.sql", 2, p, err);
    if (!res)
        return LIFT_EDB;
    int64_t first = when(res, 0, "first");
    PQclear(res);
    if (!first)
        return LIFT_OK; /* no traffic at all yet: the report says so */
    char as_of[LIFT_TIME_LEN], at[LIFT_TIME_LEN];
    lift_time_format(r->opts.as_of, as_of);
    lift_time_format(first, at);
    return lift_err_field(err, LIFT_EINVAL, "as_of",
                          "as of %.19sZ experiment '%s' had not started: its first exposure (phase "
                          "%d) is at %.19sZ, so there is nothing to report yet",
                          as_of, r->key, r->phase, at);
}

/* Runs sql/analysis/metric_stats.sql and files its rows into the model. */
static int load_stats(lift_report *r, lift_db *db, lift_err *err)
{
    int rc = lift_analysis_load(db, "analysis/metric_stats.sql", err);
    if (rc != LIFT_OK)
        return rc;
    lift_buf metrics, segs;
    lift_buf_init(&metrics);
    lift_buf_init(&segs);
    const char **keys = lift_xcalloc(r->nmetrics + 1, sizeof *keys);
    for (size_t m = 0; m < r->nmetrics; m++)
        keys[m] = r->metrics[m].key;
    lift_db_array(&metrics, keys, r->nmetrics);
    lift_db_array(&segs, r->opts.segments, r->opts.nsegments);
    free(keys);
    char phase[16], as_of[LIFT_TIME_LEN], start[LIFT_TIME_LEN], end[LIFT_TIME_LEN];
    snprintf(phase, sizeof phase, "%d", r->phase);
    lift_time_format(r->opts.as_of, as_of);
    lift_time_format(r->start_at, start);
    lift_time_format(r->end_at, end);
    const char *p[] = {r->key,
                       phase,
                       as_of,
                       metrics.data,
                       segs.data,
                       *r->currency ? r->currency : NULL,
                       *r->store_currency ? r->store_currency : NULL,
                       r->start_at ? start : NULL,
                       r->end_at ? end : NULL};
    PGresult *res = lift_db_exec(db,
                                 "SELECT * FROM pg_temp.lift_metric_stats($1, $2, $3, $4, $5, $6, "
                                 "$7, $8::timestamptz, $9::timestamptz)",
                                 9, p, NULL, err);
    lift_buf_fini(&metrics);
    lift_buf_fini(&segs);
    if (!res)
        return LIFT_EDB;
    rc = PQntuples(res) > 0 ? load_totals(r, res, err) : LIFT_OK;
    for (int row = 0; rc == LIFT_OK && row < PQntuples(res); row++) {
        const char *level = lift_db_text(res, row, "level");
        int v = variant_index(r, lift_db_text(res, row, "variant"));
        int m = metric_index(r, lift_db_text(res, row, "metric"));
        if (v < 0 || m < 0)
            continue; /* a variant since removed from the config */
        lift_suff s = suff_of(res, row);
        if (!strcmp(level, "all")) {
            r->metrics[m].arms[v] = s;
            r->metrics[m].immature += count(res, row, "immature");
            r->metrics[m].cap = lift_db_num(res, row, "cap");
            r->units[v] = lift_db_num(res, row, "units");
        } else if (!strcmp(level, "segment")) {
            rpt_segment *sg = segment(r, lift_db_text(res, row, "segment_attr"),
                                      lift_db_text(res, row, "segment_value"));
            sg->arms[(size_t)m * (size_t)r->nvariants + (size_t)v] = s;
        } else {
            int64_t day;
            char iso[40];
            snprintf(iso, sizeof iso, "%sT00:00:00Z", lift_db_text(res, row, "day"));
            if (lift_time_parse(iso, strlen(iso), &day) != 0)
                continue;
            rpt_day *d = day_of(r, day);
            d->units[v] = count(res, row, "units");
            if (m == 0)
                d->primary[v] = s;
        }
    }
    PQclear(res);
    if (rc == LIFT_OK)
        rc = check_started(r, db, phase, err);
    if (rc == LIFT_OK)
        rc = check_segments(r, db, phase, as_of, err);
    return rc;
}

static int by_day(const void *a, const void *b)
{
    const rpt_day *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

/* The stats engine over the whole experiment and every segment, each attribute its own
 * correction family, and the decision with the plan. */
static int analyze(lift_report *r, lift_err *err)
{
    size_t n = r->nmetrics * (1 + r->nsegments);
    r->inputs = lift_xcalloc(n + 1, sizeof *r->inputs);
    for (size_t i = 0; i < n; i++) {
        size_t m = i % r->nmetrics;
        const rpt_metric *x = &r->metrics[m];
        const rpt_segment *s = i < r->nmetrics ? NULL : &r->segments[i / r->nmetrics - 1];
        r->inputs[i] =
            (lift_metric_input){.key = x->key,
                                .name = x->name,
                                .segment = s ? s->label : NULL,
                                .family = s ? s->family : 0,
                                .kind = x->kind,
                                .cuped = r->opts.cuped && x->has_pre,
                                .lower_is_better = x->lower_is_better,
                                .role = x->role,
                                .margin = x->margin,
                                .long_term = x->long_term,
                                .days_to_mature = x->days_to_mature,
                                .arms = s ? s->arms + m * (size_t)r->nvariants : x->arms};
    }
    r->analysis =
        (lift_analysis){.opts = {.alpha = r->opts.alpha,
                                 .sequential = r->opts.sequential,
                                 .tuning = r->opts.tuning},
                        .correction = r->opts.correction,
                        .nvariants = r->nvariants,
                        .units = r->units,
                        .weights = r->weights,
                        .metrics = r->inputs,
                        .nmetrics = n,
                        .progress = {.planned = r->metrics[0].power.have ? r->planned : NULL,
                                     .mde = r->target_mde,
                                     .days_run = r->days_run,
                                     .days_planned = r->days_planned,
                                     .days_to_plan = r->metrics[0].power.days_left,
                                     .mixed = (double)r->mixed,
                                     .max_mixed_share = r->opts.max_mixed_share},
                        .revenue_key = r->revenue >= 0 ? r->metrics[r->revenue].key : "",
                        .variant_names = (const char *const *)r->variants};
    return lift_stats_analyze(&r->analysis, &r->out, err);
}

/* Cumulative relative lift of the primary metric by day of first exposure: each day is a
 * look, so the band is always-valid under sequential testing, and it is drawn at the
 * primary's own level (under a correction, its family's). */
static int series(lift_report *r, lift_err *err)
{
    qsort(r->days, r->ndays, sizeof *r->days, by_day);
    const rpt_metric *p = &r->metrics[0];
    lift_suff *sums = lift_xcalloc(r->ndays * (size_t)r->nvariants + 1, sizeof *sums);
    lift_estimate *rel = lift_xcalloc(r->ndays * (size_t)r->nvariants + 1, sizeof *rel);
    for (size_t d = 0; d < r->ndays; d++)
        memcpy(&sums[d * (size_t)r->nvariants], r->days[d].primary,
               (size_t)r->nvariants * sizeof *sums);
    lift_test_opts o = {.alpha = r->opts.alpha,
                        .sequential = r->opts.sequential,
                        .tuning = r->opts.tuning,
                        .cuped = r->opts.cuped && p->has_pre,
                        .lower_is_better = p->lower_is_better};
    r->series_level = 1 - rpt_result(r, 0, -1, 1)->ci_level;
    if (!(r->series_level > 0))
        r->series_level = r->opts.alpha;
    int rc =
        lift_stats_series(p->kind, sums, r->ndays, r->nvariants, &o, r->series_level, rel, err);
    for (size_t d = 0; rc == LIFT_OK && d < r->ndays; d++)
        memcpy(r->days[d].rel, &rel[d * (size_t)r->nvariants], (size_t)r->nvariants * sizeof *rel);
    free(sums);
    free(rel);
    return rc;
}

/* The money per treatment: the revenue metric's difference times its shoppers, and per 30
 * days at the traffic the experiment saw. */
static void money(lift_report *r)
{
    r->money = lift_xcalloc((size_t)r->nvariants, sizeof *r->money);
    for (int v = 1; r->revenue >= 0 && v < r->nvariants; v++)
        lift_stats_money(rpt_result(r, (size_t)r->revenue, -1, v), r->units[v], r->daily,
                         &r->money[v]);
}

int lift_report_build(lift_db *db, const lift_report_opts *opts, lift_report **out, lift_err *err)
{
    *out = NULL;
    if (!(opts->alpha > 0 && opts->alpha < 1))
        return lift_err_field(err, LIFT_EINVAL, "alpha", "alpha: %g is not between 0 and 1",
                              opts->alpha);
    if (opts->sequential && !(opts->tuning > 0))
        return lift_err_field(err, LIFT_EINVAL, "sequential", "sequential: N* must be positive");
    if (!(opts->max_mixed_share >= 0 && opts->max_mixed_share < 1))
        return lift_err_field(err, LIFT_EINVAL, "max_mixed_share",
                              "max_mixed_share: %g is not a share in [0, 1)",
                              opts->max_mixed_share);
    lift_report *r = lift_xcalloc(1, sizeof *r);
    r->opts = *opts;
    r->generated_at = lift_time_now();
    if (!r->opts.as_of)
        r->opts.as_of = r->generated_at;
    r->segment_names = lift_xcalloc(opts->nsegments + 1, sizeof *r->segment_names);
    for (size_t i = 0; i < opts->nsegments; i++)
        r->segment_names[i] = lift_xstrdup(opts->segments[i]);
    r->opts.segments = (const char *const *)r->segment_names;
    int rc = load_experiment(r, db, err);
    if (rc == LIFT_OK)
        rc = check_as_of(r, err);
    if (rc == LIFT_OK)
        rc = load_stats(r, db, err);
    if (rc == LIFT_OK) {
        rpt_plan(r);
        rc = analyze(r, err);
    }
    if (rc == LIFT_OK)
        rc = series(r, err);
    if (rc != LIFT_OK) {
        lift_report_free(r);
        return rc;
    }
    money(r);
    *out = r;
    return LIFT_OK;
}

static void free_power(rpt_power *p)
{
    free(p->need);
    free(p->mde_now);
}

void lift_report_free(lift_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->segment_names && i < r->opts.nsegments; i++)
        free(r->segment_names[i]);
    free(r->segment_names);
    free(r->key);
    free(r->name);
    free(r->hypothesis);
    free(r->status);
    free(r->kind);
    free(r->primary);
    free(r->excluded_currencies);
    for (int v = 0; r->variants && v < r->nvariants; v++)
        free(r->variants[v]);
    free(r->variants);
    free(r->weights);
    free(r->units);
    for (size_t m = 0; m < r->nmetrics; m++) {
        free(r->metrics[m].key);
        free(r->metrics[m].name);
        free(r->metrics[m].description);
        free(r->metrics[m].arms);
        free_power(&r->metrics[m].power);
    }
    free(r->metrics);
    for (size_t s = 0; s < r->nsegments; s++) {
        free(r->segments[s].attr);
        free(r->segments[s].value);
        free(r->segments[s].label);
        free(r->segments[s].arms);
    }
    free(r->segments);
    for (size_t d = 0; d < r->ndays; d++) {
        free(r->days[d].units);
        free(r->days[d].primary);
        free(r->days[d].rel);
    }
    free(r->days);
    free(r->inputs);
    free(r->planned);
    free(r->money);
    lift_stats_analysis_fini(&r->out);
    free(r);
}

const lift_result *rpt_result(const lift_report *r, size_t m, int s, int v)
{
    size_t input = s < 0 ? m : r->nmetrics * (size_t)(s + 1) + m;
    return &r->out.results[input * (size_t)(r->nvariants - 1) + (size_t)(v - 1)];
}

int lift_report_render(const lift_report *r, lift_report_format format, lift_buf *out,
                       lift_err *err)
{
    static void (*const renderers[])(const lift_report *, lift_buf *) = {
        rpt_render_html, rpt_render_md, rpt_render_json, rpt_render_csv, rpt_render_text};
    renderers[format](r, out);
    return out->failed ? lift_err_set(err, LIFT_ENOMEM, "out of memory") : LIFT_OK;
}

int lift_report_format_parse(const char *name)
{
    static const char *const names[] = {"html", "md", "json", "csv", "text"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}
