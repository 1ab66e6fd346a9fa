/* liftd and liftctl as an installed service: `make install` into a DESTDIR, the installed
 * liftd run from another folder, the systemd unit verified, the manual pages and the bash
 * completion made from the binaries' own help; liftd's state folder, its lock, its option
 * checks; both binaries' --version, named unknown options and documented exit statuses. */
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

#include "support/cli.h"
#include "support/liftd.h"
#include "support/pgtest.h"

static lift_db *db;
static char conninfo[1024];

static void setup(void)
{
    db = pgtest_db(conninfo, sizeof conninfo);
    pgtest_ok(db, PGTEST_RECS);
}

static void teardown(void)
{
    lift_db_close(db);
}

TestSuite(service, .init = setup, .fini = teardown, .timeout = 180);

/* Runs a shell command; returns its exit status and its output (stdout and stderr). */
static int sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t len, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[8300];
    snprintf(full, sizeof full, "(%s) 2>&1", cmd);
    FILE *p = popen(full, "r");
    cr_assert(p, "popen %s", cmd);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    char rest[4096];
    while (fread(rest, 1, sizeof rest, p) > 0)
        ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *tmpdir(const char *name)
{
    static char path[600];
    const char *t = getenv("LIFT_TEST_TMP");
    snprintf(path, sizeof path, "%s/%s-%d", t && *t ? t : "/tmp", name, (int)getpid());
    return path;
}

static const char *build(void)
{
    const char *b = getenv("LIFT_TEST_BUILD");
    return b && *b ? b : "build";
}

static void mode_is(const char *path, unsigned mode)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s is missing", path);
    cr_assert_eq(st.st_mode & 07777, mode, "%s has mode %o, not %o", path, st.st_mode & 07777,
                 mode);
}

Test(service, make_install_into_a_destdir_and_run_the_installed_liftd_elsewhere)
{
    static char out[65536];
    char dest[700], root[1000];
    snprintf(dest, sizeof dest, "%s", tmpdir("destdir"));
    int rc = sh(out, sizeof out,
                "make --no-print-directory install BUILD=%s PREFIX=/usr DESTDIR=%s", build(), dest);
    cr_assert_eq(rc, 0, "make install failed: %s", out);
    static const struct {
        const char *path;
        unsigned mode;
    } files[] = {{"/usr/bin/liftctl", 0755},
                 {"/usr/sbin/liftd", 0755},
                 {"/usr/share/man/man1/liftctl.1", 0644},
                 {"/usr/share/man/man8/liftd.8", 0644},
                 {"/usr/share/lift/sql/migrations/0001_schema.sql", 0644},
                 {"/usr/share/lift/sql/examples/homepage_recs.sql", 0644},
                 {"/usr/lib/systemd/system/liftd.service", 0644},
                 {"/usr/share/bash-completion/completions/liftctl", 0644},
                 {"/usr/share/doc/lift/operations.md", 0644},
                 {"/etc/lift/liftd.env", 0600}};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(root, sizeof root, "%s%s", dest, files[i].path);
        mode_is(root, files[i].mode);
    }
    /* The settings file is never overwritten by a second install. */
    snprintf(root, sizeof root, "%s/etc/lift/liftd.env", dest);
    FILE *f = fopen(root, "a");
    fputs("LIFT_LOG_LEVEL=warn\n", f);
    fclose(f);
    cr_assert_eq(sh(out, sizeof out,
                    "make --no-print-directory install BUILD=%s PREFIX=/usr DESTDIR=%s", build(),
                    dest),
                 0, "%s", out);
    cr_assert(strstr(out, "kept "), "%s", out);
    cr_assert_eq(sh(out, sizeof out, "grep -c LIFT_LOG_LEVEL=warn %s", root), 0, "%s", out);

    /* The unit points at the installed binary and settings, and systemd accepts it. The
     * standard targets it depends on come from this machine's systemd. */
    snprintf(root, sizeof root, "%s/usr/lib/systemd/system/liftd.service", dest);
    cr_assert_eq(
        sh(out, sizeof out,
           "grep -x 'ExecStart=/usr/sbin/liftd' %s && grep -x "
           "'EnvironmentFile=-/etc/lift/liftd.env' %s && grep -x 'ProtectSystem=strict' %s "
           "&& grep -x 'StateDirectory=lift' %s && grep -x 'NoNewPrivileges=yes' %s && "
           "grep -x 'DynamicUser=yes' %s",
           root, root, root, root, root, root),
        0, "%s", out);
    rc = sh(out, sizeof out,
            "cp /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.slice "
            "%s/usr/lib/systemd/system/ 2>/dev/null; MANPATH=%s/usr/share/man systemd-analyze "
            "verify --root=%s /usr/lib/systemd/system/liftd.service",
            dest, dest, dest);
    cr_assert_eq(rc, 0, "systemd-analyze verify: %s", out);

    /* The installed liftd, run from another folder: its state folder is made with its
     * parents, and a second liftd on the same folder is refused, naming the first. */
    char bin[800], state[800];
    snprintf(bin, sizeof bin, "%s/usr/sbin/liftd", dest);
    snprintf(state, sizeof state, "%s/var/lib/lift/spool", dest);
    cr_assert_eq(sh(out, sizeof out, "cd / && %s --version", bin), 0, "%s", out);
    cr_assert(strstr(out, "liftd 0."), "%s", out);
    liftd_proc d = {.bin = bin, .cwd = "/"};
    char spool_env[900];
    snprintf(spool_env, sizeof spool_env, "LIFT_SPOOL_DIR=%s", state);
    const char *env[] = {spool_env, NULL};
    liftd_start(&d, conninfo, NULL, env);
    lift_httpc_response r = {0};
    lift_buf_init(&r.body);
    cr_assert_eq(liftd_get(&d, "/readyz", &r), 200, "%s", r.body.data);
    lift_buf_fini(&r.body);
    snprintf(root, sizeof root, "%s/exposures.csv", state);
    mode_is(state, 0750);
    mode_is(root, 0640);
    liftd_proc second = {.bin = bin, .cwd = "/", .expect_exit = 1};
    liftd_start(&second, conninfo, NULL, env);
    char pid[64];
    snprintf(pid, sizeof pid, "in use by another liftd (pid %d)", (int)d.pid);
    cr_assert(liftd_log_has(&second, pid), "no refusal naming pid %d in %s", (int)d.pid,
              second.log);
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    /* Once it is gone the folder is free again. */
    second.expect_exit = 0;
    liftd_start(&second, conninfo, NULL, env);
    cr_assert_eq(liftd_stop(&second, SIGTERM), 0);

    /* The installed liftctl works from another folder too. */
    snprintf(bin, sizeof bin, "%s/usr/bin/liftctl", dest);
    cr_assert_eq(sh(out, sizeof out, "cd / && %s --version && %s help ramp", bin, bin), 0, "%s",
                 out);
    cr_assert(strstr(out, "liftctl 0.") && strstr(out, "--coverage"), "%s", out);
}

