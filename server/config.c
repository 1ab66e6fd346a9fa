/* The config model's loader: one JSON document (file or database) into one snapshot. */
#include "lift/config.h"

#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/text.h"

/* --- arena: a snapshot is freed all at once -------------------------------------------- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} chunk;

struct lift_arena {
    chunk *head;
};

static void *arena_alloc(void *ctx, size_t size)
{
    struct lift_arena *a = ctx;
    size = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    if (!a->head || a->head->cap - a->head->used < size) {
        size_t cap = size > 60000 ? size : 60000;
        chunk *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += size;
    memset(p, 0, size);
    return p;
}

static const char *arena_str(struct lift_arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* UTF-16 copy of prefix + s, for hashing. */
static const uint16_t *arena_u16(struct lift_arena *a, const char *prefix, const char *s,
                                 size_t *len)
{
    size_t np = strlen(prefix), ns = strlen(s);
    uint16_t *u = arena_alloc(a, (np + ns + 1) * sizeof *u);
    if (!u)
        return NULL;
    long k1 = lift_utf16_from_utf8(prefix, np, u, np);
    long k2 = lift_utf16_from_utf8(s, ns, u + k1, ns + 1);
    if (k1 < 0 || k2 < 0)
        return NULL;
    *len = (size_t)(k1 + k2);
    return u;
}

void lift_config_free(lift_config *cfg)
{
    if (!cfg)
        return;
    chunk *c = cfg->arena->head;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(cfg->arena);
    free(cfg);
}

/* --- field readers: each names the field at fault ------------------------------------- */

typedef struct loader {
    lift_config *cfg;
    struct lift_arena *arena;
    lift_err *err;
    char field[LIFT_ERR_FIELD_LEN];
} loader;

/* Fails with "<field>: <problem>", the field being the loader's position plus key. */
static int bad(loader *l, const char *key, const char *problem)
{
    char field[LIFT_ERR_FIELD_LEN];
    snprintf(field, sizeof field, "%.40s%s%.20s", l->field, *key ? "." : "", key);
    return lift_err_field(l->err, LIFT_EINVAL, field, "%s: %s", field, problem);
}

static bool valid_key(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '_' || c == '.' || c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

/* Optional string: *out unchanged when absent or null. */
static int get_str(loader *l, const json_t *obj, const char *key, const char **out, bool required)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return required ? bad(l, key, "missing (expected a string)") : LIFT_OK;
    if (!json_is_string(v))
        return bad(l, key, "expected a string");
    *out = arena_str(l->arena, json_string_value(v), json_string_length(v));
    return *out ? LIFT_OK : lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
}

static int get_num(loader *l, const json_t *obj, const char *key, double *out, double lo, double hi)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return LIFT_OK;
    if (!json_is_number(v) || !(json_number_value(v) >= lo && json_number_value(v) <= hi)) {
        char what[64];
        snprintf(what, sizeof what, "expected a number in [%g, %g]", lo, hi);
        return bad(l, key, what);
    }
    *out = json_number_value(v);
    return LIFT_OK;
}

static int get_int(loader *l, const json_t *obj, const char *key, int *out, int lo, int hi)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return LIFT_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char what[64];
        snprintf(what, sizeof what, "expected a whole number in [%d, %d]", lo, hi);
        return bad(l, key, what);
    }
    *out = (int)json_integer_value(v);
    return LIFT_OK;
}

static int get_time(loader *l, const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return LIFT_OK;
    if (!json_is_string(v) ||
        lift_time_parse(json_string_value(v), json_string_length(v), out) != 0)
        return bad(l, key, "expected an RFC 3339 time such as 2026-11-21T00:00:00Z");
    return LIFT_OK;
}

/* --- one experiment -------------------------------------------------------------------- */

static int layer_index(loader *l, const char *name)
{
    lift_config *cfg = l->cfg;
    for (size_t i = 0; i < cfg->nlayers; i++)
        if (strcmp(cfg->layers[i].name, name) == 0)
            return (int)i;
    lift_layer *ly = &cfg->layers[cfg->nlayers];
    ly->name = name;
    ly->ns_u16 = arena_u16(l->arena, "__", name, &ly->ns_u16_len);
    if (!ly->ns_u16)
        return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
    return (int)cfg->nlayers++;
}

