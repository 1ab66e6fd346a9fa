/* liftd's configuration table: each key's flag, variable, type, default and check. */
#include "options.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lift/log.h"

typedef enum { T_STR, T_LONG, T_BOOL } key_type;

typedef struct key {
    const char *name; /* --name and LIFT_NAME (upper case, '-' as '_') */
    key_type type;
    size_t offset, size; /* where in lift_options; size of a string buffer */
    const char *dflt;
    long min, max;    /* for T_LONG */
    bool env_only;    /* secrets: a flag would show in `ps` */
    const char *help; /* one line */
    const char *env;  /* the variable, when not LIFT_<NAME> */
} key;

#define STR(f)  T_STR, offsetof(lift_options, f), sizeof(((lift_options *)0)->f)
#define NUM(f)  T_LONG, offsetof(lift_options, f), 0
#define BOOL(f) T_BOOL, offsetof(lift_options, f), 0

static const key keys[] = {
    {"listen", STR(listen), "127.0.0.1:8080", 0, 0, false, "address to serve HTTP on", NULL},
    {"db", STR(db), "", 0, 0, false,
     "liftd's PostgreSQL URL (default: LIFT_DATABASE_URL's database as lift_writer)",
     "LIFTD_DATABASE_URL"},
    {"threads", NUM(threads), "0", 0, 256, false, "HTTP worker threads (0: one per CPU)", NULL},
    {"api-keys", STR(api_keys), "", 0, 0, true,
     "comma-separated API keys for POST (or sha256:<hex> digests of them)", NULL},
    {"assign-requires-key", BOOL(assign_requires_key), "false", 0, 0, false,
     "require an API key for GET /v1/assign and /v1/experiments too", NULL},
    {"batch-rows", NUM(batch_rows), "5000", 1, 1000000, false, "commit a batch at this many rows",
     NULL},
    {"batch-ms", NUM(batch_ms), "10", 1, 10000, false, "... or this many ms after its first row",
     NULL},
    {"queue-rows", NUM(queue_rows), "500000", 1000, 100000000, false,
     "rows queued for the database before exposures spill to the spool", NULL},
    {"spool-dir", STR(spool_dir), "", 0, 0, false,
     "folder of the spool, config cache and lock (default $LIFT_HOME/spool)", NULL},
    {"max-body", NUM(max_body), "1048576", 1024, 1 << 30, false, "largest request body, bytes",
     NULL},
    {"max-batch", NUM(max_batch), "1000", 1, 100000, false, "most items in one POST", NULL},
    {"connection-limit", NUM(connection_limit), "4096", 16, 1000000, false, "most open connections",
     NULL},
    {"connection-timeout", NUM(connection_timeout), "30", 1, 3600, false,
     "seconds an idle or slow connection may stay open", NULL},
    {"shutdown-timeout", NUM(shutdown_timeout), "10", 1, 600, false,
     "seconds SIGTERM may take to flush and exit", NULL},
    {"maintain-interval", NUM(maintain_interval), "3600", 0, 86400, false,
     "seconds between creating partitions ahead (lift.events, lift.exposures; 0: never)", NULL},
    {"expose-cache", NUM(expose_cache), "1048576", 0, 1L << 30, false,
     "exposures remembered so as not to log them again, 16 bytes each (0: log every one)", NULL},
    {"expose-interval", NUM(expose_interval), "3600", 1, 31536000, false,
     "seconds after which a remembered exposure is logged again", NULL},
    {"refresh-interval", NUM(refresh_interval), "300", 0, 86400, false,
     "seconds between refreshes of the experiments' report rollups (0: never)", NULL},
    {"log-level", STR(log_level), "info", 0, 0, false, "debug, info, warn or error", NULL},
    {"pseudonym-key", STR(pseudonym_key), "", 0, 0, true,
     "store unit ids as HMAC-SHA256 pseudonyms under this secret", NULL},
};

static void env_name(const key *k, char *out, size_t len)
{
    if (k->env) {
        snprintf(out, len, "%s", k->env);
        return;
    }
    const char *name = k->name;
    size_t i = 0;
    i += (size_t)snprintf(out, len, "LIFT_");
    for (const char *p = name; *p && i + 1 < len; p++)
        out[i++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    out[i] = '\0';
}

static int set(lift_options *opt, const key *k, const char *value, const char *from, lift_err *err)
{
    void *at = (char *)opt + k->offset;
    if (k->type == T_STR) {
        if (strlen(value) >= k->size)
            return lift_err_field(err, LIFT_EINVAL, k->name, "%s (%s): longer than %zu bytes",
                                  k->name, from, k->size - 1);
        memcpy(at, value, strlen(value) + 1);
    } else if (k->type == T_BOOL) {
        bool v;
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
            v = true;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no"))
            v = false;
        else
            return lift_err_field(err, LIFT_EINVAL, k->name, "%s (%s): '%s' is not true or false",
                                  k->name, from, value);
        memcpy(at, &v, sizeof v);
    } else {
        char *end;
        long v = strtol(value, &end, 10);
        if (!*value || *end || v < k->min || v > k->max)
            return lift_err_field(err, LIFT_EINVAL, k->name,
                                  "%s (%s): '%s' is not a whole number in [%ld, %ld]", k->name,
                                  from, value, k->min, k->max);
        memcpy(at, &v, sizeof v);
    }
    return LIFT_OK;
}

static const key *find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
            return &keys[i];
    return NULL;
}

