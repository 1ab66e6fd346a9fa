/* Test fixture: raw bytes over TCP to a server on loopback, and what came back, for the
 * hostile-input and framing catalogues (requests no HTTP client library would send). */
#ifndef LIFT_TEST_RAWHTTP_H
#define LIFT_TEST_RAWHTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct raw_answer {
    int status;      /* of the first response; 0: the connection closed without one */
    int responses;   /* complete responses received */
    bool closed;     /* the server closed the connection */
    double seconds;  /* until the first response was complete (or the end) */
    char head[2048]; /* the first response's status line and headers */
    char body[4096]; /* the first response's body */
    char all[16384]; /* everything received, cut to fit */
} raw_answer;

/* Connects to 127.0.0.1:port, sends req[0..len), and reads. With wait_ms == 0 it stops
 * once the first response is complete; otherwise it reads until the server closes, or
 * nothing arrives for wait_ms (a kept-alive connection), up to 10 s in all. */
void raw_exchange(int port, const char *req, size_t len, int wait_ms, raw_answer *a);

/* Whether the first response has this header line, e.g. "Connection: close" (case of the
 * name ignored). */
bool raw_has_header(const raw_answer *a, const char *line);

#endif
