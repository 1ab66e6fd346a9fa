/* Test fixture: client load against a liftd on loopback. Poster threads POST batches of
 * events with unique ids as fast as they are answered; assigner threads GET /v1/assign for
 * new shoppers, about 1,500 a second each (one exposure each under a one-experiment
 * config). Each remembers what was acknowledged (202), what
 * was refused (503) and what got no answer (the connection failed), so a test can check
 * that nothing acknowledged was lost and retry the rest. Bounded: every thread stops by
 * itself after 60 s or 20,000 requests. */
#ifndef LIFT_TEST_LOAD_H
#define LIFT_TEST_LOAD_H

#include "lift/db.h"
#include "lift/text.h"

typedef struct load load;

typedef struct load_stats {
    long acked;                /* events answered 202 */
    long refused, lost, other; /* batches answered 503 / not answered / anything else */
    long assigns_ok, assigns_failed;
    lift_buf acked_ids; /* one event id per line (COPY text) */
    lift_buf retry;     /* bodies of refused and unanswered batches, one per line */
} load_stats;

load *load_start(int port, int posters, int assigners, const char *prefix);

/* Stops the threads, joins them and sums their figures into out (lift_buf's inited). */
void load_stop(load *l, load_stats *out);
void load_stats_fini(load_stats *s);

/* Re-posts every batch of s->retry until it is answered 202 (for up to 30 s each); returns
 * how many never were. */
long load_retry(int port, const load_stats *s);

/* How many of the ids (one per line) are not in lift.events. */
long load_missing(lift_db *db, const lift_buf *ids);

#endif
