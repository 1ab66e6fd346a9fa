/* The framing catalogue (RFC 9112): requests whose framing is duplicated, conflicting or
 * malformed, sent as raw bytes to a real liftd. Each is answered with the right status and
 * closed, before any body is read; none takes longer than a second (no wait for a body of
 * unknown length); and a request hidden after the framed part ("smuggled") is never run:
 * it would log an exposure of a unit named smuggled-*, and none is stored. Legitimate
 * pipelining on the same connection does run its second request (piped-*), which shows
 * that the smuggling check can fail. */
#include <criterion/criterion.h>
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

TestSuite(framing, .init = setup, .fini = teardown, .timeout = 120);

#define AUTH       "Authorization: Bearer " TEST_KEY "\r\n"
#define JSON       "Content-Type: application/json\r\n"
#define POST       "POST /v1/events HTTP/1.1\r\nHost: x\r\n" AUTH JSON
#define EV         "{\"events\":[{\"event_id\":\"f-1\",\"unit\":\"u\",\"type\":\"order\"}]}"
#define EVLEN      "57"
#define SMUGGLED   "GET /v1/assign?unit=smuggled-1&experiment=recs HTTP/1.1\r\nHost: x\r\n\r\n"
#define CHUNKED_EV "39\r\n" EV "\r\n0\r\n\r\n"

typedef struct framing_case {
    const char *name;
    const char *request;
    size_t len;
    int status;
    const char *needle; /* in the answer (headers or body) */
    bool closes;        /* the connection must be closed after the answer */
} framing_case;

#define R(s) s, sizeof(s) - 1 /* a request that may hold NUL bytes, and its length */

