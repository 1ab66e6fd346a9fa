-- The benchmark's experiment config: four running experiments, two sharing a layer, one
-- with an audience, and a 5% global holdout.
BEGIN;
INSERT INTO lift.layers (name) VALUES ('homepage'), ('holdout');
INSERT INTO lift.audiences (key) VALUES ('handheld');
INSERT INTO lift.audience_conditions (audience, attribute, op, value)
VALUES ('handheld', 'device', 'in', '["mobile", "tablet"]');
INSERT INTO lift.experiments (key, name, status, layer, layer_start, layer_end)
VALUES ('homepage_recs', 'Homepage recs', 'running', 'homepage', 0, 0.5),
       ('homepage_banner', 'Homepage banner', 'running', 'homepage', 0.5, 1);
INSERT INTO lift.experiments (key, name, status, audience)
VALUES ('search_rank', 'Search ranking', 'running', 'handheld');
INSERT INTO lift.experiments (key, name, status, kind, layer)
VALUES ('global_holdout', 'Global holdout', 'running', 'holdout', 'holdout');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('homepage_recs', 'control', 0.5, '{"recs": "generic"}'),
  ('homepage_recs', 'personalized', 0.5, '{"recs": "ml", "slots": 8}'),
  ('homepage_banner', 'control', 0.5, '{}'),
  ('homepage_banner', 'personalized', 0.5, '{"banner": "affinity"}'),
  ('search_rank', 'control', 0.5, '{}'),
  ('search_rank', 'personalized', 0.5, '{"ranker": "ltr-v3"}'),
  ('global_holdout', 'holdout', 0.05, '{}'),
  ('global_holdout', 'personalized', 0.95, '{}');
COMMIT;
