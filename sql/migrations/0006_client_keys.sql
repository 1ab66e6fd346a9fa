-- Publishable client keys, for browsers and the GrowthBook SDKs (docs/api.md, "Client keys,
-- CORS and request limits").
--
-- A client key may read the SDK payload, assign, post exposures and post the event types it
-- lists (page views and add-to-cart by default; never orders or refunds unless listed). Its
-- allowed origins get CORS headers; its requests are limited per key (a token bucket of
-- rate_per_sec tokens a second, holding at most burst). Only the SHA-256 digest of the key is
-- stored: `liftctl keys create --client` prints the key once. liftd loads the live keys with
-- the config (lift.config_document), so creating or revoking one reaches it within a second.

CREATE TABLE lift.client_keys (
    id           text PRIMARY KEY,        -- the key's public prefix, shown in listings
    digest       text NOT NULL UNIQUE,    -- 'sha256:' || hex of the whole key
    origins      text[] NOT NULL DEFAULT '{}',
    event_types  text[] NOT NULL DEFAULT '{page_view,add_to_cart}',
    rate_per_sec float8 DEFAULT 1000,     -- NULL: no limit
    burst        integer NOT NULL DEFAULT 2000,
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE FUNCTION lift.client_keys_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    o text;
    t text;
    clean text[] := '{}';
BEGIN
    IF NEW.id IS NULL OR NEW.id !~ '^pk_[a-z0-9]{8}$' THEN
        RAISE EXCEPTION 'client key id "%" is not valid: expected pk_ and 8 lower-case letters or digits',
            NEW.id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.digest IS NULL OR NEW.digest !~ '^sha256:[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'client key "%": digest must be sha256: and 64 lower-case hex digits', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF array_position(NEW.origins, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'client key "%": an origin is NULL', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    -- An origin is what browsers send in the Origin header: scheme://host[:port], no path.
    FOREACH o IN ARRAY NEW.origins LOOP
        IF o !~* '^https?://([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$' THEN
            RAISE EXCEPTION 'client key "%": origin "%" is not scheme://host[:port] (http or https, no path)',
                NEW.id, o USING ERRCODE = 'check_violation';
        END IF;
        clean := array_append(clean, lower(o));
    END LOOP;
    NEW.origins := clean;
    IF array_position(NEW.event_types, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'client key "%": an event type is NULL', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    FOREACH t IN ARRAY NEW.event_types LOOP
        IF octet_length(t) NOT BETWEEN 1 AND 64 OR t ~ '[\x01-\x1f\x7f]' THEN
            RAISE EXCEPTION 'client key "%": event type "%" must be 1 to 64 bytes without control characters',
                NEW.id, t USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    IF NEW.rate_per_sec IS NOT NULL AND NOT (NEW.rate_per_sec > 0 AND NEW.rate_per_sec <= 1e6) THEN
        RAISE EXCEPTION 'client key "%": rate_per_sec % is not in (0, 1000000] (NULL: no limit)',
            NEW.id, NEW.rate_per_sec USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.burst IS NULL OR NEW.burst NOT BETWEEN 1 AND 10000000 THEN
        RAISE EXCEPTION 'client key "%": burst % is not in [1, 10000000]', NEW.id, NEW.burst
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.digest <> OLD.digest OR NEW.id <> OLD.id) THEN
        RAISE EXCEPTION 'client key "%": id and digest cannot change; create a new key', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER client_keys_validate BEFORE INSERT OR UPDATE ON lift.client_keys
    FOR EACH ROW EXECUTE FUNCTION lift.client_keys_validate();
CREATE TRIGGER client_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON lift.client_keys FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();

-- liftd reads the live keys through lift.config_document(); analysts see none of them.
GRANT SELECT ON lift.client_keys TO lift_writer;
REVOKE ALL ON lift.client_keys FROM lift_analyst;

-- The config document, now with the time of the last change ("updated": the GrowthBook
-- payload's dateUpdated, the same on every liftd replica) and the live client keys: the
-- experiments part stays the function of 0001, under another name.
ALTER FUNCTION lift.config_document() RENAME TO config_experiments_document;

CREATE FUNCTION lift.config_document() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT lift.config_experiments_document() || jsonb_build_object(
        'updated', (SELECT to_char(changed_at AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM lift.config_state),
        'client_keys', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', k.id, 'digest', k.digest, 'origins', to_jsonb(k.origins),
                'event_types', to_jsonb(k.event_types), 'rate', k.rate_per_sec,
                'burst', k.burst) ORDER BY k.id), '[]'::jsonb)
            FROM lift.client_keys k WHERE k.revoked_at IS NULL))
$$;
