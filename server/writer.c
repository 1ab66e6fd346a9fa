/* The writer thread: batches, COPY, staging tables, acknowledgements, spool replay. */
#include "writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/db.h"
#include "lift/log.h"
#include "lift/rows.h"

#define RETRY_MS     250       /* reconnect interval while the database is away */
#define REPLAY_CHUNK (1 << 20) /* spool bytes per replay transaction */

static const char SQL_STAGING[] =
    "CREATE TEMP TABLE IF NOT EXISTS staging_events (" LIFT_EVENT_COLUMN_DEFS
    ") ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS staging_exposures (" LIFT_EXPOSURE_COLUMN_DEFS
    ") ON COMMIT DELETE ROWS";

/* Per table: COPY straight in, COPY into staging, the move out of staging, clearing it. */
static const struct {
    const char *copy, *copy_staging, *insert_staged, *clear;
} SQL[2] = {
    [LIFT_TABLE_EXPOSURES] = {"COPY lift.exposures (" LIFT_EXPOSURE_COLUMNS
                              ") FROM STDIN (FORMAT csv)",
                              "COPY pg_temp.staging_exposures (" LIFT_EXPOSURE_COLUMNS
                              ") FROM STDIN (FORMAT csv)",
                              "INSERT INTO lift.exposures (" LIFT_EXPOSURE_COLUMNS
                              ") SELECT " LIFT_EXPOSURE_COLUMNS
                              " FROM pg_temp.staging_exposures ON CONFLICT DO NOTHING",
                              "TRUNCATE pg_temp.staging_exposures"},
    [LIFT_TABLE_EVENTS] = {"COPY lift.events (" LIFT_EVENT_COLUMNS ") FROM STDIN (FORMAT csv)",
                           "COPY pg_temp.staging_events (" LIFT_EVENT_COLUMNS
                           ") FROM STDIN (FORMAT csv)",
                           "INSERT INTO lift.events (" LIFT_EVENT_COLUMNS
                           ") SELECT " LIFT_EVENT_COLUMNS " FROM pg_temp.staging_events",
                           "TRUNCATE pg_temp.staging_events"},
};

/* With the exposure log off (lift.settings.exposure_log, migration 0013), exposures are
 * COPYed into staging and merged into lift.assignments from there: nothing is written to
 * the log. */
static const char SQL_LOG_ON[] = "SELECT exposure_log FROM lift.settings";
static const char SQL_MERGE_STAGED[] =
    "SELECT lift.assignments_merge(ARRAY(SELECT ROW(" LIFT_EXPOSURE_COLUMNS
    ")::lift.exposure_row FROM pg_temp.staging_exposures))";

#define UNIQUE_VIOLATION      "23505"
#define DEADLOCK              "40P01"
#define SERIALIZATION_FAILURE "40001"
#define TX_RETRIES            5 /* attempts after the first, for retryable() failures */

/* Live exposure rows are queued in chunks of up to batch_rows rows, so that one transaction
 * takes a bounded slice of a backlog and a waiting POST is never stuck behind all of it. */
typedef struct chunk {
    struct chunk *next;
    lift_buf rows;
    size_t nrows;
} chunk;

struct lift_writer {
    const lift_options *opts;
    char conninfo[1024];
    lift_spool *spool;
    lift_metrics *m;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* Under lock: */
    lift_job *head, *tail;
    size_t job_rows;
    chunk *live, *live_tail; /* live rows from /v1/assign, oldest first */
    chunk *spare;            /* emptied chunks, reused */
    size_t exposure_rows;
    int64_t first_at; /* when the oldest queued row arrived (monotonic us; 0: none) */
    bool stopping;
    /* The writer thread's own: */
    lift_db *db;
    int64_t next_connect;
    int64_t next_maintain;             /* when lift.maintain() is due (monotonic us; 0: at once) */
    char last_error[LIFT_ERR_MSG_LEN]; /* logged once until it changes or a connect works */
    atomic_bool up;
};

static void set_up(lift_writer *w, bool up)
{
    atomic_store(&w->up, up);
    atomic_store(&w->m->db_up, up);
}

