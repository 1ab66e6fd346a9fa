/* Config snapshots with lock-free readers and a grace period before the old one is freed.
 *
 * A reader increments the counter of the current epoch's parity, then checks the epoch
 * did not move (else it retries), then loads the pointer. A publisher swaps the pointer,
 * advances the epoch, and waits for the old parity's counter to drain: any reader that
 * could have loaded the old pointer registered under the old epoch; readers that come
 * later register under the new one and load the new pointer (all sequentially
 * consistent). Comparing whole epochs, not parities, rules out ABA while a reader is
 * between its two steps. */
#include "snapshot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct lift_snapshots {
    _Atomic(lift_config *) current;
    atomic_uint epoch;
    atomic_uint readers[2];
    pthread_mutex_t publish;
    pthread_cond_t published; /* signalled with publish held */
    unsigned long generation; /* publishes and wakes; under publish */
};

lift_snapshots *lift_snapshots_new(void)
{
    lift_snapshots *s = calloc(1, sizeof *s);
    if (s) {
        pthread_mutex_init(&s->publish, NULL);
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&s->published, &a);
        pthread_condattr_destroy(&a);
    }
    return s;
}

void lift_snapshots_free(lift_snapshots *s)
{
    if (!s)
        return;
    lift_config_free(atomic_load(&s->current));
    pthread_mutex_destroy(&s->publish);
    pthread_cond_destroy(&s->published);
    free(s);
}

const lift_config *lift_snapshot_enter(lift_snapshots *s, lift_pin *pin)
{
    for (;;) {
        unsigned e = atomic_load(&s->epoch);
        atomic_fetch_add(&s->readers[e & 1], 1);
        if (atomic_load(&s->epoch) == e) {
            pin->slot = e & 1;
            return atomic_load(&s->current);
        }
        atomic_fetch_sub(&s->readers[e & 1], 1);
    }
}

void lift_snapshot_leave(lift_snapshots *s, const lift_pin *pin)
{
    atomic_fetch_sub(&s->readers[pin->slot], 1);
}

void lift_snapshot_publish(lift_snapshots *s, lift_config *cfg)
{
    pthread_mutex_lock(&s->publish);
    lift_config *old = atomic_exchange(&s->current, cfg);
    unsigned e = atomic_fetch_add(&s->epoch, 1);
    /* Readers hold a snapshot for microseconds (one request); poll politely. */
    while (atomic_load(&s->readers[e & 1]) != 0) {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
    s->generation++;
    pthread_cond_broadcast(&s->published);
    pthread_mutex_unlock(&s->publish);
    lift_config_free(old);
}

unsigned long lift_snapshot_wait(lift_snapshots *s, unsigned long seen, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->publish);
    if (s->generation <= seen)
        pthread_cond_timedwait(&s->published, &s->publish, &until);
    unsigned long g = s->generation;
    pthread_mutex_unlock(&s->publish);
    return g;
}

void lift_snapshot_wake(lift_snapshots *s)
{
    pthread_mutex_lock(&s->publish);
    s->generation++; /* so a waiter about to wait sees it too */
    pthread_cond_broadcast(&s->published);
    pthread_mutex_unlock(&s->publish);
}
