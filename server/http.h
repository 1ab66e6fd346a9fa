/* liftd's HTTP side (libmicrohttpd): the application every handler receives, the route
 * table and dispatch, per-request state, JSON replies and errors. */
#ifndef LIFT_HTTP_H
#define LIFT_HTTP_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "framing.h"
#include "lift/assign.h"
#include "lift/keys.h"
#include "lift/pseudo.h"
#include "lift/text.h"
#include "metrics.h"
#include "options.h"
#include "reload.h"
#include "snapshot.h"
#include "spool.h"
#include "writer.h"

struct lift_features;     /* server/features.h: the GrowthBook payload cache */
struct lift_sse;          /* server/sse.h: the GrowthBook SDK streams */
struct lift_limits;       /* server/access.h: client keys' request limits */
struct lift_expose_cache; /* server/expose_cache.h: the exposure-dedup cache */

/* Everything a handler may use; built once in main and passed as the daemon's cls. */
typedef struct lift_app {
    const lift_options *opts;
    lift_snapshots *snaps;
    lift_reloader *reloader;
    lift_writer *writer;
    lift_spool *spool;
    lift_keys *keys;
    lift_pseudo *pseudo; /* NULL: unit ids stored as given */
    lift_metrics metrics;
    struct lift_features *features;
    struct lift_sse *sse;
    struct lift_limits *limits;
    struct lift_expose_cache *expose_cache; /* NULL: every exposure is logged */
    char id_prefix[20]; /* random per process start: exposure ids are <prefix>-<counter> */
    atomic_ulong id_counter;
    atomic_bool stopping; /* shutting down: POSTs are refused with 503 */
    atomic_int suspended; /* POSTs suspended for the writer and not yet answered */
    struct MHD_Daemon *daemon;
    MHD_socket quiesced; /* the listening socket after lift_http_quiesce, until closed */
    uint16_t port;       /* the port actually bound (for --listen host:0) */
} lift_app;

typedef enum { JOB_NONE, JOB_WAITING, JOB_DONE } lift_job_state;

/* One request, from its first header to MHD's completion callback. */
typedef struct lift_http_request {
    lift_app *app;
    struct MHD_Connection *conn;
    lift_route_id route;
    int64_t started; /* monotonic microseconds */
    lift_buf body;
    bool too_large;
    lift_framing framing; /* the header block's framing checks (framing.h) */
    atomic_int job_state;
    bool counted;          /* holds one of app->suspended, released once answered or gone */
    lift_job job;          /* a POST's batch, while the writer has it */
    const char *path_key;  /* the {key} of a route that has one (points into the URL) */
    char cors_origin[256]; /* non-empty: answer with CORS headers for this origin */
    int nheaders;          /* extra response headers (lift_http_header) */
    struct {
        const char *name; /* static */
        char value[96];
    } headers[4];
} lift_http_request;

/* Starts the daemon on cfg->listen. */
int lift_http_start(lift_app *app, lift_err *err);

/* Stops accepting connections: new ones are refused, existing ones still served. */
void lift_http_quiesce(lift_app *app);

/* Closes every connection and joins the HTTP threads. No connection may be suspended. */
void lift_http_stop(lift_app *app);

/* Queues r with the request's extra and CORS headers and records the request's metrics;
 * drops our reference to r. */
enum MHD_Result lift_http_queue(lift_http_request *req, unsigned status, struct MHD_Response *r);

/* Adds a response header (name static, value copied; at most 4 per request). */
void lift_http_header(lift_http_request *req, const char *name, const char *value);

/* Whether the request's Content-Type is application/json (parameters allowed). */
bool lift_http_json_content(lift_http_request *req);

/* Whether If-None-Match names etag (a quoted entity tag) or is "*". */
bool lift_http_etag_matches(lift_http_request *req, const char *etag);

/* Replies with body (steals it; malloc'ed) and records the request's metrics. */
enum MHD_Result lift_http_reply(lift_http_request *req, unsigned status, char *body, size_t len,
                                const char *content_type);

/* Replies with the JSON in b (stolen; b is left empty). */
enum MHD_Result lift_http_json(lift_http_request *req, unsigned status, lift_buf *b);

/* Replies {"error":{"code":..,"message":..,"field":..}} (field omitted when NULL or ""). */
enum MHD_Result lift_http_error(lift_http_request *req, unsigned status, const char *code,
                                const char *message, const char *field);

/* Releases the request's hold on app->suspended, if it has one. */
void lift_http_release(lift_http_request *req);

/* Whether the request carries a configured API key (Authorization: Bearer <key>). */
bool lift_http_authorized(lift_http_request *req);

/* The handlers (server/api_*.c). Called once the whole body is in req->body. */
enum MHD_Result lift_api_assign(lift_http_request *req);
enum MHD_Result lift_api_events(lift_http_request *req);
enum MHD_Result lift_api_exposures(lift_http_request *req);
enum MHD_Result lift_api_experiments(lift_http_request *req);
enum MHD_Result lift_api_healthz(lift_http_request *req);
enum MHD_Result lift_api_readyz(lift_http_request *req);
enum MHD_Result lift_api_readyz_ingest(lift_http_request *req);
enum MHD_Result lift_api_metrics(lift_http_request *req);
enum MHD_Result lift_api_features(lift_http_request *req);   /* server/api_growthbook.c */
enum MHD_Result lift_api_sub(lift_http_request *req);        /* server/api_growthbook.c */
enum MHD_Result lift_api_ofrep_flag(lift_http_request *req); /* server/api_ofrep.c */
enum MHD_Result lift_api_ofrep_bulk(lift_http_request *req); /* server/api_ofrep.c */

/* Queues one exposure row per bucketed assignment in a (overrides and no-consent answers
 * are not experiment data), with the request's attributes: the logging of /v1/assign,
 * shared by the other evaluation endpoints (server/api_assign.c). With the dedup cache, an
 * assignment it holds with the same variant within the interval is not logged again, and
 * those logged are remembered once the writer or the spool has taken them. */
void lift_http_log_exposures(lift_app *app, const lift_config *cfg, const char *unit,
                             size_t unit_len, const lift_attr *attrs, size_t nattrs,
                             const lift_assignment *a, size_t n, int64_t now);

#endif