static void drop_connection(lift_writer *w, const char *why)
{
    lift_log(LIFT_LOG_WARN,
             "writer lost the database: %s; POSTs get 503 and exposures go to "
             "the spool until it is back",
             why);
    lift_db_close(w->db);
    w->db = NULL;
    set_up(w, false);
    w->next_connect = lift_time_mono() + RETRY_MS * 1000;
}

/* liftd needs to append facts and read config, nothing more (docs/operations.md, Roles):
 * say so when its role could also change config, as the owner or a superuser can. */
static void warn_if_privileged(lift_db *db)
{
    lift_err err;
    PGresult *r = lift_db_exec(db,
                               "SELECT current_user AS role,"
                               "  has_table_privilege('lift.experiments', 'UPDATE') AS config",
                               0, NULL, NULL, &err);
    if (r && !strcmp(lift_db_text(r, 0, "config"), "t"))
        lift_log(LIFT_LOG_WARN,
                 "writer: connected as role %s, which can change the config; give liftd the "
                 "role lift_writer (LIFTD_DATABASE_URL=...user=lift_writer, liftctl db roles)",
                 lift_db_text(r, 0, "role"));
    PQclear(r);
}

static void connect_db(lift_writer *w)
{
    if (w->db || lift_time_mono() < w->next_connect)
        return;
    lift_err err;
    w->db = lift_db_open(w->conninfo, &err);
    if (w->db && lift_db_script(w->db, SQL_STAGING, &err) != LIFT_OK) {
        lift_log(LIFT_LOG_ERROR, "writer cannot create its staging tables: %s", err.msg);
        lift_db_close(w->db);
        w->db = NULL;
    }
    if (!w->db) {
        if (strcmp(err.msg, w->last_error) != 0)
            lift_log(LIFT_LOG_WARN, "writer: %s", err.msg);
        snprintf(w->last_error, sizeof w->last_error, "%s", err.msg);
        w->next_connect = lift_time_mono() + RETRY_MS * 1000;
        return;
    }
    w->last_error[0] = '\0';
    warn_if_privileged(w->db);
    set_up(w, true);
    lift_log(LIFT_LOG_INFO, "writer connected");
}

static void finish(lift_job *job, int status, const char *message)
{
    job->status = status;
    snprintf(job->message, sizeof job->message, "%s", message);
    job->done(job);
}

static void fail_jobs(lift_job *jobs, int status, const char *message)
{
    while (jobs) {
        lift_job *next = jobs->next;
        finish(jobs, status, message);
        jobs = next;
    }
}

static size_t count_rows(const char *s, size_t len)
{
    size_t n = 0;
    for (const char *p = s; (p = memchr(p, '\n', (size_t)(s + len - p))) != NULL; p++)
        n++;
    return n;
}

/* Streams every job of `table` (and the live chunks, for exposures) into one COPY. */
static int copy_rows(lift_writer *w, const char *sql, lift_job *jobs, lift_table table,
                     const chunk *live, lift_err *err)
{
    int rc = lift_db_copy_start(w->db, sql, err), put = rc;
    for (const chunk *c = live; c && put == LIFT_OK; c = c->next)
        put = lift_db_copy_put(w->db, c->rows.data, c->rows.len, err);
    for (lift_job *j = jobs; j && put == LIFT_OK; j = j->next)
        if (j->table == table)
            put = lift_db_copy_put(w->db, j->rows.data, j->rows.len, err);
    return rc == LIFT_OK ? lift_db_copy_end(w->db, put, err) : rc;
}

/* The slow path for one job: staging, INSERT ... ON CONFLICT DO NOTHING, counts. */
static int staged(lift_writer *w, lift_job *j, lift_err *err)
{
    lift_job *next = j->next;
    j->next = NULL; /* copy_rows takes this job alone */
    int rc = copy_rows(w, SQL[j->table].copy_staging, j, j->table, NULL, err);
    j->next = next;
    /* The id registries of lift.events and lift.exposures (migrations 0010, 0013) skip a
     * stored event_id instead of refusing it, for this insert only: the next table's fast
     * path relies on a duplicate being refused. */
    if (rc == LIFT_OK)
        rc = lift_db_script(w->db, "SET LOCAL lift.on_duplicate = 'skip'", err);
    PGresult *r =
        rc == LIFT_OK ? lift_db_exec(w->db, SQL[j->table].insert_staged, 0, NULL, NULL, err) : NULL;
    if (rc == LIFT_OK && !r)
        rc = LIFT_EDB;
    if (r) {
        j->accepted = atol(PQcmdTuples(r));
        j->duplicates = (long)j->nrows - j->accepted;
        PQclear(r);
    }
    if (rc == LIFT_OK)
        rc = lift_db_script(w->db, "SET LOCAL lift.on_duplicate = 'refuse'", err);
    return rc == LIFT_OK ? lift_db_script(w->db, SQL[j->table].clear, err) : rc;
}

