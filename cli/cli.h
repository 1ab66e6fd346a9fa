/* liftctl internals: one function per command, and the helpers they share. */
#ifndef LIFT_CLI_H
#define LIFT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "lift/db.h"

/* Exit codes: 0 done, 1 failed at run time, 2 bad usage or bad input. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_db(int argc, char **argv);
int cmd_hash(int argc, char **argv);
int cmd_assign(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_power(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* Connects to the project database (LIFT_DATABASE_URL or the private cluster) as its
 * owner. On failure prints why, with what to do, and returns NULL. */
lift_db *cli_connect(void);

/* Prints "liftctl <cmd>: <message>" to stderr and returns code. */
int cli_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parses a whole decimal number / a finite double; false when s is not exactly one. */
bool cli_parse_long(const char *s, long *out);
bool cli_parse_double(const char *s, double *out);

/* Reads a whole stream into a new NUL-terminated buffer (caller frees); NULL on a read
 * error. */
char *cli_read_all(FILE *f, size_t *len);

#endif
