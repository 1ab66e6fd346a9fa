-- Metric definitions for a report, in the order asked: $1 = metric keys. `money`: the metric
-- sums event values (revenue, AOV), so it is shown in the reporting currency; `long_term`:
-- the metric's own flag, else a window of 30 days or more.
SELECT key, name, description, kind, direction = 'lower' AS lower_is_better, role,
       coalesce(margin, 0) AS margin,
       coalesce(long_term, window_length >= interval '30 days') AS long_term,
       kind <> 'proportion' AND aggregation = 'sum' AS money,
       extract(epoch FROM window_length) / 86400 AS window_days, winsor_pct,
       extract(epoch FROM cuped_pre) / 86400 AS pre_days
FROM lift.metrics
WHERE key = ANY ($1::text[])
ORDER BY array_position($1::text[], key)
