/* liftctl experiments, start, stop and ramp: what runs, and the lifecycle changes a
 * product team makes without writing SQL. Each change is one UPDATE that the database
 * checks as any other (a start that would overlap a running experiment in its layer is
 * refused, naming it); a running liftd serves it within a second. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/text.h"
#include "lift/xalloc.h"

static const char EXPERIMENTS_USAGE[] =
    "usage: liftctl experiments [--keys]\n"
    "Lists every experiment: status, traffic split, coverage, layer range, phase, when the\n"
    "phase started, and the shoppers exposed in it (rows of lift.assignments).\n"
    "--keys prints the keys alone, one per line.\n";

static const char SQL_LIST[] =
    "SELECT e.key, e.status, e.kind, e.coverage, e.phase, e.layer, e.layer_start, e.layer_end,"
    "       (SELECT string_agg(v.key || ' ' ||"
    "                          trim_scale(round((v.weight * 100)::numeric, 2))::text || '%',"
    "                          ' / ' ORDER BY v.position)"
    "          FROM lift.variants v WHERE v.experiment = e.key) AS split,"
    "       to_char(p.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS started,"
    "       (SELECT count(*) FROM lift.assignments x"
    "         WHERE x.experiment = e.key AND x.phase = e.phase) AS shoppers"
    "  FROM lift.experiments e"
    "  LEFT JOIN lift.experiment_phases p ON p.experiment = e.key AND p.phase = e.phase"
    " ORDER BY e.key";

/* "12345678" as "12,345,678". */
static void grouped(const char *digits, char *out, size_t len)
{
    size_t n = strlen(digits), k = 0;
    for (size_t i = 0; i < n && k + 2 < len; i++) {
        if (i && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
}

int cmd_experiments(int argc, char **argv)
{
    static const struct option opts[] = {
        {"keys", no_argument, NULL, 'k'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool keys = false;
    int c;
    while ((c = cli_getopt(argc, argv, opts, "experiments")) != -1) {
        if (c == 'h') {
            fputs(EXPERIMENTS_USAGE, stdout);
            return CLI_OK;
        }
        if (c != 'k')
            return CLI_USAGE;
        keys = true;
    }
    if (cli_extra_args(argc, argv, "experiments") != CLI_OK)
        return CLI_USAGE;
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    lift_err err;
    PGresult *r = lift_db_exec(db, SQL_LIST, 0, NULL, NULL, &err);
    lift_db_close(db);
    if (!r)
        return cli_fail(CLI_FAIL, "experiments", "%s", err.msg);
    int n = PQntuples(r);
    if (keys) {
        for (int i = 0; i < n; i++)
            puts(lift_db_text(r, i, "key"));
        PQclear(r);
        return CLI_OK;
    }
    /* Columns as wide as their widest cell. */
    enum { NCOL = 9 };
    static const char *const head[NCOL] = {"EXPERIMENT", "KIND",          "STATUS",
                                           "SPLIT",      "COVERAGE",      "LAYER",
                                           "PHASE",      "PHASE STARTED", "SHOPPERS"};
    char(*cell)[NCOL][128] = lift_xcalloc((size_t)n + 1, sizeof *cell);
    int width[NCOL];
    for (int k = 0; k < NCOL; k++) {
        snprintf(cell[0][k], sizeof cell[0][k], "%s", head[k]);
        width[k] = (int)strlen(head[k]);
    }
    for (int i = 0; i < n; i++) {
        char(*row)[128] = cell[i + 1];
        snprintf(row[0], 128, "%s", lift_db_text(r, i, "key"));
        snprintf(row[1], 128, "%s", lift_db_text(r, i, "kind"));
        snprintf(row[2], 128, "%s", lift_db_text(r, i, "status"));
        snprintf(row[3], 128, "%s",
                 lift_db_null(r, i, "split") ? "(no variants)" : lift_db_text(r, i, "split"));
        snprintf(row[4], 128, "%g%%", 100 * lift_db_num(r, i, "coverage"));
        if (lift_db_null(r, i, "layer"))
            snprintf(row[5], 128, "-");
        else
            snprintf(row[5], 128, "%.80s [%g, %g)", lift_db_text(r, i, "layer"),
                     lift_db_num(r, i, "layer_start"), lift_db_num(r, i, "layer_end"));
        snprintf(row[6], 128, "%s", lift_db_text(r, i, "phase"));
        snprintf(row[7], 128, "%s",
                 lift_db_null(r, i, "started") ? "-" : lift_db_text(r, i, "started"));
        grouped(lift_db_text(r, i, "shoppers"), row[8], 128);
        for (int k = 0; k < NCOL; k++)
            if ((int)strlen(row[k]) > width[k])
                width[k] = (int)strlen(row[k]);
    }
    for (int i = 0; i <= n; i++) {
        for (int k = 0; k < NCOL; k++) {
            bool right = k == 4 || k == 6 || k == 8; /* numbers */
            printf(k == NCOL - 1 ? (right ? "%*s\n" : "%-*s\n") : (right ? "%*s  " : "%-*s  "),
                   width[k], cell[i][k]);
        }
    }
    free(cell);
    if (n == 0)
        printf("(none: apply a config file, see sql/examples/)\n");
    PQclear(r);
    return CLI_OK;
}

static const char SQL_GET[] = "SELECT status, coverage, phase FROM lift.experiments WHERE key = $1";
static const char SQL_STATUS[] =
    "UPDATE lift.experiments SET status = $2 WHERE key = $1 RETURNING status, phase";
static const char SQL_COVERAGE[] =
    "UPDATE lift.experiments SET coverage = $2::float8 WHERE key = $1 RETURNING phase";

/* The experiment's row before the change, or NULL after saying why (nothing there). */
static PGresult *current(lift_db *db, const char *cmd, const char *key, int *rc)
{
    lift_err err;
    const char *p[] = {key};
    PGresult *r = lift_db_exec(db, SQL_GET, 1, p, NULL, &err);
    if (!r) {
        *rc = cli_fail(CLI_FAIL, cmd, "%s", err.msg);
        return NULL;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        *rc = cli_fail(CLI_USAGE, cmd, "no experiment '%s' (liftctl experiments lists them)", key);
        return NULL;
    }
    return r;
}

static int set_status(int argc, char **argv, const char *cmd, const char *status)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    char usage[512];
    snprintf(usage, sizeof usage, "usage: liftctl %s EXPERIMENT\n%s", cmd,
             !strcmp(status, "running")
                 ? "Sets the experiment running (a draft or a stopped one). The database checks\n"
                   "it whole first: two variants or more, weights summing to 1, one control, no\n"
                   "overlap in its layer. A stopped experiment resumes its phase (same seed):\n"
                   "shoppers get the variants they had.\n"
                 : "Stops serving the experiment: liftd answers without it within a second, and\n"
                   "its reports keep working. `liftctl start` resumes the same phase.\n");
    int c;
    while ((c = cli_getopt(argc, argv, opts, cmd)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return CLI_OK;
        }
        return CLI_USAGE;
    }
    if (optind + 1 != argc) {
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    const char *key = argv[optind];
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    int rc = CLI_OK;
    PGresult *before = current(db, cmd, key, &rc);
    if (!before) {
        lift_db_close(db);
        return rc;
    }
    if (!strcmp(lift_db_text(before, 0, "status"), status)) {
        printf("%s: already %s (phase %s)\n", key, status, lift_db_text(before, 0, "phase"));
        PQclear(before);
        lift_db_close(db);
        return CLI_OK;
    }
    lift_err err;
    const char *p[] = {key, status};
    PGresult *r = lift_db_exec(db, SQL_STATUS, 2, p, NULL, &err);
    if (!r) {
        rc = cli_db_refusal(db, cmd, NULL);
    } else {
        printf("%s: %s -> %s (phase %s); a running liftd %s it within a second\n", key,
               lift_db_text(before, 0, "status"), status, lift_db_text(r, 0, "phase"),
               !strcmp(status, "running") ? "serves" : "stops serving");
        PQclear(r);
    }
    PQclear(before);
    lift_db_close(db);
    return rc;
}

int cmd_start(int argc, char **argv)
{
    return set_status(argc, argv, "start", "running");
}

int cmd_stop(int argc, char **argv)
{
    return set_status(argc, argv, "stop", "stopped");
}

static const char RAMP_USAGE[] =
    "usage: liftctl ramp EXPERIMENT --coverage X\n"
    "Sets the share of eligible shoppers that enter the experiment (X: 0.5 or 50%, in\n"
    "[0, 1]). Within a phase no shopper ever changes variant: variant i owns\n"
    "[W_i, W_i + coverage * w_i) of the hash range, so raising coverage only adds shoppers\n"
    "and lowering it only removes some. Weights cannot change within a phase (that needs a\n"
    "new seed: see docs/sql-config.md, Phases and seeds).\n";

int cmd_ramp(int argc, char **argv)
{
    static const struct option opts[] = {{"coverage", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    double coverage = (double)NAN;
    int c;
    while ((c = cli_getopt(argc, argv, opts, "ramp")) != -1) {
        if (c == 'h') {
            fputs(RAMP_USAGE, stdout);
            return CLI_OK;
        }
        if (c != 'c')
            return CLI_USAGE;
        if (!lift_share_parse(optarg, &coverage) || coverage < 0 || coverage > 1)
            return cli_fail(CLI_USAGE, "ramp",
                            "--coverage: '%s' is not a share in [0, 1] (0.5 or 50%%)", optarg);
    }
    if (optind + 1 != argc || isnan(coverage)) {
        fputs(RAMP_USAGE, stderr);
        return CLI_USAGE;
    }
    const char *key = argv[optind];
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    int rc = CLI_OK;
    PGresult *before = current(db, "ramp", key, &rc);
    if (!before) {
        lift_db_close(db);
        return rc;
    }
    double was = lift_db_num(before, 0, "coverage");
    if (was == coverage) {
        printf("%s: coverage already %g%% (phase %s)\n", key, 100 * was,
               lift_db_text(before, 0, "phase"));
        PQclear(before);
        lift_db_close(db);
        return CLI_OK;
    }
    char value[40];
    value[lift_dtoa(coverage, value)] = '\0';
    lift_err err;
    const char *p[] = {key, value};
    PGresult *r = lift_db_exec(db, SQL_COVERAGE, 2, p, NULL, &err);
    if (!r) {
        rc = cli_db_refusal(db, "ramp", NULL);
    } else {
        printf("%s: coverage %g%% -> %g%% (phase %s, same seed): %s\n", key, 100 * was,
               100 * coverage, lift_db_text(r, 0, "phase"),
               coverage > was ? "new shoppers enter; no shopper changes variant"
                              : "some shoppers leave; no shopper changes variant");
        PQclear(r);
    }
    PQclear(before);
    lift_db_close(db);
    return rc;
}
