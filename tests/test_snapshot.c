/* The config snapshot (server/snapshot.h): readers never see half a config, and an old
 * config is freed only once every reader that could hold it has left.
 *
 * The Makefile links this test with -Wl,--wrap=lift_config_free, so every config the
 * snapshot frees passes through __wrap_lift_config_free below: it counts the frees, fails
 * the test when a reader still holds the config, and scribbles over it before freeing it
 * (so that a reader still in it sees nonsense). Under `make sanitize` (ASan) and `make tsan`
 * (TSan) a reader touching a freed config is reported besides. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/assign.h"
#include "lift/text.h"
#include "server/snapshot.h"

#define READERS 3
#define STORM_S 1.5 /* seconds of reloads */

void __real_lift_config_free(lift_config *cfg);
void __wrap_lift_config_free(lift_config *cfg);

static _Atomic(const lift_config *) held[READERS]; /* what each reader holds, or NULL */
static atomic_long frees, freed_while_held;

void __wrap_lift_config_free(lift_config *cfg)
{
    if (!cfg)
        return;
    for (int r = 0; r < READERS; r++)
        if (atomic_load(&held[r]) == cfg)
            atomic_fetch_add(&freed_while_held, 1);
    cfg->version = -1;
    cfg->nexperiments = 0;
    atomic_fetch_add(&frees, 1);
    __real_lift_config_free(cfg);
}

/* Config version v: v % 7 + 1 experiments, every name in it derived from v, so a reader
 * can check each field against the version it read. */
static lift_config *make_config(long v)
{
    int n = (int)(v % 7) + 1;
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_printf(&b, "{\"version\":%ld,\"experiments\":[", v);
    for (int i = 0; i < n; i++)
        lift_buf_printf(&b,
                        "%s{\"key\":\"e%ld-%d\",\"name\":\"n%ld\",\"seed\":\"s%ld-%d\","
                        "\"phase\":%ld,\"coverage\":0.%d5,\"layer\":{\"name\":\"L%ld-%d\"},"
                        "\"variants\":[{\"key\":\"c%ld\"},{\"key\":\"t%ld-%d\"}]}",
                        i ? "," : "", v, i, v, v, i, v % 1000 + 1, i, v, i, v, v, i);
    lift_buf_puts(&b, "]}");
    lift_err err;
    cr_assert_not(b.failed);
    lift_config *cfg = lift_config_parse(b.data, b.len, &err);
    cr_assert(cfg, "%s", err.msg);
    lift_buf_fini(&b);
    return cfg;
}

