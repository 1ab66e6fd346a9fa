/* Ingestion batches: strict checks of every item, then COPY rows (CSV). */
#include "ingest.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/jsonread.h"

#define FUTURE_SLACK (5 * 60 * 1000000LL) /* ts may lead the server clock by 5 minutes */
#define MAX_VALUE    1e9

/* Context for one item: its path ("events[17]") and the error sink. */
typedef struct item {
    char where[32];
    lift_err *err;
} item;

/* A required string of 1..max bytes of UTF-8 (jansson has already refused NUL) without
 * control characters. */
static int text(const item *it, json_t *obj, const char *key, size_t max, const char **s,
                size_t *len)
{
    int rc = lift_json_string(obj, key, it->where, true, s, len, it->err);
    if (rc != LIFT_OK)
        return rc;
    if (*len == 0)
        return lift_json_fail(it->err, it->where, key, "is empty");
    if (*len > max)
        return lift_json_fail(it->err, it->where, key, "is longer than %zu bytes", max);
    if (lift_has_control(*s, *len))
        return lift_json_fail(it->err, it->where, key, "contains a control character");
    return LIFT_OK;
}

/* ts: RFC 3339, at most 5 minutes ahead; absent means now. Writes it formatted. */
static int timestamp(const item *it, json_t *obj, int64_t now, char out[LIFT_TIME_LEN])
{
    int64_t t = now;
    int rc = lift_json_time(obj, "ts", it->where, &t, it->err);
    if (rc != LIFT_OK)
        return rc;
    if (t > now + FUTURE_SLACK)
        return lift_json_fail(it->err, it->where, "ts", "is more than 5 minutes in the future");
    lift_time_format(t, out);
    return LIFT_OK;
}

/* An optional JSON object, written compact as one CSV field (empty when absent). */
static int object_field(const item *it, json_t *obj, const char *key, lift_buf *rows)
{
    json_t *v = NULL;
    int rc = lift_json_object(obj, key, it->where, &v, it->err);
    if (rc != LIFT_OK || !v)
        return rc;
    char *s = json_dumps(v, JSON_COMPACT);
    if (!s)
        return lift_err_set(it->err, LIFT_ENOMEM, "out of memory");
    lift_buf_csv_field(rows, s, strlen(s));
    free(s);
    return LIFT_OK;
}

static void unit_field(lift_buf *rows, const lift_pseudo *pseudo, const char *unit, size_t len)
{
    if (pseudo) {
        char p[LIFT_PSEUDO_LEN + 1];
        lift_pseudo_unit(pseudo, unit, len, p);
        lift_buf_append(rows, p, LIFT_PSEUDO_LEN);
    } else {
        lift_buf_csv_field(rows, unit, len);
    }
}

/* The body's array of items: {"<name>": [...]}. */
static int batch(const char *body, size_t len, const char *name, long max, json_t **doc,
                 json_t **arr, lift_err *err)
{
    if (!(*doc = lift_json_load(body, len, "body", "body", err)))
        return err->code;
    *arr = json_object_get(*doc, name);
    if (!json_is_object(*doc) || !*arr || json_object_size(*doc) != 1)
        return lift_err_field(err, LIFT_EINVAL, "body", "body: expected {\"%s\": [...]}", name);
    if (!json_is_array(*arr))
        return lift_err_field(err, LIFT_EINVAL, name, "%s: expected an array", name);
    if ((long)json_array_size(*arr) > max)
        return lift_err_field(err, LIFT_EINVAL, name,
                              "%s: %zu items is over the limit of %ld per batch", name,
                              json_array_size(*arr), max);
    return LIFT_OK;
}

static bool type_allowed(const lift_client_key *k, const char *type, size_t len)
{
    for (size_t i = 0; i < k->nevent_types; i++)
        if (strlen(k->event_types[i]) == len && memcmp(k->event_types[i], type, len) == 0)
            return true;
    return false;
}

/* "page_view, add_to_cart" (static storage: one message per batch). */
static const char *allowed_list(const lift_client_key *k)
{
    static _Thread_local char out[128];
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < k->nevent_types && n < sizeof out - 1; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? ", " : "", k->event_types[i]);
    return k->nevent_types ? out : "none";
}