/* The manual pages say what --help says: every liftd option and variable, every liftctl
 * command with its options; and groff reads them without a warning. */
Test(service, manual_pages_come_from_the_help_texts)
{
    static char out[1 << 17], help[1 << 16];
    /* Made here with the script make install uses (make itself runs in the install test,
     * which may run at the same time). */
    char man[700];
    snprintf(man, sizeof man, "%s", tmpdir("man"));
    cr_assert_eq(sh(out, sizeof out,
                    "mkdir -p %s && build-aux/mkman.sh liftd 8 %s/liftd > %s/liftd.8 && "
                    "build-aux/mkman.sh liftctl 1 %s/liftctl > %s/liftctl.1",
                    man, build(), man, build(), man),
                 0, "%s", out);
    for (int page = 0; page < 2; page++) {
        const char *name = page ? "liftctl.1" : "liftd.8";
        cr_assert_eq(sh(out, sizeof out, "groff -man -ww -z %s/%s", man, name), 0,
                     "groff warns about %s: %s", name, out);
        cr_assert_eq(sh(out, sizeof out, "MANWIDTH=200 man -l %s/%s | col -b", man, name), 0, "%s",
                     out);
        /* Every --option and LIFT_ variable of the help text is on the page. */
        if (page == 0)
            sh(help, sizeof help, "%s/liftd --help | grep -o -- '--[a-z-]*\\|LIFTD*_[A-Z_]*'",
               build());
        else
            sh(help, sizeof help,
               "%s/liftctl --help | sed -n '/^commands:/,/^$/s/^  \\([a-z]*\\).*/\\1/p' | while "
               "read c; do %s/liftctl help $c; done | grep -o -- '--[a-z-]*' | sort -u",
               build(), build());
        int n = 0;
        for (char *tok = strtok(help, "\n"); tok; tok = strtok(NULL, "\n"), n++)
            cr_expect(strstr(out, tok), "%s lacks %s", name, tok);
        cr_assert_gt(n, 15, "only %d options found in the help of %s", n, name);
    }
}

