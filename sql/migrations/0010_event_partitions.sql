-- Time partitions for lift.events, the `ingested` column, and idempotency across partitions.
--
-- lift.events becomes a table partitioned by RANGE (ts), one partition per calendar month
-- (UTC), named lift.events_YYYY_MM, plus lift.events_default for whatever no monthly
-- partition covers (a client clock far in the future or the past), so no event is ever
-- refused for its time. Monthly, not daily: a report's (unit, ts) index lookups visit every
-- partition its windows overlap, and a 90-day metric window over daily partitions would
-- probe ~90 indexes per shopper; months keep the count of partitions a report touches at
-- 3-4 and a year of data at 12 tables, and retention by the month is fine for
-- conversion data. lift.maintain() creates partitions ahead of time (the current month and
-- the next `ahead` months); `liftctl db migrate` calls it, and so does liftd's upkeep.
--
-- Idempotency. PostgreSQL cannot enforce a unique event_id across partitions of a table
-- partitioned by ts, so ids are registered in lift.event_ids (event_id PRIMARY KEY, ts):
-- a row trigger on lift.events registers each new row's id before it is stored. A second
-- row with a registered id is refused with a unique violation (as the old primary key
-- did), or, in the writer's staging path (lift.on_duplicate = 'skip'), silently skipped
-- and counted as a duplicate, whatever partition either copy would land in.
--
-- Dedup horizon: an id is registered as long as its event is stored; `liftctl prune`
-- drops the ids together with the partitions (by the event's ts) and records the cutoff
-- in lift.pruned; an event older than that cutoff is then treated as a duplicate (it was
-- either stored and pruned, or arrives after its month was given up), so a re-sent batch
-- never stores anything twice, before or after a prune.
--
-- `ingested` is the transaction that stored the row (see the rollup contract: rows
-- committed since a snapshot S are ingested >= pg_snapshot_xmin(S) AND NOT
-- pg_visible_in_snapshot(ingested, S)); a btree index per partition keeps that lookup cheap
-- (PostgreSQL 15 has no BRIN operator class for xid8; the values grow with time, so the
-- btree is appended at its right edge, like the (unit, ts) one is not).

CREATE TABLE lift.event_ids (
    event_id text PRIMARY KEY,
    ts       timestamptz NOT NULL
);
CREATE INDEX event_ids_ts_idx ON lift.event_ids USING brin (ts);

CREATE TABLE lift.pruned (
    what   text PRIMARY KEY,
    before timestamptz NOT NULL
);

ALTER TABLE lift.events RENAME TO events_unpartitioned;
-- Its indexes go (their names are the new table's); the primary key stays until the drop.
DO $$
DECLARE
    i regclass;
BEGIN
    FOR i IN SELECT indexrelid::regclass FROM pg_index
             WHERE indrelid = 'lift.events_unpartitioned'::regclass AND NOT indisprimary LOOP
        EXECUTE format('DROP INDEX %s', i);
    END LOOP;
END $$;

CREATE TABLE lift.events (
    event_id    text NOT NULL,
    unit        text NOT NULL,
    type        text NOT NULL,
    value       float8,
    currency    char(3),
    ts          timestamptz NOT NULL,
    props       jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    ingested    xid8 NOT NULL DEFAULT pg_current_xact_id()
) PARTITION BY RANGE (ts);
CREATE TABLE lift.events_default PARTITION OF lift.events DEFAULT;
CREATE INDEX events_unit_ts_idx ON lift.events (unit, ts) INCLUDE (type, value, currency);
CREATE INDEX events_ingested_idx ON lift.events (ingested);

-- The monthly partition holding `at`, created when missing. Rows of that month already in
-- the default partition move into it (a partition cannot be attached over them).
CREATE FUNCTION lift.events_partition(at timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
DECLARE
    lo timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi timestamptz := (date_trunc('month', at AT TIME ZONE 'UTC') + interval '1 month')
                      AT TIME ZONE 'UTC';
    name text := 'events_' || to_char(at AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF to_regclass('lift.' || name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE lift.%I (LIKE lift.events INCLUDING DEFAULTS)', name);
    EXECUTE format('WITH moved AS (DELETE FROM lift.events_default WHERE ts >= $1 AND ts < $2 '
                   'RETURNING *) INSERT INTO lift.%I SELECT * FROM moved', name) USING lo, hi;
    EXECUTE format('ALTER TABLE lift.%I ADD CHECK (ts >= %L AND ts < %L)', name, lo, hi);
    EXECUTE format('ALTER TABLE lift.events ATTACH PARTITION lift.%I FOR VALUES FROM (%L) TO (%L)',
                   name, lo, hi);
    RETURN true;
END $$;

-- Upkeep: the partitions of the current month and the next `ahead` months exist. Returns
-- how many it created. Safe to call at any time, concurrently (an advisory lock).
CREATE FUNCTION lift.maintain(ahead integer DEFAULT 2) RETURNS integer
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
    RETURN made;
END $$;
REVOKE EXECUTE ON FUNCTION lift.maintain(integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lift.events_partition(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lift.maintain(integer) TO lift_writer;

-- Registers each new event's id; refuses (or, lift.on_duplicate = 'skip', skips) a
-- registered one and one older than the prune cutoff.
CREATE FUNCTION lift.events_register() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
DECLARE
    skip boolean := coalesce(current_setting('lift.on_duplicate', true), '') = 'skip';
BEGIN
    IF NEW.ts < (SELECT before FROM lift.pruned WHERE what = 'events') THEN
        IF skip THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'event % is older than the pruned history (duplicate key value violates '
                        'unique constraint "event_ids_pkey")', NEW.event_id
            USING ERRCODE = 'unique_violation';
    END IF;
    IF skip THEN
        INSERT INTO lift.event_ids (event_id, ts) VALUES (NEW.event_id, NEW.ts)
            ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    ELSE
        INSERT INTO lift.event_ids (event_id, ts) VALUES (NEW.event_id, NEW.ts);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_register BEFORE INSERT ON lift.events
    FOR EACH ROW EXECUTE FUNCTION lift.events_register();
-- A partition's trigger names the table the user wrote to (its first argument, if any).
CREATE OR REPLACE FUNCTION lift.append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lift.% is append-only: rows cannot be updated',
        coalesce(TG_ARGV[0], TG_TABLE_NAME) USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE ON lift.events
    FOR EACH ROW EXECUTE FUNCTION lift.append_only('events');

-- Existing data: a partition for every month it covers, then the rows and their ids.
SELECT lift.events_partition(m)
FROM (SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m
      FROM lift.events_unpartitioned) months
ORDER BY m;
SELECT lift.maintain();
-- The rows go through the trigger, which registers their ids (unique: the old primary key).
-- A database that already had `ingested` (added by the rollups' migration 0011 when it ran
-- first) keeps each row's value.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'lift.events_unpartitioned'::regclass
               AND attname = 'ingested' AND NOT attisdropped) THEN
        INSERT INTO lift.events (event_id, unit, type, value, currency, ts, props, received_at,
                                 ingested)
        SELECT event_id, unit, type, value, currency, ts, props, received_at, ingested
        FROM lift.events_unpartitioned;
    ELSE
        INSERT INTO lift.events (event_id, unit, type, value, currency, ts, props, received_at)
        SELECT event_id, unit, type, value, currency, ts, props, received_at
        FROM lift.events_unpartitioned;
    END IF;
END $$;
DROP TABLE lift.events_unpartitioned;

GRANT INSERT ON lift.events TO lift_writer;
GRANT SELECT ON lift.events, lift.event_ids, lift.pruned TO lift_analyst;
