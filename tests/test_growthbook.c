/* The GrowthBook SDK payload of a config (core/gb_payload.c, core/gb_condition.c) and the
 * number syntax of audience conditions. Expected texts are written out by hand from the
 * mapping in lift/growthbook.h; that the SDK evaluates them as lift does is the job of
 * tests/test_storefronts.c, which runs the real SDK. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/growthbook.h"
#include "lift/text.h"

static lift_config *config(const char *json)
{
    lift_err err;
    lift_config *cfg = lift_config_parse(json, strlen(json), &err);
    cr_assert(cfg, "%s", err.msg);
    return cfg;
}

/* The condition of the first experiment's audience (static storage: valid until the next
 * call). */
static const char *condition(const char *audience)
{
    static char out[8192];
    char doc[2048];
    snprintf(doc, sizeof doc,
             "{\"experiments\":[{\"key\":\"x\",\"variants\":[{\"key\":\"a\"},{\"key\":\"b\"}],"
             "\"audience\":%s}]}",
             audience);
    lift_config *cfg = config(doc);
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, false);
    lift_gb_condition(&w, cfg->experiments[0].conds, cfg->experiments[0].nconds);
    lift_config_free(cfg);
    cr_assert(!b.failed);
    cr_assert_lt(b.len, sizeof out, "the condition is longer than %zu bytes", sizeof out);
    snprintf(out, sizeof out, "%s", b.data);
    lift_buf_fini(&b);
    return out;
}

#define NUM "\"$regex\":\"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$\""
#define MAX "1.7976931348623157e+308"

Test(gb_condition, strings_match_exactly_with_their_number_and_boolean_forms)
{
    cr_assert_str_eq(condition("[{\"attr\":\"device\",\"op\":\"eq\",\"value\":\"mobile\"}]"),
                     "{\"device\":{\"$in\":[\"mobile\"]}}");
    cr_assert_str_eq(
        condition("[{\"attr\":\"device\",\"op\":\"in\",\"value\":[\"mobile\",\"42\",\"true\"]}]"),
        "{\"device\":{\"$in\":[\"mobile\",\"42\",42,\"true\",true]}}");
    /* "042" and "4.50" are not how JavaScript prints a number: strings only. */
    cr_assert_str_eq(
        condition("[{\"attr\":\"n\",\"op\":\"nin\",\"value\":[\"042\",\"4.50\",\"4.5\"]}]"),
        "{\"n\":{\"$nin\":[\"042\",\"4.50\",\"4.5\",4.5]}}");
    cr_assert_str_eq(condition("[{\"attr\":\"country\",\"op\":\"ne\",\"value\":\"FR\"}]"),
                     "{\"country\":{\"$nin\":[\"FR\"]}}");
}

Test(gb_condition, numbers_need_lifts_number_syntax_and_a_finite_value)
{
    cr_assert_str_eq(condition("[{\"attr\":\"age\",\"op\":\"gte\",\"value\":18}]"),
                     "{\"age\":{" NUM ",\"$gte\":18,\"$lte\":" MAX "}}");
    cr_assert_str_eq(condition("[{\"attr\":\"age\",\"op\":\"lt\",\"value\":65.5}]"),
                     "{\"age\":{" NUM ",\"$lt\":65.5,\"$gte\":-" MAX "}}");
    cr_assert_str_eq(condition("[{\"attr\":\"n\",\"op\":\"eq\",\"value\":3}]"),
                     "{\"n\":{" NUM ",\"$gte\":3,\"$lte\":3}}");
    cr_assert_str_eq(condition("[{\"attr\":\"n\",\"op\":\"ne\",\"value\":3}]"),
                     "{\"$nor\":[{\"n\":{" NUM ",\"$gte\":3,\"$lte\":3}}]}");
    cr_assert_str_eq(condition("[{\"attr\":\"n\",\"op\":\"in\",\"value\":[0,\"two\"]}]"),
                     "{\"$or\":[{\"n\":{\"$in\":[\"two\"]}},{\"n\":{" NUM
                     ",\"$gte\":0,\"$lte\":0}}]}");
}

