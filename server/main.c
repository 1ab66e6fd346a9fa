/* liftd: the assignment and ingestion server. Wires the parts together and shuts them
 * down in order on SIGTERM/SIGINT. */
#define _DEFAULT_SOURCE /* getrlimit/setrlimit names in glibc headers */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "expose_cache.h"
#include "features.h"
#include "http.h"
#include "lift/db.h"
#include "lift/locate.h"
#include "lift/log.h"
#include "options.h"
#include "refresher.h"
#include "sse.h"

/* Kills the process if shutdown overruns its time (a hung database, say). */
static void *watchdog(void *arg)
{
    const lift_options *opt = arg;
    struct timespec ts = {opt->shutdown_timeout, 0};
    while (nanosleep(&ts, &ts) != 0)
        ;
    lift_log(LIFT_LOG_ERROR, "shutdown took over %lds; exiting without finishing",
             opt->shutdown_timeout);
    _exit(1);
    return NULL;
}

static unsigned long long random64(void)
{
    unsigned long long r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r)
        r = (unsigned long long)lift_time_now() ^ ((unsigned long long)getpid() << 32) ^
            (unsigned long long)lift_time_mono();
    if (fd >= 0)
        close(fd);
    return r;
}

static void random_prefix(char out[20])
{
    snprintf(out, 20, "%016llx", random64());
}

