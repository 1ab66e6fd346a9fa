/* CORS: preflights and the headers of allowed cross-origin answers (rules in access.h). */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "lift/keys.h"

/* How long a browser may cache a preflight's answer, seconds: a revoked origin is refused
 * again (by the request itself) at once; only the preflight answer lingers. */
#define PREFLIGHT_MAX_AGE "600"

void lift_cors_headers(struct MHD_Response *r, const char *origin)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
    /* The GrowthBook SDK reads x-sse-support to decide whether to stream. */
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_EXPOSE_HEADERS,
                            "ETag, Retry-After, x-sse-support");
}

static bool any_key_allows(const lift_config *cfg, const char *origin)
{
    for (size_t i = 0; i < cfg->nclient_keys; i++)
        if (lift_client_key_allows_origin(&cfg->client_keys[i], origin))
            return true;
    return false;
}

enum MHD_Result lift_cors_preflight(lift_http_request *req, const char *method, bool clients)
{
    lift_app *app = req->app;
    const char *origin =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
    bool get = !strcmp(method, MHD_HTTP_METHOD_GET);
    const char *methods = get ? "GET, HEAD, OPTIONS" : "POST, OPTIONS";
    if (!origin) {
        lift_http_header(req, MHD_HTTP_HEADER_ALLOW, methods);
        return lift_http_reply(req, MHD_HTTP_NO_CONTENT, NULL, 0, NULL);
    }
    bool allowed = false;
    if (clients) {
        lift_pin pin;
        const lift_config *cfg = lift_snapshot_enter(app->snaps, &pin);
        const char *key = lift_access_path_key(req);
        if (cfg && key) {
            unsigned char digest[32];
            lift_keys_sha256(key, strlen(key), digest);
            const lift_client_key *k = lift_config_client_key(cfg, digest);
            allowed = k && lift_client_key_allows_origin(k, origin);
        } else if (cfg) {
            allowed = any_key_allows(cfg, origin);
        }
        lift_snapshot_leave(app->snaps, &pin);
    }
    if (!allowed) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 clients ? "no client key allows origin %.100s here"
                         : "this endpoint is not for browsers (origin %.100s)",
                 origin);
        return lift_http_error(req, MHD_HTTP_FORBIDDEN, "origin_not_allowed", msg, NULL);
    }
    snprintf(req->cors_origin, sizeof req->cors_origin, "%s", origin);
    lift_http_header(req, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_METHODS, methods);
    lift_http_header(req, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_HEADERS,
                     "Authorization, Content-Type, If-None-Match");
    lift_http_header(req, MHD_HTTP_HEADER_ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE);
    return lift_http_reply(req, MHD_HTTP_NO_CONTENT, NULL, 0, NULL);
}
