/* One PostgreSQL connection and the only way SQL runs. Not thread-safe: one per thread. */
#ifndef LIFT_DB_H
#define LIFT_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"

typedef struct lift_db lift_db; /* layout lives in server/db.c only */

/* Connects; caller frees with lift_db_close(). NULL + err (LIFT_EDB) on failure. */
lift_db *lift_db_open(const char *conninfo, lift_err *err);
void lift_db_close(lift_db *db); /* NULL is a no-op */

/* What stands between a client and the database, for messages that say why. */
typedef enum {
    LIFT_DB_REACHABLE,   /* connected */
    LIFT_DB_BAD_URL,     /* the URL or conninfo does not parse */
    LIFT_DB_UNREACHABLE, /* no server answers there (refused, unknown host, timeout) */
    LIFT_DB_AUTH_FAILED, /* the server answered and refused the role or its password */
    LIFT_DB_NO_DATABASE, /* the server answered; the database does not exist */
    LIFT_DB_REFUSED      /* the server answered and refused for another reason */
} lift_db_state;

/* Connects once to see; err gets libpq's reason (the URL's password redacted). */
lift_db_state lift_db_check(const char *conninfo, lift_err *err);

/* "unreachable", "authentication failed"...: a word for each state. */
const char *lift_db_state_name(lift_db_state st);

/* The underlying connection, borrowed (for PQsocket/PQconsumeInput/PQnotifies). */
PGconn *lift_db_conn(lift_db *db);

/* True while the connection is usable; after a failure the caller reopens. */
bool lift_db_alive(const lift_db *db);

/* Asks the server to cancel db's running statement; callable from another thread. */
void lift_db_cancel(lift_db *db);

/* The SQLSTATE of the last failed call on this connection ("23505": unique violation), or
 * "00000" after a success. */
const char *lift_db_sqlstate(const lift_db *db);

/* The parts of the last failure, as the server sent them ("" when absent): the message,
 * its DETAIL and HINT (PostgreSQL's "set a new seed..." advice), and where in the
 * statement the error is (STATEMENT_POSITION: a 1-based character index, 0 when unknown).
 * Borrowed from db until its next failure. */
typedef struct lift_db_fields {
    const char *primary, *detail, *hint;
    int position;
} lift_db_fields;
lift_db_fields lift_db_last_error(const lift_db *db);

/* Runs one $1..$n statement with text parameters (NULL entries are SQL NULL).
 * sql must be a constant; values go only in params. Returns a PGresult the caller
 * PQclear()s, or NULL with err set (LIFT_EDB; the server's message and detail) and the
 * SQLSTATE copied into sqlstate[6] when non-NULL. */
PGresult *lift_db_exec(lift_db *db, const char *sql, int nparams, const char *const *params,
                       char sqlstate[6], lift_err *err) __attribute__((warn_unused_result));

/* As lift_db_exec for statements whose rows are not needed. Returns LIFT_OK or LIFT_EDB. */
int lift_db_run(lift_db *db, const char *sql, int nparams, const char *const *params,
                lift_err *err);

/* Runs a trusted multi-statement script (a migration or a config file shipped with the
 * project), never text built from input. Returns LIFT_OK or LIFT_EDB. */
int lift_db_script(lift_db *db, const char *script, lift_err *err);

/* Streams data[0..len) into `copy_sql` (a COPY ... FROM STDIN statement) and waits for
 * its result. Returns LIFT_OK or LIFT_EDB. */
int lift_db_copy(lift_db *db, const char *copy_sql, const char *data, size_t len, lift_err *err);

/* The same in steps, for data in several buffers: start, put any number of times, then end
 * with the puts' status (it sends the end of data, or aborts the COPY after a failure). */
int lift_db_copy_start(lift_db *db, const char *copy_sql, lift_err *err);
int lift_db_copy_put(lift_db *db, const char *data, size_t len, lift_err *err);
int lift_db_copy_end(lift_db *db, int status, lift_err *err);

/* --- reading results and writing parameters ------------------------------------------ */

/* The index of column `name` in a result of the project's own SQL. A missing column is a
 * programmer error (the query and its reader disagree): assert()ed. */
int lift_db_col(const PGresult *r, const char *name);

/* Column `name` of row as text (borrowed from r; "" for NULL), as a double (NAN for NULL),
 * or whether it is NULL. */
const char *lift_db_text(const PGresult *r, int row, const char *name);
double lift_db_num(const PGresult *r, int row, const char *name);
bool lift_db_null(const PGresult *r, int row, const char *name);

/* Appends a text[] literal for a $n::text[] parameter: {"a","b\"c"}, every element quoted,
 * quotes and backslashes escaped, so any string is one element. */
struct lift_buf;
void lift_db_array(struct lift_buf *b, const char *const *items, size_t n);

/* Quotes a URL/conninfo for messages: the password, if any, is replaced by "***". */
void lift_db_redact(const char *conninfo, char *out, size_t outlen);

#endif
