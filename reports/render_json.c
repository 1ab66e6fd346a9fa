/* The JSON report: everything, machine-readable (field list in include/lift/report.h). */
#include <math.h>
#include <string.h>

#include "lift/statsjson.h"
#include "model.h"

/* A time, or null when unknown (0). */
static void key_time(lift_jw *w, const char *key, int64_t t)
{
    lift_jw_key(w, key);
    if (t)
        lift_jw_time(w, t);
    else
        lift_jw_null(w);
}

static void experiment(lift_jw *w, const lift_report *r)
{
    lift_jw_key(w, "experiment");
    lift_jw_obj(w);
    lift_jw_key_str(w, "key", r->key);
    lift_jw_key_str(w, "name", r->name);
    lift_jw_key_str(w, "hypothesis", r->hypothesis);
    lift_jw_key_str(w, "status", r->status);
    lift_jw_key_str(w, "kind", r->kind);
    lift_jw_key(w, "phase");
    lift_jw_int(w, r->phase);
    lift_jw_key_str(w, "primary_metric", r->primary);
    lift_jw_key_num(w, "target_mde", r->target_mde);
    lift_jw_key_num(w, "target_power", r->target_power);
    key_time(w, "start_at", r->start_at);
    key_time(w, "end_at", r->end_at);
    lift_jw_key(w, "revenue_metric");
    if (r->revenue >= 0)
        lift_jw_str(w, r->metrics[r->revenue].key);
    else
        lift_jw_null(w);
    lift_jw_key(w, "variants");
    lift_jw_arr(w);
    for (int v = 0; v < r->nvariants; v++) {
        lift_jw_obj(w);
        lift_jw_key_str(w, "key", r->variants[v]);
        lift_jw_key_num(w, "weight", r->weights[v]);
        lift_jw_key(w, "control");
        lift_jw_bool(w, v == 0);
        lift_jw_key_num(w, "units", r->units[v]);
        lift_jw_end(w);
    }
    lift_jw_end(w);
    lift_jw_end(w);
}

static void settings(lift_jw *w, const lift_report *r)
{
    lift_jw_key(w, "settings");
    lift_jw_obj(w);
    lift_jw_key_num(w, "alpha", r->opts.alpha);
    lift_jw_key_str(w, "correction", lift_correction_name(r->opts.correction));
    lift_jw_key(w, "sequential");
    if (r->opts.sequential) {
        lift_jw_obj(w);
        lift_jw_key_num(w, "tuning", r->opts.tuning);
        lift_jw_end(w);
    } else {
        lift_jw_null(w);
    }
    lift_jw_key_str(w, "prior", "flat");
    lift_jw_key(w, "cuped");
    lift_jw_bool(w, r->opts.cuped);
    lift_jw_key(w, "segments");
    lift_jw_arr(w);
    for (size_t i = 0; i < r->opts.nsegments; i++)
        lift_jw_str(w, r->opts.segments[i]);
    lift_jw_end(w);
    lift_jw_key_num(w, "max_mixed_share",
                    r->opts.max_mixed_share > 0 ? r->opts.max_mixed_share : 0.01);
    lift_jw_end(w);
}

static void interval(lift_jw *w, const char *key, const lift_interval *ci)
{
    lift_jw_key(w, key);
    lift_jw_arr(w);
    lift_jw_num(w, ci->lo);
    lift_jw_num(w, ci->hi);
    lift_jw_end(w);
}

static void money(lift_jw *w, const lift_report *r)
{
    lift_jw_key(w, "money");
    lift_jw_obj(w);
    lift_jw_key(w, "currency");
    if (*r->currency)
        lift_jw_str(w, r->currency);
    else
        lift_jw_null(w);
    lift_jw_key_str(w, "currency_source", r->currency_source);
    lift_jw_key(w, "metric");
    if (r->revenue >= 0)
        lift_jw_str(w, r->metrics[r->revenue].key);
    else
        lift_jw_null(w);
    lift_jw_key(w, "programme");
    lift_jw_bool(w, !strcmp(r->kind, "holdout"));
    lift_jw_key(w, "variants");
    lift_jw_arr(w);
    for (int v = 1; r->revenue >= 0 && v < r->nvariants; v++) {
        const lift_money *m = &r->money[v];
        char text[2048];
        lift_jw_obj(w);
        lift_jw_key_str(w, "variant", r->variants[v]);
        lift_jw_key(w, "valid");
        lift_jw_bool(w, m->valid);
        lift_jw_key_num(w, "ci_level", rpt_result(r, (size_t)r->revenue, -1, v)->ci_level);
        lift_jw_key_num(w, "per_shopper", m->per_shopper);
        interval(w, "per_shopper_ci", &m->per_shopper_ci);
        lift_jw_key_num(w, "treated", m->treated);
        lift_jw_key_num(w, "total", m->total);
        interval(w, "total_ci", &m->total_ci);
        lift_jw_key_num(w, "daily_shoppers", m->daily);
        lift_jw_key_num(w, "per_30_days", m->per_30_days);
        interval(w, "per_30_days_ci", &m->per_30_days_ci);
        rpt_money_text(r, v, text, sizeof text);
        lift_jw_key_str(w, "text", text);
        lift_jw_end(w);
    }
    lift_jw_end(w);
    lift_jw_end(w);
}

