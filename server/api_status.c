/* GET /v1/experiments, /healthz and /livez, /readyz and /readyz/ingest, /metrics. */
#include <string.h>

#include "http.h"

enum MHD_Result lift_api_experiments(lift_http_request *req)
{
    lift_app *app = req->app;
    if (app->opts->assign_requires_key && !lift_http_authorized(req))
        return lift_http_error(req, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                               "missing or unknown API key (Authorization: Bearer <key>)", NULL);
    lift_pin pin;
    const lift_config *cfg = lift_snapshot_enter(app->snaps, &pin);
    if (!cfg) {
        lift_snapshot_leave(app->snaps, &pin);
        return lift_http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
                               "no experiment config loaded yet", NULL);
    }
    static const char *const statuses[] = {"draft", "running", "stopped"};
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, false);
    lift_jw_obj(&w);
    lift_jw_key(&w, "version");
    lift_jw_int(&w, cfg->version);
    lift_jw_key(&w, "experiments");
    lift_jw_arr(&w);
    for (size_t i = 0; i < cfg->nexperiments; i++) {
        const lift_experiment *e = &cfg->experiments[i];
        if (e->status != LIFT_STATUS_RUNNING)
            continue;
        lift_jw_obj(&w);
        lift_jw_key(&w, "key");
        lift_jw_str(&w, e->key);
        lift_jw_key(&w, "name");
        lift_jw_str(&w, e->name);
        lift_jw_key(&w, "kind");
        lift_jw_str(&w, e->holdout ? "holdout" : "standard");
        lift_jw_key(&w, "status");
        lift_jw_str(&w, statuses[e->status]);
        lift_jw_key(&w, "phase");
        lift_jw_int(&w, e->phase);
        lift_jw_key(&w, "coverage");
        lift_jw_num(&w, e->coverage);
        lift_jw_key(&w, "layer");
        if (e->layer >= 0) {
            lift_jw_obj(&w);
            lift_jw_key(&w, "name");
            lift_jw_str(&w, cfg->layers[e->layer].name);
            lift_jw_key(&w, "range");
            lift_jw_arr(&w);
            lift_jw_num(&w, e->layer_lo);
            lift_jw_num(&w, e->layer_hi);
            lift_jw_end(&w);
            lift_jw_end(&w);
        } else {
            lift_jw_null(&w);
        }
        lift_jw_key(&w, "variants");
        lift_jw_arr(&w);
        for (int v = 0; v < e->nvariants; v++) {
            lift_jw_obj(&w);
            lift_jw_key(&w, "key");
            lift_jw_str(&w, e->variants[v].key);
            lift_jw_key(&w, "weight");
            lift_jw_num(&w, e->variants[v].weight);
            lift_jw_key(&w, "control");
            lift_jw_bool(&w, e->variants[v].control);
            lift_jw_key(&w, "payload");
            lift_jw_raw(&w, e->variants[v].payload, e->variants[v].payload_len);
            lift_jw_end(&w);
        }
        lift_jw_end(&w);
        lift_jw_end(&w);
    }
    lift_jw_end(&w);
    lift_jw_end(&w);
    lift_snapshot_leave(app->snaps, &pin);
    return lift_http_json(req, MHD_HTTP_OK, &b);
}

enum MHD_Result lift_api_healthz(lift_http_request *req)
{
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_puts(&b, "{\"status\":\"ok\"}");
    return lift_http_json(req, MHD_HTTP_OK, &b);
}

/* Readiness, in two parts (docs/operations.md, Probes):
 *  - assign: a config is loaded (from the database or the cached copy) and no shutdown is
 *    under way. This is what /readyz answers with: assignments are served from memory, so
 *    an instance whose database is away still serves them, and a load balancer must not
 *    drain it (every instance shares the database, so all would be drained at once);
 *  - ingest: the writer is connected, the spool takes writes, no shutdown is under way:
 *    POSTs are committed and exposures kept. /readyz/ingest answers with this one. */
static enum MHD_Result readiness(lift_http_request *req, bool for_ingest)
{
    lift_app *app = req->app;
    bool config = atomic_load(&app->metrics.config_loaded);
    bool writer = lift_writer_up(app->writer);
    bool listener = lift_reloader_connected(app->reloader);
    bool spool = lift_spool_ok(app->spool);
    bool stopping = atomic_load(&app->stopping);
    bool assign_ready = config && !stopping;
    bool ingest_ready = writer && spool && !stopping;
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, false);
    lift_jw_obj(&w);
    lift_jw_key(&w, "ready");
    lift_jw_bool(&w, for_ingest ? ingest_ready : assign_ready);
    lift_jw_key(&w, "assign");
    lift_jw_obj(&w);
    lift_jw_key(&w, "ready");
    lift_jw_bool(&w, assign_ready);
    lift_jw_key(&w, "config");
    lift_jw_obj(&w);
    lift_jw_key(&w, "loaded");
    lift_jw_bool(&w, config);
    lift_jw_key(&w, "version");
    lift_jw_int(&w, atomic_load(&app->metrics.config_version));
    lift_jw_key(&w, "live");
    lift_jw_bool(&w, listener); /* changes in the database reach this instance */
    lift_jw_end(&w);
    lift_jw_end(&w);
    lift_jw_key(&w, "ingest");
    lift_jw_obj(&w);
    lift_jw_key(&w, "ready");
    lift_jw_bool(&w, ingest_ready);
    lift_jw_key(&w, "database");
    lift_jw_obj(&w);
    lift_jw_key(&w, "writer");
    lift_jw_bool(&w, writer);
    lift_jw_key(&w, "listener");
    lift_jw_bool(&w, listener);
    lift_jw_end(&w);
    lift_jw_key(&w, "spool");
    lift_jw_obj(&w);
    lift_jw_key(&w, "ok");
    lift_jw_bool(&w, spool);
    lift_jw_key(&w, "pending_bytes");
    lift_jw_int(&w, (long long)lift_spool_pending(app->spool));
    lift_jw_end(&w);
    lift_jw_key(&w, "problems");
    lift_jw_arr(&w);
    if (stopping)
        lift_jw_str(&w, "shutting down");
    if (!writer)
        lift_jw_str(&w, "the database is unreachable: POSTs get 503, exposures go to the spool");
    if (!spool)
        lift_jw_str(&w, "writes to the spool fail (disk full?); exposures are being dropped");
    lift_jw_end(&w);
    lift_jw_end(&w);
    if (stopping) {
        lift_jw_key(&w, "stopping");
        lift_jw_bool(&w, true);
    }
    lift_jw_end(&w);
    bool ready = for_ingest ? ingest_ready : assign_ready;
    return lift_http_json(req, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, &b);
}

enum MHD_Result lift_api_readyz(lift_http_request *req)
{
    return readiness(req, false);
}

enum MHD_Result lift_api_readyz_ingest(lift_http_request *req)
{
    return readiness(req, true);
}

enum MHD_Result lift_api_metrics(lift_http_request *req)
{
    lift_buf b;
    lift_buf_init(&b);
    lift_metrics_render(&req->app->metrics, &b);
    size_t len;
    char *body = lift_buf_steal(&b, &len);
    if (!body)
        return MHD_NO;
    return lift_http_reply(req, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4");
}
