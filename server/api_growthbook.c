/* GET /api/features/{clientKey} and GET /sub/{clientKey}: what GrowthBook's SDKs fetch and
 * stream (the payload's mapping: lift/growthbook.h; docs/api.md). */
#include <stdio.h>

#include "access.h"
#include "features.h"
#include "http.h"
#include "sse.h"

/* The caller's key (borrowed from the pinned config: the caller leaves pin) and the current
 * payload; false when the request has been answered. */
static bool prepare(lift_http_request *req, lift_pin *pin, lift_caller *who, lift_payload **p,
                    enum MHD_Result *rc)
{
    lift_app *app = req->app;
    const lift_config *cfg = lift_snapshot_enter(app->snaps, pin);
    bool ok = lift_access(req, cfg, true, who, rc);
    *p = NULL;
    if (ok && !(*p = lift_features_get(app->features, cfg, lift_time_now()))) {
        *rc = lift_http_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out_of_memory", "out of memory",
                              NULL);
        ok = false;
    }
    return ok;
}

enum MHD_Result lift_api_features(lift_http_request *req)
{
    lift_caller who;
    lift_payload *p;
    enum MHD_Result rc;
    lift_pin pin;
    bool ok = prepare(req, &pin, &who, &p, &rc);
    lift_snapshot_leave(req->app->snaps, &pin);
    if (!ok)
        return rc;
    lift_http_header(req, "x-sse-support", "enabled");
    lift_http_header(req, MHD_HTTP_HEADER_ETAG, p->etag);
    lift_http_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (lift_http_etag_matches(req, p->etag)) {
        lift_payload_unref(p);
        return lift_http_reply(req, MHD_HTTP_NOT_MODIFIED, NULL, 0, NULL);
    }
    /* The body is the shared payload itself: MHD drops our reference when it is sent. */
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(
        p->len, p->body, lift_payload_unref_body);
    if (!r) {
        lift_payload_unref(p);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return lift_http_queue(req, MHD_HTTP_OK, r);
}

enum MHD_Result lift_api_sub(lift_http_request *req)
{
    lift_caller who;
    lift_payload *p;
    enum MHD_Result rc;
    lift_pin pin;
    if (prepare(req, &pin, &who, &p, &rc)) {
        rc = lift_sse_subscribe(req->app->sse, req, who.client, p);
        lift_payload_unref(p);
    }
    lift_snapshot_leave(req->app->snaps, &pin);
    return rc;
}
