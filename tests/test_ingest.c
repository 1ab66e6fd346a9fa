/* Ingestion (server/ingest.h): the POST /v1/events and /v1/exposures bodies into COPY rows.
 * The expected rows are written out by hand in the columns of lift/rows.h (CSV as
 * PostgreSQL's COPY reads it); the messages are docs/api.md's; the pseudonyms are
 * HMAC-SHA256 worked out with Python's hmac module. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "server/ingest.h"

/* 2026-11-21T10:00:00Z (date -u -d @1795255200). */
#define NOW    1795255200000000LL
#define NOW_TS "2026-11-21T10:00:00.000000Z"

/* HMAC-SHA256("ingest-secret", unit), from
 * python3 -c 'import hmac,hashlib; print(hmac.new(b"ingest-secret", u.encode(),
 * hashlib.sha256).hexdigest())'. */
#define SECRET       "ingest-secret"
#define PSEUDO_ALICE "507639c835d04a95646c1e7d39bd143689becdcf47d0a85f130d37f441e6ad2f"
#define PSEUDO_CAFE  "96d8842f0dbc97479c81f08c68cf6bd4a569307a3b3b779a015b2da8ad575f58"
#define PSEUDO_AB    "499663959de7ac6fcf2a9f7af156810e4c82ee658577fb024c4478e5a4e50d38"

static const char CONFIG[] =
    "{\"version\":4,\"experiments\":["
    "{\"key\":\"recs\",\"phase\":3,\"variants\":[{\"key\":\"control\"},{\"key\":\"personalized\"}]}"
    ","
    "{\"key\":\"old\",\"status\":\"stopped\",\"variants\":[{\"key\":\"a\"},{\"key\":\"b\"}]},"
    "{\"key\":\"later\",\"status\":\"draft\",\"phase\":12,\"variants\":[{\"key\":\"a\"}]},"
    "{\"key\":\"banner\",\"phase\":2,\"variants\":[{\"key\":\"a\"},{\"key\":\"b\"}]}]}";

typedef int (*ingest_fn)(const lift_ingest *, const char *, size_t, lift_buf *, size_t *,
                         lift_err *);

static lift_config *cfg;
static lift_pseudo *pseudo;
static lift_ingest in;
static lift_buf rows;

static void setup(void)
{
    lift_err err;
    cfg = lift_config_parse(CONFIG, strlen(CONFIG), &err);
    cr_assert(cfg, "%s", err.msg);
    in = (lift_ingest){NOW, 3, NULL, cfg, NULL};
    lift_buf_init(&rows);
}

static void teardown(void)
{
    lift_buf_fini(&rows);
    lift_config_free(cfg);
    lift_pseudo_free(pseudo);
}

TestSuite(ingest_events, .init = setup, .fini = teardown);
TestSuite(ingest_exposures, .init = setup, .fini = teardown);
TestSuite(ingest_exposure_row, .init = setup, .fini = teardown);
TestSuite(ingest_batches, .init = setup, .fini = teardown);

/* The rows of an accepted batch, which must hold nrows items. */
static const char *accepted(ingest_fn f, const char *body, size_t nrows)
{
    lift_err err;
    size_t n = 99;
    lift_buf_reset(&rows);
    cr_assert_eq(f(&in, body, strlen(body), &rows, &n, &err), LIFT_OK, "refused %s: %s", body,
                 err.msg);
    cr_assert_eq(n, nrows, "%s", body);
    return rows.data ? rows.data : "";
}

/* A refused batch: the message and field, and nothing appended to what rows held. */
static void refused(ingest_fn f, const char *body, const char *field, const char *msg)
{
    lift_err err;
    size_t n = 99;
    lift_buf_reset(&rows);
    lift_buf_puts(&rows, "kept\n");
    cr_assert_eq(f(&in, body, strlen(body), &rows, &n, &err), LIFT_EINVAL, "accepted %s", body);
    cr_assert_str_eq(err.field, field, "%s", body);
    cr_assert_str_eq(err.msg, msg, "%s", body);
    cr_assert_eq(n, 0);
    cr_assert_eq(rows.len, 5, "a refused batch left rows behind: %s", rows.data);
    cr_assert_str_eq(rows.data, "kept\n", "a refused batch left rows behind");
}

