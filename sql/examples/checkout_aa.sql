-- An A/A test: two variants that serve the same experience, to check the whole pipeline
-- (bucketing, logging, analysis) end to end. Its report should show no sample ratio
-- mismatch and, 95 times in 100, no significant difference. Runs on every shopper, outside
-- any layer, alongside the other experiments (independent seeds keep them independent).
BEGIN;

INSERT INTO lift.experiments (key, name, hypothesis, status, primary_metric, target_mde)
VALUES ('checkout_aa', 'Checkout A/A',
        'No difference: both variants serve the same checkout.', 'running', 'conversion', 0.10);

INSERT INTO lift.variants (experiment, key, weight, is_control, payload) VALUES
  ('checkout_aa', 'a', 0.5, true, '{"checkout": "v1"}'),
  ('checkout_aa', 'b', 0.5, false, '{"checkout": "v1"}');

COMMIT;
