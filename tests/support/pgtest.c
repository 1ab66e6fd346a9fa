/* Test fixture: per-test databases copied from the harness's migrated template, and
 * PostgreSQL servers of a test's own. */
#define _DEFAULT_SOURCE /* initgroups, flock */
#include "pgtest.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static lift_db *connect_to(const char *dbname, char *conninfo, size_t len)
{
    const char *base = getenv("LIFT_TEST_CONNINFO");
    if (!base || !*base)
        cr_skip_test("no test cluster (LIFT_TEST_CONNINFO unset); run through `make test`");
    char ci[1024];
    snprintf(ci, sizeof ci, "%s dbname=%s", base, dbname);
    if (conninfo)
        snprintf(conninfo, len, "%s", ci);
    lift_err err;
    lift_db *db = lift_db_open(ci, &err);
    cr_assert(db, "connect %s: %s", ci, err.msg);
    return db;
}

lift_db *pgtest_db(char *conninfo, size_t len)
{
    static int serial;
    char name[64];
    snprintf(name, sizeof name, "t_%ld_%d", (long)getpid(), serial++);
    lift_db *admin = connect_to("postgres", NULL, 0);
    char sql[256];
    /* Identifiers cannot be parameters; name is built from digits only. */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE lift_template", name);
    pgtest_ok(admin, sql);
    lift_db_close(admin);
    return connect_to(name, conninfo, len);
}

lift_db *pgtest_db_empty(char *conninfo, size_t len)
{
    static int serial;
    char name[64];
    snprintf(name, sizeof name, "e_%ld_%d", (long)getpid(), serial++);
    lift_db *admin = connect_to("postgres", NULL, 0);
    char sql[256];
    /* Identifiers cannot be parameters; name is built from digits only. */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0", name);
    pgtest_ok(admin, sql);
    lift_db_close(admin);
    return connect_to(name, conninfo, len);
}

void pgtest_conninfo_as(const char *conninfo, const char *role, char *out, size_t len)
{
    snprintf(out, len, "%s user=%s", conninfo, role); /* later keywords win in libpq */
}

void pgtest_ok(lift_db *db, const char *script)
{
    lift_err err;
    int rc = lift_db_script(db, script, &err);
    cr_assert_eq(rc, LIFT_OK, "script failed: %s\n--- script:\n%s", err.msg, script);
}

const char *pgtest_fails(lift_db *db, const char *script)
{
    static lift_err err;
    int rc = lift_db_script(db, script, &err);
    (void)lift_db_script(db, "ROLLBACK", NULL);
    cr_assert_neq(rc, LIFT_OK, "script should have failed:\n%s", script);
    return err.msg;
}

const char *pgtest_value(lift_db *db, const char *sql)
{
    static char out[4096];
    lift_err err;
    PGresult *r = lift_db_exec(db, sql, 0, NULL, NULL, &err);
    cr_assert(r, "%s: %s", sql, err.msg);
    cr_assert(PQntuples(r) > 0, "%s: no rows", sql);
    snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

const char *pgtest_bin(const char *name)
{
    static char path[512];
    const char *build = getenv("LIFT_TEST_BUILD");
    snprintf(path, sizeof path, "%s/%s", build && *build ? build : "build", name);
    return path;
}

const char PGTEST_RECS[] =
    "BEGIN;"
    "INSERT INTO lift.experiments (key, name, status) VALUES ('recs', 'Recs', 'running');"
    "INSERT INTO lift.variants (experiment, key, weight) VALUES"
    "  ('recs', 'control', 0.5), ('recs', 'personalized', 0.5);"
    "COMMIT;";

/* --- servers of the test's own ----------------------------------------------------------- */

static const char *pg_bindir(void)
{
    const char *env = getenv("LIFT_PG_BINDIR");
    return env && *env ? env : "/usr/lib/postgresql/15/bin";
}

/* Root runs the servers as the cluster user (initdb and postgres refuse root). */
static const struct passwd *pg_user(void)
{
    if (geteuid() != 0)
        return NULL;
    const char *name = getenv("LIFT_PG_USER");
    const struct passwd *pw = getpwnam(name && *name ? name : "postgres");
    cr_assert(pw, "running as root, but there is no user %s to run PostgreSQL as",
              name && *name ? name : "postgres");
    return pw;
}

/* Starts argv (argv[0] a full path) as the cluster user with output appended to log.
 * Returns the child's PID. */
static pid_t spawn_as(const struct passwd *pw, const char *const argv[], const char *log)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cr_assert(fd >= 0, "open %s: %s", log, strerror(errno));
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        if (pw && (setgid(pw->pw_gid) != 0 || initgroups(pw->pw_name, pw->pw_gid) != 0 ||
                   setuid(pw->pw_uid) != 0))
            _exit(127);
        union { /* exec*() take char *const[] for historic reasons and never write to it */
            const char *const *in;
            char *const *out;
        } args = {argv};
        execv(argv[0], args.out);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    return pid;
}

