/* Loading the experiment config from PostgreSQL (liftd's reloader, liftctl assign). */
#ifndef LIFT_CONFIG_DB_H
#define LIFT_CONFIG_DB_H

#include <stddef.h>

#include "lift/config.h"
#include "lift/db.h"
#include "lift/err.h"

/* The database's config document (lift.config_document()) as JSON text; the caller
 * frees it. NULL with err on failure. */
char *lift_config_fetch_db(lift_db *db, size_t *len, lift_err *err);

/* Loads the config the database holds: fetch, then parse. */
lift_config *lift_config_load_db(lift_db *db, lift_err *err);

#endif
