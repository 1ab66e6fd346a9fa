/* Audience conditions: parsing from JSON and evaluation against request attributes. */
#include "lift/audience.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/names.h"

static const char *const op_names[] = {"eq", "ne", "in", "nin", "lt", "lte", "gt", "gte", "exists"};

static const lift_attr *find_attr(const lift_cond *c, const lift_attr *attrs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (attrs[i].name_len == c->attr_len && memcmp(attrs[i].name, c->attr, c->attr_len) == 0)
            return &attrs[i];
    return NULL;
}

/* True when s[0..n) is a decimal number as LIFT_NUMBER_SYNTAX spells it. */
static bool decimal_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (digits == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e)
            return false;
    }
    return i == n;
}

/* The attribute as a finite number, when it is one (see lift_cond_eval). */
static bool attr_number(const lift_attr *a, double *out)
{
    char tmp[LIFT_ATTR_VALUE_MAX + 1];
    if (a->value_len > LIFT_ATTR_VALUE_MAX || !decimal_syntax(a->value, a->value_len))
        return false;
    memcpy(tmp, a->value, a->value_len);
    tmp[a->value_len] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool value_matches(const lift_cond_value *v, const lift_attr *a)
{
    if (v->is_num) {
        double x;
        return attr_number(a, &x) && x == v->num;
    }
    if (v->is_bool) {
        const char *s = a->value;
        size_t n = a->value_len;
        bool t = (n == 4 && memcmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1');
        bool f = (n == 5 && memcmp(s, "false", 5) == 0) || (n == 1 && s[0] == '0');
        return v->truth ? t : f;
    }
    return a->value_len == v->len && memcmp(a->value, v->str, v->len) == 0;
}

static bool any_matches(const lift_cond *c, const lift_attr *a)
{
    for (size_t i = 0; i < c->nvalues; i++)
        if (value_matches(&c->values[i], a))
            return true;
    return false;
}

bool lift_cond_eval(const lift_cond *c, const lift_attr *attrs, size_t nattrs)
{
    const lift_attr *a = find_attr(c, attrs, nattrs);
    double x;
    switch (c->op) {
    case LIFT_OP_EXISTS:
        return (a != NULL) == c->exists;
    case LIFT_OP_EQ:
    case LIFT_OP_IN:
        return a && any_matches(c, a);
    case LIFT_OP_NE:
    case LIFT_OP_NIN:
        return !a || !any_matches(c, a);
    case LIFT_OP_LT:
        return a && attr_number(a, &x) && x < c->values[0].num;
    case LIFT_OP_LTE:
        return a && attr_number(a, &x) && x <= c->values[0].num;
    case LIFT_OP_GT:
        return a && attr_number(a, &x) && x > c->values[0].num;
    case LIFT_OP_GTE:
        return a && attr_number(a, &x) && x >= c->values[0].num;
    }
    return false;
}

bool lift_audience_eval(const lift_cond *conds, size_t n, const lift_attr *attrs, size_t nattrs)
{
    for (size_t i = 0; i < n; i++)
        if (!lift_cond_eval(&conds[i], attrs, nattrs))
            return false;
    return true;
}

static const char *copy_str(const char *s, size_t n, lift_alloc_fn alloc, void *ctx)
{
    char *d = alloc(ctx, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* One scalar of eq/ne/in/nin: string, number or boolean. */
static int parse_value(const json_t *j, lift_cond_value *v, bool allow_bool, lift_alloc_fn alloc,
                       void *ctx, const char *field, lift_err *err)
{
    memset(v, 0, sizeof *v);
    if (json_is_string(j)) {
        v->len = json_string_length(j);
        v->str = copy_str(json_string_value(j), v->len, alloc, ctx);
        if (!v->str)
            return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    } else if (json_is_number(j)) {
        v->is_num = true;
        v->num = json_number_value(j);
    } else if (allow_bool && json_is_boolean(j)) {
        v->is_bool = true;
        v->truth = json_is_true(j);
    } else {
        return lift_err_field(err, LIFT_EINVAL, field, "%s: expected a string or a number%s", field,
                              allow_bool ? " or a boolean" : "");
    }
    return LIFT_OK;
}

int lift_cond_parse(const json_t *j, lift_cond *out, lift_alloc_fn alloc, void *ctx,
                    const char *where, lift_err *err)
{
    char field[LIFT_ERR_FIELD_LEN];
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return lift_err_field(err, LIFT_EINVAL, where,
                              "%s: expected an object {\"attr\", \"op\", \"value\"}", where);
    const json_t *attr = json_object_get(j, "attr"), *op = json_object_get(j, "op"),
                 *value = json_object_get(j, "value");
    snprintf(field, sizeof field, "%s.attr", where);
    if (!json_is_string(attr) ||
        !lift_attr_name_valid(json_string_value(attr), json_string_length(attr)))
        return lift_err_field(err, LIFT_EINVAL, field, "%s: expected an attribute name (%s)", field,
                              LIFT_ATTR_RULE);
    out->attr_len = json_string_length(attr);
    out->attr = copy_str(json_string_value(attr), out->attr_len, alloc, ctx);
    snprintf(field, sizeof field, "%s.op", where);
    int o = -1;
    for (int i = 0; json_is_string(op) && i < (int)(sizeof op_names / sizeof *op_names); i++)
        if (strcmp(json_string_value(op), op_names[i]) == 0)
            o = i;
    if (o < 0)
        return lift_err_field(err, LIFT_EINVAL, field,
                              "%s: expected one of eq, ne, in, nin, lt, lte, gt, gte, exists",
                              field);
    out->op = (lift_op)o;
    snprintf(field, sizeof field, "%s.value", where);
    if (out->op == LIFT_OP_EXISTS) {
        if (!json_is_boolean(value))
            return lift_err_field(err, LIFT_EINVAL, field, "%s: exists takes true or false", field);
        out->exists = json_is_true(value);
        return out->attr ? LIFT_OK : lift_err_set(err, LIFT_ENOMEM, "out of memory");
    }
    bool list = out->op == LIFT_OP_IN || out->op == LIFT_OP_NIN;
    bool numeric = out->op >= LIFT_OP_LT && out->op <= LIFT_OP_GTE;
    if (list && (!json_is_array(value) || json_array_size(value) == 0))
        return lift_err_field(err, LIFT_EINVAL, field, "%s: %s takes a non-empty array", field,
                              op_names[o]);
    if (numeric && !json_is_number(value))
        return lift_err_field(err, LIFT_EINVAL, field, "%s: %s takes a number", field, op_names[o]);
    out->nvalues = list ? json_array_size(value) : 1;
    out->values = alloc(ctx, out->nvalues * sizeof *out->values);
    if (!out->values || !out->attr)
        return lift_err_set(err, LIFT_ENOMEM, "out of memory");
    for (size_t i = 0; i < out->nvalues; i++) {
        char item[LIFT_ERR_FIELD_LEN + 24];
        int w = snprintf(item, sizeof item, "%.50s", field);
        if (list)
            snprintf(item + w, sizeof item - (size_t)w, "[%zu]", i);
        int rc = parse_value(list ? json_array_get(value, i) : value, &out->values[i], !list, alloc,
                             ctx, item, err);
        if (rc != LIFT_OK)
            return rc;
    }
    return LIFT_OK;
}