static int load_layer(loader *l, const json_t *j, lift_experiment *e)
{
    e->layer = -1;
    if (!j || json_is_null(j))
        return LIFT_OK;
    const char *name = NULL;
    if (!json_is_object(j))
        return bad(l, "layer", "expected an object {\"name\", \"range\"}");
    size_t keep = strlen(l->field);
    strncat(l->field, ".layer", sizeof l->field - keep - 1);
    int rc = get_str(l, j, "name", &name, true);
    if (rc == LIFT_OK && !valid_key(name))
        rc = bad(l, "name", "expected 1 to 64 letters, digits, '_', '.' or '-'");
    const json_t *range = json_object_get(j, "range");
    e->layer_lo = 0;
    e->layer_hi = 1;
    if (rc == LIFT_OK && range && !json_is_null(range)) {
        if (!json_is_array(range) || json_array_size(range) != 2 ||
            !json_is_number(json_array_get(range, 0)) || !json_is_number(json_array_get(range, 1)))
            rc = bad(l, "range", "expected [start, end] numbers");
        else {
            e->layer_lo = json_number_value(json_array_get(range, 0));
            e->layer_hi = json_number_value(json_array_get(range, 1));
            if (!(e->layer_lo >= 0 && e->layer_lo < e->layer_hi && e->layer_hi <= 1))
                rc = bad(l, "range", "expected 0 <= start < end <= 1");
        }
    }
    l->field[keep] = '\0';
    if (rc == LIFT_OK) {
        int idx = layer_index(l, name);
        if (idx < 0)
            return idx;
        e->layer = idx;
    }
    return rc;
}

/* The smallest bucket b in [0, 10000] with b / 10000.0 >= x (10000 when none): since
 * b / 10000.0 grows with b, "h >= x" is "b >= first_bucket(x)" for v2 hashes. */
static uint16_t first_bucket(double x)
{
    if (x <= 0)
        return 0; /* the loader admits only finite ranges within [0, 1] */
    long b = (long)ceil(x * 10000) - 2;
    if (b < 0)
        b = 0;
    while (b < 10000 && (double)b / 10000 < x)
        b++;
    return (uint16_t)b;
}

static int load_variants(loader *l, const json_t *arr, lift_experiment *e)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 100)
        return bad(l, "variants", "expected an array of 1 to 100 variants");
    e->nvariants = (int)json_array_size(arr);
    e->variants = arena_alloc(l->arena, (size_t)e->nvariants * sizeof *e->variants);
    e->ranges = arena_alloc(l->arena, (size_t)e->nvariants * sizeof *e->ranges);
    e->buckets = arena_alloc(l->arena, (size_t)e->nvariants * sizeof *e->buckets);
    double *weights = arena_alloc(l->arena, (size_t)e->nvariants * sizeof *weights);
    if (!e->variants || !e->ranges || !e->buckets || !weights)
        return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
    size_t keep = strlen(l->field);
    int with_weight = 0, controls = 0, rc = LIFT_OK;
    for (int i = 0; i < e->nvariants && rc == LIFT_OK; i++) {
        lift_variant *v = &e->variants[i];
        const json_t *j = json_array_get(arr, (size_t)i);
        snprintf(l->field + keep, sizeof l->field - keep, ".variants[%d]", i);
        if (!json_is_object(j)) {
            rc = bad(l, "", "expected an object {\"key\", \"weight\", \"payload\"}");
            break;
        }
        rc = get_str(l, j, "key", &v->key, true);
        if (rc == LIFT_OK && !valid_key(v->key))
            rc = bad(l, "key", "expected 1 to 64 letters, digits, '_', '.' or '-'");
        for (int k = 0; rc == LIFT_OK && k < i; k++)
            if (strcmp(e->variants[k].key, v->key) == 0)
                rc = bad(l, "key", "duplicate variant key");
        v->weight = (double)NAN;
        if (rc == LIFT_OK)
            rc = get_num(l, j, "weight", &v->weight, 0, 1);
        with_weight += !isnan(v->weight);
        const json_t *payload = json_object_get(j, "payload");
        char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (rc == LIFT_OK && payload && !text)
            rc = lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
        if (rc == LIFT_OK) {
            v->payload_len = text ? strlen(text) : 2;
            v->payload = arena_str(l->arena, text ? text : "{}", v->payload_len);
        }
        free(text);
        const json_t *control = json_object_get(j, "control");
        if (rc == LIFT_OK && control && !json_is_null(control) && !json_is_boolean(control))
            rc = bad(l, "control", "expected true or false");
        v->control = json_is_true(control);
        controls += v->control;
    }
    l->field[keep] = '\0';
    if (rc != LIFT_OK)
        return rc;
    if (with_weight != 0 && with_weight != e->nvariants)
        return bad(l, "variants", "give every variant a weight, or none (equal split)");
    double total = 0;
    for (int i = 0; i < e->nvariants; i++) {
        if (with_weight == 0)
            e->variants[i].weight = 1.0 / e->nvariants;
        weights[i] = e->variants[i].weight;
        total += weights[i];
    }
    if (e->status == LIFT_STATUS_RUNNING) {
        char what[96];
        if (e->nvariants < 2)
            return bad(l, "variants", "a running experiment needs at least 2 variants");
        snprintf(what, sizeof what, "weights sum to %.10g, not 1", total);
        if (fabs(total - 1) > 1e-6)
            return bad(l, "variants", what);
        if (controls > 1)
            return bad(l, "variants", "more than one control variant");
    }
    e->control = 0;
    for (int i = 0; i < e->nvariants; i++)
        if (e->variants[i].control)
            e->control = i;
    e->variants[e->control].control = true;
    lift_bucket_ranges(e->nvariants, e->coverage, weights, e->nvariants, e->ranges);
    for (int i = 0; i < e->nvariants; i++) {
        e->buckets[i][0] = first_bucket(e->ranges[i][0]);
        e->buckets[i][1] = first_bucket(e->ranges[i][1]);
    }
    return LIFT_OK;
}

