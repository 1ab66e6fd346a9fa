/* The config model's loader: one JSON document (file or database) into one snapshot. */
#include "lift/config.h"

#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/jsonread.h"
#include "lift/names.h"
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
    return lift_json_fail(l->err, l->field, key, "%s", problem);
}

/* Optional string, copied into the arena: *out unchanged when absent or null. */
static int get_str(loader *l, const json_t *obj, const char *key, const char **out, bool required)
{
    const char *s = NULL;
    size_t n = 0;
    int rc = lift_json_string(obj, key, l->field, required, &s, &n, l->err);
    if (rc != LIFT_OK || !s)
        return rc;
    *out = arena_str(l->arena, s, n);
    return *out ? LIFT_OK : lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
}

static int get_int(loader *l, const json_t *obj, const char *key, int *out, int lo, int hi)
{
    long v = *out;
    int rc = lift_json_int_in(obj, key, l->field, lo, hi, &v, l->err);
    *out = (int)v;
    return rc;
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
    if (rc == LIFT_OK && !lift_key_valid(name, strlen(name)))
        rc = bad(l, "name", "expected " LIFT_KEY_RULE);
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
    /* A draft or stopped experiment may have no variants yet: the database allows it, and
     * one such row must not hold every later config change back. It is never served. */
    bool none = !arr || json_is_null(arr) || (json_is_array(arr) && json_array_size(arr) == 0);
    if (none && e->status != LIFT_STATUS_RUNNING)
        return LIFT_OK;
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > LIFT_VARIANTS_MAX)
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
        if (rc == LIFT_OK && !lift_key_valid(v->key, strlen(v->key)))
            rc = bad(l, "key", "expected " LIFT_KEY_RULE);
        for (int k = 0; rc == LIFT_OK && k < i; k++)
            if (strcmp(e->variants[k].key, v->key) == 0)
                rc = bad(l, "key", "duplicate variant key");
        v->weight = (double)NAN;
        if (rc == LIFT_OK)
            rc = lift_json_number_in(j, "weight", l->field, 0, 1, &v->weight, l->err);
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

static int load_experiment(loader *l, const json_t *j, lift_experiment *e)
{
    static const char *const statuses[] = {"draft", "running", "stopped"};
    static const char *const kinds[] = {"standard", "holdout"};
    if (!json_is_object(j))
        return bad(l, "", "expected an object");
    int rc = get_str(l, j, "key", &e->key, true);
    if (rc == LIFT_OK && !lift_key_valid(e->key, strlen(e->key)))
        rc = bad(l, "key", "expected " LIFT_KEY_RULE);
    if (rc != LIFT_OK)
        return rc;
    e->key_len = strlen(e->key);
    e->name = e->key;
    e->seed = e->key;
    e->hash_version = 2;
    e->coverage = 1;
    e->phase = 1;
    int status = LIFT_STATUS_RUNNING, kind = 0;
    if ((rc = get_str(l, j, "name", &e->name, false)) != LIFT_OK ||
        (rc = lift_json_pick(j, "status", l->field, false, statuses, 3, &status, l->err)) !=
            LIFT_OK ||
        (rc = lift_json_pick(j, "kind", l->field, false, kinds, 2, &kind, l->err)) != LIFT_OK ||
        (rc = get_str(l, j, "seed", &e->seed, false)) != LIFT_OK ||
        (rc = get_int(l, j, "hash_version", &e->hash_version, 1, 2)) != LIFT_OK ||
        (rc = lift_json_number_in(j, "coverage", l->field, 0, 1, &e->coverage, l->err)) !=
            LIFT_OK ||
        (rc = get_int(l, j, "phase", &e->phase, 1, 1 << 30)) != LIFT_OK ||
        (rc = lift_json_time(j, "start", l->field, &e->start, l->err)) != LIFT_OK ||
        (rc = lift_json_time(j, "end", l->field, &e->end, l->err)) != LIFT_OK)
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

/* --- client keys ------------------------------------------------------------------------ */

/* An array of strings into the arena: origins (lower-cased) or event types. */
static int load_strings(loader *l, const json_t *j, const char *key, bool lower, const char ***out,
                        size_t *n)
{
    const json_t *arr = lift_json_member(j, key);
    *n = 0;
    if (!arr)
        return LIFT_OK;
    if (!json_is_array(arr))
        return bad(l, key, "expected an array of strings");
    *out = arena_alloc(l->arena, json_array_size(arr) * sizeof **out + 1);
    if (!*out)
        return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *s = json_array_get(arr, i);
        size_t len = json_string_length(s);
        if (!json_is_string(s) || len == 0 || len > 255 ||
            lift_has_control(json_string_value(s), len))
            return bad(l, key, "expected strings of 1 to 255 bytes without control characters");
        char *copy = arena_alloc(l->arena, len + 1);
        if (!copy)
            return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
        memcpy(copy, json_string_value(s), len);
        for (char *c = copy; lower && *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c + 32);
        (*out)[(*n)++] = copy;
    }
    return LIFT_OK;
}

