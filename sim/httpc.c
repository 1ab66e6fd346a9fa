/* HTTP/1.1 client: keep-alive, Content-Length and chunked bodies, timeouts. */
#include "lift/httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct lift_httpc {
    int fd;
    bool closed; /* the server said Connection: close */
    char host[256];
    int port, timeout_ms;
    char in[65536]; /* read buffer */
    size_t in_len, in_pos;
};

int lift_httpc_parse_url(const char *url, char *host, size_t hostlen, int *port, lift_err *err)
{
    if (strncmp(url, "http://", 7) != 0)
        return lift_err_set(err, LIFT_EINVAL, "url '%s': expected http://HOST:PORT", url);
    const char *h = url + 7, *end = h + strcspn(h, "/");
    const char *colon = NULL;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close)
            return lift_err_set(err, LIFT_EINVAL, "url '%s': unclosed [", url);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        h++;
        end = close;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
    }
    const char *hend = colon && colon < end ? colon : end;
    if ((size_t)(hend - h) >= hostlen || hend == h)
        return lift_err_set(err, LIFT_EINVAL, "url '%s': bad host", url);
    memcpy(host, h, (size_t)(hend - h));
    host[hend - h] = '\0';
    *port = colon ? atoi(colon + 1) : 80;
    if (*port <= 0 || *port > 65535)
        return lift_err_set(err, LIFT_EINVAL, "url '%s': bad port", url);
    return LIFT_OK;
}

static int dial(lift_httpc *c, lift_err *err)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(c->host, port, &hints, &res);
    if (rc != 0)
        return lift_err_set(err, LIFT_EIO, "%s: %s", c->host, gai_strerror(rc));
    c->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, res->ai_addr, res->ai_addrlen) != 0) {
        rc = lift_err_set(err, LIFT_EIO, "connect %s:%d: %s", c->host, c->port, strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        freeaddrinfo(res);
        return rc;
    }
    freeaddrinfo(res);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->closed = false;
    c->in_len = c->in_pos = 0;
    return LIFT_OK;
}

