/* OpenFeature Remote Evaluation Protocol v0.1: POST /ofrep/v1/evaluate/flags/{key} (one
 * experiment) and POST /ofrep/v1/evaluate/flags (all of them, with ETag / If-None-Match).
 *
 * A flag is an experiment. The request is {"context": {"targetingKey": <unit>, ...}}: the
 * targeting key is the unit, the other members are attributes (strings as they are,
 * numbers in JavaScript's notation, booleans as "true"/"false", nested objects as dotted
 * names "geo.country"; null is absent), except "consent" and "expose", which mean what they
 * mean for /v1/assign. The answer's value is the variant's payload, variant its key, and
 * reason SPLIT (bucketed), TARGETING_MATCH (a QA override), DEFAULT (not in the experiment:
 * audience, layer, coverage, holdout or no consent; the control's payload) or DISABLED (not
 * running; the control's payload). An evaluation logs exposures exactly as /v1/assign does.
 * Errors of the protocol (400 PARSE_ERROR, TARGETING_KEY_MISSING, INVALID_CONTEXT; 404
 * FLAG_NOT_FOUND) are {"key", "errorCode", "errorDetails"}; the rest (keys, limits) are
 * liftd's usual {"error": {...}}. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "http.h"
#include "lift/assign.h"
#include "lift/jsonread.h"
#include "lift/names.h"
#include "query_string.h"

#define NEST_MAX 4 /* depth of nested context objects */

typedef struct context {
    const char *unit;
    size_t unit_len;
    lift_attr attrs[LIFT_QS_MAX_ATTRS];
    size_t nattrs;
    bool consent, expose;
    char store[LIFT_QS_STORE]; /* names and values not in the document (paths, numbers) */
    size_t used;
} context;

typedef struct failure {
    const char *code; /* an OFREP error code */
    char details[LIFT_ERR_MSG_LEN];
} failure;

static int fail(failure *f, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(failure *f, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->details, sizeof f->details, fmt, ap);
    va_end(ap);
    f->code = code;
    return LIFT_EINVAL;
}

static const char *keep(context *c, const char *s, size_t n)
{
    if (c->used + n + 1 > sizeof c->store)
        return NULL;
    char *d = c->store + c->used;
    memcpy(d, s, n);
    d[n] = '\0';
    c->used += n + 1;
    return d;
}

/* consent/expose: true/false, 1/0 or their strings. */
static int flag(const json_t *v, const char *name, bool *out, failure *f)
{
    const char *s = json_string_value(v);
    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
        *out = json_integer_value(v) == 1;
    else if (s && (!strcmp(s, "true") || !strcmp(s, "1")))
        *out = true;
    else if (s && (!strcmp(s, "false") || !strcmp(s, "0")))
        *out = false;
    else
        return fail(f, "INVALID_CONTEXT", "context.%s: expected true or false", name);
    return LIFT_OK;
}

static int attribute(context *c, const char *name, json_t *v, int depth, failure *f);

static int members(context *c, const char *prefix, json_t *obj, int depth, failure *f)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        char name[LIFT_NAME_MAX + 2];
        int n = snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (n < 0 || (size_t)n >= sizeof name || !lift_attr_name_valid(name, (size_t)n))
            return fail(f, "INVALID_CONTEXT", "context.%.80s%s%.80s: attribute names are %s",
                        prefix, *prefix ? "." : "", k, LIFT_ATTR_RULE);
        if (depth == 0 && !strcmp(k, "targetingKey"))
            continue;
        if (depth == 0 && (!strcmp(k, "consent") || !strcmp(k, "expose"))) {
            int rc = flag(v, k, k[0] == 'c' ? &c->consent : &c->expose, f);
            if (rc != LIFT_OK)
                return rc;
            continue;
        }
        int rc = attribute(c, name, v, depth, f);
        if (rc != LIFT_OK)
            return rc;
    }
    return LIFT_OK;
}

