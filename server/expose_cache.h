/* The exposure-dedup cache: which (experiment, phase, unit) this liftd has already logged,
 * with which variant and when, in bounded memory, so that /v1/assign logs a shopper's
 * exposure again only when the variant differs or the re-log interval has passed.
 *
 * A fixed array of 8-way set-associative buckets (128 bytes each, 64-byte aligned) of
 * 16-byte entries: a 64-bit seeded hash of the key, a 32-bit hash of the variant key and
 * the time it was logged (tenths of a second since the cache was made, 13 years before it
 * wraps). A bucket that is full replaces its oldest entry (an eviction). Buckets are
 * guarded by 1024 striped spinlocks. Memory: 16 bytes per entry (rounded up to whole
 * buckets) plus 64 KiB of locks; 16 MiB for the default 1,048,576 entries.
 *
 * A hit is only ever a shortcut: the database merge (lift.assignments) is exact whatever
 * is logged twice, so two threads missing on the same key at once just both log. The
 * other way (a false hit, an exposure not logged) needs two keys with equal 64-bit hashes
 * in one bucket, or two variants of one experiment with equal 32-bit hashes. Thread-safe. */
#ifndef LIFT_EXPOSE_CACHE_H
#define LIFT_EXPOSE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lift_expose_cache lift_expose_cache;

/* A cache of `entries` entries (at least 1; rounded up to a multiple of 8) that counts an
 * entry older than interval_s seconds as absent, its hash keyed with seed. NULL when out
 * of memory. */
lift_expose_cache *lift_expose_cache_new(size_t entries, long interval_s, uint64_t seed);
void lift_expose_cache_free(lift_expose_cache *c); /* NULL is a no-op */

/* Bytes the cache holds (its buckets and locks). */
size_t lift_expose_cache_bytes(const lift_expose_cache *c);

/* The key of (experiment, phase, unit) and the tag of a variant key, as the other calls
 * take them. */
uint64_t lift_expose_cache_key(const lift_expose_cache *c, const char *experiment,
                               size_t experiment_len, int phase, const char *unit, size_t unit_len);
uint32_t lift_expose_cache_variant(const char *variant, size_t len);

/* The cache's clock, in the unit it stores: tenths of a second of CLOCK_MONOTONIC. */
uint32_t lift_expose_cache_now(const lift_expose_cache *c);

/* Whether key was logged with variant less than the interval before now: then the
 * exposure need not be logged again. */
bool lift_expose_cache_seen(lift_expose_cache *c, uint64_t key, uint32_t variant, uint32_t now);

/* Records that key was logged with variant at now (to be called only once the exposure
 * has been handed to the writer or the spool). Returns true when it evicted another key's
 * entry to make room. */
bool lift_expose_cache_record(lift_expose_cache *c, uint64_t key, uint32_t variant, uint32_t now);

#endif
