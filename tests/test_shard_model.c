/* The shard model: a unit's bucket against values computed independently in Python, its
 * uniformity, its independence from variant and layer assignment, and the even split. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lift/assign.h"
#include "lift/shard.h"

static int bucket_of(const char *unit)
{
    lift_err err;
    int b = lift_shard_bucket(unit, strlen(unit), &err);
    cr_assert(b >= 0, "%s: %s", unit, err.msg);
    return b;
}

/* References from Python 3 (/usr/bin/python3), written apart from the C code:
 *   def fnv(s, h=2166136261):
 *       b = s.encode('utf-16-le')
 *       for i in range(0, len(b), 2):
 *           h = ((h ^ (b[i] | b[i + 1] << 8)) * 16777619) & 0xffffffff
 *       return h
 *   bucket = lambda u: fnv(str(fnv("lift-shard:" + u))) % 1024                        */
Test(shard_bucket, matches_python_reference)
{
    static const struct {
        const char *unit;
        int bucket;
    } cases[] = {
        {"", 579},
        {"u1", 761},
        {"u2", 401},
        {"shopper-42", 230},
        {"c0ffee00-1234-4abc-8def-0123456789ab", 1013},
        {"Zo\xc3\xab", 712},       /* U+00EB: one UTF-16 unit */
        {"\xf0\x9f\x98\x80", 353}, /* U+1F600: a surrogate pair */
        {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6"
         "\xe3\x83\xbc",
         833}, /* Japanese, three bytes per character */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_expect_eq(bucket_of(cases[i].unit), cases[i].bucket, "unit '%s'", cases[i].unit);
    char longest[LIFT_UNIT_MAX + 1];
    memset(longest, 'a', LIFT_UNIT_MAX);
    longest[LIFT_UNIT_MAX] = '\0';
    cr_expect_eq(bucket_of(longest), 715, "128 x 'a'");
}

Test(shard_bucket, refuses_bad_utf8_and_long_units)
{
    lift_err err;
    cr_assert_eq(lift_shard_bucket("\xff", 1, &err), LIFT_EINVAL);
    cr_assert_str_eq(err.msg, "unit is not valid UTF-8");
    cr_assert_eq(lift_shard_bucket("a\0b", 3, &err), LIFT_EINVAL);
    char longer[LIFT_UNIT_MAX + 2];
    memset(longer, 'a', sizeof longer);
    cr_assert_eq(lift_shard_bucket(longer, LIFT_UNIT_MAX + 1, &err), LIFT_EINVAL);
    cr_assert_str_eq(err.msg, "unit is longer than 128 bytes");
}

/* Sequential ids are what stores have. Chi-square of 200,000 ids "u0".."u199999" over the
 * 1024 buckets: Python gives 1055.62112 (same code as above); expected 1023 +- 45 (1 sd),
 * so the buckets are as even as random ones. */
Test(shard_bucket, spreads_sequential_ids_evenly)
{
    static int count[LIFT_SHARD_BUCKETS];
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        char unit[16];
        snprintf(unit, sizeof unit, "u%d", i);
        count[bucket_of(unit)]++;
    }
    double e = (double)n / LIFT_SHARD_BUCKETS, chi2 = 0;
    for (int b = 0; b < LIFT_SHARD_BUCKETS; b++)
        chi2 += (count[b] - e) * (count[b] - e) / e;
    cr_assert_float_eq(chi2, 1055.62112, 1e-6);
    cr_assert_lt(chi2, 1023 + 5 * sqrt(2 * 1023.0));
}

/* Chi-square of independence of a 2 x k table (rows: a flag, columns: k shards). */
static double independence_chi2(long t[2][3], int k)
{
    long rows[2] = {0, 0}, cols[3] = {0, 0, 0}, n = 0;
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < k; c++) {
            rows[r] += t[r][c];
            cols[c] += t[r][c];
            n += t[r][c];
        }
    double chi2 = 0;
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < k; c++) {
            double e = (double)rows[r] * (double)cols[c] / (double)n;
            chi2 += (t[r][c] - e) * (t[r][c] - e) / e;
        }
    return chi2;
}

