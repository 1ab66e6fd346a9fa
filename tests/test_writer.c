/* The writer (server/writer.h) against a real database from the harness: jobs acknowledged
 * once, after COMMIT, with the right counts; re-sent rows stored once; live exposures
 * committed within batch_ms (or at once at batch_rows); the database away (submit refused,
 * exposures to the spool); stop flushes what is queued; the spool replayed once it is up. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/writer.h"
#include "support/pgtest.h"

#define TS ",2026-11-21T10:00:00Z,"

/* A job that records how often, with what and when it was acknowledged. */
typedef struct test_job {
    lift_job job;
    atomic_int calls;
    long visible; /* its rows another session could read when done() ran */
} test_job;

static lift_db *db, *observer; /* observer: only done() uses it, on the writer's thread */
static char conninfo[1024], writer_conninfo[1200], spool_dir[512];
static lift_options opts;
static lift_metrics m;
static lift_spool *spool;
static lift_writer *w;

static void setup(void)
{
    static int serial;
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    lift_err err;
    observer = lift_db_open(conninfo, &err);
    cr_assert(observer, "%s", err.msg);
    pgtest_conninfo_as(conninfo, "lift_writer", writer_conninfo, sizeof writer_conninfo);
    char name[] = "liftd", *argv[] = {name, NULL};
    lift_options_action action;
    cr_assert_eq(lift_options_load(&opts, 1, argv, &action, &err), LIFT_OK, "%s", err.msg);
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(spool_dir, sizeof spool_dir, "%s/writer-spool-%d-%d", tmp && *tmp ? tmp : "/tmp",
             (int)getpid(), serial++);
    lift_metrics_init(&m);
    spool = lift_spool_open(spool_dir, &m, &err);
    cr_assert(spool, "%s", err.msg);
}

static void teardown(void)
{
    lift_writer_stop(w);
    w = NULL;
    lift_spool_close(spool);
    char path[600];
    snprintf(path, sizeof path, "%s/exposures.csv", spool_dir);
    unlink(path);
    rmdir(spool_dir);
    lift_db_close(observer);
    lift_db_close(db);
}

TestSuite(writer, .init = setup, .fini = teardown, .timeout = 60);

static void start(const char *ci)
{
    lift_err err;
    w = lift_writer_start(&opts, ci, spool, &m, &err);
    cr_assert(w, "%s", err.msg);
}

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

static int64_t ms_since(int64_t t0)
{
    return (lift_time_mono() - t0) / 1000;
}

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

/* Polls sql until it counts want rows; returns the milliseconds it took (fails after 10 s). */
static int64_t wait_count(const char *sql, long want)
{
    int64_t t0 = lift_time_mono();
    while (count(sql) != want) {
        cr_assert_lt(ms_since(t0), 10000, "%s: %ld rows, waited for %ld", sql, count(sql), want);
        sleep_ms(2);
    }
    return ms_since(t0);
}

static void job_done(lift_job *job)
{
    test_job *t = job->arg;
    /* Which of its event ids another session sees now: committed means all of them. */
    long visible = 0;
    const char *rows = job->rows.data, *end = rows + job->rows.len;
    while (rows < end) {
        const char *comma = strchr(rows, ','), *nl = strchr(rows, '\n');
        char id[64], sql[200];
        snprintf(id, sizeof id, "%.*s", (int)(comma - rows), rows);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM lift.%s WHERE event_id = $1",
                 job->table == LIFT_TABLE_EVENTS ? "events" : "exposures");
        const char *params[] = {id};
        PGresult *r = lift_db_exec(observer, sql, 1, params, NULL, NULL);
        visible += r ? atol(PQgetvalue(r, 0, 0)) : -1000;
        PQclear(r);
        rows = nl + 1;
    }
    t->visible = visible;
    atomic_fetch_add(&t->calls, 1);
}

static void job_init(test_job *t, lift_table table, const char *rows, size_t nrows)
{
    memset(t, 0, sizeof *t);
    t->job.table = table;
    lift_buf_init(&t->job.rows);
    lift_buf_puts(&t->job.rows, rows);
    t->job.nrows = nrows;
    t->job.done = job_done;
    t->job.arg = t;
}

