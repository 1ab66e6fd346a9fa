/* Where the database is: LIFT_DATABASE_URL, or the private cluster under LIFT_HOME. */
#define _DEFAULT_SOURCE /* realpath */
#include "lift/locate.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

void lift_pg_socket_url(const char *datadir, const char *dbname, const char *role, char *out,
                        size_t outlen)
{
    /* The folder goes in the query string; escape what libpq would misread there. */
    char host[PATH_MAX * 3];
    size_t n = 0;
    for (const char *p = datadir; *p && n + 4 < sizeof host; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("/-._~", c))
            host[n++] = (char)c;
        else
            n += (size_t)snprintf(host + n, sizeof host - n, "%%%02X", c);
    }
    host[n] = '\0';
    snprintf(out, outlen, "postgresql:///%s?host=%s&port=%s&user=%s", dbname, host, LIFT_PG_PORT,
             role);
}

int lift_pg_locate(lift_pg *pg, lift_err *err)
{
    memset(pg, 0, sizeof *pg);
    const char *home = getenv("LIFT_HOME");
    char cwd[PATH_MAX];
    if (!home || !*home) {
        if (!getcwd(cwd, sizeof cwd))
            return lift_err_set(err, LIFT_EIO, "getcwd: %s", strerror(errno));
        if (snprintf(pg->home, sizeof pg->home, "%s/.lift", cwd) >= (int)sizeof pg->home)
            return lift_err_set(err, LIFT_EINVAL, "current directory path too long");
    } else if (home[0] != '/') {
        if (!getcwd(cwd, sizeof cwd))
            return lift_err_set(err, LIFT_EIO, "getcwd: %s", strerror(errno));
        if (snprintf(pg->home, sizeof pg->home, "%s/%s", cwd, home) >= (int)sizeof pg->home)
            return lift_err_set(err, LIFT_EINVAL, "LIFT_HOME path too long");
    } else {
        snprintf(pg->home, sizeof pg->home, "%s", home);
    }
    /* LIFT_HOME holds runtime files (liftd's spool) even when the database is elsewhere. */
    const char *ext = getenv("LIFT_DATABASE_URL");
    if (ext && *ext) {
        pg->external = true;
        snprintf(pg->url, sizeof pg->url, "%s", ext);
        return LIFT_OK;
    }
    char link[PATH_MAX + 4];
    snprintf(link, sizeof link, "%s/pg", pg->home);
    /* When the cluster had to live outside LIFT_HOME (see place_datadir), pg is a link. */
    if (!realpath(link, pg->datadir) &&
        snprintf(pg->datadir, sizeof pg->datadir, "%s", link) >= (int)sizeof pg->datadir)
        return lift_err_set(err, LIFT_EINVAL, "LIFT_HOME path too long");
    struct sockaddr_un sun;
    if (strlen(pg->datadir) + sizeof "/.s.PGSQL." LIFT_PG_PORT > sizeof sun.sun_path)
        return lift_err_set(err, LIFT_EINVAL,
                            "socket path %s/.s.PGSQL.%s is too long for a Unix socket; "
                            "set LIFT_HOME to a shorter path",
                            pg->datadir, LIFT_PG_PORT);
    lift_pg_socket_url(pg->datadir, "lift", "lift", pg->url, sizeof pg->url);
    return LIFT_OK;
}

/* Appends s percent-encoded for a URL (letters, digits and "/-._~" as they are). */
static void append_escaped(char *out, size_t outlen, const char *s)
{
    size_t n = strlen(out);
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < outlen; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, outlen - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

static void append(char *out, size_t outlen, const char *s)
{
    size_t n = strlen(out);
    snprintf(out + n, n < outlen ? outlen - n : 0, "%s", s);
}

int lift_conninfo_as(const char *conninfo, const char *role, char *out, size_t outlen,
                     lift_err *err)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (!opts) {
        lift_err_set(err, LIFT_EINVAL, "not a PostgreSQL URL or conninfo: %.200s",
                     why ? why : "out of memory");
        PQfreemem(why);
        return LIFT_EINVAL;
    }
    const char *host = NULL, *port = NULL, *dbname = NULL, *user = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (!strcmp(o->keyword, "user"))
            user = o->val;
        else if (!strcmp(o->keyword, "host"))
            host = o->val;
        else if (!strcmp(o->keyword, "port"))
            port = o->val;
        else if (!strcmp(o->keyword, "dbname"))
            dbname = o->val;
    }
    /* A socket folder or a host list goes in the query string; a host name in front. */
    bool host_in_front = host && host[0] != '/' && !strchr(host, ',') && !strchr(host, ':');
    snprintf(out, outlen, "postgresql://");
    if (!role)
        role = user;
    if (role) {
        append_escaped(out, outlen, role);
        append(out, outlen, "@");
    }
    if (host_in_front) {
        append_escaped(out, outlen, host);
        if (port && !strchr(port, ',')) {
            append(out, outlen, ":");
            append_escaped(out, outlen, port);
        }
    }
    append(out, outlen, "/");
    if (dbname)
        append_escaped(out, outlen, dbname);
    char sep = '?';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val || !strcmp(o->keyword, "user") || !strcmp(o->keyword, "password") ||
            !strcmp(o->keyword, "dbname") || (host_in_front && !strcmp(o->keyword, "host")) ||
            (host_in_front && !strcmp(o->keyword, "port") && !strchr(o->val, ',')))
            continue;
        char kv[4] = {sep, '\0'};
        append(out, outlen, kv);
        append(out, outlen, o->keyword);
        append(out, outlen, "=");
        append_escaped(out, outlen, o->val);
        sep = '&';
    }
    PQconninfoFree(opts);
    return LIFT_OK;
}

void lift_pg_url_as(const lift_pg *pg, const char *role, char *out, size_t outlen)
{
    if (!pg->external || lift_conninfo_as(pg->url, role, out, outlen, NULL) != LIFT_OK)
        lift_pg_socket_url(pg->datadir, "lift", role, out, outlen);
}
