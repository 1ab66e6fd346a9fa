/* The shopper a command evaluates (assign, explain): its attributes, the moment, and the
 * config it is evaluated against (the database's, or a JSON file's). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/config_db.h"
#include "lift/text.h"
#include "request.h"

bool cli_parse_time(const char *arg, int64_t *usec)
{
    char tmp[40];
    if (strlen(arg) == 10) { /* a date: its midnight, UTC */
        snprintf(tmp, sizeof tmp, "%sT00:00:00Z", arg);
        arg = tmp;
    }
    return lift_time_parse(arg, strlen(arg), usec) == 0;
}

void cli_shopper_init(cli_shopper *s)
{
    memset(s, 0, sizeof *s);
    s->req = (lift_request){.now = lift_time_now(), .consent = true, .only = -1, .attrs = s->attrs};
}

int cli_shopper_option(cli_shopper *s, int c, const char *arg, const char *cmd)
{
    switch (c) {
    case 'u':
        s->unit = arg;
        s->req.unit = arg;
        s->req.unit_len = strlen(arg);
        return CLI_OK;
    case 'e':
        s->experiment = arg;
        return CLI_OK;
    case 'c':
        s->config = arg;
        return CLI_OK;
    case 'n':
        s->req.consent = false;
        return CLI_OK;
    case 't':
        if (!cli_parse_time(arg, &s->req.now))
            return cli_fail(CLI_USAGE, cmd, "--at: '%s' is not an RFC 3339 time or a date", arg);
        return CLI_OK;
    case 'a': {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || s->req.nattrs == CLI_SHOPPER_MAX_ATTRS)
            return cli_fail(CLI_USAGE, cmd, "--attr takes NAME=VALUE (up to %d)",
                            CLI_SHOPPER_MAX_ATTRS);
        s->attrs[s->req.nattrs++] = (lift_attr){arg, (size_t)(eq - arg), eq + 1, strlen(eq + 1)};
        return CLI_OK;
    }
    default:
        return -1;
    }
}

lift_config *cli_shopper_config(cli_shopper *s, const char *cmd, int *rc)
{
    lift_err err;
    lift_config *cfg = NULL;
    *rc = CLI_OK;
    if (s->config) {
        FILE *f = fopen(s->config, "rb");
        if (!f) {
            *rc = cli_fail(CLI_USAGE, cmd, "cannot open %s", s->config);
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
        if (!cfg) {
            *rc = cli_fail(CLI_USAGE, cmd, "%s: %s", s->config, err.msg);
            return NULL;
        }
    } else {
        lift_db *db = cli_connect();
        if (!db) {
            *rc = CLI_FAIL;
            return NULL;
        }
        cfg = lift_config_load_db(db, &err);
        lift_db_close(db);
        if (!cfg) {
            *rc = cli_fail(CLI_FAIL, cmd, "%s", err.msg);
            return NULL;
        }
    }
    if (s->experiment &&
        (s->req.only = lift_config_find(cfg, s->experiment, strlen(s->experiment))) < 0) {
        *rc = cli_fail(CLI_USAGE, cmd, "unknown experiment '%s'", s->experiment);
        lift_config_free(cfg);
        return NULL;
    }
    return cfg;
}
