/* Audience conditions in GrowthBook's condition syntax (its MongoDB-like rules).
 *
 * lift compares request attributes as strings (lift/audience.h). GrowthBook compares JSON
 * values, so each rule is spelt to give lift's answer for the same string:
 *  - a number is matched as {"$regex": LIFT_NUMBER_SYNTAX, ...}: the regex admits exactly
 *    the strings lift reads as numbers, then JavaScript's string-to-number comparison gives
 *    lift's strtod comparison; numeric equality is $gte and $lte together; an extra bound
 *    at +-DBL_MAX refuses what overflows to infinity (lift: not a number);
 *  - strings are matched exactly ($in / $nin), never with GrowthBook's loose `"x": "y"`,
 *    for which a missing attribute equals "null";
 *  - booleans match "true"/"1" (or "false"/"0"), and the JSON forms true/1 (false/0);
 *  - ne and nin are the negation of eq and in ($nor), so a missing attribute passes;
 *  - several conditions are $and, since two of them may name the same attribute. */
#include <float.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lift/growthbook.h"
#include "lift/names.h"

static void attr_key(lift_jw *w, const lift_cond *c)
{
    char name[LIFT_NAME_MAX + 1];
    size_t n = c->attr_len < sizeof name - 1 ? c->attr_len : sizeof name - 1;
    memcpy(name, c->attr, n);
    name[n] = '\0';
    lift_jw_key(w, name);
}

/* {"<attr>": {"$regex": ..., "<op>": x, "<guard>": +-DBL_MAX}} */
static void numeric(lift_jw *w, const lift_cond *c, const char *op, double x, const char *op2,
                    double y)
{
    lift_jw_obj(w);
    attr_key(w, c);
    lift_jw_obj(w);
    lift_jw_key_str(w, "$regex", LIFT_NUMBER_SYNTAX);
    lift_jw_key_num(w, op, x);
    lift_jw_key_num(w, op2, y);
    lift_jw_end(w);
    lift_jw_end(w);
}

/* The JSON forms a string value also stands for: the number it spells in JavaScript's own
 * form ("42", "4.5", not "042"), or true/false. */
static void string_forms(lift_jw *w, const lift_cond_value *v)
{
    lift_jw_strn(w, v->str, v->len);
    if (v->len == 4 && memcmp(v->str, "true", 4) == 0)
        lift_jw_bool(w, true);
    else if (v->len == 5 && memcmp(v->str, "false", 5) == 0)
        lift_jw_bool(w, false);
    else if (v->len > 0 && v->len < 32) {
        char s[32], back[32];
        memcpy(s, v->str, v->len);
        s[v->len] = '\0';
        char *end;
        double x = strtod(s, &end);
        if (*end == '\0' && x == x && x - x == 0 && lift_dtoa(x, back) == v->len &&
            memcmp(back, s, v->len) == 0)
            lift_jw_num(w, x);
    }
}

/* The strings (and booleans) of an eq/in list, with the JSON forms they stand for. */
static void string_list(lift_jw *w, const lift_cond *c)
{
    lift_jw_arr(w);
    for (size_t i = 0; i < c->nvalues; i++) {
        const lift_cond_value *v = &c->values[i];
        if (v->is_bool) {
            lift_jw_str(w, v->truth ? "true" : "false");
            lift_jw_str(w, v->truth ? "1" : "0");
            lift_jw_bool(w, v->truth);
            lift_jw_int(w, v->truth);
        } else if (!v->is_num) {
            string_forms(w, v);
        }
    }
    lift_jw_end(w);
}

/* eq/in (or, negated, ne/nin): strings and booleans as one $in ($nin) list, numbers as
 * numeric equalities, joined by $or ($nor) when there is more than one alternative. */
static void membership(lift_jw *w, const lift_cond *c, bool negate)
{
    size_t numbers = 0;
    for (size_t i = 0; i < c->nvalues; i++)
        numbers += c->values[i].is_num;
    bool strings = numbers < c->nvalues;
    if (numbers == 0) {
        lift_jw_obj(w);
        attr_key(w, c);
        lift_jw_obj(w);
        lift_jw_key(w, negate ? "$nin" : "$in");
        string_list(w, c);
        lift_jw_end(w);
        lift_jw_end(w);
        return;
    }
    bool wrap = negate || numbers + strings > 1;
    if (wrap) {
        lift_jw_obj(w);
        lift_jw_key(w, negate ? "$nor" : "$or");
        lift_jw_arr(w);
    }
    if (strings) {
        lift_jw_obj(w);
        attr_key(w, c);
        lift_jw_obj(w);
        lift_jw_key(w, "$in");
        string_list(w, c);
        lift_jw_end(w);
        lift_jw_end(w);
    }
    for (size_t i = 0; i < c->nvalues; i++)
        if (c->values[i].is_num)
            numeric(w, c, "$gte", c->values[i].num, "$lte", c->values[i].num);
    if (wrap) {
        lift_jw_end(w);
        lift_jw_end(w);
    }
}

static void one(lift_jw *w, const lift_cond *c)
{
    switch (c->op) {
    case LIFT_OP_EXISTS:
        lift_jw_obj(w);
        attr_key(w, c);
        lift_jw_obj(w);
        lift_jw_key(w, "$exists");
        lift_jw_bool(w, c->exists);
        lift_jw_end(w);
        lift_jw_end(w);
        return;
    case LIFT_OP_EQ:
    case LIFT_OP_IN:
    case LIFT_OP_NE:
    case LIFT_OP_NIN:
        membership(w, c, c->op == LIFT_OP_NE || c->op == LIFT_OP_NIN);
        return;
    case LIFT_OP_LT:
        numeric(w, c, "$lt", c->values[0].num, "$gte", -DBL_MAX);
        return;
    case LIFT_OP_LTE:
        numeric(w, c, "$lte", c->values[0].num, "$gte", -DBL_MAX);
        return;
    case LIFT_OP_GT:
        numeric(w, c, "$gt", c->values[0].num, "$lte", DBL_MAX);
        return;
    case LIFT_OP_GTE:
        numeric(w, c, "$gte", c->values[0].num, "$lte", DBL_MAX);
        return;
    }
}

void lift_gb_condition(lift_jw *w, const lift_cond *conds, size_t n)
{
    if (n == 1) {
        one(w, &conds[0]);
        return;
    }
    lift_jw_obj(w);
    lift_jw_key(w, "$and");
    lift_jw_arr(w);
    for (size_t i = 0; i < n; i++)
        one(w, &conds[i]);
    lift_jw_end(w);
    lift_jw_end(w);
}