static void health(lift_jw *w, const lift_report *r)
{
    const lift_analysis_out *o = &r->out;
    double limit = r->opts.max_mixed_share > 0 ? r->opts.max_mixed_share : 0.01;
    lift_jw_key(w, "health");
    lift_jw_obj(w);
    lift_jw_key(w, "srm");
    lift_statsjson_write_srm(w, o);
    lift_jw_key(w, "mixed");
    lift_jw_obj(w);
    lift_jw_key(w, "units");
    lift_jw_int(w, r->mixed);
    lift_jw_key_num(w, "share", o->mixed_share);
    lift_jw_key_num(w, "threshold", limit);
    lift_jw_key(w, "pass");
    lift_jw_bool(w, o->mixed_share <= limit);
    lift_jw_end(w);
    lift_jw_key(w, "outside_schedule");
    lift_jw_obj(w);
    lift_jw_key(w, "checked");
    lift_jw_bool(w, r->start_at || r->end_at);
    lift_jw_key(w, "units");
    lift_jw_int(w, r->outside);
    lift_jw_end(w);
    lift_jw_key(w, "pre_period");
    lift_jw_arr(w);
    for (size_t m = 0; m < r->nmetrics; m++)
        for (int v = 1; v < r->nvariants; v++) {
            const lift_comparison *c = &rpt_result(r, m, -1, v)->cmp;
            if (!c->pre_checked)
                continue;
            lift_jw_obj(w);
            lift_jw_key_str(w, "metric", r->metrics[m].key);
            lift_jw_key_str(w, "variant", r->variants[v]);
            lift_jw_key_num(w, "p_value", c->pre_p_value);
            lift_jw_key(w, "imbalance");
            lift_jw_bool(w, c->pre_imbalance);
            lift_jw_end(w);
        }
    lift_jw_end(w);
    double total = 0;
    for (int v = 0; v < r->nvariants; v++)
        total += r->units[v];
    lift_jw_key(w, "immature");
    lift_jw_arr(w);
    for (size_t m = 0; m < r->nmetrics; m++) {
        lift_jw_obj(w);
        lift_jw_key_str(w, "metric", r->metrics[m].key);
        lift_jw_key(w, "units");
        lift_jw_int(w, r->metrics[m].immature);
        lift_jw_key_num(w, "share", total > 0 ? (double)r->metrics[m].immature / total : 0);
        lift_jw_key_num(w, "days_to_mature",
                        r->metrics[m].long_term ? r->metrics[m].days_to_mature : (double)NAN);
        lift_jw_end(w);
    }
    lift_jw_end(w);
    lift_jw_key(w, "freshness");
    lift_jw_obj(w);
    key_time(w, "latest_exposure", r->latest_exposure);
    key_time(w, "latest_event", r->latest_event);
    lift_jw_end(w);
    lift_jw_key(w, "data");
    lift_jw_obj(w);
    lift_jw_key_str(w, "path", r->data_path);
    key_time(w, "rollup_refreshed_at", r->refreshed_at);
    lift_jw_key(w, "recomputed_units");
    lift_jw_int(w, r->recomputed);
    lift_jw_end(w);
    lift_jw_key(w, "currency");
    lift_jw_obj(w);
    lift_jw_key_num(w, "excluded_events", (double)r->excluded);
    lift_jw_key_str(w, "excluded_by_currency", r->excluded_currencies);
    lift_jw_end(w);
    lift_jw_end(w);
}

