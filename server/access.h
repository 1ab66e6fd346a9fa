/* Who may call liftd, from where, and how often. Two kinds of keys (docs/api.md, "Client keys, CORS
 * and request limits"):
 *  - secret keys (LIFT_API_KEYS), for servers: every endpoint, no limit, no CORS;
 *  - publishable client keys (lift.client_keys, live in the config snapshot), for browsers
 *    and SDKs: the GrowthBook payload and stream, assignment (/v1/assign, OFREP), exposures
 *    and the event types the key lists; CORS for the key's origins only; a request limit
 *    per key (a token bucket, server/limits.c). */
#ifndef LIFT_SERVER_ACCESS_H
#define LIFT_SERVER_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "lift/config.h"

/* A client key: "pk_", its 8-character id, 24 more letters or digits. */
#define LIFT_CLIENT_KEY_LEN 35
#define LIFT_CLIENT_ID_LEN  11

typedef struct lift_caller {
    bool secret;                   /* a secret key: every power */
    const lift_client_key *client; /* a client key (borrowed from the pinned config), or NULL */
} lift_caller;

/* Finds who calls: the route's {clientKey} (req->path_key) when it has one, else the key of
 * "Authorization: Bearer <key>". A client key must be live in cfg, be used from one of its
 * origins (or with no Origin header: a server), and be within its request limit; its
 * origin then gets CORS headers. required: a request with no key at all is refused (with a
 * {clientKey} in the path one is always required). A "pk_" key that is not live is refused
 * even where keys are optional. Returns true to go on; false when the request has been
 * answered (401, 403, 429 or 503), *rc holding what to return. cfg may be NULL. */
bool lift_access(lift_http_request *req, const lift_config *cfg, bool required, lift_caller *who,
                 enum MHD_Result *rc);

/* The client key in the request's path (GET /api/features/{clientKey}, /sub/{clientKey}),
 * or NULL for routes whose {key} is something else (an OFREP flag). */
const char *lift_access_path_key(const lift_http_request *req);

/* Whether origin (an Origin header's value, any case) is one of k's origins. */
bool lift_client_key_allows_origin(const lift_client_key *k, const char *origin);

/* --- request limits (server/limits.c) ------------------------------------------------- */

typedef struct lift_limits lift_limits;

lift_limits *lift_limits_new(void);
void lift_limits_free(lift_limits *l); /* NULL is a no-op */

/* Takes one request from key k's bucket at monotonic time now (microseconds). Returns 0
 * when the request may go, else the whole seconds until a token is back (Retry-After).
 * Keys without a rate are never limited. Thread-safe. */
long lift_limits_take(lift_limits *l, const lift_client_key *k, int64_t now);

/* --- CORS (server/cors.c) ---------------------------------------------------------------- */

/* The headers of a response to an allowed cross-origin request. */
void lift_cors_headers(struct MHD_Response *r, const char *origin);

/* Answers OPTIONS on a route taking `method`: a CORS preflight from an origin that a live
 * client key allows (the route's {clientKey}, or any key when the route has none) gets 204
 * with the Access-Control-Allow-* headers; another origin, or a route client keys may not
 * call (clients false), gets 403 origin_not_allowed without them. OPTIONS without an Origin
 * header gets 204 with Allow. */
enum MHD_Result lift_cors_preflight(lift_http_request *req, const char *method, bool clients);

#endif