static void submit(test_job *t)
{
    lift_err err;
    cr_assert_eq(lift_writer_submit(w, &t->job, &err), LIFT_OK, "%s", err.msg);
}

/* Waits for done(), then checks it came once, committed, with these counts. */
static void acknowledged(test_job *t, long accepted, long duplicates)
{
    int64_t t0 = lift_time_mono();
    while (atomic_load(&t->calls) == 0) {
        cr_assert_lt(ms_since(t0), 10000, "no acknowledgement in 10 s");
        sleep_ms(1);
    }
    sleep_ms(20);
    cr_assert_eq(atomic_load(&t->calls), 1, "done() called %d times", atomic_load(&t->calls));
    cr_assert_eq(t->job.status, 202, "%d %s", t->job.status, t->job.message);
    cr_assert_eq(t->job.accepted, accepted);
    cr_assert_eq(t->job.duplicates, duplicates);
    /* Every row of the job (new or already there) was readable when done() ran. */
    cr_assert_eq(t->visible, (long)t->job.nrows, "acknowledged before its rows were committed");
    lift_buf_fini(&t->job.rows);
}

Test(writer, acknowledges_jobs_once_after_commit)
{
    start(writer_conninfo);
    cr_assert(lift_writer_up(w));
    test_job ev, ex;
    job_init(&ev, LIFT_TABLE_EVENTS,
             "e1,alice,order,19.99,EUR" TS "\ne2,alice,refund,-5,EUR" TS "\n"
             "e3,bob,page_view,," TS "\"{\"\"page\"\":\"\"/\"\"}\"\n",
             3);
    job_init(&ex, LIFT_TABLE_EXPOSURES,
             "x1,alice,recs,control,1" TS "\nx2,bob,recs,personalized,1" TS "\"{\"\"d\"\":1}\"\n",
             2);
    submit(&ev);
    submit(&ex);
    acknowledged(&ev, 3, 0);
    acknowledged(&ex, 2, 0);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id || ':' || coalesce(value::text, "
                                      "'-') || ':' || coalesce(props->>'page', '-'), ',' ORDER BY "
                                      "event_id) FROM lift.events"),
                     "e1:19.99:-,e2:-5:-,e3:-:/");
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE attrs->>'d' = '1'"), 1);
    cr_assert_eq(atomic_load(&m.rows_committed[LIFT_TABLE_EVENTS]), 3);
    cr_assert_eq(atomic_load(&m.rows_committed[LIFT_TABLE_EXPOSURES]), 2);
    cr_assert_eq(atomic_load(&m.db_up), 1);
}

Test(writer, stores_resent_rows_once)
{
    start(writer_conninfo);
    test_job a, b, c, d, e;
    job_init(&a, LIFT_TABLE_EVENTS, "e1,u,t,," TS "\ne2,u,t,," TS "\n", 2);
    submit(&a);
    acknowledged(&a, 2, 0);
    /* Re-sent with one new row. */
    job_init(&b, LIFT_TABLE_EVENTS, "e1,u,t,," TS "\ne2,u,t,," TS "\ne3,u,t,," TS "\n", 3);
    submit(&b);
    acknowledged(&b, 1, 2);
    /* Two jobs sharing a row, submitted together (likely one transaction): the second
     * finds it stored by the first. */
    job_init(&c, LIFT_TABLE_EVENTS, "e4,u,t,," TS "\n", 1);
    job_init(&d, LIFT_TABLE_EVENTS, "e4,u,t,," TS "\ne5,u,t,," TS "\n", 2);
    submit(&c);
    submit(&d);
    acknowledged(&c, 1, 0);
    acknowledged(&d, 1, 1);
    /* The same id twice in one job. */
    job_init(&e, LIFT_TABLE_EVENTS, "e6,u,t,," TS "\ne6,u,t,," TS "\n", 2);
    submit(&e);
    acknowledged(&e, 1, 1);
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 6);
    cr_assert_eq(atomic_load(&m.duplicates), 4);
    cr_assert_eq(atomic_load(&m.rows_committed[LIFT_TABLE_EVENTS]), 6);
}

