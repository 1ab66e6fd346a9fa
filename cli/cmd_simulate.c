/* liftctl simulate: a storefront's traffic, sent to liftd over HTTP exactly as a storefront
 * backend would send it: for each shopper an assignment (GET /v1/assign, expose=0 since the
 * history is backfilled), then the exposures of each visit and the shopper's events in
 * batches with event ids (POST /v1/exposures, /v1/events). Shoppers come from shopper.c;
 * the same seed always sends the same rows, so a re-run stores nothing twice. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lift/httpc.h"
#include "lift/sim.h"
#include "lift/text.h"
#include "lift/xalloc.h"

static const char USAGE[] =
    "usage: liftctl simulate --experiment KEY --shoppers N [--days D] [--effect METRIC=+X%]...\n"
    "                        [--seed S] [--url http://HOST:PORT] [--key API_KEY]\n"
    "                        [--threads T] [--end TIME]\n"
    "Sends N simulated shoppers through liftd: assignments, then exposures and events\n"
    "(page views, add-to-carts, orders, refunds, repeat orders over 90 days) backfilled over\n"
    "the D days (default 28) before --end (default now). Effects are planted for the\n"
    "experiment's non-control variants only: conversion, aov (basket value) and retention\n"
    "(a second order within 30 days), e.g. --effect conversion=+10% --effect aov=+5%.\n"
    "--url defaults to LIFT_URL or http://127.0.0.1:8080; --key to LIFT_API_KEY. 4 threads.\n";

#define BATCH          500
#define MAX_ASSIGNED   64
#define RETRY_DEADLINE (60 * INT64_C(1000000))

typedef struct run {
    const sim_params *params;
    char host[256];
    int port;
    const char *key, *experiment, *control; /* control: the control variant's key */
    long shoppers;
    int threads;
    atomic_long done, assigned, exposures, events, accepted, duplicates;
    atomic_int failed;
    pthread_mutex_t lock;
    char error[1024];
} run;

