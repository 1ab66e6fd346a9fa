-- Config as code: `liftctl apply` declarative and idempotent, and role passwords set
-- without the password reaching the server (docs/sql-config.md, liftctl apply).
--
-- 1. A statement that changes no row changes nothing: the config version and NOTIFY now
--    follow the rows a statement really wrote (transition tables), and an UPDATE that
--    rewrites a config row with the values it already has is skipped (the row keeps its
--    xmin). Applying the same file twice therefore leaves the version, every row and
--    every running liftd alone.
-- 2. Declarative mode (set by liftctl apply: lift.apply = 'declare'): an INSERT of a
--    config row whose key exists updates that row instead (only what differs), and
--    lift.apply_finish() then removes the variants and overrides of each experiment the
--    file declares, and the conditions of each audience it declares, that the file no
--    longer lists. psql -f keeps the plain SQL meaning.
-- 3. lift.config_rows(): every config row as (kind, key, doc), what --plan compares.
-- 4. lift.set_role_password(role, verifier): lift_writer's or lift_analyst's password, from
--    a SCRAM verifier computed by the client (liftctl db roles).

-- 1. ------------------------------------------------------------------------------------

CREATE FUNCTION lift.config_rows_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        UPDATE lift.config_state SET version = version + 1, changed_at = now();
        PERFORM pg_notify('lift_config', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END $$;


-- An UPDATE that leaves a row as it was is skipped (the triggers are created below). They
-- are named to fire last of the BEFORE triggers (alphabetical order), after validation has
-- normalized the row; experiments compare without updated_at, which validation sets.
CREATE FUNCTION lift.experiments_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'updated_at') = (to_jsonb(OLD) - 'updated_at') THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;


-- 2. ------------------------------------------------------------------------------------

-- Whether this transaction applies a file declaratively (liftctl apply sets it, with
-- SET LOCAL, and creates pg_temp.lift_declared first).
CREATE FUNCTION lift.declaring() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('lift.apply', true), '') = 'declare'
$$;

