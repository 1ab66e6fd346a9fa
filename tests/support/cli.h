/* Test fixture: runs build/liftctl against a test database, as a user would. */
#ifndef LIFT_TEST_CLI_H
#define LIFT_TEST_CLI_H

#include <stddef.h>

/* Runs `liftctl ARGS` with LIFT_DATABASE_URL=conninfo and the extra environment `env`
 * ("NAME=value ..." in shell syntax, or NULL). Captures standard output (and standard
 * error too when with_stderr) into out, cut to len - 1 bytes; returns the exit status (-1
 * if it did not exit). */
int cli_run(const char *conninfo, const char *env, const char *args, int with_stderr, char *out,
            size_t len);

/* As cli_run without extra environment or standard error; asserts the exit status is 0
 * and returns the output (static storage). */
const char *cli_ok(const char *conninfo, const char *args);

/* The first result (first treatment) of metric `key` in a report's JSON document; fails the
 * test when the report has no such metric. */
struct json_t;
const struct json_t *cli_metric_result(const struct json_t *doc, const char *key);

#endif
