/* The GrowthBook SDK streams: GET /sub/{clientKey} answers a server-sent-events stream that
 * starts with the current payload and pushes every new one ("event: features") within
 * milliseconds of its snapshot (a config change, an experiment's start or end time).
 * A stream waits as a suspended libmicrohttpd connection: no thread per stream, no timeout
 * while idle; a comment line every LIFT_SSE_PING_S seconds keeps proxies from closing it and
 * finds clients that went away. A stream whose client key is revoked is ended. */
#ifndef LIFT_SERVER_SSE_H
#define LIFT_SERVER_SSE_H

#include "features.h"
#include "http.h"

#define LIFT_SSE_PING_S 20

typedef struct lift_sse lift_sse;

/* Starts the thread that watches app->snaps and pushes payloads. */
lift_sse *lift_sse_start(lift_app *app, lift_err *err);

/* Ends every stream and waits (up to 2 s) until none is left suspended: libmicrohttpd must
 * not be stopped with suspended connections. New subscriptions are refused afterwards. */
void lift_sse_close(lift_sse *h);

/* Joins the thread and frees the hub, once the HTTP daemon has stopped. NULL is a no-op. */
void lift_sse_free(lift_sse *h);

/* Answers req with a stream for client key k (its digest is kept to end the stream on a
 * revoke), starting with payload p. */
enum MHD_Result lift_sse_subscribe(lift_sse *h, lift_http_request *req, const lift_client_key *k,
                                   const lift_payload *p);

#endif