Test(writer, commits_live_exposures_within_batch_ms)
{
    opts.batch_ms = 300;
    start(writer_conninfo);
    static const char row[] = "live-1,alice,recs,control,1" TS "\n";
    int64_t t0 = lift_time_mono();
    lift_writer_exposures(w, row, strlen(row), 1);
    long early = count("SELECT count(*) FROM lift.exposures");
    /* Gathered for the window: not committed before it (when we looked soon enough). */
    if (ms_since(t0) < 280)
        cr_assert_eq(early, 0, "committed before batch_ms");
    wait_count("SELECT count(*) FROM lift.exposures WHERE event_id = 'live-1'", 1);
    int64_t took = ms_since(t0);
    cr_log_info("a live exposure committed after %ld ms (batch_ms 300)", (long)took);
    cr_assert_lt(took, 300 + 2000, "not committed within batch_ms (%ld ms)", (long)took);
    cr_assert_eq(atomic_load(&m.exposures_logged), 1);
}

Test(writer, commits_a_full_batch_without_waiting_for_the_window)
{
    opts.batch_ms = 10000;
    opts.batch_rows = 3;
    start(writer_conninfo);
    int64_t t0 = lift_time_mono();
    for (int i = 0; i < 3; i++) {
        char row[100];
        snprintf(row, sizeof row, "full-%d,u%d,recs,control,1" TS "\n", i, i);
        lift_writer_exposures(w, row, strlen(row), 1);
    }
    wait_count("SELECT count(*) FROM lift.exposures", 3);
    cr_assert_lt(ms_since(t0), 5000, "waited for the 10 s window");
}

Test(writer, refuses_jobs_and_spools_exposures_while_the_database_is_away)
{
    opts.batch_ms = 20;
    start("host=/nonexistent-lift-test port=5432 dbname=lift user=lift_writer connect_timeout=1");
    cr_assert_not(lift_writer_up(w));
    cr_assert_eq(atomic_load(&m.db_up), 0);
    test_job j;
    job_init(&j, LIFT_TABLE_EVENTS, "e1,u,t,," TS "\n", 1);
    lift_err err;
    cr_assert_eq(lift_writer_submit(w, &j.job, &err), LIFT_EUNAVAIL);
    cr_assert_str_eq(err.msg, "the database is unavailable; retry later");
    static const char rows[] = "s1,alice,recs,control,1" TS "\ns2,bob,recs,control,1" TS "\n";
    lift_writer_exposures(w, rows, strlen(rows), 2);
    int64_t t0 = lift_time_mono();
    while (lift_spool_pending(spool) < strlen(rows)) {
        cr_assert_lt(ms_since(t0), 10000, "the exposures did not reach the spool");
        sleep_ms(2);
    }
    /* Stopping spools what is still queued (or already spooled it). */
    static const char more[] = "s3,carol,recs,control,1" TS "\n";
    lift_writer_exposures(w, more, strlen(more), 1);
    lift_writer_stop(w);
    w = NULL;
    cr_assert_eq(atomic_load(&j.calls), 0, "done() called for a refused job");
    lift_buf b;
    lift_buf_init(&b);
    lift_spool_read(spool, &b, 1 << 20);
    cr_assert_str_eq(b.data, "s1,alice,recs,control,1" TS "\ns2,bob,recs,control,1" TS "\n"
                             "s3,carol,recs,control,1" TS "\n");
    cr_assert_eq(atomic_load(&m.spooled_rows), 3);
    lift_buf_fini(&b);
    lift_buf_fini(&j.job.rows);
}

Test(writer, stop_flushes_what_is_queued)
{
    opts.batch_ms = 10000;
    start(writer_conninfo);
    static const char rows[] = "q1,alice,recs,control,1" TS "\nq2,bob,recs,control,1" TS "\n";
    lift_writer_exposures(w, rows, strlen(rows), 2);
    test_job j;
    job_init(&j, LIFT_TABLE_EVENTS, "e1,u,t,," TS "\n", 1);
    submit(&j);
    int64_t t0 = lift_time_mono();
    lift_writer_stop(w);
    w = NULL;
    cr_assert_lt(ms_since(t0), 5000, "stop waited for the window");
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE event_id IN ('q1', 'q2')"), 2);
    acknowledged(&j, 1, 0);
    cr_assert_eq(lift_spool_pending(spool), 0);
    /* Once stopped, it takes nothing more (a new writer would). */
}