static void fail(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(run *r, const char *fmt, ...)
{
    pthread_mutex_lock(&r->lock);
    if (!atomic_exchange(&r->failed, 1)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->error, sizeof r->error, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&r->lock);
}

/* A batch being written: {"<field>":[item, ...]} */
typedef struct batch {
    const char *route, *field;
    lift_buf body;
    lift_jw w;
    size_t n;
} batch;

static void batch_item(batch *b)
{
    if (b->n++ == 0) {
        lift_buf_reset(&b->body);
        lift_jw_init(&b->w, &b->body, false);
        lift_jw_obj(&b->w);
        lift_jw_key(&b->w, b->field);
        lift_jw_arr(&b->w);
    }
    lift_jw_obj(&b->w);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One request, retried while liftd is briefly away (connection lost: every item has an
 * event id, so a repeat stores nothing twice; 503: after Retry-After). The status, or 0. */
static int request(run *r, lift_httpc *c, const char *method, const char *target, const char *body,
                   size_t len, lift_httpc_response *resp)
{
    static const char *const json[] = {"Content-Type: application/json", NULL, NULL};
    char auth[300];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", r->key ? r->key : "");
    const char *const headers[] = {json[0], r->key ? auth : NULL, NULL};
    int64_t deadline = lift_time_mono() + RETRY_DEADLINE;
    lift_err err = {0};
    while (!atomic_load(&r->failed)) {
        resp->status = 0;
        if (lift_httpc_request(c, method, target, body ? headers : headers + 1, body, len, resp,
                               &err) == LIFT_OK &&
            resp->status != 503)
            return resp->status;
        if (lift_time_mono() > deadline) {
            fail(r, "%s %s: liftd did not answer for 60 s (%s)", method, target,
                 resp->status == 503 ? "503 Service Unavailable" : err.msg);
            return 0;
        }
        sleep_ms(resp->status == 503 && atoi(resp->retry_after) > 0
                     ? 1000L * atoi(resp->retry_after)
                     : 200);
    }
    return 0;
}

static void post(run *r, lift_httpc *c, batch *b, lift_httpc_response *resp)
{
    if (b->n == 0 || atomic_load(&r->failed))
        return;
    lift_jw_end(&b->w);
    lift_jw_end(&b->w);
    int status = request(r, c, "POST", b->route, b->body.data, b->body.len, resp);
    if (status == 202) {
        json_t *doc = json_loadb(resp->body.data, resp->body.len, 0, NULL);
        atomic_fetch_add(&r->accepted, json_integer_value(json_object_get(doc, "accepted")));
        atomic_fetch_add(&r->duplicates, json_integer_value(json_object_get(doc, "duplicates")));
        json_decref(doc);
        atomic_fetch_add(!strcmp(b->field, "events") ? &r->events : &r->exposures, (long)b->n);
    } else if (status) {
        fail(r, "POST %s: %d %.*s", b->route, status, (int)resp->body.len, resp->body.data);
    }
    b->n = 0;
}

typedef struct assignment {
    char experiment[128], variant[128];
} assignment;

/* GET /v1/assign for the shopper; fills out (at most MAX_ASSIGNED). -1 on failure. */
static int assign(run *r, lift_httpc *c, const sim_shopper *s, assignment *out,
                  lift_httpc_response *resp)
{
    char target[512];
    snprintf(target, sizeof target,
             "/v1/assign?unit=%s&attr.device=%s&attr.channel=%s&attr.customer=%s&expose=0%s",
             s->unit, s->device, s->channel, s->customer, s->consent ? "" : "&consent=0");
    int status = request(r, c, "GET", target, NULL, 0, resp);
    if (status != 200) {
        if (status)
            fail(r, "GET %s: %d %.*s", target, status, (int)resp->body.len, resp->body.data);
        return -1;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(resp->body.data, resp->body.len, 0, &jerr);
    json_t *list = json_object_get(doc, "assignments");
    if (!json_is_array(list)) {
        fail(r, "GET %s: not an assignment answer: %.200s", target, resp->body.data);
        json_decref(doc);
        return -1;
    }
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        const char *e = json_string_value(json_object_get(a, "experiment"));
        const char *v = json_string_value(json_object_get(a, "variant"));
        if (e && v && n < MAX_ASSIGNED) {
            snprintf(out[n].experiment, sizeof out[n].experiment, "%s", e);
            snprintf(out[n].variant, sizeof out[n].variant, "%s", v);
            n++;
        }
    }
    json_decref(doc);
    return n;
}

/* The exposures of each visit (consenting shoppers only) and every event. */
static void queue_rows(const sim_shopper *s, const assignment *as, int n, batch *ex, batch *ev)
{
    char id[96];
    unsigned long long seed = 0;
    sscanf(s->unit, "sim%llu-", &seed);
    long k = 0;
    for (size_t v = 0; s->consent && v < s->nsessions; v++)
        for (int a = 0; a < n; a++) {
            batch_item(ex);
            snprintf(id, sizeof id, "x%llu-%ld-%ld", seed, s->index, k++);
            lift_jw_key_str(&ex->w, "event_id", id);
            lift_jw_key_str(&ex->w, "unit", s->unit);
            lift_jw_key_str(&ex->w, "experiment", as[a].experiment);
            lift_jw_key_str(&ex->w, "variant", as[a].variant);
            lift_jw_key(&ex->w, "ts");
            lift_jw_time(&ex->w, s->sessions[v]);
            lift_jw_key(&ex->w, "attrs");
            lift_jw_obj(&ex->w);
            lift_jw_key_str(&ex->w, "device", s->device);
            lift_jw_key_str(&ex->w, "channel", s->channel);
            lift_jw_key_str(&ex->w, "customer", s->customer);
            lift_jw_end(&ex->w);
            lift_jw_end(&ex->w);
        }
    for (size_t i = 0; i < s->nevents; i++) {
        const sim_event *e = &s->events[i];
        batch_item(ev);
        snprintf(id, sizeof id, "e%llu-%ld-%zu", seed, s->index, i);
        lift_jw_key_str(&ev->w, "event_id", id);
        lift_jw_key_str(&ev->w, "unit", s->unit);
        lift_jw_key_str(&ev->w, "type", e->type);
        lift_jw_key(&ev->w, "ts");
        lift_jw_time(&ev->w, e->ts);
        if (!isnan(e->value)) {
            lift_jw_key(&ev->w, "value");
            lift_jw_num(&ev->w, e->value);
            lift_jw_key_str(&ev->w, "currency", "EUR");
        }
        lift_jw_end(&ev->w);
    }
}

typedef struct worker {
    run *run;
    int id;
    pthread_t thread;
} worker;

static void *work(void *arg)
{
    worker *wk = arg;
    run *r = wk->run;
    lift_err err;
    lift_httpc *c = lift_httpc_open(r->host, r->port, 30000, &err);
    if (!c) {
        fail(r, "cannot connect to liftd at %s:%d: %s", r->host, r->port, err.msg);
        return NULL;
    }
    lift_httpc_response resp = {0};
    lift_buf_init(&resp.body);
    batch ex = {"/v1/exposures", "exposures", {0}, {0}, 0};
    batch ev = {"/v1/events", "events", {0}, {0}, 0};
    lift_buf_init(&ex.body);
    lift_buf_init(&ev.body);
    sim_shopper s;
    sim_shopper_init(&s);
    assignment as[MAX_ASSIGNED];
    for (long i = wk->id; i < r->shoppers && !atomic_load(&r->failed); i += r->threads) {
        sim_shopper_draw(&s, r->params, i);
        int n = assign(r, c, &s, as, &resp);
        if (n < 0)
            break;
        if (!s.consent)
            n = 0; /* the default experience, in no experiment and not logged */
        bool treated = false;
        for (int a = 0; a < n; a++)
            if (!strcmp(as[a].experiment, r->experiment)) {
                treated = strcmp(as[a].variant, r->control) != 0;
                atomic_fetch_add(&r->assigned, 1);
            }
        sim_shopper_live(&s, r->params, treated);
        queue_rows(&s, as, n, &ex, &ev);
        if (ex.n >= BATCH)
            post(r, c, &ex, &resp);
        if (ev.n >= BATCH)
            post(r, c, &ev, &resp);
        atomic_fetch_add(&r->done, 1);
    }
    post(r, c, &ex, &resp);
    post(r, c, &ev, &resp);
    sim_shopper_fini(&s);
    lift_buf_fini(&ex.body);
    lift_buf_fini(&ev.body);
    lift_buf_fini(&resp.body);
    lift_httpc_close(c);
    return NULL;
}

/* Looks the experiment up on liftd (GET /v1/experiments); sets r->control. */
static int find_experiment(run *r, char *control, size_t len)
{
    lift_err err;
    lift_httpc *c = lift_httpc_open(r->host, r->port, 10000, &err);
    if (!c)
        return cli_fail(CLI_FAIL, "simulate", "cannot reach liftd at %s:%d: %s", r->host, r->port,
                        err.msg);
    lift_httpc_response resp = {0};
    lift_buf_init(&resp.body);
    int rc = lift_httpc_request(c, "GET", "/v1/experiments", NULL, NULL, 0, &resp, &err);
    lift_httpc_close(c);
    json_t *doc = rc == LIFT_OK && resp.status == 200
                      ? json_loadb(resp.body.data, resp.body.len, 0, NULL)
                      : NULL;
    lift_buf_fini(&resp.body);
    if (!doc)
        return cli_fail(CLI_FAIL, "simulate", "GET /v1/experiments from liftd at %s:%d failed%s%s",
                        r->host, r->port, rc == LIFT_OK ? "" : ": ", rc == LIFT_OK ? "" : err.msg);
    lift_buf names;
    lift_buf_init(&names);
    size_t i, j;
    json_t *e, *v;
    bool found = false;
    json_array_foreach(json_object_get(doc, "experiments"), i, e)
    {
        const char *key = json_string_value(json_object_get(e, "key"));
        lift_buf_printf(&names, "%s%s", names.len ? ", " : "", key ? key : "?");
        if (!key || strcmp(key, r->experiment))
            continue;
        json_array_foreach(json_object_get(e, "variants"), j, v)
        {
            const char *variant = json_string_value(json_object_get(v, "key"));
            if (variant && json_is_true(json_object_get(v, "control")))
                snprintf(control, len, "%s", variant);
        }
        found = true;
    }
    json_decref(doc);
    if (!found) {
        cli_fail(CLI_USAGE, "simulate", "experiment '%s' is not running on liftd (running: %s)",
                 r->experiment, names.len ? names.data : "none");
        lift_buf_fini(&names);
        return CLI_USAGE;
    }
    lift_buf_fini(&names);
    return CLI_OK;
}

static void progress(const run *r, double seconds, bool tty)
{
    long done = atomic_load(&r->done);
    int width = 30, filled = (int)((double)width * (double)done / (double)r->shoppers);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    long rows = atomic_load(&r->exposures) + atomic_load(&r->events);
    fprintf(stderr, "%s[%s] %ld/%ld shoppers, %ld rows stored, %.0f shoppers/s%s", tty ? "\r" : "",
            bar, done, r->shoppers, rows, seconds > 0 ? (double)done / seconds : 0.0,
            tty ? "\033[K" : "\n");
}

int cmd_simulate(int argc, char **argv)
{
    const char *experiment = NULL, *url = getenv("LIFT_URL"), *key = getenv("LIFT_API_KEY");
    long shoppers = -1, days = 28, seed = 1, threads = 4;
    int64_t end = lift_time_now();
    sim_effects fx = {0, 0, 0};
    char why[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return CLI_OK;
        }
        if (a[0] != '-')
            return cli_fail(CLI_USAGE, "simulate",
                            "unexpected argument '%s' (see liftctl help "
                            "simulate)",
                            a);
        if (!v)
            return cli_fail(CLI_USAGE, "simulate", "%s needs a value (see liftctl help simulate)",
                            a);
        i++;
        if (!strcmp(a, "--experiment")) {
            experiment = v;
        } else if (!strcmp(a, "--shoppers")) {
            if (!cli_parse_long(v, &shoppers) || shoppers < 1 || shoppers > 100000000)
                return cli_fail(CLI_USAGE, "simulate", "--shoppers: '%s' is not 1 to 100000000", v);
        } else if (!strcmp(a, "--days")) {
            if (!cli_parse_long(v, &days) || days < 1 || days > 3650)
                return cli_fail(CLI_USAGE, "simulate", "--days: '%s' is not 1 to 3650", v);
        } else if (!strcmp(a, "--seed")) {
            if (!cli_parse_long(v, &seed) || seed < 0)
                return cli_fail(CLI_USAGE, "simulate", "--seed: '%s' is not a whole number >= 0",
                                v);
        } else if (!strcmp(a, "--threads")) {
            if (!cli_parse_long(v, &threads) || threads < 1 || threads > 64)
                return cli_fail(CLI_USAGE, "simulate", "--threads: '%s' is not 1 to 64", v);
        } else if (!strcmp(a, "--effect")) {
            if (!sim_effect_parse(v, &fx, why, sizeof why))
                return cli_fail(CLI_USAGE, "simulate", "--effect: %s", why);
        } else if (!strcmp(a, "--url")) {
            url = v;
        } else if (!strcmp(a, "--key")) {
            key = v;
        } else if (!strcmp(a, "--end")) {
            if (!cli_parse_time(v, &end))
                return cli_fail(CLI_USAGE, "simulate", "--end: '%s' is not a date or RFC 3339 time",
                                v);
        } else {
            return cli_fail(CLI_USAGE, "simulate", "unknown option %s (see liftctl help simulate)",
                            a);
        }
    }
    if (!experiment || shoppers < 0) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    /* The planted effects are exact only while the probabilities stay below 1. */
    if (!(fx.conversion > -1 && fx.conversion <= 0.8))
        return cli_fail(CLI_USAGE, "simulate",
                        "--effect conversion must be above -100%% and at "
                        "most +80%%");
    if (!(fx.aov > -1 && fx.aov <= 5))
        return cli_fail(CLI_USAGE, "simulate",
                        "--effect aov must be above -100%% and at most "
                        "+500%%");
    if (!(fx.retention > -1 && (1 + fx.retention) / (1 + fx.conversion) <= 1.6))
        return cli_fail(CLI_USAGE, "simulate",
                        "--effect retention must be above -100%% and "
                        "(1 + retention) / (1 + conversion) at most 1.6");

    run r = {.key = key, .experiment = experiment, .shoppers = shoppers, .threads = (int)threads};
    lift_err err;
    if (lift_httpc_parse_url(url ? url : "http://127.0.0.1:8080", r.host, sizeof r.host, &r.port,
                             &err) != LIFT_OK)
        return cli_fail(CLI_USAGE, "simulate", "--url: %s", err.msg);
    char control[128] = "";
    int rc = find_experiment(&r, control, sizeof control);
    if (rc != CLI_OK)
        return rc;
    r.control = control;
    sim_params params;
    if (sim_params_init(&params, (uint64_t)seed, end, (int)days, fx) != 0)
        return cli_fail(CLI_FAIL, "simulate", "out of memory");
    r.params = &params;
    pthread_mutex_init(&r.lock, NULL);

    bool tty = isatty(2);
    int64_t t0 = lift_time_mono();
    worker *w = lift_xcalloc((size_t)threads, sizeof *w);
    int started = 0;
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){&r, i, 0};
        if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
            fail(&r, "cannot start a thread: %s", strerror(errno));
            break;
        }
        started++;
    }
    long step = shoppers / 10 > 0 ? shoppers / 10 : 1, next = step;
    while (started == threads && atomic_load(&r.done) < shoppers && !atomic_load(&r.failed)) {
        sleep_ms(tty ? 100 : 50);
        if (tty || atomic_load(&r.done) >= next) {
            progress(&r, (double)(lift_time_mono() - t0) / 1e6, tty);
            next = (atomic_load(&r.done) / step + 1) * step;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(w[i].thread, NULL);
    free(w);
    double seconds = (double)(lift_time_mono() - t0) / 1e6;
    if (tty) {
        progress(&r, seconds, true);
        fputc('\n', stderr);
    }
    sim_params_fini(&params);
    pthread_mutex_destroy(&r.lock);
    if (atomic_load(&r.failed))
        return cli_fail(CLI_FAIL, "simulate", "%s", r.error);
    long rows = atomic_load(&r.exposures) + atomic_load(&r.events);
    printf("simulate: %ld shoppers (%ld assigned to %s), %ld exposures, %ld events sent "
           "(%ld accepted, %ld duplicates) in %.1f s: %.0f shoppers/s, %.0f rows/s\n",
           shoppers, (long)r.assigned, experiment, (long)r.exposures, (long)r.events,
           (long)r.accepted, (long)r.duplicates, seconds, (double)shoppers / seconds,
           (double)rows / seconds);
    return CLI_OK;
}
