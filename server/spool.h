/* The exposure spool: an append-only file of COPY rows that liftd could not commit (the
 * database away, or the queue full), replayed in order once the database is back. Replay
 * is idempotent (ON CONFLICT DO NOTHING on event_id), so a crash mid-replay only repeats
 * rows the database then ignores. Thread-safe. */
#ifndef LIFT_SPOOL_H
#define LIFT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"
#include "lift/text.h"
#include "metrics.h"

typedef struct lift_spool lift_spool;

/* Opens (creating) dir/exposures.csv, creating dir and its parents; rows already in the
 * file are pending replay. Locks the folder (dir/liftd.lock): a second process opening
 * the same folder is refused, naming the first one's pid. */
lift_spool *lift_spool_open(const char *dir, lift_metrics *m, lift_err *err);
void lift_spool_close(lift_spool *s); /* NULL is a no-op */

/* Appends whole rows. When the disk refuses them (full, quota, file size limit) the file is
 * cut back to its last whole row, the rows are counted as dropped, one log line says so
 * (and another when writes succeed again), and false is returned. */
bool lift_spool_append(lift_spool *s, const char *rows, size_t len, size_t nrows);

/* Appends up to max bytes of whole pending rows to out; returns the bytes taken. */
size_t lift_spool_read(lift_spool *s, lift_buf *out, size_t max);

/* Marks n bytes (as returned by lift_spool_read) replayed; empties the file once all is. */
void lift_spool_done(lift_spool *s, size_t n);

/* Bytes waiting for replay; whether the last write succeeded. */
size_t lift_spool_pending(lift_spool *s);
bool lift_spool_ok(lift_spool *s);

#endif
