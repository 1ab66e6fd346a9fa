/* Privacy: unit ids stored as HMAC-SHA256 pseudonyms (the same in exposures and events,
 * bucketing on the raw id), and the right to erasure (liftctl forget). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

#define SECRET "test-pseudonym-secret"
/* HMAC-SHA256(SECRET, id), worked out with Python's hmac module. */
#define ALICE "2c3bc59506d458d650a89dfec1064134dd464ba8cf7f593ac9b77407b2bc1741"
#define BOB   "c9cfbd3029c50bf136c3769d7c3aa3dfb8915a3c8a7862965fa3ac44e2732bc6"

static const char OVERRIDE[] =
    "INSERT INTO lift.overrides (experiment, unit, variant) VALUES ('recs', 'bob', 'control')";

static lift_db *db;
static char conninfo[1024];
static liftd_proc d;
static lift_httpc_response r;

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    pgtest_ok(db, OVERRIDE);
    lift_buf_init(&r.body);
}

static void teardown(void)
{
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    lift_buf_fini(&r.body);
    lift_db_close(db);
}

TestSuite(privacy, .init = setup, .fini = teardown, .timeout = 60);

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

/* Logs an exposure for alice (bob's QA override is not logged) and two events each. */
static void traffic(void)
{
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=alice", &r), 200, "%s", r.body.data);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=bob", &r), 200);
    cr_assert_eq(liftd_post(&d, "/v1/events",
                            "{\"events\":["
                            "{\"event_id\":\"a1\",\"unit\":\"alice\",\"type\":\"page_view\"},"
                            "{\"event_id\":\"a2\",\"unit\":\"alice\",\"type\":\"order\","
                            "\"value\":20,\"currency\":\"EUR\"},"
                            "{\"event_id\":\"b1\",\"unit\":\"bob\",\"type\":\"page_view\"},"
                            "{\"event_id\":\"b2\",\"unit\":\"bob\",\"type\":\"order\","
                            "\"value\":30,\"currency\":\"EUR\"}]}",
                            &r),
                 202, "%s", r.body.data);
    for (int i = 0; i < 500 && count("SELECT count(*) FROM lift.exposures") < 1; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL); /* committed within ms */
    nanosleep(&(struct timespec){0, 50000000}, NULL);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures"), 1);
}

static void start(const char *key)
{
    char env[256];
    snprintf(env, sizeof env, "LIFT_PSEUDONYM_KEY=%s", key ? key : "");
    const char *const envs[] = {env, NULL};
    memset(&d, 0, sizeof d);
    liftd_start(&d, conninfo, NULL, envs);
}

static const char *forget(const char *env, const char *args, int want_status)
{
    static char out[4096];
    int status = cli_run(conninfo, env, args, 1, out, sizeof out);
    cr_assert_eq(status, want_status, "`liftctl %s`: %d %s", args, status, out);
    return out;
}

Test(privacy, pseudonyms_replace_unit_ids_in_exposures_and_events)
{
    start(SECRET);
    cr_assert(liftd_log_has(&d, "pseudonyms=on"));
    traffic();
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE unit = '" ALICE "'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM lift.events WHERE unit = '" ALICE "'"), 2);
    cr_assert_eq(count("SELECT count(*) FROM lift.events WHERE unit = '" BOB "'"), 2);
    cr_assert_eq(count("SELECT (SELECT count(*) FROM lift.exposures WHERE unit IN ('alice', "
                       "'bob')) + (SELECT count(*) FROM lift.events WHERE unit IN ('alice', "
                       "'bob'))"),
                 0, "no raw id is stored");
    /* Bucketing and QA overrides still see the raw id: the same answer as liftctl assign. */
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=alice&expose=0", &r), 200);
    const char *cli = cli_ok(conninfo, "assign --unit alice");
    cr_assert_str_eq(r.body.data, cli, "liftd %s vs liftctl %s", r.body.data, cli);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=bob&expose=0", &r), 200);
    cr_assert(strstr(r.body.data, "\"variant\":\"control\""), "%s", r.body.data);
}

Test(privacy, forget_erases_a_shopper_by_pseudonym)
{
    start(SECRET);
    traffic();
    const char *out = forget("LIFT_PSEUDONYM_KEY=" SECRET, "forget alice", 0);
    cr_assert(strstr(out, "forgot 1 shopper (by pseudonym and raw id): removed 1 exposures, 2 "
                          "events, 0 QA overrides"),
              "%s", out);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE unit = '" ALICE "'"), 0);
    cr_assert_eq(count("SELECT count(*) FROM lift.events WHERE unit = '" ALICE "'"), 0);
    cr_assert(strstr(out, "QA overrides, 1 assignments"), "%s", out);
    cr_assert_eq(count("SELECT count(*) FROM lift.assignments WHERE unit = '" ALICE "'"), 0);
    cr_assert_eq(count("SELECT count(*) FROM lift.assignments WHERE unit = '" BOB "'"),
                 count("SELECT count(*) FROM lift.exposures WHERE unit = '" BOB "'"));
    /* Nobody else's rows. */
    cr_assert_eq(count("SELECT count(*) FROM lift.events WHERE unit = '" BOB "'"), 2);
    /* Without the key only raw-id rows are found: bob's QA override, not his pseudonymous
     * facts; with it, the rest goes. */
    out = forget(NULL, "forget bob", 0);
    cr_assert(strstr(out, "removed 0 exposures, 0 events, 1 QA overrides"), "%s", out);
    out = forget("LIFT_PSEUDONYM_KEY=" SECRET, "forget bob", 0);
    cr_assert(strstr(out, "removed 0 exposures, 2 events, 0 QA overrides"), "%s", out);
    cr_assert_eq(count("SELECT (SELECT count(*) FROM lift.exposures) + "
                       "(SELECT count(*) FROM lift.events)"),
                 0);
}

Test(privacy, forget_erases_raw_ids_and_refuses_bad_ones)
{
    start(NULL);
    traffic();
    const char *out = forget(NULL, "forget alice bob", 0);
    cr_assert(strstr(out, "forgot 2 shoppers: removed 1 exposures, 4 events, 1 QA overrides"), "%s",
              out);
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 0);
    out = forget(NULL, "forget ''", 2);
    cr_assert(strstr(out, "is not a unit id"), "%s", out);
    char args[400] = "forget ";
    memset(args + 7, 'x', 200);
    args[207] = '\0';
    out = forget(NULL, args, 2);
    cr_assert(strstr(out, "is not a unit id (1 to 128 bytes of UTF-8)"), "%s", out);
    /* Quotes and backslashes in an id are data, not syntax. */
    pgtest_ok(db, "INSERT INTO lift.events (event_id, unit, type, ts) VALUES "
                  "('q1', 'o\"b\\''x', 'page_view', now())");
    out = forget(NULL, "forget 'o\"b\\'\\''x'", 0);
    cr_assert(strstr(out, "removed 0 exposures, 1 events"), "%s", out);
}