Test(gb_condition, booleans_exists_and_several_conditions)
{
    cr_assert_str_eq(condition("[{\"attr\":\"vip\",\"op\":\"eq\",\"value\":true}]"),
                     "{\"vip\":{\"$in\":[\"true\",\"1\",true,1]}}");
    cr_assert_str_eq(condition("[{\"attr\":\"vip\",\"op\":\"ne\",\"value\":false}]"),
                     "{\"vip\":{\"$nin\":[\"false\",\"0\",false,0]}}");
    cr_assert_str_eq(condition("[{\"attr\":\"banned\",\"op\":\"exists\",\"value\":false}]"),
                     "{\"banned\":{\"$exists\":false}}");
    /* Two conditions on one attribute: $and, as one object cannot hold the key twice. */
    cr_assert_str_eq(condition("[{\"attr\":\"a\",\"op\":\"gt\",\"value\":1},"
                               "{\"attr\":\"a\",\"op\":\"lte\",\"value\":2}]"),
                     "{\"$and\":[{\"a\":{" NUM ",\"$gt\":1,\"$lte\":" MAX "}},{\"a\":{" NUM
                     ",\"$lte\":2,\"$gte\":-" MAX "}}]}");
    /* A dotted name is a path in GrowthBook: the SDK reads attributes {geo: {country}}. */
    cr_assert_str_eq(condition("[{\"attr\":\"geo.country\",\"op\":\"eq\",\"value\":\"DE\"}]"),
                     "{\"geo.country\":{\"$in\":[\"DE\"]}}");
}

/* lift's own reading of numbers, which the regular expression above spells. */
Test(gb_condition, lift_reads_plain_decimal_numbers_only)
{
    lift_config *cfg = config("{\"experiments\":[{\"key\":\"x\",\"variants\":[{\"key\":\"a\"},"
                              "{\"key\":\"b\"}],\"audience\":[{\"attr\":\"n\",\"op\":\"gte\","
                              "\"value\":5}]}]}");
    const lift_cond *c = &cfg->experiments[0].conds[0];
    static const char *const yes[] = {"5", "5.0", "05", "+5", "5.", "1e3", "1E3", "6e+0", "50e-1"};
    static const char *const no[] = {"4.99",  " 5", "5 ",   "0x10", "inf", "Infinity", "nan",
                                     "1e999", "",   "five", "5e",   ".",   "1,5",      "٥"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        lift_attr a = {"n", 1, yes[i], strlen(yes[i])};
        cr_assert(lift_cond_eval(c, &a, 1), "'%s' should count as >= 5", yes[i]);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        lift_attr a = {"n", 1, no[i], strlen(no[i])};
        cr_assert(!lift_cond_eval(c, &a, 1), "'%s' should not count as a number >= 5", no[i]);
    }
    lift_config_free(cfg);
}

/* --- the payload ---------------------------------------------------------------------- */

/* The payload parsed, and its text in *text (static; jansson would reprint numbers). */
static json_t *payload(const lift_config *cfg, int64_t now, int64_t *until, int64_t *updated,
                       const char **text)
{
    static lift_buf b;
    lift_buf_fini(&b);
    lift_buf_init(&b);
    lift_gb_payload(&b, cfg, now, until, updated);
    json_error_t e;
    json_t *j = json_loads(b.data, 0, &e);
    cr_assert(j, "not JSON: %s\n%s", e.text, b.data);
    if (text)
        *text = b.data;
    return j;
}

static const char HOLDOUT_CONFIG[] =
    "{\"version\":3,\"updated\":\"2026-11-01T00:00:00Z\",\"experiments\":["
    "{\"key\":\"ho\",\"kind\":\"holdout\",\"seed\":\"s1\",\"variants\":[{\"key\":\"out\","
    "\"weight\":0.1,\"payload\":{\"p\":false}},{\"key\":\"in\",\"weight\":0.9,\"payload\":{\"p\":"
    "true}}],\"overrides\":[{\"unit\":\"qa\",\"variant\":\"out\"}]},"
    "{\"key\":\"recs\",\"phase\":2,\"hash_version\":1,\"coverage\":0.5,\"layer\":{\"name\":"
    "\"home\","
    "\"range\":[0.25,0.75]},\"variants\":[{\"key\":\"c\",\"weight\":0.3,\"payload\":{\"r\":0}},"
    "{\"key\":\"t\",\"weight\":0.7,\"payload\":{\"r\":1}}],\"overrides\":[{\"unit\":\"u2\","
    "\"variant\":\"t\"},{\"unit\":\"u1\",\"variant\":\"t\"}]},"
    "{\"key\":\"later\",\"start\":\"2026-12-01T00:00:00Z\",\"end\":\"2026-12-31T00:00:00Z\","
    "\"variants\":[{\"key\":\"a\",\"payload\":1},{\"key\":\"b\",\"payload\":2}]},"
    "{\"key\":\"off\",\"status\":\"stopped\",\"variants\":[{\"key\":\"a\",\"payload\":\"x\"},"
    "{\"key\":\"b\"}]}]}";

