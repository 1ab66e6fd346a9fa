-- Shards (issue 17, stage 1): the model that says which PostgreSQL server holds a
-- shopper's facts, and what the config database publishes to the shards.
-- (docs/operations.md, Sharding.)
--
-- 1. lift.shard_bucket(unit): the unit's bucket in [0, 1024), equal to the C function
--    lift_shard_bucket (lift/shard.h): fnv(decimal(fnv('lift-shard:' || unit))) % 1024, fnv
--    being FNV-1a 32 over UTF-16 code units as in GrowthBook's bucketing.
-- 2. lift.shards and lift.shard_buckets: the servers, and which one owns each bucket (in
--    the config database, filled by `liftctl db shards setup`; replicated to every shard).
-- 3. The salt is refused as an experiment's seed: the variant would then be a function of
--    the bucket, and shards would no longer hold random samples of every variant.
-- 4. What the config database publishes (lift.shard_config_tables), the publication kept
--    to that list (lift.shard_publication_sync), and the preparation of a new shard
--    (lift.shard_prepare). Subscriptions are made by liftctl: CREATE SUBSCRIPTION cannot
--    run inside a function.
-- Every database of a sharded install runs every migration, the config database and each
-- shard alike; only what is filled in differs.

-- 1. ------------------------------------------------------------------------------------

