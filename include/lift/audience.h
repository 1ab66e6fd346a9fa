/* Audience conditions on request attributes: eq, ne, in, nin, lt, lte, gt, gte, exists.
 * An audience is a list of conditions that must all hold. */
#ifndef LIFT_AUDIENCE_H
#define LIFT_AUDIENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"

/* A request attribute: name=value, both byte strings (not NUL-terminated). */
typedef struct lift_attr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} lift_attr;

typedef enum {
    LIFT_OP_EQ,
    LIFT_OP_NE,
    LIFT_OP_IN,
    LIFT_OP_NIN,
    LIFT_OP_LT,
    LIFT_OP_LTE,
    LIFT_OP_GT,
    LIFT_OP_GTE,
    LIFT_OP_EXISTS
} lift_op;

/* One value a condition compares with: a string, or a number (is_num), or a boolean
 * (is_bool; matches the attribute "true"/"1" or "false"/"0"). */
typedef struct lift_cond_value {
    const char *str;
    size_t len;
    double num;
    bool is_num, is_bool, truth;
} lift_cond_value;

typedef struct lift_cond {
    const char *attr;
    size_t attr_len;
    lift_op op;
    lift_cond_value *values; /* one value, or the list of in/nin */
    size_t nvalues;
    bool exists; /* for LIFT_OP_EXISTS */
} lift_cond;

/* Longest attribute value accepted, in bytes (GET /v1/assign, OFREP contexts). */
#define LIFT_ATTR_VALUE_MAX 256

/* What counts as a number in an attribute: plain decimal, as a regular expression (the
 * GrowthBook payload uses it, core/gb_condition.c). No spaces, no hexadecimal, no inf/nan;
 * its value must also be finite (1e999 is not a number here). */
#define LIFT_NUMBER_SYNTAX "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"

/* The rules, in one place:
 *  - eq/in match a string value byte for byte, a number value numerically (the attribute
 *    read as a number, LIFT_NUMBER_SYNTAX), a boolean value as true/1 or false/0;
 *  - ne/nin are the negations, and hold when the attribute is missing;
 *  - lt/lte/gt/gte need the attribute to be a finite number (LIFT_NUMBER_SYNTAX), else
 *    they fail;
 *  - exists:true holds when the attribute is present, exists:false when it is absent.
 * When an attribute appears twice, its first value counts. */
bool lift_cond_eval(const lift_cond *c, const lift_attr *attrs, size_t nattrs);

/* True when every condition holds (an empty list holds). */
bool lift_audience_eval(const lift_cond *conds, size_t n, const lift_attr *attrs, size_t nattrs);

/* Allocation callback for the parser: conditions live in their owner's memory (the
 * config arena). Returns NULL when out of memory. */
typedef void *(*lift_alloc_fn)(void *ctx, size_t size);

/* Parses {"attr": "device", "op": "in", "value": ["mobile", "tablet"]} into *out, copying
 * strings through alloc. LIFT_EINVAL with a message naming the problem (field is `where`
 * plus the key at fault) for unknown operators and values of the wrong type. */
int lift_cond_parse(const json_t *j, lift_cond *out, lift_alloc_fn alloc, void *ctx,
                    const char *where, lift_err *err);

#endif
