/* The config snapshot liftd serves, swapped whole on reload. Readers never block and never
 * see half a config: they pin the current snapshot with two atomic operations; a publisher
 * swaps the pointer and frees the old snapshot only after every reader that could still
 * hold it has left (an epoch/grace-period scheme, like userspace RCU). */
#ifndef LIFT_SNAPSHOT_H
#define LIFT_SNAPSHOT_H

#include "lift/config.h"

typedef struct lift_snapshots lift_snapshots;

lift_snapshots *lift_snapshots_new(void);
void lift_snapshots_free(lift_snapshots *s); /* frees the current config too; NULL no-op */

/* A reader's pin. */
typedef struct lift_pin {
    unsigned slot;
} lift_pin;

/* The current config, or NULL when none was loaded yet; valid until lift_snapshot_leave. */
const lift_config *lift_snapshot_enter(lift_snapshots *s, lift_pin *pin);
void lift_snapshot_leave(lift_snapshots *s, const lift_pin *pin);

/* Makes cfg current (stealing it) and frees the previous one once no reader holds it.
 * Publishers are serialized internally. */
void lift_snapshot_publish(lift_snapshots *s, lift_config *cfg);

/* A counter of publishes (and wakes). Waits up to timeout_ms for it to exceed seen, then
 * returns it: a waiter never misses a publish that happens after it read `seen`. */
unsigned long lift_snapshot_wait(lift_snapshots *s, unsigned long seen, int timeout_ms);

/* Wakes every lift_snapshot_wait now, counting as a publish (to stop a waiting thread). */
void lift_snapshot_wake(lift_snapshots *s);

#endif
