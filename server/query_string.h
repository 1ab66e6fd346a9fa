/* The /v1/assign query string: unit, experiment, attr.<name>, expose, consent. Decoded
 * and validated into fixed storage (no allocation); strict, so a typo such as `expsoe=0`
 * is an error instead of a silently logged exposure. */
#ifndef LIFT_SERVER_QUERY_STRING_H
#define LIFT_SERVER_QUERY_STRING_H

#include <stdbool.h>
#include <stddef.h>

#include "lift/audience.h"
#include "lift/err.h"

#define LIFT_QS_MAX_ATTRS 32
#define LIFT_QS_STORE     4096

typedef struct lift_assign_query {
    const char *unit, *experiment; /* point into store; experiment NULL when absent */
    size_t unit_len, experiment_len;
    lift_attr attrs[LIFT_QS_MAX_ATTRS];
    size_t nattrs;
    bool expose, consent; /* default true, true */
    unsigned seen;        /* bit per singular parameter, to refuse repeats */
    char store[LIFT_QS_STORE];
    size_t used;
} lift_assign_query;

void lift_qs_init(lift_assign_query *q);

/* Adds one raw (still percent-encoded) key=value pair; val may be NULL for "key" without
 * '='. LIFT_EINVAL with err->field naming the parameter for a bad escape, an unknown or
 * repeated parameter, or a value that breaks its rule. */
int lift_qs_add(lift_assign_query *q, const char *key, size_t klen, const char *val, size_t vlen,
                lift_err *err);

/* Checks what only the whole query can tell (unit is required). */
int lift_qs_finish(lift_assign_query *q, lift_err *err);

/* Parses a whole raw query string ("unit=u1&attr.device=mobile"): split on '&' and '=',
 * lift_qs_add each pair, then lift_qs_finish. */
int lift_qs_parse(lift_assign_query *q, const char *qs, size_t len, lift_err *err);

#endif
