/* liftctl db shards: sets up the fact shards of LIFT_SHARDS from the config database
 * (migrations on every shard, the config publication and one subscription per shard, the
 * bucket map) and tells each shard's state. Idempotent: a second run changes nothing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lift/locate.h"
#include "lift/migrate.h"
#include "lift/shard.h"
#include "lift/shard_list.h"
#include "lift/text.h"

#define CMD "db shards"

typedef struct shard {
    const lift_shard_entry *e;
    lift_db *db;
    char sub[40]; /* subscription and replication slot: lift_<name> */
} shard;

typedef struct ctx {
    lift_db *config;
    const char *publisher; /* the URL the shards' subscriptions connect to */
    shard *shards;
    int n;
    int changes;
} ctx;

/* The first column of the first row (or "" without rows) into out; false + err on failure. */
static bool value(lift_db *db, const char *sql, int nparams, const char *const *params, char *out,
                  size_t len, lift_err *err)
{
    PGresult *r = lift_db_exec(db, sql, nparams, params, NULL, err);
    if (!r)
        return false;
    snprintf(out, len, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return true;
}

/* --- status ------------------------------------------------------------------------------ */

static const char SQL_SUBSCRIPTION[] =
    "SELECT s.subenabled AS enabled, s.subconninfo AS conninfo,"
    "  (SELECT count(*) FROM pg_subscription_rel r WHERE r.srsubid = s.oid) AS tables,"
    "  (SELECT count(*) FROM pg_subscription_rel r"
    "    WHERE r.srsubid = s.oid AND r.srsubstate = 'r') AS ready,"
    "  (SELECT count(*) FROM pg_stat_subscription t"
    "    WHERE t.subid = s.oid AND t.relid IS NULL AND t.pid IS NOT NULL) AS running,"
    "  (SELECT string_agg(n.nspname || '.' || c.relname, ',' ORDER BY n.nspname || '.' || "
    "c.relname) FROM pg_subscription_rel r JOIN pg_class c ON c.oid = r.srrelid"
    "     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.srsubid = s.oid) AS relations "
    "FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid "
    "WHERE s.subname = $1 AND d.datname = current_database()";

static const char SQL_PUBLISHED[] =
    "SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY schemaname || '.' || "
    "tablename) FROM pg_publication_tables WHERE pubname = 'lift_config'";

static const char SQL_VERSION[] = "SELECT coalesce((SELECT version::text FROM lift.config_state), "
                                  "'none') WHERE to_regclass('lift.config_state') IS NOT NULL";

static const char SQL_SLOT[] =
    "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag "
    "FROM pg_replication_slots WHERE slot_name = $1";

static const char SQL_BUCKETS_OF[] = "SELECT count(*) FROM lift.shard_buckets WHERE shard = $1";

/* Prints the state of one shard; true when it is reachable, migrated, subscribed with
 * every table ready and its config version equal to config_version. */
static bool shard_status(ctx *c, shard *s, const char *config_version)
{
    printf("%s  %s\n", s->e->name, s->e->public_url);
    lift_err err;
    if (!s->db) {
        lift_db_state st = lift_db_check(s->e->url, &err);
        printf("  %s: %s\n", lift_db_state_name(st), err.msg);
        return false;
    }
    int known = 0, pending = 0;
    char last[32] = "";
    bool ok = true;
    if (lift_migrate_status(s->db, &known, &pending, &err) != LIFT_OK) {
        printf("  reachable; schema: unknown (%s)\n", err.msg);
        return false;
    }
    if (pending < known)
        (void)value(s->db, "SELECT max(version) FROM lift.schema_migrations", 0, NULL, last,
                    sizeof last, &err);
    if (pending == 0)
        printf("  reachable; schema up to date (%d migrations, last %s)\n", known, last);
    else
        printf("  reachable; schema: %d of %d migrations to apply\n", pending, known);
    ok = pending == 0;
    const char *params[] = {s->sub};
    PGresult *r =
        pending < known ? lift_db_exec(s->db, SQL_SUBSCRIPTION, 1, params, NULL, &err) : NULL;
    char version[32] = "";
    if (pending < known)
        (void)value(s->db, SQL_VERSION, 0, NULL, version, sizeof version, &err);
    if (!r || PQntuples(r) == 0) {
        printf("  subscription %s: none (run liftctl db shards setup)\n", s->sub);
        ok = false;
    } else {
        bool enabled = !strcmp(lift_db_text(r, 0, "enabled"), "t");
        bool running = atoi(lift_db_text(r, 0, "running")) > 0;
        int tables = atoi(lift_db_text(r, 0, "tables"));
        int ready = atoi(lift_db_text(r, 0, "ready"));
        bool in_sync = !strcmp(version, config_version);
        char lag[64] = "slot: missing on the config server";
        PGresult *slot = lift_db_exec(c->config, SQL_SLOT, 1, params, NULL, &err);
        if (slot && PQntuples(slot) > 0)
            snprintf(lag, sizeof lag, "slot lag %s bytes%s", lift_db_text(slot, 0, "lag"),
                     strcmp(lift_db_text(slot, 0, "active"), "t") ? " (slot inactive)" : "");
        PQclear(slot);
        printf("  subscription %s: %s; %d of %d tables ready; config version %s (%s); %s\n", s->sub,
               !enabled  ? "disabled"
               : running ? "streaming"
                         : "not running (see the shard's server log)",
               ready, tables, *version ? version : "none",
               in_sync ? "in sync" : "the config database has a newer one", lag);
        ok = ok && enabled && running && tables > 0 && ready == tables && in_sync;
    }
    PQclear(r);
    char buckets[32] = "?";
    const char *name[] = {s->e->name};
    (void)value(c->config, SQL_BUCKETS_OF, 1, name, buckets, sizeof buckets, &err);
    printf("  buckets: %s of %d\n", buckets, LIFT_SHARD_BUCKETS);
    return ok;
}

/* The config database's line, and its config version into version. */
static void config_status(ctx *c, char *version, size_t len)
{
    lift_err err;
    char wal[32] = "?", tables[32] = "0", mapped[32] = "?";
    (void)value(c->config, "SELECT current_setting('wal_level')", 0, NULL, wal, sizeof wal, &err);
    (void)value(c->config,
                "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'lift_config'", 0, NULL,
                tables, sizeof tables, &err);
    (void)value(c->config, "SELECT count(*) FROM lift.shard_buckets", 0, NULL, mapped,
                sizeof mapped, &err);
    if (!value(c->config, SQL_VERSION, 0, NULL, version, len, &err))
        snprintf(version, len, "?");
    printf("config: wal_level %s; publication lift_config: %s tables; config version %s; "
           "bucket map: %s of %d buckets\n",
           wal, tables, version, mapped, LIFT_SHARD_BUCKETS);
}

static int status_all(ctx *c)
{
    char version[32];
    config_status(c, version, sizeof version);
    bool all = true, reachable = true;
    for (int i = 0; i < c->n; i++) {
        all = shard_status(c, &c->shards[i], version) && all;
        reachable = reachable && c->shards[i].db;
    }
    printf("%s\n", all ? "every shard is set up and in sync" : "not every shard is ready");
    return all ? CLI_OK : reachable ? CLI_FAIL : CLI_NOT_RUNNING;
}

/* --- one database each ---------------------------------------------------------------------- */

/* Each connection (the config database's is number n) holds advisory lock (PROBE_CLASS,
 * base + k) for a moment; a connection that sees another's lock in its own database is
 * on the same database. System identifiers cannot tell: servers cloned from one data
 * folder share theirs. */
enum { PROBE_CLASS = 7342018 };

static const char SQL_PROBE_LOCK[] = "SELECT pg_advisory_lock(7342018, $1::int)";
static const char SQL_PROBE_UNLOCK[] = "SELECT pg_advisory_unlock(7342018, $1::int)";
static const char SQL_PROBE_SEEN[] =
    "SELECT objid::bigint - $1::bigint AS k FROM pg_locks "
    "WHERE locktype = 'advisory' AND classid = 7342018 AND objsubid = 2 AND granted"
    "  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    "  AND pid <> pg_backend_pid() AND objid::bigint BETWEEN $1::bigint AND $1::bigint + $2::int "
    "ORDER BY 1";

static lift_db *probe_db(ctx *c, int k)
{
    return k == c->n ? c->config : c->shards[k].db;
}

static const char *probe_name(ctx *c, int k)
{
    return k == c->n ? "the config database" : c->shards[k].e->name;
}

/* The number of problems printed: a shard that is the config database or another shard. */
static int distinct_databases(ctx *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long base = 1 + (long)((ts.tv_nsec ^ (ts.tv_sec * 2654435761L)) & 0x3ffffff);
    char key[32], base_s[32], n_s[16];
    snprintf(base_s, sizeof base_s, "%ld", base);
    snprintf(n_s, sizeof n_s, "%d", c->n);
    lift_err err;
    int bad = 0, locked = 0;
    for (; locked <= c->n && !bad; locked++) {
        snprintf(key, sizeof key, "%ld", base + locked);
        const char *p[] = {key};
        if (lift_db_run(probe_db(c, locked), SQL_PROBE_LOCK, 1, p, &err) != LIFT_OK) {
            cli_fail(CLI_FAIL, CMD, "%s: %s", probe_name(c, locked), err.msg);
            bad++;
            break;
        }
    }
    for (int i = 0; i < c->n && locked > c->n; i++) {
        const char *p[] = {base_s, n_s};
        PGresult *r = lift_db_exec(c->shards[i].db, SQL_PROBE_SEEN, 2, p, NULL, &err);
        if (!r) {
            cli_fail(CLI_FAIL, CMD, "%s: %s", c->shards[i].e->name, err.msg);
            bad++;
            break;
        }
        for (int row = 0; row < PQntuples(r); row++) {
            int k = atoi(PQgetvalue(r, row, 0));
            if (k == c->n) {
                cli_fail(CLI_USAGE, CMD, "%s (%s) is the config database itself",
                         c->shards[i].e->name, c->shards[i].e->public_url);
                bad++;
            } else if (k > i) { /* each pair once */
                cli_fail(CLI_USAGE, CMD, "%s (%s) and %s (%s) are the same database",
                         c->shards[i].e->name, c->shards[i].e->public_url, c->shards[k].e->name,
                         c->shards[k].e->public_url);
                bad++;
            }
        }
        PQclear(r);
    }
    for (int k = 0; k < locked && k <= c->n; k++) {
        snprintf(key, sizeof key, "%ld", base + k);
        const char *p[] = {key};
        (void)lift_db_run(probe_db(c, k), SQL_PROBE_UNLOCK, 1, p, &err);
    }
    return bad;
}

/* --- setup --------------------------------------------------------------------------------- */

typedef struct migrated {
    const char *who;
    int applied;
} migrated;

static void on_applied(const char *name, void *arg)
{
    migrated *m = arg;
    m->applied++;
    printf("%s: applied %s\n", m->who, name);
}

static int migrate(lift_db *db, const char *who, ctx *c)
{
    migrated m = {who, 0};
    int applied;
    lift_err err;
    if (lift_migrate(db, &applied, on_applied, &m, &err) != LIFT_OK)
        return cli_fail(CLI_FAIL, CMD, "%s: %s", who, err.msg);
    if (applied == 0)
        printf("%s: schema up to date\n", who);
    c->changes += applied;
    return CLI_OK;
}

static const char SQL_SHARD_URL[] = "SELECT url FROM lift.shards WHERE name = $1";
static const char SQL_ADD_SHARD[] = "INSERT INTO lift.shards (name, url) VALUES ($1, $2)";
static const char SQL_OTHER_OWNERS[] =
    "SELECT s.name, count(b.bucket) AS buckets FROM lift.shards s "
    "LEFT JOIN lift.shard_buckets b ON b.shard = s.name "
    "WHERE s.name <> ALL ($1::text[]) GROUP BY s.name ORDER BY s.name";
static const char SQL_MAP_SIZE[] = "SELECT count(*) FROM lift.shard_buckets";
static const char SQL_FILL_MAP[] = "INSERT INTO lift.shard_buckets (bucket, shard) "
                                   "SELECT * FROM unnest($1::int[], $2::text[])";

/* Registers the shards and fills an empty bucket map with the even split, in one
 * transaction of the config database. */
static int register_and_map(ctx *c)
{
    lift_err err;
    lift_db *db = c->config;
    if (lift_db_script(db, "BEGIN", &err) != LIFT_OK)
        return cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    int rc = CLI_OK;
    /* One setup at a time: the map must not be filled twice. */
    if (lift_db_run(db, "SELECT pg_advisory_xact_lock(7342017)", 0, NULL, &err) != LIFT_OK)
        rc = cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    const char *names[LIFT_SHARDS_MAX];
    for (int i = 0; i < c->n && rc == CLI_OK; i++) {
        const lift_shard_entry *e = c->shards[i].e;
        names[i] = e->name;
        char known[2048] = "";
        const char *p1[] = {e->name};
        const char *p2[] = {e->name, e->public_url};
        if (!value(db, SQL_SHARD_URL, 1, p1, known, sizeof known, &err))
            rc = cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
        else if (!*known && lift_db_run(db, SQL_ADD_SHARD, 2, p2, &err) != LIFT_OK)
            rc = cli_fail(CLI_FAIL, CMD, "config: registering %s: %s", e->name, err.msg);
        else if (!*known) {
            printf("%s: registered as %s\n", e->name, e->public_url);
            c->changes++;
        } else if (strcmp(known, e->public_url))
            rc = cli_fail(CLI_USAGE, CMD,
                          "%s is registered as %s, but LIFT_SHARDS gives %s; a shard's name "
                          "stays with its server (moving a shard is not supported yet)",
                          e->name, known, e->public_url);
    }
    lift_buf list, buckets, owners;
    lift_buf_init(&list);
    lift_buf_init(&buckets);
    lift_buf_init(&owners);
    lift_db_array(&list, names, (size_t)c->n);
    const char *pl[] = {list.data};
    PGresult *r = rc == CLI_OK ? lift_db_exec(db, SQL_OTHER_OWNERS, 1, pl, NULL, &err) : NULL;
    if (rc == CLI_OK && !r)
        rc = cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    for (int i = 0; r && i < PQntuples(r) && rc == CLI_OK; i++) {
        if (atoi(lift_db_text(r, i, "buckets")) > 0)
            rc = cli_fail(CLI_USAGE, CMD,
                          "shard %s owns %s buckets but is not in LIFT_SHARDS; list every "
                          "shard (moving buckets off a shard is not supported yet)",
                          lift_db_text(r, i, "name"), lift_db_text(r, i, "buckets"));
        else
            printf("note: shard %s is registered, owns no buckets and is not in LIFT_SHARDS\n",
                   lift_db_text(r, i, "name"));
    }
    PQclear(r);
    char size[32] = "";
    if (rc == CLI_OK && !value(db, SQL_MAP_SIZE, 0, NULL, size, sizeof size, &err))
        rc = cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    if (rc == CLI_OK && atoi(size) == 0) {
        const char *owner[LIFT_SHARD_BUCKETS];
        lift_buf_puts(&buckets, "{");
        for (int b = 0; b < LIFT_SHARD_BUCKETS; b++) {
            lift_buf_printf(&buckets, "%s%d", b ? "," : "", b);
            owner[b] = names[lift_shard_even(b, c->n)];
        }
        lift_buf_puts(&buckets, "}");
        lift_db_array(&owners, owner, LIFT_SHARD_BUCKETS);
        const char *pm[] = {buckets.data, owners.data};
        if (lift_db_run(db, SQL_FILL_MAP, 2, pm, &err) != LIFT_OK)
            rc = cli_fail(CLI_FAIL, CMD, "config: filling the bucket map: %s", err.msg);
        else {
            printf("bucket map: %d buckets split evenly over %d shards\n", LIFT_SHARD_BUCKETS,
                   c->n);
            c->changes++;
        }
    } else if (rc == CLI_OK && atoi(size) != LIFT_SHARD_BUCKETS) {
        rc = cli_fail(CLI_FAIL, CMD,
                      "the bucket map (lift.shard_buckets) has %s of %d buckets; every bucket "
                      "needs a shard",
                      size, LIFT_SHARD_BUCKETS);
    } else if (rc == CLI_OK) {
        printf("bucket map: unchanged (%d buckets)\n", LIFT_SHARD_BUCKETS);
    }
    lift_buf_fini(&list);
    lift_buf_fini(&buckets);
    lift_buf_fini(&owners);
    if (rc == CLI_OK && lift_db_script(db, "COMMIT", &err) != LIFT_OK)
        rc = cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    if (rc != CLI_OK)
        (void)lift_db_script(db, "ROLLBACK", NULL);
    return rc;
}

/* Runs head + ident + mid + literal + tail, a utility statement: CREATE and ALTER
 * SUBSCRIPTION take no parameters, and CREATE SUBSCRIPTION may not run in a transaction
 * block or a function. libpq's escaping functions quote the identifier and the literal. */
static int subscription_sql(lift_db *db, const char *head, const char *ident, const char *mid,
                            const char *literal, const char *tail, lift_err *err)
{
    PGconn *conn = lift_db_conn(db);
    char *id = PQescapeIdentifier(conn, ident, strlen(ident));
    char *lit = literal ? PQescapeLiteral(conn, literal, strlen(literal)) : NULL;
    int rc = LIFT_EDB;
    if (id && (lit || !literal)) {
        lift_buf sql;
        lift_buf_init(&sql);
        lift_buf_puts(&sql, head);
        lift_buf_puts(&sql, id);
        lift_buf_puts(&sql, mid);
        if (lit)
            lift_buf_puts(&sql, lit);
        lift_buf_puts(&sql, tail);
        rc = sql.failed ? lift_err_set(err, LIFT_ENOMEM, "out of memory")
                        : lift_db_script(db, sql.data, err);
        lift_buf_fini(&sql);
    } else {
        lift_err_set(err, LIFT_EDB, "%s", PQerrorMessage(conn));
    }
    PQfreemem(id);
    PQfreemem(lit);
    return rc;
}

/* Creates the shard's subscription, or brings an existing one to the publisher URL and
 * the publication's tables. */
static int subscribe(ctx *c, shard *s, const char *published)
{
    lift_err err;
    const char *params[] = {s->sub};
    PGresult *r = lift_db_exec(s->db, SQL_SUBSCRIPTION, 1, params, NULL, &err);
    if (!r)
        return cli_fail(CLI_FAIL, CMD, "%s: %s", s->e->name, err.msg);
    bool exists = PQntuples(r) > 0;
    bool enabled = exists && !strcmp(lift_db_text(r, 0, "enabled"), "t");
    bool same_url = exists && !strcmp(lift_db_text(r, 0, "conninfo"), c->publisher);
    bool same_tables = exists && !strcmp(lift_db_text(r, 0, "relations"), published);
    PQclear(r);
    if (!exists) {
        char slot[8] = "";
        if (!value(c->config, "SELECT 'yes' FROM pg_replication_slots WHERE slot_name = $1", 1,
                   params, slot, sizeof slot, &err))
            return cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
        if (*slot)
            return cli_fail(CLI_FAIL, CMD,
                            "%s: the config server already has a replication slot %s, but the "
                            "shard has no subscription; if no other shard uses it, drop it "
                            "there (SELECT pg_drop_replication_slot('%s')) and run setup again",
                            s->e->name, s->sub, s->sub);
        if (lift_db_run(s->db, "SELECT lift.shard_prepare()", 0, NULL, &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, CMD, "%s: %s", s->e->name, err.msg);
        if (subscription_sql(s->db, "CREATE SUBSCRIPTION ", s->sub, " CONNECTION ", c->publisher,
                             " PUBLICATION lift_config", &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, CMD, "%s: creating subscription %s: %s", s->e->name, s->sub,
                            err.msg);
        printf("%s: subscription %s created (the config is copied in the background)\n", s->e->name,
               s->sub);
        c->changes++;
        return CLI_OK;
    }
    if (!same_url) {
        if (subscription_sql(s->db, "ALTER SUBSCRIPTION ", s->sub, " CONNECTION ", c->publisher, "",
                             &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, CMD, "%s: %s", s->e->name, err.msg);
        printf("%s: subscription %s now connects to the publisher URL given\n", s->e->name, s->sub);
        c->changes++;
    }
    if (!enabled) {
        if (subscription_sql(s->db, "ALTER SUBSCRIPTION ", s->sub, " ENABLE", NULL, "", &err) !=
            LIFT_OK)
            return cli_fail(CLI_FAIL, CMD, "%s: %s", s->e->name, err.msg);
        printf("%s: subscription %s enabled\n", s->e->name, s->sub);
        c->changes++;
    }
    if (!same_tables) {
        if (subscription_sql(s->db, "ALTER SUBSCRIPTION ", s->sub, " REFRESH PUBLICATION", NULL, "",
                             &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, CMD, "%s: %s", s->e->name, err.msg);
        printf("%s: subscription %s refreshed (the publication's tables changed)\n", s->e->name,
               s->sub);
        c->changes++;
    }
    if (same_url && enabled && same_tables)
        printf("%s: subscription %s unchanged\n", s->e->name, s->sub);
    return CLI_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Tables still copying, tables, and whether the apply worker runs (it starts a moment
 * after CREATE or ENABLE). */
static const char SQL_READY[] =
    "SELECT count(*) FILTER (WHERE r.srsubstate <> 'r') AS waiting, count(*) AS tables,"
    "  (SELECT count(*) FROM pg_stat_subscription t"
    "    WHERE t.subid = s.oid AND t.relid IS NULL AND t.pid IS NOT NULL) AS running "
    "FROM pg_subscription s JOIN pg_subscription_rel r ON r.srsubid = s.oid "
    "WHERE s.subname = $1 GROUP BY s.oid";

/* Waits (at most wait_s seconds) until every shard has every table copied, its apply
 * worker running and the config version of the config database. */
static bool wait_in_sync(ctx *c, double wait_s)
{
    double deadline = now_s() + wait_s;
    for (;;) {
        lift_err err;
        char want[32] = "", have[32] = "";
        bool all = value(c->config, SQL_VERSION, 0, NULL, want, sizeof want, &err);
        for (int i = 0; all && i < c->n; i++) {
            const char *params[] = {c->shards[i].sub};
            PGresult *r = lift_db_exec(c->shards[i].db, SQL_READY, 1, params, NULL, &err);
            all = r && PQntuples(r) == 1 && atoi(lift_db_text(r, 0, "waiting")) == 0 &&
                  atoi(lift_db_text(r, 0, "tables")) > 0 && atoi(lift_db_text(r, 0, "running")) > 0;
            PQclear(r);
            all = all && value(c->shards[i].db, SQL_VERSION, 0, NULL, have, sizeof have, &err) &&
                  !strcmp(have, want);
        }
        if (all)
            return true;
        if (now_s() >= deadline)
            return false;
        struct timespec nap = {0, 100 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}

static int setup(ctx *c, double wait_s)
{
    lift_err err;
    char wal[32] = "";
    if (!value(c->config, "SELECT current_setting('wal_level')", 0, NULL, wal, sizeof wal, &err))
        return cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    if (strcmp(wal, "logical"))
        return cli_fail(CLI_FAIL, CMD,
                        "the config database's server has wal_level = %s; the shards' "
                        "subscriptions need wal_level = logical (set it in postgresql.conf and "
                        "restart that server). Nothing was changed",
                        wal);
    /* Every shard must answer, and each must be a database of its own, before anything
     * changes: a half set-up cluster helps no one. */
    int bad = 0;
    for (int i = 0; i < c->n; i++) {
        shard *s = &c->shards[i];
        if (!s->db) {
            lift_db_state st = lift_db_check(s->e->url, &err);
            cli_fail(CLI_FAIL, CMD, "%s (%s): %s: %s", s->e->name, s->e->public_url,
                     lift_db_state_name(st), err.msg);
            bad++;
        }
    }
    if (!bad)
        bad = distinct_databases(c);
    if (bad)
        return cli_fail(CLI_FAIL, CMD, "nothing was changed");
    /* Shards first: a migration that adds a column to a config table must reach the
     * subscribers before the publisher sends rows that hold it. */
    for (int i = 0; i < c->n; i++)
        if (migrate(c->shards[i].db, c->shards[i].e->name, c) != CLI_OK)
            return CLI_FAIL;
    if (migrate(c->config, "config", c) != CLI_OK)
        return CLI_FAIL;
    int rc = register_and_map(c);
    if (rc != CLI_OK)
        return rc;
    char pub[32] = "", published[4096] = "";
    if (!value(c->config, "SELECT lift.shard_publication_sync()", 0, NULL, pub, sizeof pub, &err) ||
        !value(c->config, SQL_PUBLISHED, 0, NULL, published, sizeof published, &err))
        return cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    printf("config: publication lift_config %s\n", pub);
    c->changes += strcmp(pub, "unchanged") != 0;
    for (int i = 0; i < c->n; i++)
        if ((rc = subscribe(c, &c->shards[i], published)) != CLI_OK)
            return rc;
    bool synced = wait_in_sync(c, wait_s);
    rc = status_all(c);
    if (!synced)
        return cli_fail(CLI_FAIL, CMD, "not every shard caught up within %g s (see above)", wait_s);
    if (c->changes == 0)
        printf("nothing changed: the shards were set up already\n");
    else
        printf("set up: %d change%s\n", c->changes, c->changes == 1 ? "" : "s");
    return rc;
}

/* The shards of LIFT_SHARDS, else those registered in the config database (status only). */
static int load_list(lift_db *config, bool need_env, lift_shard_list *list)
{
    lift_err err;
    const char *env = getenv("LIFT_SHARDS");
    if ((env && *env) || need_env) {
        if (lift_shard_list_parse(env, list, &err) != LIFT_OK)
            return cli_fail(CLI_USAGE, CMD, "%s", err.msg);
        return CLI_OK;
    }
    PGresult *r = lift_db_exec(config, "SELECT name, url FROM lift.shards ORDER BY name", 0, NULL,
                               NULL, &err);
    if (!r)
        return cli_fail(CLI_FAIL, CMD, "config: %s", err.msg);
    lift_buf text;
    lift_buf_init(&text);
    for (int i = 0; i < PQntuples(r); i++)
        lift_buf_printf(&text, "%s=%s ", lift_db_text(r, i, "name"), lift_db_text(r, i, "url"));
    PQclear(r);
    int rc = lift_shard_list_parse(text.data ? text.data : "", list, &err);
    lift_buf_fini(&text);
    if (rc != LIFT_OK)
        return cli_fail(CLI_USAGE, CMD, "%s",
                        list->n == 0 && !strstr(err.msg, "entry")
                            ? "no shards: LIFT_SHARDS is not set and the config database "
                              "registers none (liftctl db shards setup)"
                            : err.msg);
    return CLI_OK;
}

int cmd_db_shards(const struct lift_pg *pg, int argc, char **argv)
{
    static const struct option opts[] = {{"publisher-url", required_argument, NULL, 'p'},
                                         {"wait", required_argument, NULL, 'w'},
                                         {NULL, 0, NULL, 0}};
    const char *publisher = NULL;
    double wait_s = 60;
    int o;
    optind = 1;
    while ((o = cli_getopt(argc, argv, opts, CMD)) != -1) {
        if (o == 'p') {
            publisher = optarg;
        } else if (o == 'w') {
            if (!cli_parse_double(optarg, &wait_s) || wait_s < 0 || wait_s > 86400)
                return cli_fail(CLI_USAGE, CMD,
                                "--wait: '%s' is not a number of seconds (0 to "
                                "86400)",
                                optarg);
        } else {
            return CLI_USAGE;
        }
    }
    if (optind >= argc)
        return cli_fail(CLI_USAGE, CMD, "setup or status? (see liftctl help db)");
    const char *verb = argv[optind++];
    if (strcmp(verb, "setup") && strcmp(verb, "status"))
        return cli_fail(CLI_USAGE, CMD, "unknown subcommand '%s': setup or status", verb);
    if (cli_extra_args(argc, argv, CMD) != CLI_OK)
        return CLI_USAGE;
    bool is_setup = !strcmp(verb, "setup");
    lift_err err;
    lift_shard_list list = {0, NULL};
    if (is_setup) { /* a bad LIFT_SHARDS is refused before anything connects */
        const char *env = getenv("LIFT_SHARDS");
        if (lift_shard_list_parse(env, &list, &err) != LIFT_OK) {
            lift_shard_list_fini(&list);
            return cli_fail(CLI_USAGE, CMD, "%s", err.msg);
        }
    }
    lift_db *config = cli_connect();
    if (!config) {
        lift_shard_list_fini(&list);
        return CLI_FAIL;
    }
    int rc = is_setup ? CLI_OK : load_list(config, false, &list);
    shard shards[LIFT_SHARDS_MAX];
    ctx c = {config, publisher ? publisher : pg->url, shards, list.n, 0};
    for (int i = 0; i < list.n; i++) {
        shards[i].e = &list.items[i];
        snprintf(shards[i].sub, sizeof shards[i].sub, "lift_%s", list.items[i].name);
        shards[i].db = rc == CLI_OK ? lift_db_open(list.items[i].url, &err) : NULL;
    }
    if (rc == CLI_OK)
        rc = is_setup ? setup(&c, wait_s) : status_all(&c);
    for (int i = 0; i < list.n; i++)
        lift_db_close(shards[i].db);
    lift_db_close(config);
    lift_shard_list_fini(&list);
    return rc;
}
