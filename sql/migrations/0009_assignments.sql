-- One row per shopper and experiment phase: lift.assignments. The analysis reads only a
-- shopper's first exposure of a phase (its time, variant and attributes) and whether the
-- shopper ever saw another variant; this table keeps exactly that, plus the latest exposure
-- time and how many exposure rows were merged, so that reports need not read the exposure
-- log at all when their as-of is current.
--
-- It is maintained at commit, in the transaction that stores the exposures, whatever path
-- delivered them (liftd's live COPY, its staging path for POST /v1/exposures, a spool
-- replay, any INSERT or COPY into lift.exposures) and in any order: merging is commutative
-- and associative (earliest (ts, event_id) wins variant, attrs, first_ts and first_id;
-- variants is the sorted union; last_ts the greatest; exposures the sum). A re-sent
-- exposure the log already holds (same event_id) is not merged twice: the statement-level
-- trigger sees only the rows that were actually inserted.
--
-- `changed` is the transaction that last changed what a report derives from the row
-- (first_ts, first_id, variant, attrs, variants): a refresh finds the shoppers to recompute
-- with changed >= pg_snapshot_xmin(S) AND NOT pg_visible_in_snapshot(changed, S).
--
-- Concurrency: each merge sorts its keys, so two writers lock rows in the same order; ON
-- CONFLICT DO UPDATE serializes writers on a row (the second waits for the first to commit,
-- then merges into the committed row). liftd retries a transaction that still meets a
-- deadlock or a serialization failure.

CREATE TABLE lift.assignments (
    experiment  text NOT NULL,
    phase       integer NOT NULL,
    unit        text NOT NULL,
    first_ts    timestamptz NOT NULL,
    first_id    text NOT NULL,
    variant     text NOT NULL,
    attrs       jsonb,
    variants    text[] NOT NULL,
    last_ts     timestamptz NOT NULL,
    exposures   bigint NOT NULL,
    changed     xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (experiment, phase, unit)
);
-- Rows changed since a snapshot, per experiment phase (last_ts and exposures are not
-- indexed, so the frequent updates that touch only them can stay HOT).
CREATE INDEX assignments_changed_idx ON lift.assignments (experiment, phase, changed);
-- Erasure finds a shopper's rows across experiments.
CREATE INDEX assignments_unit_idx ON lift.assignments (unit);

-- An exposure as the merge takes it (the columns liftd writes, include/lift/rows.h).
CREATE TYPE lift.exposure_row AS (
    event_id   text,
    unit       text,
    experiment text,
    variant    text,
    phase      integer,
    ts         timestamptz,
    attrs      jsonb
);

-- Merges exposures into lift.assignments; returns the number of rows inserted or updated.
-- Keys are merged in sorted order (a consistent lock order between concurrent writers).
CREATE FUNCTION lift.assignments_merge(fresh lift.exposure_row[]) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
    WITH m AS (
        INSERT INTO lift.assignments AS a (experiment, phase, unit, first_ts, first_id, variant,
                                           attrs, variants, last_ts, exposures)
        SELECT r.experiment, r.phase, r.unit,
               (array_agg(r.ts ORDER BY r.ts, r.event_id))[1],
               (array_agg(r.event_id ORDER BY r.ts, r.event_id))[1],
               (array_agg(r.variant ORDER BY r.ts, r.event_id))[1],
               (array_agg(r.attrs ORDER BY r.ts, r.event_id))[1],
               array_agg(DISTINCT r.variant ORDER BY r.variant),
               max(r.ts), count(*)
        FROM unnest(fresh) r
        GROUP BY r.experiment, r.phase, r.unit
        ORDER BY r.experiment, r.phase, r.unit
        ON CONFLICT (experiment, phase, unit) DO UPDATE SET
            first_ts = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_id) < (a.first_ts, a.first_id)
                            THEN EXCLUDED.first_ts ELSE a.first_ts END,
            first_id = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_id) < (a.first_ts, a.first_id)
                            THEN EXCLUDED.first_id ELSE a.first_id END,
            variant = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_id) < (a.first_ts, a.first_id)
                           THEN EXCLUDED.variant ELSE a.variant END,
            attrs = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_id) < (a.first_ts, a.first_id)
                         THEN EXCLUDED.attrs ELSE a.attrs END,
            variants = CASE WHEN EXCLUDED.variants <@ a.variants THEN a.variants
                            ELSE ARRAY(SELECT DISTINCT v FROM unnest(a.variants || EXCLUDED.variants) v
                                       ORDER BY v) END,
            last_ts = greatest(a.last_ts, EXCLUDED.last_ts),
            exposures = a.exposures + EXCLUDED.exposures,
            changed = CASE WHEN (EXCLUDED.first_ts, EXCLUDED.first_id) < (a.first_ts, a.first_id)
                                OR NOT EXCLUDED.variants <@ a.variants
                           THEN pg_current_xact_id() ELSE a.changed END
        RETURNING 1)
    SELECT count(*) FROM m
$$;
REVOKE EXECUTE ON FUNCTION lift.assignments_merge(lift.exposure_row[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lift.assignments_merge(lift.exposure_row[]) TO lift_writer;

-- Every statement that stores exposures merges the rows it stored.
CREATE FUNCTION lift.exposures_merge() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
BEGIN
    PERFORM lift.assignments_merge(ARRAY(
        SELECT ROW(f.event_id, f.unit, f.experiment, f.variant, f.phase, f.ts, f.attrs)::lift.exposure_row
        FROM fresh f));
    RETURN NULL;
END $$;
CREATE TRIGGER exposures_merge AFTER INSERT ON lift.exposures
    REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION lift.exposures_merge();

-- Today's exposure log fills the table (nothing is lost: every (experiment, phase, unit)
-- of lift.exposures gets its row, with the same merge rules).
INSERT INTO lift.assignments (experiment, phase, unit, first_ts, first_id, variant, attrs,
                              variants, last_ts, exposures)
SELECT experiment, phase, unit,
       (array_agg(ts ORDER BY ts, event_id))[1],
       (array_agg(event_id ORDER BY ts, event_id))[1],
       (array_agg(variant ORDER BY ts, event_id))[1],
       (array_agg(attrs ORDER BY ts, event_id))[1],
       array_agg(DISTINCT variant ORDER BY variant),
       max(ts), count(*)
FROM lift.exposures
GROUP BY experiment, phase, unit;

GRANT SELECT ON lift.assignments TO lift_analyst;
