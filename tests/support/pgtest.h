/* Test fixture: a fresh database per test, copied from the migrated template that
 * tests/run.sh prepares in its throwaway cluster. */
#ifndef LIFT_PGTEST_H
#define LIFT_PGTEST_H

#include <stdbool.h>
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

/* --- servers of the test's own (sharding: a config server and its shards) ------------- */

/* One PostgreSQL server started by the test: PostgreSQL 15 from LIFT_PG_BINDIR (default
 * /usr/lib/postgresql/15/bin), run as the cluster user when the test runs as root
 * (LIFT_PG_USER, default postgres), listening on 127.0.0.1:port only (and a socket in its
 * folder), trusting local connections as role "lift", fsync off. Its database "lift" is
 * empty (not migrated). wal_retrieve_retry_interval is 200 ms, so a subscription
 * enabled again has its worker within a moment rather than 5 s. */
typedef struct pgtest_server {
    char dir[512]; /* its data folder, under LIFT_TEST_TMP (pgserver-*) */
    int port;
    int pid;       /* the postmaster; 0 once stopped */
    char url[128]; /* postgresql://lift@127.0.0.1:<port>/lift */
} pgtest_server;

/* Starts a server named name (a folder name part); wal_level = logical when logical, so
 * that it can publish. Copies one initdb'd template per test run (made by the first
 * caller), so a start costs about a second. Skips the test outside the harness; asserts
 * on failure, with the end of the server's log. */
void pgtest_server_start(pgtest_server *s, const char *name, bool logical);

/* Stops it by its PID (fast shutdown; SIGKILL after 30 s) and removes its folder. A no-op
 * for a server never started or already stopped. tests/run.sh stops those a dead test
 * left running. */
void pgtest_server_stop(pgtest_server *s);

/* A loopback TCP port nothing listens on now (for "that server is down" tests). */
int pgtest_free_port(void);

#endif