static int event(const lift_ingest *in, const item *it, json_t *j, lift_buf *rows)
{
    static const char *const allowed[] = {"event_id", "unit", "type",  "value",
                                          "currency", "ts",   "props", NULL};
    const char *id, *unit, *type;
    size_t id_len, unit_len, type_len;
    char ts[LIFT_TIME_LEN];
    int rc;
    if (!json_is_object(j))
        return lift_json_fail(it->err, it->where, "", "expected an object");
    if ((rc = lift_json_known(j, allowed, it->where, it->err)) != LIFT_OK ||
        (rc = text(it, j, "event_id", 128, &id, &id_len)) != LIFT_OK ||
        (rc = text(it, j, "unit", LIFT_UNIT_MAX, &unit, &unit_len)) != LIFT_OK ||
        (rc = text(it, j, "type", 64, &type, &type_len)) != LIFT_OK ||
        (rc = timestamp(it, j, in->now, ts)) != LIFT_OK)
        return rc;
    if (in->client && !type_allowed(in->client, type, type_len)) {
        char field[LIFT_ERR_FIELD_LEN];
        return lift_err_field(it->err, LIFT_EPERM, lift_json_path(field, it->where, "type"),
                              "%s: client key %s may not send \"%.64s\" events (it may send: %s)",
                              field, in->client->id, type, allowed_list(in->client));
    }
    json_t *value = json_object_get(j, "value"), *currency = json_object_get(j, "currency");
    if (value && !json_is_null(value) &&
        (!json_is_number(value) || !isfinite(json_number_value(value)) ||
         fabs(json_number_value(value)) > MAX_VALUE))
        return lift_json_fail(it->err, it->where, "value",
                              "expected a number between -1e9 and 1e9");
    if (currency && !json_is_null(currency)) {
        const char *c = json_string_value(currency);
        if (!c || json_string_length(currency) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' ||
            c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z')
            return lift_json_fail(it->err, it->where, "currency",
                                  "expected 3 upper-case letters (ISO 4217), e.g. EUR");
    }
    lift_buf_csv_field(rows, id, id_len);
    lift_buf_puts(rows, ",");
    unit_field(rows, in->pseudo, unit, unit_len);
    lift_buf_puts(rows, ",");
    lift_buf_csv_field(rows, type, type_len);
    lift_buf_puts(rows, ",");
    if (value && !json_is_null(value))
        lift_buf_json_num(rows, json_number_value(value));
    lift_buf_puts(rows, ",");
    if (currency && !json_is_null(currency))
        lift_buf_puts(rows, json_string_value(currency));
    lift_buf_printf(rows, ",%s,", ts);
    if ((rc = object_field(it, j, "props", rows)) != LIFT_OK)
        return rc;
    lift_buf_puts(rows, "\n");
    return LIFT_OK;
}

typedef int (*item_fn)(const lift_ingest *, const item *, json_t *, lift_buf *);
static int exposure(const lift_ingest *in, const item *it, json_t *j, lift_buf *rows);

/* Checks every item of the body's array and writes their rows, or none at all. */
static int run(const lift_ingest *in, const char *body, size_t len, const char *name, item_fn one,
               lift_buf *rows, size_t *n, lift_err *err)
{
    json_t *doc, *arr, *j;
    size_t start = rows->len, i;
    int rc = batch(body, len, name, in->max_items, &doc, &arr, err);
    *n = 0;
    json_array_foreach(rc == LIFT_OK ? arr : NULL, i, j)
    {
        item it = {.err = err};
        snprintf(it.where, sizeof it.where, "%s[%zu]", name, i);
        if ((rc = one(in, &it, j, rows)) != LIFT_OK)
            break;
        ++*n;
    }
    json_decref(doc);
    if (rc == LIFT_OK && rows->failed)
        rc = lift_err_set(err, LIFT_ENOMEM, "out of memory");
    if (rc != LIFT_OK) {
        rows->len = start; /* nothing of a refused batch, and still a C string */
        if (rows->data)
            rows->data[start] = '\0';
        *n = 0;
    }
    return rc;
}

int lift_ingest_events(const lift_ingest *in, const char *body, size_t len, lift_buf *rows,
                       size_t *n, lift_err *err)
{
    return run(in, body, len, "events", event, rows, n, err);
}

void lift_ingest_exposure_row(lift_buf *rows, const char *event_id, const char *unit,
                              size_t unit_len, const lift_experiment *e, int variant, int64_t ts,
                              const char *attrs_json, size_t attrs_len)
{
    /* liftd writes one of these per logged assignment: no printf on this path. */
    char t[LIFT_TIME_LEN + 16], digits[12];
    int n = 0, k = 0;
    unsigned phase = (unsigned)e->phase;
    do
        digits[k++] = (char)('0' + phase % 10);
    while ((phase /= 10) != 0);
    t[n++] = ',';
    while (k)
        t[n++] = digits[--k];
    t[n++] = ',';
    n += (int)lift_time_format(ts, t + n);
    t[n++] = ',';
    lift_buf_csv_field(rows, event_id, strlen(event_id));
    lift_buf_append(rows, ",", 1);
    lift_buf_csv_field(rows, unit, unit_len);
    lift_buf_append(rows, ",", 1);
    lift_buf_csv_field(rows, e->key, e->key_len);
    lift_buf_append(rows, ",", 1);
    lift_buf_csv_field(rows, e->variants[variant].key, strlen(e->variants[variant].key));
    lift_buf_append(rows, t, (size_t)n);
    if (attrs_json)
        lift_buf_csv_field(rows, attrs_json, attrs_len);
    lift_buf_puts(rows, "\n");
}

static int exposure(const lift_ingest *in, const item *it, json_t *j, lift_buf *rows)
{
    static const char *const allowed[] = {"event_id", "unit",  "experiment", "variant",
                                          "ts",       "attrs", "phase",      NULL};
    const char *id, *unit, *exp, *var;
    size_t id_len, unit_len, exp_len, var_len;
    char ts[LIFT_TIME_LEN];
    int rc;
    if (!json_is_object(j))
        return lift_json_fail(it->err, it->where, "", "expected an object");
    if ((rc = lift_json_known(j, allowed, it->where, it->err)) != LIFT_OK ||
        (rc = text(it, j, "event_id", 128, &id, &id_len)) != LIFT_OK ||
        (rc = text(it, j, "unit", LIFT_UNIT_MAX, &unit, &unit_len)) != LIFT_OK ||
        (rc = text(it, j, "experiment", 64, &exp, &exp_len)) != LIFT_OK ||
        (rc = text(it, j, "variant", 64, &var, &var_len)) != LIFT_OK ||
        (rc = timestamp(it, j, in->now, ts)) != LIFT_OK)
        return rc;
    int x = lift_config_find(in->cfg, exp, exp_len);
    if (x < 0)
        return lift_json_fail(it->err, it->where, "experiment", "no such experiment");
    const lift_experiment *e = &in->cfg->experiments[x];
    if (e->status != LIFT_STATUS_RUNNING)
        return lift_json_fail(it->err, it->where, "experiment", "is not running (it is %s)",
                              e->status == LIFT_STATUS_DRAFT ? "a draft" : "stopped");
    int v = lift_config_variant(e, var, var_len);
    if (v < 0)
        return lift_json_fail(it->err, it->where, "variant", "no such variant in this experiment");
    long phase = e->phase;
    if ((rc = lift_json_int_in(j, "phase", it->where, 1, 1L << 30, &phase, it->err)) != LIFT_OK)
        return rc;
    if (phase != e->phase)
        return lift_json_fail(it->err, it->where, "phase",
                              "phase %ld of \"%s\" is over: it is in phase %d (the shopper was "
                              "bucketed with an old seed; refresh the SDK payload)",
                              phase, e->key, e->phase);
    lift_buf_csv_field(rows, id, id_len);
    lift_buf_puts(rows, ",");
    unit_field(rows, in->pseudo, unit, unit_len);
    lift_buf_puts(rows, ",");
    lift_buf_csv_field(rows, e->key, e->key_len);
    lift_buf_puts(rows, ",");
    lift_buf_csv_field(rows, e->variants[v].key, var_len);
    lift_buf_printf(rows, ",%d,%s,", e->phase, ts);
    if ((rc = object_field(it, j, "attrs", rows)) != LIFT_OK)
        return rc;
    lift_buf_puts(rows, "\n");
    return LIFT_OK;
}

int lift_ingest_exposures(const lift_ingest *in, const char *body, size_t len, lift_buf *rows,
                          size_t *n, lift_err *err)
{
    return run(in, body, len, "exposures", exposure, rows, n, err);
}
