/* Rollup refresher: a thread of its own, with its own connection, that refreshes every
 * experiment's rollup (liftctl refresh's work, db/refresh.c) every --refresh-interval
 * seconds, so that reports read current per-shopper rows. Apart from the writer: a
 * refresh that takes seconds never holds up ingestion. */
#ifndef LIFT_SERVER_REFRESHER_H
#define LIFT_SERVER_REFRESHER_H

#include "lift/err.h"
#include "metrics.h"

typedef struct lift_refresher lift_refresher;

/* Starts the thread (its first refresh one interval after the start); interval 0: no
 * thread, and NULL is returned with err cleared. NULL with err set when it cannot start. */
lift_refresher *lift_refresher_start(const char *conninfo, long interval, lift_metrics *m,
                                     lift_err *err);

/* Cancels a refresh in progress (its transaction rolls back: nothing half done), stops
 * and joins the thread; NULL is a no-op. */
void lift_refresher_stop(lift_refresher *r);

#endif
