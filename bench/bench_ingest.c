/* bench/ingest: POST /v1/events with batches of 500 from 4 clients for a bounded time,
 * then `psql \copy` of as many rows of the same shape into the same table, in the same
 * run. Target: HTTP ingestion at >= 50% of the \copy rate.
 *   ingest URL KEY CONNINFO [SECONDS] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "lift/httpc.h"

#define CLIENTS 4
#define BATCH   500

typedef struct client {
    char host[64];
    int port, id;
    const char *key;
    int64_t until;
    long events, failures;
} client;

/* One event like a storefront's: an order or a page view with a little context. */
static void event(lift_buf *b, const char *id, long i)
{
    lift_buf_printf(
        b,
        "{\"event_id\":\"%s\",\"unit\":\"shopper-%ld\",\"type\":\"%s\","
        "\"value\":%ld.%02ld,\"currency\":\"EUR\",\"ts\":\"2026-11-20T%02ld:%02ld:00Z\","
        "\"props\":{\"channel\":\"email\",\"device\":\"mobile\"}}",
        id, i % 100000, i % 5 ? "page_view" : "order", (i * 7) % 300, i % 100, i % 24, i % 60);
}

static void *run(void *arg)
{
    client *c = arg;
    lift_err err;
    lift_httpc *h = lift_httpc_open(c->host, c->port, 30000, &err);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->key);
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    lift_buf body;
    lift_httpc_response r;
    lift_buf_init(&body);
    lift_buf_init(&r.body);
    for (long batch = 0; h && lift_time_mono() < c->until && batch < 100000; batch++) {
        lift_buf_reset(&body);
        lift_buf_puts(&body, "{\"events\":[");
        for (int i = 0; i < BATCH; i++) {
            char id[64];
            snprintf(id, sizeof id, "c%d-%ld-%d", c->id, batch, i);
            if (i)
                lift_buf_puts(&body, ",");
            event(&body, id, batch * BATCH + i);
        }
        lift_buf_puts(&body, "]}");
        if (lift_httpc_request(h, "POST", "/v1/events", headers, body.data, body.len, &r, &err) !=
                LIFT_OK ||
            r.status != 202) {
            c->failures++;
            continue;
        }
        c->events += BATCH;
    }
    lift_httpc_close(h);
    lift_buf_fini(&body);
    lift_buf_fini(&r.body);
    return NULL;
}

/* Times `psql \copy` of n rows shaped like the posted events; returns rows/s. */
static double copy_rate(const char *conninfo, long n)
{
    char path[64], cmd[2048];
    snprintf(path, sizeof path, "/tmp/lift-bench-copy-%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    for (long i = 0; i < n; i++)
        fprintf(f,
                "copy-%ld,shopper-%ld,%s,%ld.%02ld,EUR,2026-11-20T%02ld:%02ld:00Z,"
                "\"{\"\"channel\"\": \"\"email\"\", \"\"device\"\": \"\"mobile\"\"}\"\n",
                i, i % 100000, i % 5 ? "page_view" : "order", (i * 7) % 300, i % 100, i % 24,
                i % 60);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "psql -X -q '%s' -c \"\\copy lift.events (event_id, unit, type, value, currency, "
             "ts, props) FROM '%s' (FORMAT csv)\"",
             conninfo, path);
    int64_t t0 = lift_time_mono();
    int rc = system(cmd);
    double s = (double)(lift_time_mono() - t0) / 1e6;
    unlink(path);
    return rc == 0 ? (double)n / s : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ingest URL KEY CONNINFO [SECONDS]\n");
        return 2;
    }
    double seconds = argc > 4 ? atof(argv[4]) : 10;
    client c[CLIENTS];
    pthread_t t[CLIENTS];
    lift_err err;
    int64_t t0 = lift_time_mono();
    for (int i = 0; i < CLIENTS; i++) {
        memset(&c[i], 0, sizeof c[i]);
        if (lift_httpc_parse_url(argv[1], c[i].host, sizeof c[i].host, &c[i].port, &err) !=
            LIFT_OK) {
            fprintf(stderr, "ingest: %s\n", err.msg);
            return 2;
        }
        c[i].id = i;
        c[i].key = argv[2];
        c[i].until = t0 + (int64_t)(seconds * 1e6);
        pthread_create(&t[i], NULL, run, &c[i]);
    }
    long events = 0, failures = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        events += c[i].events;
        failures += c[i].failures;
    }
    double took = (double)(lift_time_mono() - t0) / 1e6, rate = (double)events / took;
    if (events == 0) {
        fprintf(stderr, "ingest: no batch was accepted (%ld failed)\n", failures);
        return 1;
    }
    double copy = copy_rate(argv[3], events);
    printf("ingest: POST /v1/events, %d clients x %d-event batches  %9.0f events/s  "
           "(%ld events in %.1f s, %ld failed batches)\n",
           CLIENTS, BATCH, rate, events, took, failures);
    printf("baseline: psql \\copy of as many rows, same table        %9.0f rows/s\n", copy);
    printf("ratio: %.0f%% of the \\copy rate   target >= 50%%  %s\n", 100 * rate / copy,
           rate >= 0.5 * copy ? "ok" : "MISSED");
    return 0;
}
