/* Server-sent-event streams of the GrowthBook payload (see sse.h).
 *
 * Each stream has a buffer of bytes not yet sent. libmicrohttpd asks its content reader for
 * bytes; with none pending the reader suspends the connection (allowed from a content
 * reader, microhttpd.h) and returns 0. The hub thread appends an event to every buffer and
 * resumes the suspended ones. Locks: the reader holds the hub lock while it suspends; the
 * hub resumes only after releasing it (a connection marked for resumption cannot be freed
 * before it is resumed: libmicrohttpd does not touch a suspended connection). */
#include "sse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/log.h"

#define MAX_PENDING (4u << 20) /* a client this far behind is dropped */

typedef struct stream {
    struct stream *prev, *next;
    lift_sse *hub;
    struct MHD_Connection *conn;
    unsigned char digest[32]; /* of its client key */
    lift_buf out;
    size_t sent;
    bool suspended, resume_pending, done;
} stream;

struct lift_sse {
    lift_app *app;
    pthread_t thread;
    pthread_mutex_t lock;
    stream *head;
    bool closing;
    char pushed[24]; /* etag of the last payload pushed */
};

static void append_event(stream *s, const lift_payload *p)
{
    lift_buf_puts(&s->out, "event: features\ndata: ");
    lift_buf_append(&s->out, p->body, p->len - 1); /* without its newline */
    lift_buf_puts(&s->out, "\n\n");
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *s = cls;
    lift_sse *h = s->hub;
    pthread_mutex_lock(&h->lock);
    s->resume_pending = false;
    if (s->out.failed)
        s->done = true;
    if (!s->done && s->sent < s->out.len) {
        size_t n = s->out.len - s->sent < max ? s->out.len - s->sent : max;
        memcpy(buf, s->out.data + s->sent, n);
        s->sent += n;
        if (s->sent == s->out.len) {
            lift_buf_reset(&s->out);
            s->sent = 0;
        }
        pthread_mutex_unlock(&h->lock);
        return (ssize_t)n;
    }
    if (h->closing || s->done) {
        pthread_mutex_unlock(&h->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

static void stream_free(void *cls)
{
    stream *s = cls;
    lift_sse *h = s->hub;
    pthread_mutex_lock(&h->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        h->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&h->lock);
    atomic_fetch_sub(&h->app->metrics.sse_streams, 1);
    lift_buf_fini(&s->out);
    free(s);
}

/* Runs fn on every stream under the lock, then resumes those it woke. */
typedef void (*visit_fn)(stream *s, void *arg);

static void visit(lift_sse *h, visit_fn fn, void *arg)
{
    struct MHD_Connection *stack[256], **wake = stack;
    size_t n = 0, cap = 256;
    pthread_mutex_lock(&h->lock);
    for (stream *s = h->head; s; s = s->next) {
        fn(s, arg);
        if (s->suspended) {
            if (n == cap) {
                struct MHD_Connection **more = malloc(2 * cap * sizeof *more);
                if (!more)
                    break; /* the rest waits for the next round */
                memcpy(more, wake, n * sizeof *more);
                if (wake != stack)
                    free(wake);
                wake = more;
                cap *= 2;
            }
            s->suspended = false;
            s->resume_pending = true;
            wake[n++] = s->conn;
        }
    }
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; i < n; i++)
        MHD_resume_connection(wake[i]);
    if (wake != stack)
        free(wake);
}

typedef struct push {
    const lift_config *cfg;
    const lift_payload *p; /* NULL: a keep-alive comment only */
    unsigned long pushed;
} push;

static void push_one(stream *s, void *arg)
{
    push *x = arg;
    if (s->done)
        return;
    if (x->cfg && !lift_config_client_key(x->cfg, s->digest)) {
        s->done = true; /* its key was revoked */
        return;
    }
    if (x->p) {
        append_event(s, x->p);
        x->pushed++;
    } else {
        lift_buf_puts(&s->out, ": ping\n\n");
    }
    if (s->out.len - s->sent > MAX_PENDING)
        s->done = true;
}

static void end_one(stream *s, void *arg)
{
    (void)s;
    (void)arg;
}

static void *run(void *arg)
{
    lift_sse *h = arg;
    lift_app *app = h->app;
    unsigned long seen = 0;
    int64_t next_ping = lift_time_mono() + LIFT_SSE_PING_S * 1000000LL, valid_until = INT64_MAX;
    for (;;) {
        int64_t mono = lift_time_mono(), now = lift_time_now();
        int64_t wait = next_ping - mono;
        if (valid_until != INT64_MAX && valid_until - now < wait)
            wait = valid_until - now;
        int ms = wait <= 0 ? 0 : (int)(wait / 1000) + 1;
        seen = lift_snapshot_wait(app->snaps, seen, ms);
        pthread_mutex_lock(&h->lock);
        bool closing = h->closing;
        pthread_mutex_unlock(&h->lock);
        if (closing)
            break;
        lift_pin pin;
        const lift_config *cfg = lift_snapshot_enter(app->snaps, &pin);
        lift_payload *p = cfg ? lift_features_get(app->features, cfg, lift_time_now()) : NULL;
        if (p) {
            valid_until = p->valid_until;
            if (strcmp(p->etag, h->pushed) != 0) {
                push x = {cfg, p, 0};
                visit(h, push_one, &x);
                memcpy(h->pushed, p->etag, sizeof h->pushed);
                atomic_fetch_add(&app->metrics.sse_pushes, x.pushed);
                if (x.pushed)
                    lift_log(LIFT_LOG_DEBUG, "sse pushed version=%lld streams=%lu",
                             (long long)p->version, x.pushed);
            }
            lift_payload_unref(p);
        }
        lift_snapshot_leave(app->snaps, &pin);
        if (lift_time_mono() >= next_ping) {
            push x = {NULL, NULL, 0};
            visit(h, push_one, &x);
            next_ping = lift_time_mono() + LIFT_SSE_PING_S * 1000000LL;
        }
    }
    return NULL;
}

lift_sse *lift_sse_start(lift_app *app, lift_err *err)
{
    lift_sse *h = calloc(1, sizeof *h);
    if (!h) {
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
        return NULL;
    }
    h->app = app;
    pthread_mutex_init(&h->lock, NULL);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        pthread_mutex_destroy(&h->lock);
        free(h);
        lift_err_set(err, LIFT_EIO, "cannot start the SSE thread");
        return NULL;
    }
    return h;
}

void lift_sse_close(lift_sse *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->closing = true;
    pthread_mutex_unlock(&h->lock);
    visit(h, end_one, NULL);
    lift_snapshot_wake(h->app->snaps);
    for (int waited = 0; waited < 2000; waited++) {
        bool pending = false;
        pthread_mutex_lock(&h->lock);
        for (stream *s = h->head; s && !pending; s = s->next)
            pending = s->resume_pending || s->suspended;
        pthread_mutex_unlock(&h->lock);
        if (!pending)
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    lift_log(LIFT_LOG_WARN, "sse: streams still suspended after 2 s at shutdown");
}

void lift_sse_free(lift_sse *h)
{
    if (!h)
        return;
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

enum MHD_Result lift_sse_subscribe(lift_sse *h, lift_http_request *req, const lift_client_key *k,
                                   const lift_payload *p)
{
    stream *s = calloc(1, sizeof *s);
    if (!s)
        return lift_http_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out_of_memory",
                               "out of memory", NULL);
    s->hub = h;
    s->conn = req->conn;
    memcpy(s->digest, k->digest, sizeof s->digest);
    lift_buf_init(&s->out);
    /* EventSource reconnects after `retry` ms when the stream breaks. */
    lift_buf_puts(&s->out, "retry: 2000\n\n");
    append_event(s, p);
    pthread_mutex_lock(&h->lock);
    bool closing = h->closing;
    if (!closing) {
        s->next = h->head;
        if (h->head)
            h->head->prev = s;
        h->head = s;
    }
    pthread_mutex_unlock(&h->lock);
    if (closing) {
        lift_buf_fini(&s->out);
        free(s);
        return lift_http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "liftd is shutting down; retry later", NULL);
    }
    atomic_fetch_add(&h->app->metrics.sse_streams, 1);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, s, stream_free);
    if (!r) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: do not buffer the stream */
    return lift_http_queue(req, MHD_HTTP_OK, r);
}
