/* liftctl apply: experiment config files (SQL, as product teams write them; see
 * sql/examples/), applied declaratively and idempotently. Every file given is run, one
 * statement at a time, in one transaction in the database's declarative mode (migration
 * 0007): an INSERT of a row that exists updates what differs, rows the files still list
 * stay untouched, and variants, overrides and conditions a declared experiment or
 * audience no longer lists are removed. Then the before and after states are compared
 * and printed (created, updated with each field, deleted, unchanged, new phases);
 * --plan rolls it all back. The database checks everything as for any other write. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "lift/xalloc.h"
#include "sqlsplit.h"

static const char USAGE[] =
    "usage: liftctl apply [--plan] FILE.sql... (- for standard input)\n"
    "Makes the database hold what the files say, in one transaction: all files or nothing.\n"
    "An INSERT of a config row that exists updates it where it differs; the same files\n"
    "applied twice change nothing (no row rewritten, the config version unchanged). An\n"
    "experiment a file declares keeps only the variants and overrides the file lists, an\n"
    "audience only the conditions it lists; rows no file mentions are left alone. A file\n"
    "without a seed keeps the experiment's seed. BEGIN/COMMIT in a file are allowed (the\n"
    "file's checks run at its COMMIT).\n"
    "Prints each row created, updated (field: old -> new), deleted or left unchanged, and\n"
    "each change that starts a new phase (a new seed re-randomizes every shopper).\n"
    "  --plan   print what would change, and apply nothing\n"
    "A refusal names the file and line, with PostgreSQL's DETAIL and HINT; then nothing of\n"
    "any file is applied. A running liftd serves the new config within a second.\n";

typedef struct file {
    const char *path;
    char *sql;
    cli_stmt *stmts;
    size_t n;
} file;

/* Reads and splits one file; CLI_OK or the exit status after saying why. */
static int load_file(file *f)
{
    FILE *in = strcmp(f->path, "-") ? fopen(f->path, "rb") : stdin;
    if (!in)
        return cli_fail(CLI_USAGE, "apply", "%s: %s", f->path, strerror(errno));
    size_t len;
    f->sql = cli_read_all(in, &len);
    if (in != stdin)
        fclose(in);
    if (!f->sql)
        return cli_fail(CLI_FAIL, "apply", "%s: cannot read it", f->path);
    if (strlen(f->sql) != len)
        return cli_fail(CLI_USAGE, "apply", "%s: holds a NUL byte; not an SQL file", f->path);
    f->n = cli_sql_split(f->sql, &f->stmts);
    return CLI_OK;
}

/* The statement's first word, upper-cased, for transaction control. */
static void first_word(const cli_stmt *s, char *out, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < s->len && k + 1 < len; i++) {
        char c = s->text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            break;
        out[k++] = (char)(c >= 'a' ? c - 32 : c);
    }
    out[k] = '\0';
}

static const char SQL_SETUP[] =
    "SET LOCAL lift.apply = 'declare';"
    "CREATE TEMP TABLE lift_declared (kind text, key text, parent text, file text, line int)"
    "  ON COMMIT DROP;"
    "CREATE TEMP TABLE lift_before ON COMMIT DROP AS SELECT * FROM lift.config_rows();";
static const char SQL_WHERE[] = "SELECT set_config('lift.apply_file', $1, true),"
                                "       set_config('lift.apply_line', $2, true)";
/* The end of a file: what it no longer lists goes, and the whole-experiment checks run now
 * (they would at COMMIT), so that a refusal names this file. */
static const char SQL_FILE_END[] = "SELECT lift.apply_finish();"
                                   "SET CONSTRAINTS ALL IMMEDIATE;"
                                   "SET CONSTRAINTS ALL DEFERRED;";
static const char SQL_VERSION[] = "SELECT version FROM lift.config_state";

