/* Connection abuse: a thousand idle or slow (slowloris) connections must not stop other
 * clients from being served; idle ones are closed after the connection timeout; past the
 * connection limit new connections are turned away without harm, and service resumes as
 * the abusers time out. Loopback only; every loop bounded in count and time. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "support/liftd.h"
#include "support/pgtest.h"

#define ABUSERS 1000

static lift_db *db;
static char conninfo[1024];
static liftd_proc d;
static int fds[ABUSERS];
static int nfds;

static void start(const char *const *args)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max; /* a thousand sockets here, as many in liftd */
    setrlimit(RLIMIT_NOFILE, &rl);
    cr_assert_geq(rl.rlim_cur, 2 * ABUSERS + 100, "RLIMIT_NOFILE %lu is too low",
                  (unsigned long)rl.rlim_cur);
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
    memset(&d, 0, sizeof d);
    liftd_start(&d, conninfo, args, NULL);
}

static void teardown(void)
{
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    nfds = 0;
    if (d.pid > 0)
        liftd_stop(&d, SIGTERM);
    lift_db_close(db);
}

TestSuite(connections, .fini = teardown, .timeout = 120);

static void nap_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)d.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Opens n abusive connections: even ones stay idle, odd ones start a request they never
 * finish. */
static void open_abusers(int n)
{
    for (int i = 0; i < n; i++) {
        int fd = dial();
        cr_assert_geq(fd, 0, "connection %d refused", i);
        if (i % 2) {
            static const char start_line[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
            send(fd, start_line, sizeof start_line - 1, MSG_NOSIGNAL);
        }
        fds[nfds++] = fd;
    }
}

/* Waits up to ms for the answer on fd; checks its status line ("HTTP/1.1 200"). */
static void answered(int fd, int ms, const char *status_line, const char *what)
{
    struct pollfd p = {fd, POLLIN, 0};
    cr_assert_eq(poll(&p, 1, ms), 1, "%s", what);
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    cr_assert_gt(n, 12);
    buf[n] = '\0';
    cr_assert(!strncmp(buf, status_line, 12), "%s", buf);
}

/* One more byte on every slow connection (a slowloris keeps its request alive). */
static void trickle(void)
{
    for (int i = 1; i < nfds; i += 2)
        send(fds[i], "a", 1, MSG_NOSIGNAL);
}

/* How many abusive connections the server has closed (readable with EOF or reset). */
static int closed_by_server(void)
{
    int closed = 0;
    for (int i = 0; i < nfds; i++) {
        struct pollfd p = {fds[i], POLLIN, 0};
        char c[512];
        if (poll(&p, 1, 0) == 1 && recv(fds[i], c, sizeof c, MSG_DONTWAIT) <= 0)
            closed++;
    }
    return closed;
}

/* A well-behaved client: `n` assignments, each must be answered 200. */
static void served(int n, const char *what)
{
    lift_err err;
    lift_httpc *c = lift_httpc_open("127.0.0.1", d.port, 5000, &err);
    cr_assert(c, "%s: cannot connect: %s", what, err.msg);
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    int64_t worst = 0;
    for (int i = 0; i < n; i++) {
        char target[64];
        snprintf(target, sizeof target, "/v1/assign?unit=good-%d&expose=0", i);
        int64_t t0 = lift_time_mono();
        cr_assert_eq(lift_httpc_request(c, "GET", target, NULL, NULL, 0, &r, &err), LIFT_OK,
                     "%s: request %d: %s", what, i, err.msg);
        cr_assert_eq(r.status, 200, "%s: request %d: %d", what, i, r.status);
        if (lift_time_mono() - t0 > worst)
            worst = lift_time_mono() - t0;
        if (i % 50 == 0)
            trickle();
    }
    lift_buf_fini(&r.body);
    lift_httpc_close(c);
    cr_log_info("%s: %d requests served, slowest %.1f ms", what, n, (double)worst / 1000);
}

Test(connections, a_thousand_idle_and_slow_connections_do_not_stop_service)
{
    const char *args[] = {"--connection-timeout", "3", NULL};
    start(args);
    open_abusers(ABUSERS);
    served(500, "with 1000 idle and slow connections open");
    /* After the timeout the idle ones are gone; the slow ones go as soon as they stop. */
    nap_ms(4500);
    int closed = closed_by_server();
    cr_assert_geq(closed, ABUSERS / 2, "only %d of %d connections closed after the timeout", closed,
                  ABUSERS);
    served(100, "after the timeout");
    cr_assert_eq(kill(d.pid, 0), 0);
}

Test(connections, past_the_limit_new_connections_wait_until_abusers_time_out)
{
    const char *args[] = {"--connection-limit", "200", "--connection-timeout", "3", NULL};
    start(args);
    open_abusers(200);
    nap_ms(200);
    /* The 201st waits in the kernel's queue, unanswered, while the limit is taken... */
    int fd = dial();
    cr_assert_geq(fd, 0);
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
    struct pollfd p = {fd, POLLIN, 0};
    cr_assert_eq(poll(&p, 1, 1000), 0, "a connection past the limit was served at once");
    /* ...and is served once the idle and slow ones time out. */
    int64_t t0 = lift_time_mono();
    answered(fd, 6000, "HTTP/1.1 200", "still not served after the abusers' timeout");
    close(fd);
    cr_log_info("past the limit of 200: served %.1f s later, when the abusers timed out",
                1 + (double)(lift_time_mono() - t0) / 1e6);
    served(50, "after the abusers timed out");
    cr_assert_eq(kill(d.pid, 0), 0);
}

Test(connections, shutdown_refuses_new_connections_and_answers_what_it_holds)
{
    start(NULL);
    /* Hold the writer: lift.events locked, so the POST below stays suspended in liftd. */
    lift_err err;
    lift_db *locker = lift_db_open(conninfo, &err);
    cr_assert(locker, "%s", err.msg);
    pgtest_ok(locker, "BEGIN; LOCK TABLE lift.events IN ACCESS EXCLUSIVE MODE");
    static const char body[] =
        "{\"events\":[{\"event_id\":\"held-1\",\"unit\":\"u\",\"type\":\"t\"}]}";
    char req[512];
    int len = snprintf(req, sizeof req,
                       "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TEST_KEY
                       "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                       sizeof body - 1, body);
    int held = dial();
    cr_assert_geq(held, 0);
    cr_assert_eq(send(held, req, (size_t)len, MSG_NOSIGNAL), len);
    int64_t t0 = lift_time_mono();
    while (atoi(pgtest_value(db, "SELECT count(*) FROM pg_locks WHERE NOT granted")) == 0) {
        cr_assert_lt(lift_time_mono() - t0, 10000000, "the writer never waited for the lock");
        nap_ms(5);
    }
    cr_assert_eq(kill(d.pid, SIGTERM), 0);
    /* Once shutdown starts, a new connection is refused at once (not left in the queue). */
    t0 = lift_time_mono();
    int fd;
    while ((fd = dial()) >= 0) {
        close(fd);
        cr_assert_lt(lift_time_mono() - t0, 5000000,
                     "still accepting connections 5 s after SIGTERM");
        nap_ms(5);
    }
    cr_assert_eq(errno, ECONNREFUSED, "%s", strerror(errno));
    /* The batch it holds is answered, once committed. */
    pgtest_ok(locker, "ROLLBACK");
    lift_db_close(locker);
    answered(held, 10000, "HTTP/1.1 202", "the held POST was not answered");
    close(held);
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    cr_assert_str_eq(pgtest_value(db, "SELECT string_agg(event_id, ',') FROM lift.events"),
                     "held-1");
}
