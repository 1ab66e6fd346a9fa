/* GET /v1/assign: the shopper's variants, from the snapshot; exposures to the writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "expose_cache.h"
#include "http.h"
#include "ingest.h"
#include "lift/assign.h"
#include "query_string.h"

typedef struct args {
    lift_assign_query *q;
    lift_err *err;
    int rc;
} args;

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    args *a = cls;
    a->rc = lift_qs_add(a->q, key, key_size, value, value ? value_size : 0, a->err);
    return a->rc == LIFT_OK ? MHD_YES : MHD_NO;
}

/* {"device":"mobile",...}: the request's attributes, stored with each exposure. */
static void attrs_json(const lift_attr *attrs, size_t nattrs, lift_buf *b)
{
    lift_jw w;
    lift_jw_init(&w, b, false);
    lift_jw_obj(&w);
    for (size_t i = 0; i < nattrs; i++) {
        char name[72];
        snprintf(name, sizeof name, "%.*s", (int)attrs[i].name_len, attrs[i].name);
        lift_jw_key(&w, name);
        lift_jw_strn(&w, attrs[i].value, attrs[i].value_len);
    }
    lift_jw_end(&w);
}

/* "<process prefix>-<counter in hex>": unique without coordination, cheap to make. */
static void exposure_id(lift_app *app, char out[48])
{
    unsigned long c = atomic_fetch_add_explicit(&app->id_counter, 1, memory_order_relaxed);
    size_t n = strlen(app->id_prefix);
    memcpy(out, app->id_prefix, n);
    out[n++] = '-';
    char tmp[20];
    int k = 0;
    do
        tmp[k++] = lift_hex_digits[c & 15];
    while ((c >>= 4) != 0);
    while (k)
        out[n++] = tmp[--k];
    out[n] = '\0';
}

/* Exposures the cache decided on: the keys to record once their rows are handed over. */
typedef struct pending {
    uint64_t key;
    uint32_t variant;
} pending;

void lift_http_log_exposures(lift_app *app, const lift_config *cfg, const char *unit,
                             size_t unit_len, const lift_attr *attrs, size_t nattrs,
                             const lift_assignment *a, size_t n, int64_t now)
{
    lift_expose_cache *cache = app->expose_cache;
    pending local[64], *todo = local;
    if (cache && n > 64 && !(todo = malloc(n * sizeof *todo)))
        cache = NULL; /* out of memory: log them all, remember none */
    uint32_t tick = cache ? lift_expose_cache_now(cache) : 0;
    lift_buf rows, json;
    lift_buf_init(&rows);
    lift_buf_init(&json);
    size_t logged = 0;
    unsigned long hits = 0;
    char pseudo[LIFT_PSEUDO_LEN + 1];
    const char *stored = unit; /* the unit as stored: its pseudonym, when asked for */
    size_t stored_len = unit_len;
    for (size_t i = 0; i < n; i++) {
        if (a[i].reason != LIFT_ASSIGN_BUCKETED)
            continue;
        const lift_experiment *e = &cfg->experiments[a[i].experiment];
        if (cache) {
            /* Keyed on the unit as sent: the pseudonym's HMAC is paid only for a miss. */
            const char *vkey = e->variants[a[i].variant].key;
            pending p = {lift_expose_cache_key(cache, e->key, e->key_len, e->phase, unit, unit_len),
                         lift_expose_cache_variant(vkey, strlen(vkey))};
            if (lift_expose_cache_seen(cache, p.key, p.variant, tick)) {
                hits++;
                continue;
            }
            todo[logged] = p;
        }
        if (app->pseudo && stored == unit) {
            lift_pseudo_unit(app->pseudo, unit, unit_len, pseudo);
            stored = pseudo;
            stored_len = LIFT_PSEUDO_LEN;
        }
        if (!json.len && nattrs)
            attrs_json(attrs, nattrs, &json);
        char id[48];
        exposure_id(app, id);
        lift_ingest_exposure_row(&rows, id, stored, stored_len, e, a[i].variant, now,
                                 json.len ? json.data : NULL, json.len);
        logged++;
    }
    if (hits)
        atomic_fetch_add_explicit(&app->metrics.expose_hits, hits, memory_order_relaxed);
    if (cache && logged)
        atomic_fetch_add_explicit(&app->metrics.expose_misses, logged, memory_order_relaxed);
    if (logged && !rows.failed && lift_writer_exposures(app->writer, rows.data, rows.len, logged) &&
        cache) {
        /* Remembered only once handed over: a dropped exposure is logged again next time. */
        unsigned long evicted = 0;
        for (size_t i = 0; i < logged; i++)
            evicted += lift_expose_cache_record(cache, todo[i].key, todo[i].variant, tick);
        if (evicted)
            atomic_fetch_add_explicit(&app->metrics.expose_evictions, evicted,
                                      memory_order_relaxed);
    }
    if (todo != local)
        free(todo);
    lift_buf_fini(&rows);
    lift_buf_fini(&json);
}