#define EV(fields)  "{\"events\":[{" fields "}]}"
#define EXP(fields) "{\"exposures\":[{" fields "}]}"
#define EV_OK       "\"event_id\":\"e1\",\"unit\":\"u\",\"type\":\"t\""
#define EXP_OK      "\"event_id\":\"x1\",\"unit\":\"u\",\"experiment\":\"recs\",\"variant\":\"control\""

Test(ingest_events, writes_one_csv_row_per_event)
{
    const char *out =
        accepted(lift_ingest_events,
                 "{\"events\":["
                 "{\"event_id\":\"o-1\",\"unit\":\"alice\",\"type\":\"order\","
                 "\"value\":19.99,\"currency\":\"EUR\","
                 "\"ts\":\"2026-11-21T11:30:00.25+01:30\",\"props\":{\"sku\":\"A1\"}},"
                 "{\"event_id\":\"r-1\",\"unit\":\"alice\",\"type\":\"refund\","
                 "\"value\":-5},"
                 "{\"event_id\":\"pv-1\",\"unit\":\"bob\",\"type\":\"page_view\","
                 "\"value\":null,\"currency\":null,\"props\":null,"
                 "\"ts\":\"2001-02-03T04:05:06Z\"}]}",
                 3);
    cr_assert_str_eq(out, "o-1,alice,order,19.99,EUR,2026-11-21T10:00:00.250000Z,"
                          "\"{\"\"sku\"\":\"\"A1\"\"}\"\n"
                          "r-1,alice,refund,-5,," NOW_TS ",\n"
                          "pv-1,bob,page_view,,,2001-02-03T04:05:06.000000Z,\n");
}

Test(ingest_events, quotes_fields_as_copy_csv_reads_them)
{
    const char *out =
        accepted(lift_ingest_events,
                 EV("\"event_id\":\"say \\\"hi\\\"\",\"unit\":\"a,b\",\"type\":\" pad\","
                    "\"value\":1000000000,\"props\":{\"note\":\"x,y\\ny\"}"),
                 1);
    cr_assert_str_eq(out, "\"say \"\"hi\"\"\",\"a,b\",\" pad\",1000000000,," NOW_TS ","
                          "\"{\"\"note\"\":\"\"x,y\\ny\"\"}\"\n");
    out = accepted(lift_ingest_events, "{\"events\":[]}", 0);
    cr_assert_str_eq(out, "");
}

Test(ingest_events, accepts_up_to_max_items)
{
    const char three[] = "{\"events\":[{" EV_OK "},{\"event_id\":\"e2\",\"unit\":\"u\",\"type\":"
                         "\"t\"},{\"event_id\":\"e3\",\"unit\":\"u\",\"type\":\"t\"}]}";
    accepted(lift_ingest_events, three, 3);
    in.max_items = 2;
    refused(lift_ingest_events, three, "events",
            "events: 3 items is over the limit of 2 per batch");
}

Test(ingest_events, refuses_bodies_that_are_not_json)
{
    lift_err err;
    size_t n;
    cr_assert_eq(lift_ingest_events(&in, "{\"events\":[", 11, &rows, &n, &err), LIFT_EINVAL);
    cr_assert_str_eq(err.field, "body");
    cr_assert(strncmp(err.msg, "body is not valid JSON (line 1, column ", 39) == 0, "%s", err.msg);
    const char dup[] = "{\"events\":[{" EV_OK ",\"type\":\"u\"}]}";
    cr_assert_eq(lift_ingest_events(&in, dup, strlen(dup), &rows, &n, &err), LIFT_EINVAL);
    cr_assert_str_eq(err.field, "body");
    cr_assert(strstr(err.msg, "duplicate object key"), "%s", err.msg);
}