/* HOST:PORT with PORT a whole number in 0..65535 (getaddrinfo would take 99999 as
 * 99999 mod 65536). */
static int check_listen(const char *spec, lift_err *err)
{
    const char *colon = strrchr(spec, ':');
    if (!colon)
        return lift_err_field(err, LIFT_EINVAL, "listen",
                              "listen: expected HOST:PORT or :PORT, not '%s'", spec);
    const char *port = colon + 1;
    size_t n = strlen(port);
    bool digits = n > 0 && n <= 5;
    for (size_t i = 0; i < n; i++)
        digits = digits && port[i] >= '0' && port[i] <= '9';
    if (!digits || atol(port) > 65535)
        return lift_err_field(err, LIFT_EINVAL, "listen",
                              "listen: port '%s' is not a whole number in [0, 65535]", port);
    return LIFT_OK;
}

int lift_options_load(lift_options *opt, int argc, char **argv, lift_options_action *action,
                      lift_err *err)
{
    memset(opt, 0, sizeof *opt);
    *action = LIFT_OPTIONS_RUN;
    int rc;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char env[64];
        env_name(&keys[i], env, sizeof env);
        const char *v = getenv(env);
        if ((rc = set(opt, &keys[i], keys[i].dflt, "default", err)) != LIFT_OK ||
            (v && *v && (rc = set(opt, &keys[i], v, env, err)) != LIFT_OK))
            return rc;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *action = LIFT_OPTIONS_HELP;
            return LIFT_OK;
        }
        if (!strcmp(a, "--version")) {
            *action = LIFT_OPTIONS_VERSION;
            return LIFT_OK;
        }
        if (strncmp(a, "--", 2) != 0)
            return lift_err_set(err, LIFT_EINVAL, "unexpected argument '%s' (see --help)", a);
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const key *k = find(a + 2, len);
        if (!k)
            return lift_err_set(err, LIFT_EINVAL, "unknown option %s (see --help)", a);
        if (k->env_only) {
            char env[64];
            env_name(k, env, sizeof env);
            return lift_err_set(err, LIFT_EINVAL, "%s is a secret: set it with %s, not a flag",
                                k->name, env);
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && k->type == T_BOOL)
            value = "true";
        if (!value && (value = i + 1 < argc ? argv[++i] : NULL) == NULL)
            return lift_err_set(err, LIFT_EINVAL, "--%s needs a value", k->name);
        if ((rc = set(opt, k, value, "flag", err)) != LIFT_OK)
            return rc;
    }
    if (lift_log_parse_level(opt->log_level) < 0)
        return lift_err_field(err, LIFT_EINVAL, "log-level",
                              "log-level: '%s' is not debug, info, warn or error", opt->log_level);
    return check_listen(opt->listen, err);
}

void lift_options_usage(FILE *f)
{
    fprintf(f,
            "usage: liftd [--listen HOST:PORT] [--db URL] [--threads N] [options]\n"
            "       liftd --help | --version\n\n"
            "liftd is lift's assignment and ingestion server: it answers GET /v1/assign from an\n"
            "in-memory copy of the experiment config (reloaded within a second of a change in\n"
            "the database) and commits POST /v1/exposures and /v1/events to PostgreSQL.\n\n"
            "Options (each is also an environment variable; flags win over variables):\n");
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char env[64], flag[64];
        env_name(&keys[i], env, sizeof env);
        snprintf(flag, sizeof flag, keys[i].env_only ? "(env only)" : "--%s", keys[i].name);
        fprintf(f, "  %-24s %-28s %s", flag, env, keys[i].help);
        if (*keys[i].dflt && keys[i].type != T_BOOL && strcmp(keys[i].dflt, "0"))
            fprintf(f, " [%s]", keys[i].dflt);
        fputc('\n', f);
    }
    fprintf(f,
            "  %-24s %-28s %s\n\n"
            "Probes (no API key needed):\n"
            "  GET /livez           200 while the process serves HTTP (also /healthz)\n"
            "  GET /readyz          200 when it can serve assignments: a config is loaded, from\n"
            "                       the database or its cached copy, and no shutdown is under way\n"
            "  GET /readyz/ingest   200 when POSTs are committed: the database is connected and\n"
            "                       the spool takes writes\n"
            "  GET /metrics         Prometheus metrics\n\n"
            "Files (in the spool folder, created with its parents when missing):\n"
            "  exposures.csv        exposures waiting for the database, replayed in order\n"
            "  config-cache.json    the last config loaded, served when the database is away\n"
            "  liftd.lock           held while liftd runs: one liftd per spool folder\n\n"
            "Signals: SIGTERM or SIGINT stop accepting connections, flush what is queued and\n"
            "exit within --shutdown-timeout seconds.\n\n"
            "Exit status:\n"
            "  0  stopped cleanly (SIGTERM, SIGINT), or --help / --version\n"
            "  1  could not start or stop cleanly: the address is in use, the spool folder is\n"
            "     not writable or is used by another liftd, shutdown overran its timeout\n"
            "  2  a bad option or value (the message names it)\n",
            "--version", "", "print the version and exit");
}
