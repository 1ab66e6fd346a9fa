-- Metric definitions for a report, in the order asked: $1 = metric keys.
SELECT key, name, description, kind, direction = 'lower' AS lower_is_better, guardrail,
       extract(epoch FROM window_length) / 86400 AS window_days, winsor_pct,
       extract(epoch FROM cuped_pre) / 86400 AS pre_days
FROM lift.metrics
WHERE key = ANY ($1::text[])
ORDER BY array_position($1::text[], key)
