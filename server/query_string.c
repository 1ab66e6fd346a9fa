/* The /v1/assign query string: percent-decoding and the parameter rules. */
#include "query_string.h"

#include <string.h>

#include "lift/assign.h"
#include "lift/names.h"
#include "lift/text.h"

enum { SEEN_UNIT = 1, SEEN_EXPERIMENT = 2, SEEN_EXPOSE = 4, SEEN_CONSENT = 8 };

void lift_qs_init(lift_assign_query *q)
{
    q->unit = q->experiment = NULL;
    q->unit_len = q->experiment_len = 0;
    q->nattrs = 0;
    q->expose = q->consent = true;
    q->seen = 0;
    q->used = 0;
}

/* Decodes %XX and '+' into the query's store; *out points at the result. */
static int decode(lift_assign_query *q, const char *s, size_t n, const char **out, size_t *outlen,
                  const char *field, lift_err *err)
{
    if (q->used + n + 1 > sizeof q->store)
        return lift_err_field(err, LIFT_EINVAL, field, "query string is too long");
    char *d = q->store + q->used;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? lift_hex_value(s[i + 1]) : -1,
                lo = i + 2 < n ? lift_hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return lift_err_field(err, LIFT_EINVAL, field,
                                      "%s: bad percent-escape (expected %%XX)", field);
            d[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[k++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    d[k] = '\0';
    q->used += k + 1;
    *out = d;
    *outlen = k;
    return LIFT_OK;
}

static bool flag(const char *v, size_t n, bool *out)
{
    if ((n == 1 && v[0] == '1') || (n == 4 && memcmp(v, "true", 4) == 0))
        *out = true;
    else if ((n == 1 && v[0] == '0') || (n == 5 && memcmp(v, "false", 5) == 0))
        *out = false;
    else
        return false;
    return true;
}

static int once(lift_assign_query *q, unsigned bit, const char *name, lift_err *err)
{
    if (q->seen & bit)
        return lift_err_field(err, LIFT_EINVAL, name, "%s: given more than once", name);
    q->seen |= bit;
    return LIFT_OK;
}

int lift_qs_add(lift_assign_query *q, const char *rkey, size_t rklen, const char *rval,
                size_t rvlen, lift_err *err)
{
    const char *key, *val;
    size_t klen, vlen;
    int rc = decode(q, rkey, rklen, &key, &klen, "query", err);
    if (rc == LIFT_OK)
        rc = decode(q, rval ? rval : "", rval ? rvlen : 0, &val, &vlen, key, err);
    if (rc != LIFT_OK)
        return rc;
    if (klen == 4 && memcmp(key, "unit", 4) == 0) {
        if ((rc = once(q, SEEN_UNIT, "unit", err)) != LIFT_OK)
            return rc;
        if (vlen == 0)
            return lift_err_field(err, LIFT_EINVAL, "unit", "unit is empty");
        if (vlen > LIFT_UNIT_MAX)
            return lift_err_field(err, LIFT_EINVAL, "unit", "unit is longer than %d bytes",
                                  LIFT_UNIT_MAX);
        if (!lift_utf8_valid(val, vlen))
            return lift_err_field(err, LIFT_EINVAL, "unit", "unit is not valid UTF-8");
        if (lift_has_control(val, vlen))
            return lift_err_field(err, LIFT_EINVAL, "unit", "unit contains a control character");
        q->unit = val;
        q->unit_len = vlen;
    } else if (klen == 10 && memcmp(key, "experiment", 10) == 0) {
        if ((rc = once(q, SEEN_EXPERIMENT, "experiment", err)) != LIFT_OK)
            return rc;
        if (!lift_key_valid(val, vlen))
            return lift_err_field(err, LIFT_EINVAL, "experiment",
                                  "experiment: expected an experiment key");
        q->experiment = val;
        q->experiment_len = vlen;
    } else if ((klen == 6 && memcmp(key, "expose", 6) == 0) ||
               (klen == 7 && memcmp(key, "consent", 7) == 0)) {
        bool expose = key[1] == 'x';
        const char *name = expose ? "expose" : "consent";
        if ((rc = once(q, expose ? SEEN_EXPOSE : SEEN_CONSENT, name, err)) != LIFT_OK)
            return rc;
        if (!flag(val, vlen, expose ? &q->expose : &q->consent))
            return lift_err_field(err, LIFT_EINVAL, name, "%s: expected 1, 0, true or false", name);
    } else if (klen > 5 && memcmp(key, "attr.", 5) == 0) {
        const char *name = key + 5;
        size_t nlen = klen - 5;
        char field[LIFT_ERR_FIELD_LEN];
        snprintf(field, sizeof field, "attr.%.*s", (int)(nlen < 50 ? nlen : 50), name);
        if (!lift_attr_name_valid(name, nlen))
            return lift_err_field(err, LIFT_EINVAL, field,
                                  "%s: attribute names are " LIFT_ATTR_RULE, field);
        if (vlen > 256 || !lift_utf8_valid(val, vlen))
            return lift_err_field(err, LIFT_EINVAL, field, "%s: expected up to 256 bytes of UTF-8",
                                  field);
        for (size_t i = 0; i < q->nattrs; i++)
            if (q->attrs[i].name_len == nlen && memcmp(q->attrs[i].name, name, nlen) == 0)
                return lift_err_field(err, LIFT_EINVAL, field, "%s: given more than once", field);
        if (q->nattrs == LIFT_QS_MAX_ATTRS)
            return lift_err_field(err, LIFT_EINVAL, field, "more than %d attributes",
                                  LIFT_QS_MAX_ATTRS);
        q->attrs[q->nattrs++] = (lift_attr){name, nlen, val, vlen};
    } else {
        char field[LIFT_ERR_FIELD_LEN];
        snprintf(field, sizeof field, "%.*s", (int)(klen < 60 ? klen : 60), key);
        return lift_err_field(err, LIFT_EINVAL, field,
                              "unknown parameter '%s' (expected unit, experiment, "
                              "attr.<name>, expose, consent)",
                              lift_utf8_valid(field, strlen(field)) ? field : "?");
    }
    return LIFT_OK;
}

int lift_qs_finish(lift_assign_query *q, lift_err *err)
{
    if (!q->unit)
        return lift_err_field(err, LIFT_EINVAL, "unit", "unit is required");
    return LIFT_OK;
}

int lift_qs_parse(lift_assign_query *q, const char *qs, size_t len, lift_err *err)
{
    lift_qs_init(q);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && qs[end] != '&')
            end++;
        if (end > i) {
            const char *eq = memchr(qs + i, '=', end - i);
            int rc = eq ? lift_qs_add(q, qs + i, (size_t)(eq - qs - i), eq + 1,
                                      (size_t)(qs + end - eq - 1), err)
                        : lift_qs_add(q, qs + i, end - i, NULL, 0, err);
            if (rc != LIFT_OK)
                return rc;
        }
        i = end + 1;
    }
    return lift_qs_finish(q, err);
}
