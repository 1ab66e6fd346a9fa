/* liftd's counters, gauges and latency histograms, rendered in the Prometheus text format.
 * Updated with relaxed atomics from any thread. */
#ifndef LIFT_METRICS_H
#define LIFT_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "lift/text.h"

typedef enum {
    LIFT_ROUTE_ASSIGN,
    LIFT_ROUTE_EVENTS,
    LIFT_ROUTE_EXPOSURES,
    LIFT_ROUTE_EXPERIMENTS,
    LIFT_ROUTE_HEALTHZ,
    LIFT_ROUTE_READYZ,
    LIFT_ROUTE_METRICS,
    LIFT_ROUTE_FEATURES, /* GET /api/features/{clientKey} */
    LIFT_ROUTE_SUB,      /* GET /sub/{clientKey} (answered once: the stream's start) */
    LIFT_ROUTE_OFREP_FLAG,
    LIFT_ROUTE_OFREP_BULK,
    LIFT_ROUTE_LIVEZ,
    LIFT_ROUTE_READYZ_INGEST,
    LIFT_ROUTE_OTHER,
    LIFT_ROUTE_COUNT
} lift_route_id;

#define LIFT_STATUS_SLOTS    16 /* the statuses liftd answers, and "other" */
#define LIFT_LATENCY_BUCKETS 14

typedef struct lift_metrics {
    atomic_ulong requests[LIFT_ROUTE_COUNT][LIFT_STATUS_SLOTS];
    atomic_ulong latency[LIFT_ROUTE_COUNT][LIFT_LATENCY_BUCKETS + 1]; /* last: +Inf */
    atomic_ulong latency_us[LIFT_ROUTE_COUNT];                        /* sum */
    atomic_ulong rows_committed[2];                                   /* exposures, events */
    atomic_ulong duplicates; /* POSTed rows already stored */
    atomic_ulong batches, batch_failures;
    atomic_ulong tx_retries;       /* transactions run again after a deadlock */
    atomic_ulong exposures_logged; /* from /v1/assign */
    atomic_ulong expose_hits;      /* exposures not logged: the cache had them */
    atomic_ulong expose_misses;    /* exposures logged past the cache */
    atomic_ulong expose_evictions; /* cache entries replaced to make room */
    atomic_long expose_capacity;   /* entries of the cache (0: none) */
    atomic_ulong reloads, reload_failures;
    atomic_ulong refreshes, refresh_failures; /* rollup refreshes (--refresh-interval) */
    atomic_long config_version;
    atomic_long queue_rows; /* waiting for the writer */
    atomic_ulong spooled_rows, replayed_rows, spool_errors, dropped_rows;
    atomic_long spool_pending_bytes;
    atomic_int db_up, spool_ok, config_loaded;
    atomic_long sse_streams;   /* open GET /sub streams */
    atomic_ulong sse_pushes;   /* payloads pushed to streams */
    atomic_ulong rate_limited; /* requests refused by a client key's limit */
} lift_metrics;

void lift_metrics_init(lift_metrics *m);

/* One answered request: its route, status and time taken. */
void lift_metrics_request(lift_metrics *m, lift_route_id route, int status, int64_t micros);

/* The Prometheus exposition text. */
void lift_metrics_render(const lift_metrics *m, lift_buf *out);

#endif
