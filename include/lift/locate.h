/* Where the database is: LIFT_DATABASE_URL, or the project's private cluster under
 * LIFT_HOME. Only paths and URLs: starting and stopping the private cluster is
 * `liftctl db`'s business (cli/cluster.h), so liftd links no initdb/pg_ctl code. */
#ifndef LIFT_LOCATE_H
#define LIFT_LOCATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "lift/err.h"

#define LIFT_PG_PORT "5432" /* the private cluster's socket is <datadir>/.s.PGSQL.5432 */

/* Where the database is. With LIFT_DATABASE_URL set, `external` is true and url is it.
 * Otherwise the cluster lives in $LIFT_HOME/pg (LIFT_HOME defaults to ./.lift), listens
 * only on a Unix socket in that folder, and url names database "lift" as role "lift". */
typedef struct lift_pg {
    bool external;
    char home[PATH_MAX];    /* absolute LIFT_HOME */
    char datadir[PATH_MAX]; /* the cluster's folder (socket folder too) */
    char url[PATH_MAX + 64];
} lift_pg;

/* Fills pg from the environment. Touches nothing on disk. */
int lift_pg_locate(lift_pg *pg, lift_err *err);

/* The URL of the same database as another role (liftd connects as lift_writer): on the
 * private cluster its socket URL, on an external server LIFT_DATABASE_URL's conninfo with
 * user=role and without the password (the role's own comes from PGPASSFILE or
 * PGPASSWORD). */
void lift_pg_url_as(const lift_pg *pg, const char *role, char *out, size_t outlen);

/* conninfo (a URL or keyword=value string) as role: every setting kept but user and
 * password, as a URL ("postgresql://lift_writer@db:5432/lift?sslmode=require"; a socket
 * folder goes in ?host=). With role NULL, the user of conninfo (if any): the same URL
 * without its password. LIFT_EINVAL (err may be NULL) when it does not parse. */
int lift_conninfo_as(const char *conninfo, const char *role, char *out, size_t outlen,
                     lift_err *err);

/* The URL of database dbname as role on the private cluster whose socket folder is
 * datadir (escaped for libpq's URL syntax). */
void lift_pg_socket_url(const char *datadir, const char *dbname, const char *role, char *out,
                        size_t outlen);

#endif
