/* liftd end to end: a real server on an ephemeral port, a real PostgreSQL, real HTTP. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lift/keys.h"
#include "support/liftd.h"
#include "support/pgtest.h"

/* Two running experiments: homepage_recs in a layer, search_rank for mobile/tablet only,
 * plus a QA override. */
static const char CONFIG[] =
    "BEGIN;"
    "INSERT INTO lift.layers (name) VALUES ('homepage');"
    "INSERT INTO lift.audiences (key) VALUES ('handheld');"
    "INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES"
    "  ('handheld', 'device', 'in', '[\"mobile\", \"tablet\"]');"
    "INSERT INTO lift.experiments (key, name, status, layer, layer_start, layer_end)"
    "  VALUES ('homepage_recs', 'Homepage recs', 'running', 'homepage', 0, 0.8);"
    "INSERT INTO lift.variants (experiment, key, weight, payload) VALUES"
    "  ('homepage_recs', 'control', 0.5, '{\"recs\": \"generic\"}'),"
    "  ('homepage_recs', 'personalized', 0.5, '{\"recs\": \"ml\"}');"
    "INSERT INTO lift.experiments (key, name, status, audience, coverage)"
    "  VALUES ('search_rank', 'Search ranking', 'running', 'handheld', 0.9);"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES"
    "  ('search_rank', 'control', 0.34), ('search_rank', 'a', 0.33), ('search_rank', 'b', 0.33);"
    "INSERT INTO lift.overrides (experiment, unit, variant) VALUES"
    "  ('homepage_recs', 'qa-tester', 'personalized');"
    "COMMIT;";

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static lift_db *db;
static char conninfo[1024];
static liftd_proc d;
static lift_httpc_response r;

static void start_with(const char *const *args, const char *const *env)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, CONFIG);
    memset(&d, 0, sizeof d);
    liftd_start(&d, conninfo, args, env);
    lift_buf_init(&r.body);
}

static void setup(void)
{
    start_with(NULL, NULL);
}

static void teardown(void)
{
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    lift_buf_fini(&r.body);
    lift_db_close(db);
}

TestSuite(liftd, .init = setup, .fini = teardown, .timeout = 60);

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

/* Waits until the writer has committed `want` rows matching sql (batches flush in ms). */
static long await_count(const char *sql, long want)
{
    long n = 0;
    for (int i = 0; i < 300 && (n = count(sql)) < want; i++)
        sleep_us(10000);
    return n;
}

/* --- assignment ----------------------------------------------------------------------- */

Test(liftd, assignments_equal_liftctl_assign)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "seq 1 300 | sed 's/^/shopper-/' | LIFT_DATABASE_URL='%s' %s assign --units - "
             "--attr device=mobile",
             conninfo, pgtest_bin("liftctl"));
    FILE *p = popen(cmd, "r");
    char line[4096];
    int i = 0;
    while (fgets(line, sizeof line, p)) {
        char target[128];
        snprintf(target, sizeof target, "/v1/assign?unit=shopper-%d&attr.device=mobile&expose=0",
                 ++i);
        cr_assert_eq(liftd_get(&d, target, &r), 200, "%s", r.body.data);
        cr_assert_str_eq(r.body.data, line, "unit shopper-%d", i);
    }
    cr_assert_eq(pclose(p), 0);
    cr_assert_eq(i, 300);
}

