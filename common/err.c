/* lift_err helpers: formatted messages into caller-owned buffers. */
#include "lift/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 4, 0))) static void vset(lift_err *err, int code, const char *field,
                                                       const char *fmt, va_list ap)
{
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int lift_err_set(lift_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, NULL, fmt, ap);
        va_end(ap);
    }
    return code;
}

int lift_err_field(lift_err *err, int code, const char *field, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, field, fmt, ap);
        va_end(ap);
    }
    return code;
}

void lift_err_prefix(lift_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[LIFT_ERR_MSG_LEN], old[LIFT_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%.200s: %.300s", prefix, old);
}

void lift_err_nest(lift_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char parent[LIFT_ERR_FIELD_LEN], field[LIFT_ERR_FIELD_LEN], rest[LIFT_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(parent, sizeof parent, fmt, ap);
    va_end(ap);
    size_t old = strlen(err->field);
    /* The message after "<old field>: ", when it starts that way. */
    const char *tail = err->msg;
    if (old && strncmp(err->msg, err->field, old) == 0 && strncmp(err->msg + old, ": ", 2) == 0)
        tail += old + 2;
    snprintf(rest, sizeof rest, "%s", tail);
    snprintf(field, sizeof field, "%s%s", parent, err->field);
    memcpy(err->field, field, sizeof field);
    snprintf(err->msg, sizeof err->msg, "%.63s: %.180s", err->field, rest);
}
