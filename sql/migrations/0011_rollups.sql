-- Incremental per-shopper rollups (issue 15, item 3), stage 1: the schema and the
-- commit-safe watermark. Nothing writes these tables yet (liftctl refresh is the next stage);
-- reports keep reading raw data.
--
-- The watermark is a pg_snapshot, never a timestamp or a sequence value: a row committed
-- after a refresh but by a transaction that started before it has an older ingested xid
-- than rows the refresh saw, so "ingested > last seen" would lose it. A row is new for a
-- refresh that ran in snapshot S exactly when it is visible now and was not visible in S:
--     ingested >= pg_snapshot_xmin(S) AND NOT pg_visible_in_snapshot(ingested, S)
-- (the first condition only lets the index skip everything older than S's horizon).

-- lift.events.ingested (the transaction that stored each event, btree-indexed) comes from
-- migration 0010.

-- One row per experiment phase that has a rollup.
--   layout       the aggregates each lift.rollups.aggs holds, in order (e.g. 'revenue:sum',
--                'revenue:count', 'aov:denominator', 'revenue:pre'), fixed by the refresh
--                that built the rollup.
--   fingerprint  md5 of everything the aggregates depend on: the phase (its t0), the
--                definitions of the experiment's metrics, the reporting and store
--                currencies and the fx rates. A refresh that computes a different
--                fingerprint rebuilds the phase; a report uses the rollup only when its own
--                fingerprint is equal.
--   snapshot     pg_current_snapshot() of the transaction of the last refresh (the
--                watermark above).
CREATE TABLE lift.rollup_state (
    experiment   text NOT NULL,
    phase        integer NOT NULL,
    layout       text[] NOT NULL,
    fingerprint  text NOT NULL,
    snapshot     pg_snapshot NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    units        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (experiment, phase)
    -- no foreign key to lift.experiments (like lift.assignments): shard preparation
    -- truncates the config tables.
);

-- One row per shopper of an experiment phase: the per-shopper aggregates of the phase's
-- metrics in the reporting currency, in the order of lift.rollup_state.layout.
CREATE TABLE lift.rollups (
    experiment text NOT NULL,
    phase      integer NOT NULL,
    unit       text NOT NULL,
    aggs       float8[] NOT NULL,
    PRIMARY KEY (experiment, phase, unit),
    FOREIGN KEY (experiment, phase) REFERENCES lift.rollup_state (experiment, phase)
        ON DELETE CASCADE
);
-- Erasure (liftctl forget) finds a shopper's rows across experiments.
CREATE INDEX rollups_unit_idx ON lift.rollups (unit);

-- The shoppers of an experiment phase whose rollup rows a refresh must recompute, given
-- the snapshot the previous refresh ran in: those whose assignment (first exposure,
-- variant, attributes, mixed status) changed since, and those with events stored since.
-- Both are read under the caller's snapshot, so a refresh that calls this and then
-- records pg_current_snapshot() in the same transaction neither misses nor repeats a row.
CREATE FUNCTION lift.rollup_dirty_units(p_experiment text, p_phase integer, since pg_snapshot)
RETURNS TABLE (unit text)
LANGUAGE sql STABLE SET search_path = pg_catalog, lift AS $$
    SELECT a.unit FROM lift.assignments a
    WHERE a.experiment = p_experiment AND a.phase = p_phase
      AND a.changed >= pg_snapshot_xmin(since) AND NOT pg_visible_in_snapshot(a.changed, since)
    UNION
    SELECT a.unit
    FROM (SELECT DISTINCT e.unit FROM lift.events e
          WHERE e.ingested >= pg_snapshot_xmin(since)
            AND NOT pg_visible_in_snapshot(e.ingested, since)) n
    JOIN lift.assignments a ON a.experiment = p_experiment AND a.phase = p_phase
                           AND a.unit = n.unit
$$;

GRANT SELECT ON lift.rollup_state, lift.rollups TO lift_analyst;
