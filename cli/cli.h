/* liftctl internals: one function per command, and the helpers they share. */
#ifndef LIFT_CLI_H
#define LIFT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
int cmd_refresh(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_experiments(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_ramp(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* liftctl db shards setup|status (cli/cmd_shards.c), with argv[0] = "shards". */
struct lift_pg;
int cmd_db_shards(const struct lift_pg *pg, int argc, char **argv);

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

/* Reads a whole stream into a new NUL-terminated buffer (caller frees); NULL on a read
 * error. */
char *cli_read_all(FILE *f, size_t *len);

#endif
