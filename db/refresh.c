/* Rollup refresh: the experiment's settings as its report reads them
 * (sql/analysis/experiment.sql), then pg_temp.lift_refresh() under the phase's advisory
 * lock, in a REPEATABLE READ transaction so that the snapshot it stores as the watermark
 * is the one it read everything in. */
#include <stdio.h>
#include <string.h>

#include "lift/refresh.h"
#include "lift/sqlfiles.h"
#include "lift/text.h"

int lift_analysis_load(lift_db *db, const char *also, lift_err *err)
{
    const char *files[] = {"analysis/unit_aggs.sql", also};
    for (size_t i = 0; i < sizeof files / sizeof *files && files[i]; i++) {
        const char *text = lift_sql_text(files[i]);
        if (!text)
            return lift_err_set(err, LIFT_EIO, "sql/%s is not built in", files[i]);
        int rc = lift_db_script(db, text, err);
        if (rc != LIFT_OK)
            return rc;
    }
    return LIFT_OK;
}

/* Runs the refresh proper; the caller holds the lock and ends nothing. */
static int refresh_locked(lift_db *db, const char *const *p, lift_refresh_result *out,
                          lift_err *err)
{
    int rc = lift_db_run(db, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, err);
    if (rc != LIFT_OK)
        return rc;
    PGresult *res = lift_db_exec(db,
                                 "SELECT * FROM pg_temp.lift_refresh($1, $2::integer, "
                                 "$3::text[], $4, $5, $6::boolean)",
                                 6, p, NULL, err);
    if (!res) {
        lift_err ignored;
        (void)lift_db_run(db, "ROLLBACK", 0, NULL, &ignored);
        return LIFT_EDB;
    }
    snprintf(out->mode, sizeof out->mode, "%s", lift_db_text(res, 0, "mode"));
    out->units = (long long)lift_db_num(res, 0, "units");
    out->computed = (long long)lift_db_num(res, 0, "recomputed");
    PQclear(res);
    return lift_db_run(db, "COMMIT", 0, NULL, err);
}

int lift_refresh(lift_db *db, const char *experiment, bool rebuild, lift_refresh_result *out,
                 lift_err *err)
{
    memset(out, 0, sizeof *out);
    int64_t t0 = lift_time_mono();
    const char *key[] = {experiment};
    PGresult *res = lift_db_exec(db, lift_sql_text("analysis/experiment.sql"), 1, key, NULL, err);
    if (!res)
        return LIFT_EDB;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return lift_err_set(err, LIFT_ENOTFOUND, "no experiment '%s'", experiment);
    }
    char phase[16];
    snprintf(phase, sizeof phase, "%s", lift_db_text(res, 0, "phase"));
    out->phase = (int)lift_db_num(res, 0, "phase");
    /* The reporting currency: the experiment's, else the store's (as the report does). */
    const char *currency = lift_db_null(res, 0, "experiment_currency")
                               ? NULL
                               : lift_db_text(res, 0, "experiment_currency");
    const char *store =
        lift_db_null(res, 0, "store_currency") ? NULL : lift_db_text(res, 0, "store_currency");
    const char *p[] = {experiment,
                       phase,
                       lift_db_text(res, 0, "metrics"),
                       currency ? currency : store,
                       store,
                       rebuild ? "true" : "false"};
    int rc = lift_analysis_load(db, "analysis/refresh.sql", err);
    const char *lock[] = {experiment, phase};
    if (rc == LIFT_OK)
        rc = lift_db_run(
            db, "SELECT pg_advisory_lock(hashtextextended('lift.refresh ' || $1 || ' ' || $2, 0))",
            2, lock, err);
    if (rc == LIFT_OK) {
        rc = refresh_locked(db, p, out, err);
        lift_err ignored;
        (void)lift_db_run(db,
                          "SELECT pg_advisory_unlock(hashtextextended('lift.refresh ' || $1 || ' ' "
                          "|| $2, 0))",
                          2, lock, &ignored);
    }
    PQclear(res);
    out->micros = lift_time_mono() - t0;
    return rc;
}

PGresult *lift_refresh_candidates(lift_db *db, lift_err *err)
{
    return lift_db_exec(db,
                        "SELECT e.key FROM lift.experiments e WHERE EXISTS (SELECT FROM "
                        "lift.assignments a WHERE a.experiment = e.key AND a.phase = e.phase) "
                        "ORDER BY e.key",
                        0, NULL, NULL, err);
}
