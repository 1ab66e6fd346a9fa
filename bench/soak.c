/* bench/soak: a long steady mixed load on liftd, to catch leaks and drift. First a short
 * burst at full speed measures the maximum request rate of this mix (9 assignments with
 * exposure logging to 1 POST of 20 events); then SECONDS at half of it. liftd's RSS and
 * open file descriptors are sampled at the start of the soak (after a warm-up), every
 * minute and at the end. Fails when RSS grew by 10% or more, the descriptors moved, any
 * request failed, or an acknowledged event is missing from the database.
 *   soak URL KEY LIFTD_PID CONNINFO [SECONDS] */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/db.h"
#include "lift/httpc.h"

#define THREADS 8
#define EVENTS  20
#define SEC     INT64_C(1000000)

typedef struct shared {
    char host[256];
    int port;
    const char *key;
    double rate; /* requests per second per thread; 0: as fast as possible */
    int64_t until;
    atomic_long requests, errors, acked;
} shared;

typedef struct worker {
    shared *sh;
    int id;
    long serial;
    pthread_t thread;
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    lift_err err;
    lift_httpc *h = lift_httpc_open(sh->host, sh->port, 10000, &err);
    if (!h) {
        atomic_fetch_add(&sh->errors, 1);
        return NULL;
    }
    char auth[160];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", sh->key);
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    lift_buf body;
    lift_buf_init(&body);
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    int64_t start = lift_time_mono();
    for (long n = 0; lift_time_mono() < sh->until; n++) {
        if (sh->rate > 0) { /* paced: request n is due at start + n / rate */
            int64_t due = start + (int64_t)((double)n / sh->rate * 1e6);
            int64_t now = lift_time_mono();
            if (due > now)
                nanosleep(&(struct timespec){(due - now) / SEC, ((due - now) % SEC) * 1000}, NULL);
        }
        int rc, want;
        long serial = w->serial++;
        if (n % 10 == 9) {
            lift_buf_reset(&body);
            lift_buf_puts(&body, "{\"events\":[");
            for (int i = 0; i < EVENTS; i++)
                lift_buf_printf(&body,
                                "%s{\"event_id\":\"soak-%d-%ld-%d\",\"unit\":\"s%ld\","
                                "\"type\":\"%s\",\"value\":%d.5,\"currency\":\"EUR\"}",
                                i ? "," : "", w->id, serial, i, serial % 50000,
                                i % 4 ? "page_view" : "order", i);
            lift_buf_puts(&body, "]}");
            rc =
                lift_httpc_request(h, "POST", "/v1/events", headers, body.data, body.len, &r, &err);
            want = 202;
        } else {
            char target[96];
            snprintf(target, sizeof target, "/v1/assign?unit=s%d-%ld&attr.device=mobile", w->id,
                     serial % 200000);
            rc = lift_httpc_request(h, "GET", target, NULL, NULL, 0, &r, &err);
            want = 200;
        }
        atomic_fetch_add(&sh->requests, 1);
        if (rc != LIFT_OK || r.status != want)
            atomic_fetch_add(&sh->errors, 1);
        else if (want == 202)
            atomic_fetch_add(&sh->acked, EVENTS);
    }
    lift_buf_fini(&body);
    lift_buf_fini(&r.body);
    lift_httpc_close(h);
    return NULL;
}

static void drive(shared *sh, worker *w, double seconds)
{
    sh->until = lift_time_mono() + (int64_t)(seconds * 1e6);
    for (int i = 0; i < THREADS; i++) {
        w[i].sh = sh;
        w[i].id = i;
        pthread_create(&w[i].thread, NULL, run, &w[i]);
    }
}

static void join(worker *w)
{
    for (int i = 0; i < THREADS; i++)
        pthread_join(w[i].thread, NULL);
}

typedef struct sample {
    long rss_kb, fds;
} sample;