static int load_client_key(loader *l, const json_t *j, lift_client_key *k)
{
    static const char *const allowed[] = {"id",   "digest", "origins", "event_types",
                                          "rate", "burst",  NULL};
    const char *digest = NULL;
    size_t len = 0;
    int rc;
    if (!json_is_object(j))
        return bad(l, "", "expected an object {\"id\", \"digest\", ...}");
    k->rate = 0;
    k->burst = 1;
    if ((rc = lift_json_known(j, allowed, l->field, l->err)) != LIFT_OK ||
        (rc = get_str(l, j, "id", &k->id, true)) != LIFT_OK ||
        (rc = lift_json_string(j, "digest", l->field, true, &digest, &len, l->err)) != LIFT_OK ||
        (rc = lift_json_number_in(j, "rate", l->field, 0, 1e9, &k->rate, l->err)) != LIFT_OK ||
        (rc = lift_json_number_in(j, "burst", l->field, 1, 1e9, &k->burst, l->err)) != LIFT_OK ||
        (rc = load_strings(l, j, "origins", true, &k->origins, &k->norigins)) != LIFT_OK ||
        (rc = load_strings(l, j, "event_types", false, &k->event_types, &k->nevent_types)) !=
            LIFT_OK)
        return rc;
    bool ok = len == 7 + 64 && memcmp(digest, "sha256:", 7) == 0;
    for (size_t b = 0; ok && b < 32; b++) {
        int hi = lift_hex_value(digest[7 + 2 * b]), lo = lift_hex_value(digest[8 + 2 * b]);
        ok = hi >= 0 && lo >= 0;
        k->digest[b] = (unsigned char)(hi << 4 | lo);
    }
    return ok ? LIFT_OK : bad(l, "digest", "expected sha256: and 64 hex digits");
}

static int cmp_client_key(const void *a, const void *b)
{
    return memcmp(((const lift_client_key *)a)->digest, ((const lift_client_key *)b)->digest, 32);
}

static int load_client_keys(loader *l, const json_t *arr)
{
    lift_config *cfg = l->cfg;
    if (!arr || json_is_null(arr))
        return LIFT_OK;
    if (!json_is_array(arr))
        return lift_err_field(l->err, LIFT_EINVAL, "client_keys", "client_keys: expected an array");
    cfg->client_keys = arena_alloc(l->arena, json_array_size(arr) * sizeof *cfg->client_keys + 1);
    if (!cfg->client_keys)
        return lift_err_set(l->err, LIFT_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        snprintf(l->field, sizeof l->field, "client_keys[%zu]", i);
        int rc = load_client_key(l, json_array_get(arr, i), &cfg->client_keys[i]);
        if (rc != LIFT_OK)
            return rc;
        cfg->nclient_keys++;
    }
    qsort(cfg->client_keys, cfg->nclient_keys, sizeof *cfg->client_keys, cmp_client_key);
    return LIFT_OK;
}

const lift_client_key *lift_config_client_key(const lift_config *cfg,
                                              const unsigned char digest[32])
{
    lift_client_key probe;
    memcpy(probe.digest, digest, 32);
    return cfg->nclient_keys
               ? bsearch(&probe, cfg->client_keys, cfg->nclient_keys, sizeof probe, cmp_client_key)
               : NULL;
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
    if (rc == LIFT_OK)
        rc = lift_json_time(doc, "updated", "", &cfg->updated, err);
    if (rc == LIFT_OK)
        rc = load_client_keys(&l, json_object_get(doc, "client_keys"));
    if (rc != LIFT_OK) {
        lift_config_free(cfg);
        return NULL;
    }
    return cfg;
}

lift_config *lift_config_parse(const char *text, size_t len, lift_err *err)
{
    json_t *doc = lift_json_load(text, len, "config", NULL, err);
    if (!doc)
        return NULL;
    lift_config *cfg = lift_config_from_json(doc, err);
    json_decref(doc);
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
