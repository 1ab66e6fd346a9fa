/* The GrowthBook SDK payload of a config (the mapping is in lift/growthbook.h). */
#include <stdio.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/growthbook.h"

#define HOLDOUT_PREFIX "$holdout:"

static void key_of(char *out, size_t len, const char *prefix, const char *key)
{
    snprintf(out, len, "%s%s", prefix, key);
}

/* The value of variant v in a feature: its payload, or (for "$holdout:" features) its key. */
static void value(lift_jw *w, const lift_experiment *e, int v, bool keys)
{
    if (keys)
        lift_jw_str(w, e->variants[v].key);
    else
        lift_jw_raw(w, e->variants[v].payload, e->variants[v].payload_len);
}

/* One force rule per variant that has QA overrides: its units get that variant. */
static void override_rules(lift_jw *w, const lift_experiment *e, bool keys)
{
    for (int v = 0; v < e->nvariants; v++) {
        size_t n = 0;
        for (size_t i = 0; i < e->noverrides; i++)
            n += e->overrides[i].variant == v;
        if (!n)
            continue;
        char id[96];
        key_of(id, sizeof id, "lift:override:", e->variants[v].key);
        lift_jw_obj(w);
        lift_jw_key_str(w, "id", id);
        lift_jw_key(w, "condition");
        lift_jw_obj(w);
        lift_jw_key(w, LIFT_GB_UNIT_ATTR);
        lift_jw_obj(w);
        lift_jw_key(w, "$in");
        lift_jw_arr(w);
        for (size_t i = 0; i < e->noverrides; i++)
            if (e->overrides[i].variant == v)
                lift_jw_strn(w, e->overrides[i].unit, e->overrides[i].unit_len);
        lift_jw_end(w);
        lift_jw_end(w);
        lift_jw_end(w);
        lift_jw_key(w, "force");
        value(w, e, v, keys);
        lift_jw_end(w);
    }
}

static void experiment_rule(lift_jw *w, const lift_config *cfg, const lift_experiment *e, bool keys)
{
    char phase[16];
    snprintf(phase, sizeof phase, "%d", e->phase);
    lift_jw_obj(w);
    lift_jw_key_str(w, "id", "lift:experiment");
    lift_jw_key_str(w, "key", e->key);
    lift_jw_key_str(w, "name", e->name);
    lift_jw_key_str(w, "phase", phase);
    lift_jw_key_str(w, "seed", e->seed);
    lift_jw_key_str(w, "hashAttribute", LIFT_GB_UNIT_ATTR);
    lift_jw_key(w, "hashVersion");
    lift_jw_int(w, e->hash_version);
    lift_jw_key_num(w, "coverage", e->coverage);
    lift_jw_key(w, "weights");
    lift_jw_arr(w);
    for (int v = 0; v < e->nvariants; v++)
        lift_jw_num(w, e->variants[v].weight);
    lift_jw_end(w);
    lift_jw_key(w, "variations");
    lift_jw_arr(w);
    for (int v = 0; v < e->nvariants; v++)
        value(w, e, v, keys);
    lift_jw_end(w);
    lift_jw_key(w, "meta");
    lift_jw_arr(w);
    for (int v = 0; v < e->nvariants; v++) {
        lift_jw_obj(w);
        lift_jw_key_str(w, "key", e->variants[v].key);
        lift_jw_end(w);
    }
    lift_jw_end(w);
    if (e->layer >= 0) {
        lift_jw_key(w, "namespace");
        lift_jw_arr(w);
        lift_jw_str(w, cfg->layers[e->layer].name);
        lift_jw_num(w, e->layer_lo);
        lift_jw_num(w, e->layer_hi);
        lift_jw_end(w);
    }
    if (e->nconds) {
        lift_jw_key(w, "condition");
        lift_gb_condition(w, e->conds, e->nconds);
    }
    lift_jw_end(w);
}

/* Held-out shoppers (a running holdout put them in its control) get the default value. */
static void holdout_rules(lift_jw *w, const lift_config *cfg, const lift_experiment *e, int64_t now)
{
    for (size_t h = 0; h < cfg->nexperiments; h++) {
        const lift_experiment *ho = &cfg->experiments[h];
        if (!ho->holdout || !lift_experiment_active(ho, now))
            continue;
        char id[96], parent[96];
        key_of(id, sizeof id, "lift:holdout:", ho->key);
        key_of(parent, sizeof parent, HOLDOUT_PREFIX, ho->key);
        lift_jw_obj(w);
        lift_jw_key_str(w, "id", id);
        lift_jw_key(w, "parentConditions");
        lift_jw_arr(w);
        lift_jw_obj(w);
        lift_jw_key_str(w, "id", parent);
        lift_jw_key(w, "condition");
        lift_jw_obj(w);
        lift_jw_key_str(w, "value", ho->variants[ho->control].key);
        lift_jw_end(w);
        lift_jw_end(w);
        lift_jw_end(w);
        lift_jw_key(w, "force");
        value(w, e, e->control, false);
        lift_jw_end(w);
    }
}

/* The feature of experiment e (keys: its "$holdout:" twin, valued by variant keys). */
static void feature(lift_jw *w, const lift_config *cfg, const lift_experiment *e, int64_t now,
                    bool keys)
{
    char name[96];
    key_of(name, sizeof name, keys ? HOLDOUT_PREFIX : "", e->key);
    lift_jw_key(w, name);
    lift_jw_obj(w);
    if (!keys && e->nvariants > 0) { /* a draft may have no variants yet */
        lift_jw_key(w, "defaultValue");
        value(w, e, e->control, false);
    }
    if (lift_experiment_active(e, now)) {
        lift_jw_key(w, "rules");
        lift_jw_arr(w);
        override_rules(w, e, keys); /* a QA override wins even over the holdout */
        if (!e->holdout)
            holdout_rules(w, cfg, e, now);
        experiment_rule(w, cfg, e, keys);
        lift_jw_end(w);
    }
    lift_jw_end(w);
}

void lift_gb_payload(lift_buf *b, const lift_config *cfg, int64_t now, int64_t *valid_until,
                     int64_t *date_updated)
{
    int64_t until = INT64_MAX, updated = cfg->updated;
    for (size_t i = 0; i < cfg->nexperiments; i++) {
        const lift_experiment *e = &cfg->experiments[i];
        if (e->status != LIFT_STATUS_RUNNING)
            continue;
        const int64_t edges[2] = {e->start, e->end};
        for (int k = 0; k < 2; k++) {
            if (!edges[k])
                continue;
            if (edges[k] > now && edges[k] < until)
                until = edges[k];
            if (edges[k] <= now && edges[k] > updated)
                updated = edges[k];
        }
    }
    lift_jw w;
    lift_jw_init(&w, b, false);
    lift_jw_obj(&w);
    lift_jw_key(&w, "status");
    lift_jw_int(&w, 200);
    lift_jw_key(&w, "features");
    lift_jw_obj(&w);
    for (size_t i = 0; i < cfg->nexperiments; i++) {
        const lift_experiment *e = &cfg->experiments[i];
        feature(&w, cfg, e, now, false);
        if (e->holdout)
            feature(&w, cfg, e, now, true);
    }
    lift_jw_end(&w);
    lift_jw_key(&w, "dateUpdated");
    lift_jw_time(&w, updated);
    lift_jw_end(&w);
    *valid_until = until;
    *date_updated = updated;
}
