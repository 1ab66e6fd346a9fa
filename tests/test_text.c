/* Text helpers: number formatting, JSON and CSV quoting, RFC 3339 time, UTF-8. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lift/text.h"

static const char *num(double x)
{
    static char out[32];
    lift_dtoa(x, out);
    return out;
}

Test(text_dtoa, spells_numbers_as_javascript_does)
{
    cr_assert_str_eq(num(0.1), "0.1");
    cr_assert_str_eq(num(0.3), "0.3");
    cr_assert_str_eq(num(1.0 / 3), "0.3333333333333333");
    cr_assert_str_eq(num(0.0505), "0.0505");
    cr_assert_str_eq(num(123), "123");
    cr_assert_str_eq(num(-2.5), "-2.5");
    cr_assert_str_eq(num(-0.0), "0");
    cr_assert_str_eq(num(1e20), "100000000000000000000");
    cr_assert_str_eq(num(1e21), "1e+21");
    cr_assert_str_eq(num(1e-6), "0.000001");
    cr_assert_str_eq(num(1e-7), "1e-7");
    cr_assert_str_eq(num(5e-324), "5e-324");
    cr_assert_str_eq(num(1.7976931348623157e308), "1.7976931348623157e+308");
    cr_assert_str_eq(num(9007199254740992.0), "9007199254740992");
}

Test(text_dtoa, every_output_reads_back_as_the_same_double)
{
    /* 2 million random bit patterns: normals, subnormals, both signs. */
    uint64_t s = 88172645463325252ULL;
    char out[32];
    for (long i = 0; i < 2000000; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double x;
        memcpy(&x, &s, sizeof x);
        if (!isfinite(x))
            continue;
        lift_dtoa(x, out);
        cr_assert_eq(strtod(out, NULL), x, "%.17g printed as %s", x, out);
    }
}

Test(text_json, escapes_strings_and_writes_null_for_non_finite)
{
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_json_str(&b, "a\"b\\c\n\x01é", strlen("a\"b\\c\n\x01é"));
    lift_buf_puts(&b, " ");
    lift_buf_json_num(&b, (double)NAN);
    lift_buf_puts(&b, " ");
    lift_buf_json_num(&b, (double)INFINITY);
    cr_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001é\" null null");
    lift_buf_fini(&b);
}

Test(text_json, writer_places_commas_and_nesting)
{
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, false);
    lift_jw_obj(&w);
    lift_jw_key(&w, "a");
    lift_jw_arr(&w);
    lift_jw_int(&w, 1);
    lift_jw_num(&w, 0.5);
    lift_jw_obj(&w);
    lift_jw_end(&w);
    lift_jw_str(&w, "}]");
    lift_jw_end(&w);
    lift_jw_key(&w, "b");
    lift_jw_null(&w);
    lift_jw_end(&w);
    cr_assert_str_eq(b.data, "{\"a\":[1,0.5,{},\"}]\"],\"b\":null}");
    lift_buf_fini(&b);
}

Test(text_csv, quotes_only_when_needed)
{
    lift_buf b;
    lift_buf_init(&b);
    static const char *const in[] = {
        "plain", "a,b", "say \"hi\"", "line\nbreak", "", " pad", "x'; DROP TABLE lift.events;--"};
    static const char *const want[] = {
        "plain", "\"a,b\"",  "\"say \"\"hi\"\"\"",           "\"line\nbreak\"",
        "\"\"",  "\" pad\"", "x'; DROP TABLE lift.events;--"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        lift_buf_reset(&b);
        lift_buf_csv_field(&b, in[i], strlen(in[i]));
        cr_assert_str_eq(b.data, want[i], "field %zu", i);
    }
    lift_buf_fini(&b);
}

