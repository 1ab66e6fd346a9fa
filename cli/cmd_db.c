/* liftctl db: start, stop, status, url, migrate, roles and shards of the project database. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cluster.h"
#include "lift/migrate.h"
#include "lift/text.h"

static const char USAGE[] =
    "usage: liftctl db start|stop|status|url|migrate|roles|shards\n"
    "  start    create the private cluster on first use, start it, print its URL\n"
    "  stop     stop the private cluster\n"
    "  status   whether the database answers and, if not, why (bad URL, unreachable,\n"
    "           authentication failed, no such database); whether migrations are due.\n"
    "           Exit status 0 when it answers, 3 when it is stopped or unreachable, 2 for a\n"
    "           bad URL, 1 when it answers but refuses\n"
    "  url [--role ROLE]\n"
    "           print the connection URL (a password in it shows as ***); with --role\n"
    "           lift_writer or lift_analyst, that role's URL on the same database (liftd's\n"
    "           LIFTD_DATABASE_URL, analysts' tools)\n"
    "  migrate  apply sql/migrations (each once, in order)\n"
    "  roles [--writer-password-file F] [--analyst-password-file F] [--generate]\n"
    "        [--pgpass F]\n"
    "           set the passwords of lift_writer (liftd) and lift_analyst (read-only), on\n"
    "           an existing PostgreSQL. Each comes from its file's first line, or from\n"
    "           LIFT_WRITER_PASSWORD / LIFT_ANALYST_PASSWORD; --generate writes a new random\n"
    "           one into each file named (created with mode 0600; an existing file is\n"
    "           refused). Only a SCRAM-SHA-256 verifier computed here reaches the server.\n"
    "           --pgpass F also writes a pgpass file (0600) for liftd (PGPASSFILE=F).\n"
    "           Prints each role's URL, never a password. Needs an owner with CREATEROLE.\n"
    "  shards setup [--publisher-url URL] [--wait SECONDS]\n"
    "           set up the fact shards listed in LIFT_SHARDS (their PostgreSQL URLs,\n"
    "           separated by spaces; NAME=URL names one) from this, the config database:\n"
    "           every migration on every shard, publication lift_config of the config\n"
    "           tables here and a subscription on each shard (logical replication: this\n"
    "           server needs wal_level = logical), the bucket map split evenly. Waits up to\n"
    "           SECONDS (60) for every shard to hold the config, then prints the status.\n"
    "           The shards connect to --publisher-url (default: this database's URL).\n"
    "           Running it again changes nothing and says so.\n"
    "  shards status\n"
    "           per shard (LIFT_SHARDS, else those registered): reachable, schema,\n"
    "           subscription state, tables copied, config version, lag, buckets. Exit\n"
    "           status 0 when every shard is in sync, 3 when one does not answer, else 1.\n"
    "With LIFT_DATABASE_URL set, these use that server; start and stop then only check it.\n";

static void print_applied(const char *name, void *arg)
{
    (void)arg;
    fprintf(stderr, "applied %s\n", name);
}

static int migrate(void)
{
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    lift_err err;
    int applied;
    int rc = lift_migrate(db, &applied, print_applied, NULL, &err);
    /* The time partitions of lift.events for this month and the next two (migration 0010;
     * liftd does the same every --maintain-interval seconds). */
    PGresult *r = rc == LIFT_OK
                      ? lift_db_exec(db, "SELECT lift.maintain() AS made", 0, NULL, NULL, &err)
                      : NULL;
    if (rc == LIFT_OK && !r)
        rc = LIFT_EDB;
    if (r && atoi(lift_db_text(r, 0, "made")) > 0)
        fprintf(stderr, "created %s partitions ahead\n", lift_db_text(r, 0, "made"));
    PQclear(r);
    lift_db_close(db);
    if (rc != LIFT_OK)
        return cli_fail(CLI_FAIL, "db migrate", "%s", err.msg);
    if (applied == 0)
        fprintf(stderr, "database is up to date\n");
    return CLI_OK;
}

