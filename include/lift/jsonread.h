/* Strict reading of JSON documents, one set of rules and messages for every reader (POST
 * bodies, `liftctl stats` requests, config documents):
 *  - duplicate keys are refused (which value would count is ambiguous), and so are fields
 *    a reader does not know (a misspelt "vaule" must not pass silently);
 *  - an absent member and a null one are the same thing;
 *  - every error is LIFT_EINVAL with err->field set to the member's path ("events[17].value",
 *    "metrics[1].data[0].sum_sq") and a message "<path>: <what was expected>".
 * `where` is the path of the object being read ("" at the top). */
#ifndef LIFT_JSONREAD_H
#define LIFT_JSONREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lift/err.h"

/* Parses a document (duplicate keys refused). NULL with "<what> is not valid JSON (line L,
 * column C): <reason>" and err->field = field (NULL: none) when it is not JSON. The caller
 * json_decref()s the result. */
json_t *lift_json_load(const char *text, size_t len, const char *what, const char *field,
                       lift_err *err);

/* Writes the path of member key of the object at where: "where.key", or the one that is not
 * empty. Returns out. */
const char *lift_json_path(char out[LIFT_ERR_FIELD_LEN], const char *where, const char *key);

/* Fails with "<path>: <what>" for member key of where (key "" names where itself). */
int lift_json_fail(lift_err *err, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Refuses members not named in allowed (NULL-terminated): "<path>: unknown field". */
int lift_json_known(const json_t *obj, const char *const *allowed, const char *where,
                    lift_err *err);

/* The member, or NULL when it is absent or null. */
json_t *lift_json_member(const json_t *obj, const char *key);

/* The readers below leave *out untouched when the member is absent (or null) and not
 * required; a required one fails with "<path>: missing". */

/* Any JSON number. */
int lift_json_number(const json_t *obj, const char *key, const char *where, bool required,
                     double *out, lift_err *err);

/* A number in [lo, hi] (optional): "expected a number in [lo, hi]". */
int lift_json_number_in(const json_t *obj, const char *key, const char *where, double lo, double hi,
                        double *out, lift_err *err);

/* A whole number in [lo, hi] (optional): "expected a whole number in [lo, hi]". */
int lift_json_int_in(const json_t *obj, const char *key, const char *where, long lo, long hi,
                     long *out, lift_err *err);

/* A string; *s borrows the document's storage (valid while it lives). */
int lift_json_string(const json_t *obj, const char *key, const char *where, bool required,
                     const char **s, size_t *len, lift_err *err);

/* true or false (optional). */
int lift_json_bool(const json_t *obj, const char *key, const char *where, bool *out, lift_err *err);

/* One of n names: *out is its index. Otherwise "expected one of "a", "b", "c"". */
int lift_json_pick(const json_t *obj, const char *key, const char *where, bool required,
                   const char *const *names, int n, int *out, lift_err *err);

/* An RFC 3339 time (optional), as microseconds since the epoch. */
int lift_json_time(const json_t *obj, const char *key, const char *where, int64_t *out,
                   lift_err *err);

/* An object (optional): *out is it, or stays as it was when absent. */
int lift_json_object(const json_t *obj, const char *key, const char *where, json_t **out,
                     lift_err *err);

#endif