Test(gb_payload, experiment_rules_carry_the_bucketing_and_the_holdout_gates)
{
    lift_config *cfg = config(HOLDOUT_CONFIG);
    int64_t nov15, until, updated;
    lift_time_parse("2026-11-15T00:00:00Z", 20, &nov15);
    const char *text;
    json_t *p = payload(cfg, nov15, &until, &updated, &text);
    cr_assert(
        strstr(
            text,
            "\"recs\":{\"defaultValue\":{\"r\":0},\"rules\":["
            "{\"id\":\"lift:override:t\",\"condition\":{\"id\":{\"$in\":[\"u1\",\"u2\"]}},"
            "\"force\":{\"r\":1}},"
            "{\"id\":\"lift:holdout:ho\",\"parentConditions\":[{\"id\":\"$holdout:ho\","
            "\"condition\":{\"value\":\"out\"}}],\"force\":{\"r\":0}},"
            "{\"id\":\"lift:experiment\",\"key\":\"recs\",\"name\":\"recs\",\"phase\":\"2\","
            "\"seed\":"
            "\"recs\",\"hashAttribute\":\"id\",\"hashVersion\":1,\"coverage\":0.5,\"weights\":[0.3,"
            "0.7],\"variations\":[{\"r\":0},{\"r\":1}],\"meta\":[{\"key\":\"c\"},{\"key\":\"t\"}],"
            "\"namespace\":[\"home\",0.25,0.75]}]}"),
        "%s", text);
    /* The holdout's twin, valued by variant keys, is what the gates read. */
    cr_assert(
        strstr(text,
               "\"$holdout:ho\":{\"rules\":[{\"id\":\"lift:override:out\",\"condition\":{\"id\":"
               "{\"$in\":[\"qa\"]}},\"force\":\"out\"},{\"id\":\"lift:experiment\","
               "\"key\":\"ho\",\"name\":\"ho\",\"phase\":\"1\",\"seed\":\"s1\","
               "\"hashAttribute\":\"id\",\"hashVersion\":2,\"coverage\":1,\"weights\":"
               "[0.1,0.9],\"variations\":[\"out\",\"in\"],\"meta\":[{\"key\":\"out\"},"
               "{\"key\":\"in\"}]}]}"),
        "%s", text);
    /* The holdout itself is not gated by itself. */
    json_t *ho = json_object_get(json_object_get(p, "features"), "ho");
    cr_assert_eq(json_array_size(json_object_get(ho, "rules")), 2);
    /* Not running, or not yet started: the control's payload and no rules. */
    char *later =
        json_dumps(json_object_get(json_object_get(p, "features"), "later"), JSON_COMPACT);
    cr_assert_str_eq(later, "{\"defaultValue\":1}");
    free(later);
    char *off = json_dumps(json_object_get(json_object_get(p, "features"), "off"), JSON_COMPACT);
    cr_assert_str_eq(off, "{\"defaultValue\":\"x\"}");
    free(off);
    cr_assert_eq(json_integer_value(json_object_get(p, "status")), 200);
    cr_assert_str_eq(json_string_value(json_object_get(p, "dateUpdated")),
                     "2026-11-01T00:00:00.000000Z");
    int64_t dec1;
    lift_time_parse("2026-12-01T00:00:00Z", 20, &dec1);
    cr_assert_eq(until, dec1, "the payload changes when 'later' starts");
    json_decref(p);
    lift_config_free(cfg);
}

Test(gb_payload, start_and_end_times_change_it_and_its_date)
{
    lift_config *cfg = config(HOLDOUT_CONFIG);
    int64_t dec2, dec31, until, updated;
    lift_time_parse("2026-12-02T00:00:00Z", 20, &dec2);
    lift_time_parse("2026-12-31T00:00:00Z", 20, &dec31);
    json_t *p = payload(cfg, dec2, &until, &updated, NULL);
    json_t *later = json_object_get(json_object_get(p, "features"), "later");
    cr_assert_eq(json_array_size(json_object_get(later, "rules")), 2, "holdout gate + experiment");
    /* dateUpdated is the start that passed (the same on every replica), not the config's. */
    cr_assert_str_eq(json_string_value(json_object_get(p, "dateUpdated")),
                     "2026-12-01T00:00:00.000000Z");
    cr_assert_eq(until, dec31);
    json_decref(p);
    p = payload(cfg, dec31, &until, &updated, NULL);
    later = json_object_get(json_object_get(p, "features"), "later");
    cr_assert_null(json_object_get(later, "rules"), "ended");
    cr_assert_eq(until, INT64_MAX);
    cr_assert_eq(updated, dec31);
    json_decref(p);
    lift_config_free(cfg);
}
