/* Ingestion: the POST /v1/events and /v1/exposures bodies checked item by item and turned
 * into COPY rows. A batch with one bad item is refused whole, naming the item
 * ("events[17].value"); then nothing is produced. */
#ifndef LIFT_INGEST_H
#define LIFT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "lift/config.h"
#include "lift/err.h"
#include "lift/pseudo.h"
#include "lift/rows.h"
#include "lift/text.h"

/* The rules (docs/api.md, POST /v1/events and /v1/exposures):
 *   body {"events": [...]} or {"exposures": [...]}, at most max_items items;
 *   event_id and unit: 1 to 128 bytes of UTF-8; type: 1 to 64 bytes of UTF-8; none of
 *   them with a control character (a newline, a tab...);
 *   value: a finite number with |value| <= 1e9 (refunds are negative), or absent;
 *   currency: 3 upper-case letters (ISO 4217), or absent;
 *   ts: RFC 3339, not more than 5 minutes in the future (history is fine); absent: now;
 *   props / attrs: a JSON object;
 *   experiment and variant (exposures): running in the config; the phase is the config's,
 *   and an item may name it ("phase": 2), which must then be the current one;
 *   with a client key, each event's type must be one the key lists (else LIFT_EPERM).
 * Unknown fields are refused, so a misspelt "vaule" is not silently dropped. */

typedef struct lift_ingest {
    int64_t now; /* microseconds since the epoch */
    long max_items;
    const lift_pseudo *pseudo;     /* NULL: unit ids stored as given */
    const lift_config *cfg;        /* exposures only */
    const lift_client_key *client; /* events from a client key: only its event types */
} lift_ingest;

/* Rows in the columns of LIFT_EVENT_COLUMNS (lift/rows.h). */
int lift_ingest_events(const lift_ingest *in, const char *body, size_t len, lift_buf *rows,
                       size_t *n, lift_err *err);

/* Rows in the columns of LIFT_EXPOSURE_COLUMNS (lift/rows.h). */
int lift_ingest_exposures(const lift_ingest *in, const char *body, size_t len, lift_buf *rows,
                          size_t *n, lift_err *err);

/* One exposure row of liftd's own (from /v1/assign), in the same columns. attrs_json may
 * be NULL. */
void lift_ingest_exposure_row(lift_buf *rows, const char *event_id, const char *unit,
                              size_t unit_len, const lift_experiment *e, int variant, int64_t ts,
                              const char *attrs_json, size_t attrs_len);

#endif
