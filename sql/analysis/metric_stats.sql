-- Sufficient statistics of an experiment's metrics, per variant, per segment and per day
-- of first exposure, computed inside PostgreSQL in one pass over the raw tables.
--
-- Installed per session as a temporary function (liftctl report runs this file first), so
-- it needs no migration and runs with read-only rights:
--   SELECT * FROM pg_temp.lift_metric_stats(experiment, phase, as_of, metrics, segments
--                                            [, currency, store_currency, start_at, end_at,
--                                             source])
--
-- Rules (docs/statistics.md, Metrics):
--   - a shopper's variant and t0 come from the first exposure of the phase before as_of;
--     shoppers exposed to more than one variant are excluded (and counted: `mixed`);
--   - an event counts for a metric when t0 <= ts < t0 + window (and ts < as_of); refunds
--     are events with negative values, so sums are net;
--   - a metric only includes shoppers whose window has fully elapsed at as_of; the others
--     are counted in `immature`;
--   - proportion: x = 1 when the aggregate reaches the metric's threshold; mean: x is the
--     aggregate, capped at the winsorization percentile of the pooled per-shopper values
--     (`cap`); ratio: x and its denominator d, over shoppers with d > 0;
--   - the CUPED covariate is the same metric over [t0 - pre, t0);
--   - windows are exact durations in UTC (14 days = 336 hours; a month counts 30 days);
--   - money is in `currency` (the reporting currency; NULL: the events' own one, unchecked
--     here: the report refuses several). An event with a value in another currency is
--     converted at lift.fx_rates of its UTC day, rates being quoted in store_currency (NULL:
--     in `currency`); one without a rate is left out of every metric and counted
--     (`excluded`, by currency in `excluded_currencies`); an event with no currency is in
--     the store's;
--   - health: shoppers first exposed outside [start_at, end_at) (`outside`), the latest
--     exposure and the latest event read (freshness), the events' currencies (lowest and
--     highest code: one currency when they agree).
--
-- Shape: per shopper, the first exposure (a scan of lift.assignments in unit order, or, for
-- an as-of before the phase's latest exposure, an index-only scan of the exposure log in
-- unit order, which a past as-of needs: lift.assignments has no history) and one aggregate over the shopper's events in [t0 - longest pre-period, t0 + longest
-- window) (an index-only lookup in lift.events (unit, ts) INCLUDE (type, value)); then
-- sums. The cost follows the experiment's shoppers, not the size of the events table.
-- Metrics that count the same events over the same window share one aggregate; window
-- ends and an event's type bit are computed once, so each event costs a few comparisons
-- per metric. The per-shopper rows are summed once into a small cube (variant x day x
-- segment values) and every level of the report is a sum over that cube.
--
-- The metric definitions are data (lift.metrics), so the query is put together here from
-- them, every name and value quoted by format(); callers never send SQL text.

CREATE OR REPLACE FUNCTION pg_temp.lift_metric_stats(
    exp text, ph integer, as_of timestamptz, metric_keys text[], segments text[],
    currency text DEFAULT NULL, store_currency text DEFAULT NULL,
    start_at timestamptz DEFAULT NULL, end_at timestamptz DEFAULT NULL,
    source text DEFAULT NULL)  -- 'log' or 'assignments' to force a path (tests); NULL: choose