static int cmp_override(const void *a, const void *b)
{
    const lift_override *x = a, *y = b;
    size_t n = x->unit_len < y->unit_len ? x->unit_len : y->unit_len;
    int c = memcmp(x->unit, y->unit, n);
    return c ? c : (x->unit_len > y->unit_len) - (x->unit_len < y->unit_len);
}

static int load_overrides(loader *l, const json_t *arr, lift_experiment *e)
{
    if (!arr || json_is_null(arr))
        return LIFT_OK;
    if (!json_is_array(arr))
        return bad(l, "overrides", "expected an array of {\"unit\", \"variant\"}");
    e->noverrides = json_array_size(arr);
    e->overrides = arena_alloc(l->arena, e->noverrides * sizeof *e->overrides + 1);
    if (!e->overrides)
        return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
    size_t keep = strlen(l->field);
    int rc = LIFT_OK;
    for (size_t i = 0; i < e->noverrides && rc == LIFT_OK; i++) {
        lift_override *o = &e->overrides[i];
        const json_t *j = json_array_get(arr, i);
        const char *variant = NULL;
        snprintf(l->field + keep, sizeof l->field - keep, ".overrides[%zu]", i);
        if (!json_is_object(j)) {
            rc = bad(l, "", "expected an object {\"unit\", \"variant\"}");
            break;
        }
        rc = get_str(l, j, "unit", &o->unit, true);
        if (rc == LIFT_OK) {
            o->unit_len = strlen(o->unit);
            if (o->unit_len == 0 || o->unit_len > LIFT_UNIT_MAX ||
                !lift_utf8_valid(o->unit, o->unit_len))
                rc = bad(l, "unit", "expected 1 to 128 bytes of UTF-8");
        }
        if (rc == LIFT_OK)
            rc = get_str(l, j, "variant", &variant, true);
        if (rc == LIFT_OK && (o->variant = lift_config_variant(e, variant, strlen(variant))) < 0)
            rc = bad(l, "variant", "unknown variant");
    }
    l->field[keep] = '\0';
    if (rc != LIFT_OK)
        return rc;
    qsort(e->overrides, e->noverrides, sizeof *e->overrides, cmp_override);
    for (size_t i = 1; i < e->noverrides; i++)
        if (cmp_override(&e->overrides[i - 1], &e->overrides[i]) == 0)
            return bad(l, "overrides", "a unit is listed twice");
    return LIFT_OK;
}

static int load_audience(loader *l, const json_t *arr, lift_experiment *e)
{
    if (!arr || json_is_null(arr))
        return LIFT_OK;
    if (!json_is_array(arr))
        return bad(l, "audience", "expected an array of conditions");
    e->nconds = json_array_size(arr);
    e->conds = arena_alloc(l->arena, e->nconds * sizeof *e->conds + 1);
    if (!e->conds)
        return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
    for (size_t i = 0; i < e->nconds; i++) {
        char where[LIFT_ERR_FIELD_LEN + 24];
        snprintf(where, sizeof where, "%.40s.audience[%zu]", l->field, i);
        int rc = lift_cond_parse(json_array_get(arr, i), &e->conds[i], arena_alloc, l->arena, where,
                                 l->err);
        if (rc != LIFT_OK)
            return rc;
    }
    return LIFT_OK;
}