static void metric_power(lift_jw *w, const lift_report *r, const rpt_metric *x)
{
    const rpt_power *p = &x->power;
    lift_jw_key(w, "power");
    lift_jw_obj(w);
    lift_jw_key_num(w, "baseline", p->baseline);
    lift_jw_key_num(w, "alpha", p->alpha);
    lift_jw_key(w, "needed_per_variant");
    lift_jw_arr(w);
    for (int v = 0; v < r->nvariants; v++)
        lift_jw_num(w, p->have ? p->need[v] : (double)NAN);
    lift_jw_end(w);
    lift_jw_key(w, "reached");
    lift_jw_bool(w, p->reached);
    lift_jw_key(w, "mde_now");
    lift_jw_arr(w);
    for (int v = 1; v < r->nvariants; v++)
        lift_jw_num(w, p->mde_now[v]);
    lift_jw_end(w);
    lift_jw_key_num(w, "plan_days", p->plan_days >= 0 ? p->plan_days : (double)NAN);
    lift_jw_key_num(w, "days_left", p->days_left);
    lift_jw_end(w);
}

static void results(lift_jw *w, const lift_report *r, size_t m, int s)
{
    lift_jw_key(w, "results");
    lift_jw_arr(w);
    for (int v = 1; v < r->nvariants; v++)
        lift_statsjson_write_result(w, &r->analysis, (const char *const *)r->variants,
                                    rpt_result(r, m, s, v));
    lift_jw_end(w);
}

static void metrics(lift_jw *w, const lift_report *r)
{
    lift_jw_key(w, "metrics");
    lift_jw_arr(w);
    for (size_t m = 0; m < r->nmetrics; m++) {
        const rpt_metric *x = &r->metrics[m];
        lift_jw_obj(w);
        lift_jw_key_str(w, "key", x->key);
        lift_jw_key_str(w, "name", x->name);
        lift_jw_key_str(w, "description", x->description);
        lift_jw_key_str(w, "type", lift_kind_name(x->kind));
        lift_jw_key_str(w, "direction", x->lower_is_better ? "lower" : "higher");
        lift_jw_key(w, "guardrail");
        lift_jw_bool(w, x->role == LIFT_ROLE_GUARDRAIL);
        lift_jw_key_str(w, "role", lift_role_name(x->role));
        lift_jw_key_num(w, "margin", x->margin);
        lift_jw_key(w, "long_term");
        lift_jw_bool(w, x->long_term);
        lift_jw_key(w, "money");
        lift_jw_bool(w, x->money);
        lift_jw_key_num(w, "window_days", x->window_days);
        lift_jw_key_num(w, "cap", x->cap);
        lift_jw_key_num(w, "cuped_pre_days", r->opts.cuped ? x->pre_days : (double)NAN);
        lift_jw_key(w, "immature_excluded");
        lift_jw_int(w, x->immature);
        metric_power(w, r, x);
        results(w, r, m, -1);
        lift_jw_end(w);
    }
    lift_jw_end(w);
}

static void segments(lift_jw *w, const lift_report *r)
{
    lift_jw_key(w, "segments");
    lift_jw_arr(w);
    for (size_t s = 0; s < r->nsegments; s++) {
        lift_jw_obj(w);
        lift_jw_key_str(w, "attribute", r->segments[s].attr);
        lift_jw_key_str(w, "value", r->segments[s].value);
        lift_jw_key(w, "family");
        lift_jw_int(w, r->segments[s].family);
        lift_jw_key(w, "results");
        lift_jw_arr(w);
        for (size_t m = 0; m < r->nmetrics; m++)
            for (int v = 1; v < r->nvariants; v++)
                lift_statsjson_write_result(w, &r->analysis, (const char *const *)r->variants,
                                            rpt_result(r, m, (int)s, v));
        lift_jw_end(w);
        lift_jw_end(w);
    }
    lift_jw_end(w);
}

