/* liftctl: the command-line front for analysts and operators; dispatches subcommands. */
#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "lift/xalloc.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *usage;
} commands[] = {
    {"db", cmd_db, "db start|stop|status|url|migrate   the project database"},
    {"hash", cmd_hash, "hash [--version 1|2] SEED VALUE     GrowthBook bucketing hash"},
    {"assign", cmd_assign, "assign --unit U [--attr k=v]...     which variants a shopper gets"},
    {"stats", cmd_stats, "stats [FILE|-]                      the stats engine as a JSON filter"},
    {"power", cmd_power, "power --baseline P --mde D ...      sample size and duration"},
    {"apply", cmd_apply, "apply FILE.sql...                   apply experiment config files"},
    {"report", cmd_report, "report EXPERIMENT [--format ...]    lift report (html, md, json, csv)"},
    {"forget", cmd_forget, "forget UNIT...                      erase shoppers' data (GDPR)"},
    {"keys", cmd_keys, "keys [create --client|revoke ID]    publishable client keys"},
    {"simulate", cmd_simulate,
     "simulate --experiment K ...         storefront traffic through liftd"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: liftctl COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "\nenvironment:\n"
               "  LIFT_DATABASE_URL  use this PostgreSQL instead of the private cluster\n"
               "  LIFT_HOME          where the private cluster lives (default ./.lift)\n"
               "\n`liftctl COMMAND --help` tells more.\n");
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off(); /* the default handler abort()s; we check every status */
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "liftctl: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}

int cli_fail(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "liftctl %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

lift_db *cli_connect(void)
{
    lift_pg pg;
    lift_err err;
    if (lift_pg_locate(&pg, &err) != LIFT_OK) {
        fprintf(stderr, "liftctl: %s\n", err.msg);
        return NULL;
    }
    if (!pg.external && lift_pg_status(&pg) != LIFT_PG_RUNNING) {
        fprintf(stderr,
                "liftctl: the database is not running: start it with `liftctl db start` "
                "(cluster %s), or set LIFT_DATABASE_URL\n",
                pg.datadir);
        return NULL;
    }
    lift_db *db = lift_db_open(pg.url, &err);
    if (!db)
        fprintf(stderr, "liftctl: %s\n", err.msg);
    return db;
}

bool cli_parse_long(const char *s, long *out)
{
    char *end;
    if (!s || !*s)
        return false;
    long v = strtol(s, &end, 10);
    if (*end)
        return false;
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return false;
    double v = strtod(s, &end);
    if (*end || v != v || v > 1e300 || v < -1e300)
        return false;
    *out = v;
    return true;
}

char *cli_read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = lift_xmalloc(cap);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f)) {
            free(buf);
            return NULL;
        }
        if (feof(f))
            break;
        if (cap - n - 1 == 0)
            buf = lift_xrealloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
