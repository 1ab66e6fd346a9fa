/* liftctl assign: which variants shoppers get, from the database's config or a file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/assign.h"
#include "lift/text.h"
#include "lift/xalloc.h"
#include "request.h"

static const char USAGE[] =
    "usage: liftctl assign (--unit U | --units -) [--attr NAME=VALUE]... [--experiment KEY]\n"
    "                      [--config FILE.json] [--at TIME] [--no-consent]\n"
    "Prints {\"unit\":...,\"assignments\":[...]} for each shopper, one JSON line per unit\n"
    "(--units - reads one unit id per line from stdin). Shoppers outside an experiment get\n"
    "no entry for it. Config comes from the database unless --config names a JSON file;\n"
    "--at evaluates start/end times at another moment (RFC 3339).\n";

/* Prints one shopper's line; CLI_USAGE (with an error line) for a bad unit id. */
static int assign_one(const lift_config *cfg, lift_request *req, lift_assignment *out, lift_buf *b)
{
    lift_err err;
    size_t n;
    lift_buf_reset(b);
    if (lift_assign_eval(cfg, req, out, &n, &err) != LIFT_OK) {
        lift_buf_puts(b, "{\"unit\":");
        lift_buf_json_str(b, req->unit, req->unit_len);
        lift_buf_puts(b, ",\"error\":");
        lift_buf_json_str(b, err.msg, strlen(err.msg));
        lift_buf_puts(b, "}");
        puts(b->data);
        return CLI_USAGE;
    }
    lift_assign_render(b, cfg, req->unit, req->unit_len, out, n);
    puts(b->data ? b->data : "{}");
    return CLI_OK;
}

int cmd_assign(int argc, char **argv)
{
    static const struct option opts[] = {CLI_SHOPPER_OPTIONS,
                                         {"units", required_argument, NULL, 'U'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *units = NULL;
    cli_shopper sh;
    cli_shopper_init(&sh);
    lift_request *req = &sh.req;
    int c, rc;
    while ((c = cli_getopt(argc, argv, opts, "assign")) != -1) {
        if ((rc = cli_shopper_option(&sh, c, optarg, "assign")) >= 0) {
            if (rc != CLI_OK)
                return rc;
        } else if (c == 'U') {
            units = optarg;
        } else if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else {
            return CLI_USAGE;
        }
    }
    if (cli_extra_args(argc, argv, "assign") != CLI_OK)
        return CLI_USAGE;
    if (!sh.unit == !units || (units && strcmp(units, "-") != 0)) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    lift_config *cfg = cli_shopper_config(&sh, "assign", &rc);
    if (!cfg)
        return rc;
    lift_assignment *out = lift_xmalloc((cfg->nexperiments + 1) * sizeof *out);
    lift_buf b;
    lift_buf_init(&b);
    if (sh.unit) {
        rc = assign_one(cfg, req, out, &b);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, stdin)) > 0) {
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = '\0';
            req->unit = line;
            req->unit_len = (size_t)len;
            if (assign_one(cfg, req, out, &b) != CLI_OK)
                rc = CLI_USAGE;
        }
        free(line);
    }
    lift_buf_fini(&b);
    free(out);
    lift_config_free(cfg);
    return rc;
}