-- Records that the file declares (kind, key), and where (lift.apply_file, lift.apply_line,
-- set by liftctl before each statement); for children, parent names the owner.
CREATE FUNCTION lift.declare(kind text, key text, parent text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.lift_declared (kind, key, parent, file, line)
    VALUES (kind, key, parent, current_setting('lift.apply_file', true),
            nullif(current_setting('lift.apply_line', true), '')::integer);
END $$;

-- In declarative mode, INSERT of an existing key becomes an UPDATE of what the file says.
-- Fires first of the BEFORE INSERT triggers (its name sorts first), so the row it passes
-- on is validated as usual, and the UPDATE it makes is validated by the UPDATE triggers.
CREATE FUNCTION lift.declare_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF NOT lift.declaring() THEN
        RETURN NEW;
    END IF;
    CASE TG_TABLE_NAME
    WHEN 'experiments' THEN
        PERFORM lift.declare('experiment', NEW.key, NULL);
        -- A file without a seed keeps the experiment's seed: re-applying it never starts a
        -- new phase by itself (a seed written in the file does).
        UPDATE lift.experiments e SET
            name = NEW.name, hypothesis = NEW.hypothesis, kind = NEW.kind, status = NEW.status,
            seed = coalesce(nullif(NEW.seed, ''), e.seed), hash_version = NEW.hash_version,
            coverage = NEW.coverage, layer = NEW.layer, layer_start = NEW.layer_start,
            layer_end = NEW.layer_end, audience = NEW.audience, start_at = NEW.start_at,
            end_at = NEW.end_at, primary_metric = NEW.primary_metric, metrics = NEW.metrics,
            target_mde = NEW.target_mde, target_power = NEW.target_power
        WHERE e.key = NEW.key;
    WHEN 'variants' THEN
        PERFORM lift.declare('variant', NEW.experiment || '/' || NEW.key, NEW.experiment);
        -- Without a position in the file, a variant keeps its place.
        UPDATE lift.variants v SET
            position = coalesce(NEW.position, v.position), name = NEW.name,
            weight = NEW.weight, payload = NEW.payload, is_control = NEW.is_control
        WHERE v.experiment = NEW.experiment AND v.key = NEW.key;
    WHEN 'overrides' THEN
        PERFORM lift.declare('override', NEW.experiment || '/' || NEW.unit, NEW.experiment);
        UPDATE lift.overrides o SET variant = NEW.variant, note = NEW.note
        WHERE o.experiment = NEW.experiment AND o.unit = NEW.unit;
    WHEN 'layers' THEN
        PERFORM lift.declare('layer', NEW.name, NULL);
        UPDATE lift.layers l SET description = NEW.description WHERE l.name = NEW.name;
    WHEN 'audiences' THEN
        PERFORM lift.declare('audience', NEW.key, NULL);
        UPDATE lift.audiences a SET description = NEW.description WHERE a.key = NEW.key;
    WHEN 'audience_conditions' THEN
        -- A condition is what it says: the same attribute, operator and value is the same
        -- condition, kept as it is.
        PERFORM lift.declare('condition', NEW.audience || '/' || NEW.attribute || ' ' ||
                             NEW.op || ' ' || NEW.value::text, NEW.audience);
        UPDATE lift.audience_conditions c SET audience = c.audience
        WHERE c.audience = NEW.audience AND c.attribute = NEW.attribute AND c.op = NEW.op
          AND c.value = NEW.value;
    WHEN 'metrics' THEN
        PERFORM lift.declare('metric', NEW.key, NULL);
        UPDATE lift.metrics m SET
            name = NEW.name, description = NEW.description, kind = NEW.kind,
            event_types = NEW.event_types, aggregation = NEW.aggregation,
            threshold = NEW.threshold, den_event_types = NEW.den_event_types,
            den_aggregation = NEW.den_aggregation, window_length = NEW.window_length,
            winsor_pct = NEW.winsor_pct, cuped_pre = NEW.cuped_pre, direction = NEW.direction,
            guardrail = NEW.guardrail
        WHERE m.key = NEW.key;
    END CASE;
    -- No row updated: either there is none (insert it) or it was left as it was (an
    -- UPDATE to the same values is skipped), which the lookup below tells apart.
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        RETURN NULL;
    END IF;
    CASE TG_TABLE_NAME
    WHEN 'experiments' THEN
        PERFORM 1 FROM lift.experiments WHERE key = NEW.key;
    WHEN 'variants' THEN
        PERFORM 1 FROM lift.variants WHERE experiment = NEW.experiment AND key = NEW.key;
    WHEN 'overrides' THEN
        PERFORM 1 FROM lift.overrides WHERE experiment = NEW.experiment AND unit = NEW.unit;
    WHEN 'layers' THEN
        PERFORM 1 FROM lift.layers WHERE name = NEW.name;
    WHEN 'audiences' THEN
        PERFORM 1 FROM lift.audiences WHERE key = NEW.key;
    WHEN 'audience_conditions' THEN
        PERFORM 1 FROM lift.audience_conditions
        WHERE audience = NEW.audience AND attribute = NEW.attribute AND op = NEW.op
          AND value = NEW.value;
    WHEN 'metrics' THEN
        PERFORM 1 FROM lift.metrics WHERE key = NEW.key;
    END CASE;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;


-- The end of a declarative file: what each declared experiment or audience no longer
-- lists goes. Top-level rows the file does not mention are left alone (other files own
-- them); delete those with a DELETE statement.
CREATE FUNCTION lift.apply_finish() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM lift.overrides o
    USING pg_temp.lift_declared d
    WHERE d.kind = 'experiment' AND o.experiment = d.key
      AND NOT EXISTS (SELECT 1 FROM pg_temp.lift_declared x
                      WHERE x.kind = 'override' AND x.key = o.experiment || '/' || o.unit);
    DELETE FROM lift.variants v
    USING pg_temp.lift_declared d
    WHERE d.kind = 'experiment' AND v.experiment = d.key
      AND NOT EXISTS (SELECT 1 FROM pg_temp.lift_declared x
                      WHERE x.kind = 'variant' AND x.key = v.experiment || '/' || v.key);
    DELETE FROM lift.audience_conditions c
    USING pg_temp.lift_declared d
    WHERE d.kind = 'audience' AND c.audience = d.key
      AND NOT EXISTS (SELECT 1 FROM pg_temp.lift_declared x
                      WHERE x.kind = 'condition'
                        AND x.key = c.audience || '/' || c.attribute || ' ' || c.op || ' ' ||
                                    c.value::text);
END $$;

-- The triggers of 1. and 2., on every config table.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['metrics', 'layers', 'audiences', 'audience_conditions',
                             'experiments', 'variants', 'overrides'] LOOP
        EXECUTE format('DROP TRIGGER %I ON lift.%I', t || '_changed', t);
        -- A trigger with a transition table takes one event; TRUNCATE has no rows to show.
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON lift.%I REFERENCING NEW TABLE AS changed '
                       'FOR EACH STATEMENT EXECUTE FUNCTION lift.config_rows_changed()',
                       t || '_inserted', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON lift.%I REFERENCING NEW TABLE AS changed '
                       'FOR EACH STATEMENT EXECUTE FUNCTION lift.config_rows_changed()',
                       t || '_updated', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON lift.%I REFERENCING OLD TABLE AS changed '
                       'FOR EACH STATEMENT EXECUTE FUNCTION lift.config_rows_changed()',
                       t || '_deleted', t);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON lift.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed()',
                       t || '_truncated', t);
        EXECUTE format('CREATE TRIGGER zz_unchanged BEFORE UPDATE ON lift.%I '
                       'FOR EACH ROW EXECUTE FUNCTION %s', t,
                       CASE t WHEN 'experiments' THEN 'lift.experiments_unchanged()'
                              ELSE 'suppress_redundant_updates_trigger()' END);
        EXECUTE format('CREATE TRIGGER a_declare BEFORE INSERT ON lift.%I '
                       'FOR EACH ROW EXECUTE FUNCTION lift.declare_row()', t);
    END LOOP;
