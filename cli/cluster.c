/* The private PostgreSQL cluster: initdb, start, stop and status through pg_ctl. Only
 * `liftctl db` manages clusters; liftd merely connects (lift/locate.h). */
#define _DEFAULT_SOURCE /* initgroups, flock */
#include "cluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lift/db.h"
#include "lift/files.h"
#include "lift/text.h"

#define EXIT_UNREACHABLE 126 /* child could not reach the data folder as the cluster user */

/* The folder holding initdb and pg_ctl: LIFT_PG_BINDIR, else the newest
 * /usr/lib/postgresql/N/bin (Debian keeps them off PATH), else "" to use PATH. */
static void find_bindir(char *out, size_t outlen)
{
    const char *env = getenv("LIFT_PG_BINDIR");
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        return;
    }
    out[0] = '\0';
    DIR *d = opendir("/usr/lib/postgresql");
    if (!d)
        return;
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        char probe[PATH_MAX];
        snprintf(probe, sizeof probe, "/usr/lib/postgresql/%.32s/bin/initdb", e->d_name);
        if (*end == '\0' && v > best && access(probe, X_OK) == 0) {
            best = v;
            snprintf(out, outlen, "/usr/lib/postgresql/%ld/bin", v);
        }
    }
    closedir(d);
}

/* Root runs the cluster as this user; everyone else runs it as themselves. */
static const struct passwd *cluster_user(lift_err *err)
{
    if (geteuid() != 0)
        return NULL;
    const char *name = getenv("LIFT_PG_USER");
    if (!name || !*name)
        name = "postgres";
    const struct passwd *pw = getpwnam(name);
    if (!pw)
        lift_err_set(err, LIFT_EINVAL,
                     "running as root, but there is no '%s' user to run PostgreSQL as "
                     "(install the postgresql package, or set LIFT_PG_USER)",
                     name);
    return pw;
}

/* Runs argv[0] from the bin folder with output appended to logpath, as the cluster user.
 * Returns the exit status, or -1 if it could not run. */
static int run_tool(const char *bindir, const char *const argv[], const char *logpath,
                    const struct passwd *pw, const char *must_reach)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", bindir, *bindir ? "/" : "", argv[0]);
    int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0)
        return -1;
    if (pw && fchown(log, pw->pw_uid, pw->pw_gid) != 0) {
        close(log);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(log);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        /* Nothing reaches our stdout: `url=$(liftctl db start)` must get only the URL. */
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
            _exit(127);
        /* The postmaster outlives us: it must not hold our caller's pipes open. */
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        if (pw && (setgid(pw->pw_gid) != 0 || initgroups(pw->pw_name, pw->pw_gid) != 0 ||
                   setuid(pw->pw_uid) != 0))
            _exit(127);
        if (must_reach && access(must_reach, R_OK | W_OK | X_OK) != 0)
            _exit(EXIT_UNREACHABLE);
        /* exec*() take char *const[] for historic reasons and never write to it. */
        union {
            const char *const *in;
            char *const *out;
        } args = {argv};
        if (*bindir)
            execv(path, args.out);
        else
            execvp(argv[0], args.out);
        fprintf(stderr, "lift: cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(log);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The last non-empty line of a log file, for error messages. */
static void last_line(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n)
            snprintf(out, outlen, "%s", line);
    }
    fclose(f);
}

/* Can `pw` search every folder down to dir? (A root-only parent such as /root blocks it.) */
static bool reachable_by(const struct passwd *pw, const char *dir)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1;; p++) {
        bool last = *p == '\0';
        if (*p == '/' || last) {
            *p = '\0';
            struct stat st;
            if (stat(tmp, &st) != 0)
                return false;
            bool ok = st.st_uid == pw->pw_uid   ? (st.st_mode & S_IXUSR)
                      : st.st_gid == pw->pw_gid ? (st.st_mode & S_IXGRP)
                                                : (st.st_mode & S_IXOTH);
            if (!ok)
                return false;
            if (last)
                return true;
            *p = '/';
        }
    }
}

/* Creates the data folder, owned by the cluster user. When that user cannot reach
 * LIFT_HOME (root working under /root, say), the folder goes to /var/lib/lift and
 * LIFT_HOME/pg becomes a link to it. Writes the folder used into datadir. */