/* Says whether the database answers, and why not; for the private cluster, whether it
 * exists and runs first. */
static int status(const lift_pg *pg)
{
    char where[PATH_MAX + 80];
    lift_db_redact(pg->url, where, sizeof where);
    if (!pg->external) {
        lift_pg_state st = lift_pg_status(pg);
        if (st != LIFT_PG_RUNNING) {
            printf("%s: %s\n", pg->datadir,
                   st == LIFT_PG_STOPPED ? "stopped (start it with liftctl db start)"
                                         : "not created (run liftctl db start)");
            return CLI_NOT_RUNNING;
        }
    }
    lift_err err;
    lift_db_state st = lift_db_check(pg->url, &err);
    const char *label = pg->external ? "external server" : pg->datadir;
    if (st != LIFT_DB_REACHABLE) {
        printf("%s: %s: %s\n", label, lift_db_state_name(st), err.msg);
        return st == LIFT_DB_UNREACHABLE ? CLI_NOT_RUNNING
               : st == LIFT_DB_BAD_URL   ? CLI_USAGE
                                         : CLI_FAIL;
    }
    printf("%s: running\nurl: %s\n", label, where);
    lift_db *db = lift_db_open(pg->url, &err);
    int known = 0, pending = 0;
    if (db && lift_migrate_status(db, &known, &pending, &err) == LIFT_OK) {
        if (pending == 0)
            printf("schema: up to date (%d migrations)\n", known);
        else
            printf("schema: %d of %d migrations to apply (liftctl db migrate)\n", pending, known);
    } else {
        printf("schema: unknown (%s)\n", err.msg);
    }
    lift_db_close(db);
    return CLI_OK;
}

static int url(const lift_pg *pg, int argc, char **argv)
{
    static const struct option opts[] = {{"role", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    const char *role = NULL;
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, opts, "db url")) != -1) {
        if (c != 'r')
            return CLI_USAGE;
        role = optarg;
    }
    if (cli_extra_args(argc, argv, "db url") != CLI_OK)
        return CLI_USAGE;
    if (role && strcmp(role, "lift_writer") && strcmp(role, "lift_analyst"))
        return cli_fail(CLI_USAGE, "db url", "--role: '%s' is not lift_writer or lift_analyst",
                        role);
    char out[PATH_MAX + 200], shown[PATH_MAX + 200];
    if (role)
        lift_pg_url_as(pg, role, out, sizeof out);
    else
        snprintf(out, sizeof out, "%s", pg->url);
    lift_db_redact(out, shown, sizeof shown);
    printf("%s\n", shown);
    return CLI_OK;
}

/* --- roles ------------------------------------------------------------------------------ */

typedef struct role_arg {
    const char *role, *env, *file;
    char password[256];
    const char *source; /* for the message */
} role_arg;

/* A new random password: 24 bytes of /dev/urandom as 48 hex digits. */
static int random_password(char out[49])
{
    unsigned char bytes[24];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && read(fd, bytes, sizeof bytes) == (ssize_t)sizeof bytes;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return -1;
    lift_hex_encode(bytes, sizeof bytes, out);
    out[48] = '\0';
    return 0;
}