Test(liftd, logs_one_exposure_per_bucketed_assignment)
{
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=s-1&attr.device=tablet&attr.channel=email", &r),
                 200);
    json_t *a = json_loads(r.body.data, 0, NULL);
    size_t n = json_array_size(json_object_get(a, "assignments"));
    json_decref(a);
    cr_assert_eq(await_count("SELECT count(*) FROM lift.exposures WHERE unit = 's-1'", (long)n),
                 (long)n);
    cr_assert_str_eq(pgtest_value(db, "SELECT attrs::text FROM lift.exposures LIMIT 1"),
                     "{\"device\": \"tablet\", \"channel\": \"email\"}");
    /* Not logged: expose=0, no consent, QA overrides. */
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=s-2&attr.device=mobile&expose=0", &r), 200);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=s-3&consent=0", &r), 200);
    cr_assert(strstr(r.body.data, "\"in_experiment\":false"), "%s", r.body.data);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=qa-tester&experiment=homepage_recs", &r), 200);
    cr_assert(strstr(r.body.data, "\"override\":true"), "%s", r.body.data);
    sleep_us(100000);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE unit <> 's-1'"), 0);
}

Test(liftd, serves_a_committed_config_change_within_a_second)
{
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=qa-tester&expose=0", &r), 200);
    cr_assert(strstr(r.body.data, "\"recs\":\"ml\""));
    int64_t t0 = lift_time_mono();
    pgtest_ok(db, "UPDATE lift.variants SET payload = '{\"recs\": \"ml-v2\"}' "
                  "WHERE key = 'personalized'");
    int64_t seen = -1;
    while (lift_time_mono() - t0 < 2000000) {
        cr_assert_eq(liftd_get(&d, "/v1/assign?unit=qa-tester&expose=0", &r), 200);
        if (strstr(r.body.data, "ml-v2")) {
            seen = lift_time_mono() - t0;
            break;
        }
        sleep_us(5000);
    }
    cr_assert(seen >= 0 && seen <= 1000000, "change served after %lld us", (long long)seen);
    cr_log_info("config change served after %.0f ms", (double)seen / 1000);
}

/* --- ingestion ------------------------------------------------------------------------ */

static void events_body(lift_buf *b, const char *prefix, int from, int n)
{
    lift_buf_reset(b);
    lift_buf_puts(b, "{\"events\":[");
    for (int i = from; i < from + n; i++)
        lift_buf_printf(b,
                        "%s{\"event_id\":\"%s-%d\",\"unit\":\"u-%d\",\"type\":\"order\","
                        "\"value\":%d.5,\"currency\":\"EUR\",\"ts\":\"2026-10-01T12:00:00Z\"}",
                        i > from ? "," : "", prefix, i, i % 37, i);
    lift_buf_puts(b, "]}");
}

Test(liftd, the_same_batch_posted_twice_is_stored_once)
{
    lift_buf b;
    lift_buf_init(&b);
    events_body(&b, "dup", 0, 100);
    cr_assert_eq(liftd_post(&d, "/v1/events", b.data, &r), 202, "%s", r.body.data);
    cr_assert_str_eq(r.body.data, "{\"accepted\":100,\"duplicates\":0}\n");
    cr_assert_eq(liftd_post(&d, "/v1/events", b.data, &r), 202);
    cr_assert_str_eq(r.body.data, "{\"accepted\":0,\"duplicates\":100}\n");
    events_body(&b, "dup", 50, 100); /* half old, half new */
    cr_assert_eq(liftd_post(&d, "/v1/events", b.data, &r), 202);
    cr_assert_str_eq(r.body.data, "{\"accepted\":50,\"duplicates\":50}\n");
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 150);
    cr_assert_str_eq(pgtest_value(db, "SELECT value || currency FROM lift.events "
                                      "WHERE event_id = 'dup-7'"),
                     "7.5EUR");
    const char *exp = "{\"exposures\":[{\"event_id\":\"x1\",\"unit\":\"u\",\"experiment\":"
                      "\"homepage_recs\",\"variant\":\"control\",\"ts\":\"2026-10-01T00:00:00Z\","
                      "\"attrs\":{\"device\":\"mobile\"}}]}";
    cr_assert_eq(liftd_post(&d, "/v1/exposures", exp, &r), 202, "%s", r.body.data);
    cr_assert_eq(liftd_post(&d, "/v1/exposures", exp, &r), 202);
    cr_assert_str_eq(r.body.data, "{\"accepted\":0,\"duplicates\":1}\n");
    cr_assert_str_eq(pgtest_value(db, "SELECT experiment || '/' || variant || '/' || phase FROM "
                                      "lift.exposures"),
                     "homepage_recs/control/1");
    lift_buf_fini(&b);
}

