-- An audience: a promotional banner for adult shoppers on mobile in Germany, Austria and
-- Switzerland, staff excluded. Only shoppers meeting every condition enter (the storefront
-- sends attr.device, attr.country, attr.age, attr.employee to /v1/assign).
--
-- It starts small: coverage 10% of the audience. Ramp it up with
-- `liftctl ramp mobile_banner --coverage 50%` (or changes/ramp_mobile_banner.sql, or by
-- editing coverage below and applying this file again): shoppers already in keep their
-- variant, new ones enter. `liftctl explain --unit U --attr device=mobile ...` says why a
-- shopper is in or not (which condition fails).
BEGIN;

INSERT INTO lift.audiences (key, description)
VALUES ('mobile_dach', 'Adult mobile shoppers in Germany, Austria, Switzerland, not staff');

INSERT INTO lift.audience_conditions (audience, attribute, op, value) VALUES
  ('mobile_dach', 'device',   'eq',     '"mobile"'),
  ('mobile_dach', 'country',  'in',     '["DE", "AT", "CH"]'),
  ('mobile_dach', 'age',      'gte',    '18'),
  ('mobile_dach', 'employee', 'exists', 'false');

INSERT INTO lift.experiments (key, name, hypothesis, status, audience, coverage,
                              primary_metric, metrics, target_mde)
VALUES ('mobile_banner', 'Mobile promo banner',
        'A personalized promo banner on mobile lifts conversion in DACH.',
        'running', 'mobile_dach', 0.10, 'conversion', '{aov,revenue_per_shopper}', 0.10);

INSERT INTO lift.variants (experiment, key, name, weight, is_control, payload) VALUES
  ('mobile_banner', 'none', 'No banner', 0.5, true, '{"banner": null}'),
  ('mobile_banner', 'banner', 'Personalized banner', 0.5, false,
   '{"banner": "personalized", "placement": "top"}');

COMMIT;