static int pick(loader *l, const json_t *j, const char *key, const char *const *names, int n,
                int dflt, int *out)
{
    const char *s = NULL;
    int rc = get_str(l, j, key, &s, false);
    *out = dflt;
    if (rc != LIFT_OK || !s)
        return rc;
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return LIFT_OK;
        }
    char what[96] = "expected ";
    for (int i = 0; i < n; i++)
        snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", i ? " or " : "",
                 names[i]);
    return bad(l, key, what);
}

static int load_experiment(loader *l, const json_t *j, lift_experiment *e)
{
    static const char *const statuses[] = {"draft", "running", "stopped"};
    static const char *const kinds[] = {"standard", "holdout"};
    if (!json_is_object(j))
        return bad(l, "", "expected an object");
    int rc = get_str(l, j, "key", &e->key, true);
    if (rc == LIFT_OK && !valid_key(e->key))
        rc = bad(l, "key", "expected 1 to 64 letters, digits, '_', '.' or '-'");
    if (rc != LIFT_OK)
        return rc;
    e->key_len = strlen(e->key);
    e->name = e->key;
    e->seed = e->key;
    e->hash_version = 2;
    e->coverage = 1;
    e->phase = 1;
    int status, kind;
    if ((rc = get_str(l, j, "name", &e->name, false)) != LIFT_OK ||
        (rc = pick(l, j, "status", statuses, 3, LIFT_STATUS_RUNNING, &status)) != LIFT_OK ||
        (rc = pick(l, j, "kind", kinds, 2, 0, &kind)) != LIFT_OK ||
        (rc = get_str(l, j, "seed", &e->seed, false)) != LIFT_OK ||
        (rc = get_int(l, j, "hash_version", &e->hash_version, 1, 2)) != LIFT_OK ||
        (rc = get_num(l, j, "coverage", &e->coverage, 0, 1)) != LIFT_OK ||
        (rc = get_int(l, j, "phase", &e->phase, 1, 1 << 30)) != LIFT_OK ||
        (rc = get_time(l, j, "start", &e->start)) != LIFT_OK ||
        (rc = get_time(l, j, "end", &e->end)) != LIFT_OK)
        return rc;
    e->status = (lift_status)status;
    e->holdout = kind == 1;
    if (!*e->seed)
        e->seed = e->key;
    if (!lift_utf8_valid(e->seed, strlen(e->seed)))
        return bad(l, "seed", "expected valid UTF-8");
    if (e->start && e->end && e->end <= e->start)
        return bad(l, "end", "is not after start");
    if ((rc = load_layer(l, json_object_get(j, "layer"), e)) != LIFT_OK ||
        (rc = load_audience(l, json_object_get(j, "audience"), e)) != LIFT_OK ||
        (rc = load_variants(l, json_object_get(j, "variants"), e)) != LIFT_OK ||
        (rc = load_overrides(l, json_object_get(j, "overrides"), e)) != LIFT_OK)
        return rc;
    e->seed_u16 = arena_u16(l->arena, "", e->seed, &e->seed_u16_len);
    if (!e->seed_u16)
        return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
    e->seed_fnv = lift_fnv_u16(LIFT_FNV_OFFSET, e->seed_u16, e->seed_u16_len);
    return LIFT_OK;
}

/* Running experiments sharing a layer must own disjoint ranges (as the database rules). */
static int check_overlaps(const lift_config *cfg, lift_err *err)
{
    for (size_t i = 0; i < cfg->nexperiments; i++) {
        const lift_experiment *a = &cfg->experiments[i];
        for (size_t k = 0; k < i && a->layer >= 0 && a->status == LIFT_STATUS_RUNNING; k++) {
            const lift_experiment *b = &cfg->experiments[k];
            if (b->layer == a->layer && b->status == LIFT_STATUS_RUNNING &&
                a->layer_lo < b->layer_hi && b->layer_lo < a->layer_hi) {
                char field[LIFT_ERR_FIELD_LEN + 24];
                snprintf(field, sizeof field, "experiments[%zu].layer.range", i);
                return lift_err_field(err, LIFT_EINVAL, field,
                                      "%s: range [%g, %g) of layer \"%s\" overlaps running "
                                      "experiment \"%s\" [%g, %g)",
                                      field, a->layer_lo, a->layer_hi, cfg->layers[a->layer].name,
                                      b->key, b->layer_lo, b->layer_hi);
            }
        }
    }
    return LIFT_OK;
}

