/* Callers: secret keys, client keys, their origins and limits (rules in access.h). */
#include "access.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lift/keys.h"

bool lift_client_key_allows_origin(const lift_client_key *k, const char *origin)
{
    for (size_t i = 0; i < k->norigins; i++)
        if (strcasecmp(k->origins[i], origin) == 0)
            return true;
    return false;
}

const char *lift_access_path_key(const lift_http_request *req)
{
    return req->route == LIFT_ROUTE_FEATURES || req->route == LIFT_ROUTE_SUB ? req->path_key : NULL;
}

/* The token of "Bearer <token>" (the scheme in any case, RFC 9110 11.1), or NULL. */
static const char *bearer(const char *h)
{
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

static bool refuse(lift_http_request *req, unsigned status, const char *code, const char *msg,
                   enum MHD_Result *rc)
{
    *rc = lift_http_error(req, status, code, msg, NULL);
    return false;
}

bool lift_access(lift_http_request *req, const lift_config *cfg, bool required, lift_caller *who,
                 enum MHD_Result *rc)
{
    lift_app *app = req->app;
    const char *auth =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *path_key = lift_access_path_key(req);
    const char *token = path_key ? path_key : bearer(auth);
    who->secret = false;
    who->client = NULL;
    if (!path_key && token && lift_keys_check(app->keys, auth)) {
        who->secret = true;
        return true;
    }
    bool client = token && strncmp(token, "pk_", 3) == 0;
    if (!client) {
        if (!required && !path_key)
            return true;
        return refuse(req, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                      path_key ? "unknown or revoked client key"
                               : "missing or unknown API key (Authorization: Bearer <key>)",
                      rc);
    }
    if (!cfg)
        return refuse(req, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
                      "no config loaded yet (client keys come with it)", rc);
    unsigned char digest[32];
    lift_keys_sha256(token, strlen(token), digest);
    const lift_client_key *k = lift_config_client_key(cfg, digest);
    if (!k)
        return refuse(req, MHD_HTTP_UNAUTHORIZED, "unauthorized", "unknown or revoked client key",
                      rc);
    const char *origin =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
    if (origin && !lift_client_key_allows_origin(k, origin)) {
        char msg[200];
        snprintf(msg, sizeof msg, "client key %s may not be used from origin %.100s", k->id,
                 origin);
        return refuse(req, MHD_HTTP_FORBIDDEN, "origin_not_allowed", msg, rc);
    }
    long wait = lift_limits_take(app->limits, k, lift_time_mono());
    if (wait > 0) {
        char msg[160], retry[24];
        atomic_fetch_add_explicit(&app->metrics.rate_limited, 1, memory_order_relaxed);
        snprintf(msg, sizeof msg, "client key %s is over its limit of %g requests a second", k->id,
                 k->rate);
        snprintf(retry, sizeof retry, "%ld", wait);
        lift_http_header(req, MHD_HTTP_HEADER_RETRY_AFTER, retry);
        /* Browsers may read the 429 too. */
        if (origin)
            snprintf(req->cors_origin, sizeof req->cors_origin, "%s", origin);
        return refuse(req, MHD_HTTP_TOO_MANY_REQUESTS, "rate_limited", msg, rc);
    }
    if (origin)
        snprintf(req->cors_origin, sizeof req->cors_origin, "%s", origin);
    who->client = k;
    return true;
}
