/* liftd's configuration: one struct, filled once at start from a declarative table of
 * keys (flags override LIFT_* environment variables, which override defaults), then
 * handed to every module as const. The only global-like state of the server. */
#ifndef LIFT_SERVER_OPTIONS_H
#define LIFT_SERVER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lift/err.h"

typedef struct lift_options {
    char listen[128];    /* host:port; [::1]:8080 for IPv6 */
    char db[1024];       /* conninfo/URL; empty: LIFT_DATABASE_URL's or the private cluster's
                            database as lift_writer */
    long threads;        /* HTTP worker threads */
    char api_keys[4096]; /* comma-separated keys or sha256:<hex> digests (env only) */
    bool assign_requires_key;
    long batch_rows;      /* flush a batch at this many rows ... */
    long batch_ms;        /* ... or this many milliseconds after its first row */
    long queue_rows;      /* rows waiting for the writer before exposures go to the spool */
    char spool_dir[1024]; /* empty: $LIFT_HOME/spool */
    long max_body;        /* bytes */
    long max_batch;       /* items per POST */
    long connection_limit;
    long connection_timeout; /* seconds of inactivity before a connection is closed */
    long shutdown_timeout;   /* seconds SIGTERM may take */
    long maintain_interval;  /* seconds between runs of lift.maintain() (0: never) */
    long expose_cache;       /* entries of the exposure-dedup cache (0: none, log every time) */
    long expose_interval;    /* seconds before a cached exposure is logged again anyway */
    long refresh_interval;   /* seconds between rollup refreshes (0: never) */
    char log_level[16];
    char pseudonym_key[256]; /* non-empty: store HMAC-SHA256 pseudonyms of unit ids (env only) */
} lift_options;

/* What the command line asks for besides running. */
typedef enum { LIFT_OPTIONS_RUN, LIFT_OPTIONS_HELP, LIFT_OPTIONS_VERSION } lift_options_action;

/* Fills cfg from defaults, the environment, then argv (--name value or --name=value).
 * LIFT_EINVAL naming the key for an unknown flag or a value its validator refuses (a
 * --listen port outside 0..65535 included); *action says whether --help or --version was
 * given instead. */
int lift_options_load(lift_options *cfg, int argc, char **argv, lift_options_action *action,
                      lift_err *err);

/* Writes the flags and variables, with defaults and meaning, exit statuses and files: the
 * text of --help, and of the liftd(8) manual page made from it. */
void lift_options_usage(FILE *f);

#endif