static void series(lift_jw *w, const lift_report *r)
{
    lift_jw_key(w, "series");
    lift_jw_obj(w);
    lift_jw_key_str(w, "primary_metric", r->metrics[0].key);
    lift_jw_key_num(w, "ci_level", 1 - r->series_level);
    lift_jw_key(w, "always_valid");
    lift_jw_bool(w, r->opts.sequential);
    lift_jw_key(w, "days");
    lift_jw_arr(w);
    for (size_t d = 0; d < r->ndays; d++) {
        char day[LIFT_TIME_LEN];
        lift_time_format(r->days[d].day, day);
        day[10] = '\0';
        lift_jw_obj(w);
        lift_jw_key_str(w, "day", day);
        lift_jw_key(w, "units");
        lift_jw_arr(w);
        for (int v = 0; v < r->nvariants; v++)
            lift_jw_int(w, r->days[d].units[v]);
        lift_jw_end(w);
        lift_jw_key(w, "relative");
        lift_jw_arr(w);
        for (int v = 1; v < r->nvariants; v++) {
            const lift_estimate *e = &r->days[d].rel[v];
            lift_jw_obj(w);
            lift_jw_key_str(w, "variant", r->variants[v]);
            lift_jw_key_num(w, "estimate", e->valid ? e->estimate : (double)NAN);
            lift_jw_key_num(w, "lo", e->valid ? e->lo : (double)NAN);
            lift_jw_key_num(w, "hi", e->valid ? e->hi : (double)NAN);
            lift_jw_end(w);
        }
        lift_jw_end(w);
        lift_jw_end(w);
    }
    lift_jw_end(w);
    lift_jw_end(w);
}

/* The primary's plan, as report version 1 had it (planned_per_variant: the control's need). */
static void power(lift_jw *w, const lift_report *r)
{
    const rpt_power *p = &r->metrics[0].power;
    double observed = (double)INFINITY;
    for (int v = 0; v < r->nvariants; v++)
        observed = fmin(observed, r->metrics[0].arms[v].n);
    bool duration = r->days_run >= fmax(7, r->days_planned > 0 ? r->days_planned : 0);
    lift_jw_key(w, "power");
    lift_jw_obj(w);
    lift_jw_key_str(w, "metric", r->metrics[0].key);
    lift_jw_key_num(w, "baseline", p->baseline);
    lift_jw_key_num(w, "planned_per_variant", p->have ? p->need[0] : (double)NAN);
    lift_jw_key_num(w, "observed_per_variant", isfinite(observed) ? observed : 0);
    lift_jw_key(w, "reached_sample");
    lift_jw_bool(w, p->reached);
    lift_jw_key_num(w, "days_run", r->days_run);
    lift_jw_key_num(w, "days_planned", r->days_planned);
    lift_jw_key(w, "whole_weeks_run");
    lift_jw_int(w, (long long)floor(r->days_run / 7));
    lift_jw_key(w, "reached_duration");
    lift_jw_bool(w, duration);
    lift_jw_key(w, "underpowered");
    lift_jw_bool(w, !(p->reached && duration));
    lift_jw_end(w);
}

void rpt_render_json(const lift_report *r, lift_buf *out)
{
    lift_jw w;
    lift_jw_init(&w, out, true);
    lift_jw_obj(&w);
    lift_jw_key(&w, "report_version");
    lift_jw_int(&w, 2);
    key_time(&w, "generated_at", r->generated_at);
    key_time(&w, "as_of", r->opts.as_of);
    lift_jw_key(&w, "decisions");
    lift_statsjson_write_decisions(&w, &r->analysis, (const char *const *)r->variants, &r->out);
    money(&w, r);
    health(&w, r);
    experiment(&w, r);
    settings(&w, r);
    lift_jw_key(&w, "exposure");
    lift_jw_obj(&w);
    key_time(&w, "first", r->first_exposure);
    key_time(&w, "last", r->last_exposure);
    lift_jw_key_num(&w, "days_run", r->days_run);
    double units = 0;
    for (int v = 0; v < r->nvariants; v++)
        units += r->units[v];
    lift_jw_key_num(&w, "units", units);
    lift_jw_key(&w, "mixed_excluded");
    lift_jw_int(&w, r->mixed);
    lift_jw_end(&w);
    lift_jw_key(&w, "srm");
    lift_statsjson_write_srm(&w, &r->out);
    /* Version 1's verdicts: the primary's label per treatment, with the decision's summary. */
    lift_jw_key(&w, "verdicts");
    lift_jw_arr(&w);
    for (int v = 1; v < r->nvariants; v++) {
        lift_jw_obj(&w);
        lift_jw_key_str(&w, "variant", r->variants[v]);
        lift_jw_key_str(&w, "metric", r->metrics[0].key);
        lift_jw_key_str(&w, "outcome", lift_label_name(rpt_result(r, 0, -1, v)->label));
        lift_jw_key_str(&w, "text", r->out.decisions[v - 1].summary);
        lift_jw_end(&w);
    }
    lift_jw_end(&w);
    power(&w, r);
    metrics(&w, r);
    segments(&w, r);
    series(&w, r);
    lift_jw_end(&w);
    lift_buf_puts(out, "\n");
}
