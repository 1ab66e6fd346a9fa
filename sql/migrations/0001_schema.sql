-- Schema v1: experiment configuration, metric definitions, exposures and events.
--
-- Product teams write config as rows (see sql/examples/). The database refuses bad config
-- itself, with a message that names the row, and announces every committed change with
-- NOTIFY lift_config so that liftd reloads within a second.

CREATE SCHEMA IF NOT EXISTS lift;

-- One row: the config version, bumped by every statement that changes config.
CREATE TABLE lift.config_state (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    version    bigint NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO lift.config_state DEFAULT VALUES;

-- Metric definitions: data, not code. One INSERT adds a metric.
--   proportion: x = 1 when the aggregate of event_types in the window reaches threshold
--   mean:       x = the aggregate itself (sum of values, or count of events)
--   ratio:      x / d per shopper, d the aggregate of den_event_types; only shoppers
--               with d > 0 count (AOV: revenue over orders, among shoppers who ordered)
CREATE TABLE lift.metrics (
    key             text PRIMARY KEY,
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    kind            text NOT NULL,
    event_types     text[] NOT NULL,
    aggregation     text NOT NULL DEFAULT 'sum',
    threshold       float8,
    den_event_types text[],
    den_aggregation text,
    window_length   interval NOT NULL DEFAULT '14 days',
    winsor_pct      float8,   -- cap x at this percentile of the pooled per-shopper values
    cuped_pre       interval, -- pre-period length for CUPED; NULL: no adjustment
    direction       text NOT NULL DEFAULT 'higher',
    guardrail       boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lift.layers (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);

-- An audience is a list of conditions on request attributes; all must hold.
CREATE TABLE lift.audiences (
    key         text PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);

CREATE TABLE lift.audience_conditions (
    id        bigserial PRIMARY KEY,
    audience  text NOT NULL REFERENCES lift.audiences (key) ON DELETE CASCADE ON UPDATE CASCADE,
    attribute text NOT NULL,
    op        text NOT NULL, -- eq ne in nin lt lte gt gte exists
    value     jsonb NOT NULL
);

-- kind 'holdout': shoppers in the control variant (the holdout) get no other experiment,
-- so the whole personalization programme can be measured against them.
CREATE TABLE lift.experiments (
    key              text PRIMARY KEY,
    name             text NOT NULL,
    hypothesis       text NOT NULL DEFAULT '',
    kind             text NOT NULL DEFAULT 'standard',
    status           text NOT NULL DEFAULT 'draft',
    seed             text,
    hash_version     smallint NOT NULL DEFAULT 2,
    coverage         float8 NOT NULL DEFAULT 1,
    layer            text REFERENCES lift.layers (name) ON UPDATE CASCADE,
    layer_start      float8,
    layer_end        float8,
    audience         text REFERENCES lift.audiences (key) ON UPDATE CASCADE,
    start_at         timestamptz,
    end_at           timestamptz,
    primary_metric   text NOT NULL DEFAULT 'conversion',
    metrics          text[], -- reported besides the primary; NULL: every defined metric
    target_mde       float8 NOT NULL DEFAULT 0.05, -- planned relative MDE, primary metric
    target_power     float8 NOT NULL DEFAULT 0.8,
    phase            integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lift.variants (
    experiment text NOT NULL REFERENCES lift.experiments (key) ON DELETE CASCADE ON UPDATE CASCADE,
    key        text NOT NULL,
    position   smallint,          -- bucketing order; defaults to the next free position
    name       text NOT NULL DEFAULT '',
    weight     float8 NOT NULL,
    payload    jsonb NOT NULL DEFAULT '{}',
    is_control boolean,           -- defaults to position = 0
    PRIMARY KEY (experiment, key),
    UNIQUE (experiment, position)
);

-- QA overrides: a listed unit always gets this variant.
CREATE TABLE lift.overrides (
    experiment text NOT NULL,
    unit       text NOT NULL,
    variant    text NOT NULL,
    note       text NOT NULL DEFAULT '',
    PRIMARY KEY (experiment, unit),
    FOREIGN KEY (experiment, variant) REFERENCES lift.variants (experiment, key)
        ON DELETE CASCADE ON UPDATE CASCADE
);

-- Phases: a new seed re-randomizes and starts a new phase. The fingerprint of the
-- bucketing (hash version, variant order and weights) is fixed for a phase's life.
CREATE TABLE lift.experiment_phases (
    experiment  text NOT NULL REFERENCES lift.experiments (key) ON DELETE CASCADE ON UPDATE CASCADE,
    phase       integer NOT NULL,
    seed        text NOT NULL,
    fingerprint text NOT NULL,
    started_at  timestamptz NOT NULL,
    PRIMARY KEY (experiment, phase)
);

-- Facts. Append-only; event_id is the client's idempotency key.
CREATE TABLE lift.exposures (
    event_id    text PRIMARY KEY,
    unit        text NOT NULL,
    experiment  text NOT NULL,
    variant     text NOT NULL,
    phase       integer NOT NULL DEFAULT 1,
    ts          timestamptz NOT NULL,
    attrs       jsonb,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exposures_experiment_idx ON lift.exposures (experiment, phase, unit);

CREATE TABLE lift.events (
    event_id    text PRIMARY KEY,
    unit        text NOT NULL,
    type        text NOT NULL,
    value       float8,
    currency    char(3),
    ts          timestamptz NOT NULL,
    props       jsonb,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_unit_ts_idx ON lift.events (unit, ts);

-- ---------------------------------------------------------------------------------------
-- Validation. Immediate checks run per row (BEFORE triggers); whole-experiment checks run
-- at commit (deferred constraint triggers), because an experiment and its variants are
-- written by several statements.

CREATE FUNCTION lift.check_key(what text, key text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF key IS NULL OR key !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' THEN
        RAISE EXCEPTION '% key "%" is not valid: use 1 to 64 letters, digits, "_", "." or "-"',
            what, key USING ERRCODE = 'check_violation';
    END IF;
END $$;

CREATE FUNCTION lift.metrics_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.key IS NULL OR NEW.key !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'metric key "%" is not valid: lower-case letters, digits and "_"', NEW.key
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind IS NULL OR NEW.kind NOT IN ('proportion', 'mean', 'ratio') THEN
        RAISE EXCEPTION 'metric "%": kind "%" is not proportion, mean or ratio', NEW.key, NEW.kind
            USING ERRCODE = 'check_violation';
    END IF;
    IF cardinality(NEW.event_types) IS DISTINCT FROM array_length(NEW.event_types, 1)
       OR coalesce(cardinality(NEW.event_types), 0) = 0 THEN
        RAISE EXCEPTION 'metric "%": event_types must list at least one event type', NEW.key
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.aggregation NOT IN ('sum', 'count') THEN
        RAISE EXCEPTION 'metric "%": aggregation "%" is not sum or count', NEW.key, NEW.aggregation
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind = 'proportion' THEN
        NEW.threshold := coalesce(NEW.threshold, 1);
        IF NEW.threshold <= 0 THEN
            RAISE EXCEPTION 'metric "%": threshold % must be positive', NEW.key, NEW.threshold
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.threshold IS NOT NULL THEN
        RAISE EXCEPTION 'metric "%": only proportion metrics take a threshold', NEW.key
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind = 'ratio' THEN
        IF coalesce(cardinality(NEW.den_event_types), 0) = 0 THEN
            RAISE EXCEPTION 'metric "%": a ratio metric needs den_event_types', NEW.key
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.den_aggregation := coalesce(NEW.den_aggregation, 'count');
        IF NEW.den_aggregation NOT IN ('sum', 'count') THEN
            RAISE EXCEPTION 'metric "%": den_aggregation "%" is not sum or count', NEW.key,
                NEW.den_aggregation USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.den_event_types IS NOT NULL OR NEW.den_aggregation IS NOT NULL THEN
        RAISE EXCEPTION 'metric "%": only ratio metrics take a denominator', NEW.key
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.window_length <= interval '0' THEN
        RAISE EXCEPTION 'metric "%": window_length % must be positive', NEW.key, NEW.window_length
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.winsor_pct IS NOT NULL AND NOT (NEW.winsor_pct > 0 AND NEW.winsor_pct < 1) THEN
        RAISE EXCEPTION 'metric "%": winsor_pct % is outside (0, 1)', NEW.key, NEW.winsor_pct
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.cuped_pre IS NOT NULL AND (NEW.kind <> 'mean' OR NEW.cuped_pre <= interval '0') THEN
        RAISE EXCEPTION 'metric "%": cuped_pre needs a mean metric and a positive length', NEW.key
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.direction NOT IN ('higher', 'lower') THEN
        RAISE EXCEPTION 'metric "%": direction "%" is not higher or lower', NEW.key, NEW.direction
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER metrics_validate BEFORE INSERT OR UPDATE ON lift.metrics
    FOR EACH ROW EXECUTE FUNCTION lift.metrics_validate();

CREATE FUNCTION lift.layers_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lift.check_key('layer', NEW.name);
    RETURN NEW;
END $$;
CREATE TRIGGER layers_validate BEFORE INSERT OR UPDATE ON lift.layers
    FOR EACH ROW EXECUTE FUNCTION lift.layers_validate();

CREATE FUNCTION lift.audiences_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lift.check_key('audience', NEW.key);
    RETURN NEW;
END $$;
CREATE TRIGGER audiences_validate BEFORE INSERT OR UPDATE ON lift.audiences
    FOR EACH ROW EXECUTE FUNCTION lift.audiences_validate();

CREATE FUNCTION lift.audience_conditions_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t text := jsonb_typeof(NEW.value);
    ok boolean;
BEGIN
    IF NEW.attribute IS NULL OR NEW.attribute !~ '^[A-Za-z0-9_.-]{1,64}$' THEN
        RAISE EXCEPTION 'audience "%": attribute name "%" is not valid', NEW.audience, NEW.attribute
            USING ERRCODE = 'check_violation';
    END IF;
    ok := CASE
        WHEN NEW.op IN ('eq', 'ne') THEN t IN ('string', 'number', 'boolean')
        WHEN NEW.op IN ('in', 'nin') THEN t = 'array' AND jsonb_array_length(NEW.value) > 0
            AND NOT jsonb_path_exists(NEW.value,
                '$[*] ? (@.type() != "string" && @.type() != "number")')
        WHEN NEW.op IN ('lt', 'lte', 'gt', 'gte') THEN t = 'number'
        WHEN NEW.op = 'exists' THEN t = 'boolean'
        ELSE NULL END;
    IF ok IS NULL THEN
        RAISE EXCEPTION 'audience "%": operator "%" on "%" is not one of eq, ne, in, nin, lt, lte, gt, gte, exists',
            NEW.audience, NEW.op, NEW.attribute USING ERRCODE = 'check_violation';
    ELSIF NOT ok THEN
        RAISE EXCEPTION 'audience "%": condition % % % needs %', NEW.audience, NEW.attribute,
            NEW.op, NEW.value,
            CASE WHEN NEW.op IN ('in', 'nin') THEN 'a non-empty array of strings or numbers'
                 WHEN NEW.op = 'exists' THEN 'true or false'
                 WHEN NEW.op IN ('eq', 'ne') THEN 'a string, number or boolean'
                 ELSE 'a number' END
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audience_conditions_validate BEFORE INSERT OR UPDATE ON lift.audience_conditions
    FOR EACH ROW EXECUTE FUNCTION lift.audience_conditions_validate();

CREATE FUNCTION lift.experiments_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    m text;
BEGIN
    PERFORM lift.check_key('experiment', NEW.key);
    IF NEW.kind NOT IN ('standard', 'holdout') THEN
        RAISE EXCEPTION 'experiment "%": kind "%" is not standard or holdout', NEW.key, NEW.kind
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status NOT IN ('draft', 'running', 'stopped') THEN
        RAISE EXCEPTION 'experiment "%": status "%" is not draft, running or stopped', NEW.key,
            NEW.status USING ERRCODE = 'check_violation';
    END IF;
    NEW.seed := coalesce(nullif(NEW.seed, ''), NEW.key);
    IF NEW.hash_version NOT IN (1, 2) THEN
        RAISE EXCEPTION 'experiment "%": hash_version % is not 1 or 2', NEW.key, NEW.hash_version
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT (NEW.coverage >= 0 AND NEW.coverage <= 1) THEN
        RAISE EXCEPTION 'experiment "%": coverage % is outside [0, 1]', NEW.key, NEW.coverage
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.layer IS NULL THEN
        IF NEW.layer_start IS NOT NULL OR NEW.layer_end IS NOT NULL THEN
            RAISE EXCEPTION 'experiment "%": a layer range needs a layer', NEW.key
                USING ERRCODE = 'check_violation';
        END IF;
    ELSE
        NEW.layer_start := coalesce(NEW.layer_start, 0);
        NEW.layer_end := coalesce(NEW.layer_end, 1);
        IF NOT (NEW.layer_start >= 0 AND NEW.layer_start < NEW.layer_end AND NEW.layer_end <= 1) THEN
            RAISE EXCEPTION 'experiment "%": layer range [%, %) is not within [0, 1] with start < end',
                NEW.key, NEW.layer_start, NEW.layer_end USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    FOREACH m IN ARRAY array_prepend(NEW.primary_metric, coalesce(NEW.metrics, '{}')) LOOP
        IF m IS NULL OR NOT EXISTS (SELECT 1 FROM lift.metrics WHERE key = m) THEN
            RAISE EXCEPTION 'experiment "%": unknown metric "%"', NEW.key, m
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'define it in lift.metrics first';
        END IF;
    END LOOP;
    IF NEW.end_at <= NEW.start_at THEN
        RAISE EXCEPTION 'experiment "%": end_at % is not after start_at %', NEW.key, NEW.end_at,
            NEW.start_at USING ERRCODE = 'check_violation';
    END IF;
    IF NOT (NEW.target_mde > 0) OR NOT (NEW.target_power > 0 AND NEW.target_power < 1) THEN
        RAISE EXCEPTION 'experiment "%": target_mde must be positive and target_power in (0, 1)',
            NEW.key USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.phase := 1;
    ELSE
        -- A new seed is a new phase: shoppers are re-randomized.
        NEW.phase := OLD.phase + CASE WHEN NEW.seed IS DISTINCT FROM OLD.seed THEN 1 ELSE 0 END;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER experiments_validate BEFORE INSERT OR UPDATE ON lift.experiments
    FOR EACH ROW EXECUTE FUNCTION lift.experiments_validate();

CREATE FUNCTION lift.variants_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lift.check_key('variant', NEW.key);
    IF NOT (NEW.weight >= 0 AND NEW.weight <= 1) THEN
        RAISE EXCEPTION 'experiment "%", variant "%": weight % is outside [0, 1]', NEW.experiment,
            NEW.key, NEW.weight USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.position IS NULL THEN
        SELECT coalesce(max(position) + 1, 0) INTO NEW.position
        FROM lift.variants WHERE experiment = NEW.experiment;
    ELSIF NEW.position < 0 THEN
        RAISE EXCEPTION 'experiment "%", variant "%": position % is negative', NEW.experiment,
            NEW.key, NEW.position USING ERRCODE = 'check_violation';
    END IF;
    NEW.is_control := coalesce(NEW.is_control, NEW.position = 0);
    RETURN NEW;
END $$;
CREATE TRIGGER variants_validate BEFORE INSERT OR UPDATE ON lift.variants
    FOR EACH ROW EXECUTE FUNCTION lift.variants_validate();

CREATE FUNCTION lift.overrides_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.unit IS NULL OR length(NEW.unit) = 0 OR octet_length(NEW.unit) > 128 THEN
        RAISE EXCEPTION 'override in experiment "%": unit must be 1 to 128 bytes', NEW.experiment
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM lift.variants WHERE experiment = NEW.experiment AND key = NEW.variant) THEN
        RAISE EXCEPTION 'override of unit "%" in experiment "%": unknown variant "%"', NEW.unit,
            NEW.experiment, NEW.variant USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER overrides_validate BEFORE INSERT OR UPDATE ON lift.overrides
    FOR EACH ROW EXECUTE FUNCTION lift.overrides_validate();

-- What fixes the bucketing of a phase: hash version, then variants in position order.
CREATE FUNCTION lift.bucketing_fingerprint(exp text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT e.hash_version || ':' || coalesce(string_agg(v.key || '=' || v.weight::text, ','
                                             ORDER BY v.position), '')
    FROM lift.experiments e LEFT JOIN lift.variants v ON v.experiment = e.key
    WHERE e.key = exp GROUP BY e.hash_version
$$;

-- Whole-experiment rules, checked at commit for a running experiment.
CREATE FUNCTION lift.check_experiment(exp text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    e lift.experiments;
    n integer;
    controls integer;
    total float8;
    other record;
    fp text;
    ph lift.experiment_phases;
BEGIN
    SELECT * INTO e FROM lift.experiments WHERE key = exp;
    IF NOT FOUND OR e.status <> 'running' THEN
        RETURN;
    END IF;
    SELECT count(*), count(*) FILTER (WHERE is_control), sum(weight)
      INTO n, controls, total FROM lift.variants WHERE experiment = exp;
    IF n < 2 THEN
        RAISE EXCEPTION 'experiment "%": a running experiment needs at least 2 variants, it has %',
            exp, n USING ERRCODE = 'check_violation';
    END IF;
    IF abs(total - 1) > 1e-6 THEN
        RAISE EXCEPTION 'experiment "%": variant weights sum to %, not 1', exp, total
            USING ERRCODE = 'check_violation';
    END IF;
    IF controls <> 1 THEN
        RAISE EXCEPTION 'experiment "%": a running experiment needs exactly one control variant, it has %',
            exp, controls USING ERRCODE = 'check_violation';
    END IF;
    IF e.layer IS NOT NULL THEN
        -- Serialize overlap checks per layer, so two commits cannot both pass.
        PERFORM pg_advisory_xact_lock(hashtext('lift.layer:' || e.layer));
        SELECT key, layer_start, layer_end INTO other FROM lift.experiments
         WHERE layer = e.layer AND key <> exp AND status = 'running'
           AND layer_start < e.layer_end AND e.layer_start < layer_end
         ORDER BY key LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'experiment "%": range [%, %) of layer "%" overlaps running experiment "%" [%, %)',
                exp, e.layer_start, e.layer_end, e.layer, other.key, other.layer_start,
                other.layer_end USING ERRCODE = 'exclusion_violation';
        END IF;
    END IF;
    fp := lift.bucketing_fingerprint(exp);
    SELECT * INTO ph FROM lift.experiment_phases WHERE experiment = exp AND phase = e.phase;
    IF NOT FOUND THEN
        INSERT INTO lift.experiment_phases (experiment, phase, seed, fingerprint, started_at)
        VALUES (exp, e.phase, e.seed, fp,
                CASE WHEN e.phase = 1 THEN coalesce(e.start_at, now()) ELSE now() END);
    ELSIF ph.fingerprint <> fp THEN
        RAISE EXCEPTION 'experiment "%": variants, weights or hash version changed in phase % (% became %)',
            exp, e.phase, ph.fingerprint, fp USING ERRCODE = 'check_violation',
            HINT = 'shoppers would move between variants; set a new seed in the same transaction to start a new phase';
    END IF;
END $$;

CREATE FUNCTION lift.experiments_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lift.check_experiment(NEW.key);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER experiments_check AFTER INSERT OR UPDATE ON lift.experiments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lift.experiments_check();

CREATE FUNCTION lift.variants_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM lift.check_experiment(OLD.experiment);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM lift.check_experiment(NEW.experiment);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER variants_check AFTER INSERT OR UPDATE OR DELETE ON lift.variants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lift.variants_check();

-- Facts are never rewritten. (Erasure deletes; see lift.forget_unit in a later migration.)
CREATE FUNCTION lift.append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lift.% is append-only: rows cannot be updated', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER exposures_append_only BEFORE UPDATE ON lift.exposures
    FOR EACH ROW EXECUTE FUNCTION lift.append_only();
CREATE TRIGGER events_append_only BEFORE UPDATE ON lift.events
    FOR EACH ROW EXECUTE FUNCTION lift.append_only();

-- ---------------------------------------------------------------------------------------
-- Change announcements: one version bump and one NOTIFY per statement; PostgreSQL
-- delivers the NOTIFY only if the transaction commits.

CREATE FUNCTION lift.config_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lift AS $$
BEGIN
    UPDATE lift.config_state SET version = version + 1, changed_at = now();
    PERFORM pg_notify('lift_config', TG_TABLE_NAME);
    RETURN NULL;
END $$;

CREATE TRIGGER metrics_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lift.metrics
    FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();
CREATE TRIGGER layers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lift.layers
    FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();
CREATE TRIGGER audiences_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lift.audiences
    FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();
CREATE TRIGGER audience_conditions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON lift.audience_conditions FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();
CREATE TRIGGER experiments_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lift.experiments
    FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();
CREATE TRIGGER variants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lift.variants
    FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();
CREATE TRIGGER overrides_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lift.overrides
    FOR EACH STATEMENT EXECUTE FUNCTION lift.config_changed();

-- ---------------------------------------------------------------------------------------
-- The whole config as one JSON document, in the format of `liftctl assign --config`.
-- liftd and liftctl load config through this one function, so both see the same model.

CREATE FUNCTION lift.config_document() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'version', (SELECT version FROM lift.config_state),
        'experiments', coalesce(jsonb_agg(x.doc ORDER BY x.key), '[]'::jsonb))
    FROM (
        SELECT e.key, jsonb_build_object(
            'key', e.key,
            'name', e.name,
            'kind', e.kind,
            'status', e.status,
            'seed', e.seed,
            'hash_version', e.hash_version,
            'coverage', e.coverage,
            'phase', e.phase,
            'start', to_char(e.start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'end', to_char(e.end_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'layer', CASE WHEN e.layer IS NULL THEN NULL ELSE jsonb_build_object(
                'name', e.layer, 'range', jsonb_build_array(e.layer_start, e.layer_end)) END,
            'audience', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'attr', c.attribute, 'op', c.op, 'value', c.value) ORDER BY c.id), '[]')
                FROM lift.audience_conditions c WHERE c.audience = e.audience),
            'variants', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'key', v.key, 'weight', v.weight, 'payload', v.payload,
                    'control', v.is_control) ORDER BY v.position), '[]')
                FROM lift.variants v WHERE v.experiment = e.key),
            'overrides', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'unit', o.unit, 'variant', o.variant) ORDER BY o.unit), '[]')
                FROM lift.overrides o WHERE o.experiment = e.key)) AS doc
        FROM lift.experiments e
    ) x
$$;
