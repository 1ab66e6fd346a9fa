/* liftctl keys: publishable client keys (lift.client_keys) — create, list, revoke. The key
 * is printed once, at creation; the database keeps only its SHA-256 digest. liftd picks
 * changes up within a second (they are config). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lift/keys.h"
#include "lift/text.h"
#include "lift/xalloc.h"

static const char USAGE[] =
    "usage: liftctl keys [list]\n"
    "       liftctl keys create --client [--origin URL]... [--allow-event TYPE]...\n"
    "                           [--rate N|unlimited] [--burst N] [--note TEXT]\n"
    "       liftctl keys revoke ID|KEY\n"
    "\n"
    "Client keys are publishable: browsers and SDKs use them to read the GrowthBook payload\n"
    "(GET /api/features/KEY, /sub/KEY), to assign (/v1/assign, OFREP), to post exposures and\n"
    "to post the event types the key allows. `create` prints the new key on stdout; only its\n"
    "digest is stored.\n"
    "  --origin URL        a page origin allowed to use the key (CORS), e.g.\n"
    "                      https://shop.example.com; repeat for more. None: servers only.\n"
    "  --allow-event TYPE  an event type the key may post; repeat for more (default:\n"
    "                      page_view and add_to_cart). Orders and refunds only if listed.\n"
    "  --rate N            requests a second (token bucket refill; default 1000), or\n"
    "                      unlimited\n"
    "  --burst N           requests at once (bucket size; default 2 x rate, or 2000)\n"
    "  --note TEXT         what the key is for\n"
    "Secret keys (every power) are not stored here: they are liftd's LIFT_API_KEYS.\n";

/* "pk_" + 32 letters or digits from /dev/urandom (rejection sampling: no bias). */
static int new_key(char out[36])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    memcpy(out, "pk_", 3);
    int n = 3;
    while (n < 35) {
        unsigned char b[64];
        if (read(fd, b, sizeof b) != (ssize_t)sizeof b) {
            close(fd);
            return -1;
        }
        for (size_t i = 0; i < sizeof b && n < 35; i++)
            if (b[i] < 252) /* 252 = 7 * 36 */
                out[n++] = alphabet[b[i] % 36];
    }
    out[35] = '\0';
    close(fd);
    return 0;
}

static int list(void)
{
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    lift_err err;
    PGresult *r = lift_db_exec(
        db,
        "SELECT id, array_to_string(origins, ' ') AS origins,"
        "       array_to_string(event_types, ',') AS events,"
        "       coalesce(rate_per_sec::text, 'unlimited') AS rate, burst::text AS burst,"
        "       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created,"
        "       coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '') AS "
        "revoked, note"
        " FROM lift.client_keys ORDER BY created_at, id",
        0, NULL, NULL, &err);
    lift_db_close(db);
    if (!r)
        return cli_fail(CLI_FAIL, "keys", "%s", err.msg);
    printf("%-12s %-8s %-10s %-6s %-17s %-24s %s\n", "ID", "STATUS", "RATE/S", "BURST", "CREATED",
           "EVENTS", "ORIGINS");
    for (int i = 0; i < PQntuples(r); i++) {
        const char *revoked = lift_db_text(r, i, "revoked");
        const char *origins = lift_db_text(r, i, "origins");
        printf("%-12s %-8s %-10s %-6s %-17s %-24s %s", lift_db_text(r, i, "id"),
               *revoked ? "revoked" : "live", lift_db_text(r, i, "rate"),
               lift_db_text(r, i, "burst"), lift_db_text(r, i, "created"),
               lift_db_text(r, i, "events"), *origins ? origins : "(servers only)");
        if (*lift_db_text(r, i, "note"))
            printf("  # %s", lift_db_text(r, i, "note"));
        putchar('\n');
    }
    if (PQntuples(r) == 0)
        printf("(no client keys: liftctl keys create --client --origin https://shop.example)\n");
    PQclear(r);
    return CLI_OK;
}