/* The end of a write transaction: COMMIT when every step worked, else ROLLBACK; state gets
 * the SQLSTATE the transaction ended with (to tell a retryable failure). */
static int end_transaction(lift_writer *w, int rc, char state[6], lift_err *err)
{
    if (rc == LIFT_OK)
        rc = lift_db_script(w->db, "COMMIT", err);
    memcpy(state, lift_db_sqlstate(w->db), 6);
    if (rc != LIFT_OK && lift_db_alive(w->db))
        (void)lift_db_script(w->db, "ROLLBACK", NULL);
    return rc;
}

/* Whether the exposure log is on (read in the current transaction); true when unsure. */
static int log_on(lift_writer *w, bool *on, lift_err *err)
{
    PGresult *r = lift_db_exec(w->db, SQL_LOG_ON, 0, NULL, NULL, err);
    if (!r)
        return LIFT_EDB;
    *on = PQntuples(r) == 0 || strcmp(lift_db_text(r, 0, "exposure_log"), "f") != 0;
    PQclear(r);
    return LIFT_OK;
}

/* The exposure log off: every exposure (live rows and the jobs') into staging, merged from
 * there. A re-sent exposure cannot be told apart, so each job's rows all count as accepted. */
static int merge_unlogged(lift_writer *w, lift_job *jobs, const chunk *live, lift_err *err)
{
    int rc =
        copy_rows(w, SQL[LIFT_TABLE_EXPOSURES].copy_staging, jobs, LIFT_TABLE_EXPOSURES, live, err);
    PGresult *r = rc == LIFT_OK ? lift_db_exec(w->db, SQL_MERGE_STAGED, 0, NULL, NULL, err) : NULL;
    if (rc == LIFT_OK && !r)
        rc = LIFT_EDB;
    PQclear(r);
    for (lift_job *j = jobs; j && rc == LIFT_OK; j = j->next)
        if (j->table == LIFT_TABLE_EXPOSURES)
            j->accepted = (long)j->nrows, j->duplicates = 0;
    return rc; /* staging is emptied at COMMIT (ON COMMIT DELETE ROWS) */
}

/* One transaction: live exposures straight into lift.exposures; each table's jobs straight
 * in too, or, when that meets a stored event_id, job by job through staging. With the
 * exposure log off, exposures go through merge_unlogged() instead. Fills each job's counts;
 * does not call done(). */
static int transaction(lift_writer *w, lift_job *jobs, const chunk *live, char state[6],
                       lift_err *err)
{
    int rc = lift_db_script(w->db, "BEGIN", err);
    bool any_exposures = live != NULL, logged = true;
    for (lift_job *j = jobs; j && !any_exposures; j = j->next)
        any_exposures = j->table == LIFT_TABLE_EXPOSURES;
    if (rc == LIFT_OK && any_exposures)
        rc = log_on(w, &logged, err);
    if (rc == LIFT_OK && !logged)
        rc = merge_unlogged(w, jobs, live, err);
    else if (rc == LIFT_OK && live)
        rc = copy_rows(w, SQL[LIFT_TABLE_EXPOSURES].copy, NULL, LIFT_TABLE_EXPOSURES, live, err);
    for (int t = 0; t < 2 && rc == LIFT_OK; t++) {
        bool any = false;
        for (lift_job *j = jobs; j && !any; j = j->next)
            any = j->table == (lift_table)t;
        if (!any || (t == LIFT_TABLE_EXPOSURES && !logged))
            continue;
        rc = lift_db_script(w->db, "SAVEPOINT fast", err);
        if (rc == LIFT_OK)
            rc = copy_rows(w, SQL[t].copy, jobs, (lift_table)t, NULL, err);
        if (rc == LIFT_OK) {
            for (lift_job *j = jobs; j; j = j->next)
                if (j->table == (lift_table)t)
                    j->accepted = (long)j->nrows, j->duplicates = 0;
            rc = lift_db_script(w->db, "RELEASE SAVEPOINT fast", err);
        } else if (!strcmp(lift_db_sqlstate(w->db), UNIQUE_VIOLATION) && lift_db_alive(w->db)) {
            rc = lift_db_script(w->db, "ROLLBACK TO SAVEPOINT fast", err);
            for (lift_job *j = jobs; j && rc == LIFT_OK; j = j->next)
                if (j->table == (lift_table)t)
                    rc = staged(w, j, err);
        }
    }
    return end_transaction(w, rc, state, err);
}

