/* libmicrohttpd glue: daemon options, the route table, the two-call request idiom,
 * bodies and limits, replies with metrics. */
#include "http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access.h"
#include "lift/log.h"

typedef enum MHD_Result (*lift_route_fn)(lift_http_request *);

typedef struct lift_route {
    const char *method, *path;
    lift_route_id id;
    lift_route_fn fn;
    bool keyed;   /* path ends in "/": one more segment follows, the {key} */
    bool clients; /* client keys may call it: CORS preflights are answered */
} lift_route;

static const lift_route routes[] = {
    {MHD_HTTP_METHOD_GET, "/v1/assign", LIFT_ROUTE_ASSIGN, lift_api_assign, false, true},
    {MHD_HTTP_METHOD_POST, "/v1/events", LIFT_ROUTE_EVENTS, lift_api_events, false, true},
    {MHD_HTTP_METHOD_POST, "/v1/exposures", LIFT_ROUTE_EXPOSURES, lift_api_exposures, false, true},
    {MHD_HTTP_METHOD_GET, "/v1/experiments", LIFT_ROUTE_EXPERIMENTS, lift_api_experiments, false,
     false},
    {MHD_HTTP_METHOD_GET, "/healthz", LIFT_ROUTE_HEALTHZ, lift_api_healthz, false, false},
    {MHD_HTTP_METHOD_GET, "/readyz", LIFT_ROUTE_READYZ, lift_api_readyz, false, false},
    {MHD_HTTP_METHOD_GET, "/metrics", LIFT_ROUTE_METRICS, lift_api_metrics, false, false},
    {MHD_HTTP_METHOD_GET, "/api/features/", LIFT_ROUTE_FEATURES, lift_api_features, true, true},
    {MHD_HTTP_METHOD_GET, "/sub/", LIFT_ROUTE_SUB, lift_api_sub, true, true},
    {MHD_HTTP_METHOD_POST, "/ofrep/v1/evaluate/flags/", LIFT_ROUTE_OFREP_FLAG, lift_api_ofrep_flag,
     true, true},
    {MHD_HTTP_METHOD_POST, "/ofrep/v1/evaluate/flags", LIFT_ROUTE_OFREP_BULK, lift_api_ofrep_bulk,
     false, true},
};
#define NROUTES (sizeof routes / sizeof *routes)

/* The route for a path, whatever the method; NULL when none. A keyed route matches its
 * prefix plus one non-empty segment, which *key points at. */
static const lift_route *find_path(const char *url, const char **key)
{
    for (size_t i = 0; i < NROUTES; i++) {
        const char *p = routes[i].path;
        if (!routes[i].keyed) {
            if (strcmp(p, url) == 0)
                return &routes[i];
            continue;
        }
        size_t n = strlen(p);
        if (strncmp(p, url, n) == 0 && url[n] && !strchr(url + n, '/')) {
            *key = url + n;
            return &routes[i];
        }
    }
    return NULL;
}

void lift_http_header(lift_http_request *req, const char *name, const char *value)
{
    if (req->nheaders < (int)(sizeof req->headers / sizeof *req->headers)) {
        req->headers[req->nheaders].name = name;
        snprintf(req->headers[req->nheaders++].value, sizeof req->headers[0].value, "%s", value);
    }
}

enum MHD_Result lift_http_queue(lift_http_request *req, unsigned status, struct MHD_Response *r)
{
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    for (size_t i = 0; status == MHD_HTTP_METHOD_NOT_ALLOWED && i < NROUTES; i++)
        if (routes[i].id == req->route)
            MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                    strcmp(routes[i].method, MHD_HTTP_METHOD_GET) ? "POST"
                                                                                  : "GET, HEAD");
    for (int i = 0; i < req->nheaders; i++)
        MHD_add_response_header(r, req->headers[i].name, req->headers[i].value);
    if (req->cors_origin[0])
        lift_cors_headers(r, req->cors_origin);
    if (atomic_load_explicit(&req->app->stopping, memory_order_relaxed))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(req->conn, status, r);
    /* MHD refcounts responses; destroying here only drops our reference. */
    MHD_destroy_response(r);
    lift_metrics_request(&req->app->metrics, req->route, (int)status,
                         lift_time_mono() - req->started);
    return rc;
}

