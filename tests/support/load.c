/* Test fixture: client load against liftd (see load.h). */
#include "load.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/httpc.h"
#include "liftd.h"
#include "pgtest.h"

#define BATCH        200
#define MAX_REQUESTS 20000
#define MAX_USEC     (60 * INT64_C(1000000))
#define MAX_THREADS  32

typedef struct client {
    struct load *load;
    int id;
    bool assigner;
    pthread_t thread;
    load_stats st;
} client;

struct load {
    int port;
    char prefix[64];
    atomic_int stop;
    int n;
    client c[MAX_THREADS];
};

static const char *const HEADERS[] = {"Content-Type: application/json",
                                      "Authorization: Bearer " TEST_KEY, NULL};

static void nap(long usec)
{
    nanosleep(&(struct timespec){usec / 1000000, (usec % 1000000) * 1000}, NULL);
}

static void batch_body(lift_buf *b, const char *prefix, int thread, long n)
{
    lift_buf_reset(b);
    lift_buf_puts(b, "{\"events\":[");
    for (int i = 0; i < BATCH; i++)
        lift_buf_printf(b,
                        "%s{\"event_id\":\"%s-t%d-b%ld-%d\",\"unit\":\"%s-u%d\",\"type\":\"order\","
                        "\"value\":%d.25,\"currency\":\"EUR\",\"ts\":\"2026-10-01T12:00:00Z\"}",
                        i ? "," : "", prefix, thread, n, i, prefix, i % 97, i);
    lift_buf_puts(b, "]}");
}

static void *run(void *arg)
{
    client *c = arg;
    load *l = c->load;
    lift_err err;
    lift_httpc *h = lift_httpc_open("127.0.0.1", l->port, 5000, &err);
    lift_httpc_response resp = {0};
    lift_buf_init(&resp.body);
    lift_buf body;
    lift_buf_init(&body);
    int64_t until = lift_time_mono() + MAX_USEC;
    for (long n = 0; h && !atomic_load(&l->stop) && n < MAX_REQUESTS && lift_time_mono() < until;
         n++) {
        if (c->assigner) {
            char target[160];
            snprintf(target, sizeof target, "/v1/assign?unit=%s-a%d-%ld", l->prefix, c->id, n);
            if (lift_httpc_request(h, "GET", target, NULL, NULL, 0, &resp, &err) == LIFT_OK &&
                resp.status == 200)
                c->st.assigns_ok++;
            else
                c->st.assigns_failed++;
            nap(500); /* a steady trickle, so it spans the whole test */
            continue;
        }
        batch_body(&body, l->prefix, c->id, n);
        int rc =
            lift_httpc_request(h, "POST", "/v1/events", HEADERS, body.data, body.len, &resp, &err);
        if (rc == LIFT_OK && resp.status == 202) {
            c->st.acked += BATCH;
            for (int i = 0; i < BATCH; i++)
                lift_buf_printf(&c->st.acked_ids, "%s-t%d-b%ld-%d\n", l->prefix, c->id, n, i);
            continue;
        }
        if (rc == LIFT_OK && resp.status != 503) {
            c->st.other++;
            continue;
        }
        /* Refused for now, or no answer: stored or not, it must be retried. */
        rc == LIFT_OK ? c->st.refused++ : c->st.lost++;
        lift_buf_append(&c->st.retry, body.data, body.len);
        lift_buf_puts(&c->st.retry, "\n");
        nap(20000);
    }
    lift_httpc_close(h);
    lift_buf_fini(&resp.body);
    lift_buf_fini(&body);
    return NULL;
}

load *load_start(int port, int posters, int assigners, const char *prefix)
{
    cr_assert_leq(posters + assigners, MAX_THREADS);
    load *l = calloc(1, sizeof *l);
    cr_assert(l);
    l->port = port;
    snprintf(l->prefix, sizeof l->prefix, "%s", prefix);
    for (int i = 0; i < posters + assigners; i++) {
        client *c = &l->c[l->n++];
        c->load = l;
        c->id = i;
        c->assigner = i >= posters;
        lift_buf_init(&c->st.acked_ids);
        lift_buf_init(&c->st.retry);
        cr_assert_eq(pthread_create(&c->thread, NULL, run, c), 0);
    }
    return l;
}

void load_stop(load *l, load_stats *out)
{
    memset(out, 0, sizeof *out);
    lift_buf_init(&out->acked_ids);
    lift_buf_init(&out->retry);
    atomic_store(&l->stop, 1);
    for (int i = 0; i < l->n; i++) {
        client *c = &l->c[i];
        pthread_join(c->thread, NULL);
        out->acked += c->st.acked;
        out->refused += c->st.refused;
        out->lost += c->st.lost;
        out->other += c->st.other;
        out->assigns_ok += c->st.assigns_ok;
        out->assigns_failed += c->st.assigns_failed;
        lift_buf_append(&out->acked_ids, c->st.acked_ids.data, c->st.acked_ids.len);
        lift_buf_append(&out->retry, c->st.retry.data, c->st.retry.len);
        lift_buf_fini(&c->st.acked_ids);
        lift_buf_fini(&c->st.retry);
    }
    free(l);
}

void load_stats_fini(load_stats *s)
{
    lift_buf_fini(&s->acked_ids);
    lift_buf_fini(&s->retry);
}

long load_retry(int port, const load_stats *s)
{
    lift_err err;
    lift_httpc *h = lift_httpc_open("127.0.0.1", port, 5000, &err);
    cr_assert(h, "%s", err.msg);
    lift_httpc_response resp = {0};
    lift_buf_init(&resp.body);
    long failed = 0;
    const char *p = s->retry.data, *end = p ? p + s->retry.len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        int64_t until = lift_time_mono() + 30 * INT64_C(1000000);
        int status = 0;
        while (status != 202 && lift_time_mono() < until) {
            status =
                lift_httpc_request(h, "POST", "/v1/events", HEADERS, p, len, &resp, &err) == LIFT_OK
                    ? resp.status
                    : 0;
            if (status != 202)
                nap(100000);
        }
        failed += status != 202;
        p += len + 1;
    }
    lift_buf_fini(&resp.body);
    lift_httpc_close(h);
    return failed;
}

long load_missing(lift_db *db, const lift_buf *ids)
{
    lift_err err;
    pgtest_ok(db, "DROP TABLE IF EXISTS pg_temp.load_ids; CREATE TEMP TABLE load_ids (id text)");
    cr_assert_eq(
        lift_db_copy(db, "COPY load_ids FROM STDIN", ids->data ? ids->data : "", ids->len, &err),
        LIFT_OK, "%s", err.msg);
    return atol(pgtest_value(db, "SELECT count(*) FROM load_ids i "
                                 "WHERE NOT EXISTS (SELECT 1 FROM lift.events e "
                                 "WHERE e.event_id = i.id)"));
}