/* Two writers (liftd replicas, a replay) merging the same shoppers into lift.assignments
 * can meet a deadlock or, at a stricter isolation level, a serialization failure: both
 * mean "run it again". */
static bool retryable(const char state[6])
{
    return !strcmp(state, DEADLOCK) || !strcmp(state, SERIALIZATION_FAILURE);
}

/* Runs transaction(), again (a few times, after a short pause) when it met a deadlock or
 * a serialization failure. */
static int transaction_retrying(lift_writer *w, lift_job *jobs, const chunk *live, lift_err *err)
{
    char state[6];
    int rc = transaction(w, jobs, live, state, err);
    for (int attempt = 1;
         rc != LIFT_OK && attempt <= TX_RETRIES && retryable(state) && lift_db_alive(w->db);
         attempt++) {
        atomic_fetch_add(&w->m->tx_retries, 1);
        lift_log(LIFT_LOG_INFO, "writer: transaction retried attempt=%d: %s", attempt, err->msg);
        nanosleep(&(struct timespec){0, attempt * 5 * 1000000L}, NULL);
        rc = transaction(w, jobs, live, state, err);
    }
    return rc;
}

static void spool_live(lift_writer *w, const chunk *live)
{
    for (const chunk *c = live; c; c = c->next)
        lift_spool_append(w->spool, c->rows.data, c->rows.len, c->nrows);
}

/* Commits a batch; on a refusal that is not a lost connection, retries each part alone so
 * that one bad part does not fail the others. Calls every job's done(). */
static void commit(lift_writer *w, lift_job *jobs, const chunk *live, size_t live_rows)
{
    if (!w->db) {
        fail_jobs(jobs, 503, "the database is unavailable; retry later");
        spool_live(w, live);
        return;
    }
    lift_err err;
    int64_t t0 = lift_time_mono();
    if (transaction_retrying(w, jobs, live, &err) == LIFT_OK) {
        atomic_fetch_add(&w->m->batches, 1);
        atomic_fetch_add(&w->m->rows_committed[LIFT_TABLE_EXPOSURES], live_rows);
        for (lift_job *j = jobs; j; j = j->next) {
            atomic_fetch_add(&w->m->rows_committed[j->table], (unsigned long)j->accepted);
            atomic_fetch_add(&w->m->duplicates, (unsigned long)j->duplicates);
        }
        lift_log(LIFT_LOG_DEBUG, "batch committed live_exposures=%zu ms=%.1f", live_rows,
                 (double)(lift_time_mono() - t0) / 1000);
        while (jobs) {
            lift_job *next = jobs->next;
            finish(jobs, 202, "");
            jobs = next;
        }
        return;
    }
    atomic_fetch_add(&w->m->batch_failures, 1);
    if (!lift_db_alive(w->db)) {
        drop_connection(w, err.msg);
        fail_jobs(jobs, 503, "the database is unavailable; retry later");
        spool_live(w, live);
        return;
    }
    int parts = live_rows > 0;
    for (lift_job *j = jobs; j; j = j->next)
        parts++;
    if (parts > 1) {
        lift_log(LIFT_LOG_WARN, "batch refused, retrying its parts one by one: %s", err.msg);
        if (live_rows)
            commit(w, NULL, live, live_rows);
        while (jobs) {
            lift_job *next = jobs->next;
            jobs->next = NULL;
            commit(w, jobs, NULL, 0);
            jobs = next;
        }
        return;
    }
    if (jobs) {
        lift_log(LIFT_LOG_WARN, "batch refused rows=%zu: %s", jobs->nrows, err.msg);
        char msg[200];
        snprintf(msg, sizeof msg, "the database refused the batch: %.160s", err.msg);
        finish(jobs, 500, msg);
    } else {
        /* Our own rows, refused: no retry can fix them; count and say so. */
        atomic_fetch_add(&w->m->dropped_rows, live_rows);
        lift_log(LIFT_LOG_ERROR, "exposures refused rows=%zu (dropped): %s", live_rows, err.msg);
    }
}

