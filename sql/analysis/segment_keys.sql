-- The attributes an experiment's shoppers carried at first exposure, to name them when a
-- report is asked for one they do not: $1 = experiment key, $2 = phase, $3 = as of.
SELECT DISTINCT k AS attribute
FROM lift.assignments x,
     jsonb_object_keys(CASE WHEN jsonb_typeof(x.attrs) = 'object' THEN x.attrs ELSE '{}' END) AS k
WHERE x.experiment = $1 AND x.phase = $2 AND x.first_ts < $3
ORDER BY 1