static int create(int argc, char **argv)
{
    const char **origins = lift_xcalloc((size_t)argc, sizeof *origins);
    const char **events = lift_xcalloc((size_t)argc + 2, sizeof *events);
    size_t norigins = 0, nevents = 0;
    const char *note = "", *rate = "1000", *burst = NULL;
    bool client = false;
    int rc = CLI_OK;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--client"))
            client = true;
        else if (!strcmp(a, "--origin") && v)
            origins[norigins++] = argv[++i];
        else if (!strcmp(a, "--allow-event") && v)
            events[nevents++] = argv[++i];
        else if (!strcmp(a, "--note") && v)
            note = argv[++i];
        else if (!strcmp(a, "--rate") && v && (!strcmp(v, "unlimited") || cli_parse_long(v, &n)))
            rate = strcmp(argv[++i], "unlimited") ? v : NULL;
        else if (!strcmp(a, "--burst") && v && cli_parse_long(v, &n))
            burst = argv[++i];
        else
            rc = cli_fail(CLI_USAGE, "keys", "create: unexpected '%s'%s (see liftctl keys --help)",
                          a, v ? "" : " (or its value is missing)");
    }
    if (rc == CLI_OK && !client)
        rc = cli_fail(CLI_USAGE, "keys",
                      "create makes publishable client keys: say --client (secret keys are "
                      "liftd's LIFT_API_KEYS, never stored)");
    char key[36], digest[72], burst_text[32];
    if (rc == CLI_OK && new_key(key) != 0)
        rc = cli_fail(CLI_FAIL, "keys", "cannot read /dev/urandom");
    lift_db *db = rc == CLI_OK ? cli_connect() : NULL;
    if (rc == CLI_OK && !db)
        rc = CLI_FAIL;
    if (rc == CLI_OK) {
        if (nevents == 0) {
            events[nevents++] = "page_view";
            events[nevents++] = "add_to_cart";
        }
        if (!burst) {
            long r = 0;
            snprintf(burst_text, sizeof burst_text, "%ld",
                     rate && cli_parse_long(rate, &r) && r > 0 && r <= 5000000 ? 2 * r : 2000);
            burst = burst_text;
        }
        lift_keys_digest(key, digest);
        char id[12];
        memcpy(id, key, 11);
        id[11] = '\0';
        lift_buf o, e;
        lift_buf_init(&o);
        lift_buf_init(&e);
        lift_db_array(&o, origins, norigins);
        lift_db_array(&e, events, nevents);
        const char *params[] = {id, digest, o.data, e.data, rate, burst, note};
        lift_err err;
        if (lift_db_run(db,
                        "INSERT INTO lift.client_keys (id, digest, origins, event_types, "
                        "rate_per_sec, burst, note) VALUES ($1, $2, $3::text[], $4::text[], "
                        "$5::float8, $6::integer, $7)",
                        7, params, &err) != LIFT_OK)
            rc = cli_fail(CLI_FAIL, "keys", "%s (no key was made)", err.msg);
        lift_buf_fini(&o);
        lift_buf_fini(&e);
        if (rc == CLI_OK) {
            printf("%s\n", key);
            fprintf(stderr,
                    "liftctl keys: client key %s made (shown once; the database keeps its "
                    "digest). liftd uses it within a second.\n",
                    id);
        }
    }
    lift_db_close(db);
    free(origins);
    free(events);
    return rc;
}

static int revoke(int argc, char **argv)
{
    if (argc != 2)
        return cli_fail(CLI_USAGE, "keys", "revoke takes one key id (pk_xxxxxxxx) or key");
    char id[12];
    snprintf(id, sizeof id, "%.11s", argv[1]);
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    lift_err err;
    const char *params[] = {id};
    PGresult *r = lift_db_exec(db,
                               "UPDATE lift.client_keys SET revoked_at = coalesce(revoked_at, "
                               "now()) WHERE id = $1 RETURNING id",
                               1, params, NULL, &err);
    lift_db_close(db);
    if (!r)
        return cli_fail(CLI_FAIL, "keys", "%s", err.msg);
    int n = PQntuples(r);
    PQclear(r);
    if (n == 0)
        return cli_fail(CLI_FAIL, "keys", "no client key %s", id);
    printf("revoked %s: liftd refuses it within a second\n", id);
    return CLI_OK;
}

int cmd_keys(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(USAGE, stdout);
        return CLI_OK;
    }
    if (argc < 2 || !strcmp(argv[1], "list"))
        return argc <= 2 ? list() : cli_fail(CLI_USAGE, "keys", "list takes no arguments");
    if (!strcmp(argv[1], "create"))
        return create(argc - 1, argv + 1);
    if (!strcmp(argv[1], "revoke"))
        return revoke(argc - 1, argv + 1);
    fputs(USAGE, stderr);
    return cli_fail(CLI_USAGE, "keys", "unknown subcommand '%s'", argv[1]);
}