/* One replay transaction: the spooled rows through staging (a row already stored is not
 * stored, nor merged, twice; with the log off, merged from staging). Rolls back on failure,
 * the SQLSTATE in state. */
static int replay_tx(lift_writer *w, const lift_buf *slice, char state[6], lift_err *err)
{
    bool logged = true;
    int rc = lift_db_script(w->db, "BEGIN", err);
    if (rc == LIFT_OK)
        rc = log_on(w, &logged, err);
    if (rc == LIFT_OK)
        rc = lift_db_copy(w->db, SQL[LIFT_TABLE_EXPOSURES].copy_staging, slice->data, slice->len,
                          err);
    if (rc == LIFT_OK && logged)
        rc = lift_db_script(w->db, "SET LOCAL lift.on_duplicate = 'skip'", err);
    PGresult *r = rc == LIFT_OK ? lift_db_exec(w->db,
                                               logged ? SQL[LIFT_TABLE_EXPOSURES].insert_staged
                                                      : SQL_MERGE_STAGED,
                                               0, NULL, NULL, err)
                                : NULL;
    if (rc == LIFT_OK && !r)
        rc = LIFT_EDB;
    PQclear(r);
    return end_transaction(w, rc, state, err);
}

/* Replays one chunk of the spool. */
static void replay(lift_writer *w)
{
    lift_buf slice;
    lift_buf_init(&slice);
    size_t n = lift_spool_read(w->spool, &slice, REPLAY_CHUNK);
    if (n == 0) {
        lift_buf_fini(&slice);
        return;
    }
    size_t rows = count_rows(slice.data, slice.len);
    lift_err err;
    char state[6];
    int rc = replay_tx(w, &slice, state, &err);
    for (int attempt = 1;
         rc != LIFT_OK && attempt <= TX_RETRIES && retryable(state) && lift_db_alive(w->db);
         attempt++) {
        atomic_fetch_add(&w->m->tx_retries, 1);
        nanosleep(&(struct timespec){0, attempt * 5 * 1000000L}, NULL);
        rc = replay_tx(w, &slice, state, &err);
    }
    if (rc == LIFT_OK) {
        lift_spool_done(w->spool, n);
        atomic_fetch_add(&w->m->replayed_rows, rows);
        lift_log(LIFT_LOG_INFO, "spool replayed rows=%zu pending_bytes=%zu", rows,
                 lift_spool_pending(w->spool));
    } else if (!lift_db_alive(w->db)) {
        drop_connection(w, err.msg);
    } else {
        lift_spool_done(w->spool, n); /* refused rows would block the spool forever */
        atomic_fetch_add(&w->m->dropped_rows, rows);
        lift_log(LIFT_LOG_ERROR, "spool rows refused by the database rows=%zu (dropped): %s", rows,
                 err.msg);
    }
    lift_buf_fini(&slice);
}

static void deadline_in(struct timespec *ts, int64_t us)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    int64_t ns = ts->tv_nsec + (us % 1000000) * 1000;
    ts->tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
}

/* Waits (lock held) until there is a batch to write, a reconnect to try, spool to replay
 * or a stop. */