lift_httpc *lift_httpc_open(const char *host, int port, int timeout_ms, lift_err *err)
{
    lift_httpc *c = calloc(1, sizeof *c);
    if (!c) {
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    c->timeout_ms = timeout_ms;
    if (dial(c, err) != LIFT_OK) {
        free(c);
        return NULL;
    }
    return c;
}

void lift_httpc_close(lift_httpc *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static int wait_fd(lift_httpc *c, short events, lift_err *err)
{
    struct pollfd p = {c->fd, events, 0};
    int n = poll(&p, 1, c->timeout_ms);
    if (n == 0)
        return lift_err_set(err, LIFT_EIO, "timed out after %d ms", c->timeout_ms);
    if (n < 0)
        return lift_err_set(err, LIFT_EIO, "poll: %s", strerror(errno));
    return LIFT_OK;
}

static int send_all(lift_httpc *c, const char *p, size_t n, lift_err *err)
{
    while (n) {
        int rc = wait_fd(c, POLLOUT, err);
        if (rc != LIFT_OK)
            return rc;
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return lift_err_set(err, LIFT_EIO, "send: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return LIFT_OK;
}

/* Refills the read buffer; LIFT_EIO at EOF. */
static int fill(lift_httpc *c, lift_err *err)
{
    if (c->in_pos == c->in_len)
        c->in_pos = c->in_len = 0;
    if (c->in_len == sizeof c->in) {
        memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
        c->in_len -= c->in_pos;
        c->in_pos = 0;
    }
    for (;;) {
        int rc = wait_fd(c, POLLIN, err);
        if (rc != LIFT_OK)
            return rc;
        ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return lift_err_set(err, LIFT_EIO, "recv: %s", strerror(errno));
        if (r == 0)
            return lift_err_set(err, LIFT_EIO, "the server closed the connection");
        c->in_len += (size_t)r;
        return LIFT_OK;
    }
}

/* One line ending in CRLF, without it, into line[cap]. */
static int read_line(lift_httpc *c, char *line, size_t cap, lift_err *err)
{
    for (;;) {
        char *nl = memchr(c->in + c->in_pos, '\n', c->in_len - c->in_pos);
        if (nl) {
            size_t n = (size_t)(nl - (c->in + c->in_pos));
            size_t keep = n && nl[-1] == '\r' ? n - 1 : n;
            if (keep >= cap)
                keep = cap - 1;
            memcpy(line, c->in + c->in_pos, keep);
            line[keep] = '\0';
            c->in_pos += n + 1;
            return LIFT_OK;
        }
        if (c->in_len - c->in_pos >= sizeof c->in / 2)
            return lift_err_set(err, LIFT_EIO, "header line too long");
        int rc = fill(c, err);
        if (rc != LIFT_OK)
            return rc;
    }
}

static int read_body(lift_httpc *c, size_t n, lift_buf *out, lift_err *err)
{
    while (n) {
        if (c->in_pos == c->in_len) {
            int rc = fill(c, err);
            if (rc != LIFT_OK)
                return rc;
        }
        size_t take = c->in_len - c->in_pos < n ? c->in_len - c->in_pos : n;
        lift_buf_append(out, c->in + c->in_pos, take);
        c->in_pos += take;
        n -= take;
    }
    return LIFT_OK;
}

static int read_response(lift_httpc *c, bool head, lift_httpc_response *resp, lift_err *err)
{
    char line[8192];
    int rc = read_line(c, line, sizeof line, err);
    if (rc != LIFT_OK)
        return rc;
    if (sscanf(line, "HTTP/1.%*d %d", &resp->status) != 1)
        return lift_err_set(err, LIFT_EIO, "bad status line: %.80s", line);
    long long length = -1;
    bool chunked = false;
    c->closed = false;
    for (;;) {
        if ((rc = read_line(c, line, sizeof line, err)) != LIFT_OK)
            return rc;
        if (!line[0])
            break;
        size_t used = strlen(resp->head);
        snprintf(resp->head + used, sizeof resp->head - used, "%s\n", line);
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (!strcasecmp(line, "Content-Length"))
            length = atoll(v);
        else if (!strcasecmp(line, "Transfer-Encoding") && !strcasecmp(v, "chunked"))
            chunked = true;
        else if (!strcasecmp(line, "Connection") && !strcasecmp(v, "close"))
            c->closed = true;
        else if (!strcasecmp(line, "Retry-After"))
            snprintf(resp->retry_after, sizeof resp->retry_after, "%s", v);
        else if (!strcasecmp(line, "Content-Type"))
            snprintf(resp->content_type, sizeof resp->content_type, "%s", v);
    }
    if (head || resp->status == 204 || resp->status == 304)
        return LIFT_OK;
    if (chunked) {
        for (;;) {
            if ((rc = read_line(c, line, sizeof line, err)) != LIFT_OK)
                return rc;
            size_t n = strtoul(line, NULL, 16);
            if (n == 0)
                return read_line(c, line, sizeof line, err); /* the final CRLF */
            if ((rc = read_body(c, n, &resp->body, err)) != LIFT_OK ||
                (rc = read_line(c, line, sizeof line, err)) != LIFT_OK)
                return rc;
        }
    }
    if (length >= 0)
        return read_body(c, (size_t)length, &resp->body, err);
    /* No length: the body runs to the end of the connection. */
    c->closed = true;
    for (;;) {
        lift_buf_append(&resp->body, c->in + c->in_pos, c->in_len - c->in_pos);
        c->in_pos = c->in_len;
        lift_err ignore;
        if (fill(c, &ignore) != LIFT_OK)
            return LIFT_OK;
    }
}

bool lift_httpc_header(const lift_httpc_response *r, const char *name, char *out, size_t len)
{
    size_t n = strlen(name);
    for (const char *p = r->head; *p;) {
        const char *end = strchr(p, '\n');
        if (!end)
            break;
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, len, "%.*s", (int)(end - v), v);
            return true;
        }
        p = end + 1;
    }
    if (len)
        out[0] = '\0';
    return false;
}

int lift_httpc_request(lift_httpc *c, const char *method, const char *target,
                       const char *const *headers, const char *body, size_t len,
                       lift_httpc_response *resp, lift_err *err)
{
    if (c->closed || c->fd < 0) {
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        int rc = dial(c, err);
        if (rc != LIFT_OK)
            return rc;
    }
    lift_buf req;
    lift_buf_init(&req);
    lift_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", method, target, c->host, c->port);
    for (const char *const *h = headers; h && *h; h++)
        lift_buf_printf(&req, "%s\r\n", *h);
    if (body)
        lift_buf_printf(&req, "Content-Length: %zu\r\n", len);
    lift_buf_puts(&req, "\r\n");
    if (body)
        lift_buf_append(&req, body, len);
    resp->status = 0;
    resp->retry_after[0] = resp->content_type[0] = resp->head[0] = '\0';
    lift_buf_reset(&resp->body);
    int rc = req.failed ? lift_err_set(err, LIFT_ENOMEM, "out of memory")
                        : send_all(c, req.data, req.len, err);
    lift_buf_fini(&req);
    /* A server may answer early and stop reading (413 for a body too large): after a
     * failed send, the answer may still be waiting to be read. */
    if (rc == LIFT_OK) {
        rc = read_response(c, !strcmp(method, "HEAD"), resp, err);
    } else if (rc == LIFT_EIO) {
        lift_err ignored;
        if (read_response(c, !strcmp(method, "HEAD"), resp, &ignored) == LIFT_OK)
            rc = LIFT_OK;
    }
    if (rc != LIFT_OK)
        c->closed = true; /* unknown state: start afresh next time */
    return rc;
}
