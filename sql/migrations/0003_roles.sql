-- Least privilege. liftd connects as lift_writer: it reads config and appends facts, and
-- can change nothing else. Analysts connect as lift_analyst: read-only.
-- Roles belong to the cluster, so they are created once and reused by every database.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lift_writer') THEN
        CREATE ROLE lift_writer LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lift_analyst') THEN
        CREATE ROLE lift_analyst LOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA lift TO lift_writer, lift_analyst;
GRANT SELECT ON lift.config_state, lift.metrics, lift.layers, lift.audiences,
    lift.audience_conditions, lift.experiments, lift.variants, lift.overrides,
    lift.experiment_phases TO lift_writer;
GRANT INSERT ON lift.exposures, lift.events TO lift_writer;

GRANT SELECT ON ALL TABLES IN SCHEMA lift TO lift_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA lift GRANT SELECT ON TABLES TO lift_analyst;
