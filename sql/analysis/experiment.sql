-- One experiment's settings for a report: $1 = experiment key. The metrics are the primary
-- first, then the experiment's list (every defined metric when it has none).
SELECT e.key, e.name, e.hypothesis, e.status, e.kind, e.phase, e.primary_metric,
       array_prepend(e.primary_metric,
                     array_remove(coalesce(e.metrics,
                                           (SELECT array_agg(key ORDER BY key) FROM lift.metrics)),
                                  e.primary_metric)) AS metrics,
       e.target_mde, e.target_power
FROM lift.experiments e
WHERE e.key = $1
