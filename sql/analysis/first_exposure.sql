-- When an experiment's phase first exposed a shopper, whatever the as-of: $1 = experiment
-- key, $2 = phase.
SELECT min(first_ts) AS first FROM lift.assignments WHERE experiment = $1 AND phase = $2