static int place_datadir(const lift_pg *pg, const struct passwd *pw, char *datadir, size_t len,
                         lift_err *err)
{
    if (lift_mkdir_p(pg->home, 0755) != 0)
        return lift_err_set(err, LIFT_EIO, "cannot create %s: %s", pg->home, strerror(errno));
    snprintf(datadir, len, "%s", pg->datadir);
    if (pw && !reachable_by(pw, pg->home)) {
        snprintf(datadir, len, "/var/lib/lift/pg-%016llx",
                 (unsigned long long)lift_fnv64(pg->home));
        char link[PATH_MAX + 4];
        snprintf(link, sizeof link, "%s/pg", pg->home);
        if (lift_mkdir_p("/var/lib/lift", 0755) != 0 ||
            (symlink(datadir, link) != 0 && errno != EEXIST))
            return lift_err_set(err, LIFT_EIO, "cannot place the cluster in %s: %s", datadir,
                                strerror(errno));
        fprintf(stderr, "lift: user %s cannot reach %s; the cluster lives in %s (linked as %s)\n",
                pw->pw_name, pg->home, datadir, link);
    }
    if (lift_mkdir_p(datadir, 0700) != 0)
        return lift_err_set(err, LIFT_EIO, "cannot create %s: %s", datadir, strerror(errno));
    if (pw && chown(datadir, pw->pw_uid, pw->pw_gid) != 0)
        return lift_err_set(err, LIFT_EIO, "cannot give %s to %s: %s", datadir, pw->pw_name,
                            strerror(errno));
    return LIFT_OK;
}

static int initdb(const lift_pg *pg, const char *bindir, const struct passwd *pw, lift_err *err)
{
    char datadir[PATH_MAX];
    int rc = place_datadir(pg, pw, datadir, sizeof datadir, err);
    if (rc != LIFT_OK)
        return rc;
    char log[PATH_MAX + 16];
    snprintf(log, sizeof log, "%s/initdb.log", pg->home);
    const char *argv[] = {"initdb",     "-D",
                          datadir,      "-U",
                          "lift",       "--auth=trust",
                          "-E",         "UTF8",
                          "--locale=C", "--no-instructions",
                          NULL};
    int st = run_tool(bindir, argv, log, pw, datadir);
    if (st == EXIT_UNREACHABLE)
        return lift_err_set(err, LIFT_EIO,
                            "user %s cannot reach %s; set LIFT_HOME to a folder it can reach",
                            pw ? pw->pw_name : "?", datadir);
    if (st != 0) {
        char line[256];
        last_line(log, line, sizeof line);
        return lift_err_set(err, LIFT_EIO, "initdb failed (see %s): %s", log, line);
    }
    /* Unix socket in the data folder only, no TCP; the test harness may ask for speed. */
    char conf[PATH_MAX + 32];
    snprintf(conf, sizeof conf, "%s/postgresql.conf", datadir);
    FILE *f = fopen(conf, "a");
    if (!f)
        return lift_err_set(err, LIFT_EIO, "cannot open %s: %s", conf, strerror(errno));
    fprintf(f,
            "\n# lift: private cluster, Unix socket only\n"
            "listen_addresses = ''\n"
            "unix_socket_directories = '%s'\n"
            "unix_socket_permissions = 0700\n"
            "port = %s\n"
            "max_connections = 300\n"
            "shared_buffers = 256MB\n"
            "work_mem = 64MB\n"
            "maintenance_work_mem = 256MB\n"
            "max_wal_size = 2GB\n"
            "log_min_messages = warning\n",
            datadir, LIFT_PG_PORT);
    const char *fast = getenv("LIFT_PG_FAST");
    if (fast && strcmp(fast, "1") == 0)
        fprintf(f, "fsync = off\nfull_page_writes = off\n");
    return fclose(f) == 0 ? LIFT_OK : lift_err_set(err, LIFT_EIO, "cannot write %s", conf);
}

static int lock_home(const lift_pg *pg, lift_err *err)
{
    if (lift_mkdir_p(pg->home, 0755) != 0)
        return lift_err_set(err, LIFT_EIO, "cannot create %s: %s", pg->home, strerror(errno));
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/.lock", pg->home);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0)
        return lift_err_set(err, LIFT_EIO, "cannot lock %s: %s", path, strerror(errno));
    return fd; /* released when the process exits or the fd closes */
}

