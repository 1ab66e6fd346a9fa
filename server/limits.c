/* Request limits of client keys: one token bucket per key (per liftd process).
 *
 * A bucket holds at most `burst` tokens and gains `rate` tokens a second; a request takes
 * one, and with less than one token left the request is refused with the seconds until the
 * next token as Retry-After. So a key may send `burst` requests at once, then `rate` a
 * second for as long as it likes. A new bucket starts full. Buckets are found by key id in
 * an open-addressing table of LIMIT_SLOTS entries, each with its own lock, so requests of
 * different keys never wait on each other; keys beyond LIMIT_SLOTS share one last bucket. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

#define LIMIT_SLOTS 4096

typedef struct bucket {
    pthread_mutex_t lock;
    char id[16]; /* empty: free slot (written once, under the table lock) */
    double tokens;
    int64_t last; /* monotonic microseconds of the last refill */
} bucket;

struct lift_limits {
    pthread_rwlock_t table;
    bucket slots[LIMIT_SLOTS];
    bucket overflow;
};

lift_limits *lift_limits_new(void)
{
    lift_limits *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    pthread_rwlock_init(&l->table, NULL);
    for (int i = 0; i < LIMIT_SLOTS; i++)
        pthread_mutex_init(&l->slots[i].lock, NULL);
    pthread_mutex_init(&l->overflow.lock, NULL);
    return l;
}

void lift_limits_free(lift_limits *l)
{
    if (!l)
        return;
    for (int i = 0; i < LIMIT_SLOTS; i++)
        pthread_mutex_destroy(&l->slots[i].lock);
    pthread_mutex_destroy(&l->overflow.lock);
    pthread_rwlock_destroy(&l->table);
    free(l);
}

/* The slot of id, or the first free one on its probe path (NULL: the table is full). */
static bucket *probe(lift_limits *l, const char *id)
{
    uint64_t h = lift_fnv64(id);
    for (int i = 0; i < LIMIT_SLOTS; i++) {
        bucket *b = &l->slots[(h + (uint64_t)i) % LIMIT_SLOTS];
        if (!b->id[0] || strcmp(b->id, id) == 0)
            return b;
    }
    return NULL;
}

static bucket *find(lift_limits *l, const char *id, int64_t now, double burst)
{
    pthread_rwlock_rdlock(&l->table);
    bucket *b = probe(l, id);
    bool found = b && b->id[0];
    pthread_rwlock_unlock(&l->table);
    if (found)
        return b;
    pthread_rwlock_wrlock(&l->table);
    b = probe(l, id);
    if (b && !b->id[0]) {
        b->tokens = burst;
        b->last = now;
        strncpy(b->id, id, sizeof b->id - 1);
    }
    pthread_rwlock_unlock(&l->table);
    return b ? b : &l->overflow;
}

long lift_limits_take(lift_limits *l, const lift_client_key *k, int64_t now)
{
    if (!l || k->rate <= 0)
        return 0;
    bucket *b = find(l, k->id, now, k->burst);
    pthread_mutex_lock(&b->lock);
    double tokens = b->tokens + (double)(now - b->last) / 1e6 * k->rate;
    if (tokens > k->burst) /* also when the key's burst was lowered */
        tokens = k->burst;
    b->last = now;
    long wait = 0;
    if (tokens >= 1)
        tokens -= 1;
    else
        wait = (long)ceil((1 - tokens) / k->rate);
    b->tokens = tokens;
    pthread_mutex_unlock(&b->lock);
    return wait > 0 ? wait : 0;
}
