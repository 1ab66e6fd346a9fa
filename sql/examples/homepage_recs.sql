-- Homepage recommendations: does the personalized carousel make more shoppers buy?
--
-- Control shows the generic best-sellers; "personalized" shows the recommender's picks.
-- A 50/50 split over 80% of the "homepage" layer: the other 20% stays free for the next
-- homepage test, which must not overlap this one (the database refuses overlapping ranges
-- of running experiments in one layer).
--
-- Apply with `liftctl apply sql/examples/homepage_recs.sql` (or `psql -f`). The whole file
-- is one transaction, checked at COMMIT: the weights sum to 1, there are at least two
-- variants, the primary metric exists. A running liftd serves it within a second.
BEGIN;

INSERT INTO lift.layers (name, description)
VALUES ('homepage', 'Tests of the homepage; experiments own disjoint ranges of it');

INSERT INTO lift.experiments (key, name, hypothesis, status, layer, layer_start, layer_end,
                              primary_metric, target_mde, target_power)
VALUES ('homepage_recs', 'Homepage recommendations',
        'Personalized recommendations on the homepage make more shoppers buy within 14 days.',
        'running', 'homepage', 0, 0.8, 'conversion', 0.10, 0.8);

INSERT INTO lift.variants (experiment, key, name, weight, is_control, payload) VALUES
  ('homepage_recs', 'control', 'Best-sellers', 0.5, true,
   '{"recs": "bestsellers", "slots": 8}'),
  ('homepage_recs', 'personalized', 'Personalized picks', 0.5, false,
   '{"recs": "personalized", "model": "two-tower-v2", "slots": 8}');

-- QA: this test account always sees the personalized homepage.
INSERT INTO lift.overrides (experiment, unit, variant, note)
VALUES ('homepage_recs', 'qa-homepage', 'personalized', 'QA test account');

COMMIT;
