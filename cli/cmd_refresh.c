/* liftctl refresh: brings experiments' rollups (lift.rollups) up to date, so that their
 * reports read one row per shopper instead of the raw events. Incremental: only the
 * shoppers with something new since the last refresh are computed again. Safe to run
 * while liftd ingests and beside another refresh (the second waits for the first). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/refresh.h"

static const char USAGE[] =
    "usage: liftctl refresh [--rebuild] [EXPERIMENT...]\n"
    "Brings the rollups of these experiments (default: every experiment with shoppers in its\n"
    "current phase) up to date: the per-shopper aggregates of their metrics, which reports\n"
    "read instead of the raw events. Only shoppers with new events, a new or changed first\n"
    "exposure, or a new variant since the last refresh are computed again; a changed metric\n"
    "definition, currency or fx rate rebuilds the rollup, as does --rebuild. Prints, per\n"
    "experiment, what was done and how long it took. liftd refreshes on its own every\n"
    "--refresh-interval seconds.\n";

static int refresh_one(lift_db *db, const char *key, bool rebuild)
{
    lift_refresh_result r;
    lift_err err;
    int rc = lift_refresh(db, key, rebuild, &r, &err);
    if (rc == LIFT_ENOTFOUND)
        return cli_fail(CLI_USAGE, "refresh", "%s", err.msg);
    if (rc != LIFT_OK)
        return cli_fail(CLI_FAIL, "refresh", "%s: %s", key, err.msg);
    printf("%s phase %d: %s, %lld of %lld shopper%s computed in %.3f s\n", key, r.phase, r.mode,
           r.computed, r.units, r.units == 1 ? "" : "s", (double)r.micros / 1e6);
    return CLI_OK;
}

int cmd_refresh(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rebuild", no_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool rebuild = false;
    int c;
    while ((c = cli_getopt(argc, argv, opts, "refresh")) != -1) {
        if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_OK;
        }
        if (c != 'r')
            return CLI_USAGE;
        rebuild = true;
    }
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (optind < argc) {
        for (int i = optind; i < argc && rc == CLI_OK; i++)
            rc = refresh_one(db, argv[i], rebuild);
    } else {
        lift_err err;
        PGresult *res = lift_refresh_candidates(db, &err);
        if (!res)
            rc = cli_fail(CLI_FAIL, "refresh", "%s", err.msg);
        for (int i = 0; res && i < PQntuples(res) && rc == CLI_OK; i++)
            rc = refresh_one(db, PQgetvalue(res, i, 0), rebuild);
        if (res && PQntuples(res) == 0)
            printf("no experiment has shoppers yet: nothing to refresh\n");
        PQclear(res);
    }
    lift_db_close(db);
    return rc;
}
