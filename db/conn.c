/* The PostgreSQL wrapper: parameterized statements, COPY, scripts, error text. */
#include "lift/db.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/log.h"
#include "lift/text.h"

struct lift_db {
    PGconn *conn;
    char sqlstate[6];
    /* The last failure's parts (lift_db_last_error). */
    char primary[LIFT_ERR_MSG_LEN], detail[LIFT_ERR_MSG_LEN], hint[LIFT_ERR_MSG_LEN];
    int position; /* STATEMENT_POSITION (1-based character), or 0 */
};

/* Copies the server's message and DETAIL (which name the offending row for our triggers
 * and constraints) into err, on one line; keeps the HINT and the error's position in db
 * (lift_db_hint, lift_db_error_position) and the SQLSTATE in db->sqlstate. */
static int db_error(lift_err *err, lift_db *db, const PGresult *res)
{
    const PGconn *conn = db->conn;
    char *sqlstate = db->sqlstate;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(sqlstate, 6, "%s", state ? state : "08006");
    if (!primary)
        primary = PQerrorMessage(conn);
    snprintf(db->primary, sizeof db->primary, "%s", primary);
    snprintf(db->detail, sizeof db->detail, "%s", detail ? detail : "");
    snprintf(db->hint, sizeof db->hint, "%s", hint ? hint : "");
    db->position = pos ? atoi(pos) : 0;
    char msg[LIFT_ERR_MSG_LEN];
    snprintf(msg, sizeof msg, "%s%s%s", primary, detail ? " — " : "", detail ? detail : "");
    /* One line: libpq's connection messages span several ("...failed: Connection
     * refused\n\tIs the server running..."). */
    size_t n = 0;
    for (const char *p = msg; *p; p++) {
        bool space = *p == '\n' || *p == '\t' || *p == ' ';
        if (space && (n == 0 || msg[n - 1] == ' '))
            continue;
        msg[n++] = space ? ' ' : *p;
    }
    while (n && msg[n - 1] == ' ')
        n--;
    msg[n] = '\0';
    return lift_err_set(err, LIFT_EDB, "%s", msg);
}

/* Server NOTICEs ("schema already exists, skipping") are chatter, not events. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    lift_log(LIFT_LOG_DEBUG, "postgres: %.*s", (int)strcspn(message, "\n"), message);
}

lift_db *lift_db_open(const char *conninfo, lift_err *err)
{
    lift_db *db = calloc(1, sizeof *db);
    if (!db) {
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
        return NULL;
    }
    db->conn = PQconnectdb(conninfo);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char where[256];
        lift_db_redact(conninfo, where, sizeof where);
        db_error(err, db, NULL);
        lift_err_prefix(err, "cannot connect to %s", where);
        lift_db_close(db);
        return NULL;
    }
    PQsetNoticeProcessor(db->conn, on_notice, NULL);
    memcpy(db->sqlstate, "00000", 6);
    return db;
}

lift_db_state lift_db_check(const char *conninfo, lift_err *err)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (!opts) {
        lift_err_set(err, LIFT_EINVAL, "%s", why ? why : "out of memory");
        size_t n = strlen(err->msg);
        while (n && err->msg[n - 1] == '\n')
            err->msg[--n] = '\0';
        PQfreemem(why);
        return LIFT_DB_BAD_URL;
    }
    PQconninfoFree(opts);
    lift_db *db = lift_db_open(conninfo, err);
    if (db) {
        lift_db_close(db);
        return LIFT_DB_REACHABLE;
    }
    /* libpq tells no SQLSTATE for a failed connection: read its (C locale) message. */
    const char *m = err->msg;
    if (strstr(m, "authentication failed") || strstr(m, "no password supplied") ||
        strstr(m, "no pg_hba.conf entry") || (strstr(m, "role \"") && strstr(m, "does not exist")))
        return LIFT_DB_AUTH_FAILED;
    if (strstr(m, "database \"") && strstr(m, "does not exist"))
        return LIFT_DB_NO_DATABASE;
    if (strstr(m, "FATAL"))
        return LIFT_DB_REFUSED;
    return LIFT_DB_UNREACHABLE;
}

const char *lift_db_state_name(lift_db_state st)
{
    static const char *const names[] = {"reachable",        "bad URL",
                                        "unreachable",      "authentication failed",
                                        "no such database", "refused"};
    return names[st];
}

lift_db_fields lift_db_last_error(const lift_db *db)
{
    return (lift_db_fields){db->primary, db->detail, db->hint, db->position};
}

void lift_db_close(lift_db *db)
{
    if (!db)
        return;
    PQfinish(db->conn);
    free(db);
}

PGconn *lift_db_conn(lift_db *db)
{
    return db->conn;
}

const char *lift_db_sqlstate(const lift_db *db)
{
    return db->sqlstate;
}

bool lift_db_alive(const lift_db *db)
{
    return db && PQstatus(db->conn) == CONNECTION_OK;
}

