/* Publishable client keys end to end (liftctl keys, lift.client_keys, liftd): what they may
 * and may not do, CORS for their origins only, their request limits, revocation within a
 * second (streams included), the GrowthBook payload's caching headers. */
#define _DEFAULT_SOURCE /* usleep */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

#define SHOP "https://shop.example.com"

static lift_db *db;
static char conninfo[1024];
static liftd_proc d;
static lift_httpc_response r;

static void start_liftd(const char *const *args)
{
    memset(&d, 0, sizeof d);
    liftd_start(&d, conninfo, args, NULL);
    lift_buf_init(&r.body);
}

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    start_liftd(NULL);
}

static void teardown(void)
{
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    lift_buf_fini(&r.body);
    lift_db_close(db);
}

TestSuite(client_keys, .init = setup, .fini = teardown, .timeout = 60);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* `liftctl keys create --client ARGS`: the new key. */
static const char *create(const char *args)
{
    static char key[64];
    char cmd[512];
    snprintf(cmd, sizeof cmd, "keys create --client %s", args);
    snprintf(key, sizeof key, "%s", cli_ok(conninfo, cmd));
    key[strcspn(key, "\n")] = '\0';
    cr_assert_eq(strlen(key), 35, "'%s'", key);
    return key;
}

/* Waits (up to 2 s) for liftd to answer `want` on GET target; returns the ms it took. */
static double await_status(const char *target, const char *const *headers, int want)
{
    double t0 = now_ms();
    while (liftd_request(&d, "GET", target, headers, NULL, &r) != want) {
        cr_assert_lt(now_ms() - t0, 2000, "GET %s still %d after 2 s: %s", target, r.status,
                     r.body.data);
        usleep(5000);
    }
    return now_ms() - t0;
}

static const char *header(const char *name)
{
    static char v[512];
    lift_httpc_header(&r, name, v, sizeof v);
    return v;
}

Test(client_keys, liftctl_makes_lists_and_revokes_them)
{
    char out[4096];
    cr_assert_eq(cli_run(conninfo, NULL, "keys create", 1, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "say --client"), "%s", out);
    cr_assert_eq(cli_run(conninfo, NULL, "keys create --client --origin shop.example.com/x", 1, out,
                         sizeof out),
                 1);
    cr_assert(strstr(out, "origin \"shop.example.com/x\" is not scheme://host[:port]"), "%s", out);
    const char *key = create("--origin " SHOP " --origin HTTP://Localhost:3000 --note web");
    char id[12];
    snprintf(id, sizeof id, "%.11s", key);
    const char *list = cli_ok(conninfo, "keys");
    cr_assert(strstr(list, id) && strstr(list, "live") && strstr(list, "page_view,add_to_cart") &&
                  strstr(list, SHOP " http://localhost:3000") && strstr(list, "# web"),
              "%s", list);
    /* Only the digest is stored, never the key. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM lift.client_keys WHERE digest LIKE 'sha256:%%' "
             "AND position('%s' IN digest) = 0",
             key + 3);
    cr_assert_str_eq(pgtest_value(db, sql), "1");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "keys revoke %s", id);
    cr_assert(strstr(cli_ok(conninfo, cmd), "revoked"));
    cr_assert(strstr(cli_ok(conninfo, "keys"), "revoked"));
    cr_assert_eq(cli_run(conninfo, NULL, "keys revoke pk_00000000", 1, out, sizeof out), 1);
}

Test(client_keys, payload_has_etag_sse_support_and_answers_304)
{
    const char *key = create("--origin " SHOP);
    char target[128];
    snprintf(target, sizeof target, "/api/features/%s", key);
    await_status(target, NULL, 200);
    cr_assert_str_eq(header("x-sse-support"), "enabled");
    cr_assert_str_eq(header("Cache-Control"), "no-cache");
    char etag[512], inm[600];
    snprintf(etag, sizeof etag, "%s", header("ETag"));
    cr_assert_eq(strlen(etag), 18, "%s", etag);
    cr_assert(strstr(r.body.data, "\"recs\":{\"defaultValue\":{}"), "%s", r.body.data);
    snprintf(inm, sizeof inm, "If-None-Match: W/\"nope\", %s", etag);
    const char *const h[] = {inm, NULL};
    cr_assert_eq(liftd_request(&d, "GET", target, h, NULL, &r), 304);
    cr_assert_eq(r.body.len, 0);
    /* A config change is a new payload and a new ETag. */
    pgtest_ok(db, "UPDATE lift.variants SET payload = '{\"v\": 2}' WHERE key = 'personalized'");
    await_status(target, h, 200);
    cr_assert_str_neq(header("ETag"), etag);
    /* Unknown keys, secret keys in the path: 401. */
    cr_assert_eq(liftd_get(&d, "/api/features/pk_00000000000000000000000000000000", &r), 401);
    cr_assert(strstr(r.body.data, "unknown or revoked client key"));
    cr_assert_eq(liftd_get(&d, "/api/features/" TEST_KEY, &r), 401);
    cr_assert_eq(liftd_get(&d, "/sub/nope", &r), 401);
}

