-- Incremental per-shopper rollups (issue 15, item 3), stage 2: what a refresh stores and
-- who may run one. liftctl refresh and liftd's refresher (--refresh-interval) fill
-- lift.rollups with sql/analysis/refresh.sql; reports read it (sql/analysis/metric_stats.sql).
--
-- Besides the aggregates, a rollup row keeps what a report's health section reads of the
-- shopper's events: their currencies (lowest and highest code), the events left out for a
-- currency without a rate, and the latest event read. ts_last also decides whether the
-- row can answer a report at all: not when an event of the shopper lies at or after the
-- report's as-of (the row counted it; the report must not).
ALTER TABLE lift.rollups
    ADD COLUMN cur_lo  text,
    ADD COLUMN cur_hi  text,
    ADD COLUMN x_n     bigint NOT NULL DEFAULT 0,
    ADD COLUMN x_cur   text[],
    ADD COLUMN ts_last timestamptz;
-- A refresh rewrites the rows of the shoppers with news in place: room in each page keeps
-- those updates HOT (no index entry changes), so their cost follows the rows, not the
-- indexes.
ALTER TABLE lift.rollups SET (fillfactor = 70);

-- The latest event any row of the rollup read: a report whose as-of is after it needs not
-- look for rows with later events.
ALTER TABLE lift.rollup_state
    ADD COLUMN ts_last timestamptz,
    ADD COLUMN mode    text,          -- what the last refresh did: 'rebuild' or 'incremental'
    ADD COLUMN recomputed bigint NOT NULL DEFAULT 0;  -- shoppers it computed

-- liftd runs refreshes as lift_writer: it reads what the aggregates are computed from and
-- writes the rollup. (Reports keep running as lift_analyst, which reads everything.)
GRANT SELECT ON lift.assignments, lift.events, lift.fx_rates, lift.experiments, lift.settings,
                lift.rollup_state, lift.rollups TO lift_writer;
GRANT INSERT, UPDATE, DELETE ON lift.rollup_state, lift.rollups TO lift_writer;