static int pg_ctl(const lift_pg *pg, const char *bindir, const struct passwd *pw,
                  const char *action)
{
    char log[PATH_MAX + 16], server_log[PATH_MAX + 16];
    snprintf(log, sizeof log, "%s/pg_ctl.log", pg->home);
    snprintf(server_log, sizeof server_log, "%s/server.log", pg->datadir);
    const char *start[] = {"pg_ctl", "-D", pg->datadir, "-l",    server_log,
                           "-w",     "-t", "60",        "start", NULL};
    const char *other[] = {"pg_ctl", "-D", pg->datadir, "-m",   "fast",
                           "-w",     "-t", "60",        action, NULL};
    return run_tool(bindir, strcmp(action, "start") == 0 ? start : other, log, pw, NULL);
}

static int ensure_database(const lift_pg *pg, lift_err *err)
{
    char url[sizeof pg->url];
    lift_pg_socket_url(pg->datadir, "postgres", "lift", url,
                       sizeof url); /* the maintenance database */
    lift_db *conn = lift_db_open(url, err);
    if (!conn)
        return err->code;
    PGresult *r =
        lift_db_exec(conn, "SELECT 1 FROM pg_database WHERE datname = 'lift'", 0, NULL, NULL, err);
    int rc = r ? LIFT_OK : LIFT_EDB;
    if (r && PQntuples(r) == 0)
        rc = lift_db_run(conn, "CREATE DATABASE lift", 0, NULL, err);
    PQclear(r);
    lift_db_close(conn);
    return rc;
}

int lift_pg_start(const lift_pg *pg, lift_err *err)
{
    if (pg->external) {
        lift_db *db = lift_db_open(pg->url, err);
        lift_db_close(db);
        return db ? LIFT_OK : err->code;
    }
    const struct passwd *pw = cluster_user(err);
    if (geteuid() == 0 && !pw)
        return err->code;
    int lock = lock_home(pg, err);
    if (lock < 0)
        return lock;
    char bindir[PATH_MAX];
    find_bindir(bindir, sizeof bindir);
    int rc = LIFT_OK;
    lift_pg located = *pg;
    lift_pg_state state = lift_pg_status(pg);
    if (state == LIFT_PG_MISSING) {
        rc = initdb(pg, bindir, pw, err);
        if (rc == LIFT_OK)
            rc = lift_pg_locate(&located, err); /* the folder may have moved (see above) */
        if (rc == LIFT_OK)
            state = LIFT_PG_STOPPED;
    }
    if (rc == LIFT_OK && state == LIFT_PG_STOPPED && pg_ctl(&located, bindir, pw, "start") != 0) {
        char line[256], log[PATH_MAX + 16];
        snprintf(log, sizeof log, "%s/server.log", located.datadir);
        last_line(log, line, sizeof line);
        rc = lift_err_set(err, LIFT_EIO, "PostgreSQL did not start (see %s): %s", log, line);
    }
    if (rc == LIFT_OK)
        rc = ensure_database(&located, err);
    close(lock);
    return rc;
}

int lift_pg_stop(const lift_pg *pg, lift_err *err)
{
    if (pg->external || lift_pg_status(pg) != LIFT_PG_RUNNING)
        return LIFT_OK;
    const struct passwd *pw = cluster_user(err);
    if (geteuid() == 0 && !pw)
        return err->code;
    char bindir[PATH_MAX];
    find_bindir(bindir, sizeof bindir);
    if (pg_ctl(pg, bindir, pw, "stop") != 0)
        return lift_err_set(err, LIFT_EIO, "pg_ctl stop failed (see %s/pg_ctl.log)", pg->home);
    return LIFT_OK;
}

lift_pg_state lift_pg_status(const lift_pg *pg)
{
    if (pg->external) {
        lift_err err;
        lift_db *db = lift_db_open(pg->url, &err);
        lift_db_close(db);
        return db ? LIFT_PG_RUNNING : LIFT_PG_STOPPED;
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/PG_VERSION", pg->datadir);
    if (access(path, F_OK) != 0)
        return LIFT_PG_MISSING;
    /* postmaster.pid names the postmaster; signal 0 asks whether it is alive. */
    snprintf(path, sizeof path, "%s/postmaster.pid", pg->datadir);
    FILE *f = fopen(path, "r");
    if (!f)
        return LIFT_PG_STOPPED;
    long pid = 0;
    int n = fscanf(f, "%ld", &pid);
    fclose(f);
    if (n != 1 || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
        return LIFT_PG_STOPPED;
    return LIFT_PG_RUNNING;
}
