-- An experiment's variants, the control first: $1 = experiment key.
SELECT key, weight
FROM lift.variants
WHERE experiment = $1
ORDER BY is_control DESC, position
