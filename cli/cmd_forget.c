/* liftctl forget: the right to erasure. Deletes every exposure, event, QA override and
 * assignment row (lift.assignments) of the given shoppers in one transaction and prints
 * what it removed. When liftd stores pseudonyms (LIFT_PSEUDONYM_KEY), the same key finds the
 * shopper's rows; rows stored under the raw id (before pseudonyms were turned on) go too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/assign.h"
#include "lift/pseudo.h"
#include "lift/text.h"
#include "lift/xalloc.h"

static const char USAGE[] =
    "usage: liftctl forget [--] UNIT...\n"
    "Deletes every exposure, event, QA override and assignment row of these shoppers (right\n"
    "to erasure), in one transaction, and prints what was removed. If liftd stores\n"
    "pseudonyms, run this with the same LIFT_PSEUDONYM_KEY. Rows liftd has not yet written\n"
    "(its queue, or its spool while the database is away) are not reached: run it again\n"
    "after liftd has flushed.\n";

int cmd_forget(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    int first = 1;
    if (!strcmp(argv[1], "--")) /* unit ids that start with "-" follow */
        first = 2;
    else
        for (int i = 1; i < argc; i++)
            if (argv[i][0] == '-' && argv[i][1] == '-')
                return cli_fail(CLI_USAGE, "forget",
                                "unknown option %s (see liftctl help forget; -- before unit "
                                "ids that start with -)",
                                argv[i]);
    argc -= first - 1;
    argv += first - 1;
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    const char *key = getenv("LIFT_PSEUDONYM_KEY");
    lift_pseudo *pseudo;
    lift_err err;
    if (lift_pseudo_new(key, &pseudo, &err) != LIFT_OK)
        return cli_fail(CLI_FAIL, "forget", "%s", err.msg);
    /* Each shopper by raw id, and by pseudonym when a key is set: rows of either kind go. */
    const char **units = lift_xcalloc((size_t)argc * 2, sizeof *units);
    char(*pseudonyms)[LIFT_PSEUDO_LEN + 1] = lift_xcalloc((size_t)argc, sizeof *pseudonyms);
    size_t nunits = 0;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (n == 0 || n > LIFT_UNIT_MAX || !lift_utf8_valid(argv[i], n)) {
            free(units);
            free(pseudonyms);
            lift_pseudo_free(pseudo);
            return cli_fail(CLI_USAGE, "forget", "'%s' is not a unit id (1 to %d bytes of UTF-8)",
                            argv[i], LIFT_UNIT_MAX);
        }
        units[nunits++] = argv[i];
        if (pseudo) {
            lift_pseudo_unit(pseudo, argv[i], n, pseudonyms[i]);
            units[nunits++] = pseudonyms[i];
        }
    }
    lift_buf ids;
    lift_buf_init(&ids);
    lift_db_array(&ids, units, nunits);
    free(units);
    free(pseudonyms);
    lift_pseudo_free(pseudo);

    lift_db *db = cli_connect();
    if (!db) {
        lift_buf_fini(&ids);
        return CLI_FAIL;
    }
    const char *params[] = {ids.data};
    PGresult *res = lift_db_exec(
        db,
        "WITH x AS (DELETE FROM lift.exposures WHERE unit = ANY ($1::text[]) RETURNING 1),"
        "     e AS (DELETE FROM lift.events WHERE unit = ANY ($1::text[]) RETURNING 1),"
        "     o AS (DELETE FROM lift.overrides WHERE unit = ANY ($1::text[]) RETURNING 1),"
        "     a AS (DELETE FROM lift.assignments WHERE unit = ANY ($1::text[]) RETURNING 1),"
        "     r AS (DELETE FROM lift.rollups WHERE unit = ANY ($1::text[]))"
        " SELECT (SELECT count(*) FROM x) AS exposures, (SELECT count(*) FROM e) AS events,"
        "        (SELECT count(*) FROM o) AS overrides, (SELECT count(*) FROM a) AS assignments",
        1, params, NULL, &err);
    lift_buf_fini(&ids);
    lift_db_close(db);
    if (!res)
        return cli_fail(CLI_FAIL, "forget", "%s (nothing was removed)", err.msg);
    printf("forgot %d shopper%s%s: removed %s exposures, %s events, %s QA overrides, %s "
           "assignments\n",
           argc - 1, argc == 2 ? "" : "s", key && *key ? " (by pseudonym and raw id)" : "",
           lift_db_text(res, 0, "exposures"), lift_db_text(res, 0, "events"),
           lift_db_text(res, 0, "overrides"), lift_db_text(res, 0, "assignments"));
    PQclear(res);
    return CLI_OK;
}
