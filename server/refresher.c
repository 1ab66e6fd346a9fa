/* The rollup refresher thread: sleep an interval (woken early only to stop), connect if
 * needed, refresh every experiment with shoppers, log what was done. Failures are logged
 * and retried at the next interval; the database being away is not an error here. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lift/log.h"
#include "lift/refresh.h"
#include "refresher.h"

struct lift_refresher {
    char conninfo[1100];
    long interval; /* seconds */
    lift_metrics *metrics;
    int wake[2]; /* a byte written to wake[1] stops the thread */
    pthread_t thread;
    pthread_mutex_t lock; /* guards db against the cancel from lift_refresher_stop */
    lift_db *db;
    atomic_bool stopping;
};

/* One round: every experiment with shoppers. */
static void refresh_all(lift_refresher *r)
{
    lift_err err;
    PGresult *keys = lift_refresh_candidates(r->db, &err);
    if (!keys) {
        lift_log(LIFT_LOG_WARN, "refresh: cannot list experiments: %s", err.msg);
        return;
    }
    for (int i = 0; i < PQntuples(keys) && !atomic_load(&r->stopping); i++) {
        lift_refresh_result res;
        const char *key = PQgetvalue(keys, i, 0);
        if (lift_refresh(r->db, key, false, &res, &err) != LIFT_OK) {
            atomic_fetch_add(&r->metrics->refresh_failures, 1);
            lift_log(LIFT_LOG_WARN, "refresh: %s: %s", key, err.msg);
            continue;
        }
        atomic_fetch_add(&r->metrics->refreshes, 1);
        lift_log(res.computed ? LIFT_LOG_INFO : LIFT_LOG_DEBUG,
                 "refresh experiment=%s phase=%d mode=%s computed=%lld units=%lld ms=%.0f", key,
                 res.phase, res.mode, res.computed, res.units, (double)res.micros / 1000);
    }
    PQclear(keys);
}

static void *run(void *arg)
{
    lift_refresher *r = arg;
    struct pollfd p = {.fd = r->wake[0], .events = POLLIN};
    for (;;) {
        int n = poll(&p, 1, (int)(r->interval * 1000));
        if (n > 0 || atomic_load(&r->stopping))
            break;
        if (!lift_db_alive(r->db)) {
            lift_err err;
            lift_db *db = lift_db_open(r->conninfo, &err);
            pthread_mutex_lock(&r->lock);
            lift_db_close(r->db);
            r->db = db;
            pthread_mutex_unlock(&r->lock);
            if (!db) {
                lift_log(LIFT_LOG_DEBUG, "refresh: database unreachable: %s", err.msg);
                continue;
            }
        }
        refresh_all(r);
    }
    return NULL;
}

lift_refresher *lift_refresher_start(const char *conninfo, long interval, lift_metrics *m,
                                     lift_err *err)
{
    if (interval <= 0) {
        memset(err, 0, sizeof *err);
        return NULL;
    }
    lift_refresher *r = calloc(1, sizeof *r);
    if (!r || pipe(r->wake) != 0) {
        free(r);
        lift_err_set(err, LIFT_EIO, "cannot start the rollup refresher");
        return NULL;
    }
    snprintf(r->conninfo, sizeof r->conninfo, "%s", conninfo);
    r->interval = interval;
    r->metrics = m;
    pthread_mutex_init(&r->lock, NULL);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        close(r->wake[0]);
        close(r->wake[1]);
        pthread_mutex_destroy(&r->lock);
        free(r);
        lift_err_set(err, LIFT_EIO, "cannot start the rollup refresher thread");
        return NULL;
    }
    return r;
}

void lift_refresher_stop(lift_refresher *r)
{
    if (!r)
        return;
    atomic_store(&r->stopping, true);
    ssize_t w = write(r->wake[1], "x", 1);
    (void)w;
    pthread_mutex_lock(&r->lock);
    lift_db_cancel(r->db);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    lift_db_close(r->db);
    close(r->wake[0]);
    close(r->wake[1]);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