Test(client_keys, cors_only_for_the_keys_origins)
{
    const char *key = create("--origin " SHOP);
    char target[128], auth[96];
    snprintf(target, sizeof target, "/api/features/%s", key);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    await_status(target, NULL, 200);
    const char *const ok[] = {"Origin: " SHOP, "Access-Control-Request-Method: GET", NULL};
    cr_assert_eq(liftd_request(&d, "OPTIONS", target, ok, NULL, &r), 204);
    cr_assert_str_eq(header("Access-Control-Allow-Origin"), SHOP);
    cr_assert_str_eq(header("Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS");
    cr_assert_str_eq(header("Vary"), "Origin");
    cr_assert_str_eq(header("Access-Control-Max-Age"), "600");
    /* Routes without a key in the path: any live key's origin. */
    const char *const post[] = {"Origin: " SHOP, "Access-Control-Request-Method: POST",
                                "Access-Control-Request-Headers: authorization,content-type", NULL};
    cr_assert_eq(liftd_request(&d, "OPTIONS", "/v1/events", post, NULL, &r), 204);
    cr_assert(strstr(header("Access-Control-Allow-Headers"), "Authorization"));
    const char *const evil[] = {"Origin: https://evil.example",
                                "Access-Control-Request-Method: GET", NULL};
    cr_assert_eq(liftd_request(&d, "OPTIONS", target, evil, NULL, &r), 403);
    cr_assert_str_eq(header("Access-Control-Allow-Origin"), "");
    cr_assert(strstr(r.body.data, "origin_not_allowed"));
    cr_assert_eq(liftd_request(&d, "OPTIONS", "/v1/assign", evil, NULL, &r), 403);
    cr_assert_eq(liftd_request(&d, "OPTIONS", "/metrics", ok, NULL, &r), 403, "not for browsers");
    cr_assert_eq(liftd_request(&d, "OPTIONS", "/v1/assign", NULL, NULL, &r), 204);
    cr_assert_str_eq(header("Allow"), "GET, HEAD, OPTIONS");
    /* The requests themselves. */
    const char *const from_shop[] = {"Origin: " SHOP, auth, NULL};
    cr_assert_eq(liftd_request(&d, "GET", target, from_shop, NULL, &r), 200);
    cr_assert_str_eq(header("Access-Control-Allow-Origin"), SHOP);
    cr_assert(strstr(header("Access-Control-Expose-Headers"), "x-sse-support"));
    cr_assert_eq(liftd_request(&d, "GET", "/v1/assign?unit=u1", from_shop, NULL, &r), 200);
    cr_assert_str_eq(header("Access-Control-Allow-Origin"), SHOP);
    const char *const from_evil[] = {"Origin: https://evil.example", auth, NULL};
    cr_assert_eq(liftd_request(&d, "GET", target, from_evil, NULL, &r), 403);
    cr_assert_str_eq(header("Access-Control-Allow-Origin"), "");
    /* A key without origins is for servers: no browser may use it. */
    const char *server_key = create("");
    snprintf(target, sizeof target, "/api/features/%s", server_key);
    await_status(target, NULL, 200);
    cr_assert_eq(liftd_request(&d, "GET", target, from_shop, NULL, &r), 403);
    /* Secret keys get no CORS headers: they never belong in a browser. */
    const char *const secret[] = {"Origin: " SHOP, "Authorization: Bearer " TEST_KEY, NULL};
    cr_assert_eq(liftd_request(&d, "GET", "/v1/assign?unit=u1", secret, NULL, &r), 200);
    cr_assert_str_eq(header("Access-Control-Allow-Origin"), "");
}

static int post_as(const char *key, const char *path, const char *body)
{
    char auth[96];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    const char *const h[] = {auth, "Content-Type: application/json", NULL};
    return liftd_request(&d, "POST", path, h, body, &r);
}

Test(client_keys, browser_safe_events_only_and_exposures)
{
    const char *k = create("--origin " SHOP);
    char key[64], orders[64];
    snprintf(key, sizeof key, "%s", k);
    snprintf(orders, sizeof orders, "%s", create("--allow-event page_view --allow-event order"));
    char target[128];
    snprintf(target, sizeof target, "/api/features/%s", orders);
    await_status(target, NULL, 200);
    cr_assert_eq(post_as(key, "/v1/events",
                         "{\"events\":[{\"event_id\":\"pv-1\",\"unit\":\"u1\",\"type\":"
                         "\"page_view\"},{\"event_id\":\"c-1\",\"unit\":\"u1\",\"type\":"
                         "\"add_to_cart\",\"value\":20}]}"),
                 202, "%s", r.body.data);
    /* An order (or a refund) in the batch: all of it refused, naming the item. */
    cr_assert_eq(post_as(key, "/v1/events",
                         "{\"events\":[{\"event_id\":\"pv-2\",\"unit\":\"u1\",\"type\":"
                         "\"page_view\"},{\"event_id\":\"o-1\",\"unit\":\"u1\",\"type\":\"order\","
                         "\"value\":59.9}]}"),
                 403);
    cr_assert(strstr(r.body.data, "\"code\":\"event_type_not_allowed\"") &&
                  strstr(r.body.data, "\"field\":\"events[1].type\""),
              "%s", r.body.data);
    cr_assert_eq(post_as(key, "/v1/events",
                         "{\"events\":[{\"event_id\":\"r-1\",\"unit\":\"u1\",\"type\":\"refund\","
                         "\"value\":-5}]}"),
                 403);
    /* Listed explicitly, orders are allowed; add_to_cart then is not. */
    cr_assert_eq(post_as(orders, "/v1/events",
                         "{\"events\":[{\"event_id\":\"o-2\",\"unit\":\"u1\",\"type\":\"order\","
                         "\"value\":10}]}"),
                 202);
    cr_assert_eq(post_as(orders, "/v1/events",
                         "{\"events\":[{\"event_id\":\"c-2\",\"unit\":\"u1\",\"type\":"
                         "\"add_to_cart\"}]}"),
                 403);
    /* Exposures, as the SDK's tracking callback sends them (phase from the payload). */
    cr_assert_eq(post_as(key, "/v1/exposures",
                         "{\"exposures\":[{\"event_id\":\"x-1\",\"unit\":\"u1\",\"experiment\":"
                         "\"recs\",\"variant\":\"personalized\",\"phase\":1}]}"),
                 202, "%s", r.body.data);
    cr_assert_eq(post_as(key, "/v1/exposures",
                         "{\"exposures\":[{\"event_id\":\"x-2\",\"unit\":\"u1\",\"experiment\":"
                         "\"recs\",\"variant\":\"personalized\",\"phase\":2}]}"),
                 400);
    cr_assert(strstr(r.body.data, "phase 2 of \\\"recs\\\" is over: it is in phase 1") ||
                  strstr(r.body.data, "is in phase 1"),
              "%s", r.body.data);
    /* Secret keys keep every power. */
    cr_assert_eq(post_as(TEST_KEY, "/v1/events",
                         "{\"events\":[{\"event_id\":\"o-3\",\"unit\":\"u1\",\"type\":\"order\","
                         "\"value\":10}]}"),
                 202);
    cr_assert_eq(post_as("pk_00000000000000000000000000000000", "/v1/events",
                         "{\"events\":[{\"event_id\":\"pv-9\",\"unit\":\"u1\",\"type\":"
                         "\"page_view\"}]}"),
                 401);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id, ',' ORDER BY event_id) FROM "
                                      "lift.events"),
                     "c-1,o-2,o-3,pv-1");
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id, ',') FROM lift.exposures"),
                     "x-1");
}