/* One refused request: status, error field and (part of) the message. */
static void refused(int status, const char *field, const char *message)
{
    json_error_t jerr;
    json_t *j = json_loads(r.body.data, 0, &jerr);
    cr_assert(j, "not JSON: %s", r.body.data);
    json_t *e = json_object_get(j, "error");
    cr_assert_eq(r.status, status, "%s", r.body.data);
    cr_assert(json_is_string(json_object_get(e, "code")), "%s", r.body.data);
    if (field)
        cr_assert_str_eq(json_string_value(json_object_get(e, "field")), field, "%s", r.body.data);
    cr_assert(strstr(json_string_value(json_object_get(e, "message")), message), "%s", r.body.data);
    json_decref(j);
}

Test(liftd, exposures_of_an_experiment_that_is_not_running_are_refused)
{
    /* A draft committed without variants must not hold the next config change back. */
    pgtest_ok(db, "INSERT INTO lift.experiments (key, name) VALUES ('later', 'Not yet');"
                  "UPDATE lift.experiments SET status = 'stopped' WHERE key = 'search_rank'");
    const char *body = "{\"exposures\":[{\"event_id\":\"s1\",\"unit\":\"u\",\"experiment\":"
                       "\"search_rank\",\"variant\":\"a\"}]}";
    int64_t t0 = lift_time_mono();
    while (liftd_post(&d, "/v1/exposures", body, &r) == 202 && lift_time_mono() - t0 < 2000000)
        sleep_us(5000); /* until the change is served */
    refused(400, "exposures[0].experiment",
            "exposures[0].experiment: is not running (it is stopped)");
    body = "{\"exposures\":[{\"event_id\":\"s2\",\"unit\":\"u\",\"experiment\":\"later\","
           "\"variant\":\"a\"}]}";
    cr_assert_eq(liftd_post(&d, "/v1/exposures", body, &r), 400);
    refused(400, "exposures[0].experiment", "is not running (it is a draft)");
    /* (s1 may have been stored by a POST before the change was served.) */
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE event_id = 's2'"), 0);
}

/* Malformed and hostile requests: tests/test_hostile.c. */

Test(liftd, percent_encoded_utf8_ids_are_fine)
{
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=%C3%BCser-%F0%9F%98%80&expose=0", &r), 200);
    cr_assert(strstr(r.body.data, "\"unit\":\"üser-😀\""), "%s", r.body.data);
}

/* --- access --------------------------------------------------------------------------- */

Test(liftd, posts_need_a_valid_key)
{
    static const char *const none[] = {"Content-Type: application/json", NULL};
    static const char *const wrong[] = {"Content-Type: application/json",
                                        "Authorization: Bearer nope", NULL};
    static const char *const basic[] = {"Content-Type: application/json",
                                        "Authorization: Basic dGVzdA==", NULL};
    const char *body = "{\"events\":[]}";
    cr_assert_eq(liftd_post_with(&d, "/v1/events", none, body, strlen(body), &r), 401);
    refused(401, NULL, "API key");
    cr_assert_eq(liftd_post_with(&d, "/v1/events", wrong, body, strlen(body), &r), 401);
    cr_assert_eq(liftd_post_with(&d, "/v1/events", basic, body, strlen(body), &r), 401);
    cr_assert_eq(liftd_post(&d, "/v1/events", body, &r), 202);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=u&expose=0", &r), 200, "assign is open");
    cr_assert(!liftd_log_has(&d, TEST_KEY), "the key appears in the log");
}

/* Its own suite: it starts liftd with other settings (a test's .init cannot drop the
 * suite's). */
TestSuite(liftd_keys, .fini = teardown, .timeout = 60);

