/* Where the database is: LIFT_DATABASE_URL, or the private cluster under LIFT_HOME. */
#define _DEFAULT_SOURCE /* realpath */
#include "lift/locate.h"

#include <errno.h>
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

void lift_pg_url_as(const lift_pg *pg, const char *role, char *out, size_t outlen)
{
    if (pg->external)
        snprintf(out, outlen, "%s", pg->url);
    else
        lift_pg_socket_url(pg->datadir, "lift", role, out, outlen);
}