Test(client_keys, request_limit_is_a_token_bucket_per_key)
{
    const char *k = create("--rate 5 --burst 3");
    char key[64], other[64], target[128], other_target[128];
    snprintf(key, sizeof key, "%s", k);
    snprintf(other, sizeof other, "%s", create("--rate 5 --burst 3"));
    snprintf(target, sizeof target, "/api/features/%s", key);
    snprintf(other_target, sizeof other_target, "/api/features/%s", other);
    /* Wait for the key without spending its tokens: the other key's first request. */
    await_status(other_target, NULL, 200);
    usleep(700000); /* the other key's bucket refills (5 a second, 3 at most) */
    /* A burst of 3, then refused with Retry-After until a token is back (one per 200 ms). */
    for (int i = 0; i < 3; i++)
        cr_assert_eq(liftd_get(&d, target, &r), 200, "request %d", i + 1);
    cr_assert_eq(liftd_get(&d, target, &r), 429);
    cr_assert(strstr(r.body.data, "\"code\":\"rate_limited\""), "%s", r.body.data);
    cr_assert_str_eq(r.retry_after, "1");
    /* Each key has its own bucket. */
    cr_assert_eq(liftd_get(&d, other_target, &r), 200);
    usleep(250000);
    cr_assert_eq(liftd_get(&d, target, &r), 200, "a token is back after 200 ms");
    cr_assert_eq(liftd_get(&d, target, &r), 429);
    /* Sustained: over 1.5 s at 20 requests a second, about 3 + 5 * 1.5 pass. */
    int passed = 0;
    usleep(1000000);
    double t0 = now_ms();
    while (now_ms() - t0 < 1500) {
        passed += liftd_get(&d, target, &r) == 200;
        usleep(50000);
    }
    cr_log_info("token bucket (rate 5/s, burst 3): %d of ~30 requests passed in 1.5 s", passed);
    cr_assert(passed >= 9 && passed <= 12, "%d passed; expected 3 + 7.5 = 10 or 11", passed);
    cr_assert_eq(liftd_get(&d, "/metrics", &r), 200);
    cr_assert(strstr(r.body.data, "lift_rate_limited_total "), "%s", r.body.data);
}

