/* liftctl: the command-line front for analysts and operators; dispatches subcommands and
 * holds the helpers they share. */
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cluster.h"
#include "lift/text.h"
#include "lift/xalloc.h"

#ifndef LIFT_VERSION
#define LIFT_VERSION "unknown"
#endif

/* Every command: its name, its function (each prints its own usage for --help, which is
 * what `liftctl help COMMAND`, the manual page and the completion read), and one line. */
static const cli_command commands[] = {
    {"db", cmd_db, "db start|stop|status|url|migrate|roles|shards  the project database"},
    {"apply", cmd_apply, "apply [--plan] FILE.sql...         experiment config, declaratively"},
    {"experiments", cmd_experiments,
     "experiments [--keys]                   status, split, coverage, phase, shoppers"},
    {"start", cmd_start, "start EXPERIMENT                   run an experiment"},
    {"stop", cmd_stop, "stop EXPERIMENT                    stop serving an experiment"},
    {"ramp", cmd_ramp,
     "ramp EXPERIMENT --coverage X       change coverage; no shopper changes variant"},
    {"explain", cmd_explain,
     "explain --unit U [--attr K=V]...       why a shopper is or is not in each experiment"},
    {"assign", cmd_assign, "assign --unit U [--attr K=V]...        which variants a shopper gets"},
    {"hash", cmd_hash, "hash [--version 1|2] SEED VALUE        GrowthBook bucketing hash"},
    {"report", cmd_report,
     "report EXPERIMENT [--format ...]       lift report (html, md, json, csv)"},
    {"stats", cmd_stats,
     "stats [FILE|-]                         the stats engine as a JSON filter"},
    {"power", cmd_power, "power --baseline P --mde D ...         sample size and duration"},
    {"simulate", cmd_simulate,
     "simulate --experiment K ...            storefront traffic through liftd"},
    {"refresh", cmd_refresh,
     "refresh [--rebuild] [EXPERIMENT...]    bring report rollups up to date"},
    {"forget", cmd_forget, "forget UNIT...                         erase shoppers' data (GDPR)"},
    {"prune", cmd_prune,
     "prune --older-than 90d [--dry-run]     retention: drop old time partitions"},
    {"keys", cmd_keys, "keys [list|create --client|revoke ID]  publishable client keys"},
    {"help", cmd_help, "help [COMMAND]                         this text, or a command's"},
    {"completion", cmd_completion,
     "completion bash                        the bash completion script"},
};

const cli_command *cli_commands(size_t *n)
{
    *n = sizeof commands / sizeof *commands;
    return commands;
}

void cli_usage(FILE *f)
{
    fprintf(f, "usage: liftctl COMMAND [ARGS]\n"
               "       liftctl help [COMMAND] | --version\n\n"
               "liftctl manages lift: its database, experiment config, reports and data.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %s\n", commands[i].summary);
    fprintf(
        f,
        "\nenvironment:\n"
        "  LIFT_DATABASE_URL   use this PostgreSQL (as its owner) instead of the private cluster\n"
        "  LIFT_HOME           where the private cluster lives (default ./.lift)\n"
        "  LIFT_PG_USER        system user that runs the private cluster as root (postgres)\n"
        "  LIFT_PG_BINDIR      folder of initdb and pg_ctl (the newest PostgreSQL)\n"
        "  LIFT_SHARDS         the fact shards' PostgreSQL URLs, for db shards\n"
        "  LIFT_URL, LIFT_API_KEY  liftd's address and a key, for simulate\n"
        "  LIFT_PSEUDONYM_KEY  the pseudonym secret of liftd, for forget\n"
        "\nshares: wherever a share is asked for (--coverage, --mde, --effect ...), 0.05 and\n"
        "5%% mean the same; a plain number is a fraction.\n"
        "\nexit status:\n"
        "  %d  done\n"
        "  %d  failed at run time (the database cannot be reached, a write failed)\n"
        "  %d  bad usage or bad input (an unknown option, a file the database refuses)\n"
        "  %d  not running (db status: the database is stopped or does not answer)\n"
        "\n`liftctl help COMMAND` tells more.\n",
        CLI_OK, CLI_FAIL, CLI_USAGE, CLI_NOT_RUNNING);
}

const cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off(); /* the default handler abort()s; we check every status */
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cli_usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("liftctl %s\n", LIFT_VERSION);
        return CLI_OK;
    }
    const cli_command *c = cli_find(argv[1]);
    if (c)
        return c->fn(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        fprintf(stderr, "liftctl: unknown option %s (see liftctl --help)\n", argv[1]);
    else
        fprintf(stderr, "liftctl: unknown command '%s' (see liftctl --help)\n", argv[1]);
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

int cli_db_refusal(lift_db *db, const char *cmd, const char *where)
{
    lift_db_fields f = lift_db_last_error(db);
    fprintf(stderr, "liftctl %s: %s%s%s\n", cmd, where ? where : "", where ? ": " : "", f.primary);
    if (*f.detail)
        fprintf(stderr, "  DETAIL: %s\n", f.detail);
    if (*f.hint)
        fprintf(stderr, "  HINT: %s\n", f.hint);
    return CLI_USAGE;
}

int cli_getopt(int argc, char **argv, const struct option *opts, const char *cmd)
{
    opterr = 0; /* our own messages, naming the option and the command */
    int longindex = -1;
    int c = getopt_long(argc, argv, ":", opts, &longindex);
    if (c == '?' || c == ':') {
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        if (c == ':')
            cli_fail(CLI_USAGE, cmd, "%s needs a value (see liftctl help %s)", arg, cmd);
        else if (optopt && !(arg[0] == '-' && arg[1] == '-'))
            cli_fail(CLI_USAGE, cmd, "unknown option -%c (see liftctl help %s)", optopt, cmd);
        else
            cli_fail(CLI_USAGE, cmd, "unknown option %s (see liftctl help %s)", arg, cmd);
        return '?';
    }
    return c;
}

int cli_extra_args(int argc, char **argv, const char *cmd)
{
    if (optind >= argc)
        return CLI_OK;
    return cli_fail(CLI_USAGE, cmd, "unexpected argument '%s' (see liftctl help %s)", argv[optind],
                    cmd);
}

lift_db *cli_connect(void)
{
    lift_pg pg;
    lift_err err;
    if (lift_pg_locate(&pg, &err) != LIFT_OK) {
        fprintf(stderr, "liftctl: %s\n", err.msg);
        return NULL;
    }
    /* After make demo, the demo's database is not the default one: say so, rather than
     * answer from another (empty) database without a word. */
    const char *home = getenv("LIFT_HOME");
    bool demo = !pg.external && (!home || !*home) && access(".lift/demo/env", R_OK) == 0;
    if (!pg.external && lift_pg_status(&pg) != LIFT_PG_RUNNING) {
        fprintf(stderr,
                "liftctl: the database is not running: start it with `liftctl db start` "
                "(cluster %s), or set LIFT_DATABASE_URL%s\n",
                pg.datadir,
                demo ? "; the demo's database is in .lift/demo: run `. .lift/demo/env` first" : "");
        return NULL;
    }
    if (demo)
        fprintf(stderr,
                "liftctl: note: using the database in %s, not the demo's (`. .lift/demo/env` "
                "points liftctl at the demo)\n",
                pg.datadir);
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