enum MHD_Result lift_http_reply(lift_http_request *req, unsigned status, char *body, size_t len,
                                const char *content_type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    return lift_http_queue(req, status, r);
}

bool lift_http_json_content(lift_http_request *req)
{
    const char *ct =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return false;
    const char *rest = ct + 16;
    while (*rest == ' ')
        rest++;
    return *rest == '\0' || *rest == ';';
}

bool lift_http_etag_matches(lift_http_request *req, const char *etag)
{
    const char *h =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (!h)
        return false;
    size_t n = strlen(etag);
    for (const char *p = h; *p;) { /* a list: "a", W/"b", * */
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2; /* If-None-Match compares weakly (RFC 9110 13.1.2) */
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

enum MHD_Result lift_http_json(lift_http_request *req, unsigned status, lift_buf *b)
{
    lift_buf_puts(b, "\n");
    size_t len;
    char *body = lift_buf_steal(b, &len);
    if (!body)
        return MHD_NO;
    return lift_http_reply(req, status, body, len, "application/json");
}

enum MHD_Result lift_http_error(lift_http_request *req, unsigned status, const char *code,
                                const char *message, const char *field)
{
    lift_buf b;
    lift_jw w;
    lift_buf_init(&b);
    lift_jw_init(&w, &b, false);
    lift_jw_obj(&w);
    lift_jw_key(&w, "error");
    lift_jw_obj(&w);
    lift_jw_key(&w, "code");
    lift_jw_str(&w, code);
    lift_jw_key(&w, "message");
    /* Messages may quote input; JSON must stay valid UTF-8. */
    lift_jw_str(&w, lift_utf8_valid(message, strlen(message)) ? message : "invalid input");
    if (field && *field && lift_utf8_valid(field, strlen(field))) {
        lift_jw_key(&w, "field");
        lift_jw_str(&w, field);
    }
    lift_jw_end(&w);
    lift_jw_end(&w);
    return lift_http_json(req, status, &b);
}

bool lift_http_authorized(lift_http_request *req)
{
    const char *h =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return lift_keys_check(req->app->keys, h);
}

static enum MHD_Result dispatch(lift_http_request *req, const char *url, const char *method)
{
    if (req->no_host)
        return lift_http_error(req, MHD_HTTP_BAD_REQUEST, "bad_request",
                               "an HTTP/1.1 request needs a Host header", "Host");
    const char *key = NULL;
    const lift_route *rt = find_path(url, &key);
    if (!rt) {
        char msg[160];
        snprintf(msg, sizeof msg, "no such route: %.20s %.100s", method, url);
        return lift_http_error(req, MHD_HTTP_NOT_FOUND, "not_found", msg, NULL);
    }
    bool get = !strcmp(rt->method, MHD_HTTP_METHOD_GET);
    req->path_key = key;
    if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS))
        return lift_cors_preflight(req, rt->method, rt->clients);
    if (strcmp(method, rt->method) != 0 && !(get && !strcmp(method, MHD_HTTP_METHOD_HEAD))) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s takes %s, not %.20s", rt->path, get ? "GET" : "POST", method);
        return lift_http_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", msg, NULL);
    }
    if (req->too_large) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is over the limit of %ld bytes",
                 req->app->opts->max_body);
        return lift_http_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", msg, "body");
    }
    return rt->fn(req);
}

