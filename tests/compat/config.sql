-- The experiments the SDK compatibility tests compare on: coverage, uneven weights, hash
-- versions 1 and 2, a layer shared by two experiments, audiences with every operator (string,
-- number and boolean values, a dotted attribute name), QA overrides, the global holdout and a
-- stopped experiment.
BEGIN;
INSERT INTO lift.layers (name) VALUES ('homepage'), ('holdout');
INSERT INTO lift.audiences (key) VALUES ('handheld'), ('big_cart'), ('members'), ('germany');
INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES
  ('handheld', 'device', 'in', '["mobile", "tablet"]'),
  ('big_cart', 'cart_value', 'gte', '50'),
  ('big_cart', 'cart_value', 'lt', '1000'),
  ('big_cart', 'country', 'ne', '"FR"'),
  ('members', 'member', 'eq', 'true'),
  ('members', 'orders', 'in', '[0, 1, "two"]'),
  ('members', 'banned', 'exists', 'false'),
  ('germany', 'geo.country', 'eq', '"DE"'),
  ('germany', 'age', 'nin', '[18, 19]'),
  ('germany', 'visits', 'eq', '3');

INSERT INTO lift.experiments (key, name, kind, status, layer, layer_start, layer_end)
VALUES ('global_holdout', 'Global holdout', 'holdout', 'running', 'holdout', 0, 1);
INSERT INTO lift.variants (experiment, key, weight, payload, is_control) VALUES
  ('global_holdout', 'holdout', 0.1, '{"personalization": false}', true),
  ('global_holdout', 'programme', 0.9, '{"personalization": true}', false);
INSERT INTO lift.overrides (experiment, unit, variant) VALUES ('global_holdout', 'qa-held', 'holdout');

INSERT INTO lift.experiments (key, name, status, layer, layer_start, layer_end, coverage, audience)
VALUES ('hp_recs', 'Homepage recommendations', 'running', 'homepage', 0, 0.5, 0.8, 'handheld');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('hp_recs', 'control', 0.3, '{"recs": "bestsellers", "slots": 8}'),
  ('hp_recs', 'personalized', 0.7, '{"recs": "two-tower", "slots": 8}');
INSERT INTO lift.overrides (experiment, unit, variant) VALUES ('hp_recs', 'qa-1', 'personalized');

INSERT INTO lift.experiments (key, name, status, layer, layer_start, layer_end, hash_version)
VALUES ('hp_banner', 'Homepage banner', 'running', 'homepage', 0.5, 1, 1);
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('hp_banner', 'none', 0.2, '{"banner": null}'),
  ('hp_banner', 'sale', 0.3, '{"banner": "sale"}'),
  ('hp_banner', 'new_in', 0.5, '{"banner": "new-in", "items": [1, 2, 3]}');

INSERT INTO lift.experiments (key, name, status, coverage, audience, seed)
VALUES ('search_rank', 'Search ranking', 'running', 0.6, 'big_cart', 'search-seed-2');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('search_rank', 'control', 0.5, '{"ranker": "bm25"}'),
  ('search_rank', 'learned', 0.5, '{"ranker": "ltr-v3"}');

INSERT INTO lift.experiments (key, name, status, audience)
VALUES ('loyalty', 'Loyalty offer', 'running', 'members');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('loyalty', 'control', 0.25, '"no-offer"'),
  ('loyalty', 'points', 0.75, '"double-points"');

INSERT INTO lift.experiments (key, name, status, audience)
VALUES ('geo_promo', 'German promo', 'running', 'germany');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('geo_promo', 'a', 0.25, '{"promo": 0}'), ('geo_promo', 'b', 0.25, '{"promo": 5}'),
  ('geo_promo', 'c', 0.25, '{"promo": 10}'), ('geo_promo', 'd', 0.25, '{"promo": 15}');

INSERT INTO lift.experiments (key, name, status) VALUES ('checkout_aa', 'Checkout A/A', 'running');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('checkout_aa', 'a', 0.5, '{"checkout": "v1"}'), ('checkout_aa', 'b', 0.5, '{"checkout": "v1"}');
INSERT INTO lift.overrides (experiment, unit, variant) VALUES ('checkout_aa', 'qa-2', 'b');

INSERT INTO lift.experiments (key, name, status) VALUES ('old_test', 'An old test', 'stopped');
INSERT INTO lift.variants (experiment, key, weight, payload) VALUES
  ('old_test', 'control', 0.5, '{"old": true}'), ('old_test', 'variant', 0.5, '{"old": false}');
COMMIT;
