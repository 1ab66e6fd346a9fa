/* Shards: the database's bucket function against the C one, the reserved salt, and (with
 * PostgreSQL servers of the test's own) `liftctl db shards`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/shard.h"
#include "lift/text.h"
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