/* Before against after, for every row that changed or that a file declares. */
static const char SQL_DIFF[] =
    "WITH after AS (SELECT * FROM lift.config_rows()),"
    " declared AS ("
    "  SELECT DISTINCT ON (kind, key) kind, key, file, line FROM ("
    "    SELECT kind, key, file, line FROM pg_temp.lift_declared WHERE kind <> 'condition'"
    "    UNION ALL SELECT 'audience', parent, file, line FROM pg_temp.lift_declared"
    "     WHERE kind = 'condition') d ORDER BY kind, key, line),"
    " diff AS ("
    "  SELECT coalesce(a.kind, b.kind) AS kind, coalesce(a.key, b.key) AS key, a.doc AS new,"
    "         b.doc AS old"
    "    FROM after a FULL JOIN pg_temp.lift_before b ON a.kind = b.kind AND a.key = b.key)"
    " SELECT diff.kind, diff.key,"
    "   CASE WHEN old IS NULL THEN 'create' WHEN new IS NULL THEN 'delete'"
    "        WHEN old = new THEN 'unchanged' ELSE 'update' END AS action,"
    "   (SELECT string_agg(k || ': ' || coalesce(old -> k, 'null')::text || ' -> ' ||"
    "                      coalesce(new -> k, 'null')::text, ', ' ORDER BY k)"
    "      FROM (SELECT jsonb_object_keys(new) UNION SELECT jsonb_object_keys(old)) keys(k)"
    "     WHERE old IS NOT NULL AND new IS NOT NULL"
    "       AND (old -> k) IS DISTINCT FROM (new -> k)) AS changes,"
    "   CASE WHEN diff.kind = 'experiment' AND (new ->> 'phase')::int > (old ->> 'phase')::int"
    "        THEN format('%s: phase %s -> %s (seed %s -> %s): every shopper is re-randomized',"
    "                    diff.key, old ->> 'phase', new ->> 'phase', old -> 'seed', new -> 'seed')"
    "   END AS new_phase,"
    "   declared.file, declared.line"
    "  FROM diff LEFT JOIN declared ON declared.kind = diff.kind AND declared.key = diff.key"
    " WHERE old IS DISTINCT FROM new OR declared.key IS NOT NULL"
    " ORDER BY array_position(ARRAY['metric', 'layer', 'audience', 'experiment', 'variant',"
    "                               'override'], diff.kind), diff.key";

/* Runs one statement of f; on a refusal prints file:line[:column] with the server's
 * DETAIL and HINT and returns CLI_USAGE. */
static int run_stmt(lift_db *db, const file *f, const cli_stmt *s)
{
    lift_err err;
    char line[16];
    snprintf(line, sizeof line, "%d", s->line);
    const char *where[] = {f->path, line};
    PGresult *r = lift_db_exec(db, SQL_WHERE, 2, where, NULL, &err);
    if (!r)
        return cli_fail(CLI_FAIL, "apply", "%s", err.msg);
    PQclear(r);
    char *text = lift_xmalloc(s->len + 1);
    memcpy(text, s->text, s->len);
    text[s->len] = '\0';
    int rc = lift_db_script(db, text, &err);
    free(text);
    if (rc == LIFT_OK)
        return CLI_OK;
    int pos = lift_db_last_error(db).position, l = s->line, col = 0;
    if (pos > 0)
        cli_sql_where(s, pos, &l, &col);
    char at[1200];
    if (col)
        snprintf(at, sizeof at, "%.1100s:%d:%d", f->path, l, col);
    else
        snprintf(at, sizeof at, "%.1100s:%d", f->path, l);
    return cli_db_refusal(db, "apply", at);
}

/* Runs file f inside the open transaction. */
static int run_file(lift_db *db, const file *f)
{
    int end_line = 0; /* the file's COMMIT, where its whole-experiment checks run */
    for (size_t i = 0; i < f->n; i++) {
        const cli_stmt *s = &f->stmts[i];
        char word[16];
        first_word(s, word, sizeof word);
        if (s->text[0] == '\\')
            return cli_fail(CLI_USAGE, "apply",
                            "%s:%d: %.*s is a psql command, not SQL (liftctl apply runs SQL)",
                            f->path, s->line, (int)strcspn(s->text, " \t\r\n"), s->text);
        if (!strcmp(word, "BEGIN") || !strcmp(word, "START"))
            continue; /* all files are one transaction already */
        if (!strcmp(word, "COMMIT") || !strcmp(word, "END")) {
            end_line = s->line;
            continue;
        }
        if (!strcmp(word, "ROLLBACK") || !strcmp(word, "ABORT"))
            return cli_fail(CLI_USAGE, "apply",
                            "%s:%d: a ROLLBACK in a config file (to try a file without "
                            "applying it, use liftctl apply --plan)",
                            f->path, s->line);
        int rc = run_stmt(db, f, s);
        if (rc != CLI_OK)
            return rc;
    }
    if (!end_line) { /* no COMMIT: the checks run at its last line */
        end_line = 1;
        for (const char *p = f->sql; *p; p++)
            end_line += *p == '\n' && p[1];
    }
    cli_stmt end = {SQL_FILE_END, sizeof SQL_FILE_END - 1, end_line};
    int rc = run_stmt(db, f, &end);
    return rc;
}