Test(ingest_events, refuses_fields_over_their_length)
{
    char long_unit[200];
    memset(long_unit, 'u', 129);
    long_unit[129] = '\0';
    char body[400];
    snprintf(body, sizeof body, EV("\"event_id\":\"e\",\"unit\":\"%s\",\"type\":\"t\""), long_unit);
    refused(lift_ingest_events, body, "events[0].unit", "events[0].unit: is longer than 128 bytes");
    snprintf(body, sizeof body, EV("\"event_id\":\"%s\",\"unit\":\"u\",\"type\":\"t\""), long_unit);
    refused(lift_ingest_events, body, "events[0].event_id",
            "events[0].event_id: is longer than 128 bytes");
    snprintf(body, sizeof body, EV("\"event_id\":\"e\",\"unit\":\"u\",\"type\":\"%.65s\""),
             long_unit);
    refused(lift_ingest_events, body, "events[0].type", "events[0].type: is longer than 64 bytes");
    snprintf(body, sizeof body,
             EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"%.65s\",\"variant\":\"a\""),
             long_unit);
    refused(lift_ingest_exposures, body, "exposures[0].experiment",
            "exposures[0].experiment: is longer than 64 bytes");
}

Test(ingest_events, allows_timestamps_up_to_5_minutes_ahead)
{
    const char *out = accepted(lift_ingest_events, EV(EV_OK ",\"ts\":\"2026-11-21T10:05:00Z\""), 1);
    cr_assert_str_eq(out, "e1,u,t,,,2026-11-21T10:05:00.000000Z,\n");
    /* A microsecond later is refused (see ingest_batches). */
}

Test(ingest_events, stores_pseudonyms_instead_of_unit_ids)
{
    lift_err err;
    cr_assert_eq(lift_pseudo_new(SECRET, &pseudo, &err), LIFT_OK);
    cr_assert_not_null(pseudo);
    in.pseudo = pseudo;
    const char *out =
        accepted(lift_ingest_events,
                 "{\"events\":[{\"event_id\":\"e1\",\"unit\":\"alice\",\"type\":\"t\"},"
                 "{\"event_id\":\"e2\",\"unit\":\"caf\\u00e9\",\"type\":\"t\"},"
                 "{\"event_id\":\"e3\",\"unit\":\"a,b\",\"type\":\"t\"}]}",
                 3);
    cr_assert_str_eq(out, "e1," PSEUDO_ALICE ",t,,," NOW_TS ",\n"
                          "e2," PSEUDO_CAFE ",t,,," NOW_TS ",\n"
                          "e3," PSEUDO_AB ",t,,," NOW_TS ",\n");
    /* No key: ids as given, and "no key" is not an error. */
    lift_pseudo *none = pseudo;
    cr_assert_eq(lift_pseudo_new("", &none, &err), LIFT_OK);
    cr_assert_null(none);
}

Test(ingest_exposures, writes_rows_in_the_experiments_current_phase)
{
    const char *out =
        accepted(lift_ingest_exposures,
                 "{\"exposures\":["
                 "{\"event_id\":\"x1\",\"unit\":\"alice\",\"experiment\":\"recs\","
                 "\"variant\":\"personalized\",\"phase\":3,\"attrs\":{\"device\":\"mobile\"}},"
                 "{\"event_id\":\"x2\",\"unit\":\"bob\",\"experiment\":\"banner\","
                 "\"variant\":\"b\",\"ts\":\"2026-11-20T10:00:00Z\",\"attrs\":null}]}",
                 2);
    cr_assert_str_eq(out,
                     "x1,alice,recs,personalized,3," NOW_TS ",\"{\"\"device\"\":\"\"mobile\"\"}\"\n"
                     "x2,bob,banner,b,2,2026-11-20T10:00:00.000000Z,\n");
}