/* The completion: commands, each command's options from its help, db's subcommands,
 * experiment keys from the database. */
Test(service, bash_completion_completes_commands_options_and_experiments)
{
    static char out[16384];
    char script[700];
    snprintf(script, sizeof script, "%s.bash", tmpdir("completion"));
    cr_assert_eq(sh(out, sizeof out, "%s/liftctl completion bash > %s", build(), script), 0, "%s",
                 out);
    static const struct {
        const char *words, *want;
    } cases[] = {{"liftctl ap", "apply"},
                 {"liftctl apply --p", "--plan"},
                 {"liftctl db ro", "roles"},
                 {"liftctl db sh", "shards"},
                 {"liftctl db shards se", "setup"},
                 {"liftctl db shards st", "status"},
                 {"liftctl db shards setup --pu", "--publisher-url"},
                 {"liftctl ramp recs --c", "--coverage"},
                 {"liftctl help expl", "explain"},
                 {"liftctl start re", "recs"},
                 {"liftctl explain --experiment r", "recs"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = sh(out, sizeof out,
                    "LIFT_DATABASE_URL='%s' PATH=%s:$PATH bash -c '. %s; COMP_WORDS=(%s); "
                    "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _liftctl; echo \"${COMPREPLY[*]}\"'",
                    conninfo, build(), script, cases[i].words);
        cr_expect_eq(rc, 0, "%s: %s", cases[i].words, out);
        cr_expect(strstr(out, cases[i].want), "%s: '%s' not in '%s'", cases[i].words, cases[i].want,
                  out);
    }
}

/* liftd: --version, an out-of-range port, an unknown option, a secret as a flag: exit 2
 * naming the problem, before anything starts. */
Test(service, liftd_refuses_bad_options_before_starting)
{
    static char out[4096];
    static const struct {
        const char *args;
        int status;
        const char *needle;
    } cases[] = {
        {"--version", 0, "liftd 0."},
        {"--listen 127.0.0.1:99999", 2, "port '99999' is not a whole number in [0, 65535]"},
        {"--listen 127.0.0.1:-1", 2, "port '-1'"},
        {"--listen 127.0.0.1:http", 2, "port 'http'"},
        {"--listen localhost", 2, "expected HOST:PORT"},
        {"--frob", 2, "unknown option --frob"},
        {"--api-keys x", 2, "is a secret: set it with LIFT_API_KEYS"},
        {"--threads 1000", 2, "threads (flag): '1000' is not a whole number in [0, 256]"},
        {"--help", 0, "Exit status:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = sh(out, sizeof out, "LIFT_HOME=/nonexistent/x %s %s", pgtest_bin("liftd"),
                    cases[i].args);
        cr_expect_eq(rc, cases[i].status, "liftd %s: %d: %s", cases[i].args, rc, out);
        cr_expect(strstr(out, cases[i].needle), "liftd %s: '%s' not in %s", cases[i].args,
                  cases[i].needle, out);
    }
    /* A state folder it may not make is named, with the variable to set. */
    int rc = sh(out, sizeof out,
                "LIFT_SPOOL_DIR=/proc/lift-spool %s --listen 127.0.0.1:0 --db "
                "'host=/nonexistent'",
                pgtest_bin("liftd"));
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "cannot create spool folder /proc/lift-spool") &&
                  strstr(out, "LIFT_SPOOL_DIR"),
              "%s", out);
}

/* liftctl: the documented exit statuses (0 done, 1 run-time failure, 2 usage or bad
 * input, 3 not running) and unknown options named with the command. */
