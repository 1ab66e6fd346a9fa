/* Schema migrations: sql/migrations/NNNN_*.sql, forward-only, applied in order. */
#ifndef LIFT_MIGRATE_H
#define LIFT_MIGRATE_H

#include "lift/db.h"

/* Called once per migration applied, with its file name. */
typedef void (*lift_migrate_fn)(const char *name, void *arg);

/* Applies every compiled-in migration not yet recorded in lift.schema_migrations, each in
 * its own transaction together with its record. Holds an advisory lock meanwhile, so
 * concurrent runs apply each file once. Refuses to go on when an applied file was edited
 * afterwards (its checksum differs). Sets *applied to the number applied now. */
int lift_migrate(lift_db *db, int *applied, lift_migrate_fn fn, void *arg, lift_err *err);

/* The same, up to and including version `last` ("0008"; NULL: all): what a database of an
 * older release holds, for tests of the migrations that convert one. */
int lift_migrate_upto(lift_db *db, const char *last, int *applied, lift_migrate_fn fn, void *arg,
                      lift_err *err);

/* How many migrations this build holds, and how many of them the database has not
 * recorded (all of them when lift.schema_migrations does not exist). Changes nothing. */
int lift_migrate_status(lift_db *db, int *known, int *pending, lift_err *err);

#endif