static void wait_for_work(lift_writer *w)
{
    const int64_t window = w->opts->batch_ms * 1000;
    for (;;) {
        if (w->stopping)
            return;
        int64_t now = lift_time_mono(), wait;
        /* A POST is a batch already, and its client waits: write at once (jobs arriving
         * meanwhile make the next transaction: group commit under load). The window only
         * gathers /v1/assign's exposures, which come one request at a time. */
        if (w->head)
            return;
        if (w->exposure_rows) {
            if (w->exposure_rows >= (size_t)w->opts->batch_rows || now - w->first_at >= window)
                return;
            wait = w->first_at + window - now;
        } else if (!w->db) {
            if (now >= w->next_connect)
                return;
            wait = w->next_connect - now;
        } else if (lift_spool_pending(w->spool) > 0) {
            return;
        } else if (w->opts->maintain_interval > 0 && now >= w->next_maintain) {
            return;
        } else {
            wait = 1000000;
        }
        struct timespec ts;
        deadline_in(&ts, wait);
        pthread_cond_timedwait(&w->wake, &w->lock, &ts);
    }
}

/* Chunks go back to the spare list (a few are kept to avoid malloc churn). */
static void recycle(lift_writer *w, chunk *list)
{
    pthread_mutex_lock(&w->lock);
    int kept = 0;
    for (chunk *c = w->spare; c; c = c->next)
        kept++;
    while (list) {
        chunk *next = list->next;
        if (kept++ < 8) {
            lift_buf_reset(&list->rows);
            list->nrows = 0;
            list->next = w->spare;
            w->spare = list;
        } else {
            lift_buf_fini(&list->rows);
            free(list);
        }
        list = next;
    }
    pthread_mutex_unlock(&w->lock);
}

/* Takes chunks off the live queue's head (lock held) until `rows` rows are taken. */
static chunk *take_live(lift_writer *w, size_t rows, size_t *taken)
{
    chunk *list = NULL, **tail = &list;
    *taken = 0;
    while (w->live && *taken < rows) {
        chunk *c = w->live;
        w->live = c->next;
        if (!w->live)
            w->live_tail = NULL;
        c->next = NULL;
        *tail = c;
        tail = &c->next;
        *taken += c->nrows;
        w->exposure_rows -= c->nrows;
    }
    return list;
}

/* Upkeep: lift.maintain() creates the time partitions of lift.events ahead of time
 * (migration 0010), every --maintain-interval seconds, first right after connecting. A
 * failure (a database not migrated yet) is logged and tried again at the next interval. */
static void maintain(lift_writer *w)
{
    if (!w->db || w->opts->maintain_interval <= 0 || lift_time_mono() < w->next_maintain)
        return;
    w->next_maintain = lift_time_mono() + w->opts->maintain_interval * 1000000;
    lift_err err;
    PGresult *r = lift_db_exec(w->db, "SELECT lift.maintain() AS made", 0, NULL, NULL, &err);
    if (!r) {
        lift_log(LIFT_LOG_WARN, "upkeep: lift.maintain() failed: %s", err.msg);
        return;
    }
    if (atoi(lift_db_text(r, 0, "made")) > 0)
        lift_log(LIFT_LOG_INFO, "upkeep: partitions created=%s", lift_db_text(r, 0, "made"));
    PQclear(r);
}

static void *run(void *arg)
{
    lift_writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        wait_for_work(w);
        lift_job *jobs = w->head;
        w->head = w->tail = NULL;
        w->job_rows = 0;
        /* One transaction takes the jobs and up to batch_rows live rows; a backlog beyond
         * the queue limit goes to the spool (the oldest first, in large writes). */
        size_t live_rows, spilled_rows = 0;
        chunk *live = take_live(w, (size_t)w->opts->batch_rows, &live_rows);
        chunk *spill =
            w->exposure_rows > (size_t)w->opts->queue_rows
                ? take_live(w, w->exposure_rows - (size_t)w->opts->queue_rows, &spilled_rows)
                : NULL;
        w->first_at = w->live ? lift_time_mono() : 0;
        bool stopping = w->stopping;
        atomic_store(&w->m->queue_rows, (long)w->exposure_rows);
        pthread_mutex_unlock(&w->lock);

        spool_live(w, spill);
        recycle(w, spill);
        connect_db(w);
        maintain(w);
        if (jobs || live_rows)
            commit(w, jobs, live, live_rows);
        else if (w->db && !stopping)
            replay(w);
        recycle(w, live);
        if (stopping) {
            pthread_mutex_lock(&w->lock);
            bool empty = !w->head && !w->live;
            pthread_mutex_unlock(&w->lock);
            if (empty)
                break;
        }
    }
    lift_db_close(w->db);
    w->db = NULL;
    set_up(w, false);
    return NULL;
}