/* The two-call idiom: the first call only sets up (answering at once would make MHD
 * close the connection, costing keep-alive); upload calls collect the body; the last call
 * answers. A suspended POST comes back here once more after the writer resumes it. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req_cls)
{
    lift_app *app = cls;
    lift_http_request *req = *req_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->app = app;
        req->conn = conn;
        req->started = lift_time_mono();
        const char *key = NULL;
        const lift_route *rt = find_path(url, &key);
        req->route = rt ? rt->id : LIFT_ROUTE_OTHER;
        lift_buf_init(&req->body);
        *req_cls = req;
        req->no_host = !strcmp(version, MHD_HTTP_VERSION_1_1) &&
                       !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        if (declared > (unsigned long long)app->opts->max_body) {
            req->too_large = true;
            /* A body up to 16 times the limit is read and dropped, so that the client sees
             * the 413 (closing with unread data makes the kernel reset the connection,
             * losing the answer); past that, refuse at once and close. */
            if (declared > 16ULL * (unsigned long long)app->opts->max_body)
                return dispatch(req, url, method);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!req->too_large && req->body.len + *upload_size > (size_t)app->opts->max_body) {
            req->too_large = true;
            lift_buf_fini(&req->body);
        }
        if (!req->too_large)
            lift_buf_append(&req->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->body.failed)
        return lift_http_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out_of_memory",
                               "out of memory", NULL);
    return dispatch(req, url, method);
}

void lift_http_release(lift_http_request *req)
{
    if (req->counted) {
        req->counted = false;
        atomic_fetch_sub(&req->app->suspended, 1);
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    lift_http_request *req = *req_cls;
    if (!req)
        return;
    lift_http_release(req); /* the client went away before its answer */
    lift_buf_fini(&req->body);
    lift_buf_fini(&req->job.rows);
    free(req);
    *req_cls = NULL;
}

/* Query arguments stay percent-encoded: lift_query decodes and checks them itself. */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    lift_log(LIFT_LOG_DEBUG, "http: %s", msg);
}

/* "host:port", "[v6]:port" or ":port" into an address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, bool *v6,
                        lift_err *err)
{
    char host[128];
    const char *colon = strrchr(spec, ':');
    if (!colon)
        return lift_err_field(err, LIFT_EINVAL, "listen", "listen: expected HOST:PORT, not '%s'",
                              spec);
    size_t hl = (size_t)(colon - spec);
    if (hl >= sizeof host)
        return lift_err_field(err, LIFT_EINVAL, "listen", "listen: host too long");
    memcpy(host, spec, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM},
                    *res;
    int rc = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0)
        return lift_err_field(err, LIFT_EINVAL, "listen", "listen: '%s': %s", spec,
                              gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return LIFT_OK;
}

int lift_http_start(lift_app *app, lift_err *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    bool v6 = false;
    int rc = parse_listen(app->opts->listen, &ss, &sslen, &v6, err);
    if (rc != LIFT_OK)
        return rc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    unsigned threads = (unsigned)app->opts->threads;
    app->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, app, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)app->opts->connection_limit, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)app->opts->connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)16 * 1024, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024U, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, app, MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, app,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, app, MHD_OPTION_END);
    if (!app->daemon)
        return lift_err_set(err, LIFT_EIO,
                            "cannot listen on %s (in use, or not an address of "
                            "this machine?)",
                            app->opts->listen);
    app->quiesced = MHD_INVALID_SOCKET;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(app->daemon, MHD_DAEMON_INFO_BIND_PORT);
    app->port = info ? info->port : 0;
    return LIFT_OK;
}

/* MHD hands the listening socket back, but its threads may still be using it (epoll) until
 * MHD_stop_daemon: closing it here would free a descriptor they still use (found by
 * `make tsan`). shutdown() stops the listening at once (new connections are refused, not
 * queued) and keeps the descriptor valid; lift_http_stop closes it. */
void lift_http_quiesce(lift_app *app)
{
    app->quiesced = MHD_quiesce_daemon(app->daemon);
    if (app->quiesced != MHD_INVALID_SOCKET)
        shutdown(app->quiesced, SHUT_RDWR);
}

void lift_http_stop(lift_app *app)
{
    MHD_stop_daemon(app->daemon);
    app->daemon = NULL;
    if (app->quiesced != MHD_INVALID_SOCKET)
        close(app->quiesced);
    app->quiesced = MHD_INVALID_SOCKET;
}