Test(text_time, parses_rfc3339)
{
    int64_t t;
    cr_assert_eq(lift_time_parse("1970-01-01T00:00:00Z", 20, &t), 0);
    cr_assert_eq(t, 0);
    /* 2026-11-21T10:00:00Z = 1795255200 s (date -d ... +%s). */
    cr_assert_eq(lift_time_parse("2026-11-21T10:00:00Z", 20, &t), 0);
    cr_assert_eq(t, 1795255200LL * 1000000);
    cr_assert_eq(lift_time_parse("2026-11-21T11:30:00.25+01:30", 28, &t), 0);
    cr_assert_eq(t, 1795255200LL * 1000000 + 250000);
    cr_assert_eq(lift_time_parse("2024-02-29 23:59:59.999999z", 27, &t), 0);
    char out[LIFT_TIME_LEN];
    lift_time_format(t, out);
    cr_assert_str_eq(out, "2024-02-29T23:59:59.999999Z");
    static const char *const bad[] = {"2026-11-21",
                                      "2026-11-21T10:00:00",
                                      "2026-13-01T00:00:00Z",
                                      "2025-02-29T00:00:00Z",
                                      "2026-11-21T24:00:00Z",
                                      "2026-11-21T10:00:00+25:00",
                                      "2026-11-21T10:00:00Zjunk",
                                      "yesterday"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(lift_time_parse(bad[i], strlen(bad[i]), &t), -1, "accepted %s", bad[i]);
}

Test(text_utf8, validates_strictly)
{
    cr_assert(lift_utf8_valid("plain ümlaut 用户 😀", strlen("plain ümlaut 用户 😀")));
    cr_assert_not(lift_utf8_valid("\xc0\xaf", 2), "overlong");
    cr_assert_not(lift_utf8_valid("\xed\xa0\x80", 3), "surrogate");
    cr_assert_not(lift_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
    cr_assert_not(lift_utf8_valid("a\0b", 3), "NUL");
    cr_assert_not(lift_utf8_valid("\xe2\x82", 2), "truncated");
}

/* --- the JSON writer refuses mis-nesting (lift/text.h) ---------------------------------- */

/* After a refusal the buffer is failed and stays as it was, whatever else is written. */
static void assert_refused_and_frozen(lift_jw *w, lift_buf *b, const char *want)
{
    cr_assert(b->failed, "accepted; wrote %s", b->data ? b->data : "");
    size_t len = b->len;
    cr_assert_str_eq(b->data ? b->data : "", want);
    lift_jw_obj(w);
    lift_jw_arr(w);
    lift_jw_key(w, "k");
    lift_jw_str(w, "s");
    lift_jw_strn(w, "s", 1);
    lift_jw_num(w, 1.5);
    lift_jw_int(w, 2);
    lift_jw_bool(w, true);
    lift_jw_null(w);
    lift_jw_raw(w, "{}", 2);
    lift_jw_time(w, 0);
    lift_jw_key_str(w, "k", "v");
    lift_jw_key_num(w, "k", 3);
    lift_jw_end(w);
    lift_jw_end(w);
    cr_assert(b->failed);
    cr_assert_eq(b->len, len, "wrote more after refusing: %s", b->data);
    lift_buf_fini(b);
}

/* (Re)starts writer w over an empty buffer b. */
static void jw_start(lift_jw *w, lift_buf *b)
{
    lift_buf_init(b);
    lift_jw_init(w, b, false);
}

/* Writes a script: '{' and '[' open, '}' and ']' end, 'k' the key "a", 's' the string "x",
 * '1' and '2' those numbers, 'n' the key "a" with the number 1. */
static void jw_script(lift_jw *w, const char *script)
{
    for (const char *c = script; *c; c++)
        switch (*c) {
        case '{':
            lift_jw_obj(w);
            break;
        case '[':
            lift_jw_arr(w);
            break;
        case '}':
        case ']':
            lift_jw_end(w);
            break;
        case 'k':
            lift_jw_key(w, "a");
            break;
        case 's':
            lift_jw_str(w, "x");
            break;
        case '1':
        case '2':
            lift_jw_int(w, *c - '0');
            break;
        case 'n':
            lift_jw_key_num(w, "a", 1);
            break;
        default:
            cr_assert_fail("bad script %s", script);
        }
}

Test(text_json_writer, refuses_mis_nesting_and_writes_nothing_more)
{
    static const struct {
        const char *what, *script, *written;
    } cases[] = {
        {"a key outside an object", "k", ""},
        {"a key in an array", "[1k", "[1"},
        {"a value in an object without a key", "{s", "{"},
        {"a second value for a key", "{n[", "{\"a\":1"},
        {"a key right after a key", "{kk", "{\"a\":"},
        {"an end with nothing open", "}", ""},
        {"an end too many", "[]]", "[]"},
        {"an end right after a key", "{k}", "{\"a\":"},
        {"a second top-level value", "12", "1"},
        {"a second top-level value after an object", "{}[", "{}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lift_buf b;
        lift_jw w;
        jw_start(&w, &b);
        jw_script(&w, cases[i].script);
        cr_assert(b.failed, "%s: accepted, wrote %s", cases[i].what, b.data ? b.data : "");
        assert_refused_and_frozen(&w, &b, cases[i].written);
    }
    /* The same calls in order are fine. */
    lift_buf b;
    lift_jw w;
    jw_start(&w, &b);
    jw_script(&w, "{nk[1s{}]}");
    cr_assert_not(b.failed);
    cr_assert_str_eq(b.data, "{\"a\":1,\"a\":[1,\"x\",{}]}");
    lift_buf_fini(&b);
}

Test(text_json_writer, nests_up_to_its_depth_and_no_deeper)
{
    char want[2 * LIFT_JW_DEPTH + 1];
    lift_buf b;
    lift_jw w;
    jw_start(&w, &b);
    /* LIFT_JW_DEPTH - 1 levels are fine... */
    for (int i = 0; i < LIFT_JW_DEPTH - 1; i++)
        lift_jw_arr(&w);
    for (int i = 0; i < LIFT_JW_DEPTH - 1; i++)
        lift_jw_end(&w);
    cr_assert_not(b.failed);
    memset(want, '[', LIFT_JW_DEPTH - 1);
    memset(want + LIFT_JW_DEPTH - 1, ']', LIFT_JW_DEPTH - 1);
    want[2 * (LIFT_JW_DEPTH - 1)] = '\0';
    cr_assert_str_eq(b.data, want);
    lift_buf_fini(&b);
    /* ... one more is refused. */
    jw_start(&w, &b);
    for (int i = 0; i < LIFT_JW_DEPTH; i++)
        lift_jw_arr(&w);
    want[LIFT_JW_DEPTH - 1] = '\0';
    assert_refused_and_frozen(&w, &b, want);
}

Test(text_json_writer, pretty_output_nests_too)
{
    lift_buf b;
    lift_jw w;
    jw_start(&w, &b);
    w.pretty = true;
    lift_jw_obj(&w);
    lift_jw_key_str(&w, "a", "x");
    lift_jw_key(&w, "b");
    lift_jw_arr(&w);
    lift_jw_int(&w, 1);
    lift_jw_end(&w);
    lift_jw_end(&w);
    cr_assert_not(b.failed);
    cr_assert_str_eq(b.data, "{\n  \"a\": \"x\",\n  \"b\": [\n    1\n  ]\n}");
    lift_buf_fini(&b);
}

/* --- strict JSON reading (lift/jsonread.h) ---------------------------------------------- */

#include "lift/jsonread.h"

static json_t *doc(const char *text)
{
    lift_err err;
    json_t *d = lift_json_load(text, strlen(text), "doc", NULL, &err);
    cr_assert(d, "%s", err.msg);
    return d;
}

/* The error a reader returned: LIFT_EINVAL, this field, this message. */
static void assert_err(int rc, const lift_err *err, const char *field, const char *msg)
{
    cr_assert_eq(rc, LIFT_EINVAL, "accepted, expected: %s", msg);
    cr_assert_eq(err->code, LIFT_EINVAL);
    cr_assert_str_eq(err->field, field);
    cr_assert_str_eq(err->msg, msg);
}

Test(text_jsonread, load_names_the_document_and_refuses_duplicate_keys)
{
    lift_err err;
    cr_assert_null(lift_json_load("{\"a\":1,}", 8, "request", "body", &err));
    cr_assert_eq(err.code, LIFT_EINVAL);
    cr_assert_str_eq(err.field, "body");
    cr_assert(strncmp(err.msg, "request is not valid JSON (line 1, column ", 42) == 0, "%s",
              err.msg);
    cr_assert_null(lift_json_load("{\"a\":1,\"a\":2}", 13, "config", NULL, &err));
    cr_assert_str_eq(err.field, "");
    cr_assert(strncmp(err.msg, "config is not valid JSON (line 1, column ", 41) == 0, "%s",
              err.msg);
    cr_assert(strstr(err.msg, "duplicate object key"), "%s", err.msg);
    cr_assert_null(lift_json_load("{\n\n  x}", 7, "config", NULL, &err));
    cr_assert(strncmp(err.msg, "config is not valid JSON (line 3, column 3)", 43) == 0, "%s",
              err.msg);
}

Test(text_jsonread, paths_join_where_and_key)
{
    char out[LIFT_ERR_FIELD_LEN];
    cr_assert_str_eq(lift_json_path(out, "", "value"), "value");
    cr_assert_str_eq(lift_json_path(out, "events[17]", ""), "events[17]");
    cr_assert_str_eq(lift_json_path(out, "events[17]", "value"), "events[17].value");
    cr_assert_str_eq(lift_json_path(out, "", ""), "");
    /* An absurd path is cut (40 bytes of where, 22 of key), never overflows. */
    char where[100], key[100];
    memset(where, 'w', 99);
    where[99] = '\0';
    memset(key, 'k', 99);
    key[99] = '\0';
    lift_json_path(out, where, key);
    cr_assert_eq(strlen(out), 40 + 1 + 22);
    cr_assert_eq(out[40], '.');
    lift_err err;
    assert_err(lift_json_fail(&err, "metrics[1].data[0]", "sum_sq", "must be %d or more", 0), &err,
               "metrics[1].data[0].sum_sq", "metrics[1].data[0].sum_sq: must be 0 or more");
}

Test(text_jsonread, known_refuses_unknown_fields)
{
    static const char *const allowed[] = {"value", "ts", NULL};
    lift_err err;
    json_t *d = doc("{\"value\":1,\"ts\":null}");
    cr_assert_eq(lift_json_known(d, allowed, "events[0]", &err), LIFT_OK);
    json_decref(d);
    d = doc("{\"value\":1,\"vaule\":2}");
    assert_err(lift_json_known(d, allowed, "events[3]", &err), &err, "events[3].vaule",
               "events[3].vaule: unknown field");
    json_decref(d);
    d = doc("{\"a_very_long_misspelt_field_name\":1}");
    assert_err(lift_json_known(d, allowed, "", &err), &err, "a_very_long_misspelt_f",
               "a_very_long_misspelt_f: unknown field");
    json_decref(d);
}

Test(text_jsonread, readers_treat_null_as_absent_and_name_the_member)
{
    lift_err err;
    json_t *d =
        doc("{\"n\":null,\"s\":\"x\",\"i\":1.5,\"b\":1,\"o\":[],\"t\":\"noon\",\"k\":\"d\"}");
    double x = 7;
    cr_assert_eq(lift_json_number(d, "n", "m", false, &x, &err), LIFT_OK);
    cr_assert_eq(lift_json_number(d, "absent", "m", false, &x, &err), LIFT_OK);
    cr_assert_eq(x, 7, "untouched when absent");
    assert_err(lift_json_number(d, "n", "m", true, &x, &err), &err, "m.n", "m.n: missing");
    assert_err(lift_json_number(d, "s", "m", false, &x, &err), &err, "m.s",
               "m.s: expected a number");
    assert_err(lift_json_number_in(d, "i", "m", 0, 1, &x, &err), &err, "m.i",
               "m.i: expected a number in [0, 1]");
    cr_assert_eq(lift_json_number_in(d, "i", "m", 0, 2, &x, &err), LIFT_OK);
    cr_assert_eq(x, 1.5);
    long l = 3;
    assert_err(lift_json_int_in(d, "i", "m", 1, 2, &l, &err), &err, "m.i",
               "m.i: expected a whole number in [1, 2]");
    assert_err(lift_json_int_in(d, "b", "m", 2, 9, &l, &err), &err, "m.b",
               "m.b: expected a whole number in [2, 9]");
    cr_assert_eq(lift_json_int_in(d, "b", "m", 1, 9, &l, &err), LIFT_OK);
    cr_assert_eq(l, 1);
    const char *s = NULL;
    size_t n = 0;
    assert_err(lift_json_string(d, "b", "", false, &s, &n, &err), &err, "b",
               "b: expected a string");
    cr_assert_eq(lift_json_string(d, "s", "", true, &s, &n, &err), LIFT_OK);
    cr_assert_str_eq(s, "x");
    cr_assert_eq(n, 1);
    bool flag = true;
    assert_err(lift_json_bool(d, "b", "m", &flag, &err), &err, "m.b",
               "m.b: expected true or false");
    cr_assert_eq(lift_json_bool(d, "n", "m", &flag, &err), LIFT_OK);
    cr_assert(flag);
    static const char *const names[] = {"a", "b", "c"};
    int pick = -1;
    assert_err(lift_json_pick(d, "k", "m", false, names, 3, &pick, &err), &err, "m.k",
               "m.k: expected one of \"a\", \"b\", \"c\"");
    assert_err(lift_json_pick(d, "n", "m", true, names, 3, &pick, &err), &err, "m.n",
               "m.n: expected one of \"a\", \"b\", \"c\"");
    cr_assert_eq(lift_json_pick(d, "n", "m", false, names, 3, &pick, &err), LIFT_OK);
    cr_assert_eq(pick, -1);
    static const char *const more[] = {"a", "b", "c", "d"};
    cr_assert_eq(lift_json_pick(d, "k", "m", true, more, 4, &pick, &err), LIFT_OK);
    cr_assert_eq(pick, 3);
    int64_t t = 5;
    assert_err(lift_json_time(d, "t", "m", &t, &err), &err, "m.t",
               "m.t: expected an RFC 3339 time such as 2026-11-21T10:00:00Z");
    cr_assert_eq(t, 5);
    json_t *o = NULL;
    assert_err(lift_json_object(d, "o", "m", &o, &err), &err, "m.o", "m.o: expected an object");
    cr_assert_null(o);
    cr_assert_null(lift_json_member(d, "n"));
    cr_assert_not_null(lift_json_member(d, "o"));
    json_decref(d);
}