enum MHD_Result lift_api_assign(lift_http_request *req)
{
    lift_app *app = req->app;
    lift_pin pin;
    const lift_config *cfg = lift_snapshot_enter(app->snaps, &pin);
    lift_caller who;
    enum MHD_Result refused;
    if (!lift_access(req, cfg, app->opts->assign_requires_key, &who, &refused)) {
        lift_snapshot_leave(app->snaps, &pin);
        return refused;
    }
    lift_assign_query q;
    lift_err err;
    lift_qs_init(&q);
    args a = {&q, &err, LIFT_OK};
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, each_arg, &a);
    if (a.rc != LIFT_OK || lift_qs_finish(&q, &err) != LIFT_OK) {
        lift_snapshot_leave(app->snaps, &pin);
        return lift_http_error(req, MHD_HTTP_BAD_REQUEST, "invalid_parameter", err.msg, err.field);
    }
    lift_assignment local[64], *out = local;
    lift_buf b;
    lift_buf_init(&b);
    unsigned status = MHD_HTTP_OK;
    const char *code = NULL;
    char msg[160] = "";
    int only = -1;
    if (!cfg) {
        status = MHD_HTTP_SERVICE_UNAVAILABLE, code = "not_ready";
        snprintf(msg, sizeof msg, "no experiment config loaded yet");
    } else if (q.experiment && (only = lift_config_find(cfg, q.experiment, q.experiment_len)) < 0) {
        status = MHD_HTTP_NOT_FOUND, code = "unknown_experiment";
        snprintf(msg, sizeof msg, "no such experiment: %.*s", (int)q.experiment_len, q.experiment);
    } else if (cfg->nexperiments > 64 && !(out = malloc(cfg->nexperiments * sizeof *out))) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR, code = "out_of_memory";
        snprintf(msg, sizeof msg, "out of memory");
    } else {
        lift_request in = {q.unit, q.unit_len, q.attrs, q.nattrs, lift_time_now(), q.consent, only};
        size_t n;
        if (lift_assign_eval(cfg, &in, out, &n, &err) != LIFT_OK) {
            status = MHD_HTTP_BAD_REQUEST, code = "invalid_parameter";
            snprintf(msg, sizeof msg, "%.150s", err.msg);
        } else {
            lift_assign_render(&b, cfg, q.unit, q.unit_len, out, n);
            if (q.expose && q.consent)
                lift_http_log_exposures(app, cfg, q.unit, q.unit_len, q.attrs, q.nattrs, out, n,
                                        in.now);
        }
    }
    lift_snapshot_leave(app->snaps, &pin);
    if (out != local)
        free(out);
    if (code) {
        lift_buf_fini(&b);
        return lift_http_error(req, status, code, msg,
                               status == MHD_HTTP_NOT_FOUND     ? "experiment"
                               : status == MHD_HTTP_BAD_REQUEST ? "unit"
                                                                : NULL);
    }
    return lift_http_json(req, status, &b);
}
