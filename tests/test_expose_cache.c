/* The exposure-dedup cache (server/expose_cache.h): a hit only for the same key and variant
 * within the interval, keys that differ in any field kept apart, the memory bound, the
 * oldest entry of a full bucket replaced, and threads sharing it (make tsan runs this). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/expose_cache.h"

static lift_expose_cache *c;

static void teardown(void)
{
    lift_expose_cache_free(c);
    c = NULL;
}

TestSuite(expose_cache, .fini = teardown, .timeout = 60);

static uint64_t key(const char *exp, int phase, const char *unit)
{
    return lift_expose_cache_key(c, exp, strlen(exp), phase, unit, strlen(unit));
}

static uint32_t var(const char *v)
{
    return lift_expose_cache_variant(v, strlen(v));
}

Test(expose_cache, seen_only_with_the_same_variant_after_record)
{
    c = lift_expose_cache_new(1024, 3600, 42);
    cr_assert(c);
    uint64_t k = key("recs", 1, "shopper-1");
    cr_assert_not(lift_expose_cache_seen(c, k, var("control"), 10), "empty cache: a miss");
    cr_assert_not(lift_expose_cache_record(c, k, var("control"), 10), "no eviction");
    cr_assert(lift_expose_cache_seen(c, k, var("control"), 10));
    cr_assert(lift_expose_cache_seen(c, k, var("control"), 500));
    cr_assert_not(lift_expose_cache_seen(c, k, var("personalized"), 500), "another variant");
    /* Recording the new variant replaces the entry: the old one is a miss now. */
    cr_assert_not(lift_expose_cache_record(c, k, var("personalized"), 600));
    cr_assert(lift_expose_cache_seen(c, k, var("personalized"), 600));
    cr_assert_not(lift_expose_cache_seen(c, k, var("control"), 600));
}

Test(expose_cache, every_field_of_the_key_counts)
{
    c = lift_expose_cache_new(1024, 3600, 42);
    cr_assert(c);
    lift_expose_cache_record(c, key("recs", 1, "u1"), var("control"), 0);
    cr_assert(lift_expose_cache_seen(c, key("recs", 1, "u1"), var("control"), 0));
    cr_assert_not(lift_expose_cache_seen(c, key("recs", 2, "u1"), var("control"), 0), "phase");
    cr_assert_not(lift_expose_cache_seen(c, key("recs2", 1, "u1"), var("control"), 0), "exp");
    cr_assert_not(lift_expose_cache_seen(c, key("recs", 1, "u2"), var("control"), 0), "unit");
    /* Fields are not simply concatenated: ("ab", "c") and ("a", "bc") differ. */
    cr_assert_neq(key("ab", 1, "c"), key("a", 1, "bc"));
    cr_assert_neq(key("", 1, "abcdefgh"), key("abcdefgh", 1, ""));
    /* Units longer than a word, differing only in their last byte. */
    cr_assert_neq(key("recs", 1, "shopper-000000001"), key("recs", 1, "shopper-000000002"));
    /* The seed keys the hash: another process files the same shopper elsewhere. */
    uint64_t k42 = key("recs", 1, "u1");
    lift_expose_cache *other = lift_expose_cache_new(8, 1, 43);
    cr_assert_neq(lift_expose_cache_key(other, "recs", 4, 1, "u1", 2), k42);
    lift_expose_cache_free(other);
}

Test(expose_cache, the_interval_expires_an_entry)
{
    c = lift_expose_cache_new(64, 2, 1); /* 2 s = 20 ticks */
    cr_assert(c);
    uint64_t k = key("recs", 1, "u");
    lift_expose_cache_record(c, k, var("control"), 100);
    cr_assert(lift_expose_cache_seen(c, k, var("control"), 119), "19 ticks: still fresh");
    cr_assert_not(lift_expose_cache_seen(c, k, var("control"), 120), "20 ticks: log again");
    lift_expose_cache_record(c, k, var("control"), 120);
    cr_assert(lift_expose_cache_seen(c, k, var("control"), 139));
    /* The clock may wrap (after 13 years): ages are taken modulo 2^32. */
    lift_expose_cache_record(c, k, var("control"), UINT32_MAX - 5);
    cr_assert(lift_expose_cache_seen(c, k, var("control"), 10), "16 ticks across the wrap");
    cr_assert_not(lift_expose_cache_seen(c, k, var("control"), 14), "20 ticks across the wrap");
}

