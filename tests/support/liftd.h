/* Test fixture: a real liftd process on an ephemeral loopback port, against a test
 * database, and an HTTP client for it. */
#ifndef LIFT_TEST_LIFTD_H
#define LIFT_TEST_LIFTD_H

#include <sys/types.h>

#include "lift/httpc.h"

#define TEST_KEY "test-key-1"

typedef struct liftd_proc {
    pid_t pid;
    int port;
    char conninfo[1100]; /* the database, as its owner */
    char home[512];      /* LIFT_HOME: spool and config cache */
    char log[600];
    long fsize_limit; /* when set: RLIMIT_FSIZE of the process, in bytes (a "full disk") */
    lift_httpc *http;
} liftd_proc;

/* Starts build/liftd --listen 127.0.0.1:0 --db <conninfo as lift_writer> plus args
 * (NULL-terminated, may be NULL), with LIFT_API_KEYS=TEST_KEY and env entries
 * ("NAME=value", NULL-terminated, may be NULL). Waits for its start line. A fresh home
 * folder unless p->home is already set (to keep a spool across restarts). */
void liftd_start(liftd_proc *p, const char *conninfo, const char *const *args,
                 const char *const *env);

/* Sends sig and waits (up to 30 s) for the exit; returns the exit status, or 128+signal. */
int liftd_stop(liftd_proc *p, int sig);

/* GET target; returns the status (the body is in r->body). */
int liftd_get(liftd_proc *p, const char *target, lift_httpc_response *r);

/* POST body as application/json with the test key; returns the status. */
int liftd_post(liftd_proc *p, const char *path, const char *body, lift_httpc_response *r);

/* POST with explicit headers (NULL-terminated "Name: value"). */
int liftd_post_with(liftd_proc *p, const char *path, const char *const *headers, const char *body,
                    size_t len, lift_httpc_response *r);

/* Any method, with headers (NULL-terminated "Name: value", may be NULL) and a body (may be
 * NULL); returns the status. */
int liftd_request(liftd_proc *p, const char *method, const char *target, const char *const *headers,
                  const char *body, lift_httpc_response *r);

/* Whether the log contains text (for log-line assertions). */
int liftd_log_has(const liftd_proc *p, const char *text);

#endif
