/* The /v1/assign query string (server/query_string.h): percent-decoding, defaults, the
 * parameter rules and their limits, and the exact error of each refusal. Expected values
 * are worked out by hand from the rules in docs/api.md (GET /v1/assign). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "server/query_string.h"

static lift_assign_query q;

static void parsed(const char *qs)
{
    lift_err err;
    int rc = lift_qs_parse(&q, qs, strlen(qs), &err);
    cr_assert_eq(rc, LIFT_OK, "refused %s: %s", qs, err.msg);
}

static void refused(const char *qs, const char *field, const char *msg)
{
    lift_err err;
    cr_assert_eq(lift_qs_parse(&q, qs, strlen(qs), &err), LIFT_EINVAL, "accepted %s", qs);
    cr_assert_eq(err.code, LIFT_EINVAL);
    cr_assert_str_eq(err.field, field, "%s", qs);
    cr_assert_str_eq(err.msg, msg, "%s", qs);
}

/* The i-th attribute as "name=value". */
static const char *attr(size_t i)
{
    static char out[600];
    cr_assert_lt(i, q.nattrs);
    snprintf(out, sizeof out, "%.*s=%.*s", (int)q.attrs[i].name_len, q.attrs[i].name,
             (int)q.attrs[i].value_len, q.attrs[i].value);
    return out;
}

/* prefix, n copies of c, suffix (static storage, reused by the next call). */
static const char *with_run(const char *prefix, char c, size_t n, const char *suffix)
{
    static char out[LIFT_QS_STORE + 200];
    size_t k = strlen(prefix);
    cr_assert_lt(k + n + strlen(suffix), sizeof out);
    memcpy(out, prefix, k);
    memset(out + k, c, n);
    strcpy(out + k + n, suffix);
    return out;
}

static void assert_unit(const char *want)
{
    cr_assert_eq(q.unit_len, strlen(want));
    cr_assert_eq(memcmp(q.unit, want, q.unit_len), 0, "unit %.*s", (int)q.unit_len, q.unit);
}

Test(query_string_parse, defaults_when_only_the_unit_is_given)
{
    parsed("unit=u1");
    assert_unit("u1");
    cr_assert_null(q.experiment);
    cr_assert_eq(q.experiment_len, 0);
    cr_assert_eq(q.nattrs, 0);
    cr_assert(q.expose);
    cr_assert(q.consent);
}

Test(query_string_parse, decodes_percent_escapes_and_plus)
{
    /* "S%C3%A3o" is "São" in UTF-8; "%2b" and "%2B" are '+'; '+' itself is a space. */
    parsed("unit=a%20b+c%2bd%2B&attr.city=S%C3%A3o+Paulo&attr.q=100%25&experiment=recs.v2-b");
    assert_unit("a b c+d+");
    cr_assert_eq(q.experiment_len, 9);
    cr_assert_eq(memcmp(q.experiment, "recs.v2-b", 9), 0);
    cr_assert_eq(q.nattrs, 2);
    cr_assert_str_eq(attr(0), "city=S\xc3\xa3o Paulo");
    cr_assert_str_eq(attr(1), "q=100%");
    /* Names may be escaped too: "attr%2Edevice" is "attr.device". */
    parsed("attr%2Edevice=mobile&un%69t=x");
    assert_unit("x");
    cr_assert_str_eq(attr(0), "device=mobile");
}

Test(query_string_parse, reads_flags_and_skips_empty_pairs)
{
    parsed("&unit=u&&expose=0&consent=false&");
    cr_assert_not(q.expose);
    cr_assert_not(q.consent);
    parsed("unit=u&expose=true&consent=1");
    cr_assert(q.expose);
    cr_assert(q.consent);
    /* Attribute names are case-sensitive: these are two attributes. */
    parsed("unit=a&attr.device=m&attr.Device=d");
    cr_assert_eq(q.nattrs, 2);
}

#define KNOWN      "(expected unit, experiment, attr.<name>, expose, consent)"
#define BAD_ESCAPE "bad percent-escape (expected %XX)"
#define NOT_A_KEY  "experiment: expected an experiment key"