Test(service, liftctl_exit_statuses_and_messages)
{
    static char out[16384];
    static const struct {
        const char *env, *args;
        int status;
        const char *needle;
    } cases[] = {
        {NULL, "--version", 0, "liftctl 0."},
        {NULL, "help", 0, "exit status:"},
        {NULL, "help apply", 0, "--plan"},
        {NULL, "help nosuch", 2, "unknown command 'nosuch'"},
        {NULL, "nosuch", 2, "unknown command 'nosuch'"},
        {NULL, "--frob", 2, "unknown option --frob"},
        {NULL, "apply --frob x.sql", 2, "liftctl apply: unknown option --frob"},
        {NULL, "assign --unit u --frob", 2, "liftctl assign: unknown option --frob"},
        {NULL, "explain --unit", 2, "liftctl explain: --unit needs a value"},
        {NULL, "ramp recs --coverage 150%", 2, "not a share in [0, 1]"},
        {NULL, "ramp recs --coverage 2", 2, "not a share in [0, 1]"},
        {NULL, "ramp nosuch --coverage 50%", 2, "no experiment 'nosuch'"},
        {NULL, "power --baseline 3% --mde 10% --frob", 2, "liftctl power: unknown option --frob"},
        {NULL, "simulate --experiment recs --shoppers 1 --frob 2", 2, "unknown option --frob"},
        {NULL, "forget --frob", 2, "unknown option --frob"},
        {NULL, "report recs --frob", 2, "liftctl report: unknown option --frob"},
        {NULL, "report recs --format", 2, "liftctl report: --format needs a value"},
        {NULL, "report recs extra", 2, "liftctl report: unexpected argument 'extra'"},
        {NULL, "report recs --alpha 150%", 2, "--alpha: '150%' is not between 0 and 1"},
        {NULL, "stats --frob", 2, "liftctl stats: unknown option --frob"},
        {NULL, "db frob", 2, "unknown subcommand 'frob'"},
        {NULL, "db url --role lift_admin", 2, "not lift_writer or lift_analyst"},
        {NULL, "apply /nonexistent.sql", 2, "/nonexistent.sql: No such file"},
        {NULL, "db status", 0, "running"},
        {"LIFT_DATABASE_URL=postgresql://x@127.0.0.1:1/lift", "db status", 3, "unreachable"},
        {"LIFT_DATABASE_URL=postgresql://x@127.0.0.1:1/lift", "experiments", 1, "cannot connect"},
        {"LIFT_DATABASE_URL='host=/x port=notaport'", "db status", 3, "port"},
        {"LIFT_DATABASE_URL='dbname=lift user'", "db status", 2, "bad URL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = cli_run(conninfo, cases[i].env, cases[i].args, 1, out, sizeof out);
        cr_expect_eq(rc, cases[i].status, "liftctl %s: %d: %s", cases[i].args, rc, out);
        cr_expect(strstr(out, cases[i].needle), "liftctl %s: '%s' not in %s", cases[i].args,
                  cases[i].needle, out);
    }
    /* The same share, written either way, is the same coverage. */
    cr_assert_eq(cli_run(conninfo, NULL, "ramp recs --coverage 40%", 1, out, sizeof out), 0, "%s",
                 out);
    cr_assert_str_eq(pgtest_value(db, "SELECT coverage FROM lift.experiments"), "0.4");
    cr_assert_eq(cli_run(conninfo, NULL, "ramp recs --coverage 0.4", 1, out, sizeof out), 0, "%s",
                 out);
    cr_assert(strstr(out, "already 40%"), "%s", out);
}

/* Given only LIFT_DATABASE_URL (the owner's, as liftctl uses it), liftd connects to that
 * database as lift_writer; given the owner's URL as its own, it says that role is too
 * strong. */
Test(service, liftd_connects_as_lift_writer_and_warns_about_a_stronger_role)
{
    char owner_env[1200];
    snprintf(owner_env, sizeof owner_env, "LIFT_DATABASE_URL=%s", conninfo);
    const char *env[] = {owner_env, NULL};
    liftd_proc d = {.no_db_flag = true};
    liftd_start(&d, conninfo, NULL, env);
    cr_assert(liftd_log_has(&d, "db=postgresql://lift_writer@/"), "see %s", d.log);
    for (int i = 0; i < 100 && !liftd_log_has(&d, "writer connected"); i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    cr_assert(liftd_log_has(&d, "writer connected"), "see %s", d.log);
    cr_assert(!liftd_log_has(&d, "can change the config"), "see %s", d.log);
    cr_assert_eq(liftd_stop(&d, SIGTERM), 0);
    char as_owner[1200];
    snprintf(as_owner, sizeof as_owner, "LIFTD_DATABASE_URL=%s", conninfo);
    const char *env2[] = {as_owner, NULL};
    liftd_proc e = {.no_db_flag = true};
    liftd_start(&e, conninfo, NULL, env2);
    for (int i = 0; i < 100 && !liftd_log_has(&e, "writer"); i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    cr_assert(liftd_log_has(&e, "which can change the config; give liftd the role lift_writer"),
              "see %s", e.log);
    cr_assert_eq(liftd_stop(&e, SIGTERM), 0);
}