/* Lets the server hold as many sockets as its connection limit asks. */
static void raise_fd_limit(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t target = (rlim_t)want + 256;
    if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max)
        target = rl.rlim_max;
    if (rl.rlim_cur < target) {
        rl.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    static lift_options opt;
    static lift_app app;
    lift_err err;
    lift_options_action action;
    if (lift_options_load(&opt, argc, argv, &action, &err) != LIFT_OK) {
        fprintf(stderr, "liftd: %s\n", err.msg);
        return 2;
    }
    if (action == LIFT_OPTIONS_HELP) {
        lift_options_usage(stdout);
        return 0;
    }
    if (action == LIFT_OPTIONS_VERSION) {
        printf("liftd %s (libmicrohttpd %s, libpq %d)\n", LIFT_VERSION, MHD_get_version(),
               PQlibVersion());
        return 0;
    }
    lift_log_min = (lift_log_level)lift_log_parse_level(opt.log_level);
    if (opt.threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        opt.threads = n > 0 ? n : 2;
    }

    /* Every thread inherits this mask; only main takes the signals, with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit is a full disk to the spool, not death */
    raise_fd_limit(opt.connection_limit);
    setenv("PGCONNECT_TIMEOUT", "5", 0);

    lift_pg pg;
    if (lift_pg_locate(&pg, &err) != LIFT_OK) {
        fprintf(stderr, "liftd: %s\n", err.msg);
        return 2;
    }
    char conninfo[sizeof opt.db], spool_dir[sizeof opt.spool_dir], cache[PATH_MAX + 32];
    if (opt.db[0])
        snprintf(conninfo, sizeof conninfo, "%s", opt.db);
    else
        lift_pg_url_as(&pg, "lift_writer", conninfo, sizeof conninfo);
    if (opt.spool_dir[0])
        snprintf(spool_dir, sizeof spool_dir, "%s", opt.spool_dir);
    else
        snprintf(spool_dir, sizeof spool_dir, "%.1000s/spool", pg.home);
    snprintf(cache, sizeof cache, "%s/config-cache.json", spool_dir);

    app.opts = &opt;
    lift_refresher *refresher = NULL;
    lift_metrics_init(&app.metrics);
    random_prefix(app.id_prefix);
    if (!(app.keys = lift_keys_new(opt.api_keys, &err))) {
        fprintf(stderr, "liftd: %s\n", err.msg);
        return 2;
    }
    if (lift_pseudo_new(opt.pseudonym_key, &app.pseudo, &err) != LIFT_OK) {
        fprintf(stderr, "liftd: %s\n", err.msg);
        return 1; /* never store raw ids when pseudonyms were asked for */
    }
    if (opt.expose_cache > 0 && !(app.expose_cache = lift_expose_cache_new(
                                      (size_t)opt.expose_cache, opt.expose_interval, random64()))) {
        fprintf(stderr, "liftd: out of memory for --expose-cache %ld (16 bytes an entry)\n",
                opt.expose_cache);
        return 1;
    }
    atomic_store(&app.metrics.expose_capacity, opt.expose_cache);
    if (!(app.features = lift_features_new()) || !(app.limits = lift_limits_new())) {
        fprintf(stderr, "liftd: out of memory\n");
        return 1;
    }
    if (!(app.spool = lift_spool_open(spool_dir, &app.metrics, &err)) ||
        !(app.snaps = lift_snapshots_new()) || !(app.sse = lift_sse_start(&app, &err)) ||
        !(app.reloader = lift_reloader_start(conninfo, cache, app.snaps, &app.metrics, &err)) ||
        !(app.writer = lift_writer_start(&opt, conninfo, app.spool, &app.metrics, &err)) ||
        (!(refresher = lift_refresher_start(conninfo, opt.refresh_interval, &app.metrics, &err)) &&
         err.code) ||
        lift_http_start(&app, &err) != LIFT_OK) {
        fprintf(stderr, "liftd: %s\n", err.msg);
        return 1;
    }
    char where[300];
    lift_db_redact(conninfo, where, sizeof where);
    lift_log(LIFT_LOG_INFO,
             "start listen=%s port=%u threads=%ld db=%s api_keys=%zu pseudonyms=%s spool=%s "
             "expose_cache=%ld expose_cache_mib=%.1f expose_interval=%ld",
             opt.listen, app.port, opt.threads, where, lift_keys_count(app.keys),
             app.pseudo ? "on" : "off", spool_dir, opt.expose_cache,
             (double)lift_expose_cache_bytes(app.expose_cache) / (1 << 20), opt.expose_interval);
    if (lift_keys_count(app.keys) == 0)
        lift_log(LIFT_LOG_WARN, "no API keys: POST endpoints refuse every request (set "
                                "LIFT_API_KEYS)");

    int sig = 0;
    sigwait(&stop, &sig);
    int64_t t0 = lift_time_mono();
    lift_log(LIFT_LOG_INFO, "shutdown signal=%s: no new connections, flushing", strsignal(sig));
    pthread_t dog;
    pthread_create(&dog, NULL, watchdog, &opt);

    /* Order matters: refuse new work, let the writer answer the POSTs it holds (MHD may
     * not stop with suspended connections), stop HTTP, then flush the last exposures. */
    atomic_store(&app.stopping, true);
    lift_http_quiesce(&app);
    lift_sse_close(app.sse); /* streams end: MHD may not stop with them suspended */
    while (atomic_load(&app.suspended) > 0) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    lift_http_stop(&app);
    lift_refresher_stop(refresher);
    lift_writer_stop(app.writer);
    lift_reloader_stop(app.reloader);
    lift_log(LIFT_LOG_INFO,
             "shutdown done ms=%.0f committed_exposures=%lu committed_events=%lu spooled=%lu "
             "spool_pending_bytes=%zu",
             (double)(lift_time_mono() - t0) / 1000,
             atomic_load(&app.metrics.rows_committed[LIFT_TABLE_EXPOSURES]),
             atomic_load(&app.metrics.rows_committed[LIFT_TABLE_EVENTS]),
             atomic_load(&app.metrics.spooled_rows), lift_spool_pending(app.spool));
    lift_spool_close(app.spool);
    lift_sse_free(app.sse);
    lift_features_free(app.features);
    lift_limits_free(app.limits);
    lift_expose_cache_free(app.expose_cache);
    lift_snapshots_free(app.snaps);
    lift_keys_free(app.keys);
    lift_pseudo_free(app.pseudo);
    return 0;
}