Test(ingest_exposures, stores_pseudonyms_instead_of_unit_ids)
{
    lift_err err;
    cr_assert_eq(lift_pseudo_new(SECRET, &pseudo, &err), LIFT_OK);
    in.pseudo = pseudo;
    const char *out = accepted(lift_ingest_exposures,
                               EXP("\"event_id\":\"x1\",\"unit\":\"alice\",\"experiment\":\"recs\","
                                   "\"variant\":\"control\""),
                               1);
    cr_assert_str_eq(out, "x1," PSEUDO_ALICE ",recs,control,3," NOW_TS ",\n");
}

Test(ingest_exposure_row, writes_liftds_own_rows)
{
    const lift_experiment *recs = &cfg->experiments[0], *later = &cfg->experiments[2];
    lift_ingest_exposure_row(&rows, "abc-1", "alice", 5, recs, 1, NOW, NULL, 0);
    lift_ingest_exposure_row(&rows, "abc-2", "a,b\"c", 5, later, 0, NOW + 1500000,
                             "{\"device\":\"mobile\"}", 19);
    cr_assert_str_eq(rows.data, "abc-1,alice,recs,personalized,3," NOW_TS ",\n"
                                "abc-2,\"a,b\"\"c\",later,a,12,2026-11-21T10:00:01.500000Z,"
                                "\"{\"\"device\"\":\"\"mobile\"\"}\"\n");
}

#define NUMBER   "expected a number between -1e9 and 1e9"
#define CURRENCY "expected 3 upper-case letters (ISO 4217), e.g. EUR"

