/* liftctl apply: runs experiment config files (SQL, as product teams write them; see
 * sql/examples/) against the project database, each file as one transaction. The database
 * refuses bad config itself, naming the row; then nothing of that file is applied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char USAGE[] =
    "usage: liftctl apply FILE.sql... (- for standard input)\n"
    "Runs each file against the project database in one transaction (its own BEGIN/COMMIT,\n"
    "if any, are respected) and stops at the first file the database refuses. A running\n"
    "liftd serves the new config within a second.\n";

static int apply_file(lift_db *db, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return cli_fail(CLI_USAGE, "apply", "%s: %s", path, strerror(errno));
    size_t len;
    char *sql = cli_read_all(f, &len);
    if (f != stdin)
        fclose(f);
    if (!sql)
        return cli_fail(CLI_FAIL, "apply", "%s: cannot read it", path);
    if (strlen(sql) != len) {
        free(sql);
        return cli_fail(CLI_USAGE, "apply", "%s: holds a NUL byte; not an SQL file", path);
    }
    lift_err err;
    int rc = lift_db_script(db, sql, &err);
    free(sql);
    if (rc != LIFT_OK) {
        lift_err ignored;
        lift_db_run(db, "ROLLBACK", 0, NULL, &ignored); /* a file's own BEGIN, left open */
        return cli_fail(CLI_USAGE, "apply", "%s: %s (nothing of this file was applied)", path,
                        err.msg);
    }
    printf("applied %s\n", path);
    return CLI_OK;
}

int cmd_apply(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    int rc = CLI_OK;
    for (int i = 1; i < argc && rc == CLI_OK; i++)
        rc = apply_file(db, argv[i]);
    if (rc == CLI_OK) {
        lift_err err;
        PGresult *res =
            lift_db_exec(db, "SELECT version FROM lift.config_state", 0, NULL, NULL, &err);
        if (res && PQntuples(res) == 1)
            printf("config version %s\n", lift_db_text(res, 0, "version"));
        PQclear(res);
    }
    lift_db_close(db);
    return rc;
}