__attribute__((format(printf, 2, 3))) static bool str_is(const char *s, const char *fmt, ...)
{
    char want[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    return strcmp(s, want) == 0;
}

/* Every field a reader uses, against its version; NULL when all agree. */
static const char *inconsistency(const lift_config *cfg)
{
    long v = (long)cfg->version;
    if (v < 1)
        return "version";
    if (cfg->nexperiments != (size_t)(v % 7) + 1 || cfg->nlayers != cfg->nexperiments)
        return "number of experiments or layers";
    for (size_t k = 0; k < cfg->nexperiments; k++) {
        const lift_experiment *e = &cfg->experiments[k];
        int i = (int)k;
        if (!str_is(e->key, "e%ld-%d", v, i) || e->key_len != strlen(e->key) ||
            !str_is(e->name, "n%ld", v) || !str_is(e->seed, "s%ld-%d", v, i))
            return "key, name or seed";
        char coverage[8];
        snprintf(coverage, sizeof coverage, "0.%d5", i);
        if (e->phase != v % 1000 + 1 || e->coverage != strtod(coverage, NULL))
            return "phase or coverage";
        if (e->nvariants != 2 || !str_is(e->variants[0].key, "c%ld", v) ||
            !str_is(e->variants[1].key, "t%ld-%d", v, i) || e->control != 0)
            return "variants";
        if (e->layer != i || !str_is(cfg->layers[e->layer].name, "L%ld-%d", v, i))
            return "layer";
    }
    /* Evaluation reads the rest: ranges, buckets, hashing state, layers. */
    lift_assignment a[8];
    size_t n;
    lift_err err;
    lift_request req = {"shopper-1", 9, NULL, 0, 0, true, -1};
    if (lift_assign_eval(cfg, &req, a, &n, &err) != LIFT_OK || n > cfg->nexperiments)
        return "evaluation";
    for (size_t k = 0; k < n; k++)
        if (a[k].experiment < 0 || (size_t)a[k].experiment >= cfg->nexperiments ||
            a[k].variant < 0 || a[k].variant > 1)
            return "assignment";
    return NULL;
}

static lift_snapshots *snaps;
static atomic_bool stop;
static atomic_long reads, bad_reads, backwards;
static const char *_Atomic first_problem;

static void *reader(void *arg)
{
    int r = (int)(intptr_t)arg;
    long last = 0;
    while (!atomic_load(&stop)) {
        lift_pin pin;
        const lift_config *cfg = lift_snapshot_enter(snaps, &pin);
        if (cfg) {
            atomic_store(&held[r], cfg);
            const char *problem = inconsistency(cfg);
            if (problem) {
                atomic_fetch_add(&bad_reads, 1);
                const char *none = NULL;
                atomic_compare_exchange_strong(&first_problem, &none, problem);
            } else {
                if (cfg->version < last)
                    atomic_fetch_add(&backwards, 1);
                last = (long)cfg->version;
            }
            atomic_store(&held[r], NULL);
            atomic_fetch_add(&reads, 1);
        }
        lift_snapshot_leave(snaps, &pin);
    }
    return NULL;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

Test(snapshot_publish, readers_never_see_half_a_config_under_a_reload_storm, .timeout = 60)
{
    snaps = lift_snapshots_new();
    cr_assert(snaps);
    pthread_t th[READERS];
    for (int r = 0; r < READERS; r++)
        cr_assert_eq(pthread_create(&th[r], NULL, reader, (void *)(intptr_t)r), 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long published = 0;
    while (published < 20000 && (published < 100 || seconds_since(&t0) < STORM_S)) {
        lift_snapshot_publish(snaps, make_config(published + 1));
        published++;
        /* The previous config is freed before publish returns, and only it. */
        cr_assert_eq(atomic_load(&frees), published - 1, "after %ld publications", published);
    }
    /* Let the readers see the last one too. */
    long before = atomic_load(&reads);
    while (atomic_load(&reads) < before + 100 && seconds_since(&t0) < 30)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    atomic_store(&stop, true);
    for (int r = 0; r < READERS; r++)
        pthread_join(th[r], NULL);
    cr_log_info("%ld configs published, %ld reads in %.2f s", published, atomic_load(&reads),
                seconds_since(&t0));
    cr_assert_eq(atomic_load(&bad_reads), 0, "%ld reads saw an inconsistent config (first: %s)",
                 atomic_load(&bad_reads), atomic_load(&first_problem));
    cr_assert_eq(atomic_load(&freed_while_held), 0, "a config was freed while a reader held it");
    cr_assert_eq(atomic_load(&backwards), 0, "a reader saw an older version after a newer one");
    cr_assert_gt(atomic_load(&reads), 1000, "too few reads to mean anything");
    cr_assert_geq(published, 100);
    lift_snapshots_free(snaps);
    cr_assert_eq(atomic_load(&frees), published, "the last config is freed with the snapshots");
}

/* --- the grace period, step by step ------------------------------------------------------ */

static atomic_bool published_v2;

static void *publish_v2(void *arg)
{
    (void)arg;
    lift_snapshot_publish(snaps, make_config(2));
    atomic_store(&published_v2, true);
    return NULL;
}

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

Test(snapshot_publish, waits_for_the_readers_of_the_old_config)
{
    snaps = lift_snapshots_new();
    lift_pin a, b;
    cr_assert_null(lift_snapshot_enter(snaps, &a), "a config before any was published");
    lift_snapshot_leave(snaps, &a);
    lift_snapshot_publish(snaps, make_config(1));
    cr_assert_eq(atomic_load(&frees), 0);
    const lift_config *old = lift_snapshot_enter(snaps, &a);
    cr_assert_eq(old->version, 1);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, publish_v2, NULL), 0);
    /* The publisher swaps at once but may not free version 1 while we hold it. */
    const lift_config *now = NULL;
    for (int waited = 0; waited < 5000; waited++) {
        now = lift_snapshot_enter(snaps, &b);
        if (now->version == 2)
            break;
        lift_snapshot_leave(snaps, &b);
        sleep_ms(1);
    }
    cr_assert_eq(now->version, 2, "the new config was not published");
    lift_snapshot_leave(snaps, &b); /* a reader of the new config does not hold it up */
    sleep_ms(100);
    cr_assert_not(atomic_load(&published_v2), "publish returned while the old config was held");
    cr_assert_eq(atomic_load(&frees), 0, "the old config was freed while held");
    cr_assert_str_eq(old->experiments[0].key, "e1-0");
    lift_snapshot_leave(snaps, &a);
    pthread_join(th, NULL);
    cr_assert(atomic_load(&published_v2));
    cr_assert_eq(atomic_load(&frees), 1);
    lift_snapshots_free(snaps);
    cr_assert_eq(atomic_load(&frees), 2);
    lift_snapshots_free(NULL);
}