END $$;

-- 3. ------------------------------------------------------------------------------------

-- Every config row, keyed as liftctl apply --plan names it. An audience's conditions are
-- part of the audience (their order is not: all must hold).
CREATE FUNCTION lift.config_rows() RETURNS TABLE (kind text, key text, doc jsonb)
LANGUAGE sql STABLE AS $$
    SELECT 'layer', l.name, to_jsonb(l) - 'name' FROM lift.layers l
    UNION ALL
    SELECT 'audience', a.key, jsonb_build_object('description', a.description, 'conditions',
               (SELECT coalesce(jsonb_agg(c.attribute || ' ' || c.op || ' ' || c.value::text
                                          ORDER BY c.attribute, c.op, c.value::text), '[]')
                FROM lift.audience_conditions c WHERE c.audience = a.key))
    FROM lift.audiences a
    UNION ALL
    SELECT 'metric', m.key, to_jsonb(m) - 'key' - 'created_at' FROM lift.metrics m
    UNION ALL
    SELECT 'experiment', e.key, to_jsonb(e) - 'key' - 'created_at' - 'updated_at'
    FROM lift.experiments e
    UNION ALL
    SELECT 'variant', v.experiment || '/' || v.key, to_jsonb(v) - 'experiment' - 'key'
    FROM lift.variants v
    UNION ALL
    SELECT 'override', o.experiment || '/' || o.unit, to_jsonb(o) - 'experiment' - 'unit'
    FROM lift.overrides o
$$;

-- 4. ------------------------------------------------------------------------------------

-- Sets a lift role's password from a SCRAM-SHA-256 verifier (libpq's
-- PQencryptPasswordConn): the password itself never reaches the server, its logs or
-- pg_stat_activity. Runs with the caller's rights (CREATEROLE or superuser).
CREATE FUNCTION lift.set_role_password(role text, verifier text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF role NOT IN ('lift_writer', 'lift_analyst') THEN
        RAISE EXCEPTION 'role "%" is not a lift role (lift_writer, lift_analyst)', role
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'role "%": expected a SCRAM-SHA-256 verifier, not a password', role
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', role, verifier);
END $$;
REVOKE ALL ON FUNCTION lift.set_role_password(text, text) FROM PUBLIC;
