-- The global holdout: 5% of shoppers see no personalization at all (they are in no other
-- experiment), so the whole personalization programme can be measured against them:
-- `liftctl report global_holdout` compares the programme (95%) with the holdout.
-- Kind "holdout": its control variant is the holdout. It has a layer of its own.
BEGIN;

INSERT INTO lift.layers (name, description)
VALUES ('global_holdout', 'The global holdout; nothing else uses this layer');

INSERT INTO lift.experiments (key, name, hypothesis, kind, status, layer, layer_start,
                              layer_end, primary_metric, target_mde)
VALUES ('global_holdout', 'Global holdout',
        'Personalization as a whole makes shoppers spend more than no personalization.',
        'holdout', 'running', 'global_holdout', 0, 1, 'revenue_per_shopper', 0.05);

INSERT INTO lift.variants (experiment, key, weight, is_control) VALUES
  ('global_holdout', 'holdout', 0.05, true),
  ('global_holdout', 'programme', 0.95, false);

COMMIT;
