/* lift_err helpers: formatted messages into caller-owned buffers. */
#include "lift/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 4, 0))) static void vset(lift_err *err, int code,
                                                      const char *field, const char *fmt,
                                                      va_list ap)
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
    snprintf(err->msg, sizeof err->msg, "%.120s: %.130s", prefix, old);
}
