/* An existing PostgreSQL, honestly: a cluster of the test's own that checks passwords
 * (scram-sha-256 for every role but the owner), `liftctl db roles` setting lift_writer's and
 * lift_analyst's, `db status` saying why a connection fails, liftd connecting as
 * lift_writer with its own password and logging libpq's reason when it cannot, and no
 * command printing a password. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

static char home[600], owner[800], writer[900], analyst[900];

static void sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh_ok(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

/* tests/run.sh stops clusters named faultpg-* should the test die. */
static void setup(void)
{
    const char *tmp = getenv("LIFT_TEST_TMP");
    if (!tmp || !*tmp)
        cr_skip_test("no test harness (LIFT_TEST_TMP unset); run through `make test`");
    snprintf(home, sizeof home, "%s/faultpg-roles-%d", tmp, (int)getpid());
    sh_ok("mkdir -p '%s' && chmod 755 '%s'", home, home);
    sh_ok("LIFT_HOME='%s' LIFT_PG_FAST=1 %s db start >'%s/db.log' 2>&1", home,
          pgtest_bin("liftctl"), home);
    snprintf(owner, sizeof owner, "host=%s/pg port=5432 dbname=lift user=lift", home);
    snprintf(writer, sizeof writer, "host=%s/pg port=5432 dbname=lift user=lift_writer", home);
    snprintf(analyst, sizeof analyst, "host=%s/pg port=5432 dbname=lift user=lift_analyst", home);
    sh_ok("LIFT_DATABASE_URL='%s' %s db migrate >>'%s/db.log' 2>&1", owner, pgtest_bin("liftctl"),
          home);
    /* Passwords for everyone but the owner, as on a server run by someone else. */
    sh_ok("printf 'local all lift trust\\nlocal all all scram-sha-256\\n' > '%s/pg/pg_hba.conf' && "
          "psql -XAtq '%s' -c 'SELECT pg_reload_conf()' >/dev/null",
          home, owner);
}

static void teardown(void)
{
    if (!home[0])
        return;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "LIFT_HOME='%s' %s db stop >/dev/null 2>&1", home,
             pgtest_bin("liftctl"));
    if (system(cmd) != 0)
        cr_log_warn("could not stop the cluster in %s", home);
}

TestSuite(roles, .init = setup, .fini = teardown, .timeout = 120);

static const char *file_in_home(const char *name)
{
    static char path[4][700];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", home, name);
    return path[k];
}

static char *first_line(const char *path)
{
    static char line[256];
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    cr_assert(fgets(line, sizeof line, f));
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    return line;
}

