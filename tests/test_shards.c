/* Shards: the database's bucket function against the C one, the reserved salt, and (with
 * PostgreSQL servers of the test's own) `liftctl db shards`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/assign.h"
#include "lift/shard.h"
#include "lift/shard_list.h"
#include "lift/text.h"
#include "support/cli.h"
#include "support/pgtest.h"

/* --- the model in SQL ------------------------------------------------------------------ */

static lift_db *db;

static void setup(void)
{
    db = pgtest_db(NULL, 0);
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(shard_sql, .init = setup, .fini = teardown);

/* A unit of up to max_bytes bytes from a fixed alphabet of one- to four-byte characters
 * (ASCII, U+00E9, U+20AC, U+1F600: a surrogate pair in UTF-16). */
static void random_unit(unsigned long *state, char *out, size_t max_bytes)
{
    static const char *const chars[] = {
        "a", "Z", "7", "-", "_", "@", ".", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    *state = *state * 6364136223846793005UL + 1442695040888963407UL;
    size_t want = 1 + (*state >> 33) % max_bytes, n = 0;
    for (;;) {
        *state = *state * 6364136223846793005UL + 1442695040888963407UL;
        const char *c = chars[(*state >> 33) % (sizeof chars / sizeof *chars)];
        size_t k = strlen(c);
        if (n + k > want)
            break;
        memcpy(out + n, c, k);
        n += k;
    }
    out[n] = '\0';
}

/* 5,000 units (sequential ids, uuid-like ids, random UTF-8 up to the 128-byte limit, the
 * empty string) hashed by lift.shard_bucket and by lift_shard_bucket: equal, every one. */
Test(shard_sql, bucket_equals_the_c_function_on_thousands_of_units)
{
    enum { N = 5000 };
    static char units[N][LIFT_UNIT_MAX + 1];
    const char *items[N];
    unsigned long state = 17;
    for (int i = 0; i < N; i++) {
        if (i % 4 == 0)
            snprintf(units[i], sizeof units[i], "u%d", i);
        else if (i % 4 == 1)
            snprintf(units[i], sizeof units[i], "%08x-%04x-4%03x-8%03x-%012x", i * 2654435761u,
                     i & 0xffff, i % 4096, (i * 7) % 4096, i * 40503u);
        else
            random_unit(&state, units[i], LIFT_UNIT_MAX);
        items[i] = units[i];
    }
    units[2][0] = '\0';
    lift_buf arr;
    lift_buf_init(&arr);
    lift_db_array(&arr, items, N);
    const char *params[] = {arr.data};
    lift_err err;
    PGresult *r =
        lift_db_exec(db,
                     "SELECT u.ord, lift.shard_bucket(u.unit) AS bucket "
                     "FROM unnest($1::text[]) WITH ORDINALITY AS u (unit, ord) ORDER BY 1",
                     1, params, NULL, &err);
    cr_assert(r, "%s", err.msg);
    cr_assert_eq(PQntuples(r), N);
    int astral = 0, different = 0;
    for (int i = 0; i < N; i++) {
        int c = lift_shard_bucket(units[i], strlen(units[i]), &err);
        cr_assert(c >= 0, "%s", err.msg);
        int s = atoi(lift_db_text(r, i, "bucket"));
        if (s != c && different++ < 5)
            cr_log_error("unit '%s': SQL %d, C %d", units[i], s, c);
        astral += strstr(units[i], "\xf0\x9f\x98\x80") != NULL;
    }
    PQclear(r);
    lift_buf_fini(&arr);
    cr_assert_eq(different, 0, "%d of %d units differ", different, N);
    cr_assert_gt(astral, 500, "the sample holds surrogate pairs (%d units)", astral);
}

Test(shard_sql, bucket_of_a_reference_unit_and_of_null)
{
    /* 761 for "u1" and 353 for U+1F600: Python's values (tests/test_shard_model.c). */
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.shard_bucket('u1')"), "761");
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.shard_bucket(U&'\\+01F600')"), "353");
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.shard_bucket(NULL) IS NULL"), "t");
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.unit_shard('u1') IS NULL"), "t");
}

Test(shard_sql, refuses_the_salt_as_a_seed)
{
    const char *msg = pgtest_fails(db, "INSERT INTO lift.experiments (key, name, seed) "
                                       "VALUES ('x', 'X', 'lift-shard:')");
    cr_assert_str_eq(msg, "experiment \"x\": seed \"lift-shard:\" is reserved for shard buckets");
    pgtest_ok(db, "INSERT INTO lift.experiments (key, name) VALUES ('x', 'X')");
    msg = pgtest_fails(db, "UPDATE lift.experiments SET seed = 'lift-shard:' WHERE key = 'x'");
    cr_assert(strstr(msg, "is reserved for shard buckets"), "%s", msg);
}

Test(shard_sql, publication_lists_the_config_tables_once)
{
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.shard_publication_sync()"), "created");
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.shard_publication_sync()"), "unchanged");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(tablename, ',' ORDER BY tablename) "
                                      "FROM pg_publication_tables WHERE pubname = 'lift_config'"),
                     "audience_conditions,audiences,config_state,experiment_phases,experiments,"
                     "fx_rates,layers,metrics,overrides,settings,shard_buckets,shards,variants");
    pgtest_ok(db, "ALTER PUBLICATION lift_config DROP TABLE lift.fx_rates");
    cr_assert_str_eq(pgtest_value(db, "SELECT lift.shard_publication_sync()"), "updated");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM pg_publication_tables "
                                      "WHERE pubname = 'lift_config'"),
                     "13");
    /* The config database is never prepared as a shard. */
    const char *msg = pgtest_fails(db, "SELECT lift.shard_prepare()");
    cr_assert(strstr(msg, "it is the config database, not a shard"), "%s", msg);
}

