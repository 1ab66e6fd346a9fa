-- One experiment's settings for a report: $1 = experiment key. The metrics are the primary
-- first, then the experiment's list (every defined metric when it has none). The reporting
-- currency is the experiment's, else the store's (lift.settings), else NULL (the events'
-- one currency); rates are quoted in the store's.
SELECT e.key, e.name, e.hypothesis, e.status, e.kind, e.phase, e.primary_metric,
       array_prepend(e.primary_metric,
                     array_remove(coalesce(e.metrics,
                                           (SELECT array_agg(key ORDER BY key) FROM lift.metrics)),
                                  e.primary_metric)) AS metrics,
       e.target_mde, e.target_power, e.start_at, e.end_at,
       e.currency AS experiment_currency, s.currency AS store_currency,
       coalesce(e.revenue_metric, 'revenue_per_shopper') AS revenue_metric
FROM lift.experiments e
LEFT JOIN lift.settings s ON true
WHERE e.key = $1