/* Prints the comparison; counts what changed. */
static int print_plan(lift_db *db, bool plan, long *changed)
{
    lift_err err;
    PGresult *r = lift_db_exec(db, SQL_DIFF, 0, NULL, NULL, &err);
    if (!r)
        return cli_fail(CLI_FAIL, "apply", "%s", err.msg);
    long counts[4] = {0, 0, 0, 0}; /* create, update, delete, unchanged */
    static const char *const actions[] = {"create", "update", "delete", "unchanged"};
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        const char *action = lift_db_text(r, i, "action");
        for (int a = 0; a < 4; a++)
            if (!strcmp(action, actions[a]))
                counts[a]++;
        char what[200], origin[1100] = "";
        snprintf(what, sizeof what, "%s %s", lift_db_text(r, i, "kind"), lift_db_text(r, i, "key"));
        if (!lift_db_null(r, i, "file"))
            snprintf(origin, sizeof origin, "  (%s:%s)", lift_db_text(r, i, "file"),
                     lift_db_text(r, i, "line"));
        if (*origin)
            printf("  %-9s %-44s%s\n", action, what, origin);
        else
            printf("  %-9s %s\n", action, what);
        if (!lift_db_null(r, i, "changes"))
            printf("            %s\n", lift_db_text(r, i, "changes"));
    }
    long phases = 0;
    for (int i = 0; i < n; i++)
        if (!lift_db_null(r, i, "new_phase")) {
            printf("  new phase: %s\n", lift_db_text(r, i, "new_phase"));
            phases++;
        }
    printf("%s %ld to create, %ld to update, %ld to delete, %ld unchanged; %ld new phase%s\n",
           plan ? "plan:" : "applied:", counts[0], counts[1], counts[2], counts[3], phases,
           phases == 1 ? "" : "s");
    *changed = counts[0] + counts[1] + counts[2];
    PQclear(r);
    return CLI_OK;
}

int cmd_apply(int argc, char **argv)
{
    static const struct option opts[] = {
        {"plan", no_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool plan = false;
    int c;
    while ((c = cli_getopt(argc, argv, opts, "apply")) != -1) {
        if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_OK;
        }
        if (c != 'p')
            return CLI_USAGE;
        plan = true;
    }
    if (optind >= argc) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    size_t nfiles = (size_t)(argc - optind);
    file *files = lift_xcalloc(nfiles, sizeof *files);
    int rc = CLI_OK;
    for (size_t i = 0; i < nfiles && rc == CLI_OK; i++) {
        files[i].path = argv[optind + (int)i];
        rc = load_file(&files[i]);
    }
    lift_db *db = rc == CLI_OK ? cli_connect() : NULL;
    if (rc == CLI_OK && !db)
        rc = CLI_FAIL;
    lift_err err;
    PGresult *v = NULL;
    if (rc == CLI_OK && (lift_db_run(db, "BEGIN", 0, NULL, &err) != LIFT_OK ||
                         lift_db_script(db, SQL_SETUP, &err) != LIFT_OK ||
                         !(v = lift_db_exec(db, SQL_VERSION, 0, NULL, NULL, &err))))
        rc = cli_fail(CLI_FAIL, "apply", "%s", err.msg);
    char before[32] = "";
    if (v)
        snprintf(before, sizeof before, "%s", lift_db_text(v, 0, "version"));
    PQclear(v);
    for (size_t i = 0; i < nfiles && rc == CLI_OK; i++)
        rc = run_file(db, &files[i]);
    long changed = 0;
    if (rc == CLI_OK)
        rc = print_plan(db, plan, &changed);
    if (rc == CLI_OK && !plan && lift_db_run(db, "COMMIT", 0, NULL, &err) != LIFT_OK)
        rc = cli_db_refusal(db, "apply", "at COMMIT");
    for (size_t i = 0; rc == CLI_OK && !plan && i < nfiles; i++)
        printf("applied %s\n", files[i].path);
    if (rc == CLI_OK && !plan) {
        PGresult *after = lift_db_exec(db, SQL_VERSION, 0, NULL, NULL, &err);
        if (after)
            printf("config version %s%s\n", lift_db_text(after, 0, "version"),
                   strcmp(before, lift_db_text(after, 0, "version")) ? "" : " (unchanged)");
        PQclear(after);
    }
    if (db && (rc != CLI_OK || plan)) {
        lift_err ignored;
        (void)lift_db_run(db, "ROLLBACK", 0, NULL, &ignored);
        if (rc != CLI_OK)
            fprintf(stderr, "nothing was applied\n");
    }
    lift_db_close(db);
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i].sql);
        free(files[i].stmts);
    }
    free(files);
    return rc;
}