Test(query_string_parse, refuses_bad_parameters_naming_them)
{
    static const struct {
        const char *qs, *field, *msg;
    } cases[] = {
        /* flags */
        {"unit=u&expose=yes", "expose", "expose: expected 1, 0, true or false"},
        {"unit=u&consent=TRUE", "consent", "consent: expected 1, 0, true or false"},
        {"unit=u&expose", "expose", "expose: expected 1, 0, true or false"},
        /* repeats */
        {"unit=a&unit=b", "unit", "unit: given more than once"},
        {"unit=a&experiment=x&experiment=x", "experiment", "experiment: given more than once"},
        {"unit=a&expose=1&expose=1", "expose", "expose: given more than once"},
        {"unit=a&consent=0&consent=1", "consent", "consent: given more than once"},
        {"unit=a&attr.device=m&attr.device=m", "attr.device", "attr.device: given more than once"},
        /* unknown parameters; a name that is not UTF-8 is not quoted back */
        {"unit=u&expsoe=0", "expsoe", "unknown parameter 'expsoe' " KNOWN},
        {"unit=u&debug", "debug", "unknown parameter 'debug' " KNOWN},
        {"unit=u&attr.=x", "attr.", "unknown parameter 'attr.' " KNOWN},
        {"Unit=u", "Unit", "unknown parameter 'Unit' " KNOWN},
        {"unit=u&%FF=1", "\xff", "unknown parameter '?' " KNOWN},
        /* escapes; in a name, the parameter is not known yet */
        {"unit=%zz", "unit", "unit: " BAD_ESCAPE},
        {"unit=abc%4", "unit", "unit: " BAD_ESCAPE},
        {"unit=abc%", "unit", "unit: " BAD_ESCAPE},
        {"attr.device=%G0", "attr.device", "attr.device: " BAD_ESCAPE},
        {"un%t=u", "query", "query: " BAD_ESCAPE},
        /* the unit */
        {"expose=0", "unit", "unit is required"},
        {"unit=", "unit", "unit is empty"},
        {"unit", "unit", "unit is empty"},
        {"unit=%FF", "unit", "unit is not valid UTF-8"},
        {"unit=%C0%AF", "unit", "unit is not valid UTF-8"}, /* overlong '/' */
        {"unit=a%00b", "unit", "unit is not valid UTF-8"},
        {"unit=a%0Ab", "unit", "unit contains a control character"},
        {"unit=a%09", "unit", "unit contains a control character"},
        {"unit=%7F", "unit", "unit contains a control character"},
        /* the experiment key */
        {"unit=u&experiment=", "experiment", NOT_A_KEY},
        {"unit=u&experiment=_x", "experiment", NOT_A_KEY},
        {"unit=u&experiment=a+b", "experiment", NOT_A_KEY},
        {"unit=u&experiment=caf%C3%A9", "experiment", NOT_A_KEY},
        /* attributes */
        {"unit=u&attr.a+b=1", "attr.a b",
         "attr.a b: attribute names are 1 to 64 letters, digits, '_', '.' or '-'"},
        {"unit=u&attr.a%2Fb=1", "attr.a/b",
         "attr.a/b: attribute names are 1 to 64 letters, digits, '_', '.' or '-'"},
        {"unit=u&attr.x=%FF", "attr.x", "attr.x: expected up to 256 bytes of UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        refused(cases[i].qs, cases[i].field, cases[i].msg);
}

Test(query_string_parse, takes_units_of_up_to_128_bytes)
{
    parsed(with_run("unit=", 'u', 128, ""));
    cr_assert_eq(q.unit_len, 128);
    refused(with_run("unit=", 'u', 129, ""), "unit", "unit is longer than 128 bytes");
    /* 43 three-byte characters are 129 bytes, though only 43 characters. */
    char qs[500] = "unit=";
    for (int i = 0; i < 43; i++)
        strcat(qs, "%E2%82%AC");
    refused(qs, "unit", "unit is longer than 128 bytes");
}

Test(query_string_parse, takes_experiment_keys_of_up_to_64_characters)
{
    parsed("unit=u&experiment=A1_b.c-d");
    parsed(with_run("unit=u&experiment=", 'k', 64, ""));
    refused(with_run("unit=u&experiment=", 'k', 65, ""), "experiment", NOT_A_KEY);
}

Test(query_string_parse, limits_attributes)
{
    parsed("unit=u&attr._x=1&attr.-y=2&attr..z=3&attr.e=");
    cr_assert_eq(q.nattrs, 4);
    cr_assert_str_eq(attr(3), "e=");
    /* A 64-byte name is fine, 65 bytes is not (the field shows its first 50). */
    parsed(with_run("unit=u&attr.", 'n', 64, "=1"));
    char field[60], msg[200];
    snprintf(field, sizeof field, "%s", with_run("attr.", 'n', 50, ""));
    snprintf(msg, sizeof msg, "%s: attribute names are 1 to 64 letters, digits, '_', '.' or '-'",
             field);
    refused(with_run("unit=u&attr.", 'n', 65, "=1"), field, msg);
    /* Values: up to 256 bytes of UTF-8. */
    parsed(with_run("unit=u&attr.x=", 'v', 256, ""));
    refused(with_run("unit=u&attr.x=", 'v', 257, ""), "attr.x",
            "attr.x: expected up to 256 bytes of UTF-8");
    /* 32 attributes at most. */
    char qs[LIFT_QS_STORE];
    strcpy(qs, "unit=u");
    for (int i = 0; i < LIFT_QS_MAX_ATTRS; i++)
        snprintf(qs + strlen(qs), sizeof qs - strlen(qs), "&attr.a%d=%d", i, i);
    parsed(qs);
    cr_assert_eq(q.nattrs, 32);
    cr_assert_str_eq(attr(31), "a31=31");
    strcat(qs, "&attr.a32=32");
    refused(qs, "attr.a32", "more than 32 attributes");
}

Test(query_string_parse, store_holds_4096_decoded_bytes)
{
    /* Each key and each value takes its length plus a NUL in the 4096-byte store. With a
     * 128-byte unit (4+1 + 128+1 = 134) and fourteen 256-byte attributes "attr.aNN"
     * (8+1 + 256+1 = 266 each, 3724 in all), 238 bytes are left: "attr.a14" (9) and a
     * value of 228 bytes (229) fill it exactly. */
    char qs[5000], value[300];
    memset(value, 'v', 256);
    value[256] = '\0';
    int n = snprintf(qs, sizeof qs, "unit=%.128s", value);
    for (int i = 0; i < 14; i++)
        n += snprintf(qs + n, sizeof qs - (size_t)n, "&attr.a%02d=%s", i, value);
    snprintf(qs + n, sizeof qs - (size_t)n, "&attr.a14=%.228s", value);
    parsed(qs);
    cr_assert_eq(q.used, LIFT_QS_STORE);
    cr_assert_eq(q.nattrs, 15);
    snprintf(qs + n, sizeof qs - (size_t)n, "&attr.a14=%.229s", value);
    refused(qs, "attr.a14", "query string is too long");
}

Test(query_string_add, takes_pairs_one_by_one)
{
    lift_err err;
    lift_qs_init(&q);
    cr_assert_eq(lift_qs_add(&q, "attr.device", 11, "mobile", 6, &err), LIFT_OK);
    cr_assert_eq(lift_qs_finish(&q, &err), LIFT_EINVAL);
    cr_assert_str_eq(err.msg, "unit is required");
    /* Lengths are honoured: the key and value need not be NUL-terminated. */
    cr_assert_eq(lift_qs_add(&q, "unitXX", 4, "u-1&more", 3, &err), LIFT_OK);
    cr_assert_eq(lift_qs_finish(&q, &err), LIFT_OK);
    assert_unit("u-1");
    cr_assert_str_eq(attr(0), "device=mobile");
    /* A key without '=' has no value. */
    cr_assert_eq(lift_qs_add(&q, "consent", 7, NULL, 0, &err), LIFT_EINVAL);
    cr_assert_str_eq(err.field, "consent");
}
