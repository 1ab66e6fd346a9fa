/* The GrowthBook SDK payload as liftd serves it: rendered once per config snapshot (and
 * again when an experiment's start or end time passes), kept as one immutable,
 * reference-counted text that GET /api/features and the SSE streams share. */
#ifndef LIFT_SERVER_FEATURES_H
#define LIFT_SERVER_FEATURES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lift/config.h"

typedef struct lift_payload {
    atomic_int refs;
    int64_t version;     /* of the config it was made from */
    int64_t valid_until; /* microseconds since the epoch: the next start/end time */
    char etag[24];       /* "\"<16 hex>\"": FNV-64 of the body */
    size_t len;
    char body[]; /* JSON and a newline, NUL-terminated */
} lift_payload;

typedef struct lift_features lift_features;

lift_features *lift_features_new(void);
void lift_features_free(lift_features *f); /* NULL is a no-op */

/* The payload of cfg at time now: the cached one while it holds, else rendered (and cached).
 * A new reference: release it with lift_payload_unref. NULL when out of memory. */
lift_payload *lift_features_get(lift_features *f, const lift_config *cfg, int64_t now);

/* Drops a reference; the payload is freed with the last one. NULL is a no-op. */
void lift_payload_unref(lift_payload *p);

/* lift_payload_unref for the body pointer MHD hands back to a free callback. */
void lift_payload_unref_body(void *body);

#endif