Test(expose_cache, memory_is_16_bytes_an_entry)
{
    c = lift_expose_cache_new(1 << 20, 3600, 7);
    cr_assert(c);
    size_t bytes = lift_expose_cache_bytes(c);
    cr_assert_geq(bytes, (size_t)16 << 20);
    cr_assert_leq(bytes, ((size_t)16 << 20) + 70 * 1024, "%zu bytes", bytes);
    lift_expose_cache_free(c);
    c = lift_expose_cache_new(9, 3600, 7); /* two buckets of 8 */
    lift_expose_cache *one = lift_expose_cache_new(8, 3600, 7);
    cr_assert_eq(lift_expose_cache_bytes(c) - lift_expose_cache_bytes(one), 128);
    lift_expose_cache_free(one);
    cr_assert_null(lift_expose_cache_new(0, 3600, 7), "0 entries: no cache");
}

Test(expose_cache, a_full_bucket_replaces_its_oldest_entry)
{
    c = lift_expose_cache_new(8, 3600, 5); /* one bucket of 8 ways: every key lands there */
    cr_assert(c);
    char unit[16];
    uint64_t k[9];
    for (int i = 0; i < 9; i++) {
        snprintf(unit, sizeof unit, "u%d", i);
        k[i] = key("recs", 1, unit);
    }
    /* Recorded at ticks 10, 20, ..., 80, except u3, recorded first at 5. */
    for (int i = 0; i < 8; i++)
        cr_assert_not(lift_expose_cache_record(c, k[i], var("v"), i == 3 ? 5 : 10 * (i + 1)),
                      "way %d was free", i);
    for (int i = 0; i < 8; i++)
        cr_assert(lift_expose_cache_seen(c, k[i], var("v"), 90));
    /* Refreshing an entry is no eviction. */
    cr_assert_not(lift_expose_cache_record(c, k[5], var("v"), 85));
    cr_assert(lift_expose_cache_record(c, k[8], var("v"), 90), "the ninth evicts");
    cr_assert_not(lift_expose_cache_seen(c, k[3], var("v"), 90), "u3 was the oldest");
    for (int i = 0; i < 9; i++)
        if (i != 3)
            cr_assert(lift_expose_cache_seen(c, k[i], var("v"), 90), "u%d kept", i);
}

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(expose_cache, a_million_keys_hash_apart)
{
    c = lift_expose_cache_new(8, 3600, 11);
    enum { N = 1000000 };
    uint64_t *h = malloc(N * sizeof *h);
    char unit[24];
    for (int i = 0; i < N; i++) {
        int n = snprintf(unit, sizeof unit, "s%d", i);
        h[i] = lift_expose_cache_key(c, "homepage_recs", 13, 1, unit, (size_t)n);
    }
    qsort(h, N, sizeof *h, cmp);
    int same = 0;
    for (int i = 1; i < N; i++)
        same += h[i] == h[i - 1];
    /* 1M 64-bit values: the chance of any two equal is ~2.7e-8 for a uniform hash. */
    cr_assert_eq(same, 0);
    free(h);
}

/* Threads: each records its own 10,000 keys, two variants in turn, while reading the keys
 * of the others. At 4% load no bucket of 8 overflows (Poisson(0.3) > 8: ~1e-10 a bucket). */
enum { THREADS = 4, PER = 10000 };

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    char unit[32];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < PER; i++) {
            snprintf(unit, sizeof unit, "t%d-%d", t, i);
            uint64_t k = key("recs", 1, unit);
            lift_expose_cache_record(c, k, var(round % 2 ? "b" : "a"), (uint32_t)round);
            snprintf(unit, sizeof unit, "t%d-%d", (t + 1) % THREADS, i);
            (void)lift_expose_cache_seen(c, key("recs", 1, unit), var("a"), (uint32_t)round);
        }
    return NULL;
}

Test(expose_cache, threads_share_it)
{
    c = lift_expose_cache_new(1 << 20, 3600, 3);
    cr_assert(c);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    char unit[32];
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER; i++) {
            snprintf(unit, sizeof unit, "t%d-%d", t, i);
            cr_assert(lift_expose_cache_seen(c, key("recs", 1, unit), var("a"), 3),
                      "%s: its last variant, a (round 2)", unit);
            cr_assert_not(lift_expose_cache_seen(c, key("recs", 1, unit), var("b"), 3));
        }
}
