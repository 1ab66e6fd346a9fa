/* lift's config as GrowthBook's SDK payload (what GET /api/features/{clientKey} serves and
 * the SSE stream pushes), so any GrowthBook SDK gives the variants liftd gives. Pure: no
 * I/O. The mapping, and what it cannot carry, is docs/api.md, "The payload":
 *  - every experiment is a feature of the same key; defaultValue is the control's payload
 *    (none for a draft without variants);
 *  - a running experiment has, in order: one force rule per variant with QA overrides
 *    (id "lift:override:<variant>", condition on the unit: an override wins even over the
 *    holdout), one force rule per running holdout (id "lift:holdout:<key>", prerequisite
 *    "$holdout:<key>" is the holdout's control key: held-out shoppers get the default and
 *    no experiment), and the experiment rule (id "lift:experiment": key, name, phase, seed,
 * hashAttribute "id", hashVersion, coverage, weights, variations = payloads, meta = variant keys,
 * namespace = layer and range, condition = audience);
 *  - each holdout also gets the feature "$holdout:<key>" whose values are its variant keys
 *    (GrowthBook's own holdout shape), which the prerequisites above read;
 *  - start and end times are applied when the payload is made: it changes at them. */
#ifndef LIFT_GROWTHBOOK_H
#define LIFT_GROWTHBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "lift/audience.h"
#include "lift/config.h"
#include "lift/text.h"

/* The SDK attribute that carries lift's unit (the experiments' hashAttribute). */
#define LIFT_GB_UNIT_ATTR "id"

/* Writes the GrowthBook condition equivalent to an audience (all n conditions hold) as one
 * JSON value. Attributes are strings in lift; the condition gives the same answer for the
 * same strings, and also accepts numbers for numeric rules, booleans for boolean rules, and
 * the number or boolean a string rule's value spells ("42", "true"). */
void lift_gb_condition(lift_jw *w, const lift_cond *conds, size_t n);

/* Appends the payload {"status":200,"features":{...},"dateUpdated":"..."} of cfg as it
 * stands at time now (microseconds since the epoch). *valid_until is the next start or end
 * time after now at which it changes (INT64_MAX when none); *date_updated is its
 * dateUpdated: the config's last change or the last start/end time passed, whichever is
 * later (the same on every replica). */
void lift_gb_payload(lift_buf *b, const lift_config *cfg, int64_t now, int64_t *valid_until,
                     int64_t *date_updated);

#endif
