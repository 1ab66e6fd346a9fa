/* The shopper a command evaluates (assign, explain): its attributes, the moment, and the
 * config it is evaluated against (the database's, or a JSON file's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/config_db.h"
#include "lift/text.h"

bool cli_attr_add(const char *arg, lift_attr *attrs, size_t *n, size_t max)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || *n == max)
        return false;
    attrs[(*n)++] = (lift_attr){arg, (size_t)(eq - arg), eq + 1, strlen(eq + 1)};
    return true;
}

bool cli_parse_time(const char *arg, int64_t *usec)
{
    char tmp[40];
    if (strlen(arg) == 10) { /* a date: its midnight, UTC */
        snprintf(tmp, sizeof tmp, "%sT00:00:00Z", arg);
        arg = tmp;
    }
    return lift_time_parse(arg, strlen(arg), usec) == 0;
}

lift_config *cli_load_config(const char *path, const char *cmd)
{
    lift_err err;
    lift_config *cfg = NULL;
    if (path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
            cli_fail(CLI_USAGE, cmd, "cannot open %s", path);
            return NULL;
        }
        size_t len;
        char *text = cli_read_all(f, &len);
        fclose(f);
        if (text)
            cfg = lift_config_parse(text, len, &err);
        else
            lift_err_set(&err, LIFT_EIO, "cannot read the file");
        free(text);
        if (!cfg)
            cli_fail(CLI_USAGE, cmd, "%s: %s", path, err.msg);
        return cfg;
    }
    lift_db *db = cli_connect();
    if (!db)
        return NULL;
    cfg = lift_config_load_db(db, &err);
    lift_db_close(db);
    if (!cfg)
        cli_fail(CLI_FAIL, cmd, "%s", err.msg);
    return cfg;
}
