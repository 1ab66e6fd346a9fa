-- When an experiment's phase first exposed a shopper, whatever the as-of: $1 = experiment
-- key, $2 = phase.
SELECT min(ts) AS first FROM lift.exposures WHERE experiment = $1 AND phase = $2
