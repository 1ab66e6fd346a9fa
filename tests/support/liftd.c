/* Test fixture: spawn liftd, wait for it, talk HTTP to it, stop it. */
#include "liftd.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pgtest.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int liftd_log_has(const liftd_proc *p, const char *text)
{
    FILE *f = fopen(p->log, "r");
    if (!f)
        return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* A sanitizer build of liftd (make sanitize, make tsan) writes its reports to standard
 * error, which is the log: a report fails the test that ran that liftd (it crashes the
 * test process), with the report shown (the log itself goes with the test's temporary folder).
 * Checked when liftd is stopped, and before a restart on the same home replaces the log. */
static void assert_no_sanitizer_report(const liftd_proc *p)
{
    static const char *const reports[] = {"WARNING: ThreadSanitizer:", "ERROR: AddressSanitizer:",
                                          "ERROR: LeakSanitizer:", "runtime error:"};
    for (size_t i = 0; i < sizeof reports / sizeof *reports; i++) {
        if (!liftd_log_has(p, reports[i]))
            continue;
        FILE *f = fopen(p->log, "r");
        char line[4096];
        int shown = 0, from = 0;
        while (f && shown < 80 && fgets(line, sizeof line, f))
            if ((from = from || strstr(line, reports[i]) != NULL))
                fprintf(stderr, "liftd| %s", line), shown++;
        if (f)
            fclose(f);
        /* Not cr_assert_fail: Criterion 2.4 ignores assertions that fail in a suite's
         * .fini, where most tests stop liftd, but counts a crash there. */
        fprintf(stderr, "liftd logged a sanitizer report (%s), shown above; log %s\n", reports[i],
                p->log);
        abort();
    }
}

/* The port from the "start listen=... port=N" line, or 0 while it is not there. */
static int started_port(const liftd_proc *p)
{
    FILE *f = fopen(p->log, "r");
    if (!f)
        return 0;
    char line[4096];
    int port = 0;
    while (!port && fgets(line, sizeof line, f)) {
        const char *s = strstr(line, "level=info start listen=");
        const char *at = s ? strstr(s, " port=") : NULL;
        if (at)
            port = atoi(at + 6);
    }
    fclose(f);
    return port;
}

void liftd_start(liftd_proc *p, const char *conninfo, const char *const *args,
                 const char *const *env)
{
    static int serial;
    const char *tmp = getenv("LIFT_TEST_TMP");
    if (!p->home[0]) {
        snprintf(p->home, sizeof p->home, "%s/liftd-%d-%d", tmp && *tmp ? tmp : "/tmp",
                 (int)getpid(), serial++);
        mkdir(p->home, 0755);
    }
    snprintf(p->conninfo, sizeof p->conninfo, "%s", conninfo);
    snprintf(p->log, sizeof p->log, "%s/liftd.log", p->home);
    assert_no_sanitizer_report(p); /* of the run before, on the same home */
    unlink(p->log);
    char writer[1200];
    pgtest_conninfo_as(conninfo, "lift_writer", writer, sizeof writer);
    const char *argv[32] = {"liftd", "--listen", "127.0.0.1:0", "--db", writer};
    int n = 5;
    for (const char *const *a = args; a && *a && n < 30; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    p->pid = fork();
    cr_assert_geq(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a test that crashed */
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        if (p->fsize_limit > 0)
            setrlimit(RLIMIT_FSIZE,
                      &(struct rlimit){(rlim_t)p->fsize_limit, (rlim_t)p->fsize_limit});
        setenv("LIFT_HOME", p->home, 1);
        setenv("LIFT_API_KEYS", TEST_KEY, 1);
        unsetenv("LIFT_DATABASE_URL");
        for (const char *const *e = env; e && *e; e++) {
            char name[128];
            const char *eq = strchr(*e, '=');
            snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
            setenv(name, eq + 1, 1);
        }
        union {
            const char **in;
            char *const *out;
        } av = {argv};
        execv(pgtest_bin("liftd"), av.out);
        _exit(127);
    }
    for (int waited = 0; waited < 15000; waited += 20) {
        if ((p->port = started_port(p)) > 0)
            break;
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            cr_assert_fail("liftd exited at start; log %s", p->log);
        }
        sleep_ms(20);
    }
    cr_assert_gt(p->port, 0, "liftd did not start in 15 s; log %s", p->log);
    lift_err err;
    p->http = lift_httpc_open("127.0.0.1", p->port, 15000, &err);
    cr_assert(p->http, "%s", err.msg);
}

int liftd_stop(liftd_proc *p, int sig)
{
    lift_httpc_close(p->http);
    p->http = NULL;
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int st = 0;
    for (int waited = 0; waited < 30000; waited += 10) {
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            assert_no_sanitizer_report(p);
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        sleep_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
    p->pid = 0;
    cr_assert_fail("liftd did not exit within 30 s of signal %d", sig);
    return -1;
}

/* Appends the answer to $LIFT_TEST_TMP/responses/c-<pid>.jsonl: tests/run.sh checks every
 * recorded answer against docs/openapi.yaml at the end (tests/compat/contract.js). */
static void record(const char *method, const char *target, const lift_httpc_response *r)
{
    const char *tmp = getenv("LIFT_TEST_TMP");
    if (!tmp || !*tmp)
        return;
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/responses", tmp);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/c-%d.jsonl", dir, (int)getpid());
    json_t *line = json_pack("{s:s, s:s, s:i, s:s, s:s%}", "method", method, "target", target,
                             "status", r->status, "content_type", r->content_type, "body",
                             r->body.data ? r->body.data : "", r->body.len);
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    FILE *f = text ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "%s\n", text);
        fclose(f);
    }
    free(text);
    json_decref(line);
}

int liftd_get(liftd_proc *p, const char *target, lift_httpc_response *r)
{
    lift_err err;
    cr_assert_eq(lift_httpc_request(p->http, "GET", target, NULL, NULL, 0, r, &err), LIFT_OK,
                 "GET %s: %s", target, err.msg);
    record("GET", target, r);
    return r->status;
}

int liftd_post_with(liftd_proc *p, const char *path, const char *const *headers, const char *body,
                    size_t len, lift_httpc_response *r)
{
    lift_err err;
    cr_assert_eq(lift_httpc_request(p->http, "POST", path, headers, body, len, r, &err), LIFT_OK,
                 "POST %s: %s", path, err.msg);
    record("POST", path, r);
    return r->status;
}

int liftd_post(liftd_proc *p, const char *path, const char *body, lift_httpc_response *r)
{
    static const char *const h[] = {"Content-Type: application/json",
                                    "Authorization: Bearer " TEST_KEY, NULL};
    return liftd_post_with(p, path, h, body, strlen(body), r);
}

int liftd_request(liftd_proc *p, const char *method, const char *target, const char *const *headers,
                  const char *body, lift_httpc_response *r)
{
    lift_err err;
    cr_assert_eq(lift_httpc_request(p->http, method, target, headers, body, body ? strlen(body) : 0,
                                    r, &err),
                 LIFT_OK, "%s %s: %s", method, target, err.msg);
    record(method, target, r);
    return r->status;
}
