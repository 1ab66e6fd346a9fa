/* liftctl stats: the stats engine as a filter, one JSON request in, one JSON result out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/statsjson.h"

static const char USAGE[] =
    "usage: liftctl stats [--pretty] [FILE|-]\n"
    "Reads one JSON request (docs/statistics.md, liftctl stats) from FILE or stdin and writes\n"
    "one JSON result. A malformed request exits 2 with a message naming the field.\n";

int cmd_stats(int argc, char **argv)
{
    bool pretty = false;
    const char *path = "-";
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--pretty") == 0) {
            pretty = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_fail(CLI_USAGE, "stats", "unknown option %s (see liftctl help stats)",
                            argv[i]);
        } else {
            path = argv[i];
            files++;
        }
    }
    if (files > 1)
        return cli_fail(CLI_USAGE, "stats", "one request file at a time (see liftctl help stats)");
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return cli_fail(CLI_USAGE, "stats", "cannot open %s", path);
    size_t len;
    char *text = cli_read_all(f, &len);
    if (f != stdin)
        fclose(f);
    if (!text)
        return cli_fail(CLI_FAIL, "stats", "cannot read %s", path);

    lift_stats_request req;
    lift_analysis_out out = {0};
    lift_err err;
    int rc = lift_statsjson_parse(text, len, &req, &err);
    free(text);
    if (rc == LIFT_OK)
        rc = lift_stats_analyze(&req.analysis, &out, &err);
    if (rc != LIFT_OK) {
        lift_statsjson_fini(&req);
        return cli_fail(rc == LIFT_EINVAL ? CLI_USAGE : CLI_FAIL, "stats", "%s", err.msg);
    }
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, pretty);
    lift_statsjson_write(&w, &req.analysis, req.variants, &out);
    lift_buf_puts(&b, "\n");
    rc = b.failed ? cli_fail(CLI_FAIL, "stats", "out of memory") : CLI_OK;
    if (rc == CLI_OK && fwrite(b.data, 1, b.len, stdout) != b.len)
        rc = cli_fail(CLI_FAIL, "stats", "cannot write the result");
    lift_buf_fini(&b);
    lift_stats_analysis_fini(&out);
    lift_statsjson_fini(&req);
    return rc;
}
