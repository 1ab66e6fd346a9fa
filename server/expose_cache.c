/* The exposure-dedup cache: set-associative buckets of (key, variant, time) entries. */
#include "expose_cache.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lift/text.h"

#define WAYS  8
#define LOCKS 1024 /* striped: bucket b takes lock b % LOCKS */
#define SPINS 64   /* tries before yielding the CPU to whoever holds the lock */

typedef struct bucket {
    uint64_t key[WAYS]; /* 0: an empty way */
    uint32_t variant[WAYS];
    uint32_t stamp[WAYS]; /* lift_expose_cache_now() when logged */
} bucket;

_Static_assert(sizeof(bucket) == 128, "a bucket is two cache lines");

typedef struct lock {
    _Alignas(64) atomic_flag held;
} lock;

struct lift_expose_cache {
    bucket *buckets; /* 64-byte aligned */
    size_t nbuckets;
    uint32_t interval; /* tenths of a second */
    uint64_t seed;
    int64_t t0; /* monotonic us at creation */
    lock locks[LOCKS];
};

lift_expose_cache *lift_expose_cache_new(size_t entries, long interval_s, uint64_t seed)
{
    if (entries == 0 || interval_s <= 0)
        return NULL;
    lift_expose_cache *c = aligned_alloc(64, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c); /* all-clear atomic_flags are clear on our targets */
    for (size_t i = 0; i < LOCKS; i++)
        atomic_flag_clear(&c->locks[i].held);
    c->nbuckets = (entries + WAYS - 1) / WAYS;
    c->buckets = aligned_alloc(64, c->nbuckets * sizeof(bucket));
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    memset(c->buckets, 0, c->nbuckets * sizeof(bucket));
    c->interval = (uint32_t)(interval_s * 10);
    c->seed = seed;
    c->t0 = lift_time_mono();
    return c;
}

void lift_expose_cache_free(lift_expose_cache *c)
{
    if (!c)
        return;
    free(c->buckets);
    free(c);
}

size_t lift_expose_cache_bytes(const lift_expose_cache *c)
{
    return c ? c->nbuckets * sizeof(bucket) + sizeof *c : 0;
}

/* Word mixing after the finalizer of splitmix64 (Steele, Lea, Flood: "Fast splittable
 * pseudorandom number generators", 2014): not cryptographic, but seeded per process so
 * that ids cannot be chosen to collide with another shopper's. */
static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w * 0xbf58476d1ce4e5b9ULL;
    h = (h << 27 | h >> 37) * 0x94d049bb133111ebULL;
    return h;
}

static uint64_t finish(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

/* The length first, then the bytes in 8-byte words (the last one zero-padded): two
 * different field lists never feed the same words. */
static uint64_t add_bytes(uint64_t h, const char *s, size_t n)
{
    h = mix(h, n);
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix(h, w);
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = mix(h, w);
    }
    return h;
}

uint64_t lift_expose_cache_key(const lift_expose_cache *c, const char *experiment,
                               size_t experiment_len, int phase, const char *unit, size_t unit_len)
{
    uint64_t h = add_bytes(c->seed ^ 0x9e3779b97f4a7c15ULL, experiment, experiment_len);
    h = mix(h, (uint64_t)(uint32_t)phase);
    h = finish(add_bytes(h, unit, unit_len));
    return h ? h : 1;
}

uint32_t lift_expose_cache_variant(const char *variant, size_t len)
{
    uint64_t h = finish(add_bytes(0, variant, len));
    return (uint32_t)(h ^ (h >> 32));
}

uint32_t lift_expose_cache_now(const lift_expose_cache *c)
{
    return (uint32_t)((lift_time_mono() - c->t0) / 100000);
}

/* The bucket from the key's high half (its low half decides nothing else: all 64 bits are
 * compared within the bucket). */
static size_t bucket_of(const lift_expose_cache *c, uint64_t key)
{
    return (size_t)(((key >> 32) * (uint64_t)c->nbuckets) >> 32);
}

static void take(lock *l)
{
    for (int spins = 0; atomic_flag_test_and_set_explicit(&l->held, memory_order_acquire);)
        if (++spins >= SPINS) {
            sched_yield();
            spins = 0;
        }
}

static void give(lock *l)
{
    atomic_flag_clear_explicit(&l->held, memory_order_release);
}

bool lift_expose_cache_seen(lift_expose_cache *c, uint64_t key, uint32_t variant, uint32_t now)
{
    size_t b = bucket_of(c, key);
    const bucket *bk = &c->buckets[b];
    lock *l = &c->locks[b % LOCKS];
    bool hit = false;
    take(l);
    for (int w = 0; w < WAYS; w++)
        if (bk->key[w] == key) {
            hit = bk->variant[w] == variant && (uint32_t)(now - bk->stamp[w]) < c->interval;
            break;
        }
    give(l);
    return hit;
}

bool lift_expose_cache_record(lift_expose_cache *c, uint64_t key, uint32_t variant, uint32_t now)
{
    size_t b = bucket_of(c, key);
    bucket *bk = &c->buckets[b];
    lock *l = &c->locks[b % LOCKS];
    take(l);
    int at = -1, empty = -1, oldest = 0;
    for (int w = 0; w < WAYS && at < 0; w++) {
        if (bk->key[w] == key)
            at = w;
        else if (!bk->key[w] && empty < 0)
            empty = w;
        else if ((uint32_t)(now - bk->stamp[w]) > (uint32_t)(now - bk->stamp[oldest]))
            oldest = w;
    }
    bool evicted = at < 0 && empty < 0;
    if (at < 0)
        at = empty >= 0 ? empty : oldest;
    bk->key[at] = key;
    bk->variant[at] = variant;
    bk->stamp[at] = now;
    give(l);
    return evicted;
}