static double hash_of(const char *seed, const char *unit, int version)
{
    double h;
    lift_err err;
    cr_assert_eq(lift_hash(seed, strlen(seed), unit, strlen(unit), version, &h, &err), LIFT_OK);
    return h;
}

/* Each shard must hold a random sample of every variant: a report of one shard, or a shard
 * that is down, then leaves the variants' balance alone. 100,000 shoppers over 3 shards
 * against a 50/50 experiment (hash v2, seed "recs") and a layer's halves (hash v1,
 * "__homepage"); Python gives chi-square 2.4705 and 1.9372 for the same tables, below the
 * 0.001 critical value 13.82 (2 degrees of freedom). */
Test(shard_bucket, is_independent_of_variants_and_layers)
{
    long variant[2][3] = {{0}}, layer[2][3] = {{0}};
    for (int i = 0; i < 100000; i++) {
        char unit[16];
        snprintf(unit, sizeof unit, "u%d", i);
        int s = lift_shard_even(bucket_of(unit), 3);
        variant[hash_of("recs", unit, 2) < 0.5][s]++;
        layer[hash_of("__homepage", unit, 1) < 0.5][s]++;
    }
    cr_assert_float_eq(independence_chi2(variant, 3), 2.470477964065594, 1e-9);
    cr_assert_float_eq(independence_chi2(layer, 3), 1.9372451269431827, 1e-9);
}

/* Why the salt may not be an experiment's seed (lift.experiments refuses it): the variant
 * hash would be a function of the very value the bucket is, and 16 divides both 10000 and
 * 1024, so the low four bits agree for every shopper. */
Test(shard_bucket, shares_its_value_with_a_seed_equal_to_the_salt)
{
    for (int i = 0; i < 1000; i++) {
        char unit[16];
        snprintf(unit, sizeof unit, "u%d", i);
        long v = lround(hash_of(LIFT_SHARD_SALT, unit, 2) * 10000);
        cr_assert_eq(v % 16, bucket_of(unit) % 16, "unit %s", unit);
    }
}

Test(shard_even, splits_buckets_in_contiguous_ranges_differing_by_one)
{
    static const int shards[] = {1, 2, 3, 5, 7, 64, 1000, 1024};
    for (size_t k = 0; k < sizeof shards / sizeof *shards; k++) {
        int n = shards[k], count[1024] = {0}, last = 0;
        for (int b = 0; b < LIFT_SHARD_BUCKETS; b++) {
            int s = lift_shard_even(b, n);
            cr_assert(s >= last && s <= last + 1 && s < n, "n=%d bucket %d: shard %d", n, b, s);
            last = s;
            count[s]++;
        }
        int lo = LIFT_SHARD_BUCKETS, hi = 0;
        for (int s = 0; s < n; s++) {
            lo = count[s] < lo ? count[s] : lo;
            hi = count[s] > hi ? count[s] : hi;
        }
        cr_assert(hi - lo <= 1 && lo >= 1, "n=%d: %d..%d buckets per shard", n, lo, hi);
    }
    /* Three shards by hand: 1024 = 342 + 341 + 341; shard 1 starts at ceil(1024/3) = 342. */
    cr_assert_eq(lift_shard_even(341, 3), 0);
    cr_assert_eq(lift_shard_even(342, 3), 1);
    cr_assert_eq(lift_shard_even(682, 3), 1);
    cr_assert_eq(lift_shard_even(683, 3), 2);
    cr_assert_eq(lift_shard_even(1024, 3), -1);
    cr_assert_eq(lift_shard_even(0, 0), -1);
    cr_assert_eq(lift_shard_even(0, 1025), -1);
}