Test(shard_sql, prepare_empties_a_new_shard_and_refuses_one_in_use)
{
    pgtest_ok(db, "SELECT lift.shard_prepare()");
    cr_assert_str_eq(pgtest_value(db, "SELECT (SELECT count(*) FROM lift.metrics) + "
                                      "(SELECT count(*) FROM lift.settings) + "
                                      "(SELECT count(*) FROM lift.config_state)"),
                     "0");
    pgtest_ok(db, "INSERT INTO lift.metrics (key, name, kind, event_types) "
                  "VALUES ('conversion', 'Conversion', 'proportion', '{order}');"
                  "INSERT INTO lift.experiments (key, name) VALUES ('x', 'X')");
    const char *msg = pgtest_fails(db, "SELECT lift.shard_prepare()");
    cr_assert(strstr(msg, "already has experiments: a new shard must be an empty lift database"),
              "%s", msg);
}

/* --- LIFT_SHARDS ------------------------------------------------------------------------- */

static char parse_error[512];

static int parse(const char *text, lift_shard_list *list)
{
    lift_err err = {0};
    int rc = lift_shard_list_parse(text, list, &err);
    snprintf(parse_error, sizeof parse_error, "%s", rc == LIFT_OK ? "" : err.msg);
    return rc;
}

Test(shard_list, names_urls_and_hides_passwords)
{
    lift_shard_list l;
    cr_assert_eq(parse("  postgresql://lift:secret@db1:5433/lift\n"
                       "eu2=postgres://lift@db2/facts?sslmode=require\t",
                       &l),
                 LIFT_OK, "%s", parse_error);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].name, "shard1");
    cr_assert_str_eq(l.items[0].url, "postgresql://lift:secret@db1:5433/lift");
    cr_assert_null(strstr(l.items[0].public_url, "secret"), "%s", l.items[0].public_url);
    cr_assert(strstr(l.items[0].public_url, "lift@db1:5433/lift"), "%s", l.items[0].public_url);
    cr_assert_str_eq(l.items[1].name, "eu2");
    cr_assert(strstr(l.items[1].public_url, "sslmode=require"), "%s", l.items[1].public_url);
    lift_shard_list_fini(&l);
}