-- FNV-1a 32 of a string's UTF-16 code units (JavaScript's charCodeAt), as lift_fnv_u16.
-- Products stay below 2^57, so bigint holds them. Needs a UTF8 database: elsewhere
-- ascii() would not return code points.
CREATE FUNCTION lift.fnv1a_utf16(s text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    h bigint := 2166136261;
    c text;
    cp integer;
BEGIN
    FOREACH c IN ARRAY string_to_array(s, NULL) LOOP
        cp := ascii(c);
        IF cp >= 128 AND current_setting('server_encoding') <> 'UTF8' THEN
            RAISE EXCEPTION 'lift.fnv1a_utf16 needs a UTF8 database, this one is %',
                current_setting('server_encoding');
        END IF;
        IF cp >= 65536 THEN -- a surrogate pair
            h := ((h # (55296 + ((cp - 65536) >> 10))) * 16777619) & 4294967295;
            h := ((h # (56320 + ((cp - 65536) & 1023))) * 16777619) & 4294967295;
        ELSE
            h := ((h # cp) * 16777619) & 4294967295;
        END IF;
    END LOOP;
    RETURN h;
END $$;

CREATE FUNCTION lift.shard_bucket(unit text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (lift.fnv1a_utf16(lift.fnv1a_utf16('lift-shard:' || unit)::text) % 1024)::integer
$$;

-- 2. ------------------------------------------------------------------------------------

-- url: how liftctl (and, in stage 2, liftd) reaches the shard, never with a password (that
-- comes from PGPASSFILE or PGPASSWORD).
CREATE TABLE lift.shards (
    name     text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,30}$'),
    url      text NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lift.shard_buckets (
    bucket integer PRIMARY KEY CHECK (bucket >= 0 AND bucket < 1024),
    shard  text NOT NULL REFERENCES lift.shards (name) ON UPDATE CASCADE
);
CREATE INDEX shard_buckets_shard_idx ON lift.shard_buckets (shard);

-- The shard that holds a unit's facts; NULL before the map is filled.
CREATE FUNCTION lift.unit_shard(unit text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT shard FROM lift.shard_buckets WHERE bucket = lift.shard_bucket(unit)
$$;

GRANT SELECT ON lift.shards, lift.shard_buckets TO lift_writer, lift_analyst;

-- 3. ------------------------------------------------------------------------------------

CREATE FUNCTION lift.experiments_seed_not_salt() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seed = 'lift-shard:' THEN
        RAISE EXCEPTION 'experiment "%": seed "lift-shard:" is reserved for shard buckets', NEW.key
            USING ERRCODE = 'check_violation',
                  HINT = 'variants hashed with it would follow the shards; pick another seed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER experiments_seed_not_salt BEFORE INSERT OR UPDATE OF seed ON lift.experiments
    FOR EACH ROW EXECUTE FUNCTION lift.experiments_seed_not_salt();

-- 4. ------------------------------------------------------------------------------------

-- What every shard receives from the config database: the config and the metric
-- definitions, the money settings and rates the analysis reads, and the bucket map.
-- Not client_keys (liftd authenticates against the config database) and no facts. A later
-- migration that adds a config table replaces this function; `liftctl db shards setup`
-- then adds the table to the publication and refreshes the subscriptions.
CREATE FUNCTION lift.shard_config_tables() RETURNS SETOF regclass
LANGUAGE sql STABLE AS $$
    SELECT unnest(ARRAY['lift.config_state', 'lift.settings', 'lift.metrics', 'lift.layers',
        'lift.audiences', 'lift.audience_conditions', 'lift.experiments', 'lift.variants',
        'lift.overrides', 'lift.experiment_phases', 'lift.fx_rates', 'lift.shards',
        'lift.shard_buckets']::regclass[])
$$;

-- Creates publication lift_config of exactly those tables, or sets its tables to them.
-- Returns 'created', 'updated' or 'unchanged'. Every table needs a primary key: without
-- one, PostgreSQL refuses UPDATE and DELETE on a published table.
CREATE FUNCTION lift.shard_publication_sync() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    want regclass[] := ARRAY(SELECT t FROM lift.shard_config_tables() t ORDER BY t);
    have regclass[];
    pub pg_publication;
    t regclass;
    list text := (SELECT string_agg(x::text, ', ') FROM unnest(want) x);
BEGIN
    FOREACH t IN ARRAY want LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = t AND indisprimary) THEN
            RAISE EXCEPTION 'table % has no primary key: it cannot be replicated to the shards', t;
        END IF;
    END LOOP;
    SELECT * INTO pub FROM pg_publication WHERE pubname = 'lift_config';
    IF NOT FOUND THEN
        EXECUTE format('CREATE PUBLICATION lift_config FOR TABLE %s', list);
        RETURN 'created';
    END IF;
    IF pub.puballtables THEN
        RAISE EXCEPTION 'publication lift_config publishes all tables; lift publishes its config only'
            USING HINT = 'DROP PUBLICATION lift_config, then run liftctl db shards setup again';
    END IF;
    have := ARRAY(SELECT r.prrelid::regclass FROM pg_publication_rel r
                  WHERE r.prpubid = pub.oid ORDER BY 1);
    IF have = want AND pub.pubinsert AND pub.pubupdate AND pub.pubdelete AND pub.pubtruncate THEN
        RETURN 'unchanged';
    END IF;
    EXECUTE format('ALTER PUBLICATION lift_config SET TABLE %s', list);
    ALTER PUBLICATION lift_config SET (publish = 'insert, update, delete, truncate');
    RETURN 'updated';
END $$;

-- On a new shard, before its subscription copies the config: empties the replicated tables
-- (a fresh database holds the default metric pack and settings rows, which the copy would
-- collide with). Refuses a database that publishes the config or already has experiments:
-- that is a config database or a lift database in use, not a new shard.
CREATE FUNCTION lift.shard_prepare() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'lift_config') THEN
        RAISE EXCEPTION 'database "%" publishes the config (publication lift_config): it is the config database, not a shard',
            current_database();
    END IF;
    IF EXISTS (SELECT 1 FROM lift.experiments) THEN
        RAISE EXCEPTION 'database "%" already has experiments: a new shard must be an empty lift database',
            current_database()
            USING HINT = 'a shard receives its config from the config database; give it a new database';
    END IF;
    EXECUTE format('TRUNCATE %s',
        (SELECT string_agg(t::text, ', ') FROM lift.shard_config_tables() t));
END $$;
