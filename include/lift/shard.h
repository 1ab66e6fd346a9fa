/* The shard model (issue 17): which PostgreSQL server holds a shopper's facts.
 *
 * A unit's bucket is a stable hash of the unit into LIFT_SHARD_BUCKETS buckets, and a
 * table in the config database (lift.shard_buckets) maps buckets to shards, so buckets can
 * later move between servers without rehashing anyone.
 *
 *   bucket(unit) = fnv(decimal(fnv(LIFT_SHARD_SALT + unit))) % 1024
 *
 * with fnv the FNV-1a 32 over UTF-16 code units of assignment (lift/assign.h): GrowthBook's
 * hash v2 construction with the salt as its seed and 1024 buckets instead of 10000. The
 * salt keeps the bucket independent of every experiment's variant (experiments hash with
 * their own seed; lift.experiments refuses the salt as a seed), so each shard holds a
 * random sample of every variant. lift.shard_bucket() in the database computes the same
 * value (sql/migrations/0012_shards.sql). Pure: no I/O. */
#ifndef LIFT_SHARD_H
#define LIFT_SHARD_H

#include <stddef.h>

#include "lift/err.h"

#define LIFT_SHARD_BUCKETS 1024
#define LIFT_SHARD_SALT    "lift-shard:"

/* The bucket of unit[0..len) in [0, LIFT_SHARD_BUCKETS), or LIFT_EINVAL when the unit is
 * not valid UTF-8 (or holds a NUL) or is longer than LIFT_UNIT_MAX bytes. */
int lift_shard_bucket(const char *unit, size_t len, lift_err *err);

/* The even split of buckets over nshards shards (1 <= nshards <= LIFT_SHARD_BUCKETS):
 * contiguous ranges, shard i owning buckets [ceil(i*B/n), ceil((i+1)*B/n)), so counts
 * differ by at most one. Returns the shard index of bucket, or -1 for arguments out of
 * range. */
int lift_shard_even(int bucket, int nshards);

#endif