static int attribute(context *c, const char *name, json_t *v, int depth, failure *f)
{
    char text[40];
    const char *value = NULL;
    size_t len = 0;
    if (json_is_null(v))
        return LIFT_OK;
    if (json_is_object(v)) {
        if (depth + 1 >= NEST_MAX)
            return fail(f, "INVALID_CONTEXT", "context.%s: nested more than %d deep", name,
                        NEST_MAX);
        return members(c, name, v, depth + 1, f);
    }
    if (json_is_array(v))
        return fail(f, "INVALID_CONTEXT",
                    "context.%s: an array is not an attribute (give a string, number or boolean)",
                    name);
    if (json_is_string(v)) {
        value = json_string_value(v);
        len = json_string_length(v);
        if (len > LIFT_ATTR_VALUE_MAX)
            return fail(f, "INVALID_CONTEXT", "context.%s: longer than %d bytes", name,
                        LIFT_ATTR_VALUE_MAX);
    } else if (json_is_integer(v)) {
        len = (size_t)snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        len = lift_dtoa(json_real_value(v), text);
    } else {
        len = (size_t)snprintf(text, sizeof text, "%s", json_is_true(v) ? "true" : "false");
    }
    size_t nlen = strlen(name);
    for (size_t i = 0; i < c->nattrs; i++)
        if (c->attrs[i].name_len == nlen && !memcmp(c->attrs[i].name, name, nlen))
            return fail(f, "INVALID_CONTEXT", "context.%s: given twice", name);
    if (c->nattrs == LIFT_QS_MAX_ATTRS)
        return fail(f, "INVALID_CONTEXT", "context: more than %d attributes", LIFT_QS_MAX_ATTRS);
    const char *n = keep(c, name, nlen);
    if (!value)
        value = keep(c, text, len);
    if (!n || !value)
        return fail(f, "INVALID_CONTEXT", "context: too large");
    c->attrs[c->nattrs++] = (lift_attr){n, nlen, value, len};
    return LIFT_OK;
}

/* Reads the request body into c; the document stays alive in *doc (strings point in it). */
static int parse(const lift_buf *body, context *c, json_t **doc, failure *f)
{
    static const char *const allowed[] = {"context", NULL};
    lift_err err;
    c->nattrs = c->used = 0;
    c->consent = c->expose = true;
    *doc = lift_json_load(body->data ? body->data : "", body->len, "body", NULL, &err);
    if (!*doc)
        return fail(f, "PARSE_ERROR", "%s", err.msg);
    if (!json_is_object(*doc))
        return fail(f, "PARSE_ERROR", "body: expected {\"context\": {...}}");
    if (lift_json_known(*doc, allowed, "", &err) != LIFT_OK)
        return fail(f, "PARSE_ERROR", "%s", err.msg);
    json_t *ctx = json_object_get(*doc, "context");
    if (!ctx)
        return fail(f, "PARSE_ERROR", "context: missing");
    if (!json_is_object(ctx))
        return fail(f, "INVALID_CONTEXT", "context: expected an object");
    const json_t *tk = lift_json_member(ctx, "targetingKey");
    if (!tk || (json_is_string(tk) && json_string_length(tk) == 0))
        return fail(f, "TARGETING_KEY_MISSING",
                    "context.targetingKey (the shopper's unit id) is required");
    if (!json_is_string(tk))
        return fail(f, "INVALID_CONTEXT", "context.targetingKey: expected a string");
    c->unit = json_string_value(tk);
    c->unit_len = json_string_length(tk);
    if (c->unit_len > LIFT_UNIT_MAX || lift_has_control(c->unit, c->unit_len))
        return fail(f, "INVALID_CONTEXT",
                    "context.targetingKey: expected 1 to %d bytes without control characters",
                    LIFT_UNIT_MAX);
    return members(c, "", ctx, 0, f);
}

static enum MHD_Result failure_reply(lift_http_request *req, unsigned status, const char *key,
                                     const failure *f)
{
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, false);
    lift_jw_obj(&w);
    if (key && lift_utf8_valid(key, strlen(key)))
        lift_jw_key_str(&w, "key", key);
    lift_jw_key_str(&w, "errorCode", f->code);
    lift_jw_key_str(&w, "errorDetails",
                    lift_utf8_valid(f->details, strlen(f->details)) ? f->details : "bad input");
    lift_jw_end(&w);
    return lift_http_json(req, status, &b);
}

/* One evaluation: {"key", "value", "variant", "reason", "metadata"}; a is the experiment's
 * assignment, or NULL when the shopper is not in it. */
static void result(lift_jw *w, const lift_experiment *e, const lift_assignment *a, int64_t now)
{
    const char *reason = "DEFAULT";
    int v = e->control;
    if (!lift_experiment_active(e, now)) {
        reason = "DISABLED";
    } else if (a && a->reason == LIFT_ASSIGN_BUCKETED) {
        reason = "SPLIT";
        v = a->variant;
    } else if (a && a->reason == LIFT_ASSIGN_OVERRIDE) {
        reason = "TARGETING_MATCH";
        v = a->variant;
    }
    bool in = a && a->reason != LIFT_ASSIGN_NO_CONSENT && lift_experiment_active(e, now);
    lift_jw_obj(w);
    lift_jw_key_str(w, "key", e->key);
    lift_jw_key(w, "value");
    if (e->nvariants > 0)
        lift_jw_raw(w, e->variants[v].payload, e->variants[v].payload_len);
    else
        lift_jw_null(w); /* a draft without variants yet */
    if (in)
        lift_jw_key_str(w, "variant", e->variants[v].key);
    lift_jw_key_str(w, "reason", reason);
    lift_jw_key(w, "metadata");
    lift_jw_obj(w);
    lift_jw_key(w, "phase");
    lift_jw_int(w, e->phase);
    lift_jw_key(w, "inExperiment");
    lift_jw_bool(w, in && a->reason == LIFT_ASSIGN_BUCKETED);
    lift_jw_end(w);
    lift_jw_end(w);
}

