/* Config reload: a thread that LISTENs on lift_config and publishes a new snapshot within
 * a second of a committed change. The last good config is kept in a cache file, so a
 * restart while the database is away still serves it. */
#ifndef LIFT_RELOAD_H
#define LIFT_RELOAD_H

#include <stdbool.h>

#include "lift/err.h"
#include "metrics.h"
#include "snapshot.h"

typedef struct lift_reloader lift_reloader;

/* Loads the config once (from the database, else from cache_path), then starts the
 * thread. Succeeds without a config when neither is available: the thread keeps trying
 * and /readyz says not ready meanwhile. NULL only when the thread cannot start. */
lift_reloader *lift_reloader_start(const char *conninfo, const char *cache_path,
                                   lift_snapshots *snaps, lift_metrics *m, lift_err *err);

/* Stops and joins the thread; NULL is a no-op. */
void lift_reloader_stop(lift_reloader *r);

/* Whether the listening connection is up. */
bool lift_reloader_connected(lift_reloader *r);

#endif