lift_writer *lift_writer_start(const lift_options *opts, const char *conninfo, lift_spool *spool,
                               lift_metrics *m, lift_err *err)
{
    lift_writer *w = calloc(1, sizeof *w);
    if (!w) {
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
        return NULL;
    }
    w->opts = opts;
    snprintf(w->conninfo, sizeof w->conninfo, "%s", conninfo);
    w->spool = spool;
    w->m = m;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    connect_db(w); /* so that the first POSTs are not refused while the thread starts */
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        lift_err_set(err, LIFT_EIO, "cannot start the writer thread");
        lift_db_close(w->db);
        free(w);
        return NULL;
    }
    return w;
}

static void mark_arrival(lift_writer *w)
{
    if (!w->first_at) {
        w->first_at = lift_time_mono();
        pthread_cond_signal(&w->wake);
    } else if (w->job_rows + w->exposure_rows >= (size_t)w->opts->batch_rows) {
        pthread_cond_signal(&w->wake);
    }
    atomic_store_explicit(&w->m->queue_rows, (long)(w->job_rows + w->exposure_rows),
                          memory_order_relaxed);
}

int lift_writer_submit(lift_writer *w, lift_job *job, lift_err *err)
{
    pthread_mutex_lock(&w->lock);
    int rc = LIFT_OK;
    if (w->stopping)
        rc = lift_err_set(err, LIFT_EUNAVAIL, "liftd is shutting down; retry later");
    else if (!atomic_load(&w->up))
        rc = lift_err_set(err, LIFT_EUNAVAIL, "the database is unavailable; retry later");
    else if (w->job_rows + w->exposure_rows + job->nrows > (size_t)w->opts->queue_rows)
        rc = lift_err_set(err, LIFT_EUNAVAIL, "the write queue is full; retry later");
    if (rc == LIFT_OK) {
        job->next = NULL;
        if (w->tail)
            w->tail->next = job;
        else
            w->head = job;
        w->tail = job;
        w->job_rows += job->nrows;
        mark_arrival(w);
        pthread_cond_signal(&w->wake); /* jobs are written at once, window or not */
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

bool lift_writer_exposures(lift_writer *w, const char *rows, size_t len, size_t nrows)
{
    atomic_fetch_add_explicit(&w->m->exposures_logged, nrows, memory_order_relaxed);
    pthread_mutex_lock(&w->lock);
    /* The writer spills a backlog beyond queue_rows to the spool in large writes; only past
     * twice that (the writer itself stuck) do request threads write it themselves. */
    bool queued = w->job_rows + w->exposure_rows + nrows <= 2 * (size_t)w->opts->queue_rows;
    chunk *c = w->live_tail;
    if (queued && (!c || c->nrows >= (size_t)w->opts->batch_rows)) {
        c = w->spare;
        if (c)
            w->spare = c->next;
        else if ((c = calloc(1, sizeof *c)) != NULL)
            lift_buf_init(&c->rows);
        if (c) {
            c->next = NULL;
            if (w->live_tail)
                w->live_tail->next = c;
            else
                w->live = c;
            w->live_tail = c;
        }
    }
    if (queued && c) {
        size_t before = c->rows.len;
        lift_buf_append(&c->rows, rows, len);
        if (c->rows.failed) { /* out of memory: keep what was there, spool these */
            c->rows.failed = false;
            c->rows.len = before;
            queued = false;
        } else {
            c->nrows += nrows;
            w->exposure_rows += nrows;
            mark_arrival(w);
        }
    } else {
        queued = false;
    }
    pthread_mutex_unlock(&w->lock);
    return queued || lift_spool_append(w->spool, rows, len, nrows);
}

bool lift_writer_up(lift_writer *w)
{
    return atomic_load(&w->up);
}

void lift_writer_stop(lift_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    for (chunk *c = w->spare, *next; c; c = next) {
        next = c->next;
        lift_buf_fini(&c->rows);
        free(c);
    }
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
