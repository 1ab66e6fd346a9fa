-- The raw exposure log (lift.exposures) becomes optional and partitioned by day, and
-- retention: lift.prune(), which `liftctl prune --older-than` runs (issue 15, items 1 and 2).
--
-- 1. lift.settings.exposure_log (default true). Off: exposures still merge into
--    lift.assignments exactly as before (the same merge, whatever path: liftd's live COPY,
--    its staging path for POST /v1/exposures, a spool replay, any INSERT or COPY into
--    lift.exposures), but no row stays in the log. liftd's writer, seeing the setting off,
--    COPYs into its session's temporary staging table and calls lift.assignments_merge()
--    itself (the cheapest: no heap, index or WAL write of the log); any other INSERT or COPY
--    into lift.exposures is stored, merged and deleted again by the statement trigger in
--    the same statement. Consequence: with the log off, a re-sent exposure cannot be
--    recognised (there is no stored id to compare with), so lift.assignments.exposures counts
--    deliveries, not distinct exposures; first_ts, first_id, variant, attrs, variants and
--    last_ts stay exact, because merging a row twice changes none of them.
--    The setting is in lift.settings, which the config database publishes to the shards
--    (lift.shard_config_tables, 0012): every shard follows it. It is read when a statement
--    starts (the trigger) or a transaction starts (liftd's writer), so a change applies to
--    the statements that begin after it commits.
--
-- 2. lift.exposures is partitioned by RANGE (ts), one partition per UTC day, named
--    lift.exposures_YYYY_MM_DD, plus lift.exposures_default for whatever no day covers.
--    Daily (events are monthly, 0010): the log is the high-volume table (a row per page view
--    that asked for a variant) and reports no longer read it when lift.assignments is
--    current, so retention by the day costs a report nothing; the raw path (an as-of in the
--    past) reads one experiment's rows through one index per day, a scan of those rows all
--    the same. lift.maintain() now also creates today's partition and the next 7 days'.
--
--    Ids stay unique across partitions as events' do: lift.exposure_ids (event_id PRIMARY
--    KEY, ts), filled by a row trigger, refusing (or, with lift.on_duplicate = 'skip', the
--    writer's staging path, skipping) a registered id and an exposure older than the prune
--    cutoff (lift.pruned, what = 'exposures'). Needed because POST /v1/exposures stamps an
--    item without ts with the time of receipt: a re-sent batch of such items has other times,
--    and would land in other days. A skipped row is neither stored nor merged. With the log
--    off nothing is registered (no row is kept to be a duplicate of).
--
-- 3. lift.prune(older_than, dry_run): drops every partition of lift.events and lift.exposures
--    whose whole range is older than now() - older_than (DROP TABLE: never a row-by-row DELETE
--    of a partition in use), deletes the older rows of the default partitions (rows with a
--    client clock far off; said so in its output), deletes the ids older than the cutoff
--    from lift.event_ids and lift.exposure_ids, and records the cutoff in lift.pruned. That
--    cutoff is the dedup horizon: an event or exposure older than it is treated as a
--    duplicate (skipped or refused), and an id whose row was pruned is forgotten, so a batch
--    re-sent after the prune whose rows carry newer times (items without ts get the time of
--    receipt) is stored again. lift.assignments and the rollups are not pruned: they keep
--    every shopper's first exposure.

ALTER TABLE lift.settings ADD COLUMN exposure_log boolean NOT NULL DEFAULT true;
-- liftd's writer reads it (the currency beside it is no secret).
GRANT SELECT ON lift.settings TO lift_writer;

CREATE TABLE lift.exposure_ids (
    event_id text PRIMARY KEY,
    ts       timestamptz NOT NULL
);
CREATE INDEX exposure_ids_ts_idx ON lift.exposure_ids USING brin (ts);

ALTER TABLE lift.exposures RENAME TO exposures_unpartitioned;
DROP TRIGGER exposures_merge ON lift.exposures_unpartitioned;
DROP INDEX lift.exposures_experiment_idx;

CREATE TABLE lift.exposures (
    event_id    text NOT NULL,
    unit        text NOT NULL,
    experiment  text NOT NULL,
    variant     text NOT NULL,
    phase       integer NOT NULL DEFAULT 1,
    ts          timestamptz NOT NULL,
    attrs       jsonb,
    received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (ts);
CREATE TABLE lift.exposures_default PARTITION OF lift.exposures DEFAULT;
CREATE INDEX exposures_experiment_idx ON lift.exposures (experiment, phase, unit, ts)
    INCLUDE (variant);

-- The daily partition holding `at`, created when missing; its rows in the default partition
-- move into it (a partition cannot be attached over them).
CREATE FUNCTION lift.exposures_partition(at timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
DECLARE
    lo timestamptz := date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi timestamptz := (date_trunc('day', at AT TIME ZONE 'UTC') + interval '1 day')
                      AT TIME ZONE 'UTC';
    name text := 'exposures_' || to_char(at AT TIME ZONE 'UTC', 'YYYY_MM_DD');
BEGIN
    IF to_regclass('lift.' || name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE lift.%I (LIKE lift.exposures INCLUDING DEFAULTS)', name);
    EXECUTE format('WITH moved AS (DELETE FROM lift.exposures_default WHERE ts >= $1 AND ts < $2 '
                   'RETURNING *) INSERT INTO lift.%I SELECT * FROM moved', name) USING lo, hi;
    EXECUTE format('ALTER TABLE lift.%I ADD CHECK (ts >= %L AND ts < %L)', name, lo, hi);
    EXECUTE format('ALTER TABLE lift.exposures ATTACH PARTITION lift.%I FOR VALUES FROM (%L) TO (%L)',
                   name, lo, hi);
    RETURN true;
END $$;
REVOKE EXECUTE ON FUNCTION lift.exposures_partition(timestamptz) FROM PUBLIC;

-- Upkeep: this month's events partition and the next `ahead` months', and today's exposure
-- partition and the next 7 days'. Returns how many it created.
CREATE OR REPLACE FUNCTION lift.maintain(ahead integer DEFAULT 2) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
DECLARE
    made integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('lift.maintain'));
    FOR i IN 0 .. greatest(ahead, 0) LOOP
        IF lift.events_partition(now() + make_interval(months => i)) THEN
            made := made + 1;
        END IF;
    END LOOP;
    FOR i IN 0 .. 7 LOOP
        IF lift.exposures_partition(now() + make_interval(days => i)) THEN
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;

-- Whether the exposure log keeps rows, for the statement now starting: read once per
-- statement (BEFORE STATEMENT) and kept in a transaction-local setting the row trigger reads
-- for free. Whatever a session set there itself is overwritten here.
CREATE FUNCTION lift.exposures_mode() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
BEGIN
    PERFORM set_config('lift.exposure_log_now',
                       coalesce((SELECT exposure_log FROM lift.settings), true)::text, true);
    RETURN NULL;
END $$;

-- Registers each new exposure's id (log on); refuses (or, lift.on_duplicate = 'skip',
-- skips) a registered one and one older than the prune cutoff, as lift.events_register does.
CREATE FUNCTION lift.exposures_register() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
DECLARE
    skip boolean;
BEGIN
    IF current_setting('lift.exposure_log_now', true) = 'false' THEN
        RETURN NEW;
    END IF;
    skip := coalesce(current_setting('lift.on_duplicate', true), '') = 'skip';
    IF NEW.ts < (SELECT before FROM lift.pruned WHERE what = 'exposures') THEN
        IF skip THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'exposure % is older than the pruned history (duplicate key value '
                        'violates unique constraint "exposure_ids_pkey")', NEW.event_id
            USING ERRCODE = 'unique_violation';
    END IF;
    IF skip THEN
        INSERT INTO lift.exposure_ids (event_id, ts) VALUES (NEW.event_id, NEW.ts)
            ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    ELSE
        INSERT INTO lift.exposure_ids (event_id, ts) VALUES (NEW.event_id, NEW.ts);
    END IF;
    RETURN NEW;
END $$;

-- Every statement that stores exposures merges the rows it stored (as in 0009); with the
-- log off it then deletes them (by the partition key and the index's columns, so each row
-- is found in its own day's index).
CREATE OR REPLACE FUNCTION lift.exposures_merge() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
BEGIN
    PERFORM lift.assignments_merge(ARRAY(
        SELECT ROW(f.event_id, f.unit, f.experiment, f.variant, f.phase, f.ts, f.attrs)::lift.exposure_row
        FROM fresh f));
    IF current_setting('lift.exposure_log_now', true) = 'false' THEN
        DELETE FROM lift.exposures e USING fresh f
        WHERE e.experiment = f.experiment AND e.phase = f.phase AND e.unit = f.unit
          AND e.ts = f.ts AND e.event_id = f.event_id;
    END IF;
    RETURN NULL;
END $$;

-- Existing data: a partition for every day it covers, the ids (unique: the old primary
-- key), then the rows, before the triggers exist (lift.assignments holds them already: 0009).
SELECT lift.exposures_partition(d)
FROM (SELECT DISTINCT date_trunc('day', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS d
      FROM lift.exposures_unpartitioned) days
ORDER BY d;
SELECT lift.maintain();
INSERT INTO lift.exposure_ids (event_id, ts) SELECT event_id, ts FROM lift.exposures_unpartitioned;
INSERT INTO lift.exposures (event_id, unit, experiment, variant, phase, ts, attrs, received_at)
SELECT event_id, unit, experiment, variant, phase, ts, attrs, received_at
FROM lift.exposures_unpartitioned;
DROP TABLE lift.exposures_unpartitioned;

CREATE TRIGGER exposures_mode BEFORE INSERT ON lift.exposures
    FOR EACH STATEMENT EXECUTE FUNCTION lift.exposures_mode();
CREATE TRIGGER exposures_register BEFORE INSERT ON lift.exposures
    FOR EACH ROW EXECUTE FUNCTION lift.exposures_register();
CREATE TRIGGER exposures_merge AFTER INSERT ON lift.exposures
    REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION lift.exposures_merge();
CREATE TRIGGER exposures_append_only BEFORE UPDATE ON lift.exposures
    FOR EACH ROW EXECUTE FUNCTION lift.append_only('exposures');

GRANT INSERT ON lift.exposures TO lift_writer;
GRANT SELECT ON lift.exposures, lift.exposure_ids TO lift_analyst;

-- 3. -------------------------------------------------------------------------------------

-- The upper bound of a range partition (FOR VALUES FROM (...) TO (...)); NULL for a default.
-- pg_get_expr prints the bound in the session's DateStyle and TimeZone, which the cast back
-- reads the same way.
CREATE FUNCTION lift.partition_upper(part regclass) RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']*)''\)'))[1]::timestamptz
    FROM pg_class c WHERE c.oid = part
$$;

-- Retention. Drops (dry_run: lists) the partitions of lift.events and lift.exposures that
-- end at or before now() - older_than, deletes the default partitions' rows and the
-- registries' ids older than that, and records it in lift.pruned (never moving a recorded
-- cutoff back). One row per action: what (a table or a partition), action ('drop
-- partition', 'delete rows', 'delete ids', 'record cutoff'), the rows it concerned (nrows),
-- and the cutoff. The caller must own the tables (the migrations' role): liftd's and analysts'
-- roles are refused.
CREATE FUNCTION lift.prune(older_than interval, dry_run boolean DEFAULT false)
RETURNS TABLE (what text, action text, nrows bigint, cutoff timestamptz)
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    cut timestamptz := now() - older_than;
    parent text;
    part regclass;
    n bigint;
BEGIN
    IF older_than <= interval '0' THEN
        RAISE EXCEPTION 'prune: the age must be positive, not %', older_than
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class
                                      WHERE oid = 'lift.events'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'prune needs the owner of the lift tables; role % is not',
            current_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    cutoff := cut;
    -- Dropping a partition locks its parent: exposures first, then events, the order in
    -- which liftd's writer stores them, so that the two wait for each other, never deadlock.
    FOREACH parent IN ARRAY ARRAY['lift.exposures', 'lift.events'] LOOP
        FOR part IN
            SELECT c.oid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = parent::regclass AND NOT c.relpartbound IS NULL
              AND lift.partition_upper(c.oid) <= cut
            ORDER BY lift.partition_upper(c.oid)
        LOOP
            EXECUTE format('SELECT count(*) FROM %s', part) INTO n;
            what := part::text; action := 'drop partition'; nrows := n;
            RETURN NEXT;
            IF NOT dry_run THEN
                EXECUTE format('DROP TABLE %s', part);
            END IF;
        END LOOP;
        part := (parent || '_default')::regclass;
        IF dry_run THEN
            EXECUTE format('SELECT count(*) FROM %s WHERE ts < $1', part) INTO n USING cut;
        ELSE
            EXECUTE format('DELETE FROM %s WHERE ts < $1', part) USING cut;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        what := part::text; action := 'delete rows'; nrows := n;
        RETURN NEXT;
    END LOOP;
    IF dry_run THEN
        SELECT count(*) INTO n FROM lift.event_ids i WHERE i.ts < cut;
    ELSE
        DELETE FROM lift.event_ids i WHERE i.ts < cut;
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    what := 'lift.event_ids'; action := 'delete ids'; nrows := n;
    RETURN NEXT;
    IF dry_run THEN
        SELECT count(*) INTO n FROM lift.exposure_ids i WHERE i.ts < cut;
    ELSE
        DELETE FROM lift.exposure_ids i WHERE i.ts < cut;
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    what := 'lift.exposure_ids'; action := 'delete ids'; nrows := n;
    RETURN NEXT;
    IF NOT dry_run THEN
        INSERT INTO lift.pruned AS p (what, before) VALUES ('events', cut), ('exposures', cut)
            ON CONFLICT ON CONSTRAINT pruned_pkey
            DO UPDATE SET before = greatest(p.before, EXCLUDED.before);
    END IF;
    what := 'lift.pruned'; action := 'record cutoff'; nrows := NULL;
    RETURN NEXT;
END $$;
REVOKE EXECUTE ON FUNCTION lift.prune(interval, boolean) FROM PUBLIC;
