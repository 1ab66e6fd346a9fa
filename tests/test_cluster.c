/* liftctl db start/migrate/status/stop on a private cluster, as an ordinary user and as
 * root (initdb refuses root; the cluster must run as the postgres user). */
#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/pgtest.h"

/* Runs `liftctl db <sub>` with LIFT_HOME=home as uid (when we are root), capturing stdout.
 * Returns the exit status. */
static int liftctl_db(uid_t uid, gid_t gid, const char *home, const char *sub, char *out,
                      size_t outlen)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (geteuid() == 0 && uid != 0 && (setgid(gid) != 0 || setuid(uid) != 0))
            _exit(99);
        setenv("LIFT_HOME", home, 1);
        unsetenv("LIFT_DATABASE_URL");
        execl(pgtest_bin("liftctl"), "liftctl", "db", sub, (char *)NULL);
        _exit(98);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < outlen && (r = read(fds[0], out + n, outlen - n - 1)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void lifecycle(uid_t uid, gid_t gid, const char *home)
{
    char out[2048];
    cr_assert_eq(liftctl_db(uid, gid, home, "start", out, sizeof out), 0, "db start failed");
    cr_assert(strncmp(out, "postgresql:///lift?host=", 24) == 0, "start printed: %s", out);
    cr_assert_eq(liftctl_db(uid, gid, home, "start", out, sizeof out), 0,
                 "a second start must be a no-op");
    cr_assert_eq(liftctl_db(uid, gid, home, "migrate", out, sizeof out), 0, "migrate failed");
    cr_assert_eq(liftctl_db(uid, gid, home, "migrate", out, sizeof out), 0,
                 "second migrate failed");
    cr_assert_eq(liftctl_db(uid, gid, home, "status", out, sizeof out), 0);
    cr_assert(strstr(out, ": running"), "status printed: %s", out);
    cr_assert_eq(liftctl_db(uid, gid, home, "stop", out, sizeof out), 0);
    cr_assert_eq(liftctl_db(uid, gid, home, "status", out, sizeof out), 3);
    cr_assert(strstr(out, ": stopped"), "status printed: %s", out);
}

static void make_home(char *path, size_t len, const char *tag, mode_t mode, uid_t owner)
{
    const char *tmp = getenv("LIFT_TEST_TMP");
    snprintf(path, len, "%s/%s", tmp && *tmp ? tmp : "/tmp", tag);
    cr_assert_eq(mkdir(path, mode), 0, "mkdir %s", path);
    cr_assert_eq(chmod(path, mode), 0);
    if (geteuid() == 0)
        cr_assert_eq(chown(path, owner, owner == 0 ? 0 : (gid_t)-1), 0);
}

Test(cluster, start_and_migrate_as_an_ordinary_user, .timeout = 120)
{
    if (!getenv("LIFT_TEST_TMP"))
        cr_skip_test("run through `make test`");
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (uid == 0) {
        const struct passwd *pw = getpwnam("nobody");
        cr_assert(pw, "no 'nobody' user to play the ordinary user");
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    char home[512];
    make_home(home, sizeof home, "user-home", 0755, uid);
    lifecycle(uid, gid, home);
}

Test(cluster, start_as_root_where_postgres_cannot_reach, .timeout = 120)
{
    if (geteuid() != 0 || !getenv("LIFT_TEST_TMP"))
        cr_skip_test("needs root and `make test`");
    char parent[512], home[600], link[700], real[1024];
    make_home(parent, sizeof parent, "root-only", 0700, 0);
    snprintf(home, sizeof home, "%s/.lift", parent);
    lifecycle(0, 0, home);
    /* The data went to /var/lib/lift, linked from LIFT_HOME/pg. */
    snprintf(link, sizeof link, "%s/pg", home);
    ssize_t n = readlink(link, real, sizeof real - 1);
    cr_assert_gt(n, 0, "%s is not a link", link);
    real[n] = '\0';
    cr_assert(strncmp(real, "/var/lib/lift/pg-", 17) == 0, "link points to %s", real);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", real);
    cr_assert_eq(system(cmd), 0);
}