lift_config *lift_config_from_json(const json_t *doc, lift_err *err)
{
    lift_config *cfg = calloc(1, sizeof *cfg);
    struct lift_arena *arena = calloc(1, sizeof *arena);
    if (!cfg || !arena) {
        free(cfg);
        free(arena);
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
        return NULL;
    }
    cfg->arena = arena;
    loader l = {cfg, arena, err, ""};
    int rc = LIFT_OK;
    const json_t *exps = json_object_get(doc, "experiments");
    const json_t *version = json_object_get(doc, "version");
    if (!json_is_object(doc))
        rc = lift_err_field(err, LIFT_EINVAL, "", "config: expected an object {\"experiments\"}");
    else if (version && !json_is_null(version) && !json_is_integer(version))
        rc = lift_err_field(err, LIFT_EINVAL, "version", "version: expected a whole number");
    else if (exps && !json_is_array(exps))
        rc = lift_err_field(err, LIFT_EINVAL, "experiments", "experiments: expected an array");
    if (rc == LIFT_OK) {
        cfg->version = json_integer_value(version);
        cfg->nexperiments = json_array_size(exps);
        cfg->experiments = arena_alloc(arena, cfg->nexperiments * sizeof *cfg->experiments + 1);
        cfg->layers = arena_alloc(arena, cfg->nexperiments * sizeof *cfg->layers + 1);
        if (!cfg->experiments || !cfg->layers)
            rc = lift_err_set(err, LIFT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == LIFT_OK && i < cfg->nexperiments; i++) {
        snprintf(l.field, sizeof l.field, "experiments[%zu]", i);
        rc = load_experiment(&l, json_array_get(exps, i), &cfg->experiments[i]);
        for (size_t k = 0; rc == LIFT_OK && k < i; k++)
            if (strcmp(cfg->experiments[k].key, cfg->experiments[i].key) == 0)
                rc = bad(&l, "key", "duplicate experiment key");
    }
    if (rc == LIFT_OK)
        rc = check_overlaps(cfg, err);
    if (rc != LIFT_OK) {
        lift_config_free(cfg);
        return NULL;
    }
    return cfg;
}

lift_config *lift_config_parse(const char *text, size_t len, lift_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        lift_err_set(err, LIFT_EINVAL, "config is not valid JSON (line %d, column %d): %s",
                     jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    lift_config *cfg = lift_config_from_json(doc, err);
    json_decref(doc);
    return cfg;
}

static const char SQL_DOCUMENT[] = "SELECT lift.config_document()::text";

char *lift_config_fetch_db(lift_db *db, size_t *len, lift_err *err)
{
    PGresult *r = lift_db_exec(db, SQL_DOCUMENT, 0, NULL, NULL, err);
    if (!r)
        return NULL;
    *len = (size_t)PQgetlength(r, 0, 0);
    char *text = malloc(*len + 1);
    if (text)
        memcpy(text, PQgetvalue(r, 0, 0), *len + 1);
    else
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
    PQclear(r);
    return text;
}

lift_config *lift_config_load_db(lift_db *db, lift_err *err)
{
    size_t len;
    char *text = lift_config_fetch_db(db, &len, err);
    if (!text)
        return NULL;
    lift_config *cfg = lift_config_parse(text, len, err);
    if (!cfg)
        lift_err_prefix(err, "config in the database");
    free(text);
    return cfg;
}

int lift_config_find(const lift_config *cfg, const char *key, size_t len)
{
    for (size_t i = 0; i < cfg->nexperiments; i++)
        if (cfg->experiments[i].key_len == len && memcmp(cfg->experiments[i].key, key, len) == 0)
            return (int)i;
    return -1;
}

int lift_config_variant(const lift_experiment *e, const char *key, size_t len)
{
    for (int i = 0; i < e->nvariants; i++)
        if (strlen(e->variants[i].key) == len && memcmp(e->variants[i].key, key, len) == 0)
            return i;
    return -1;
}