/* Writes text into a new file of mode 0600 (exclusive: an existing one is refused). */
static int write_secret(const char *path, const char *text, bool exclusive)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0600);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, n) == (ssize_t)n;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* The role's password from --generate, its file or its variable; "" to leave it. */
static int get_password(role_arg *r, bool generate)
{
    if (generate && r->file) {
        if (random_password(r->password) != 0)
            return cli_fail(CLI_FAIL, "db roles", "cannot read /dev/urandom");
        char line[300];
        snprintf(line, sizeof line, "%s\n", r->password);
        if (write_secret(r->file, line, true) != 0)
            return cli_fail(CLI_USAGE, "db roles", "%s: %s (--generate writes a new file only)",
                            r->file, strerror(errno));
        r->source = "generated into";
        return CLI_OK;
    }
    if (r->file) {
        FILE *f = fopen(r->file, "r");
        if (!f)
            return cli_fail(CLI_USAGE, "db roles", "%s: %s", r->file, strerror(errno));
        if (!fgets(r->password, sizeof r->password, f))
            r->password[0] = '\0';
        fclose(f);
        r->password[strcspn(r->password, "\r\n")] = '\0';
        if (!*r->password)
            return cli_fail(CLI_USAGE, "db roles", "%s: the first line is empty", r->file);
        r->source = "from";
        return CLI_OK;
    }
    const char *v = getenv(r->env);
    if (v && *v) {
        snprintf(r->password, sizeof r->password, "%s", v);
        r->source = r->env;
    }
    return CLI_OK;
}

/* "host:port:db:user:password" of the pgpass format, ':' and '\' escaped. */
static void pgpass_field(lift_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ':' || *s == '\\')
            lift_buf_puts(b, "\\");
        lift_buf_append(b, s, 1);
    }
}

static int roles(const lift_pg *pg, int argc, char **argv)
{
    static const struct option opts[] = {{"writer-password-file", required_argument, NULL, 'w'},
                                         {"analyst-password-file", required_argument, NULL, 'a'},
                                         {"generate", no_argument, NULL, 'g'},
                                         {"pgpass", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    role_arg r[2] = {{"lift_writer", "LIFT_WRITER_PASSWORD", NULL, "", NULL},
                     {"lift_analyst", "LIFT_ANALYST_PASSWORD", NULL, "", NULL}};
    const char *pgpass = NULL;
    bool generate = false;
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, opts, "db roles")) != -1) {
        if (c == 'w')
            r[0].file = optarg;
        else if (c == 'a')
            r[1].file = optarg;
        else if (c == 'g')
            generate = true;
        else if (c == 'p')
            pgpass = optarg;
        else
            return CLI_USAGE;
    }
    if (cli_extra_args(argc, argv, "db roles") != CLI_OK)
        return CLI_USAGE;
    if (generate && !r[0].file && !r[1].file)
        return cli_fail(CLI_USAGE, "db roles",
                        "--generate needs --writer-password-file or --analyst-password-file");
    lift_db *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    int rc = CLI_OK;
    for (int i = 0; i < 2 && rc == CLI_OK; i++)
        rc = get_password(&r[i], generate);
    if (rc == CLI_OK && !*r[0].password && !*r[1].password)
        rc = cli_fail(CLI_USAGE, "db roles",
                      "no password given: name a file (--writer-password-file ...) or set "
                      "LIFT_WRITER_PASSWORD / LIFT_ANALYST_PASSWORD");
    for (int i = 0; i < 2 && rc == CLI_OK; i++) {
        char shown[PATH_MAX + 200], url[PATH_MAX + 200];
        lift_pg_url_as(pg, r[i].role, url, sizeof url);
        lift_db_redact(url, shown, sizeof shown);
        if (!*r[i].password) {
            printf("%s: password left as it was\n", r[i].role);
            continue;
        }
        char *verifier =
            PQencryptPasswordConn(lift_db_conn(db), r[i].password, r[i].role, "scram-sha-256");
        if (!verifier) {
            rc = cli_fail(CLI_FAIL, "db roles", "%s: %s", r[i].role,
                          PQerrorMessage(lift_db_conn(db)));
            break;
        }
        const char *params[] = {r[i].role, verifier};
        lift_err err;
        if (lift_db_run(db, "SELECT lift.set_role_password($1, $2)", 2, params, &err) != LIFT_OK)
            rc = cli_db_refusal(db, "db roles", r[i].role);
        PQfreemem(verifier);
        if (rc != CLI_OK)
            break;
        printf("%s: password set (%s%s%s)\n  %s: %s\n", r[i].role, r[i].source,
               r[i].file ? " " : "", r[i].file ? r[i].file : "",
               i == 0 ? "liftd's LIFTD_DATABASE_URL" : "analysts' URL", shown);
    }
    if (rc == CLI_OK && pgpass && *r[0].password) {
        /* host:port:database:user:password for every host, port and database ("*"): the
         * file is liftd's, and lift_writer has this password everywhere. */
        lift_buf b;
        lift_buf_init(&b);
        lift_buf_puts(&b, "*:*:*:lift_writer:");
        pgpass_field(&b, r[0].password);
        lift_buf_puts(&b, "\n");
        if (write_secret(pgpass, b.data, false) != 0)
            rc = cli_fail(CLI_FAIL, "db roles", "%s: %s", pgpass, strerror(errno));
        else
            printf("pgpass file for liftd: %s (set PGPASSFILE=%s)\n", pgpass, pgpass);
        lift_buf_fini(&b);
    }
    if (rc == CLI_OK && !pg->external)
        printf("(the private cluster trusts its own socket: the passwords take effect on a "
               "server that checks them)\n");
    explicit_bzero(r[0].password, sizeof r[0].password);
    explicit_bzero(r[1].password, sizeof r[1].password);
    lift_db_close(db);
    return rc;
}

