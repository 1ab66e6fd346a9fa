/* liftctl db: start, stop, status, url and migrate the project database. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "lift/migrate.h"

static void print_applied(const char *name, void *arg)
{
    (void)arg;
    fprintf(stderr, "applied %s\n", name);
}

static int migrate(void)
{
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    lift_err err;
    int applied;
    int rc = lift_migrate(db, &applied, print_applied, NULL, &err);
    lift_db_close(db);
    if (rc != LIFT_OK)
        return cli_fail(CLI_FAIL, "db migrate", "%s", err.msg);
    if (applied == 0)
        fprintf(stderr, "database is up to date\n");
    return CLI_OK;
}

int cmd_db(int argc, char **argv)
{
    const char *usage = "usage: liftctl db start|stop|status|url|migrate\n"
                        "  start    create the private cluster on first use, start it, print "
                        "its URL\n"
                        "  stop     stop the private cluster\n"
                        "  status   say whether the database runs\n"
                        "  url      print the connection URL\n"
                        "  migrate  apply sql/migrations (each once, in order)\n"
                        "With LIFT_DATABASE_URL set, these use that server; start and stop "
                        "then only check it.\n";
    if (argc != 2) {
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    lift_pg pg;
    lift_err err;
    if (lift_pg_locate(&pg, &err) != LIFT_OK)
        return cli_fail(CLI_FAIL, "db", "%s", err.msg);
    if (strcmp(sub, "url") == 0) {
        printf("%s\n", pg.url);
        return CLI_OK;
    }
    if (strcmp(sub, "start") == 0) {
        lift_pg_state before = lift_pg_status(&pg);
        if (lift_pg_start(&pg, &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, "db start", "%s", err.msg);
        if (lift_pg_locate(&pg, &err) != LIFT_OK) /* the folder may be a link now */
            return cli_fail(CLI_FAIL, "db start", "%s", err.msg);
        if (pg.external)
            fprintf(stderr, "using LIFT_DATABASE_URL (not managed by lift)\n");
        else
            fprintf(stderr, "%s %s\n",
                    before == LIFT_PG_RUNNING   ? "already running:"
                    : before == LIFT_PG_MISSING ? "created and started private cluster in"
                                                : "started private cluster in",
                    pg.datadir);
        printf("%s\n", pg.url);
        return CLI_OK;
    }
    if (strcmp(sub, "stop") == 0) {
        if (pg.external) {
            fprintf(stderr, "LIFT_DATABASE_URL is set: lift does not stop servers it did not "
                            "start\n");
            return CLI_OK;
        }
        lift_pg_state before = lift_pg_status(&pg);
        if (lift_pg_stop(&pg, &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, "db stop", "%s", err.msg);
        fprintf(stderr, "%s\n", before == LIFT_PG_RUNNING ? "stopped" : "not running");
        return CLI_OK;
    }
    if (strcmp(sub, "status") == 0) {
        lift_pg_state st = lift_pg_status(&pg);
        const char *what = st == LIFT_PG_RUNNING   ? "running"
                           : st == LIFT_PG_STOPPED ? "stopped"
                                                   : "not created (run `liftctl db start`)";
        printf("%s: %s\n", pg.external ? "external server" : pg.datadir, what);
        if (st == LIFT_PG_RUNNING)
            printf("url: %s\n", pg.url);
        return st == LIFT_PG_RUNNING ? CLI_OK : 3; /* like pg_ctl status: 3 = not running */
    }
    if (strcmp(sub, "migrate") == 0)
        return migrate();
    fputs(usage, stderr);
    return CLI_USAGE;
}
