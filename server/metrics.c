/* Prometheus text exposition of liftd's metrics. */
#include "metrics.h"

#include <string.h>

static const char *const routes[] = {"/v1/assign",
                                     "/v1/events",
                                     "/v1/exposures",
                                     "/v1/experiments",
                                     "/healthz",
                                     "/readyz",
                                     "/metrics",
                                     "/api/features",
                                     "/sub",
                                     "/ofrep/v1/evaluate/flags/{key}",
                                     "/ofrep/v1/evaluate/flags",
                                     "/livez",
                                     "/readyz/ingest",
                                     "other"};
static const int statuses[LIFT_STATUS_SLOTS] = {200, 202, 204, 304, 400, 401, 403, 404,
                                                405, 408, 413, 415, 429, 500, 503, 0};
/* Seconds: 100 us to 1 s, where an assignment answer should sit far left. */
static const double bounds[LIFT_LATENCY_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

void lift_metrics_init(lift_metrics *m)
{
    memset(m, 0, sizeof *m); /* all-zero bits are valid zero atomics on our targets */
}

void lift_metrics_request(lift_metrics *m, lift_route_id route, int status, int64_t micros)
{
    int slot = LIFT_STATUS_SLOTS - 1;
    for (int i = 0; i < LIFT_STATUS_SLOTS - 1; i++)
        if (statuses[i] == status)
            slot = i;
    atomic_fetch_add_explicit(&m->requests[route][slot], 1, memory_order_relaxed);
    int b = 0;
    while (b < LIFT_LATENCY_BUCKETS && (double)micros > bounds[b] * 1e6)
        b++;
    atomic_fetch_add_explicit(&m->latency[route][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_us[route], (unsigned long)micros, memory_order_relaxed);
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static void counter(lift_buf *out, const char *name, const char *help, unsigned long v)
{
    lift_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", name, help, name, name, v);
}

static void gauge(lift_buf *out, const char *name, const char *help, long v)
{
    lift_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %ld\n", name, help, name, name, v);
}

void lift_metrics_render(const lift_metrics *m, lift_buf *out)
{
    lift_buf_puts(out, "# HELP lift_http_requests_total HTTP requests answered, by route and "
                       "status.\n# TYPE lift_http_requests_total counter\n");
    for (int r = 0; r < LIFT_ROUTE_COUNT; r++)
        for (int s = 0; s < LIFT_STATUS_SLOTS; s++) {
            unsigned long v = LOAD(m->requests[r][s]);
            if (!v)
                continue;
            if (statuses[s])
                lift_buf_printf(out, "lift_http_requests_total{route=\"%s\",status=\"%d\"} %lu\n",
                                routes[r], statuses[s], v);
            else
                lift_buf_printf(out,
                                "lift_http_requests_total{route=\"%s\",status=\"other\"} "
                                "%lu\n",
                                routes[r], v);
        }
    lift_buf_puts(out, "# HELP lift_http_request_duration_seconds Time from request to answer."
                       "\n# TYPE lift_http_request_duration_seconds histogram\n");
    for (int r = 0; r < LIFT_ROUTE_COUNT; r++) {
        unsigned long total = 0;
        for (int b = 0; b <= LIFT_LATENCY_BUCKETS; b++) {
            total += LOAD(m->latency[r][b]);
            if (b < LIFT_LATENCY_BUCKETS)
                lift_buf_printf(out,
                                "lift_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"}"
                                " %lu\n",
                                routes[r], bounds[b], total);
        }
        lift_buf_printf(out,
                        "lift_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n"
                        "lift_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                        "lift_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
                        routes[r], total, routes[r], (double)LOAD(m->latency_us[r]) / 1e6,
                        routes[r], total);
    }
    lift_buf_printf(out,
                    "# HELP lift_rows_committed_total Rows committed to PostgreSQL.\n"
                    "# TYPE lift_rows_committed_total counter\n"
                    "lift_rows_committed_total{table=\"exposures\"} %lu\n"
                    "lift_rows_committed_total{table=\"events\"} %lu\n",
                    LOAD(m->rows_committed[0]), LOAD(m->rows_committed[1]));
    counter(out, "lift_duplicate_rows_total", "Posted rows whose event_id was already stored.",
            LOAD(m->duplicates));
    counter(out, "lift_batches_total", "Batches committed by the writer.", LOAD(m->batches));
    counter(out, "lift_batch_failures_total", "Batches the database refused or lost.",
            LOAD(m->batch_failures));
    counter(out, "lift_writer_retries_total",
            "Writer transactions run again after a deadlock or serialization failure.",
            LOAD(m->tx_retries));
    counter(out, "lift_rollup_refreshes_total", "Experiment rollups refreshed by liftd.",
            LOAD(m->refreshes));
    counter(out, "lift_rollup_refresh_failures_total", "Rollup refreshes that failed.",
            LOAD(m->refresh_failures));
    counter(out, "lift_exposures_logged_total", "Exposures logged by /v1/assign.",
            LOAD(m->exposures_logged));
    counter(out, "lift_expose_cache_hits_total",
            "Exposures not logged again: the dedup cache had the shopper with that variant.",
            LOAD(m->expose_hits));
    counter(out, "lift_expose_cache_misses_total",
            "Exposures logged: not in the dedup cache, another variant, or past the interval.",
            LOAD(m->expose_misses));
    counter(out, "lift_expose_cache_evictions_total",
            "Dedup cache entries replaced by newer ones (the cache is full).",
            LOAD(m->expose_evictions));
    gauge(out, "lift_expose_cache_entries", "Entries the dedup cache holds at most (0: off).",
          LOAD(m->expose_capacity));
    gauge(out, "lift_queue_rows", "Rows waiting for the writer.", LOAD(m->queue_rows));
    counter(out, "lift_spooled_rows_total", "Exposures written to the spool file.",
            LOAD(m->spooled_rows));
    counter(out, "lift_replayed_rows_total", "Spooled exposures replayed into PostgreSQL.",
            LOAD(m->replayed_rows));
    gauge(out, "lift_spool_pending_bytes", "Spool bytes not yet replayed.",
          LOAD(m->spool_pending_bytes));
    counter(out, "lift_spool_errors_total", "Failed writes to the spool (disk full, say).",
            LOAD(m->spool_errors));
    counter(out, "lift_dropped_rows_total", "Exposures lost because the spool could not take them.",
            LOAD(m->dropped_rows));
    counter(out, "lift_config_reloads_total", "Config snapshots loaded.", LOAD(m->reloads));
    counter(out, "lift_config_reload_failures_total", "Config loads that failed.",
            LOAD(m->reload_failures));
    gauge(out, "lift_config_version", "Version of the config being served.",
          LOAD(m->config_version));
    gauge(out, "lift_database_up", "1 while the writer is connected to PostgreSQL.",
          LOAD(m->db_up));
    gauge(out, "lift_spool_ok", "1 while the spool accepts writes.", LOAD(m->spool_ok));
    gauge(out, "lift_sse_streams", "Open GrowthBook SDK streams (GET /sub).", LOAD(m->sse_streams));
    counter(out, "lift_sse_pushes_total", "Payloads pushed to SDK streams.", LOAD(m->sse_pushes));
    counter(out, "lift_rate_limited_total", "Requests refused by a client key's rate limit.",
            LOAD(m->rate_limited));
}