Test(liftd_keys, keys_may_be_configured_as_digests_and_assign_may_require_one)
{
    char digest[72], env[100];
    lift_keys_digest("s3cret", digest);
    snprintf(env, sizeof env, "LIFT_API_KEYS=%s", digest);
    const char *args[] = {"--assign-requires-key", NULL};
    const char *envs[] = {env, NULL};
    start_with(args, envs);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=u", &r), 401);
    static const char *const key[] = {"Authorization: Bearer s3cret", NULL};
    lift_err err;
    cr_assert_eq(
        lift_httpc_request(d.http, "GET", "/v1/assign?unit=u&expose=0", key, NULL, 0, &r, &err),
        LIFT_OK);
    cr_assert_eq(r.status, 200, "%s", r.body.data);
}

/* --- status endpoints ----------------------------------------------------------------- */

Test(liftd, health_readiness_metrics_and_experiments)
{
    cr_assert_eq(liftd_get(&d, "/healthz", &r), 200);
    cr_assert_eq(liftd_get(&d, "/readyz", &r), 200, "%s", r.body.data);
    cr_assert(strstr(r.body.data, "\"ready\":true"));
    cr_assert_eq(liftd_get(&d, "/v1/experiments", &r), 200);
    json_t *j = json_loads(r.body.data, 0, NULL);
    cr_assert_eq(json_array_size(json_object_get(j, "experiments")), 2);
    json_decref(j);
    cr_assert_eq(liftd_get(&d, "/metrics", &r), 200);
    cr_assert_str_eq(r.content_type, "text/plain; version=0.0.4");
    static const char *const names[] = {
        "lift_http_requests_total{route=\"/v1/experiments\",status=\"200\"} 1",
        "lift_http_request_duration_seconds_bucket{route=\"/readyz\",le=\"+Inf\"} 1",
        "lift_queue_rows",
        "lift_rows_committed_total{table=\"events\"}",
        "lift_batches_total",
        "lift_config_reloads_total",
        "lift_config_version",
        "lift_spooled_rows_total"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cr_assert(strstr(r.body.data, names[i]), "missing %s", names[i]);
}

/* --- the database away: cached config, spooled exposures, replay ---------------------- */

Test(liftd, serves_from_cache_and_spools_while_the_database_is_away)
{
    /* First run: the config reaches the cache. Then restart against no database. */
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    const char *bad[] = {"--db", "host=/nonexistent port=1 dbname=lift", NULL};
    liftd_start(&d, conninfo, bad, NULL);
    cr_assert(liftd_log_has(&d, "serving the cached config"));
    cr_assert_eq(liftd_get(&d, "/readyz", &r), 503);
    for (int i = 0; i < 20; i++) {
        char target[64];
        snprintf(target, sizeof target, "/v1/assign?unit=away-%d", i);
        cr_assert_eq(liftd_get(&d, target, &r), 200, "assign keeps answering: %s", r.body.data);
    }
    cr_assert_eq(liftd_post(&d, "/v1/events", "{\"events\":[]}", &r), 503);
    cr_assert_str_eq(r.retry_after, "1");
    /* The live exposures went to the spool; SIGTERM flushes the rest there. */
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    /* Back with the database: the spool is replayed, in order, once. */
    liftd_start(&d, conninfo, NULL, NULL);
    long n = await_count("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'away-%'", 1);
    sleep_us(200000);
    n = count("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'away-%'");
    cr_assert_gt(n, 10, "replayed %ld exposures", n);
    cr_assert_eq(count("SELECT count(DISTINCT unit) FROM lift.exposures WHERE unit LIKE 'away-%' "
                       "AND experiment = 'homepage_recs'"),
                 count("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'away-%' "
                       "AND experiment = 'homepage_recs'"),
                 "each stored once");
    cr_assert(liftd_log_has(&d, "spool replayed rows="));
}

/* Graceful shutdown under load: tests/fault/test_faults.c. */
