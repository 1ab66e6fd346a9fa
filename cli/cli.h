/* liftctl internals: one function per command, and the helpers they share. */
#ifndef LIFT_CLI_H
#define LIFT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lift/assign.h"
#include "lift/db.h"

/* Exit codes (liftctl --help lists them): 0 done, 1 failed at run time, 2 bad usage or
 * bad input, 3 not running (db status). */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_NOT_RUNNING = 3 };

typedef struct cli_command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary; /* one line of liftctl --help */
} cli_command;

/* The command table, a command by name (NULL if none), and liftctl --help's text. */
const cli_command *cli_commands(size_t *n);
const cli_command *cli_find(const char *name);
void cli_usage(FILE *f);

int cmd_db(int argc, char **argv);
int cmd_hash(int argc, char **argv);
int cmd_assign(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_power(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_experiments(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_ramp(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* Connects to the project database (LIFT_DATABASE_URL or the private cluster) as its
 * owner. On failure prints why, with what to do, and returns NULL. */
lift_db *cli_connect(void);

/* Prints "liftctl <cmd>: <message>" to stderr and returns code. */
int cli_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints the database's last refusal as psql does: "liftctl CMD: WHERE: message", then
 * its DETAIL and HINT lines. Returns CLI_USAGE (the input was refused). */
int cli_db_refusal(lift_db *db, const char *cmd, const char *where);

/* getopt_long with liftctl's messages: an unknown option or a missing value is named in
 * "liftctl CMD: unknown option --frob (see liftctl help CMD)", and '?' is returned. */
struct option;
int cli_getopt(int argc, char **argv, const struct option *opts, const char *cmd);

/* CLI_OK when getopt consumed every argument, else names the first extra one (CLI_USAGE). */
int cli_extra_args(int argc, char **argv, const char *cmd);

/* Parses a whole decimal number / a finite double; false when s is not exactly one. */
bool cli_parse_long(const char *s, long *out);
bool cli_parse_double(const char *s, double *out);

/* An RFC 3339 time, or a date (its midnight UTC), for --at and --end. */
bool cli_parse_time(const char *arg, int64_t *usec);

/* The shopper that assign and explain evaluate (cli/request.c): --unit, --attr,
 * --experiment, --config, --at and --no-consent, parsed one way for both. */
#define CLI_SHOPPER_MAX_ATTRS 64
#define CLI_SHOPPER_OPTIONS                                                                        \
    {"unit", required_argument, NULL, 'u'}, {"attr", required_argument, NULL, 'a'},                \
        {"experiment", required_argument, NULL, 'e'}, {"config", required_argument, NULL, 'c'},    \
        {"at", required_argument, NULL, 't'},                                                      \
    {                                                                                              \
        "no-consent", no_argument, NULL, 'n'                                                       \
    }

typedef struct cli_shopper {
    const char *unit, *experiment, *config;
    lift_attr attrs[CLI_SHOPPER_MAX_ATTRS];
    lift_request req; /* now, consent, attrs; unit set from --unit; only from --experiment */
} cli_shopper;

void cli_shopper_init(cli_shopper *s);

/* Takes option c (of CLI_SHOPPER_OPTIONS) with its argument: CLI_OK, CLI_USAGE after saying
 * why a value is bad, or -1 when c is not one of them. */
int cli_shopper_option(cli_shopper *s, int c, const char *arg, const char *cmd);

/* The config from --config's JSON file, or from the database, with req.only set from
 * --experiment; NULL after saying why, with *rc the exit status. */
lift_config *cli_shopper_config(cli_shopper *s, const char *cmd, int *rc);

/* Reads a whole stream into a new NUL-terminated buffer (caller frees); NULL on a read
 * error. */
char *cli_read_all(FILE *f, size_t *len);

#endif