Test(writer, replays_the_spool_once_connected)
{
    pgtest_ok(db, "INSERT INTO lift.exposures (event_id, unit, experiment, variant, ts) VALUES "
                  "('r2', 'bob', 'recs', 'control', now())");
    static const char rows[] = "r1,alice,recs,control,1" TS "\nr2,bob,recs,control,1" TS "\n"
                               "r3,carol,recs,personalized,1" TS "\n";
    cr_assert(lift_spool_append(spool, rows, strlen(rows), 3));
    start(writer_conninfo);
    wait_count("SELECT count(*) FROM lift.exposures", 3);
    int64_t t0 = lift_time_mono();
    while (lift_spool_pending(spool) != 0) {
        cr_assert_lt(ms_since(t0), 10000, "the spool was not emptied");
        sleep_ms(2);
    }
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id || ':' || variant, ',' ORDER BY "
                                      "event_id) FROM lift.exposures"),
                     "r1:control,r2:control,r3:personalized");
    cr_assert_eq(atomic_load(&m.replayed_rows), 3);
}

/* The staging path skips duplicates for its own insert only: events' fast path in the same
 * transaction still meets (and counts) theirs. */
Test(writer, a_staged_exposure_job_leaves_event_duplicates_counted)
{
    start(writer_conninfo);
    test_job a, b, c, d;
    job_init(&a, LIFT_TABLE_EXPOSURES, "x1,alice,recs,control,1" TS "\n", 1);
    job_init(&b, LIFT_TABLE_EVENTS, "e1,alice,order,1,EUR" TS "\n", 1);
    submit(&a);
    submit(&b);
    acknowledged(&a, 1, 0);
    acknowledged(&b, 1, 0);
    /* Both re-sent together (one transaction): the exposure job goes through staging first. */
    job_init(&c, LIFT_TABLE_EXPOSURES, "x1,alice,recs,control,1" TS "\n", 1);
    job_init(&d, LIFT_TABLE_EVENTS, "e1,alice,order,1,EUR" TS "\n", 1);
    submit(&c);
    submit(&d);
    acknowledged(&c, 0, 1);
    acknowledged(&d, 0, 1);
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 1);
}

/* With the exposure log off (migration 0013): live rows, a job and the spool all merge into
 * lift.assignments and no row is stored; a job's rows all count as accepted. */
Test(writer, with_the_log_off_merges_live_rows_jobs_and_the_spool_and_stores_none)
{
    pgtest_ok(db, "UPDATE lift.settings SET exposure_log = false");
    static const char spooled[] = "r1,alice,recs,control,1,2026-11-21T10:00:00Z,\n"
                                  "r2,bob,recs,control,1,2026-11-21T10:00:00Z,\n"
                                  "r3,alice,recs,personalized,1,2026-11-21T09:00:00Z,\n";
    cr_assert(lift_spool_append(spool, spooled, strlen(spooled), 3));
    start(writer_conninfo);
    static const char live[] = "l1,carol,recs,control,1" TS "\n";
    lift_writer_exposures(w, live, strlen(live), 1);
    test_job j;
    job_init(&j, LIFT_TABLE_EXPOSURES,
             "j1,dave,recs,control,1" TS "\nj1,dave,recs,control,1" TS "\n", 2);
    submit(&j);
    wait_count("SELECT coalesce(sum(exposures), 0) FROM lift.assignments", 6);
    int64_t t0 = lift_time_mono();
    while (atomic_load(&j.calls) == 0 || lift_spool_pending(spool) != 0) {
        cr_assert_lt(ms_since(t0), 10000, "no acknowledgement or the spool not emptied");
        sleep_ms(2);
    }
    cr_assert_eq(j.job.status, 202, "%s", j.job.message);
    cr_assert_eq(j.job.accepted, 2);
    cr_assert_eq(j.job.duplicates, 0);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(unit || ':' || variant || ':' || first_id "
                                      "|| ':' || array_to_string(variants, '+') || ':' || "
                                      "exposures, ',' ORDER BY unit) FROM lift.assignments"),
                     "alice:personalized:r3:control+personalized:2,bob:control:r2:control:1,"
                     "carol:control:l1:control:1,dave:control:j1:control:2");
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 0);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposure_ids"), 0);
    cr_assert_eq(atomic_load(&m.replayed_rows), 3);
    lift_buf_fini(&j.job.rows);
}
