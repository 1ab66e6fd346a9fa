-- The attributes an experiment's exposures carry, to name them when a report is asked for
-- one they do not: $1 = experiment key, $2 = phase, $3 = as of.
SELECT DISTINCT k AS attribute
FROM lift.exposures x,
     jsonb_object_keys(CASE WHEN jsonb_typeof(x.attrs) = 'object' THEN x.attrs ELSE '{}' END) AS k
WHERE x.experiment = $1 AND x.phase = $2 AND x.ts < $3
ORDER BY 1
