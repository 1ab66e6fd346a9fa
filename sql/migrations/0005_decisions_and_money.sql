-- What a report needs to decide and to speak in money (docs/statistics.md, Decisions, Money
-- and Currency):
--   - a metric's role (secondary or guardrail: the primary is chosen per experiment), a
--     guardrail's non-inferiority margin, and whether it is long-term (NULL: a window of 30
--     days or more, as retention and LTV have);
--   - the store's reporting currency (lift.settings), an experiment's own (override), and
--     the exchange rates teams load (lift.fx_rates);
--   - the experiment's money metric (revenue per shopper by default).

ALTER TABLE lift.metrics
    ADD COLUMN role      text,    -- 'secondary' or 'guardrail'; set from `guardrail` when NULL
    ADD COLUMN margin    float8,  -- guardrails: the relative loss tolerated (0.02 = 2%); NULL: 0
    ADD COLUMN long_term boolean; -- NULL: window_length >= 30 days

-- `guardrail` stays, mirroring role, so files written for schema v1 keep working.
CREATE FUNCTION lift.metrics_validate_role() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.role IS NOT DISTINCT FROM OLD.role
       AND NEW.guardrail IS DISTINCT FROM OLD.guardrail THEN
        NEW.role := NULL; -- only the legacy flag changed: it decides
    END IF;
    NEW.role := coalesce(NEW.role, CASE WHEN NEW.guardrail THEN 'guardrail' ELSE 'secondary' END);
    IF NEW.role NOT IN ('secondary', 'guardrail') THEN
        RAISE EXCEPTION 'metric "%": role "%" is not secondary or guardrail (the primary metric is chosen per experiment, lift.experiments.primary_metric)',
            NEW.key, NEW.role USING ERRCODE = 'check_violation';
    END IF;
    NEW.guardrail := NEW.role = 'guardrail';
    IF NEW.margin IS NOT NULL AND NOT (NEW.margin >= 0 AND NEW.margin < 1) THEN
        RAISE EXCEPTION 'metric "%": margin % is not a relative loss in [0, 1) (0.02 = 2%%)',
            NEW.key, NEW.margin USING ERRCODE = 'check_violation';
    END IF;
    IF coalesce(NEW.margin, 0) > 0 AND NEW.role <> 'guardrail' THEN
        RAISE EXCEPTION 'metric "%": only a guardrail takes a margin (set role = ''guardrail'')',
            NEW.key USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- Fires after metrics_validate (triggers run in name order).
CREATE TRIGGER metrics_validate_role BEFORE INSERT OR UPDATE ON lift.metrics
    FOR EACH ROW EXECUTE FUNCTION lift.metrics_validate_role();

UPDATE lift.metrics SET role = CASE WHEN guardrail THEN 'guardrail' ELSE 'secondary' END;
ALTER TABLE lift.metrics ALTER COLUMN role SET NOT NULL;

-- ---------------------------------------------------------------------------------------
-- Currency. Events carry an ISO 4217 code (lift.events.currency); reports sum money in one
-- reporting currency: the experiment's, else the store's. Rates are quoted in the store's
-- currency: `rate` is what one unit of `currency` was worth in it on `day` (UTC). An event
-- in another currency is converted at its day's rate; without one it is left out of the
-- report, and counted there. A store that sells in one currency sets nothing.

CREATE TABLE lift.settings (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    currency char(3) CHECK (currency ~ '^[A-Z]{3}$') -- NULL: the events' one currency
);
INSERT INTO lift.settings DEFAULT VALUES;

CREATE TABLE lift.fx_rates (
    currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    day      date NOT NULL,
    rate     float8 NOT NULL,
    PRIMARY KEY (currency, day)
);

CREATE FUNCTION lift.fx_rates_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (NEW.rate > 0 AND NEW.rate < 'Infinity'::float8) THEN
        RAISE EXCEPTION 'fx rate of % on %: % is not a positive number (units of the store currency per %)',
            NEW.currency, NEW.day, NEW.rate, NEW.currency USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.currency = (SELECT currency FROM lift.settings) AND NEW.rate <> 1 THEN
        RAISE EXCEPTION 'fx rate of % on %: % is the store currency, its rate is 1, not %',
            NEW.currency, NEW.day, NEW.currency, NEW.rate USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fx_rates_validate BEFORE INSERT OR UPDATE ON lift.fx_rates
    FOR EACH ROW EXECUTE FUNCTION lift.fx_rates_validate();

ALTER TABLE lift.experiments
    ADD COLUMN currency char(3) CHECK (currency ~ '^[A-Z]{3}$'), -- NULL: the store's
    ADD COLUMN revenue_metric text; -- NULL: revenue_per_shopper, when it is among its metrics

CREATE FUNCTION lift.experiments_validate_money() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revenue_metric IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lift.metrics
            WHERE key = NEW.revenue_metric AND kind = 'mean' AND aggregation = 'sum') THEN
        RAISE EXCEPTION 'experiment "%": revenue_metric "%" is not a mean metric that sums values',
            NEW.key, NEW.revenue_metric USING ERRCODE = 'foreign_key_violation',
            HINT = 'define it in lift.metrics first (kind mean, aggregation sum)';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER experiments_validate_money BEFORE INSERT OR UPDATE ON lift.experiments
    FOR EACH ROW EXECUTE FUNCTION lift.experiments_validate_money();

-- The analysis reads an event's currency with its value: keep the lookup index-only.
DROP INDEX lift.events_unit_ts_idx;
CREATE INDEX events_unit_ts_idx ON lift.events (unit, ts) INCLUDE (type, value, currency);