static sample probe(long pid)
{
    sample s = {-1, 0};
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            s.rss_kb = atol(line + 6);
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));)
        s.fds += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: soak URL KEY LIFTD_PID CONNINFO [SECONDS]\n");
        return 2;
    }
    shared sh = {.key = argv[2]};
    lift_err err;
    if (lift_httpc_parse_url(argv[1], sh.host, sizeof sh.host, &sh.port, &err) != LIFT_OK) {
        fprintf(stderr, "soak: %s\n", err.msg);
        return 2;
    }
    long pid = atol(argv[3]);
    double seconds = argc > 5 ? atof(argv[5]) : 600;
    worker w[THREADS];
    memset(w, 0, sizeof w);

    /* 1. The maximum rate of this mix, flat out for 10 s. */
    drive(&sh, w, 10);
    join(w);
    double max = (double)atomic_load(&sh.requests) / 10;
    long burst_errors = atomic_load(&sh.errors);
    printf("soak: maximum %.0f requests/s (9 assignments : 1 POST of %d events), %ld errors\n", max,
           EVENTS, burst_errors);

    /* 2. Half of it for the soak; a minute (or a tenth) of warm-up before the first sample. */
    atomic_store(&sh.requests, 0);
    atomic_store(&sh.errors, burst_errors);
    sh.rate = max / 2 / THREADS;
    double warm = seconds / 10 < 60 ? seconds / 10 : 60;
    int64_t t0 = lift_time_mono();
    drive(&sh, w, warm + seconds);
    nanosleep(&(struct timespec){(time_t)warm, (long)((warm - (long)warm) * 1e9)}, NULL);
    sample first = probe(pid), last = first;
    printf("soak: %.0f requests/s for %.0f s; start: RSS %ld kB, %ld fds\n", max / 2, seconds,
           first.rss_kb, first.fds);
    fflush(stdout);
    /* Samples every minute, the last one a second before the end, all under load (the
     * clients' connections open). */
    int64_t end = sh.until - SEC;
    for (int minute = 1; lift_time_mono() < end; minute++) {
        int64_t next = t0 + (int64_t)((warm + 60 * minute) * 1e6);
        while (lift_time_mono() < next && lift_time_mono() < end)
            nanosleep(&(struct timespec){0, 100000000}, NULL);
        last = probe(pid);
        printf("soak: %4.0f s: RSS %ld kB, %ld fds, %ld requests, %ld errors\n",
               (double)(lift_time_mono() - t0) / 1e6 - warm, last.rss_kb, last.fds,
               atomic_load(&sh.requests), atomic_load(&sh.errors));
        fflush(stdout);
    }
    join(w);
    long requests = atomic_load(&sh.requests), errors = atomic_load(&sh.errors);
    double growth = first.rss_kb > 0 ? (double)last.rss_kb / (double)first.rss_kb - 1 : 1;

    /* 3. Every acknowledged event is stored (give the last batches a moment). */
    nanosleep(&(struct timespec){1, 0}, NULL);
    long stored = -1;
    lift_db *db = lift_db_open(argv[4], &err);
    PGresult *res = db ? lift_db_exec(db,
                                      "SELECT count(*) FROM lift.events WHERE event_id "
                                      "LIKE 'soak-%'",
                                      0, NULL, NULL, &err)
                       : NULL;
    if (res)
        stored = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    lift_db_close(db);
    long acked = atomic_load(&sh.acked);

    printf("soak: end: RSS %ld kB (%+.1f%%), %ld fds (start %ld); %ld requests, %ld errors; "
           "%ld events acknowledged, %ld stored\n",
           last.rss_kb, 100 * growth, last.fds, first.fds, requests, errors, acked, stored);
    bool ok = growth < 0.10 && labs(last.fds - first.fds) <= 2 && errors == 0 && stored == acked;
    printf("soak: %s (targets: RSS growth < 10%%, fds stable, 0 errors, nothing lost)\n",
           ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
