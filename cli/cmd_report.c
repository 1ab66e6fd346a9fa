/* liftctl report: an experiment's lift report as HTML, Markdown, JSON or CSV. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "lift/files.h"
#include "lift/names.h"
#include "lift/report.h"
#include "lift/statsjson.h"

static const char USAGE[] =
    "usage: liftctl report EXPERIMENT [--format html|md|json|csv|text] [--out PATH|-]\n"
    "                      [--segment ATTR]... [--as-of TIME] [--alpha A]\n"
    "                      [--correction none|holm|bh] [--sequential [N*]] [--cuped on|off]\n"
    "                      [--max-mixed SHARE]\n"
    "Writes the experiment's lift report, by default HTML to reports/out/EXPERIMENT.html\n"
    "(or .md, .json, .csv; text is a terminal summary, to standard output). It leads with\n"
    "the decision per treatment, the money and the health checks. Defaults: alpha 0.05,\n"
    "Benjamini-Hochberg over metrics x treatments (each --segment breakdown corrected on its\n"
    "own), CUPED where a metric has a pre-period, invalid above 1% of shoppers who saw two\n"
    "variants (--max-mixed 0.01), as of now (shoppers whose metric window has not ended are\n"
    "left out, and counted; an as-of in the future is refused).\n";

#define MAX_SEGMENTS 16

/* RFC 3339, or a date (midnight UTC). */
static bool parse_time(const char *s, int64_t *t)
{
    char tmp[40];
    if (strlen(s) == 10) {
        snprintf(tmp, sizeof tmp, "%sT00:00:00Z", s);
        s = tmp;
    }
    return lift_time_parse(s, strlen(s), t) == 0;
}

static int write_out(const char *path, const lift_buf *b)
{
    if (!strcmp(path, "-"))
        return fwrite(b->data, 1, b->len, stdout) == b->len ? CLI_OK : CLI_FAIL;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        if (*dir && lift_mkdir_p(dir, 0755) != 0)
            return cli_fail(CLI_FAIL, "report", "cannot create %s: %s", dir, strerror(errno));
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return cli_fail(CLI_FAIL, "report", "cannot write %s: %s", path, strerror(errno));
    bool ok = fwrite(b->data, 1, b->len, f) == b->len;
    ok = fclose(f) == 0 && ok;
    if (!ok)
        return cli_fail(CLI_FAIL, "report", "cannot write %s", path);
    fprintf(stderr, "wrote %s\n", path);
    return CLI_OK;
}

/* The options that take a value, for "needs a value" messages. */
static const char VALUED[] =
    " --format --out --segment --as-of --max-mixed --alpha --correction --cuped ";

static bool valued(const char *opt)
{
    char key[80];
    snprintf(key, sizeof key, " %.70s ", opt);
    return strstr(VALUED, key) != NULL;
}

int cmd_report(int argc, char **argv)
{
    static const char *const exts[] = {"html", "md", "json", "csv", "txt"};
    lift_report_opts o = {
        .alpha = 0.05, .correction = LIFT_CORRECT_BH, .tuning = 5000, .cuped = true};
    const char *segments[MAX_SEGMENTS], *out = NULL;
    int format = LIFT_REPORT_HTML;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (!strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--format") && v) {
            if ((format = lift_report_format_parse(v)) < 0)
                return cli_fail(CLI_USAGE, "report",
                                "--format: '%s' is not html, md, json, csv or text", v);
        } else if (!strcmp(a, "--out") && v) {
            out = v;
        } else if (!strcmp(a, "--segment") && v) {
            if (!lift_attr_name_valid(v, strlen(v)) || o.nsegments == MAX_SEGMENTS)
                return cli_fail(CLI_USAGE, "report",
                                "--segment: '%s' is not an attribute name (letters, digits, "
                                "'_', '.', '-'; at most %d)",
                                v, MAX_SEGMENTS);
            segments[o.nsegments++] = v;
        } else if (!strcmp(a, "--as-of") && v) {
            if (!parse_time(v, &o.as_of))
                return cli_fail(CLI_USAGE, "report", "--as-of: '%s' is not a date or RFC 3339 time",
                                v);
        } else if (!strcmp(a, "--max-mixed") && v) {
            if (!lift_share_parse(v, &o.max_mixed_share) ||
                !(o.max_mixed_share > 0 && o.max_mixed_share < 1))
                return cli_fail(CLI_USAGE, "report",
                                "--max-mixed: '%s' is not a share between 0 and 1 (0.01 = 1%%)", v);
        } else if (!strcmp(a, "--alpha") && v) {
            if (!lift_share_parse(v, &o.alpha) || !(o.alpha > 0 && o.alpha < 1))
                return cli_fail(CLI_USAGE, "report",
                                "--alpha: '%s' is not between 0 and 1 (0.05 or 5%%)", v);
        } else if (!strcmp(a, "--correction") && v) {
            int c = lift_correction_parse(v);
            if (c < 0)
                return cli_fail(CLI_USAGE, "report", "--correction: '%s' is not none, holm or bh",
                                v);
            o.correction = (lift_correction)c;
        } else if (!strcmp(a, "--cuped") && v) {
            if (strcmp(v, "on") && strcmp(v, "off"))
                return cli_fail(CLI_USAGE, "report", "--cuped: '%s' is not on or off", v);
            o.cuped = !strcmp(v, "on");
        } else if (!strcmp(a, "--sequential")) {
            o.sequential = true;
            takes = v && cli_parse_double(v, &o.tuning); /* the N* is optional */
            if (takes && !(o.tuning > 0))
                return cli_fail(CLI_USAGE, "report", "--sequential: N* must be positive");
        } else if (a[0] != '-' && !o.experiment) {
            o.experiment = a;
            takes = false;
        } else if (a[0] != '-') {
            return cli_fail(CLI_USAGE, "report",
                            "unexpected argument '%s' (see liftctl help report)", a);
        } else if (!v && valued(a)) {
            return cli_fail(CLI_USAGE, "report", "%s needs a value (see liftctl help report)", a);
        } else {
            return cli_fail(CLI_USAGE, "report", "unknown option %s (see liftctl help report)", a);
        }
        if (takes)
            i++;
    }
    if (!o.experiment) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    o.segments = segments;
    char path[1024];
    if (!out && format == LIFT_REPORT_TEXT)
        out = "-";
    if (!out) {
        snprintf(path, sizeof path, "reports/out/%s.%s", o.experiment, exts[format]);
        out = path;
    }
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    lift_report *r;
    lift_err err;
    int rc = lift_report_build(db, &o, &r, &err);
    lift_db_close(db);
    if (rc != LIFT_OK)
        return cli_fail(rc == LIFT_ENOTFOUND || rc == LIFT_EINVAL ? CLI_USAGE : CLI_FAIL, "report",
                        "%s", err.msg);
    lift_buf b;
    lift_buf_init(&b);
    rc = lift_report_render(r, (lift_report_format)format, &b, &err);
    lift_report_free(r);
    if (rc == LIFT_OK)
        rc = write_out(out, &b);
    else
        rc = cli_fail(CLI_FAIL, "report", "%s", err.msg);
    lift_buf_fini(&b);
    return rc;
}
