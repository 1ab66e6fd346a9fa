/* Faults under load: liftd killed with SIGKILL, PostgreSQL stopped and restarted, SIGTERM,
 * and the spool's disk full. The rule every test checks: an event answered 202 is in the
 * database exactly once, whatever happens after, and a client that retries what got no
 * answer (or a 503) ends with every event stored once.
 *
 * `make test` runs each once, briefly; `make test-faults` (LIFT_FAULTS=full) repeats the
 * kills and restarts with more clients and longer loads. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../support/liftd.h"
#include "../support/load.h"
#include "../support/pgtest.h"

#define BATCH 200 /* events per batch, as support/load.c posts them */

static lift_db *db;
static char conninfo[1024];
static liftd_proc d;
static lift_httpc_response r;
static char pg_home[400]; /* a cluster of the test's own, when set */

static bool full(void)
{
    const char *f = getenv("LIFT_FAULTS");
    return f && !strcmp(f, "full");
}

static void nap_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

static void teardown(void)
{
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    lift_buf_fini(&r.body);
    lift_db_close(db);
    db = NULL;
    if (pg_home[0]) { /* stopped whatever happened to the test */
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "LIFT_HOME='%s' %s db stop >/dev/null 2>&1", pg_home,
                 pgtest_bin("liftctl"));
        if (system(cmd) != 0)
            fprintf(stderr, "could not stop the cluster in %s\n", pg_home);
    }
}

static void setup(void)
{
    lift_buf_init(&r.body);
    memset(&d, 0, sizeof d);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 600);

/* Every acknowledged id is stored; then the client retries what it has to, and every
 * event it ever sent is stored exactly once. */
static void check_nothing_lost(const load_stats *st, const char *prefix, int port)
{
    cr_assert_eq(load_missing(db, &st->acked_ids), 0, "acknowledged events are missing");
    cr_assert_eq(load_retry(port, st), 0, "retries were not accepted");
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM lift.events WHERE event_id LIKE '%s-%%'",
             prefix);
    cr_assert_eq(count(sql), st->acked + (st->refused + st->lost) * BATCH,
                 "each event sent is stored exactly once");
}

Test(faults, sigkill_under_load_loses_nothing_acknowledged)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    liftd_start(&d, conninfo, NULL, NULL);
    int cycles = full() ? 5 : 1;
    for (int c = 0; c < cycles; c++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "k%d", c);
        load *l = load_start(d.port, full() ? 8 : 4, 1, prefix);
        nap_ms(full() ? 2000 : 700);
        kill(d.pid, SIGKILL);
        waitpid(d.pid, NULL, 0);
        d.pid = 0;
        load_stats st;
        load_stop(l, &st);
        cr_assert_gt(st.acked, 0, "no load before the kill");
        cr_assert_eq(st.other, 0);
        /* Restart on the same home (the spool survives), then check and retry. */
        lift_httpc_close(d.http);
        d.http = NULL;
        liftd_start(&d, conninfo, NULL, NULL);
        check_nothing_lost(&st, prefix, d.port);
        cr_log_info("SIGKILL %d: %ld events acknowledged, %ld batches unanswered (retried: "
                    "each stored once)",
                    c + 1, st.acked, st.lost);
        load_stats_fini(&st);
    }
}

Test(faults, sigterm_under_load_exits_0_in_time_and_loses_nothing_acknowledged)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    liftd_start(&d, conninfo, NULL, NULL);
    load *l = load_start(d.port, full() ? 8 : 4, 1, "term");
    nap_ms(full() ? 3000 : 800);
    int64_t t0 = lift_time_mono();
    int status = liftd_stop(&d, SIGTERM);
    double took = (double)(lift_time_mono() - t0) / 1e6;
    load_stats st;
    load_stop(l, &st);
    cr_assert_eq(status, 0, "exit status %d", status);
    cr_assert_lt(took, 10, "shutdown took %.1f s", took);
    cr_assert_gt(st.acked, 1000, "only %ld events acknowledged before the signal", st.acked);
    cr_assert_eq(load_missing(db, &st.acked_ids), 0, "acknowledged events are missing");
    liftd_start(&d, conninfo, NULL, NULL);
    check_nothing_lost(&st, "term", d.port);
    cr_log_info("SIGTERM after %ld acknowledged events: exit 0 in %.2f s, none lost", st.acked,
                took);
    load_stats_fini(&st);
}

