-- The per-shopper aggregates of an experiment's metrics: which sums and counts over a
-- shopper's events each metric needs, and the SQL that computes them for one shopper.
-- Shared by the report (sql/analysis/metric_stats.sql), which computes them for the
-- shoppers a rollup does not hold, and by the refresh (sql/analysis/refresh.sql), which
-- stores them in lift.rollups; both get the same numbers from the same text.
--
-- Installed per session as temporary functions, like the report's:
--   SELECT * FROM pg_temp.lift_unit_aggs(metrics, currency, store_currency)
--
-- A shopper u (columns unit, t0, lo, hi and the window ends b1, b2, ...) has
--   aggs     float8[]: each aggregate over the shopper's events in [lo, hi), in `layout`
--            order: a sum of values or a count of events of some types over [t0, t0 +
--            window) or, for a CUPED covariate, over [t0 - pre, t0);
--   cur_lo, cur_hi   the lowest and highest currency code of the events with a value
--            (without a reporting currency: a report refuses several);
--   x_n, x_cur       events left out for a currency without a rate, and their currencies
--            (with a reporting currency);
--   ts_last  the latest event read.
-- [lo, hi) is [t0 - longest pre-period, t0 + longest window), cut at the report's as-of;
-- for a shopper who saw several variants it is empty (they are excluded).
--
-- A metric's aggregates do not depend on the as-of once its window has elapsed (t0 +
-- window <= as_of), which is the only time a report counts them, and a CUPED covariate
-- never does (t0 < as_of): so aggregates stored without the cut at as-of give every
-- report the same numbers as raw data, as long as no event of the shopper's range lies
-- at or after the as-of (ts_last < as_of) and none arrived since they were stored. This is
-- the rule by which a report reads lift.rollups (docs/statistics.md, Rollups).

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

-- What a set of metrics needs per shopper, for the reporting currency `currency` (NULL:
-- the events' own) with rates quoted in store_currency (NULL: in `currency`):
--   layout       the aggregates, in the order of aggs (SQL text; the refresh stores it)
--   xpos, dpos, zpos   per metric (in the order of metric_keys): the place in aggs of its
--                value, of its denominator (ratio) and of its covariate (CUPED), or NULL
--   max_window, max_pre   the longest window and pre-period, as exact durations
--   bound_cols   ", <t0 +/- span> AS b1, ..." over a shopper row u
--   body         SELECT aggs, cur_lo, cur_hi, x_n, x_cur, ts_last for the shopper u
--   fingerprint  md5 of everything the numbers depend on: the text above (windows, types,
--                thresholds are in it), the currencies and, with a reporting currency,
--                the fx rates
CREATE OR REPLACE FUNCTION pg_temp.lift_unit_aggs(
    metric_keys text[], currency text DEFAULT NULL, store_currency text DEFAULT NULL,
    OUT layout text[], OUT xpos integer[], OUT dpos integer[], OUT zpos integer[],
    OUT max_window interval, OUT max_pre interval, OUT bound_cols text, OUT body text,
    OUT fingerprint text)
LANGUAGE plpgsql STABLE
SET TimeZone = 'UTC' AS $fn$
DECLARE
    m lift.metrics;
    pos integer;
    types text[] := '{}';
    bounds text[] := '{}';  -- per shopper window ends: 't0 + 14 days', 't0 - 28 days', ...
    type_code text;         -- an event's type as a bit
    fx text;                -- an event's conversion factor into the reporting currency
    event_cols text;        -- what the aggregates read of each event
    currency_aggs text;     -- per shopper: events left out, or the currencies seen
    rates text := '';
BEGIN
    layout := '{}';
    xpos := '{}';
    dpos := '{}';
    zpos := '{}';
    max_window := interval '0';
    max_pre := interval '0';
    FOR m IN SELECT * FROM lift.metrics WHERE key = ANY (metric_keys)
             ORDER BY array_position(metric_keys, key) LOOP
        max_window := greatest(max_window, m.window_length);
        SELECT * INTO layout, bounds, types, pos FROM pg_temp.lift_agg(layout, bounds, types,
            m.aggregation, m.event_types, m.window_length, false);
        xpos := xpos || pos;
        pos := NULL;
        IF m.kind = 'ratio' THEN
            SELECT * INTO layout, bounds, types, pos FROM pg_temp.lift_agg(layout, bounds, types,
                m.den_aggregation, m.den_event_types, m.window_length, false);
        END IF;
        dpos := dpos || pos;
        pos := NULL;
        IF m.cuped_pre IS NOT NULL THEN
            max_pre := greatest(max_pre, m.cuped_pre);
            SELECT * INTO layout, bounds, types, pos FROM pg_temp.lift_agg(layout, bounds, types,
                m.aggregation, m.event_types, m.cuped_pre, true);
        END IF;
        zpos := zpos || pos;
    END LOOP;
    max_window := pg_temp.lift_span(max_window);
    max_pre := pg_temp.lift_span(max_pre);
    IF cardinality(layout) = 0 THEN
        RETURN;
    END IF;
    SELECT string_agg(format(', %s AS b%s', b, o), '') INTO bound_cols
      FROM unnest(bounds) WITH ORDINALITY AS t(b, o);
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
        currency_aggs := '(min(e.currency) FILTER (WHERE e.value IS NOT NULL))::text AS cur_lo, '
                         '(max(e.currency) FILTER (WHERE e.value IS NOT NULL))::text AS cur_hi, '
                         '0::bigint AS x_n, NULL::text[] AS x_cur';
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
        currency_aggs := 'NULL::text AS cur_lo, NULL::text AS cur_hi, '
                         'count(*) FILTER (WHERE e.tb = 0) AS x_n, '
                         'array_agg(e.currency::text) FILTER (WHERE e.tb = 0) AS x_cur';
        SELECT coalesce(string_agg(format('%s %s %s', r.currency, r.day, r.rate), ','
                                   ORDER BY r.currency, r.day), '')
          INTO rates FROM lift.fx_rates r;
    END IF;
    body := format('SELECT ARRAY[%s]::float8[] AS aggs, %s, max(e.ts) AS ts_last'
                   ' FROM (SELECT %s WHERE e.unit = u.unit AND e.ts >= u.lo AND e.ts < u.hi'
                   ' AND e.type = ANY (%L) OFFSET 0) e',
                   array_to_string(layout, ', '), currency_aggs, event_cols, types);
    fingerprint := md5(concat_ws(E'\n', body, bound_cols, max_window, max_pre, currency,
                                 store_currency, md5(rates)));
END
$fn$;
