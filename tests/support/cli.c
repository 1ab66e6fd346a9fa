/* Test fixture: runs build/liftctl against a test database. */
#include "cli.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "pgtest.h"

int cli_run(const char *conninfo, const char *env, const char *args, int with_stderr, char *out,
            size_t len)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "LIFT_DATABASE_URL='%s' %s %s %s %s", conninfo, env ? env : "",
             pgtest_bin("liftctl"), args, with_stderr ? "2>&1" : "2>/dev/null");
    FILE *p = popen(cmd, "r");
    cr_assert(p, "popen %s", cmd);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    char rest[4096]; /* drain what does not fit, so the command is not killed by SIGPIPE */
    while (fread(rest, 1, sizeof rest, p) > 0)
        ;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *cli_ok(const char *conninfo, const char *args)
{
    static char out[16384];
    int status = cli_run(conninfo, NULL, args, 0, out, sizeof out);
    cr_assert_eq(status, 0, "`liftctl %s` failed (%d): %s", args, status, out);
    return out;
}

const json_t *cli_metric_result(const json_t *doc, const char *key)
{
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(doc, "metrics"), i, m)
    {
        if (!strcmp(json_string_value(json_object_get(m, "key")), key))
            return json_array_get(json_object_get(m, "results"), 0);
    }
    cr_assert_fail("no metric %s in the report", key);
    return NULL;
}