RETURNS TABLE (
    level text,             -- 'all', 'segment' or 'day'
    segment_attr text,      -- the attribute, for 'segment' rows
    segment_value text,     -- its value at first exposure ('(none)' when absent)
    day date,               -- UTC day of first exposure, for 'day' rows
    variant text,
    metric text,
    units bigint,           -- shoppers of the group (mixed ones excluded)
    n bigint,               -- shoppers counted for the metric
    immature bigint,        -- shoppers left out because their window has not elapsed
    sum float8, sum_sq float8,
    den_sum float8, den_sum_sq float8, sum_x_den float8,
    pre_sum float8, pre_sum_sq float8, sum_x_pre float8,
    cap float8,             -- winsorization cap applied, or NULL
    mixed bigint,           -- shoppers excluded for seeing more than one variant
    first_exposure timestamptz,
    last_exposure timestamptz,  -- the latest first exposure
    latest_exposure timestamptz, -- the latest exposure of all
    latest_event timestamptz,   -- the latest event read
    outside bigint,             -- shoppers first exposed before start_at or from end_at on
    excluded bigint,            -- events left out: a value in a currency without a rate
    excluded_currencies text,   -- 'CHF 35, SEK 2'
    currency_lo text,           -- the events' currencies, lowest and highest code
    currency_hi text,
    data_path text,             -- where the shoppers came from: 'rollup', 'assignments' or
                                -- 'exposure log'
    refreshed_at timestamptz,   -- the rollup's last refresh
    recomputed bigint)          -- shoppers a rollup report computed from raw data
LANGUAGE plpgsql STABLE
SET TimeZone = 'UTC' AS $fn$
DECLARE
    m lift.metrics;
    i integer := 0;
    ua record;              -- the per-shopper aggregates (sql/analysis/unit_aggs.sql)
    caps text := '';        -- winsorization caps over the pooled per-shopper values
    vals text := '';        -- per shopper: each metric's value, maturity, denominator, covariate
    sums text := '';        -- per cube cell: the sufficient statistics
    rolls text := '';       -- per report group: sums of the cells
    rows_ text := '';       -- one VALUES row per metric, to unpivot the columns
    seg_first text := '';
    seg_cols text := '';
    seg_keys text := '';
    seg_sets text := '';
    seg_attr text := 'NULL::text';
    seg_value text := 'NULL::text';
    x text;
    d text;
    z text;
    cell text;
    counted text;
    latest timestamptz;      -- the latest exposure lift.assignments holds for the phase
    from_log boolean;        -- read the raw exposure log (an as-of before that)
    shoppers text;           -- per shopper: t0, latest exposure, variant, mixed, segments
    per_unit text;           -- per shopper: that and the aggregates
    rs lift.rollup_state;    -- the phase's rollup, when the report can read it
