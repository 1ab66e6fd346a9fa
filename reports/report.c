/* Building a report: the experiment's config, the sufficient statistics from
 * sql/analysis/metric_stats.sql, then the stats engine, the cumulative series and the plan. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    r->target_mde = lift_db_num(res, 0, "target_mde");
    r->target_power = lift_db_num(res, 0, "target_power");
    PQclear(res);

    res = query(db, "analysis/variants.sql", 1, p, err);
    if (!res) {
        free(metrics);
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
    if (r->nvariants < 2) {
        free(metrics);
        return lift_err_set(err, LIFT_EINVAL,
                            "experiment '%s' has %d variant(s): nothing to "
                            "compare",
                            r->key, r->nvariants);
    }

    const char *mp[] = {metrics};
    res = query(db, "analysis/metrics.sql", 1, mp, err);
    free(metrics);
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
        x->guardrail = !strcmp(lift_db_text(res, row, "guardrail"), "t");
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

/* Runs sql/analysis/metric_stats.sql and files its rows into the model. */
static int load_stats(lift_report *r, lift_db *db, lift_err *err)
{
    const char *fn = lift_sql_text("analysis/metric_stats.sql");
    if (!fn)
        return lift_err_set(err, LIFT_EIO, "sql/analysis/metric_stats.sql is not built in");
    int rc = lift_db_script(db, fn, err);
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
    char phase[16], as_of[LIFT_TIME_LEN];
    snprintf(phase, sizeof phase, "%d", r->phase);
    lift_time_format(r->opts.as_of, as_of);
    const char *p[] = {r->key, phase, as_of, metrics.data, segs.data};
    PGresult *res = lift_db_exec(db, "SELECT * FROM pg_temp.lift_metric_stats($1, $2, $3, $4, $5)",
                                 5, p, NULL, err);
    lift_buf_fini(&metrics);
    lift_buf_fini(&segs);
    if (!res)
        return LIFT_EDB;
    for (int row = 0; row < PQntuples(res); row++) {
        const char *level = lift_db_text(res, row, "level");
        int v = variant_index(r, lift_db_text(res, row, "variant"));
        int m = metric_index(r, lift_db_text(res, row, "metric"));
        if (row == 0) {
            const char *first = lift_db_text(res, row, "first_exposure"),
                       *last = lift_db_text(res, row, "last_exposure");
            r->mixed = count(res, row, "mixed");
            lift_time_parse(first, strlen(first), &r->first_exposure);
            lift_time_parse(last, strlen(last), &r->last_exposure);
        }
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
    return LIFT_OK;
}

static int by_day(const void *a, const void *b)
{
    const rpt_day *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

/* The stats engine over the whole experiment and every segment, as one family. */
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
                                .segment = s ? s->label : NULL,
                                .kind = x->kind,
                                .cuped = r->opts.cuped && x->has_pre,
                                .lower_is_better = x->lower_is_better,
                                .arms = s ? s->arms + m * (size_t)r->nvariants : x->arms};
    }
    r->analysis = (lift_analysis){.opts = {.alpha = r->opts.alpha,
                                           .sequential = r->opts.sequential,
                                           .tuning = r->opts.tuning},
                                  .correction = r->opts.correction,
                                  .nvariants = r->nvariants,
                                  .units = r->units,
                                  .weights = r->weights,
                                  .metrics = r->inputs,
                                  .nmetrics = n};
    return lift_stats_analyze(&r->analysis, &r->out, err);
}

/* Cumulative relative lift of the primary metric by day of first exposure. */
static void series(lift_report *r)
{
    qsort(r->days, r->ndays, sizeof *r->days, by_day);
    const rpt_metric *p = &r->metrics[0];
    lift_suff *cum = lift_xcalloc((size_t)r->nvariants, sizeof *cum);
    lift_test_opts o = {.alpha = r->opts.alpha,
                        .cuped = r->opts.cuped && p->has_pre,
                        .lower_is_better = p->lower_is_better};
    for (size_t d = 0; d < r->ndays; d++) {
        for (int v = 0; v < r->nvariants; v++) {
            double *to = &cum[v].n;
            const double *from = &r->days[d].primary[v].n;
            for (size_t k = 0; k < sizeof cum[v] / sizeof *to; k++)
                to[k] += from[k];
        }
        for (int v = 1; v < r->nvariants; v++) {
            lift_comparison c;
            lift_err ignore;
            if (lift_stats_compare(p->kind, &cum[0], &cum[v], &o, &c, &ignore) == LIFT_OK &&
                c.rel.valid)
                r->days[d].rel[v] = c.rel;
        }
    }
    free(cum);
}

/* Planned sample for the primary metric from the control's observed baseline, against
 * what was reached; duration in days and whole weeks. */
static void plan(lift_report *r)
{
    const rpt_metric *p = &r->metrics[0];
    lift_moments c;
    lift_err err;
    lift_stats_moments(p->kind, &p->arms[0], &c, &err);
    lift_plan pl = {.proportion = p->kind == LIFT_KIND_PROPORTION,
                    .baseline = c.mean,
                    .sd = sqrt(c.var),
                    .alpha = r->opts.alpha,
                    .power = r->target_power};
    r->baseline = c.mean;
    r->have_plan =
        c.n >= 2 && lift_stats_sample_size(&pl, r->target_mde, &r->planned, &err) == LIFT_OK;
    r->observed_min = (double)INFINITY;
    for (int v = 0; v < r->nvariants; v++)
        if (p->arms[v].n < r->observed_min)
            r->observed_min = p->arms[v].n;
    int64_t end =
        r->opts.as_of < r->last_exposure + DAY_US ? r->opts.as_of : r->last_exposure + DAY_US;
    r->days_run = r->first_exposure ? (double)(end - r->first_exposure) / (double)DAY_US : 0;
    r->reached_sample = r->have_plan && r->observed_min >= r->planned;
    /* Whole weeks (weekday effects), never under 7 days. */
    r->reached_duration = r->days_run >= 7;
}

int lift_report_build(lift_db *db, const lift_report_opts *opts, lift_report **out, lift_err *err)
{
    *out = NULL;
    if (!(opts->alpha > 0 && opts->alpha < 1))
        return lift_err_field(err, LIFT_EINVAL, "alpha", "alpha: %g is not between 0 and 1",
                              opts->alpha);
    if (opts->sequential && !(opts->tuning > 0))
        return lift_err_field(err, LIFT_EINVAL, "sequential", "sequential: N* must be positive");
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
        rc = load_stats(r, db, err);
    if (rc == LIFT_OK)
        rc = analyze(r, err);
    if (rc != LIFT_OK) {
        lift_report_free(r);
        return rc;
    }
    series(r);
    plan(r);
    *out = r;
    return LIFT_OK;
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
