/* The reload thread: LISTEN lift_config, load lift.config_document(), publish, cache. */
#include "reload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lift/config_db.h"
#include "lift/db.h"
#include "lift/log.h"
#include "lift/text.h"

#define RETRY_MS    500   /* reconnect interval while the database is away */
#define RESYNC_MS   30000 /* reload even without a NOTIFY: belt and braces */
#define DEBOUNCE_MS 20    /* let a burst of changes (one .sql file) settle */

struct lift_reloader {
    pthread_t thread;
    int wake[2]; /* a byte on wake[1] stops the thread */
    char conninfo[1024], cache[1100];
    lift_snapshots *snaps;
    lift_metrics *m;
    lift_db *db;
    atomic_bool connected;
    char last_error[LIFT_ERR_MSG_LEN]; /* logged once until it changes or a connect works */
    long long version;                 /* of the snapshot being served; -1 before the first */
};

/* Writes text to the cache atomically (tmp file + rename). */
static void save_cache(const char *path, const char *text, size_t len)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) != 0)
        lift_log(LIFT_LOG_WARN, "config cache path=%s not written: %s", path, strerror(errno));
}

static bool publish_text(lift_reloader *r, const char *text, size_t len, const char *from)
{
    lift_err err;
    lift_config *cfg = lift_config_parse(text, len, &err);
    if (!cfg) {
        atomic_fetch_add(&r->m->reload_failures, 1);
        lift_log(LIFT_LOG_WARN, "config reload from=%s refused: %s (still serving version %lld)",
                 from, err.msg, r->version);
        return false;
    }
    if (cfg->version == r->version) {
        lift_config_free(cfg);
        return true;
    }
    long long v = cfg->version;
    size_t n = cfg->nexperiments;
    lift_snapshot_publish(r->snaps, cfg);
    r->version = v;
    atomic_store(&r->m->config_version, (long)v);
    atomic_store(&r->m->config_loaded, 1);
    atomic_fetch_add(&r->m->reloads, 1);
    lift_log(LIFT_LOG_INFO, "config loaded from=%s version=%lld experiments=%zu", from, v, n);
    return true;
}

static void load_from_db(lift_reloader *r)
{
    lift_err err;
    size_t len;
    char *text = lift_config_fetch_db(r->db, &len, &err);
    if (!text) {
        atomic_fetch_add(&r->m->reload_failures, 1);
        lift_log(LIFT_LOG_WARN, "config reload failed: %s", err.msg);
        if (!lift_db_alive(r->db)) {
            lift_db_close(r->db);
            r->db = NULL;
            atomic_store(&r->connected, false);
        }
        return;
    }
    if (publish_text(r, text, len, "database"))
        save_cache(r->cache, text, len);
    free(text);
}

static bool connect_db(lift_reloader *r)
{
    lift_err err;
    r->db = lift_db_open(r->conninfo, &err);
    if (!r->db) {
        /* libpq's reason (authentication, unreachable, bad URL), once per new reason. */
        if (strcmp(err.msg, r->last_error) != 0)
            lift_log(LIFT_LOG_WARN, "config listener: %s", err.msg);
        snprintf(r->last_error, sizeof r->last_error, "%s", err.msg);
        return false;
    }
    r->last_error[0] = '\0';
    if (lift_db_run(r->db, "LISTEN lift_config", 0, NULL, &err) != LIFT_OK) {
        lift_log(LIFT_LOG_WARN, "config LISTEN failed: %s", err.msg);
        lift_db_close(r->db);
        r->db = NULL;
        return false;
    }
    atomic_store(&r->connected, true);
    return true;
}

/* Waits up to ms for the database socket (or -1) or the wake pipe; true when woken. */
static bool wait_for(lift_reloader *r, int fd, int ms)
{
    struct pollfd p[2] = {{r->wake[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = poll(p, fd >= 0 ? 2 : 1, ms);
    return n > 0 && (p[0].revents & POLLIN);
}

static void *run(void *arg)
{
    lift_reloader *r = arg;
    int64_t last_load = lift_time_mono();
    for (;;) {
        if (!r->db) {
            if (connect_db(r)) {
                lift_log(LIFT_LOG_INFO, "config listener connected");
                load_from_db(r); /* changes may have been missed while away */
                last_load = lift_time_mono();
            } else if (wait_for(r, -1, RETRY_MS)) {
                break;
            }
            continue;
        }
        PGconn *conn = lift_db_conn(r->db);
        if (wait_for(r, PQsocket(conn), 1000))
            break;
        bool notified = false;
        if (PQconsumeInput(conn) != 1) {
            lift_log(LIFT_LOG_WARN, "config listener lost the database: %.200s",
                     PQerrorMessage(conn));
            lift_db_close(r->db);
            r->db = NULL;
            atomic_store(&r->connected, false);
            continue;
        }
        for (PGnotify *n; (n = PQnotifies(conn)) != NULL; PQfreemem(n))
            notified = true;
        if (notified) {
            if (wait_for(r, -1, DEBOUNCE_MS))
                break;
            PQconsumeInput(conn);
            for (PGnotify *n; (n = PQnotifies(conn)) != NULL; PQfreemem(n))
                ;
        }
        if (notified || lift_time_mono() - last_load > RESYNC_MS * 1000LL) {
            load_from_db(r);
            last_load = lift_time_mono();
        }
    }
    lift_db_close(r->db);
    r->db = NULL;
    return NULL;
}

lift_reloader *lift_reloader_start(const char *conninfo, const char *cache_path,
                                   lift_snapshots *snaps, lift_metrics *m, lift_err *err)
{
    lift_reloader *r = calloc(1, sizeof *r);
    if (!r || pipe(r->wake) != 0) {
        free(r);
        lift_err_set(err, LIFT_ENOMEM, "cannot set up the config reloader");
        return NULL;
    }
    snprintf(r->conninfo, sizeof r->conninfo, "%s", conninfo);
    snprintf(r->cache, sizeof r->cache, "%s", cache_path);
    r->snaps = snaps;
    r->m = m;
    r->version = -1;
    if (connect_db(r)) {
        load_from_db(r);
    } else {
        FILE *f = fopen(cache_path, "rb");
        if (f) {
            lift_buf b;
            lift_buf_init(&b);
            char chunk[65536];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
                lift_buf_append(&b, chunk, n);
            fclose(f);
            if (b.data)
                publish_text(r, b.data, b.len, "cache");
            lift_buf_fini(&b);
        }
        lift_log(LIFT_LOG_WARN, "config: database unreachable at start; %s",
                 r->version >= 0 ? "serving the cached config" : "no config until it is");
    }
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        lift_err_set(err, LIFT_EIO, "cannot start the config reloader thread");
        lift_db_close(r->db);
        close(r->wake[0]);
        close(r->wake[1]);
        free(r);
        return NULL;
    }
    return r;
}

void lift_reloader_stop(lift_reloader *r)
{
    if (!r)
        return;
    ssize_t w = write(r->wake[1], "x", 1);
    (void)w;
    pthread_join(r->thread, NULL);
    close(r->wake[0]);
    close(r->wake[1]);
    free(r);
}

bool lift_reloader_connected(lift_reloader *r)
{
    return atomic_load(&r->connected);
}