BEGIN
    SELECT * INTO ua FROM pg_temp.lift_unit_aggs(metric_keys, currency, store_currency);
    FOR m IN SELECT * FROM lift.metrics WHERE key = ANY (metric_keys)
             ORDER BY array_position(metric_keys, key) LOOP
        i := i + 1;
        x := format('p.aggs[%s]', ua.xpos[i]);
        d := CASE WHEN ua.dpos[i] IS NOT NULL THEN format('p.aggs[%s]', ua.dpos[i]) END;
        z := CASE WHEN ua.zpos[i] IS NULL THEN NULL
                  WHEN m.kind = 'proportion' THEN format('(p.aggs[%s] >= %s)::int::float8', ua.zpos[i], m.threshold)
                  ELSE format('p.aggs[%s]', ua.zpos[i]) END;

        -- Mature: the window has elapsed at as_of (the cut-off is a constant of the query).
        IF m.winsor_pct IS NOT NULL THEN
            caps := caps || format(', percentile_cont(%s) WITHIN GROUP (ORDER BY %s) '
                                   'FILTER (WHERE NOT p.is_mixed AND p.t0 <= %L) AS cap%s',
                                   m.winsor_pct, x, as_of - pg_temp.lift_span(m.window_length), i);
        END IF;
        vals := vals || format(', %s AS v%s, p.t0 <= %L AS mature%s',
            CASE WHEN m.kind = 'proportion' THEN format('(%s >= %s)::int::float8', x, m.threshold)
                 WHEN m.winsor_pct IS NOT NULL THEN format('least(%s, c.cap%s)', x, i)
                 ELSE format('%s::float8', x) END,
            i, as_of - pg_temp.lift_span(m.window_length), i);
        IF d IS NOT NULL THEN
            vals := vals || format(', %s AS d%s', d, i);
        END IF;
        IF z IS NOT NULL THEN
            vals := vals || format(', %s AS z%s', z, i);
        END IF;

        -- Per cube cell, then per report group: counts and (cross) sums of squares.
        counted := format('v.mature%s', i) || CASE WHEN d IS NULL THEN '' ELSE format(' AND v.d%s > 0', i) END;
        sums := sums || format(', count(*) FILTER (WHERE %1$s) AS n%2$s,'
                               ' count(*) FILTER (WHERE NOT v.mature%2$s) AS imm%2$s,'
                               ' coalesce(sum(v.v%2$s) FILTER (WHERE %1$s), 0) AS s%2$s,'
                               ' coalesce(sum(v.v%2$s * v.v%2$s) FILTER (WHERE %1$s), 0) AS ss%2$s',
                               counted, i);
        cell := 'n%1$s, imm%1$s, s%1$s, ss%1$s';
        IF d IS NOT NULL THEN
            sums := sums || format(', coalesce(sum(v.d%2$s) FILTER (WHERE %1$s), 0) AS ds%2$s,'
                                   ' coalesce(sum(v.d%2$s * v.d%2$s) FILTER (WHERE %1$s), 0) AS dss%2$s,'
                                   ' coalesce(sum(v.v%2$s * v.d%2$s) FILTER (WHERE %1$s), 0) AS sxd%2$s',
                                   counted, i);
            cell := cell || ', ds%1$s, dss%1$s, sxd%1$s';
        END IF;
        IF z IS NOT NULL THEN
            sums := sums || format(', coalesce(sum(v.z%2$s) FILTER (WHERE %1$s), 0) AS zs%2$s,'
                                   ' coalesce(sum(v.z%2$s * v.z%2$s) FILTER (WHERE %1$s), 0) AS zss%2$s,'
                                   ' coalesce(sum(v.v%2$s * v.z%2$s) FILTER (WHERE %1$s), 0) AS sxz%2$s',
                                   counted, i);
            cell := cell || ', zs%1$s, zss%1$s, sxz%1$s';
        END IF;
        SELECT string_agg(CASE WHEN col LIKE 'n%' OR col LIKE 'imm%'
                               THEN format('sum(k.%1$s)::bigint AS %1$s', col)
                               ELSE format('sum(k.%1$s) AS %1$s', col) END, ', ')
          INTO cell FROM unnest(string_to_array(format(cell, i), ', ')) AS col;
        rolls := rolls || ', ' || cell;
        rows_ := rows_ || CASE WHEN rows_ = '' THEN '' ELSE ', ' END ||
                 format('(%L, g.n%2$s, g.imm%2$s, g.s%2$s, g.ss%2$s, %3$s, %4$s, %5$s)', m.key, i,
                        CASE WHEN d IS NULL THEN 'NULL::float8, NULL::float8, NULL::float8'
                             ELSE format('g.ds%1$s, g.dss%1$s, g.sxd%1$s', i) END,
                        CASE WHEN z IS NULL THEN 'NULL::float8, NULL::float8, NULL::float8'
                             ELSE format('g.zs%1$s, g.zss%1$s, g.sxz%1$s', i) END,
                        CASE WHEN m.winsor_pct IS NOT NULL THEN format('c.cap%s', i)
                             ELSE 'NULL::float8' END);
    END LOOP;
    IF i = 0 THEN
        RETURN;
    END IF;
    -- The shoppers: from lift.assignments when it holds every exposure before as_of (no
    -- shopper's latest exposure is at or after it: the usual, current report), else from
    -- the raw exposure log, cut at as_of. With lift.assignments, their aggregates come from
    -- the phase's rollup when it was built for these metrics (same fingerprint), except for
    -- the shoppers it cannot answer for: those changed or with events stored since its
    -- snapshot, and those with an event at or after as_of (unit_aggs.sql states the rule).
    SELECT max(a.last_ts) INTO latest FROM lift.assignments a
     WHERE a.experiment = exp AND a.phase = ph;
    from_log := CASE source WHEN 'log' THEN true WHEN 'assignments' THEN false
                            WHEN 'rollup' THEN false ELSE coalesce(latest >= as_of, false) END;
    IF NOT from_log AND source IS DISTINCT FROM 'assignments' THEN
        SELECT * INTO rs FROM lift.rollup_state r
         WHERE r.experiment = exp AND r.phase = ph AND r.fingerprint = ua.fingerprint;
    END IF;
    IF source = 'rollup' AND rs.experiment IS NULL THEN
        RAISE EXCEPTION 'experiment % phase % has no rollup for these metrics', exp, ph;
    END IF;
    data_path := CASE WHEN from_log THEN 'exposure log' WHEN rs.experiment IS NOT NULL
                      THEN 'rollup' ELSE 'assignments' END;
    refreshed_at := rs.refreshed_at;

    -- Segments: the attribute's value at first exposure; one grouping set each.
    FOR j IN 1 .. coalesce(array_length(segments, 1), 0) LOOP
        seg_first := seg_first || format(CASE WHEN from_log
                THEN ', (array_agg(coalesce(attrs ->> %L, ''(none)'') ORDER BY ts, event_id))[1] AS seg%s'
                ELSE ', coalesce(attrs ->> %L, ''(none)'') AS seg%s' END,
            segments[j], j);
        seg_cols := seg_cols || format(', u.seg%s', j);
        seg_keys := seg_keys || format(', v.seg%s', j);
        seg_sets := seg_sets || format(', (k.variant, k.seg%s)', j);
        seg_attr := format('CASE WHEN GROUPING(k.seg%1$s) = 0 THEN %2$L ELSE %3$s END', j, segments[j], seg_attr);
        seg_value := format('CASE WHEN GROUPING(k.seg%1$s) = 0 THEN k.seg%1$s ELSE %2$s END', j, seg_value);
    END LOOP;

    IF from_log THEN
        shoppers := format('SELECT unit, min(ts) AS t0, max(ts) AS t_last, min(variant) AS variant,'
                           ' min(variant) <> max(variant) AS is_mixed %s'
                           ' FROM lift.exposures WHERE experiment = $1 AND phase = $2 AND ts < $3'
                           ' GROUP BY unit', seg_first);
    ELSE
        shoppers := format('SELECT unit, first_ts AS t0, last_ts AS t_last, variant,'
                           ' cardinality(variants) > 1 AS is_mixed %s'
                           ' FROM lift.assignments WHERE experiment = $1 AND phase = $2', seg_first);
    END IF;

    IF rs.experiment IS NULL THEN
        per_unit := format('dirty AS (SELECT NULL::text AS unit),'
                           ' per_unit AS MATERIALIZED (SELECT u.variant, u.t0, u.t_last, u.is_mixed %s, a.*'
                           ' FROM (SELECT u.* %s FROM u) u CROSS JOIN LATERAL (%s) a)',
                           seg_cols, ua.bound_cols, ua.body);
    ELSE
        per_unit := format('dirty AS MATERIALIZED (SELECT d.unit FROM lift.rollup_dirty_units($1, $2, %L::pg_snapshot) d %s),'
                           ' per_unit AS MATERIALIZED ('
                           ' SELECT u.variant, u.t0, u.t_last, u.is_mixed %s, r.aggs, r.cur_lo, r.cur_hi, r.x_n, r.x_cur, r.ts_last'
                           ' FROM u JOIN lift.rollups r ON r.experiment = $1 AND r.phase = $2 AND r.unit = u.unit'
                           ' WHERE NOT EXISTS (SELECT FROM dirty d WHERE d.unit = u.unit)'
                           ' UNION ALL'
                           ' SELECT u.variant, u.t0, u.t_last, u.is_mixed %s, a.*'
                           ' FROM (SELECT u.* %s FROM u WHERE u.unit IN (SELECT d.unit FROM dirty d)) u'
                           ' CROSS JOIN LATERAL (%s) a)',
                           rs.snapshot,
                           CASE WHEN rs.ts_last >= as_of THEN
                               'UNION SELECT r.unit FROM lift.rollups r WHERE r.experiment = $1'
                               ' AND r.phase = $2 AND r.ts_last >= $3' ELSE '' END,
                           seg_cols, seg_cols, ua.bound_cols, ua.body);
    END IF;

    RETURN QUERY EXECUTE format($q$
WITH u AS NOT MATERIALIZED (
    SELECT f.*, f.t0 - %1$L::interval AS lo,
           CASE WHEN f.is_mixed THEN f.t0 - %1$L::interval  -- no events for them
                ELSE least(f.t0 + %2$L::interval, $3) END AS hi
    FROM (%3$s) f
),
%4$s,
totals AS (
    SELECT count(*) FILTER (WHERE is_mixed) AS mixed, min(t0) AS first_t0, max(t0) AS last_t0,
           max(t_last) AS latest_exposure, max(ts_last) AS latest_event,
           count(*) FILTER (WHERE NOT is_mixed AND (t0 < $4 OR t0 >= $5)) AS outside,
           coalesce(sum(x_n), 0)::bigint AS excluded, min(cur_lo) AS cur_lo, max(cur_hi) AS cur_hi,
           (SELECT string_agg(xc.c || ' ' || xc.k, ', ' ORDER BY xc.k DESC, xc.c)
            FROM (SELECT c, count(*) AS k FROM per_unit q, unnest(q.x_cur) AS c GROUP BY c) xc)
               AS excluded_currencies,
           (SELECT count(*) FROM dirty WHERE unit IS NOT NULL) AS recomputed
    FROM per_unit
),
c AS (
    SELECT count(*) AS shoppers %8$s FROM per_unit p
),
v AS (
    SELECT p.variant, (p.t0 AT TIME ZONE 'UTC')::date AS day %9$s %10$s
    FROM per_unit p CROSS JOIN c
    WHERE NOT p.is_mixed
),
k AS (
    SELECT v.variant, v.day %11$s, count(*) AS units %12$s
    FROM v
    GROUP BY v.variant, v.day %11$s
),
g AS (
    SELECT k.variant,
           CASE WHEN GROUPING(k.day) = 0 THEN 'day'
                WHEN %13$s IS NOT NULL THEN 'segment' ELSE 'all' END AS level,
           %13$s AS segment_attr, %14$s AS segment_value,
           CASE WHEN GROUPING(k.day) = 0 THEN k.day END AS day,
           sum(k.units)::bigint AS units %15$s
    FROM k
    GROUP BY GROUPING SETS ((k.variant), (k.variant, k.day) %16$s)
)
SELECT g.level, g.segment_attr, g.segment_value, g.day, g.variant, s.metric, g.units,
       s.n, s.imm, s.s, s.ss, s.ds, s.dss, s.sxd, s.zs, s.zss, s.sxz, s.cap,
       t.mixed, t.first_t0, t.last_t0, t.latest_exposure, t.latest_event, t.outside, t.excluded,
       t.excluded_currencies, t.cur_lo::text, t.cur_hi::text, %18$L::text, %19$L::timestamptz,
       t.recomputed
FROM g CROSS JOIN c CROSS JOIN totals t
CROSS JOIN LATERAL (VALUES %17$s) AS s(metric, n, imm, s, ss, ds, dss, sxd, zs, zss, sxz, cap)
ORDER BY 1, 2, 3, 4, 5, 6
$q$,
        ua.max_pre, ua.max_window, shoppers, per_unit, NULL, NULL, NULL,
        caps, replace(seg_cols, 'u.', 'p.'), vals, seg_keys, sums, seg_attr, seg_value, rolls,
        seg_sets, rows_, data_path, refreshed_at)
    USING exp, ph, as_of, start_at, end_at;
END
$fn$;
