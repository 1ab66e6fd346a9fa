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
        lift_jw_bool(w, x->guardrail);
        lift_jw_key_num(w, "window_days", x->window_days);
        lift_jw_key_num(w, "cap", x->cap);
        lift_jw_key_num(w, "cuped_pre_days", r->opts.cuped ? x->pre_days : (double)NAN);
        lift_jw_key(w, "immature_excluded");
        lift_jw_int(w, x->immature);
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

static void power(lift_jw *w, const lift_report *r)
{
    lift_jw_key(w, "power");
    lift_jw_obj(w);
    lift_jw_key_str(w, "metric", r->metrics[0].key);
    lift_jw_key_num(w, "baseline", r->baseline);
    lift_jw_key_num(w, "planned_per_variant", r->have_plan ? r->planned : (double)NAN);
    lift_jw_key_num(w, "observed_per_variant", isfinite(r->observed_min) ? r->observed_min : 0);
    lift_jw_key(w, "reached_sample");
    lift_jw_bool(w, r->reached_sample);
    lift_jw_key_num(w, "days_run", r->days_run);
    lift_jw_key(w, "whole_weeks_run");
    lift_jw_int(w, (long long)floor(r->days_run / 7));
    lift_jw_key(w, "reached_duration");
    lift_jw_bool(w, r->reached_duration);
    lift_jw_key(w, "underpowered");
    lift_jw_bool(w, !(r->reached_sample && r->reached_duration));
    lift_jw_end(w);
}

void rpt_render_json(const lift_report *r, lift_buf *out)
{
    lift_jw w;
    lift_jw_init(&w, out, true);
    lift_jw_obj(&w);
    lift_jw_key(&w, "report_version");
    lift_jw_int(&w, 1);
    key_time(&w, "generated_at", r->generated_at);
    key_time(&w, "as_of", r->opts.as_of);
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
    lift_jw_key(&w, "verdicts");
    lift_jw_arr(&w);
    for (int v = 1; v < r->nvariants; v++) {
        char text[512];
        rpt_outcome o = rpt_verdict(r, v, text, sizeof text);
        lift_jw_obj(&w);
        lift_jw_key_str(&w, "variant", r->variants[v]);
        lift_jw_key_str(&w, "metric", r->metrics[0].key);
        lift_jw_key_str(&w, "outcome", rpt_outcome_name(o));
        lift_jw_key_str(&w, "text", text);
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
