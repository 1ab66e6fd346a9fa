/* liftctl hash: the GrowthBook bucketing hash, one pair or a batch from stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/assign.h"
#include "lift/text.h"

static const char USAGE[] =
    "usage: liftctl hash [--version 1|2] SEED VALUE\n"
    "       liftctl hash --batch < lines of SEED<TAB>VALUE<TAB>VERSION\n"
    "Prints hash(seed, value, version) in [0, 1) as the GrowthBook SDKs compute it\n"
    "(default version 2); `null` for an unknown version. Invalid UTF-8 is refused.\n";

static void print_hash(double h)
{
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_json_num(&b, h);
    puts(b.data ? b.data : "null");
    lift_buf_fini(&b);
}

/* One line of the batch; prints exactly one output line. Returns CLI_OK or CLI_USAGE. */
static int batch_line(char *line, long lineno)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    char *tab1 = strchr(line, '\t');
    char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    long version;
    if (!tab2 || !cli_parse_long(tab2 + 1, &version)) {
        puts("null");
        return cli_fail(CLI_USAGE, "hash", "line %ld: expected SEED<TAB>VALUE<TAB>VERSION", lineno);
    }
    lift_err err;
    double h;
    int rc = lift_hash(line, (size_t)(tab1 - line), tab1 + 1, (size_t)(tab2 - tab1 - 1),
                       (int)version, &h, &err);
    if (rc == LIFT_OK) {
        print_hash(h);
        return CLI_OK;
    }
    puts("null");
    if (rc == LIFT_ENOTFOUND)
        return CLI_OK; /* unknown versions are null, as in the SDKs */
    return cli_fail(CLI_USAGE, "hash", "line %ld: %s", lineno, err.msg);
}

int cmd_hash(int argc, char **argv)
{
    long version = 2;
    int i = 1;
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(USAGE, stdout);
        return CLI_OK;
    }
    if (argc == 2 && strcmp(argv[1], "--batch") == 0) {
        char *line = NULL;
        size_t cap = 0;
        long lineno = 0;
        int rc = CLI_OK;
        while (getline(&line, &cap, stdin) > 0)
            if (batch_line(line, ++lineno) != CLI_OK)
                rc = CLI_USAGE;
        free(line);
        return rc;
    }
    if (argc >= 3 && strcmp(argv[1], "--version") == 0) {
        if (!cli_parse_long(argv[2], &version))
            return cli_fail(CLI_USAGE, "hash", "--version takes a whole number, not '%s'", argv[2]);
        i = 3;
    }
    if (i < argc && !strcmp(argv[i], "--")) /* a seed that starts with "-" */
        i++;
    else if (i < argc && argv[i][0] == '-' && argv[i][1] == '-')
        return cli_fail(CLI_USAGE, "hash", "unknown option %s (see liftctl help hash)", argv[i]);
    if (argc - i != 2) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    lift_err err;
    double h;
    int rc = lift_hash(argv[i], strlen(argv[i]), argv[i + 1], strlen(argv[i + 1]), (int)version, &h,
                       &err);
    if (rc == LIFT_ENOTFOUND) {
        puts("null");
        return CLI_OK;
    }
    if (rc != LIFT_OK)
        return cli_fail(CLI_USAGE, "hash", "%s", err.msg);
    print_hash(h);
    return CLI_OK;
}