void lift_db_cancel(lift_db *db)
{
    PGcancel *c = db ? PQgetCancel(db->conn) : NULL;
    if (!c)
        return;
    char why[256];
    (void)PQcancel(c, why, (int)sizeof why);
    PQfreeCancel(c);
}

PGresult *lift_db_exec(lift_db *db, const char *sql, int nparams, const char *const *params,
                       char sqlstate[6], lift_err *err)
{
    PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        memcpy(db->sqlstate, "00000", 6);
        if (sqlstate)
            memcpy(sqlstate, "00000", 6);
        return res;
    }
    db_error(err, db, res);
    if (sqlstate)
        memcpy(sqlstate, db->sqlstate, 6);
    PQclear(res);
    return NULL;
}

int lift_db_run(lift_db *db, const char *sql, int nparams, const char *const *params, lift_err *err)
{
    PGresult *res = lift_db_exec(db, sql, nparams, params, NULL, err);
    if (!res)
        return LIFT_EDB;
    PQclear(res);
    return LIFT_OK;
}

int lift_db_script(lift_db *db, const char *script, lift_err *err)
{
    memcpy(db->sqlstate, "00000", 6);
    /* PQexec runs several statements; only trusted files reach here (see header). */
    PGresult *res = PQexec(db->conn, script);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc = LIFT_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = db_error(err, db, res);
    PQclear(res);
    return rc;
}

int lift_db_copy_start(lift_db *db, const char *copy_sql, lift_err *err)
{
    memcpy(db->sqlstate, "00000", 6);
    PGresult *res = PQexec(db->conn, copy_sql);
    int rc = LIFT_OK;
    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        rc = db_error(err, db, res);
    PQclear(res);
    return rc;
}

int lift_db_copy_put(lift_db *db, const char *data, size_t len, lift_err *err)
{
    /* libpq buffers internally; large chunks keep the number of calls low. */
    const size_t chunk = 1 << 20;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        if (PQputCopyData(db->conn, data + off, (int)n) != 1)
            return db_error(err, db, NULL);
    }
    return LIFT_OK;
}

int lift_db_copy_end(lift_db *db, int status, lift_err *err)
{
    int rc = status;
    if (PQputCopyEnd(db->conn, rc == LIFT_OK ? NULL : "client error") != 1 && rc == LIFT_OK)
        rc = db_error(err, db, NULL);
    PGresult *res;
    while ((res = PQgetResult(db->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == LIFT_OK)
            rc = db_error(err, db, res);
        PQclear(res);
    }
    return rc;
}

int lift_db_copy(lift_db *db, const char *copy_sql, const char *data, size_t len, lift_err *err)
{
    int rc = lift_db_copy_start(db, copy_sql, err);
    if (rc != LIFT_OK)
        return rc;
    return lift_db_copy_end(db, lift_db_copy_put(db, data, len, err), err);
}

void lift_db_redact(const char *conninfo, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", conninfo);
    /* postgresql://user:secret@host → postgresql://user:***@host */
    char *scheme = strstr(out, "://");
    char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at) {
        char tail[512];
        snprintf(tail, sizeof tail, "%s", at);
        snprintf(colon, outlen - (size_t)(colon - out), ":***%s", tail);
    }
    /* key=value form: password=secret → password=*** */
    char *pw = strstr(out, "password=");
    if (pw) {
        char *end = pw + 9;
        while (*end && *end != ' ' && *end != '&')
            end++;
        char tail[512];
        snprintf(tail, sizeof tail, "%s", end);
        snprintf(pw + 9, outlen - (size_t)(pw + 9 - out), "***%s", tail);
    }
}

int lift_db_col(const PGresult *r, const char *name)
{
    int col = PQfnumber(r, name);
    if (col < 0) /* say which, before the assert */
        fprintf(stderr, "lift_db_col: the result has no column \"%s\"\n", name);
    assert(col >= 0);
    return col;
}

const char *lift_db_text(const PGresult *r, int row, const char *name)
{
    return PQgetvalue(r, row, lift_db_col(r, name));
}

double lift_db_num(const PGresult *r, int row, const char *name)
{
    int col = lift_db_col(r, name);
    return PQgetisnull(r, row, col) ? (double)NAN : strtod(PQgetvalue(r, row, col), NULL);
}

bool lift_db_null(const PGresult *r, int row, const char *name)
{
    return PQgetisnull(r, row, lift_db_col(r, name));
}

void lift_db_array(lift_buf *b, const char *const *items, size_t n)
{
    lift_buf_puts(b, "{");
    for (size_t i = 0; i < n; i++) {
        lift_buf_puts(b, i ? ",\"" : "\"");
        for (const char *p = items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                lift_buf_append(b, "\\", 1);
            lift_buf_append(b, p, 1);
        }
        lift_buf_puts(b, "\"");
    }
    lift_buf_puts(b, "}");
}
