/* Test fixture: a fresh database per test, copied from the migrated template that
 * tests/run.sh prepares in its throwaway cluster. */
#ifndef LIFT_PGTEST_H
#define LIFT_PGTEST_H

#include <stddef.h>

#include "lift/db.h"

/* Creates database t_<pid>_<n> from lift_template and connects to it as the owner.
 * Skips the test when the harness did not provide a cluster (LIFT_TEST_CONNINFO unset).
 * Writes the new database's conninfo into conninfo (if non-NULL). */
lift_db *pgtest_db(char *conninfo, size_t len);

/* Creates an empty database e_<pid>_<n> (no schema: for tests that migrate it themselves,
 * e.g. with lift_migrate_upto) and connects to it as the owner. */
lift_db *pgtest_db_empty(char *conninfo, size_t len);

/* Connection string of the same database as another role (e.g. "lift_writer"). */
void pgtest_conninfo_as(const char *conninfo, const char *role, char *out, size_t len);

/* Runs a script that must succeed (asserts with the server's message otherwise). */
void pgtest_ok(lift_db *db, const char *script);

/* Runs a script that must fail; returns the error message (static storage) and rolls
 * back whatever transaction the script left open. */
const char *pgtest_fails(lift_db *db, const char *script);

/* The first column of the first row of a query, as text (static storage; "" for NULL). */
const char *pgtest_value(lift_db *db, const char *sql);

/* Config of one running 50/50 experiment "recs" (control, personalized), full coverage:
 * one exposure per assignment. */
extern const char PGTEST_RECS[];

/* Path of a built binary, e.g. pgtest_bin("liftctl") → "build/liftctl". */
const char *pgtest_bin(const char *name);

#endif
