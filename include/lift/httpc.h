/* A small HTTP/1.1 client with keep-alive, for the storefront simulator, the benchmarks
 * and the tests: talks to liftd exactly as a storefront backend would. Blocking; one
 * connection per object; not thread-safe (one per thread). */
#ifndef LIFT_HTTPC_H
#define LIFT_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"
#include "lift/text.h"

typedef struct lift_httpc lift_httpc;

/* Splits "http://host:port" (host may be [v6]) into host and port. */
int lift_httpc_parse_url(const char *url, char *host, size_t hostlen, int *port, lift_err *err);

/* Connects (TCP, Nagle off). NULL with err on failure. timeout_ms bounds each read/write. */
lift_httpc *lift_httpc_open(const char *host, int port, int timeout_ms, lift_err *err);
void lift_httpc_close(lift_httpc *c); /* NULL is a no-op */

typedef struct lift_httpc_response {
    int status;
    lift_buf body;
    char retry_after[16];
    char content_type[64];
    char head[2048]; /* the header lines, "Name: value\n" each (as much as fits) */
} lift_httpc_response;

/* The value of header `name` (any case) into out; false (out empty) when absent. */
bool lift_httpc_header(const lift_httpc_response *r, const char *name, char *out, size_t len);

/* Sends one request and reads the answer into resp (resp->body is reset first; the caller
 * frees it with lift_buf_fini). headers: NULL-terminated "Name: value" lines or NULL.
 * Reconnects first when the server closed the connection after the previous answer.
 * LIFT_EIO when the connection fails mid-way (the request may or may not have been
 * processed: retry only idempotent requests). */
int lift_httpc_request(lift_httpc *c, const char *method, const char *target,
                       const char *const *headers, const char *body, size_t len,
                       lift_httpc_response *resp, lift_err *err);

#endif
