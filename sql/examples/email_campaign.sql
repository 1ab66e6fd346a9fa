-- An email campaign measured like any experiment, with its exposures coming from the email
-- system, not from the storefront: a win-back email for lapsed shoppers, generic against
-- personalized recommendations in the email.
--
-- The audience requires attr.channel=email, which only the email system sends, so the
-- storefront's /v1/assign never returns (or logs) this experiment. The email system:
--
--   1. asks which variant each recipient gets, without logging it (expose=0):
--        curl 'http://liftd:8080/v1/assign?unit=shopper-42&experiment=winback_email&attr.channel=email&expose=0'
--        -> {"unit":"shopper-42","assignments":[{"experiment":"winback_email",
--            "variant":"personalized","variant_index":1,"payload":{"template":"recs-v2"}}]}
--   2. sends the email with that variant's template;
--   3. reports the send as the exposure, with its own id (a retry stores nothing twice):
--        curl -X POST http://liftd:8080/v1/exposures -H 'Authorization: Bearer KEY' \
--          -H 'Content-Type: application/json' \
--          -d '{"exposures":[{"event_id":"email-2026-12-01-shopper-42","unit":"shopper-42",
--               "experiment":"winback_email","variant":"personalized",
--               "ts":"2026-12-01T09:00:00Z","attrs":{"channel":"email"}}]}'
--
-- Orders then come from the storefront as usual (POST /v1/events), and
-- `liftctl report winback_email` measures conversion and revenue from the send (t0).
BEGIN;

INSERT INTO lift.audiences (key, description)
VALUES ('email_recipients', 'Evaluated by the email system (attr.channel=email) only');

INSERT INTO lift.audience_conditions (audience, attribute, op, value)
VALUES ('email_recipients', 'channel', 'eq', '"email"');

INSERT INTO lift.experiments (key, name, hypothesis, status, audience, primary_metric,
                              metrics, target_mde)
VALUES ('winback_email', 'Win-back email',
        'Personalized recommendations in the win-back email bring more lapsed shoppers back.',
        'running', 'email_recipients', 'conversion', '{revenue_per_shopper}', 0.15);

INSERT INTO lift.variants (experiment, key, name, weight, is_control, payload) VALUES
  ('winback_email', 'generic', 'Best-sellers email', 0.5, true, '{"template": "generic-v1"}'),
  ('winback_email', 'personalized', 'Recommendations email', 0.5, false,
   '{"template": "recs-v2"}');

COMMIT;
