-- Refreshes an experiment phase's rollup: the per-shopper aggregates of its metrics
-- (sql/analysis/unit_aggs.sql) for every shopper of lift.assignments, in lift.rollups.
--
-- Installed per session after unit_aggs.sql, like the report's functions:
--   SELECT * FROM pg_temp.lift_refresh(experiment, phase, metrics, currency, store_currency
--                                      [, rebuild])
-- The caller runs it in a REPEATABLE READ transaction, holding the phase's advisory lock
-- (liftctl refresh and liftd's refresher do; db/refresh.c): the watermark stored is the
-- snapshot everything was read in, so a row committed after it is seen by the next
-- refresh, and one it saw is not taken again.
--
-- A rollup built for other metric definitions, currencies or fx rates (another
-- fingerprint), or asked to (rebuild), is rebuilt: every shopper computed again. Otherwise
-- only the shoppers lift.rollup_dirty_units() names since the last snapshot are computed
-- again: those whose first exposure, variant, attributes or mixed status changed, new
-- ones, and those with events stored since, whatever their event time (late events
-- count). The cost follows what arrived, not the history.
--
-- The aggregates are stored without a cut at any as-of: a report reads them for the
-- shoppers whose latest event read is before its as-of (unit_aggs.sql states the rule).
CREATE OR REPLACE FUNCTION pg_temp.lift_refresh(
    exp text, ph integer, metric_keys text[], currency text DEFAULT NULL,
    store_currency text DEFAULT NULL, rebuild boolean DEFAULT false)
RETURNS TABLE (mode text, units bigint, recomputed bigint)
LANGUAGE plpgsql
SET TimeZone = 'UTC' AS $fn$
DECLARE
    ua record;
    rs lift.rollup_state;
    n bigint;                -- shoppers new to the rollup
    which text;              -- the shoppers to compute
BEGIN
    SELECT * INTO ua FROM pg_temp.lift_unit_aggs(metric_keys, currency, store_currency);
    IF ua.body IS NULL THEN
        RAISE EXCEPTION 'experiment % has no metrics to roll up', exp;
    END IF;
    SELECT * INTO rs FROM lift.rollup_state r WHERE r.experiment = exp AND r.phase = ph FOR UPDATE;
    IF rs.experiment IS NULL OR rs.fingerprint <> ua.fingerprint OR rebuild THEN
        mode := 'rebuild';
        DELETE FROM lift.rollups r WHERE r.experiment = exp AND r.phase = ph;
        INSERT INTO lift.rollup_state AS r (experiment, phase, layout, fingerprint, snapshot)
        VALUES (exp, ph, ua.layout, ua.fingerprint, pg_current_snapshot())
        ON CONFLICT (experiment, phase) DO UPDATE
            SET layout = EXCLUDED.layout, fingerprint = EXCLUDED.fingerprint;
        which := '';
    ELSE
        mode := 'incremental';
        which := format(' AND a.unit IN (SELECT d.unit FROM lift.rollup_dirty_units($1, $2, %L::pg_snapshot) d)',
                        rs.snapshot);
    END IF;

    EXECUTE format($q$
WITH stored AS (
INSERT INTO lift.rollups AS r (experiment, phase, unit, aggs, cur_lo, cur_hi, x_n, x_cur, ts_last)
SELECT $1, $2, u.unit, a.aggs, a.cur_lo, a.cur_hi, a.x_n, a.x_cur, a.ts_last
FROM (SELECT u.* %1$s
      FROM (SELECT a.unit, a.first_ts AS t0, a.first_ts - %2$L::interval AS lo,
                   CASE WHEN cardinality(a.variants) > 1 THEN a.first_ts - %2$L::interval
                        ELSE a.first_ts + %3$L::interval END AS hi
            FROM lift.assignments a
            WHERE a.experiment = $1 AND a.phase = $2 %4$s) u) u
CROSS JOIN LATERAL (%5$s) a
ON CONFLICT (experiment, phase, unit) DO UPDATE
    SET aggs = EXCLUDED.aggs, cur_lo = EXCLUDED.cur_lo, cur_hi = EXCLUDED.cur_hi,
        x_n = EXCLUDED.x_n, x_cur = EXCLUDED.x_cur, ts_last = EXCLUDED.ts_last
RETURNING r.xmax = 0 AS fresh, r.ts_last)
SELECT count(*), count(*) FILTER (WHERE fresh), max(ts_last) FROM stored
$q$, ua.bound_cols, ua.max_pre, ua.max_window, which, ua.body)
    INTO recomputed, n, rs.ts_last USING exp, ph;
    units := CASE WHEN mode = 'rebuild' THEN n ELSE coalesce(rs.units, 0) + n END;
    UPDATE lift.rollup_state r
       SET snapshot = pg_current_snapshot(), refreshed_at = now(), units = lift_refresh.units,
           ts_last = CASE WHEN lift_refresh.mode = 'rebuild' THEN rs.ts_last
                          ELSE greatest(r.ts_last, rs.ts_last) END,
           mode = lift_refresh.mode, recomputed = lift_refresh.recomputed
     WHERE r.experiment = exp AND r.phase = ph;
    RETURN NEXT;
END
$fn$;
