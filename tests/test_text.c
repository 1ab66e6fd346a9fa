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

/* The one rule for shares on every command line: a fraction, or a percentage with '%'. */
Test(text_share, fractions_and_percentages_are_one_rule)
{
    static const struct {
        const char *s;
        double want;
    } ok[] = {{"0.05", 0.05}, {"5%", 0.05}, {"+12.5%", 0.125}, {"-3%", -0.03},  {"1", 1},
              {"100%", 1},    {"0", 0},     {"1e-2", 0.01},    {"2.5e1%", 0.25}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        double v = -99;
        cr_assert(lift_share_parse(ok[i].s, &v), "%s refused", ok[i].s);
        cr_assert_float_eq(v, ok[i].want, 1e-15, "%s gave %g", ok[i].s, v);
    }
    static const char *const bad[] = {"",   "%",     "5%%", "abc",  "5 %",  " 5",
                                      "5x", "1e999", "nan", "inf%", "0.5.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v = -99;
        cr_assert(!lift_share_parse(bad[i], &v), "'%s' accepted as %g", bad[i], v);
        cr_assert_eq(v, -99, "'%s' wrote its output", bad[i]);
    }
}
