/* liftd's HTTP side (libmicrohttpd): the application every handler receives, the route
 * table and dispatch, per-request state, JSON replies and errors. */
#ifndef LIFT_HTTP_H
#define LIFT_HTTP_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lift/keys.h"
#include "lift/pseudo.h"
#include "lift/text.h"
#include "metrics.h"
#include "options.h"
#include "reload.h"
#include "snapshot.h"
#include "spool.h"
#include "writer.h"

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
    bool no_host; /* an HTTP/1.1 request without Host (RFC 9112 3.2: answered 400) */
    atomic_int job_state;
    bool counted; /* holds one of app->suspended, released once answered or gone */
    lift_job job; /* a POST's batch, while the writer has it */
} lift_http_request;

/* Starts the daemon on cfg->listen. */
int lift_http_start(lift_app *app, lift_err *err);

/* Stops accepting connections: new ones are refused, existing ones still served. */
void lift_http_quiesce(lift_app *app);

/* Closes every connection and joins the HTTP threads. No connection may be suspended. */
void lift_http_stop(lift_app *app);

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
enum MHD_Result lift_api_metrics(lift_http_request *req);

#endif