/* --- PostgreSQL stopped and restarted: a cluster of the test's own ------------------- */

static void pg_ctl(const char *what)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "LIFT_HOME='%s' LIFT_PG_FAST=1 %s db %s >>'%s/db.log' 2>&1", pg_home,
             pgtest_bin("liftctl"), what, pg_home);
    cr_assert_eq(system(cmd), 0, "liftctl db %s failed (see %s/db.log)", what, pg_home);
}

/* Starts the private cluster; sets conninfo to its database "lift" and migrates it. */
static void own_cluster(void)
{
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(pg_home, sizeof pg_home, "%s/faultpg-%d", tmp ? tmp : "/tmp", (int)getpid());
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && chmod 755 '%s'", pg_home, pg_home);
    cr_assert_eq(system(cmd), 0);
    pg_ctl("start");
    snprintf(conninfo, sizeof conninfo, "host=%s/pg port=5432 user=lift dbname=lift", pg_home);
    snprintf(cmd, sizeof cmd, "LIFT_DATABASE_URL='%s' %s db migrate >>'%s/db.log' 2>&1", conninfo,
             pgtest_bin("liftctl"), pg_home);
    cr_assert_eq(system(cmd), 0, "migrate failed (see %s/db.log)", pg_home);
    lift_err err;
    db = lift_db_open(conninfo, &err);
    cr_assert(db, "%s", err.msg);
    pgtest_ok(db, PGTEST_RECS);
}

static void own_cluster_stop(void)
{
    lift_db_close(db);
    db = NULL;
    pg_ctl("stop");
    pg_home[0] = '\0';
}

/* Seconds until a one-event POST is answered 202 (up to 30 s). */
static double until_ingesting(void)
{
    int64_t t0 = lift_time_mono();
    static const char *const h[] = {"Content-Type: application/json",
                                    "Authorization: Bearer " TEST_KEY, NULL};
    const char *body =
        "{\"events\":[{\"event_id\":\"probe\",\"unit\":\"p\",\"type\":\"page_view\"}]}";
    while (lift_time_mono() - t0 < 30000000) {
        if (liftd_post_with(&d, "/v1/events", h, body, strlen(body), &r) == 202)
            return (double)(lift_time_mono() - t0) / 1e6;
        nap_ms(50);
    }
    cr_assert_fail("ingestion did not recover within 30 s");
    return -1;
}