Test(shard_list, refuses_each_bad_entry_by_position)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"", "LIFT_SHARDS is empty"},
        {"postgresql://h/a mysql://h/b", "entry 2 (mysql://h/b): not a postgresql:// URL"},
        {"postgresql://h/a Bad=postgresql://h/b",
         "entry 2 (Bad=postgresql://h/b): shard name 'Bad'"},
        {"postgresql://h", "entry 1 (postgresql://h): names no database"},
        {"postgresql://h/a,postgresql://h/b", "entry 1"},
        {"x=postgresql://h/a x=postgresql://h/b", "entries 1 and 2 are both named x"},
        {"postgresql://h/a y=postgresql://h/a", "entries 1 and 2 name the same database"},
        {"postgresql://h/a postgresql://u:pw@h/b?nosuchoption=1", "entry 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lift_shard_list l;
        cr_assert_eq(parse(cases[i].text, &l), LIFT_EINVAL, "'%s' accepted", cases[i].text);
        cr_assert(strstr(parse_error, cases[i].want), "'%s': %s", cases[i].text, parse_error);
        cr_assert_null(strstr(parse_error, ":pw@"), "password shown: %s", parse_error);
        lift_shard_list_fini(&l);
    }
}

/* --- liftctl db shards, with a config server and three shards of the test's own -------- */

enum { NSHARDS = 3 };
static pgtest_server config_server, shard_server[NSHARDS];

static void servers_start(void)
{
    pgtest_server_start(&config_server, "config", true);
    static const char *const names[NSHARDS] = {"s1", "s2", "s3"};
    for (int i = 0; i < NSHARDS; i++)
        pgtest_server_start(&shard_server[i], names[i], false);
}

static void servers_stop(void)
{
    for (int i = 0; i < NSHARDS; i++)
        pgtest_server_stop(&shard_server[i]);
    pgtest_server_stop(&config_server);
}

TestSuite(shards_cluster, .init = servers_start, .fini = servers_stop, .timeout = 240);

static char cli_out[65536];

/* liftctl ARGS against the config server with LIFT_SHARDS=shards; the exit status. */
static int shards_cli(const char *shards, const char *args)
{
    char env[2048];
    snprintf(env, sizeof env, "LIFT_SHARDS='%s'", shards);
    return cli_run(config_server.url, env, args, 1, cli_out, sizeof cli_out);
}

/* The migrations shipped (files in sql/migrations), counted independently of liftctl. */
static int migration_files(void)
{
    FILE *p = popen("ls sql/migrations/*.sql | wc -l", "r");
    cr_assert(p);
    int n = 0;
    cr_assert_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    cr_assert_gt(n, 8);
    return n;
}

static lift_db *open_url(const char *url)
{
    lift_err err;
    lift_db *d = lift_db_open(url, &err);
    cr_assert(d, "%s: %s", url, err.msg);
    return d;
}