/* Opens GET /sub/key on a raw socket and reads its first event; returns the socket. */
static int open_stream(const char *key, char *got, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)d.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[256];
    int n = snprintf(req, sizeof req, "GET /sub/%s HTTP/1.1\r\nHost: x\r\n\r\n", key);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    size_t have = 0;
    double t0 = now_ms();
    while (!strstr(got, "event: features") && now_ms() - t0 < 2000) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) == 1) {
            ssize_t k = read(fd, got + have, len - have - 1);
            cr_assert_gt(k, 0);
            have += (size_t)k;
            got[have] = '\0';
        }
    }
    return fd;
}

Test(client_keys, a_revoked_key_is_refused_and_its_streams_end_within_a_second)
{
    const char *key = create("--origin " SHOP);
    char target[128], id[12], cmd[64];
    snprintf(target, sizeof target, "/api/features/%s", key);
    snprintf(id, sizeof id, "%.11s", key);
    await_status(target, NULL, 200);
    static char got[1 << 16];
    got[0] = '\0';
    int fd = open_stream(key, got, sizeof got);
    cr_assert(strstr(got, "HTTP/1.1 200") && strstr(got, "text/event-stream") &&
                  strstr(got, "retry: 2000") && strstr(got, "data: {\"status\":200,"),
              "%s", got);
    cr_assert_eq(liftd_get(&d, "/metrics", &r), 200);
    cr_assert(strstr(r.body.data, "lift_sse_streams 1"), "%s", r.body.data);
    snprintf(cmd, sizeof cmd, "keys revoke %s", id);
    double t0 = now_ms();
    cli_ok(conninfo, cmd);
    await_status(target, NULL, 401);
    double refused = now_ms() - t0;
    /* The stream ends: its last chunk (0 CRLF CRLF) arrives. */
    size_t have = strlen(got);
    while (!strstr(got, "\r\n0\r\n\r\n") && now_ms() - t0 < 2000) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) == 1) {
            ssize_t k = read(fd, got + have, sizeof got - have - 1);
            if (k <= 0)
                break;
            have += (size_t)k;
            got[have] = '\0';
        }
    }
    double ended = now_ms() - t0;
    close(fd);
    cr_log_info("revoke: requests refused %.0f ms, stream ended %.0f ms after liftctl started",
                refused, ended);
    cr_assert_lt(refused, 1000);
    cr_assert(strstr(got, "\r\n0\r\n\r\n"), "the stream did not end");
    cr_assert_lt(ended, 1000);
}