/* Each request carries SMUGGLED where a lax parser would find a second request. */
static const framing_case CATALOGUE[] = {
    /* Host (RFC 9112 3.2). */
    {"two Host headers", R("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" SMUGGLED), 400,
     "2 Host headers", true},
    {"HTTP/1.1 without Host", R("GET /healthz HTTP/1.1\r\n\r\n" SMUGGLED), 400,
     "needs a Host header", true},
    {"a Host with a space", R("GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n" SMUGGLED), 400,
     "not host[:port]", true},
    {"a Host with a path", R("GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n" SMUGGLED), 400,
     "not host[:port]", true},
    /* Content-Length (RFC 9112 6.3, RFC 9110 8.6). */
    {"two equal Content-Lengths",
     R(POST "Content-Length: " EVLEN "\r\nContent-Length: " EVLEN "\r\n\r\n" EV SMUGGLED), 400,
     "2 Content-Length headers", true},
    {"two conflicting Content-Lengths, the longer covering a second request",
     R(POST "Content-Length: " EVLEN "\r\nContent-Length: 125\r\n\r\n" EV SMUGGLED), 400,
     "2 Content-Length headers", true},
    {"a Content-Length list", R(POST "Content-Length: " EVLEN ", " EVLEN "\r\n\r\n" EV SMUGGLED),
     400, "Content-Length", true},
    {"a hexadecimal Content-Length", R(POST "Content-Length: 0x39\r\n\r\n" EV SMUGGLED), 400,
     "Content-Length", true},
    {"a Content-Length with a plus sign", R(POST "Content-Length: +57\r\n\r\n" EV SMUGGLED), 400,
     "Content-Length", true},
    /* Field syntax (RFC 9112 5.1, 5.2; RFC 9110 5.5). */
    {"a space before the colon of Content-Length",
     R(POST "Content-Length : " EVLEN "\r\n\r\n" EV SMUGGLED), 400,
     "whitespace between a field name and its colon", true},
    {"a tab before the colon", R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A\t: b\r\n\r\n" SMUGGLED),
     400, "whitespace between a field name and its colon", true},
    {"a space inside a field name",
     R("GET /healthz HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n" SMUGGLED), 400,
     "whitespace between a field name and its colon", true},
    {"a NUL inside a value",
     R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\0c\r\nX-B: d\r\n\r\n" SMUGGLED), 400, "NUL byte",
     true},
    {"a NUL inside the last value",
     R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\0\0c\r\n\r\n" SMUGGLED), 400, "NUL byte", true},
    {"a NUL inside Host", R("GET /healthz HTTP/1.1\r\nHost: x\0y\r\n\r\n" SMUGGLED), 400,
     "NUL byte", true},
    {"a bare CR inside a value",
     R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n" SMUGGLED), 400,
     "a CR inside the value", true},
    {"a control character inside a value",
     R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\x01"
       "c\r\n\r\n" SMUGGLED),
     400, "control character", true},
    {"a folded line (obs-fold)",
     R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n" SMUGGLED), 400, "folded", true},
    /* The request line (RFC 9112 3). */
    {"a NUL inside the target", R("GET /healthz\0/x HTTP/1.1\r\nHost: x\r\n\r\n" SMUGGLED), 400,
     "target holds a NUL", true},
    {"a space inside the target", R("GET /healthz /x HTTP/1.1\r\nHost: x\r\n\r\n" SMUGGLED), 400,
     "target holds a space", true},
    /* Transfer-Encoding (RFC 9112 6.1, 6.3, 7): never wait for a body of unknown length. */
    {"Transfer-Encoding gzip", R(POST "Transfer-Encoding: gzip\r\n\r\n" EV SMUGGLED), 400,
     "length cannot be known", true},
    {"Transfer-Encoding identity with a Content-Length",
     R(POST "Transfer-Encoding: identity\r\nContent-Length: " EVLEN "\r\n\r\n" EV SMUGGLED), 400,
     "length cannot be known", true},
    {"Transfer-Encoding chunked, gzip (chunked not last)",
     R(POST "Transfer-Encoding: chunked, gzip\r\n\r\n" CHUNKED_EV SMUGGLED), 400,
     "length cannot be known", true},
    {"Transfer-Encoding gzip, chunked (an unknown coding)",
     R(POST "Transfer-Encoding: gzip, chunked\r\n\r\n" CHUNKED_EV SMUGGLED), 501,
     "'gzip, chunked' is not supported", true},
    {"Transfer-Encoding chunked, chunked",
     R(POST "Transfer-Encoding: chunked, chunked\r\n\r\n" CHUNKED_EV SMUGGLED), 400,
     "chunked more than once", true},
    {"two Transfer-Encoding headers",
     R(POST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" CHUNKED_EV SMUGGLED),
     400, "2 Transfer-Encoding headers", true},
    {"Transfer-Encoding with a trailing space",
     R(POST "Transfer-Encoding: chunked \r\n\r\n" CHUNKED_EV SMUGGLED), 400,
     "length cannot be known", true},
    {"Transfer-Encoding in HTTP/1.0",
     R("POST /v1/events HTTP/1.0\r\n" AUTH JSON
       "Transfer-Encoding: chunked\r\n\r\n" CHUNKED_EV SMUGGLED),
     400, "HTTP/1.0", true},
    /* Content-Encoding (RFC 9110 8.4, 15.5.16): no coding is supported. The body's length is
     * known, so it is read and dropped, and the connection stays open. */
    {"Content-Encoding gzip",
     R(POST "Content-Encoding: gzip\r\nContent-Length: " EVLEN "\r\n\r\n" EV), 415,
     "Content-Encoding 'gzip' is not supported", false},
    {"Content-Encoding br", R(POST "Content-Encoding: br\r\nContent-Length: " EVLEN "\r\n\r\n" EV),
     415, "Accept-Encoding: identity", false},
};

static void run_case(const framing_case *c)
{
    raw_answer a;
    raw_exchange(d.port, c->request, c->len, 300, &a);
    cr_expect_eq(a.status, c->status, "%s: status %d, want %d: %.400s", c->name, a.status,
                 c->status, a.all);
    cr_expect(strstr(a.all, c->needle), "%s: '%s' not in %.400s", c->name, c->needle, a.all);
    cr_expect_lt(a.seconds, 1.0, "%s: answered after %.2f s", c->name, a.seconds);
    cr_expect_eq(a.responses, 1, "%s: %d responses: %.600s", c->name, a.responses, a.all);
    if (c->closes) {
        cr_expect(a.closed, "%s: the connection was kept open", c->name);
        /* MHD answers an unreadable Content-Length itself, without the header. */
        if (!strstr(c->name, "Content-Length list") && !strstr(c->name, "hexadecimal") &&
            !strstr(c->name, "plus sign"))
            cr_expect(raw_has_header(&a, "Connection: close"), "%s: no Connection: close: %s",
                      c->name, a.head);
    } else {
        cr_expect(!a.closed, "%s: the connection was closed", c->name);
    }
}

static long count(const char *sql)
{
    return atol(pgtest_value(db, sql));
}

static void settle(void)
{
    nanosleep(&(struct timespec){0, 300000000}, NULL); /* the writer commits in 10 ms */
}

Test(framing, every_request_of_the_catalogue_is_refused_and_closed)
{
    size_t n = sizeof CATALOGUE / sizeof *CATALOGUE;
    for (size_t i = 0; i < n; i++)
        run_case(&CATALOGUE[i]);
    settle();
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'smuggled%'"), 0,
                 "a smuggled request ran");
    cr_assert_eq(count("SELECT count(*) FROM lift.events"), 0, "a refused body was stored");
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    cr_assert_eq(liftd_get(&d, "/healthz", &r), 200);
    lift_buf_fini(&r.body);
    cr_log_info("%zu framing cases refused and closed; nothing smuggled, nothing stored", n);
}

/* The control: a second request sent after a whole first one does run. */
Test(framing, legitimate_pipelining_runs_both_requests)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /v1/assign?unit=piped-1&experiment=recs HTTP/1.1\r\nHost: "
                              "x\r\n\r\n";
    raw_answer a;
    raw_exchange(d.port, req, strlen(req), 300, &a);
    cr_assert_eq(a.responses, 2, "%s", a.all);
    cr_assert(strstr(a.all, "\"unit\":\"piped-1\""), "%s", a.all);
    settle();
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE unit = 'piped-1'"), 1);
}

