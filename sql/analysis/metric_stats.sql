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

-- Position of item in list, adding it at the end when absent.
CREATE OR REPLACE FUNCTION pg_temp.lift_slot(INOUT list text[], item text, OUT pos integer)
LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
    pos := array_position(list, item);
    IF pos IS NULL THEN
        list := list || item;
        pos := cardinality(list);
    END IF;
END
$fn$;

-- A window as an exact duration ('14 days' -> '336:00:00', a month is 30 days): adding it
-- to a timestamp is then one addition, with no calendar arithmetic per shopper.
CREATE OR REPLACE FUNCTION pg_temp.lift_span(i interval) RETURNS interval
LANGUAGE sql IMMUTABLE AS $fn$ SELECT make_interval(secs => extract(epoch FROM i)) $fn$;

-- Bit mask of the event types sel, each type given a bit by its position in list.
CREATE OR REPLACE FUNCTION pg_temp.lift_mask(INOUT list text[], sel text[], OUT mask bigint)
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    pos integer;
    t text;
BEGIN
    mask := 0;
    FOREACH t IN ARRAY sel LOOP
        SELECT * INTO list, pos FROM pg_temp.lift_slot(list, t);
        IF pos > 62 THEN
            RAISE EXCEPTION 'a report reads at most 62 event types';
        END IF;
        mask := mask | (1::bigint << (pos - 1));
    END LOOP;
END
$fn$;

-- A per-shopper aggregate (sum of values or count) of the events of types sel, over
-- [t0, t0 + span) or, with pre, over [t0 - span, t0); the three lists gain what it needs
-- (a window end, event type bits, the aggregate) and pos is the aggregate's place in aggs.
CREATE OR REPLACE FUNCTION pg_temp.lift_agg(
    INOUT aggs text[], INOUT bounds text[], INOUT types text[],
    aggregation text, sel text[], span interval, pre boolean, OUT pos integer)
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    b integer;
    mask bigint;
BEGIN
    SELECT * INTO bounds, b FROM pg_temp.lift_slot(bounds,
        format('u.t0 %s %L::interval', CASE WHEN pre THEN '-' ELSE '+' END, pg_temp.lift_span(span)));
    SELECT * INTO types, mask FROM pg_temp.lift_mask(types, sel);
    SELECT * INTO aggs, pos FROM pg_temp.lift_slot(aggs, format(
        CASE aggregation WHEN 'sum' THEN 'coalesce(sum(e.value) FILTER (WHERE %s), 0)'
                         ELSE 'count(*) FILTER (WHERE %s)' END,
        format(CASE WHEN pre THEN 'e.tb & %1$s <> 0 AND e.ts >= u.b%2$s AND e.ts < u.t0'
                    ELSE 'e.tb & %1$s <> 0 AND e.ts >= u.t0 AND e.ts < u.b%2$s' END, mask, b)));
END
$fn$;

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
    currency_hi text)
LANGUAGE plpgsql STABLE
SET TimeZone = 'UTC' AS $fn$
DECLARE
    m lift.metrics;
    i integer := 0;
    max_window interval := interval '0';
    max_pre interval := interval '0';
    types text[] := '{}';
    bounds text[] := '{}';  -- per shopper window ends: 't0 + 14 days', 't0 - 28 days', ...
    aggs text[] := '{}';    -- per shopper aggregates over the events, shared between metrics
    pos integer;
    type_code text;         -- an event's type as a bit
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
    bound_cols text := '';
    agg_cols text := '';
    fx text;                 -- an event's conversion factor into the reporting currency
    event_cols text;         -- what the per-shopper aggregate reads of each event
    currency_aggs text;      -- per shopper: events left out, or the currencies seen
    x text;
    d text;
    z text;
    cell text;
    counted text;
    latest timestamptz;      -- the latest exposure lift.assignments holds for the phase
    from_log boolean;        -- read the raw exposure log (an as-of before that)
    shoppers text;           -- per shopper: t0, latest exposure, variant, mixed, segments
