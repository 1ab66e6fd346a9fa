/* The project's private PostgreSQL cluster (liftctl db ...), or LIFT_DATABASE_URL. */
#ifndef LIFT_PGEMBED_H
#define LIFT_PGEMBED_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"

/* Where the database is. With LIFT_DATABASE_URL set, `external` is true and url is it.
 * Otherwise the cluster lives in $LIFT_HOME/pg (LIFT_HOME defaults to ./.lift), listens
 * only on a Unix socket in that folder, and url names database "lift" as role "lift". */
typedef struct lift_pg {
    bool external;
    char home[PATH_MAX];    /* absolute LIFT_HOME */
    char datadir[PATH_MAX]; /* the cluster's folder (socket folder too) */
    char url[PATH_MAX + 64];
} lift_pg;

/* Fills pg from the environment. Touches nothing on disk. */
int lift_pg_locate(lift_pg *pg, lift_err *err);

/* External: checks the server answers. Embedded: initdb on first use (as the `postgres`
 * system user when run as root, since initdb refuses root), starts the cluster if it is
 * not running, and creates database "lift". Safe to call when already running. */
int lift_pg_start(const lift_pg *pg, lift_err *err);

/* Stops the embedded cluster (fast shutdown); a no-op when it is not running or when the
 * server is external (lift does not manage servers it did not start). */
int lift_pg_stop(const lift_pg *pg, lift_err *err);

typedef enum { LIFT_PG_MISSING, LIFT_PG_STOPPED, LIFT_PG_RUNNING } lift_pg_state;

/* Embedded: whether the cluster exists and runs. External: RUNNING if it answers. */
lift_pg_state lift_pg_status(const lift_pg *pg);

/* The URL of the same database as another role (liftd connects as lift_writer). For an
 * external server the URL is returned unchanged: its owner chose the role. */
void lift_pg_url_as(const lift_pg *pg, const char *role, char *out, size_t outlen);

#endif
