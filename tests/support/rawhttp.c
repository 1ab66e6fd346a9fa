/* Test fixture: a raw HTTP/1.1 exchange over loopback TCP. */
#define _GNU_SOURCE /* memmem */
#include "rawhttp.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts the complete responses in buf (each framed by its Content-Length) and copies
 * the first one's head and body into a. */
static int parse(const char *buf, size_t len, raw_answer *a)
{
    size_t off = 0;
    int n = 0;
    while (off + 12 < len && !strncmp(buf + off, "HTTP/1.", 7)) {
        const char *end = memmem(buf + off, len - off, "\r\n\r\n", 4);
        if (!end)
            break;
        size_t head = (size_t)(end - (buf + off)) + 4;
        size_t cl = 0;
        for (const char *p = buf + off; p < end; p = strstr(p, "\r\n") + 2)
            if (!strncasecmp(p, "Content-Length:", 15))
                cl = strtoul(p + 15, NULL, 10);
        if (off + head + cl > len)
            break;
        if (n == 0) {
            a->status = atoi(buf + off + 9);
            snprintf(a->head, sizeof a->head, "%.*s", (int)head, buf + off);
            snprintf(a->body, sizeof a->body, "%.*s", (int)cl, buf + off + head);
        }
        n++;
        off += head + cl;
    }
    return n;
}

void raw_exchange(int port, const char *req, size_t len, int wait_ms, raw_answer *a)
{
    memset(a, 0, sizeof *a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    double t0 = now_s();
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may answer and close before reading everything */
        off += (size_t)n;
    }
    static char buf[1 << 16];
    size_t got = 0;
    a->seconds = -1;
    while (now_s() - t0 < 10) {
        struct pollfd p = {fd, POLLIN, 0};
        int idle = wait_ms > 0 && a->responses > 0 ? wait_ms : 10000;
        if (poll(&p, 1, idle) <= 0)
            break; /* quiet for wait_ms after an answer: the connection is kept alive */
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (n <= 0) {
            a->closed = true;
            break;
        }
        got += (size_t)n;
        buf[got] = '\0';
        int before = a->responses;
        a->responses = parse(buf, got, a);
        if (a->responses && !before)
            a->seconds = now_s() - t0;
        if (wait_ms == 0 && a->responses)
            break;
    }
    close(fd);
    buf[got] = '\0';
    if (a->responses == 0) {
        /* Not a whole response (a bare status line, or nothing): take what is there. */
        if (got > 12 && !strncmp(buf, "HTTP/1.", 7))
            a->status = atoi(buf + 9);
        const char *body = strstr(buf, "\r\n\r\n");
        if (body)
            snprintf(a->body, sizeof a->body, "%s", body + 4);
    }
    if (a->seconds < 0)
        a->seconds = now_s() - t0;
    size_t keep = got < sizeof a->all - 1 ? got : sizeof a->all - 1;
    memcpy(a->all, buf, keep);
    a->all[keep] = '\0';
}

bool raw_has_header(const raw_answer *a, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = a->head; (p = strstr(p, "\r\n")) != NULL;) {
        p += 2;
        if (!strncasecmp(p, line, n) && (p[n] == '\r' || p[n] == '\0'))
            return true;
    }
    return false;
}
