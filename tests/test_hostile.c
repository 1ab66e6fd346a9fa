/* The bad-input catalogue: malformed and hostile requests, sent as raw bytes over TCP to a
 * real liftd. Each must get the right 4xx and, once it reaches liftd's handlers, a JSON
 * error {"error":{"code","message","field"}} naming the problem; afterwards the server is
 * still up and nothing of any refused request is stored. Injection and traversal strings
 * that are valid ids are stored verbatim.
 *
 * Requests that are not HTTP enough to reach a handler (a header block over the memory
 * limit, broken chunked encoding, a request line without a version) are answered by
 * libmicrohttpd itself: the right status with its own short HTML body, or, for bytes that
 * are not an HTTP request line at all, a closed connection. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/liftd.h"
#include "support/pgtest.h"
#include "support/rawhttp.h"

static lift_db *db;
static char conninfo[1024];
static liftd_proc d;

static void setup(void)
{
    liftd_fixture_up(&d, &db, conninfo, sizeof conninfo, NULL);
}

static void teardown(void)
{
    liftd_fixture_down(&d, db);
}

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = 120);

/* A request with a body: content type (NULL: none) and key (0 none, 1 good, 2 wrong). */
static char *request(const char *method, const char *target, const char *ctype, int key,
                     const char *body, size_t blen, size_t *len)
{
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_printf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, target);
    if (ctype)
        lift_buf_printf(&b, "Content-Type: %s\r\n", ctype);
    if (key)
        lift_buf_printf(&b, "Authorization: Bearer %s\r\n", key == 1 ? TEST_KEY : "wrong-key");
    if (body)
        lift_buf_printf(&b, "Content-Length: %zu\r\n", blen);
    lift_buf_puts(&b, "\r\n");
    if (body)
        lift_buf_append(&b, body, blen);
    *len = b.len;
    return b.data;
}

/* --- the catalogue ---------------------------------------------------------------------- */

enum { RAW_NONE, RAW_ONLY };

typedef struct hostile {
    const char *name;
    const char *method, *target; /* NULL method: `body` is the whole raw request */
    const char *body;            /* for POST /v1/events and /v1/exposures */
    int status;
    const char *needle; /* in the answer's body */
    bool json;          /* the answer is liftd's JSON error */
} hostile;

#define EV(x)  "{\"events\":[" x "]}"
#define ITEM   "\"event_id\":\"e1\",\"unit\":\"u\",\"type\":\"order\""
#define EXP(x) "{\"exposures\":[" x "]}"
#define XITEM  "\"event_id\":\"x1\",\"unit\":\"u\""

