/* liftctl prune: retention. Drops the whole time partitions of lift.events and lift.exposures
 * older than a cutoff, and the ids older than it, in one transaction (lift.prune(), migration
 * 0013), and prints what went and how long it took. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define MAX_HOURS (100L * 366 * 24) /* a century: anything longer is a typo */

static const char USAGE[] =
    "usage: liftctl prune --older-than DURATION [--dry-run]\n"
    "Retention: drops the time partitions of lift.events (monthly) and of the exposure log\n"
    "lift.exposures (daily) that lie wholly before now - DURATION, deletes the rows of their\n"
    "default partitions older than that (said so), deletes the ids older than it from the\n"
    "dedup registries lift.event_ids and lift.exposure_ids, and records the cutoff in\n"
    "lift.pruned; all in one transaction. DURATION is a whole number of days, weeks or hours:\n"
    "90d, 12w, 2160h.\n"
    "The cutoff is the dedup horizon: an event or exposure older than it is skipped as a\n"
    "duplicate (or refused), and a batch re-sent after the prune whose rows have newer times\n"
    "(items without ts are stamped on arrival) is stored again. lift.assignments and the\n"
    "rollups are kept: reports still know every shopper's first exposure; a raw report over\n"
    "pruned time is incomplete. Needs the owner of the lift tables (liftctl's role).\n"
    "  --dry-run    list what would go; change nothing\n";

/* "90d" → 2160 hours. On bad input writes why into why and returns false. */
static bool parse_age(const char *s, long *hours, char *why, size_t len)
{
    if (*s == '-') {
        snprintf(why, len, "'%s' is negative: the age must be more than 0", s);
        return false;
    }
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p == s) {
        snprintf(why, len, "'%s' does not start with a number (e.g. 90d, 12w, 2160h)", s);
        return false;
    }
    long per;
    if (!strcmp(p, "d"))
        per = 24;
    else if (!strcmp(p, "w"))
        per = 24 * 7;
    else if (!strcmp(p, "h"))
        per = 1;
    else {
        snprintf(why, len,
                 *p ? "'%s': unknown unit '%s' (d for days, w for weeks, h for hours)"
                    : "'%s' has no unit: add d (days), w (weeks) or h (hours), e.g. 90d",
                 s, p);
        return false;
    }
    errno = 0;
    long n = strtol(s, NULL, 10);
    if (errno == ERANGE || n > MAX_HOURS / per) {
        snprintf(why, len, "'%s' is longer than a century", s);
        return false;
    }
    if (n == 0) {
        snprintf(why, len, "'%s' would prune everything up to now: the age must be more than 0", s);
        return false;
    }
    *hours = n * per;
    return true;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int cmd_prune(int argc, char **argv)
{
    static const struct option opts[] = {{"older-than", required_argument, NULL, 'o'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *age = NULL;
    bool dry = false;
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, opts, "prune")) != -1) {
        if (c == 'o')
            age = optarg;
        else if (c == 'n')
            dry = true;
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else
            return CLI_USAGE;
    }
    if (cli_extra_args(argc, argv, "prune") != CLI_OK)
        return CLI_USAGE;
    if (!age)
        return cli_fail(CLI_USAGE, "prune",
                        "--older-than DURATION is required (e.g. --older-than 90d; see liftctl "
                        "help prune)");
    long hours;
    char why[200];
    if (!parse_age(age, &hours, why, sizeof why))
        return cli_fail(CLI_USAGE, "prune", "--older-than %s", why);

    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char interval[48];
    snprintf(interval, sizeof interval, "%ld hours", hours);
    const char *params[] = {interval, dry ? "true" : "false"};
    lift_err err;
    PGresult *r = lift_db_exec(
        db,
        "SELECT what, action, coalesce(nrows, 0) AS nrows, to_char(cutoff AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD HH24:MI:SS') AS cutoff FROM lift.prune($1::interval, $2::boolean)",
        2, params, NULL, &err);
    double took = seconds_since(&t0);
    lift_db_close(db);
    if (!r)
        return cli_fail(CLI_FAIL, "prune", "%s (nothing was pruned)%s", err.msg,
                        strstr(err.msg, "permission denied")
                            ? "; prune needs the owner of the lift tables (the role that ran "
                              "liftctl db migrate), not lift_writer or lift_analyst"
                            : "");
    /* Each action in the conditional (dry run) or the past. */
    const char *drop = dry ? "would drop" : "dropped", *del = dry ? "would delete" : "deleted";
    long parts = 0, part_rows = 0, default_rows = 0, ids = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *what = lift_db_text(r, i, "what"), *action = lift_db_text(r, i, "action");
        long n = atol(lift_db_text(r, i, "nrows"));
        if (i == 0)
            printf("cutoff %s UTC (older than %s)%s\n", lift_db_text(r, i, "cutoff"), age,
                   dry ? ": dry run, nothing is changed" : "");
        if (!strcmp(action, "drop partition")) {
            printf("%s partition %s: %ld rows\n", drop, what, n);
            parts++;
            part_rows += n;
        } else if (!strcmp(action, "delete rows")) {
            if (n > 0)
                printf("%s %ld rows older than the cutoff from the default partition %s "
                       "(row by row: their times fit no partition)\n",
                       del, n, what);
            default_rows += n;
        } else if (!strcmp(action, "delete ids")) {
            printf("%s %ld ids older than the cutoff from %s\n", del, n, what);
            ids += n;
        } else if (!strcmp(action, "record cutoff")) {
            printf("%s the cutoff in %s: older events and exposures count as duplicates "
                   "from now on\n",
                   dry ? "would record" : "recorded", what);
        }
    }
    printf("%s %ld partitions (%ld rows), %ld rows of default partitions, %ld ids in %.3f s\n",
           dry ? "would prune" : "pruned", parts, part_rows, default_rows, ids, took);
    PQclear(r);
    return CLI_OK;
}