static enum MHD_Result evaluate(lift_http_request *req, const char *key)
{
    lift_app *app = req->app;
    lift_pin pin;
    const lift_config *cfg = lift_snapshot_enter(app->snaps, &pin);
    lift_caller who;
    enum MHD_Result rc;
    context *c = NULL;
    json_t *doc = NULL;
    lift_assignment *out = NULL;
    if (!lift_access(req, cfg, app->opts->assign_requires_key, &who, &rc))
        goto done;
    if (!lift_http_json_content(req)) {
        rc = lift_http_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "send the request as Content-Type: application/json", "Content-Type");
        goto done;
    }
    if (!cfg) {
        rc = lift_http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
                             "no experiment config loaded yet", NULL);
        goto done;
    }
    failure f;
    c = malloc(sizeof *c);
    out = malloc((cfg->nexperiments + 1) * sizeof *out);
    if (!c || !out) {
        rc = lift_http_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out_of_memory", "out of memory",
                             NULL);
        goto done;
    }
    if (parse(&req->body, c, &doc, &f) != LIFT_OK) {
        rc = failure_reply(req, MHD_HTTP_BAD_REQUEST, key, &f);
        goto done;
    }
    int only = key ? lift_config_find(cfg, key, strlen(key)) : -1;
    if (key && only < 0) {
        fail(&f, "FLAG_NOT_FOUND", "no experiment has the key '%.100s'", key);
        rc = failure_reply(req, MHD_HTTP_NOT_FOUND, key, &f);
        goto done;
    }
    lift_request in = {c->unit,         c->unit_len, c->attrs, c->nattrs,
                       lift_time_now(), c->consent,  only};
    size_t n;
    lift_err err;
    if (lift_assign_eval(cfg, &in, out, &n, &err) != LIFT_OK) {
        fail(&f, "INVALID_CONTEXT", "context.targetingKey: %s", err.msg);
        rc = failure_reply(req, MHD_HTTP_BAD_REQUEST, key, &f);
        goto done;
    }
    if (c->consent && c->expose)
        lift_http_log_exposures(app, cfg, c->unit, c->unit_len, c->attrs, c->nattrs, out, n,
                                in.now);
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, false);
    if (key) {
        result(&w, &cfg->experiments[only], n ? &out[0] : NULL, in.now);
        rc = lift_http_json(req, MHD_HTTP_OK, &b);
        goto done;
    }
    lift_jw_obj(&w);
    lift_jw_key(&w, "flags");
    lift_jw_arr(&w);
    size_t k = 0; /* out is in config order */
    for (size_t i = 0; i < cfg->nexperiments; i++) {
        const lift_assignment *a = k < n && out[k].experiment == (int)i ? &out[k++] : NULL;
        result(&w, &cfg->experiments[i], a, in.now);
    }
    lift_jw_end(&w);
    char version[32];
    snprintf(version, sizeof version, "%lld", (long long)cfg->version);
    lift_jw_key(&w, "metadata");
    lift_jw_obj(&w);
    lift_jw_key_str(&w, "version", version);
    lift_jw_end(&w);
    lift_jw_end(&w);
    lift_buf_puts(&b, "\n");
    char etag[24];
    snprintf(etag, sizeof etag, "\"%016llx\"",
             (unsigned long long)lift_fnv64(b.data ? b.data : ""));
    lift_http_header(req, MHD_HTTP_HEADER_ETAG, etag);
    if (!b.failed && lift_http_etag_matches(req, etag)) {
        lift_buf_fini(&b);
        rc = lift_http_reply(req, MHD_HTTP_NOT_MODIFIED, NULL, 0, NULL);
        goto done;
    }
    size_t len;
    char *body = lift_buf_steal(&b, &len);
    rc = body ? lift_http_reply(req, MHD_HTTP_OK, body, len, "application/json") : MHD_NO;
done:
    lift_snapshot_leave(app->snaps, &pin);
    json_decref(doc);
    free(c);
    free(out);
    return rc;
}

enum MHD_Result lift_api_ofrep_flag(lift_http_request *req)
{
    return evaluate(req, req->path_key);
}

enum MHD_Result lift_api_ofrep_bulk(lift_http_request *req)
{
    return evaluate(req, NULL);
}
