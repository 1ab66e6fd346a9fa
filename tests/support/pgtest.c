/* Test fixture: per-test databases copied from the harness's migrated template. */
#include "pgtest.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lift_db *connect_to(const char *dbname, char *conninfo, size_t len)
{
    const char *base = getenv("LIFT_TEST_CONNINFO");
    if (!base || !*base)
        cr_skip_test("no test cluster (LIFT_TEST_CONNINFO unset); run through `make test`");
    char ci[1024];
    snprintf(ci, sizeof ci, "%s dbname=%s", base, dbname);
    if (conninfo)
        snprintf(conninfo, len, "%s", ci);
    lift_err err;
    lift_db *db = lift_db_open(ci, &err);
    cr_assert(db, "connect %s: %s", ci, err.msg);
    return db;
}

lift_db *pgtest_db(char *conninfo, size_t len)
{
    static int serial;
    char name[64];
    snprintf(name, sizeof name, "t_%ld_%d", (long)getpid(), serial++);
    lift_db *admin = connect_to("postgres", NULL, 0);
    char sql[256];
    /* Identifiers cannot be parameters; name is built from digits only. */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE lift_template", name);
    pgtest_ok(admin, sql);
    lift_db_close(admin);
    return connect_to(name, conninfo, len);
}

lift_db *pgtest_db_empty(char *conninfo, size_t len)
{
    static int serial;
    char name[64];
    snprintf(name, sizeof name, "e_%ld_%d", (long)getpid(), serial++);
    lift_db *admin = connect_to("postgres", NULL, 0);
    char sql[256];
    /* Identifiers cannot be parameters; name is built from digits only. */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0", name);
    pgtest_ok(admin, sql);
    lift_db_close(admin);
    return connect_to(name, conninfo, len);
}

void pgtest_conninfo_as(const char *conninfo, const char *role, char *out, size_t len)
{
    snprintf(out, len, "%s user=%s", conninfo, role); /* later keywords win in libpq */
}

void pgtest_ok(lift_db *db, const char *script)
{
    lift_err err;
    int rc = lift_db_script(db, script, &err);
    cr_assert_eq(rc, LIFT_OK, "script failed: %s\n--- script:\n%s", err.msg, script);
}

const char *pgtest_fails(lift_db *db, const char *script)
{
    static lift_err err;
    int rc = lift_db_script(db, script, &err);
    (void)lift_db_script(db, "ROLLBACK", NULL);
    cr_assert_neq(rc, LIFT_OK, "script should have failed:\n%s", script);
    return err.msg;
}

const char *pgtest_value(lift_db *db, const char *sql)
{
    static char out[4096];
    lift_err err;
    PGresult *r = lift_db_exec(db, sql, 0, NULL, NULL, &err);
    cr_assert(r, "%s: %s", sql, err.msg);
    cr_assert(PQntuples(r) > 0, "%s: no rows", sql);
    snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

const char *pgtest_bin(const char *name)
{
    static char path[512];
    const char *build = getenv("LIFT_TEST_BUILD");
    snprintf(path, sizeof path, "%s/%s", build && *build ? build : "build", name);
    return path;
}

const char PGTEST_RECS[] =
    "BEGIN;"
    "INSERT INTO lift.experiments (key, name, status) VALUES ('recs', 'Recs', 'running');"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES"
    "  ('recs', 'control', 0.5), ('recs', 'personalized', 0.5);"
    "COMMIT;";
