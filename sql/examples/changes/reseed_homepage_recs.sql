-- A re-seed: homepage_recs moves from 50/50 to 20/80 (more shoppers on the personalized
-- carousel). Weights cannot change within a phase (shoppers would move between variants),
-- so the same transaction sets a new seed: phase 2 starts, every shopper is re-randomized,
-- and reports analyse the new phase on its own. Without the seed the database refuses:
--   experiment "homepage_recs": variants, weights or hash version changed in phase 1 ...
--   HINT: shoppers would move between variants; set a new seed in the same transaction ...
-- `liftctl apply --plan changes/reseed_homepage_recs.sql` shows the new phase first.
BEGIN;
UPDATE lift.experiments SET seed = 'homepage_recs-phase2' WHERE key = 'homepage_recs';
UPDATE lift.variants SET weight = 0.2 WHERE experiment = 'homepage_recs' AND key = 'control';
UPDATE lift.variants SET weight = 0.8 WHERE experiment = 'homepage_recs' AND key = 'personalized';
COMMIT;