Test(faults, database_restart_under_mixed_load)
{
    own_cluster();
    liftd_start(&d, conninfo, NULL, NULL);
    int cycles = full() ? 3 : 1;
    for (int c = 0; c < cycles; c++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "pg%d", c);
        load *l = load_start(d.port, 3, 2, prefix);
        nap_ms(800);
        lift_db_close(db);
        db = NULL;
        pg_ctl("stop");
        nap_ms(full() ? 5000 : 2000);
        /* Down: not ready, POSTs refused with Retry-After, assignments still answered. */
        cr_assert_eq(liftd_get(&d, "/readyz", &r), 503, "%s", r.body.data);
        cr_assert_eq(liftd_get(&d, "/v1/assign?unit=while-down", &r), 200);
        pg_ctl("start");
        double recovered = until_ingesting();
        nap_ms(800);
        load_stats st;
        load_stop(l, &st);
        lift_err err;
        db = lift_db_open(conninfo, &err);
        cr_assert(db, "%s", err.msg);
        cr_assert_eq(st.assigns_failed, 0, "%ld assignments failed", st.assigns_failed);
        cr_assert_gt(st.refused, 0, "no POST was refused while the database was down");
        cr_assert_eq(st.other, 0);
        cr_assert_leq(recovered, 5.0, "ingestion recovered %.2f s after the database", recovered);
        check_nothing_lost(&st, prefix, d.port);
        /* The exposures of the assignments answered while it was down were spooled, then
         * replayed: one per assignment. */
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM lift.exposures WHERE unit LIKE '%s-a%%'",
                 prefix);
        long exposures = 0;
        for (int i = 0; i < 200 && (exposures = count(sql)) < st.assigns_ok; i++)
            nap_ms(50);
        cr_assert_eq(exposures, st.assigns_ok, "exposures stored %ld of %ld", exposures,
                     st.assigns_ok);
        cr_log_info("database restart %d: %ld assignments (0 failed), %ld batches refused "
                    "while down, ingesting again %.2f s after the database, %ld exposures "
                    "replayed from the spool",
                    c + 1, st.assigns_ok, st.refused, recovered, exposures);
        load_stats_fini(&st);
    }
    cr_assert(liftd_log_has(&d, "spool replayed rows="));
    liftd_stop(&d, SIGTERM);
    own_cluster_stop();
}

/* --- the spool's disk full -------------------------------------------------------- */

static long metric(const char *name)
{
    cr_assert_eq(liftd_get(&d, "/metrics", &r), 200);
    const char *at = strstr(r.body.data, name);
    while (at && (at == r.body.data || at[-1] != '\n'))
        at = strstr(at + 1, name);
    cr_assert(at, "no metric %s", name);
    return atol(at + strlen(name) + 1);
}

Test(faults, spool_disk_full_is_reported_and_serving_goes_on)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    liftd_start(&d, conninfo, NULL, NULL); /* caches the config for the next start */
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    /* No database: every exposure goes to the spool, which may not grow past 64 KiB and is
     * found with 23 bytes left (1337 rows of 49 bytes), less than any row: every write is
     * refused. (Left to fill up with traffic, a later, smaller write may still fit, and
     * the spool then rightly says it takes writes again; test_spool covers that.) */
    char path[700];
    snprintf(path, sizeof path, "%s/spool", d.home);
    mkdir(path, 0750);
    snprintf(path, sizeof path, "%s/spool/exposures.csv", d.home);
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    for (int k = 0; k < 1337; k++)
        fprintf(f, "pf-%06d,u,recs,control,1,2026-11-21T10:00:00Z,\n", k);
    cr_assert_eq(ftell(f), 65513);
    fclose(f);
    const char *bad[] = {"--db", "host=/nonexistent port=1 dbname=lift", NULL};
    d.fsize_limit = 64 * 1024;
    liftd_start(&d, conninfo, bad, NULL);
    int i = 0;
    for (; i < 5000 && !liftd_log_has(&d, "write failed"); i++) {
        char target[64];
        snprintf(target, sizeof target, "/v1/assign?unit=full-%d", i);
        cr_assert_eq(liftd_get(&d, target, &r), 200, "assignment %d: %s", i, r.body.data);
        if (i % 100 == 99)
            nap_ms(20); /* let the writer spool */
    }
    nap_ms(300);
    cr_assert(liftd_log_has(&d, "exposures are being dropped"), "no log line after %d", i);
    cr_assert_gt(metric("lift_spool_errors_total"), 0);
    cr_assert_gt(metric("lift_dropped_rows_total"), 0);
    cr_assert_eq(metric("lift_spool_ok"), 0);
    cr_assert_eq(liftd_get(&d, "/readyz", &r), 503);
    cr_assert(strstr(r.body.data, "disk full"), "%s", r.body.data);
    /* Still serving, and alive. */
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=after-full", &r), 200);
    cr_assert_eq(kill(d.pid, 0), 0);
    cr_log_info("spool full after %d assignments: logged, counted, /readyz 503, still serving", i);
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
}
