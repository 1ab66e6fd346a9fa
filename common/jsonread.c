/* Strict JSON reading: the shared rules and messages of every document lift reads. */
#include "lift/jsonread.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lift/text.h"

json_t *lift_json_load(const char *text, size_t len, const char *what, const char *field,
                       lift_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        lift_err_field(err, LIFT_EINVAL, field, "%s is not valid JSON (line %d, column %d): %s",
                       what, jerr.line, jerr.column, jerr.text);
    return doc;
}

const char *lift_json_path(char out[LIFT_ERR_FIELD_LEN], const char *where, const char *key)
{
    /* Paths are short ("metrics[12].data[3].sum_x_pre"); an absurd one is cut, not lost. */
    snprintf(out, LIFT_ERR_FIELD_LEN, "%.40s%s%.22s", where, *where && *key ? "." : "", key);
    return out;
}

int lift_json_fail(lift_err *err, const char *where, const char *key, const char *fmt, ...)
{
    char path[LIFT_ERR_FIELD_LEN], what[LIFT_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    lift_json_path(path, where, key);
    return lift_err_field(err, LIFT_EINVAL, path, "%s: %.180s", path, what);
}

int lift_json_known(const json_t *obj, const char *const *allowed, const char *where, lift_err *err)
{
    const char *key;
    json_t *v;
    /* jansson's iteration takes a mutable object but does not modify it. */
    json_t *o = (json_t *)(uintptr_t)obj;
    json_object_foreach(o, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            /* The key goes into a message that is itself JSON text: show only a valid one. */
            char shown[24];
            snprintf(shown, sizeof shown, "%.22s", key);
            if (!lift_utf8_valid(shown, strlen(shown)))
                snprintf(shown, sizeof shown, "?");
            return lift_json_fail(err, where, shown, "unknown field");
        }
    }
    return LIFT_OK;
}

json_t *lift_json_member(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

/* The member, or NULL; *rc is set when it is absent and required. */
static json_t *member(const json_t *obj, const char *key, const char *where, bool required, int *rc,
                      lift_err *err)
{
    json_t *v = lift_json_member(obj, key);
    *rc = !v && required ? lift_json_fail(err, where, key, "missing") : LIFT_OK;
    return v;
}

int lift_json_number(const json_t *obj, const char *key, const char *where, bool required,
                     double *out, lift_err *err)
{
    int rc;
    json_t *v = member(obj, key, where, required, &rc, err);
    if (!v)
        return rc;
    if (!json_is_number(v))
        return lift_json_fail(err, where, key, "expected a number");
    *out = json_number_value(v);
    return LIFT_OK;
}

int lift_json_number_in(const json_t *obj, const char *key, const char *where, double lo, double hi,
                        double *out, lift_err *err)
{
    json_t *v = lift_json_member(obj, key);
    if (!v)
        return LIFT_OK;
    if (!json_is_number(v) || !(json_number_value(v) >= lo && json_number_value(v) <= hi))
        return lift_json_fail(err, where, key, "expected a number in [%g, %g]", lo, hi);
    *out = json_number_value(v);
    return LIFT_OK;
}

int lift_json_int_in(const json_t *obj, const char *key, const char *where, long lo, long hi,
                     long *out, lift_err *err)
{
    json_t *v = lift_json_member(obj, key);
    if (!v)
        return LIFT_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return lift_json_fail(err, where, key, "expected a whole number in [%ld, %ld]", lo, hi);
    *out = (long)json_integer_value(v);
    return LIFT_OK;
}

int lift_json_string(const json_t *obj, const char *key, const char *where, bool required,
                     const char **s, size_t *len, lift_err *err)
{
    int rc;
    json_t *v = member(obj, key, where, required, &rc, err);
    if (!v)
        return rc;
    if (!json_is_string(v))
        return lift_json_fail(err, where, key, "expected a string");
    *s = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return LIFT_OK;
}

int lift_json_bool(const json_t *obj, const char *key, const char *where, bool *out, lift_err *err)
{
    json_t *v = lift_json_member(obj, key);
    if (!v)
        return LIFT_OK;
    if (!json_is_boolean(v))
        return lift_json_fail(err, where, key, "expected true or false");
    *out = json_is_true(v);
    return LIFT_OK;
}

int lift_json_pick(const json_t *obj, const char *key, const char *where, bool required,
                   const char *const *names, int n, int *out, lift_err *err)
{
    json_t *v = lift_json_member(obj, key);
    if (!v && !required)
        return LIFT_OK;
    for (int i = 0; json_is_string(v) && i < n; i++)
        if (strcmp(json_string_value(v), names[i]) == 0) {
            *out = i;
            return LIFT_OK;
        }
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_puts(&b, "expected one of");
    for (int i = 0; i < n; i++)
        lift_buf_printf(&b, "%s \"%s\"", i ? "," : "", names[i]);
    int rc = lift_json_fail(err, where, key, "%s", b.failed ? "a known name" : b.data);
    lift_buf_fini(&b);
    return rc;
}

int lift_json_time(const json_t *obj, const char *key, const char *where, int64_t *out,
                   lift_err *err)
{
    json_t *v = lift_json_member(obj, key);
    if (!v)
        return LIFT_OK;
    if (!json_is_string(v) ||
        lift_time_parse(json_string_value(v), json_string_length(v), out) != 0)
        return lift_json_fail(err, where, key,
                              "expected an RFC 3339 time such as 2026-11-21T10:00:00Z");
    return LIFT_OK;
}

int lift_json_object(const json_t *obj, const char *key, const char *where, json_t **out,
                     lift_err *err)
{
    json_t *v = lift_json_member(obj, key);
    if (!v)
        return LIFT_OK;
    if (!json_is_object(v))
        return lift_json_fail(err, where, key, "expected an object");
    *out = v;
    return LIFT_OK;
}