int cmd_db(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0) {
        fputs(USAGE, stdout);
        return CLI_OK;
    }
    static const char *const subs[] = {"start",   "stop",  "status", "url",
                                       "migrate", "roles", "shards"};
    bool known = false;
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
        known = known || !strcmp(sub, subs[i]);
    if (!known)
        return cli_fail(CLI_USAGE, "db", "unknown subcommand '%s' (see liftctl help db)", sub);
    if (argc > 2 && strcmp(sub, "url") && strcmp(sub, "roles") && strcmp(sub, "shards"))
        return cli_fail(CLI_USAGE, "db", "unexpected argument '%s' (see liftctl help db)", argv[2]);
    lift_pg pg;
    lift_err err;
    if (lift_pg_locate(&pg, &err) != LIFT_OK)
        return cli_fail(CLI_FAIL, "db", "%s", err.msg);
    if (strcmp(sub, "url") == 0)
        return url(&pg, argc - 1, argv + 1);
    if (strcmp(sub, "roles") == 0)
        return roles(&pg, argc - 1, argv + 1);
    if (strcmp(sub, "shards") == 0)
        return cmd_db_shards(&pg, argc - 1, argv + 1);
    if (strcmp(sub, "start") == 0) {
        lift_pg_state before = lift_pg_status(&pg);
        if (lift_pg_start(&pg, &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, "db start", "%s", err.msg);
        if (lift_pg_locate(&pg, &err) != LIFT_OK) /* the folder may be a link now */
            return cli_fail(CLI_FAIL, "db start", "%s", err.msg);
        if (pg.external)
            fprintf(stderr, "using LIFT_DATABASE_URL (not managed by lift)\n");
        else
            fprintf(stderr, "%s %s\n",
                    before == LIFT_PG_RUNNING   ? "already running:"
                    : before == LIFT_PG_MISSING ? "created and started private cluster in"
                                                : "started private cluster in",
                    pg.datadir);
        char shown[PATH_MAX + 80];
        lift_db_redact(pg.url, shown, sizeof shown);
        printf("%s\n", shown);
        return CLI_OK;
    }
    if (strcmp(sub, "stop") == 0) {
        if (pg.external) {
            fprintf(stderr, "LIFT_DATABASE_URL is set: lift does not stop servers it did not "
                            "start\n");
            return CLI_OK;
        }
        lift_pg_state before = lift_pg_status(&pg);
        if (lift_pg_stop(&pg, &err) != LIFT_OK)
            return cli_fail(CLI_FAIL, "db stop", "%s", err.msg);
        fprintf(stderr, "%s\n", before == LIFT_PG_RUNNING ? "stopped" : "not running");
        return CLI_OK;
    }
    if (strcmp(sub, "status") == 0)
        return status(&pg);
    return migrate();
}
