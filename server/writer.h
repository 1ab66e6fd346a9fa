/* The writer: one thread that commits exposures and events to PostgreSQL in batches with
 * COPY. POST batches (jobs) are written at once, and the jobs that arrive meanwhile make
 * the next transaction; /v1/assign's exposures are gathered up to batch_rows rows or
 * batch_ms, whichever comes first.
 *  - Jobs are acknowledged only after COMMIT, with how many rows were new. They are
 *    COPYed straight into their table; if that meets an event_id already stored (a
 *    re-sent batch), the transaction rolls back to a savepoint and takes each job through
 *    a staging table and INSERT ... ON CONFLICT DO NOTHING, so nothing is stored twice.
 *  - Exposures logged by /v1/assign are fire-and-forget: over the queue limit, or while
 *    the database is away, they go to the spool and are replayed later, in order. */
#ifndef LIFT_WRITER_H
#define LIFT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lift/err.h"
#include "lift/text.h"
#include "metrics.h"
#include "options.h"
#include "spool.h"

typedef enum { LIFT_TABLE_EXPOSURES = 0, LIFT_TABLE_EVENTS = 1 } lift_table;

typedef struct lift_job lift_job;

/* Called once, from the writer's thread, when the job is committed or has failed. */
typedef void (*lift_job_done)(lift_job *job);

struct lift_job {
    lift_table table;
    lift_buf rows; /* CSV rows in the table's columns (see lift_ingest) */
    size_t nrows;
    lift_job_done done;
    void *arg;
    /* The outcome, set before done(): 202 committed, 503 database away, 500 refused. */
    int status;
    long accepted, duplicates;
    char message[200];
    lift_job *next;
};

typedef struct lift_writer lift_writer;

/* Connects at once (so the first POSTs are not refused while the thread starts), then
 * starts the thread, which reconnects whenever the connection is lost. NULL only when the
 * thread cannot start. */
lift_writer *lift_writer_start(const lift_options *opts, const char *conninfo, lift_spool *spool,
                               lift_metrics *m, lift_err *err);

/* Queues a job. LIFT_OK: done() will be called exactly once. LIFT_EUNAVAIL (database
 * away, queue full, shutting down): nothing was queued and done() is never called. */
int lift_writer_submit(lift_writer *w, lift_job *job, lift_err *err);

/* Exposure rows from /v1/assign (columns of LIFT_EXPOSURE_COLUMNS, no job id). Never
 * blocks on the database: what cannot be queued goes to the spool. Returns true when the
 * rows were queued or spooled, false when they were dropped (the spool refused them). */
bool lift_writer_exposures(lift_writer *w, const char *rows, size_t len, size_t nrows);

/* Whether the writer is connected to the database. */
bool lift_writer_up(lift_writer *w);

/* Stops taking jobs, commits what is queued (failing jobs with 503 and spooling exposures
 * if the database is away), and joins the thread. NULL is a no-op. */
void lift_writer_stop(lift_writer *w);

#endif
