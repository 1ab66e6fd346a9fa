-- bench/report's data: 1,000,000 shoppers exposed to "bigexp" over 60 days and 5,000,000
-- events (page views, orders, refunds) around them. Seeded; takes a minute or two.
BEGIN;
INSERT INTO lift.experiments (key, name, status) VALUES ('bigexp', 'Big experiment', 'running');
INSERT INTO lift.variants (experiment, key, weight) VALUES
  ('bigexp', 'control', 0.5), ('bigexp', 'personalized', 0.5);
COMMIT;
SELECT setseed(0.7);
CREATE TEMP TABLE shoppers AS
SELECT i, 's' || i AS unit,
       CASE WHEN random() < 0.5 THEN 'control' ELSE 'personalized' END AS variant,
       timestamptz '2026-01-01' + random() * interval '60 days' AS t0,
       CASE WHEN random() < 0.6 THEN 'mobile' ELSE 'desktop' END AS device
FROM generate_series(1, 1000000) i;
INSERT INTO lift.exposures (event_id, unit, experiment, variant, phase, ts, attrs)
SELECT 'x' || i, unit, 'bigexp', variant, 1, t0, jsonb_build_object('device', device)
FROM shoppers;
-- 5 events per shopper: 85% page views, 12% orders, 3% refunds, from 20 days before the
-- first exposure to 100 days after it (so every window and pre-period has events).
INSERT INTO lift.events (event_id, unit, type, value, currency, ts)
SELECT 'e' || i || '-' || k, unit, type,
       CASE type WHEN 'order' THEN round((20 + 200 * random())::numeric, 2)
                 WHEN 'refund' THEN -round((20 + 50 * random())::numeric, 2) END,
       'EUR', t0 + (random() * 120 - 20) * interval '1 day'
FROM (SELECT i, unit, t0, k,
             CASE WHEN r < 0.85 THEN 'page_view' WHEN r < 0.97 THEN 'order' ELSE 'refund' END AS type
      FROM (SELECT s.i, s.unit, s.t0, k, random() AS r
            FROM shoppers s CROSS JOIN generate_series(1, 5) k OFFSET 0) draws) q;
ANALYZE lift.exposures;
ANALYZE lift.events;
