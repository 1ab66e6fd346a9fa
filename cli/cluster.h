/* The project's private PostgreSQL cluster, managed by `liftctl db`: initdb on first use,
 * start, stop, status. Where it is comes from lift/locate.h. */
#ifndef LIFT_CLI_CLUSTER_H
#define LIFT_CLI_CLUSTER_H

#include "lift/err.h"
#include "lift/locate.h"

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

#endif