Test(roles, db_roles_sets_passwords_and_status_says_why)
{
    static char out[16384];
    char env[1200];
    /* Before: lift_writer has no password, and the server wants one. */
    int rc = cli_run(writer, NULL, "db status", 1, out, sizeof out);
    cr_assert_eq(rc, 1, "%d: %s", rc, out);
    cr_assert(strstr(out, "authentication failed"), "%s", out);

    /* Generated passwords go to new 0600 files only; the terminal never sees them. */
    const char *wfile = file_in_home("writer.pw"), *afile = file_in_home("analyst.pw"),
               *pgpass = file_in_home("pgpass");
    char args[3000];
    snprintf(args, sizeof args,
             "db roles --generate --writer-password-file %s --analyst-password-file %s "
             "--pgpass %s",
             wfile, afile, pgpass);
    rc = cli_run(owner, NULL, args, 1, out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);
    char wpw[256], apw[256];
    snprintf(wpw, sizeof wpw, "%s", first_line(wfile));
    snprintf(apw, sizeof apw, "%s", first_line(afile));
    cr_assert_eq(strlen(wpw), 48);
    cr_assert(!strstr(out, wpw) && !strstr(out, apw), "a password was printed: %s", out);
    cr_assert(strstr(out, "lift_writer: password set") &&
                  strstr(out, "postgresql://lift_writer@/lift"),
              "%s", out);
    struct stat st;
    cr_assert(stat(wfile, &st) == 0 && (st.st_mode & 0777) == 0600);
    cr_assert(stat(pgpass, &st) == 0 && (st.st_mode & 0777) == 0600);
    /* The server holds a SCRAM verifier, not the password. */
    lift_err err;
    lift_db *admin = lift_db_open(owner, &err);
    cr_assert(admin, "%s", err.msg);
    cr_assert_str_eq(pgtest_value(admin, "SELECT left(rolpassword, 14) FROM pg_authid WHERE "
                                         "rolname = 'lift_writer'"),
                     "SCRAM-SHA-256$");
    lift_db_close(admin);
    /* --generate never overwrites a password file. */
    rc = cli_run(owner, NULL, args, 1, out, sizeof out);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "File exists"), "%s", out);
    cr_assert_str_eq(first_line(wfile), wpw);

    /* With its password (pgpass file, or PGPASSWORD), each role gets in. */
    snprintf(env, sizeof env, "PGPASSFILE='%s'", pgpass);
    rc = cli_run(writer, env, "db status", 1, out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);
    snprintf(env, sizeof env, "PGPASSWORD='%s'", apw);
    cr_assert_eq(cli_run(analyst, env, "db status", 1, out, sizeof out), 0, "%s", out);
    /* A wrong one is named as what it is, and not shown. */
    cr_assert_eq(cli_run(analyst, "PGPASSWORD=not-the-password", "db status", 1, out, sizeof out),
                 1, "%s", out);
    cr_assert(strstr(out, "authentication failed") && strstr(out, "lift_analyst") &&
                  !strstr(out, "not-the-password"),
              "%s", out);
    /* A password in the URL is never printed back. */
    char url[1200];
    snprintf(url, sizeof url, "postgresql://lift_analyst:%s@/lift?host=%s/pg", apw, home);
    for (int i = 0; i < 2; i++) {
        rc = cli_run(url, NULL, i ? "db url" : "db status", 1, out, sizeof out);
        cr_assert_eq(rc, 0, "%s", out);
        cr_assert(!strstr(out, apw) && strstr(out, "lift_analyst:***@"), "%s", out);
    }

    /* Passwords from a file and from the variable: a rotation. */
    sh_ok("echo rotated-writer-pw > '%s/new.pw'", home);
    snprintf(args, sizeof args, "db roles --writer-password-file %s/new.pw", home);
    rc = cli_run(owner, "LIFT_ANALYST_PASSWORD=rotated-analyst-pw", args, 1, out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(!strstr(out, "rotated-"), "%s", out);
    cr_assert_eq(cli_run(writer, "PGPASSWORD=rotated-writer-pw", "db status", 1, out, sizeof out),
                 0, "%s", out);
    cr_assert_eq(cli_run(analyst, "PGPASSWORD=rotated-analyst-pw", "db status", 1, out, sizeof out),
                 0, "%s", out);
    /* Without any password given there is nothing to do: said, not guessed. */
    rc = cli_run(owner, "LIFT_WRITER_PASSWORD= LIFT_ANALYST_PASSWORD=", "db roles", 1, out,
                 sizeof out);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "no password given"), "%s", out);
}

Test(roles, liftd_connects_as_lift_writer_with_its_password_or_logs_why_not)
{
    static char out[8192];
    char args[2000], env_pw[600];
    sh_ok("echo liftd-secret-1 > '%s/liftd.pw'", home);
    snprintf(args, sizeof args, "db roles --writer-password-file %s/liftd.pw", home);
    cr_assert_eq(cli_run(owner, NULL, args, 1, out, sizeof out), 0, "%s", out);
    /* liftd with its own URL and password: ready, POSTs committed. */
    liftd_proc d = {0};
    snprintf(env_pw, sizeof env_pw, "PGPASSWORD=liftd-secret-1");
    const char *env[] = {env_pw, NULL};
    lift_err err;
    lift_db *admin = lift_db_open(owner, &err);
    cr_assert(admin, "%s", err.msg);
    pgtest_ok(admin, PGTEST_RECS);
    liftd_start(&d, owner, NULL, env); /* --db is the owner's conninfo as lift_writer */
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    cr_assert_eq(liftd_get(&d, "/readyz/ingest", &r), 200, "%s", r.body.data);
    cr_assert_eq(
        liftd_post(&d, "/v1/events",
                   "{\"events\":[{\"event_id\":\"r1\",\"unit\":\"u\",\"type\":\"order\"}]}", &r),
        202, "%s", r.body.data);
    cr_assert(!liftd_log_has(&d, "can change the config"), "see %s", d.log);
    liftd_stop(&d, SIGTERM);
    /* A wrong password: liftd still serves assignments from its cache, and its log says
     * what libpq said, without the password. */
    const char *bad[] = {"PGPASSWORD=wrong-secret", NULL};
    liftd_proc e = {0};
    snprintf(e.home, sizeof e.home, "%s", d.home); /* the same cached config */
    liftd_start(&e, owner, NULL, bad);
    cr_assert(liftd_log_has(&e, "writer: cannot connect to") &&
                  liftd_log_has(&e, "password authentication failed for user \"lift_writer\""),
              "see %s", e.log);
    cr_assert(!liftd_log_has(&e, "wrong-secret"), "the password is in %s", e.log);
    cr_assert_eq(liftd_get(&e, "/readyz", &r), 200, "%s", r.body.data);
    cr_assert_eq(liftd_get(&e, "/readyz/ingest", &r), 503, "%s", r.body.data);
    liftd_stop(&e, SIGTERM);
    lift_buf_fini(&r.body);
    lift_db_close(admin);
}