/* Waits up to 30 s for sql to return want on d. */
static void until_value(lift_db *d, const char *sql, const char *want, const char *who)
{
    char have[256] = "";
    for (int i = 0; i < 300; i++) {
        snprintf(have, sizeof have, "%s", pgtest_value(d, sql));
        if (!strcmp(have, want))
            return;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("%s: `%s` is %s after 30 s, not %s", who, sql, have, want);
}

Test(shards_cluster, setup_replicates_migrates_maps_and_reruns_as_a_no_op)
{
    char shards[1024];
    snprintf(shards, sizeof shards, "%s b=%s %s", shard_server[0].url, shard_server[1].url,
             shard_server[2].url);
    const char *names[NSHARDS] = {"shard1", "b", "shard3"};

    /* From scratch: four empty databases. */
    int rc = shards_cli(shards, "db shards setup --wait 180");
    cr_assert_eq(rc, 0, "setup (%d):\n%s", rc, cli_out);
    cr_assert(strstr(cli_out, "bucket map: 1024 buckets split evenly over 3 shards"), "%s",
              cli_out);
    cr_assert(strstr(cli_out, "every shard is set up and in sync"), "%s", cli_out);
    cr_assert(strstr(cli_out, "set up: "), "%s", cli_out);

    int files = migration_files();
    char want_files[16];
    snprintf(want_files, sizeof want_files, "%d", files);
    lift_db *config = open_url(config_server.url);
    lift_db *shard[NSHARDS];
    for (int i = 0; i < NSHARDS; i++)
        shard[i] = open_url(shard_server[i].url);

    /* Every migration everywhere. */
    cr_assert_str_eq(pgtest_value(config, "SELECT count(*) FROM lift.schema_migrations"),
                     want_files);
    for (int i = 0; i < NSHARDS; i++)
        cr_assert_str_eq(pgtest_value(shard[i], "SELECT count(*) FROM lift.schema_migrations"),
                         want_files, "%s", names[i]);

    /* The bucket map: every bucket once, each shard 341 or 342 of them, the same on every
     * shard as on the config database. */
    cr_assert_str_eq(pgtest_value(config, "SELECT count(*) = 1024 AND count(DISTINCT bucket) = "
                                          "1024 AND min(bucket) = 0 AND max(bucket) = 1023 "
                                          "FROM lift.shard_buckets"),
                     "t");
    for (int i = 0; i < NSHARDS; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM lift.shard_buckets WHERE shard = '%s'",
                 names[i]);
        int n = atoi(pgtest_value(config, sql));
        cr_assert(n == 341 || n == 342, "%s owns %d buckets", names[i], n);
    }
    const char *map_sql = "SELECT md5(string_agg(bucket || ':' || shard, ',' ORDER BY bucket)) "
                          "FROM lift.shard_buckets";
    char map[64];
    snprintf(map, sizeof map, "%s", pgtest_value(config, map_sql));
    for (int i = 0; i < NSHARDS; i++)
        until_value(shard[i], map_sql, map, names[i]);

    /* A unit's shard on a shard server is the one its bucket maps to (SQL = C). */
    lift_err err;
    int b = lift_shard_bucket("u1", 2, &err);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT shard FROM lift.shard_buckets WHERE bucket = %d", b);
    char owner[64];
    snprintf(owner, sizeof owner, "%s", pgtest_value(config, sql));
    cr_assert_str_eq(pgtest_value(shard[2], "SELECT lift.unit_shard('u1')"), owner);

    /* The default metric pack reached the shards from the config database. */
    char metrics[64];
    snprintf(metrics, sizeof metrics, "%s",
             pgtest_value(config, "SELECT md5(string_agg(key, ',' ORDER BY key)) FROM "
                                  "lift.metrics"));
    for (int i = 0; i < NSHARDS; i++)
        until_value(shard[i], "SELECT md5(string_agg(key, ',' ORDER BY key)) FROM lift.metrics",
                    metrics, names[i]);

    /* A config change on the config database arrives on every shard. */
    pgtest_ok(config, PGTEST_RECS);
    for (int i = 0; i < NSHARDS; i++)
        until_value(shard[i],
                    "SELECT string_agg(experiment || '/' || key || '/' || weight::text, ',' "
                    "ORDER BY key) FROM lift.variants",
                    "recs/control/0.5,recs/personalized/0.5", names[i]);
    pgtest_ok(config, "UPDATE lift.experiments SET name = 'Recs, second try' WHERE key = 'recs'");
    for (int i = 0; i < NSHARDS; i++)
        until_value(shard[i], "SELECT name FROM lift.experiments WHERE key = 'recs'",
                    "Recs, second try", names[i]);
    /* Facts stay where they are written: client keys are not published. */
    cr_assert_str_eq(pgtest_value(shard[0], "SELECT count(*) FROM pg_subscription_rel r "
                                            "WHERE r.srrelid = 'lift.client_keys'::regclass"),
                     "0");

    /* Status: every shard in sync. */
    rc = shards_cli(shards, "db shards status");
    cr_assert_eq(rc, 0, "status (%d):\n%s", rc, cli_out);
    cr_assert(strstr(cli_out, "every shard is set up and in sync"), "%s", cli_out);
    cr_assert(strstr(cli_out, "streaming"), "%s", cli_out);

    /* Again: nothing changes, and it says so. */
    rc = shards_cli(shards, "db shards setup --wait 180");
    cr_assert_eq(rc, 0, "second setup (%d):\n%s", rc, cli_out);
    cr_assert(strstr(cli_out, "nothing changed: the shards were set up already"), "%s", cli_out);
    cr_assert(strstr(cli_out, "bucket map: unchanged"), "%s", cli_out);
    cr_assert_null(strstr(cli_out, "applied"), "%s", cli_out);
    cr_assert_str_eq(pgtest_value(config, map_sql), map);

    /* A disabled subscription: status says so (exit 1), and setup enables it again. */
    pgtest_ok(shard[0], "ALTER SUBSCRIPTION lift_shard1 DISABLE");
    rc = shards_cli(shards, "db shards status");
    cr_assert_eq(rc, 1, "status with lift_shard1 disabled (%d):\n%s", rc, cli_out);
    cr_assert(strstr(cli_out, "subscription lift_shard1: disabled"), "%s", cli_out);
    rc = shards_cli(shards, "db shards setup --wait 180");
    cr_assert_eq(rc, 0, "setup repairing lift_shard1 (%d):\n%s", rc, cli_out);
    cr_assert(strstr(cli_out, "shard1: subscription lift_shard1 enabled"), "%s", cli_out);
    cr_assert(strstr(cli_out, "set up: 1 change\n"), "%s", cli_out);
    pgtest_ok(config, "UPDATE lift.experiments SET name = 'Recs, third try' WHERE key = 'recs'");
    until_value(shard[0], "SELECT name FROM lift.experiments WHERE key = 'recs'", "Recs, third try",
                names[0]);

    /* A shard that is down: refused, naming it, before anything changes. */
    char down[1024], down_url[128];
    snprintf(down_url, sizeof down_url, "postgresql://lift@127.0.0.1:%d/lift", pgtest_free_port());
    snprintf(down, sizeof down, "%s b=%s %s gone=%s", shard_server[0].url, shard_server[1].url,
             shard_server[2].url, down_url);
    rc = shards_cli(down, "db shards setup --wait 5");
    cr_assert_neq(rc, 0, "%s", cli_out);
    cr_assert(strstr(cli_out, "gone (") && strstr(cli_out, down_url), "%s", cli_out);
    cr_assert(strstr(cli_out, "unreachable"), "%s", cli_out);
    cr_assert(strstr(cli_out, "nothing was changed"), "%s", cli_out);
    cr_assert_str_eq(pgtest_value(config, "SELECT count(*) FROM lift.shards"), "3");

    /* A shard URL that names a database the server does not have. */
    char wrong[1024];
    snprintf(wrong, sizeof wrong, "%s b=%s postgresql://lift@127.0.0.1:%d/nosuch",
             shard_server[0].url, shard_server[1].url, shard_server[2].port);
    rc = shards_cli(wrong, "db shards setup --wait 5");
    cr_assert_neq(rc, 0, "%s", cli_out);
    cr_assert(strstr(cli_out, "shard3 (") && strstr(cli_out, "no such database"), "%s", cli_out);

    /* The same database twice (once by TCP, once by its socket), and the config database
     * as a shard. */
    snprintf(wrong, sizeof wrong, "%s b=postgresql://lift@/lift?host=%s&port=%d c=%s",
             shard_server[0].url, shard_server[0].dir, shard_server[0].port, config_server.url);
    rc = shards_cli(wrong, "db shards setup --wait 5");
    cr_assert_neq(rc, 0, "%s", cli_out);
    cr_assert(strstr(cli_out, "shard1 (") && strstr(cli_out, "and b (") &&
                  strstr(cli_out, "are the same database"),
              "%s", cli_out);
    cr_assert(strstr(cli_out, "c (") && strstr(cli_out, "is the config database itself"), "%s",
              cli_out);

    /* A malformed entry: refused before anything connects, naming it. */
    snprintf(wrong, sizeof wrong, "%s b=%s", shard_server[0].url, "db2:5432/lift");
    rc = shards_cli(wrong, "db shards setup");
    cr_assert_eq(rc, 2, "%s", cli_out);
    cr_assert(strstr(cli_out, "LIFT_SHARDS entry 2 (b=db2:5432/lift)"), "%s", cli_out);

    /* The status notices a shard that stopped. */
    pgtest_server_stop(&shard_server[1]);
    rc = shards_cli(shards, "db shards status");
    cr_assert_eq(rc, 3, "status with b stopped (%d):\n%s", rc, cli_out);
    cr_assert(strstr(cli_out, "b  postgresql://lift@127.0.0.1:"), "%s", cli_out);
    cr_assert(strstr(cli_out, "not every shard is ready"), "%s", cli_out);

    for (int i = 0; i < NSHARDS; i++)
        lift_db_close(shard[i]);
    lift_db_close(config);
}