/* RFC 9112 6.3: with both Transfer-Encoding and Content-Length, the body is chunked, and
 * the connection closes after the answer, so whatever follows is never read as a
 * request — whether the Content-Length is shorter or longer than the chunked body. */
Test(framing, chunked_wins_over_content_length_and_the_connection_closes)
{
    static const char *const lengths[] = {"4", "200"};
    for (int i = 0; i < 2; i++) {
        char req[1024];
        snprintf(req, sizeof req,
                 POST
                 "Content-Length: %s\r\nTransfer-Encoding: chunked\r\n\r\n" CHUNKED_EV SMUGGLED,
                 lengths[i]);
        raw_answer a;
        raw_exchange(d.port, req, strlen(req), 300, &a);
        cr_assert_eq(a.status, 202, "%s", a.all);
        cr_assert(strstr(a.body, i == 0 ? "\"accepted\":1" : "\"duplicates\":1"), "%s", a.body);
        cr_assert_eq(a.responses, 1, "%s", a.all);
        cr_assert(a.closed && raw_has_header(&a, "Connection: close"), "%s", a.head);
    }
    settle();
    cr_assert_eq(count("SELECT count(*) FROM lift.events WHERE event_id = 'f-1'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM lift.exposures WHERE unit LIKE 'smuggled%'"), 0);
}

/* Framings that are fine: kept open, answered normally. */
Test(framing, valid_variants_are_accepted)
{
    static const struct {
        const char *name, *request;
        int status;
        const char *needle;
    } ok[] = {
        {"Transfer-Encoding Chunked (codings are case-insensitive)",
         POST "Transfer-Encoding: Chunked\r\n\r\n" CHUNKED_EV, 202, "\"accepted\":1"},
        {"a chunk extension",
         POST "Transfer-Encoding: chunked\r\n\r\n39;x=y\r\n" EV "\r\n0\r\n\r\n", 202,
         "\"duplicates\":1"},
        {"Content-Encoding identity",
         POST "Content-Encoding: identity\r\nContent-Length: " EVLEN "\r\n\r\n" EV, 202,
         "\"duplicates\":1"},
        {"the scheme bearer in lower case",
         "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: bearer " TEST_KEY "\r\n" JSON
         "Content-Length: " EVLEN "\r\n\r\n" EV,
         202, "\"duplicates\":1"},
        {"BEARER and two spaces",
         "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: BEARER  " TEST_KEY "\r\n" JSON
         "Content-Length: " EVLEN "\r\n\r\n" EV,
         202, "\"duplicates\":1"},
        {"an absolute-form target",
         "GET http://127.0.0.1/v1/assign?unit=abs-1&expose=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
         200, "\"unit\":\"abs-1\""},
        {"an absolute-form https target, upper-case scheme",
         "GET HTTPS://lift.example:443/healthz HTTP/1.1\r\nHost: lift.example\r\n\r\n", 200,
         "\"ok\""},
        {"an absolute-form target without a path",
         "GET http://127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404, "no such route: GET /"},
        {"Host with a port and trailing whitespace",
         "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080  \r\n\r\n", 200, "\"ok\""},
        {"an IPv6 Host", "GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200, "\"ok\""},
        {"an empty Host", "GET /healthz HTTP/1.1\r\nHost:\r\n\r\n", 200, "\"ok\""},
        {"HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", 200, "\"ok\""},
        {"bare LF line ends (RFC 9112 2.2 allows them)",
         "GET /healthz HTTP/1.1\nHost: x\nX-A: b\n\n", 200, "\"ok\""},
        {"UTF-8 and tabs in a value, no space after the colon",
         "GET /healthz HTTP/1.1\r\nHost:x\r\nX-A:\tcaf\xc3\xa9 b\r\nCookie: a=b; c=d\r\n\r\n", 200,
         "\"ok\""},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        raw_answer a;
        raw_exchange(d.port, ok[i].request, strlen(ok[i].request), 150, &a);
        cr_expect_eq(a.status, ok[i].status, "%s: %.400s", ok[i].name, a.all);
        cr_expect(strstr(a.all, ok[i].needle), "%s: '%s' not in %.400s", ok[i].name, ok[i].needle,
                  a.all);
        /* HTTP/1.0 closes after each request unless asked to keep alive. */
        if (!strstr(ok[i].request, "HTTP/1.0"))
            cr_expect(!a.closed, "%s: closed", ok[i].name);
    }
}
