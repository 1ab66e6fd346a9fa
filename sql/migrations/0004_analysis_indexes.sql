-- Covering indexes for the analysis SQL (sql/analysis/metric_stats.sql), which reads a
-- shopper's first exposure and the shopper's events in a time window. With the columns it
-- needs in the index, both reads are index-only scans in unit order, and a report costs in
-- proportion to the experiment's shoppers rather than to the whole events table.
DROP INDEX lift.exposures_experiment_idx;
CREATE INDEX exposures_experiment_idx ON lift.exposures (experiment, phase, unit, ts) INCLUDE (variant);

DROP INDEX lift.events_unit_ts_idx;
CREATE INDEX events_unit_ts_idx ON lift.events (unit, ts) INCLUDE (type, value);