Test(client_keys, streams_end_cleanly_on_shutdown)
{
    const char *key = create("");
    char target[128];
    snprintf(target, sizeof target, "/api/features/%s", key);
    await_status(target, NULL, 200);
    static char got[1 << 16];
    int fds[5];
    for (int i = 0; i < 5; i++) {
        got[0] = '\0';
        fds[i] = open_stream(key, got, sizeof got);
        cr_assert(strstr(got, "event: features"));
    }
    double t0 = now_ms();
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0, "liftd must exit 0 with streams open");
    cr_log_info("SIGTERM with 5 open streams: exited in %.0f ms", now_ms() - t0);
    for (int i = 0; i < 5; i++)
        close(fds[i]);
}

Test(client_keys, assign_and_ofrep_take_client_keys_where_keys_are_required)
{
    liftd_stop(&d, SIGTERM);
    static const char *const args[] = {"--assign-requires-key", NULL};
    start_liftd(args);
    const char *key = create("");
    char target[128], auth[96];
    snprintf(target, sizeof target, "/api/features/%s", key);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    await_status(target, NULL, 200);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=u1", &r), 401);
    const char *const h[] = {auth, NULL};
    cr_assert_eq(liftd_request(&d, "GET", "/v1/assign?unit=u1", h, NULL, &r), 200);
    cr_assert_eq(post_as(key, "/ofrep/v1/evaluate/flags/recs",
                         "{\"context\":{\"targetingKey\":"
                         "\"u1\"}}"),
                 200, "%s", r.body.data);
    const char *const json[] = {"Content-Type: application/json", NULL};
    cr_assert_eq(liftd_request(&d, "POST", "/ofrep/v1/evaluate/flags", json,
                               "{\"context\":{\"targetingKey\":\"u1\"}}", &r),
                 401);
    cr_assert_eq(post_as(TEST_KEY, "/ofrep/v1/evaluate/flags",
                         "{\"context\":{\"targetingKey\":"
                         "\"u1\"}}"),
                 200);
}

Test(client_keys, the_new_routes_answer_every_error_in_liftds_shape)
{
    const char *key = create("--origin " SHOP " --rate 1 --burst 1");
    char target[128], sub[128];
    snprintf(target, sizeof target, "/api/features/%s", key);
    snprintf(sub, sizeof sub, "/sub/%s", key);
    await_status(target, NULL, 200); /* takes the only token */
    cr_assert_eq(liftd_get(&d, sub, &r), 429);
    cr_assert_str_eq(r.retry_after, "1");
    const char *const evil[] = {"Origin: https://evil.example", NULL};
    cr_assert_eq(liftd_request(&d, "GET", sub, evil, NULL, &r), 403);
    cr_assert_eq(liftd_request(&d, "POST", target, NULL, "{}", &r), 405);
    cr_assert(strstr(r.body.data, "method_not_allowed"));
    cr_assert_eq(liftd_get(&d, "/api/features/", &r), 404, "no key: no route");
    cr_assert_eq(liftd_get(&d, "/api/features/a/b", &r), 404);
    cr_assert_eq(liftd_request(&d, "GET", "/ofrep/v1/evaluate/flags/recs", NULL, NULL, &r), 405);
    const char *const text[] = {"Content-Type: text/plain", NULL};
    cr_assert_eq(liftd_request(&d, "POST", "/ofrep/v1/evaluate/flags/recs", text,
                               "{\"context\":{\"targetingKey\":\"u\"}}", &r),
                 415);
    cr_assert(strstr(r.body.data, "unsupported_media_type"));
    cr_assert_eq(liftd_request(&d, "HEAD", "/v1/assign?unit=u1", NULL, NULL, &r), 200);
}