static int run_as(const struct passwd *pw, const char *const argv[], const char *log)
{
    pid_t pid = spawn_as(pw, argv, log);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        cr_assert(errno == EINTR, "waitpid: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void last_log_line(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (line[0] && line[0] != '\n')
            snprintf(out, len, "%s", line);
    fclose(f);
}

static void make_dir_for(const struct passwd *pw, const char *dir)
{
    cr_assert(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
    if (pw)
        cr_assert(chown(dir, pw->pw_uid, pw->pw_gid) == 0, "chown %s: %s", dir, strerror(errno));
}

/* The initdb'd folder every server copies, made once per run under a lock. */
static void ensure_template(const char *tmp, const struct passwd *pw, char *tpl, size_t len)
{
    snprintf(tpl, len, "%s/pgserver-template", tmp);
    char lock[1024], probe[1024], log[1024];
    snprintf(lock, sizeof lock, "%s/pgserver.lock", tmp);
    snprintf(probe, sizeof probe, "%s/PG_VERSION", tpl);
    snprintf(log, sizeof log, "%s/pgserver-initdb.log", tmp);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    cr_assert(fd >= 0 && flock(fd, LOCK_EX) == 0, "lock %s: %s", lock, strerror(errno));
    if (access(probe, F_OK) != 0) {
        make_dir_for(pw, tpl);
        char initdb[1024];
        snprintf(initdb, sizeof initdb, "%s/initdb", pg_bindir());
        const char *argv[] = {initdb,
                              "-D",
                              tpl,
                              "-U",
                              "lift",
                              "--auth=trust",
                              "-E",
                              "UTF8",
                              "--locale=C",
                              "--no-sync",
                              "--no-instructions",
                              NULL};
        int st = run_as(pw, argv, log);
        char line[512];
        last_log_line(log, line, sizeof line);
        cr_assert_eq(st, 0, "initdb failed (%s): %s", log, line);
    }
    close(fd);
}

int pgtest_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                  getsockname(fd, (struct sockaddr *)&a, &n) == 0,
              "bind: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits up to 60 s for the server to answer; false when it exited (its port was taken). */
static bool until_up(pgtest_server *s, const char *log)
{
    char ping[256];
    snprintf(ping, sizeof ping,
             "host=127.0.0.1 port=%d dbname=postgres user=lift connect_timeout=2", s->port);
    for (int i = 0; i < 600; i++) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return false;
        }
        if (PQping(ping) == PQPING_OK)
            return true;
        nap(100);
    }
    char line[512];
    last_log_line(log, line, sizeof line);
    cr_assert_fail("PostgreSQL on port %d did not answer within 60 s (%s): %s", s->port, log, line);
    return false;
}

void pgtest_server_start(pgtest_server *s, const char *name, bool logical)
{
    memset(s, 0, sizeof *s);
    const char *tmp = getenv("LIFT_TEST_TMP");
    if (!tmp || !*tmp)
        cr_skip_test("no test harness (LIFT_TEST_TMP unset); run through `make test`");
    const struct passwd *pw = pg_user();
    char tpl[600], log[600], postgres[600];
    ensure_template(tmp, pw, tpl, sizeof tpl);
    snprintf(s->dir, sizeof s->dir, "%s/pgserver-%ld-%s", tmp, (long)getpid(), name);
    make_dir_for(pw, s->dir);
    char src[620];
    snprintf(src, sizeof src, "%s/.", tpl);
    snprintf(log, sizeof log, "%s.log", s->dir);
    const char *cp[] = {"/bin/cp", "-a", src, s->dir, NULL};
    cr_assert_eq(run_as(pw, cp, log), 0, "copying %s failed (see %s)", tpl, log);
    snprintf(postgres, sizeof postgres, "%s/postgres", pg_bindir());
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = pgtest_free_port();
        char port[32], sockets[600];
        snprintf(port, sizeof port, "port=%d", s->port);
        snprintf(sockets, sizeof sockets, "unix_socket_directories=%s", s->dir);
        /* Slots and senders: 3 subscriptions, each an apply slot and up to 2 table-sync
         * slots, plus a re-created one; 10 was too tight on a loaded machine. */
        const char *argv[] = {postgres,
                              "-D",
                              s->dir,
                              "-c",
                              "listen_addresses=127.0.0.1",
                              "-c",
                              port,
                              "-c",
                              sockets,
                              "-c",
                              logical ? "wal_level=logical" : "wal_level=replica",
                              "-c",
                              "fsync=off",
                              "-c",
                              "full_page_writes=off",
                              "-c",
                              "synchronous_commit=off",
                              "-c",
                              "shared_buffers=16MB",
                              "-c",
                              "max_connections=40",
                              "-c",
                              "max_wal_senders=30",
                              "-c",
                              "max_replication_slots=30",
                              "-c",
                              "log_min_messages=warning",
                              "-c",
                              "wal_retrieve_retry_interval=200ms",
                              NULL};
        s->pid = (int)spawn_as(pw, argv, log);
        if (until_up(s, log))
            break;
        cr_log_warn("PostgreSQL on port %d exited at start (port taken?); trying another", s->port);
    }
    char line[512];
    last_log_line(log, line, sizeof line);
    cr_assert(s->pid > 0, "PostgreSQL %s did not start (%s): %s", name, log, line);
    snprintf(s->url, sizeof s->url, "postgresql://lift@127.0.0.1:%d/lift", s->port);
    char admin[200];
    snprintf(admin, sizeof admin, "postgresql://lift@127.0.0.1:%d/postgres", s->port);
    lift_err err;
    lift_db *db = lift_db_open(admin, &err);
    cr_assert(db, "%s", err.msg);
    pgtest_ok(db, "CREATE DATABASE lift");
    lift_db_close(db);
}

void pgtest_server_stop(pgtest_server *s)
{
    if (!s || s->pid <= 0)
        return;
    pid_t pid = (pid_t)s->pid;
    s->pid = 0;
    (void)kill(pid, SIGINT); /* fast shutdown */
    int status;
    bool gone = false;
    for (int i = 0; i < 1500 && !gone; i++) {
        gone = waitpid(pid, &status, WNOHANG) == pid;
        if (!gone)
            nap(20);
    }
    if (!gone) {
        cr_log_warn("PostgreSQL %d did not stop within 30 s: SIGKILL", (int)pid);
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, &status, 0);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", s->dir);
}