Test(ingest_batches, are_refused_whole_naming_the_field)
{
    static const struct {
        ingest_fn f;
        const char *body, *field, *msg;
    } cases[] = {
        /* the body */
        {lift_ingest_events, "[]", "body", "body: expected {\"events\": [...]}"},
        {lift_ingest_events, "{\"event\":[]}", "body", "body: expected {\"events\": [...]}"},
        {lift_ingest_events, "{\"events\":[],\"more\":1}", "body",
         "body: expected {\"events\": [...]}"},
        {lift_ingest_events, "{\"exposures\":[]}", "body", "body: expected {\"events\": [...]}"},
        {lift_ingest_exposures, "{\"events\":[]}", "body", "body: expected {\"exposures\": [...]}"},
        {lift_ingest_events, "{\"events\":{}}", "events", "events: expected an array"},
        {lift_ingest_events, "{\"events\":[{" EV_OK "},7]}", "events[1]",
         "events[1]: expected an object"},
        {lift_ingest_exposures,
         "{\"exposures\":[{" EXP_OK "},{" EXP_OK "},{" EXP_OK "},{" EXP_OK "}]}", "exposures",
         "exposures: 4 items is over the limit of 3 per batch"},
        /* events: each field's rule */
        {lift_ingest_events, EV(EV_OK ",\"vaule\":3"), "events[0].vaule",
         "events[0].vaule: unknown field"},
        {lift_ingest_events, EV("\"unit\":\"u\",\"type\":\"t\""), "events[0].event_id",
         "events[0].event_id: missing"},
        {lift_ingest_events, EV("\"event_id\":7,\"unit\":\"u\",\"type\":\"t\""),
         "events[0].event_id", "events[0].event_id: expected a string"},
        {lift_ingest_events, EV("\"event_id\":\"e\",\"unit\":\"\",\"type\":\"t\""),
         "events[0].unit", "events[0].unit: is empty"},
        {lift_ingest_events, EV("\"event_id\":\"e\",\"unit\":\"a\\nb\",\"type\":\"t\""),
         "events[0].unit", "events[0].unit: contains a control character"},
        {lift_ingest_events, EV("\"event_id\":\"e\\u007f\",\"unit\":\"u\",\"type\":\"t\""),
         "events[0].event_id", "events[0].event_id: contains a control character"},
        {lift_ingest_events, EV(EV_OK ",\"value\":\"12\""), "events[0].value",
         "events[0].value: " NUMBER},
        {lift_ingest_events, EV(EV_OK ",\"value\":-1000000001"), "events[0].value",
         "events[0].value: " NUMBER},
        {lift_ingest_events, EV(EV_OK ",\"currency\":\"eur\""), "events[0].currency",
         "events[0].currency: " CURRENCY},
        {lift_ingest_events, EV(EV_OK ",\"currency\":\"EURO\""), "events[0].currency",
         "events[0].currency: " CURRENCY},
        {lift_ingest_events, EV(EV_OK ",\"currency\":978"), "events[0].currency",
         "events[0].currency: " CURRENCY},
        {lift_ingest_events, EV(EV_OK ",\"ts\":\"2026-11-21T10:00:00\""), "events[0].ts",
         "events[0].ts: expected an RFC 3339 time such as 2026-11-21T10:00:00Z"},
        {lift_ingest_events, EV(EV_OK ",\"ts\":\"2026-11-21T10:05:00.000001Z\""), "events[0].ts",
         "events[0].ts: is more than 5 minutes in the future"},
        {lift_ingest_events, EV(EV_OK ",\"props\":[1]"), "events[0].props",
         "events[0].props: expected an object"},
        /* the item at fault is named even when the others are fine */
        {lift_ingest_events,
         "{\"events\":[{" EV_OK "},{\"event_id\":\"e2\",\"unit\":\"u\",\"type\":\"t\"},"
         "{\"event_id\":\"e3\",\"unit\":\"u\",\"type\":\"t\",\"value\":true}]}",
         "events[2].value", "events[2].value: " NUMBER},
        /* exposures: what the config does not have (keys match exactly), and the fields */
        {lift_ingest_exposures,
         EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"nope\",\"variant\":\"a\""),
         "exposures[0].experiment", "exposures[0].experiment: no such experiment"},
        {lift_ingest_exposures,
         EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"Recs\",\"variant\":\"control\""),
         "exposures[0].experiment", "exposures[0].experiment: no such experiment"},
        {lift_ingest_exposures,
         EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"recs\",\"variant\":\"a\""),
         "exposures[0].variant", "exposures[0].variant: no such variant in this experiment"},
        {lift_ingest_exposures,
         EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"recs\",\"variant\":\"contro\""),
         "exposures[0].variant", "exposures[0].variant: no such variant in this experiment"},
        {lift_ingest_exposures,
         EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"old\",\"variant\":\"a\""),
         "exposures[0].experiment", "exposures[0].experiment: is not running (it is stopped)"},
        {lift_ingest_exposures,
         EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"later\",\"variant\":\"a\""),
         "exposures[0].experiment", "exposures[0].experiment: is not running (it is a draft)"},
        /* The phase an SDK payload carried must be the current one (recs is in phase 3). */
        {lift_ingest_exposures, EXP(EXP_OK ",\"phase\":2"), "exposures[0].phase",
         "exposures[0].phase: phase 2 of \"recs\" is over: it is in phase 3 (the shopper was "
         "bucketed with an old seed; refresh the SDK payload)"},
        {lift_ingest_exposures, EXP(EXP_OK ",\"phase\":\"3\""), "exposures[0].phase",
         "exposures[0].phase: expected a whole number in [1, 1073741824]"},
        {lift_ingest_exposures, EXP(EXP_OK ",\"attrs\":\"mobile\""), "exposures[0].attrs",
         "exposures[0].attrs: expected an object"},
        {lift_ingest_exposures, EXP("\"event_id\":\"x\",\"unit\":\"u\",\"experiment\":\"recs\""),
         "exposures[0].variant", "exposures[0].variant: missing"},
        {lift_ingest_exposures, EXP(EXP_OK ",\"ts\":\"2027-01-01T00:00:00Z\""), "exposures[0].ts",
         "exposures[0].ts: is more than 5 minutes in the future"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        refused(cases[i].f, cases[i].body, cases[i].field, cases[i].msg);
}