BEGIN
    FOR m IN SELECT * FROM lift.metrics WHERE key = ANY (metric_keys)
             ORDER BY array_position(metric_keys, key) LOOP
        i := i + 1;
        max_window := greatest(max_window, m.window_length);

        -- The per-shopper aggregates this metric reads: x over the window, its denominator,
        -- its covariate over the pre-period.
        SELECT * INTO aggs, bounds, types, pos FROM pg_temp.lift_agg(aggs, bounds, types,
            m.aggregation, m.event_types, m.window_length, false);
        x := format('p.a%s', pos);
        d := NULL;
        z := NULL;
        IF m.kind = 'ratio' THEN
            SELECT * INTO aggs, bounds, types, pos FROM pg_temp.lift_agg(aggs, bounds, types,
                m.den_aggregation, m.den_event_types, m.window_length, false);
            d := format('p.a%s::float8', pos);
        END IF;
        IF m.cuped_pre IS NOT NULL THEN
            max_pre := greatest(max_pre, m.cuped_pre);
            SELECT * INTO aggs, bounds, types, pos FROM pg_temp.lift_agg(aggs, bounds, types,
                m.aggregation, m.event_types, m.cuped_pre, true);
            z := CASE WHEN m.kind = 'proportion' THEN format('(p.a%s >= %s)::int::float8', pos, m.threshold)
                      ELSE format('p.a%s::float8', pos) END;
        END IF;

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
    SELECT string_agg(format(', %s AS b%s', b, o), '') INTO bound_cols
      FROM unnest(bounds) WITH ORDINALITY AS t(b, o);
    SELECT string_agg(format(', %s AS a%s', a, o), '') INTO agg_cols
      FROM unnest(aggs) WITH ORDINALITY AS t(a, o);
    -- Each event's type as a bit, computed once per event rather than once per aggregate.
    SELECT format('CASE e.type %s END', string_agg(format('WHEN %L THEN %s', t, 1::bigint << (o - 1)::integer), ' '))
      INTO type_code FROM unnest(types) WITH ORDINALITY AS x(t, o);

    -- Conversion: 1 in the reporting currency; else its rate over the reporting currency's,
    -- both quoted in the store's (whose own rate is 1); NULL (the event is left out)
    -- without a rate for the event's day.
    -- Without a reporting currency nothing is converted (and nothing left out): the report
    -- reads the events' currencies instead, to refuse several. With one, each event is
    -- converted; one without a rate gets no type bit (it counts for no metric) and is
    -- counted.
    IF currency IS NULL THEN
        event_cols := format('e.ts, e.value, e.currency, %s AS tb FROM lift.events e', type_code);
        currency_aggs := 'min(e.currency) FILTER (WHERE e.value IS NOT NULL) AS cur_lo, '
                         'max(e.currency) FILTER (WHERE e.value IS NOT NULL) AS cur_hi, '
                         '0::bigint AS x_n, NULL::bpchar[] AS x_cur';
    ELSE
        store_currency := coalesce(store_currency, currency);
        fx := format($f$CASE WHEN coalesce(e.currency, %1$L) = %2$L THEN 1::float8
            ELSE %3$s / %4$s END$f$, store_currency, currency,
            format($r$(CASE WHEN coalesce(e.currency, %1$L) = %1$L THEN 1::float8 ELSE
                (SELECT r.rate FROM lift.fx_rates r WHERE r.currency = e.currency
                 AND r.day = (e.ts AT TIME ZONE 'UTC')::date) END)$r$, store_currency),
            CASE WHEN currency = store_currency THEN '1::float8'
                 ELSE format($r$(SELECT r.rate FROM lift.fx_rates r WHERE r.currency = %L
                     AND r.day = (e.ts AT TIME ZONE 'UTC')::date)$r$, currency) END);
        event_cols := format('e.ts, e.value * c.f AS value, e.currency, CASE WHEN e.value IS NOT '
                             'NULL AND c.f IS NULL THEN 0 ELSE %s END AS tb FROM lift.events e '
                             'CROSS JOIN LATERAL (SELECT %s AS f) c', type_code, fx);
        currency_aggs := 'NULL::bpchar AS cur_lo, NULL::bpchar AS cur_hi, '
                         'count(*) FILTER (WHERE e.tb = 0) AS x_n, '
                         'array_agg(e.currency) FILTER (WHERE e.tb = 0) AS x_cur';
    END IF;

    -- The shoppers: from lift.assignments when it holds every exposure before as_of (no
    -- shopper's latest exposure is at or after it: the usual, current report), else from
    -- the raw exposure log, cut at as_of.
    SELECT max(a.last_ts) INTO latest FROM lift.assignments a
     WHERE a.experiment = exp AND a.phase = ph;
    from_log := CASE source WHEN 'log' THEN true WHEN 'assignments' THEN false
                            ELSE coalesce(latest >= as_of, false) END;

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

    RETURN QUERY EXECUTE format($q$
WITH u AS (
    SELECT f.*, f.t0 - %1$L::interval AS lo,
           CASE WHEN f.is_mixed THEN f.t0 - %1$L::interval  -- no events for them
                ELSE least(f.t0 + %2$L::interval, $3) END AS hi
    FROM (%3$s) f
),
per_unit AS MATERIALIZED (
    SELECT u.variant, u.t0, u.t_last, u.is_mixed %4$s, a.*
    FROM (SELECT u.* %6$s FROM u) u
    CROSS JOIN LATERAL (
        SELECT %5$s, %20$s, max(e.ts) AS ts_last
        FROM (SELECT %19$s
              WHERE e.unit = u.unit AND e.ts >= u.lo AND e.ts < u.hi AND e.type = ANY (%7$L)
              OFFSET 0) e) a
),
totals AS (
    SELECT count(*) FILTER (WHERE is_mixed) AS mixed, min(t0) AS first_t0, max(t0) AS last_t0,
           max(t_last) AS latest_exposure, max(ts_last) AS latest_event,
           count(*) FILTER (WHERE NOT is_mixed AND (t0 < $4 OR t0 >= $5)) AS outside,
           coalesce(sum(x_n), 0)::bigint AS excluded, min(cur_lo) AS cur_lo, max(cur_hi) AS cur_hi,
           (SELECT string_agg(xc.c || ' ' || xc.k, ', ' ORDER BY xc.k DESC, xc.c)
            FROM (SELECT c, count(*) AS k FROM per_unit q, unnest(q.x_cur) AS c GROUP BY c) xc)
               AS excluded_currencies
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
       t.excluded_currencies, t.cur_lo::text, t.cur_hi::text
FROM g CROSS JOIN c CROSS JOIN totals t
CROSS JOIN LATERAL (VALUES %17$s) AS s(metric, n, imm, s, ss, ds, dss, sxd, zs, zss, sxz, cap)
ORDER BY 1, 2, 3, 4, 5, 6
$q$,
        pg_temp.lift_span(max_pre), pg_temp.lift_span(max_window), shoppers, seg_cols, substr(agg_cols, 3), bound_cols, types,
        caps, replace(seg_cols, 'u.', 'p.'), vals, seg_keys, sums, seg_attr, seg_value, rolls,
        seg_sets, rows_, type_code, event_cols, currency_aggs)
    USING exp, ph, as_of, start_at, end_at;
END
$fn$;