static const hostile CATALOGUE[] = {
    /* Broken or wrong JSON. */
    {"truncated JSON", "POST", "/v1/events", "{\"events\":[", 400, "not valid JSON", true},
    {"not JSON at all", "POST", "/v1/events", "hello", 400, "not valid JSON", true},
    {"empty body", "POST", "/v1/events", "", 400, "\"field\":\"body\"", true},
    {"top-level array", "POST", "/v1/events", "[{\"event_id\":\"e\"}]", 400, "expected {", true},
    {"events not an array", "POST", "/v1/events", "{\"events\":{}}", 400, "\"field\":\"events\"",
     true},
    {"events null", "POST", "/v1/events", "{\"events\":null}", 400, "\"field\":\"events\"", true},
    {"item not an object", "POST", "/v1/events", EV("1"), 400, "events[0]", true},
    {"duplicate top-level key", "POST", "/v1/events", "{\"events\":[],\"events\":[]}", 400,
     "duplicate object key", true},
    {"duplicate item key", "POST", "/v1/events",
     EV("{\"event_id\":\"a\",\"event_id\":\"b\",\"unit\":\"u\",\"type\":\"t\"}"), 400,
     "duplicate object key", true},
    {"JSON nested 20000 deep", "POST", "/v1/events", "@deep", 400, "maximum parsing depth", true},
    {"trailing garbage", "POST", "/v1/events", EV("") "xyz", 400, "not valid JSON", true},
    /* Missing fields and wrong types. */
    {"missing event_id", "POST", "/v1/events", EV("{\"unit\":\"u\",\"type\":\"order\"}"), 400,
     "events[0].event_id", true},
    {"missing unit", "POST", "/v1/events", EV("{\"event_id\":\"e\",\"type\":\"order\"}"), 400,
     "events[0].unit", true},
    {"missing type", "POST", "/v1/events", EV("{\"event_id\":\"e\",\"unit\":\"u\"}"), 400,
     "events[0].type", true},
    {"event_id a number", "POST", "/v1/events",
     EV("{\"event_id\":7,\"unit\":\"u\",\"type\":\"order\"}"), 400, "events[0].event_id", true},
    {"unit an object", "POST", "/v1/events",
     EV("{\"event_id\":\"e\",\"unit\":{},\"type\":\"order\"}"), 400, "events[0].unit", true},
    {"unknown field", "POST", "/v1/events", EV("{" ITEM ",\"vaule\":3}"), 400, "events[0].vaule",
     true},
    {"props not an object", "POST", "/v1/events", EV("{" ITEM ",\"props\":\"x\"}"), 400,
     "events[0].props", true},
    /* Ids: empty, overlong, invalid UTF-8, NUL. */
    {"empty unit", "POST", "/v1/events",
     EV("{\"event_id\":\"e\",\"unit\":\"\",\"type\":\"order\"}"), 400, "events[0].unit", true},
    {"unit of 129 bytes", "POST", "/v1/events", "@long_unit", 400, "longer than 128 bytes", true},
    {"event_id of 129 bytes", "POST", "/v1/events", "@long_id", 400, "events[0].event_id", true},
    {"empty type", "POST", "/v1/events", EV("{\"event_id\":\"e\",\"unit\":\"u\",\"type\":\"\"}"),
     400, "events[0].type", true},
    {"type of 65 bytes", "POST", "/v1/events", "@long_type", 400, "events[0].type", true},
    {"invalid UTF-8 byte in unit", "POST", "/v1/events",
     EV("{\"event_id\":\"e\",\"unit\":\"u\xff\",\"type\":\"order\"}"), 400, "not valid JSON", true},
    {"lone surrogate in unit", "POST", "/v1/events",
     EV("{\"event_id\":\"e\",\"unit\":\"u\\ud800\",\"type\":\"order\"}"), 400, "not valid JSON",
     true},
    {"escaped NUL in unit", "POST", "/v1/events",
     EV("{\"event_id\":\"e\",\"unit\":\"a\\u0000b\",\"type\":\"order\"}"), 400, "not valid JSON",
     true},
    {"raw NUL byte in the body", "POST", "/v1/events", "@nul_byte", 400, "not valid JSON", true},
    {"newline in a unit", "POST", "/v1/events",
     EV("{\"event_id\":\"e\",\"unit\":\"a\\nb\",\"type\":\"order\"}"), 400,
     "events[0].unit: contains a control character", true},
    {"tab in a type", "POST", "/v1/events",
     EV("{\"event_id\":\"e\",\"unit\":\"u\",\"type\":\"a\\tb\"}"), 400, "events[0].type", true},
    {"escape character in an exposure id", "POST", "/v1/exposures",
     EXP("{\"event_id\":\"x\\u001b[2J\",\"unit\":\"u\",\"experiment\":\"recs\","
         "\"variant\":\"control\"}"),
     400, "exposures[0].event_id", true},
    /* Numbers. */
    {"value NaN", "POST", "/v1/events", EV("{" ITEM ",\"value\":NaN}"), 400, "not valid JSON",
     true},
    {"value Infinity", "POST", "/v1/events", EV("{" ITEM ",\"value\":Infinity}"), 400,
     "not valid JSON", true},
    {"value -Infinity", "POST", "/v1/events", EV("{" ITEM ",\"value\":-Infinity}"), 400,
     "not valid JSON", true},
    {"value 1e400", "POST", "/v1/events", EV("{" ITEM ",\"value\":1e400}"), 400,
     "real number overflow", true},
    {"value 1e10", "POST", "/v1/events", EV("{" ITEM ",\"value\":1e10}"), 400,
     "between -1e9 and 1e9", true},
    {"value -1e10", "POST", "/v1/events", EV("{" ITEM ",\"value\":-1e10}"), 400,
     "between -1e9 and 1e9", true},
    {"value 2^64", "POST", "/v1/events", EV("{" ITEM ",\"value\":18446744073709551616}"), 400,
     "\"field\":", true},
    {"value a string", "POST", "/v1/events", EV("{" ITEM ",\"value\":\"12\"}"), 400,
     "expected a number", true},
    {"value true", "POST", "/v1/events", EV("{" ITEM ",\"value\":true}"), 400, "events[0].value",
     true},
    /* Currency and time. */
    {"currency EURO", "POST", "/v1/events", EV("{" ITEM ",\"currency\":\"EURO\"}"), 400,
     "3 upper-case letters", true},
    {"currency eur", "POST", "/v1/events", EV("{" ITEM ",\"currency\":\"eur\"}"), 400,
     "3 upper-case letters", true},
    {"currency a number", "POST", "/v1/events", EV("{" ITEM ",\"currency\":978}"), 400,
     "events[0].currency", true},
    {"ts yesterday", "POST", "/v1/events", EV("{" ITEM ",\"ts\":\"yesterday\"}"), 400, "RFC 3339",
     true},
    {"ts month 13", "POST", "/v1/events", EV("{" ITEM ",\"ts\":\"2026-13-01T00:00:00Z\"}"), 400,
     "events[0].ts", true},
    {"ts without a zone", "POST", "/v1/events", EV("{" ITEM ",\"ts\":\"2026-01-01T00:00:00\"}"),
     400, "events[0].ts", true},
    {"ts in 10 minutes", "POST", "/v1/events", "@future", 400, "in the future", true},
    {"ts a number", "POST", "/v1/events", EV("{" ITEM ",\"ts\":1700000000}"), 400, "events[0].ts",
     true},
    /* Size. */
    {"1001 items", "POST", "/v1/events", "@many", 400, "over the limit of 1000", true},
    {"body of 1 MiB + 1", "POST", "/v1/events", "@big", 413, "over the limit", true},
    {"body of 10 MB", "POST", "/v1/events", "@huge", 413, "over the limit", true},
    {"one bad item among 40", "POST", "/v1/events", "@one_bad", 400, "events[17].value", true},
    /* Exposures. */
    {"exposure of an unknown experiment", "POST", "/v1/exposures",
     EXP("{" XITEM ",\"experiment\":\"nope\",\"variant\":\"control\"}"), 400,
     "exposures[0].experiment", true},
    {"exposure of an unknown variant", "POST", "/v1/exposures",
     EXP("{" XITEM ",\"experiment\":\"recs\",\"variant\":\"treatment\"}"), 400,
     "exposures[0].variant", true},
    {"exposure without a variant", "POST", "/v1/exposures",
     EXP("{" XITEM ",\"experiment\":\"recs\"}"), 400, "exposures[0].variant", true},
    {"exposure attrs not an object", "POST", "/v1/exposures",
     EXP("{" XITEM ",\"experiment\":\"recs\",\"variant\":\"control\",\"attrs\":[1]}"), 400,
     "exposures[0].attrs", true},
    {"events sent to /v1/exposures", "POST", "/v1/exposures", EV("{" ITEM "}"), 400,
     "\"field\":", true},
    /* Content type and keys. */
    {"text/plain", "POST", "/v1/events@text", EV("{" ITEM "}"), 415, "application/json", true},
    {"no content type", "POST", "/v1/events@nocontent", EV("{" ITEM "}"), 415, "application/json",
     true},
    {"no API key", "POST", "/v1/events@nokey", EV("{" ITEM "}"), 401, "unauthorized", true},
    {"a wrong API key", "POST", "/v1/events@badkey", EV("{" ITEM "}"), 401, "unauthorized", true},
    /* The assignment query string. */
    {"assign without unit", "GET", "/v1/assign", NULL, 400, "unit is required", true},
    {"assign with an empty unit", "GET", "/v1/assign?unit=", NULL, 400, "unit is empty", true},
    {"assign with a unit of 129 bytes", "GET", "@long_query", NULL, 400, "longer than 128 bytes",
     true},
    {"assign with invalid UTF-8", "GET", "/v1/assign?unit=%FF%FE", NULL, 400, "not valid UTF-8",
     true},
    {"assign with a NUL", "GET", "/v1/assign?unit=a%00b", NULL, 400, "not valid UTF-8", true},
    {"assign with a newline in the unit", "GET", "/v1/assign?unit=a%0Ab", NULL, 400,
     "control character", true},
    {"assign with a bad escape", "GET", "/v1/assign?unit=%ZZ", NULL, 400, "percent-escape", true},
    {"assign with unit twice", "GET", "/v1/assign?unit=a&unit=b", NULL, 400, "more than once",
     true},
    {"assign with expose=maybe", "GET", "/v1/assign?unit=a&expose=maybe", NULL, 400,
     "\"field\":\"expose\"", true},
    {"assign with consent=2", "GET", "/v1/assign?unit=a&consent=2", NULL, 400,
     "\"field\":\"consent\"", true},
    {"assign with an unknown parameter", "GET", "/v1/assign?unit=a&expsoe=0", NULL, 400, "expsoe",
     true},
    {"assign with an empty attribute name", "GET", "/v1/assign?unit=a&attr.=x", NULL, 400,
     "\"field\":", true},
    {"assign with 40 attributes", "GET", "@many_attrs", NULL, 400, "\"field\":", true},
    {"assign of an unknown experiment", "GET", "/v1/assign?unit=a&experiment=nope", NULL, 404,
     "no such experiment", true},
    /* Routes and methods, traversal. */
    {"unknown route", "GET", "/v2/assign", NULL, 404, "no such route", true},
    {"path traversal", "GET", "/../../etc/passwd", NULL, 404, "no such route", true},
    {"traversal under a route", "GET", "/v1/assign/../../../etc/passwd", NULL, 404, "no such route",
     true},
    {"POST to /v1/assign", "POST", "/v1/assign", "{}", 405, "takes GET", true},
    {"GET /v1/events", "GET", "/v1/events", NULL, 405, "takes POST", true},
    {"DELETE /v1/events", "DELETE", "/v1/events", NULL, 405, "takes POST", true},
    {"PUT /healthz", "PUT", "/healthz", "{}", 405, "takes GET", true},
    {"OPTIONS *", "OPTIONS", "*", NULL, 404, "no such route", true},
    /* HTTP itself. */
    {"HTTP/1.1 without Host", NULL, NULL, "GET /healthz HTTP/1.1\r\n\r\n", 400, "Host", true},
    {"3000 headers", NULL, NULL, "@header_flood", 431, "", false},
    {"a 100 KB header", NULL, NULL, "@long_header", 431, "", false},
    {"Content-Length -1", NULL, NULL,
     "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "", false},
    {"broken chunked encoding", NULL, NULL,
     "POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: "
     "application/json\r\nAuthorization: Bearer " TEST_KEY "\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n",
     400, "", false},
    {"a request line without a version", NULL, NULL, "GET /healthz\r\n\r\n", 400, "", false},
    {"not HTTP at all", NULL, NULL, "GARBAGE\r\n\r\n", 0, "", false},
};

/* Builds the bodies and targets too big or too odd for the table. */
static char *special(const char *what, size_t *len)
{
    lift_buf b;
    lift_buf_init(&b);
    if (!strcmp(what, "@deep")) {
        for (int i = 0; i < 20000; i++)
            lift_buf_puts(&b, "[");
    } else if (!strcmp(what, "@long_unit") || !strcmp(what, "@long_id") ||
               !strcmp(what, "@long_type")) {
        char x[200];
        int n = !strcmp(what, "@long_type") ? 65 : 129;
        memset(x, 'x', (size_t)n);
        x[n] = '\0';
        lift_buf_printf(&b, EV("{\"event_id\":\"%s\",\"unit\":\"%s\",\"type\":\"%s\"}"),
                        !strcmp(what, "@long_id") ? x : "e", !strcmp(what, "@long_unit") ? x : "u",
                        !strcmp(what, "@long_type") ? x : "t");
    } else if (!strcmp(what, "@nul_byte")) {
        lift_buf_puts(&b, "{\"events\":[{\"event_id\":\"e\",\"unit\":\"a");
        lift_buf_append(&b, "\0", 1);
        lift_buf_puts(&b, "b\",\"type\":\"order\"}]}");
    } else if (!strcmp(what, "@future")) {
        char ts[LIFT_TIME_LEN];
        lift_time_format(lift_time_now() + 600 * INT64_C(1000000), ts);
        lift_buf_printf(&b, EV("{" ITEM ",\"ts\":\"%s\"}"), ts);
    } else if (!strcmp(what, "@many") || !strcmp(what, "@one_bad")) {
        int n = !strcmp(what, "@many") ? 1001 : 40;
        lift_buf_puts(&b, "{\"events\":[");
        for (int i = 0; i < n; i++)
            lift_buf_printf(&b,
                            "%s{\"event_id\":\"m%d\",\"unit\":\"u\",\"type\":\"order\","
                            "\"value\":%s}",
                            i ? "," : "", i, i == 17 && n == 40 ? "\"17\"" : "17.5");
        lift_buf_puts(&b, "]}");
    } else if (!strcmp(what, "@big") || !strcmp(what, "@huge")) {
        size_t n = !strcmp(what, "@big") ? (1u << 20) + 1 : 10u * 1000 * 1000;
        char *s = malloc(n);
        memset(s, ' ', n);
        lift_buf_append(&b, s, n);
        free(s);
    } else if (!strcmp(what, "@long_query")) {
        lift_buf_puts(&b, "/v1/assign?unit=");
        for (int i = 0; i < 129; i++)
            lift_buf_puts(&b, "x");
    } else if (!strcmp(what, "@many_attrs")) {
        lift_buf_puts(&b, "/v1/assign?unit=a");
        for (int i = 0; i < 40; i++)
            lift_buf_printf(&b, "&attr.a%d=v", i);
    } else if (!strcmp(what, "@header_flood")) {
        lift_buf_puts(&b, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 3000; i++)
            lift_buf_printf(&b, "X-Flood-%d: b\r\n", i);
        lift_buf_puts(&b, "\r\n");
    } else if (!strcmp(what, "@long_header")) {
        lift_buf_puts(&b, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ");
        for (int i = 0; i < 100000; i++)
            lift_buf_puts(&b, "a");
        lift_buf_puts(&b, "\r\n\r\n");
    } else {
        lift_buf_puts(&b, what);
    }
    *len = b.len;
    return b.data;
}

static void run_case(const hostile *h)
{
    size_t len, blen = 0;
    char *req, *body = NULL;
    if (!h->method) {
        req = special(h->body, &len);
    } else {
        char target[256];
        snprintf(target, sizeof target, "%s", h->target);
        char *variant = strchr(target, '@') && target[0] == '/' ? strchr(target, '@') : NULL;
        if (variant)
            *variant++ = '\0';
        char *tgt = target[0] == '@' ? special(target, &blen) : NULL;
        if (h->body)
            body = special(h->body, &blen);
        const char *ctype = "application/json";
        int key = 1;
        if (variant && !strcmp(variant, "text"))
            ctype = "text/plain";
        if (variant && !strcmp(variant, "nocontent"))
            ctype = NULL;
        if (variant && !strcmp(variant, "nokey"))
            key = 0;
        if (variant && !strcmp(variant, "badkey"))
            key = 2;
        req = request(h->method, tgt ? tgt : target, h->body ? ctype : NULL, h->body ? key : 0,
                      body, h->body ? blen : 0, &len);
        free(tgt);
    }
    raw_answer a;
    raw_exchange(d.port, req, len, 0, &a);
    free(req);
    free(body);
    cr_expect_eq(a.status, h->status, "%s: status %d, want %d: %.300s", h->name, a.status,
                 h->status, a.body);
    cr_expect(strstr(a.body, h->needle), "%s: '%s' not in %.300s", h->name, h->needle, a.body);
    if (h->json) {
        json_t *doc = json_loads(a.body, 0, NULL);
        json_t *e = json_object_get(doc, "error");
        cr_expect(json_is_string(json_object_get(e, "code")) &&
                      json_is_string(json_object_get(e, "message")),
                  "%s: not a JSON error: %.300s", h->name, a.body);
        json_decref(doc);
    }
}

Test(hostile, every_request_of_the_catalogue_is_refused_cleanly)
{
    size_t n = sizeof CATALOGUE / sizeof *CATALOGUE;
    cr_assert_geq(n, 50);
    for (size_t i = 0; i < n; i++)
        run_case(&CATALOGUE[i]);
    /* Still up, still serving, and nothing of it stored. */
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    cr_assert_eq(liftd_get(&d, "/healthz", &r), 200);
    cr_assert_eq(liftd_get(&d, "/v1/assign?unit=after&expose=0", &r), 200);
    lift_buf_fini(&r.body);
    cr_assert_eq(kill(d.pid, 0), 0);
    nanosleep(&(struct timespec){0, 200000000}, NULL);
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.events"), "0");
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.exposures"), "0");
    cr_log_info("%zu hostile requests refused; server up, nothing stored", n);
}

/* Strings that attack other systems are just ids here: stored and echoed verbatim. */
Test(hostile, injection_and_traversal_strings_are_stored_verbatim)
{
    static const char *const ids[] = {
        "'; DROP TABLE lift.events; --", "1 OR 1=1",           "../../etc/passwd",
        "<script>alert(1)</script>",     "${jndi:ldap://x/a}", "%s%s%n"};
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_puts(&b, "{\"events\":[");
    for (size_t i = 0; i < 6; i++) {
        lift_buf_printf(&b, "%s{\"event_id\":", i ? "," : "");
        lift_buf_json_str(&b, ids[i], strlen(ids[i]));
        lift_buf_puts(&b, ",\"unit\":");
        lift_buf_json_str(&b, ids[i], strlen(ids[i]));
        lift_buf_puts(&b, ",\"type\":");
        lift_buf_json_str(&b, ids[i], strlen(ids[i]));
        lift_buf_puts(&b, "}");
    }
    lift_buf_puts(&b, "]}");
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    cr_assert_eq(liftd_post(&d, "/v1/events", b.data, &r), 202, "%s", r.body.data);
    for (size_t i = 0; i < 6; i++) {
        const char *p[] = {ids[i]};
        lift_err err;
        PGresult *res = lift_db_exec(db,
                                     "SELECT count(*) FROM lift.events WHERE event_id = $1 AND "
                                     "unit = $1 AND type = $1",
                                     1, p, NULL, &err);
        cr_assert(res, "%s", err.msg);
        cr_assert_str_eq(PQgetvalue(res, 0, 0), "1", "%s not stored verbatim", ids[i]);
        PQclear(res);
    }
    cr_assert_eq(liftd_get(&d,
                           "/v1/assign?unit=%27%3B%20DROP%20TABLE%20lift.exposures%3B%20--"
                           "&expose=0",
                           &r),
                 200);
    cr_assert(strstr(r.body.data, "\"unit\":\"'; DROP TABLE lift.exposures; --\""), "%s",
              r.body.data);
    cr_assert_str_eq(pgtest_value(db, "SELECT count(*) FROM lift.events"), "6");
    lift_buf_fini(&r.body);
    lift_buf_fini(&b);
}
