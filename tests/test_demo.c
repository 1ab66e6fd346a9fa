/* The newcomer path: `make demo` (scripts/demo.sh, small), then the README's next commands
 * exactly as the README prints them, which must reach the demo's database and liftd; bad
 * DEMO_* values refused before the previous demo is touched; a liftd that dies during the
 * demo reported within seconds, with the end of its log. Each runs in a folder of its own
 * that looks like a checkout (build, scripts and sql linked in). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/pgtest.h"

static char dir[600];
static char out[1 << 18];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192], full[9000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && (%s) 2>&1", dir, cmd);
    FILE *p = popen(full, "r");
    cr_assert(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    char rest[4096];
    while (fread(rest, 1, sizeof rest, p) > 0)
        ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void setup(void)
{
    const char *tmp = getenv("LIFT_TEST_TMP"), *build = getenv("LIFT_TEST_BUILD");
    if (!tmp || !*tmp)
        cr_skip_test("no test harness (LIFT_TEST_TMP unset); run through `make test`");
    char src[600];
    cr_assert(getcwd(src, sizeof src));
    snprintf(dir, sizeof dir, "%s/demo-%d", tmp, (int)getpid());
    cr_assert_eq(mkdir(dir, 0755), 0);
    /* A checkout-like folder: the README says build/liftctl, whatever the build is. */
    char bin[700], cmd[4000];
    snprintf(bin, sizeof bin, "%s%s%s", build && *build == '/' ? "" : src,
             build && *build == '/' ? "" : "/", build && *build ? build : "build");
    snprintf(cmd, sizeof cmd,
             "ln -s '%s' '%s/build' && ln -s '%s/scripts' '%s/scripts' && ln -s '%s/sql' "
             "'%s/sql'",
             bin, dir, src, dir, src, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void teardown(void)
{
    if (dir[0])
        sh("scripts/demo.sh stop build >/dev/null 2>&1 || true");
}

TestSuite(demo, .init = setup, .fini = teardown, .timeout = 240);

#define SMALL "DEMO_SHOPPERS=1500 DEMO_DAYS=30"

/* The shell block the README marks as the commands to run after the demo. */
static char *readme_block(void)
{
    FILE *f = fopen("README.md", "r");
    cr_assert(f, "README.md not found from %s", getcwd(out, 512));
    static char block[8192];
    char line[1024];
    size_t n = 0;
    int state = 0; /* 0 before the marker, 1 before the fence, 2 inside */
    while (fgets(line, sizeof line, f) && state < 3) {
        if (state == 0 && strstr(line, "<!-- post-demo commands"))
            state = 1;
        else if (state == 1 && !strncmp(line, "```sh", 5))
            state = 2;
        else if (state == 2 && !strncmp(line, "```", 3))
            state = 3;
        else if (state == 2 && n + strlen(line) < sizeof block)
            n += (size_t)snprintf(block + n, sizeof block - n, "%s", line);
    }
    fclose(f);
    cr_assert_eq(state, 3, "no post-demo block in README.md");
    return block;
}

Test(demo, the_readme_commands_after_the_demo_reach_the_demo)
{
    int rc = sh(SMALL " scripts/demo.sh build");
    cr_assert_eq(rc, 0, "demo failed: %s", out);
    cr_assert(strstr(out, ". .lift/demo/env"), "%s", out);
    /* An empty database of the default place must not answer instead: make one. */
    cr_assert_eq(sh("LIFT_HOME=.lift LIFT_PG_FAST=1 build/liftctl db start && "
                    "LIFT_HOME=.lift build/liftctl db migrate"),
                 0, "%s", out);
    /* Without the env file the demo's database is pointed at, not silently replaced. */
    cr_assert_eq(sh("unset LIFT_HOME LIFT_DATABASE_URL; build/liftctl experiments"), 0, "%s", out);
    cr_assert(strstr(out, "not the demo's (`. .lift/demo/env`"), "%s", out);
    const char *block = readme_block();
    char script[700];
    snprintf(script, sizeof script, "%s/readme.sh", dir);
    FILE *f = fopen(script, "w");
    fprintf(f, "set -eux\nunset LIFT_HOME LIFT_DATABASE_URL LIFT_URL LIFT_API_KEY\n%s", block);
    fclose(f);
    rc = sh("sh readme.sh");
    cr_assert_eq(rc, 0, "the README's commands failed:\n%s", out);
    /* They reached the demo: its experiments, its data, its liftd. */
    static const char *const want[] = {
        "homepage_recs",  "global_holdout",           "personalized", "\"assignments\":[",
        "\"ready\":true", "new phase: homepage_recs", "stopped"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect(strstr(out, want[i]), "'%s' not in the output of the README's commands:\n%s",
                  want[i], out);
    cr_assert(!strstr(out, "not the demo's"), "%s", out);
    sh("LIFT_HOME=.lift build/liftctl db stop");
}

Test(demo, bad_values_are_refused_before_the_previous_demo_is_wiped)
{
    cr_assert_eq(sh("mkdir -p .lift/demo && echo keep > .lift/demo/marker"), 0);
    static const char *const bad[] = {"DEMO_SHOPPERS=abc", "DEMO_SHOPPERS=0",
                                      "DEMO_SHOPPERS=-5",  "DEMO_DAYS=1e3",
                                      "DEMO_DAYS=4000",    "DEMO_SHOPPERS=99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = sh("%s scripts/demo.sh build", bad[i]);
        cr_expect_eq(rc, 2, "%s: %d: %s", bad[i], rc, out);
        cr_expect(strstr(out, "is not a whole number from 1 to") &&
                      strstr(out, "nothing was changed"),
                  "%s: %s", bad[i], out);
        cr_expect_eq(sh("cat .lift/demo/marker"), 0, "%s wiped the previous demo", bad[i]);
    }
}

Test(demo, a_liftd_that_dies_during_the_demo_is_reported_within_seconds)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && DEMO_SHOPPERS=2000000 DEMO_DAYS=30 scripts/demo.sh build "
             "> demo.out 2>&1",
             dir);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* Once the simulation runs, liftd is killed. */
    char pidfile[700], log[700];
    snprintf(pidfile, sizeof pidfile, "%s/.lift/demo/liftd.pid", dir);
    snprintf(log, sizeof log, "%s/demo.out", dir);
    long liftd = 0;
    for (int i = 0; i < 600 && !liftd; i++) {
        FILE *f = fopen(pidfile, "r");
        if (f) {
            if (fscanf(f, "%ld", &liftd) != 1)
                liftd = 0;
            fclose(f);
        }
        if (liftd && sh("grep -q 'a storefront:' demo.out") != 0)
            liftd = 0;
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    cr_assert_gt(liftd, 0, "the demo did not get to the simulation");
    nanosleep(&(struct timespec){1, 0}, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(kill((pid_t)liftd, SIGKILL), 0);
    int st;
    for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) == 0; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (waitpid(pid, &st, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        cr_assert_fail("the demo was still running 10 s after liftd died");
    }
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit %d", WEXITSTATUS(st));
    cr_assert_lt(secs, 5.0, "noticed after %.1f s", secs);
    cr_assert_eq(sh("cat demo.out"), 0);
    cr_assert(strstr(out, "died during the simulation; the end of its log") &&
                  strstr(out, "  20") && strstr(out, "level=info start listen="),
              "%s", out);
    cr_log_info("liftd's death reported %.1f s after it", secs);
}
