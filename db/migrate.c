/* Applies the compiled-in migrations, one transaction each, recorded with a checksum. */
#include "lift/migrate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/sqlfiles.h"
#include "lift/text.h"

static const char SQL_LOCK[] = "SELECT pg_advisory_lock(7342001)";
static const char SQL_UNLOCK[] = "SELECT pg_advisory_unlock(7342001)";
static const char SQL_BOOTSTRAP[] = "CREATE SCHEMA IF NOT EXISTS lift;"
                                    "CREATE TABLE IF NOT EXISTS lift.schema_migrations ("
                                    "  version    text PRIMARY KEY,"
                                    "  name       text NOT NULL,"
                                    "  checksum   text NOT NULL,"
                                    "  applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_APPLIED[] = "SELECT checksum FROM lift.schema_migrations WHERE version = $1";
static const char SQL_RECORD[] =
    "INSERT INTO lift.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

/* FNV-1a 64: enough to notice an edited file, not a security measure. */
static void checksum(const char *text, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, lift_fnv64(text));
}

/* "migrations/0003_roles.sql" → name "0003_roles.sql", version "0003". */
static bool split_name(const char *path, const char **name, char version[16])
{
    if (strncmp(path, "migrations/", 11) != 0)
        return false;
    *name = path + 11;
    size_t n = strspn(*name, "0123456789");
    if (n == 0 || n >= 16)
        return false;
    memcpy(version, *name, n);
    version[n] = '\0';
    return true;
}

/* One migration: its statements and its record commit together or not at all. */
static int apply_one(lift_db *db, const lift_sql_file *f, const char *name, const char *version,
                     const char *sum, lift_err *err)
{
    const char *params[] = {version, name, sum};
    int rc = lift_db_script(db, "BEGIN", err);
    if (rc == LIFT_OK)
        rc = lift_db_script(db, f->text, err);
    if (rc == LIFT_OK)
        rc = lift_db_run(db, SQL_RECORD, 3, params, err);
    if (rc == LIFT_OK)
        rc = lift_db_script(db, "COMMIT", err);
    if (rc != LIFT_OK) {
        lift_err keep = *err;
        (void)lift_db_script(db, "ROLLBACK", NULL);
        *err = keep;
        lift_err_prefix(err, "migration %s failed", name);
    }
    return rc;
}

int lift_migrate(lift_db *db, int *applied, lift_migrate_fn fn, void *arg, lift_err *err)
{
    return lift_migrate_upto(db, NULL, applied, fn, arg, err);
}

int lift_migrate_upto(lift_db *db, const char *last, int *applied, lift_migrate_fn fn, void *arg,
                      lift_err *err)
{
    *applied = 0;
    int rc = lift_db_run(db, SQL_LOCK, 0, NULL, err);
    if (rc != LIFT_OK)
        return rc;
    rc = lift_db_script(db, SQL_BOOTSTRAP, err);
    for (size_t i = 0; rc == LIFT_OK && i < lift_sql_nfiles; i++) {
        const lift_sql_file *f = &lift_sql_files[i];
        const char *name;
        char version[16], sum[17];
        if (!split_name(f->name, &name, version) || (last && strcmp(version, last) > 0))
            continue;
        checksum(f->text, sum);
        const char *params[] = {version};
        PGresult *r = lift_db_exec(db, SQL_APPLIED, 1, params, NULL, err);
        if (!r) {
            rc = LIFT_EDB;
            break;
        }
        bool done = PQntuples(r) > 0;
        if (done && strcmp(lift_db_text(r, 0, "checksum"), sum) != 0)
            rc = lift_err_set(err, LIFT_EINVAL,
                              "migration %s was edited after it was applied (checksum %s, "
                              "recorded %s); migrations are forward-only: add a new file",
                              name, sum, lift_db_text(r, 0, "checksum"));
        PQclear(r);
        if (done || rc != LIFT_OK)
            continue;
        rc = apply_one(db, f, name, version, sum, err);
        if (rc == LIFT_OK) {
            ++*applied;
            if (fn)
                fn(name, arg);
        }
    }
    (void)lift_db_run(db, SQL_UNLOCK, 0, NULL, NULL);
    return rc;
}

static const char SQL_RECORDED[] =
    "SELECT count(*) AS n FROM lift.schema_migrations WHERE version = ANY($1::text[])";

int lift_migrate_status(lift_db *db, int *known, int *pending, lift_err *err)
{
    *known = *pending = 0;
    lift_buf list;
    lift_buf_init(&list);
    const char *versions[256];
    char store[256][16];
    size_t n = 0;
    for (size_t i = 0; i < lift_sql_nfiles && n < 256; i++) {
        const char *name;
        if (split_name(lift_sql_files[i].name, &name, store[n])) {
            versions[n] = store[n];
            n++;
        }
    }
    *known = (int)n;
    lift_db_array(&list, versions, n);
    PGresult *exists = lift_db_exec(
        db, "SELECT to_regclass('lift.schema_migrations') IS NOT NULL AS yes", 0, NULL, NULL, err);
    if (!exists) {
        lift_buf_fini(&list);
        return LIFT_EDB;
    }
    bool table = !strcmp(lift_db_text(exists, 0, "yes"), "t");
    PQclear(exists);
    if (!table) {
        *pending = (int)n;
        lift_buf_fini(&list);
        return LIFT_OK;
    }
    const char *params[] = {list.data};
    PGresult *r = lift_db_exec(db, SQL_RECORDED, 1, params, NULL, err);
    lift_buf_fini(&list);
    if (!r)
        return LIFT_EDB;
    *pending = (int)n - atoi(lift_db_text(r, 0, "n"));
    PQclear(r);
    return LIFT_OK;
}
