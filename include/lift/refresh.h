/* Rollup refresh (sql/analysis/refresh.sql): keeps an experiment phase's per-shopper
 * aggregates in lift.rollups current. Shared by liftctl refresh and liftd's refresher. */
#ifndef LIFT_REFRESH_H
#define LIFT_REFRESH_H

#include <stdbool.h>
#include <stdint.h>

#include "lift/db.h"
#include "lift/err.h"

typedef struct lift_refresh_result {
    int phase;
    char mode[16];      /* "rebuild" or "incremental" */
    long long units;    /* shoppers the rollup holds */
    long long computed; /* shoppers computed by this refresh */
    int64_t micros;     /* wall-clock time, lock wait included */
} lift_refresh_result;

/* Loads the analysis functions the rollups and the reports share into the session
 * (temporary functions: unit_aggs.sql, then `also` when non-NULL, e.g.
 * "analysis/metric_stats.sql"). Returns LIFT_OK, LIFT_EIO or LIFT_EDB. */
int lift_analysis_load(lift_db *db, const char *also, lift_err *err);

/* Refreshes the rollup of experiment's current phase for its report's metrics and
 * currency: incrementally, or from scratch with rebuild (or when the metric definitions,
 * currencies or fx rates changed). Waits for a refresh of the same phase running
 * elsewhere (an advisory lock), then runs in one REPEATABLE READ transaction. LIFT_ENOTFOUND
 * for no such experiment; LIFT_EDB with the server's message. */
int lift_refresh(lift_db *db, const char *experiment, bool rebuild, lift_refresh_result *out,
                 lift_err *err);

/* The experiments a refresh of everything covers: those with shoppers in their current
 * phase, by key (column "key"). NULL with err set on failure. */
PGresult *lift_refresh_candidates(lift_db *db, lift_err *err);

#endif
