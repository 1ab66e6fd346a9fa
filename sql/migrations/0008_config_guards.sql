-- Guards the first schema lacked, so that the database refuses what liftd or a report
-- would otherwise meet later, far from the statement that caused it:
--   - a metric that an experiment uses (its primary metric, in its list, or as its money
--     metric) cannot be deleted or renamed: its reports would silently lose it;
--   - a metric's event type lists hold no NULL entry;
--   - an experiment has at most 100 variants (liftd's limit, LIFT_VARIANTS_MAX).

CREATE FUNCTION lift.metrics_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    used text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.key = OLD.key THEN
        RETURN NEW;
    END IF;
    SELECT key INTO used FROM lift.experiments
     WHERE primary_metric = OLD.key OR OLD.key = ANY (coalesce(metrics, '{}'))
        OR revenue_metric = OLD.key
     ORDER BY key LIMIT 1;
    IF used IS NOT NULL THEN
        RAISE EXCEPTION 'metric "%" is used by experiment "%"', OLD.key, used
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Change the experiment''s primary_metric, metrics or revenue_metric first.';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER metrics_in_use BEFORE DELETE OR UPDATE OF key ON lift.metrics
    FOR EACH ROW EXECUTE FUNCTION lift.metrics_in_use();

CREATE FUNCTION lift.metrics_event_types_complete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF array_position(NEW.event_types, NULL) IS NOT NULL
       OR array_position(NEW.den_event_types, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'metric "%": event type lists must not contain NULL', NEW.key
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER metrics_event_types_complete BEFORE INSERT OR UPDATE ON lift.metrics
    FOR EACH ROW EXECUTE FUNCTION lift.metrics_event_types_complete();

CREATE FUNCTION lift.variants_at_most_100() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM lift.variants WHERE experiment = NEW.experiment) > 100 THEN
        RAISE EXCEPTION 'experiment "%": more than 100 variants', NEW.experiment
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER variants_at_most_100 AFTER INSERT OR UPDATE OF experiment
    ON lift.variants FOR EACH ROW EXECUTE FUNCTION lift.variants_at_most_100();
