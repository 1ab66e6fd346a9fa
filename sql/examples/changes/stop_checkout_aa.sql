-- A stop: liftd stops serving checkout_aa within a second (shoppers get the storefront's
-- default), and its reports keep working. `liftctl start checkout_aa` (or status =
-- 'running') resumes the same phase: the seed is unchanged, so shoppers get their variants
-- back. The same as `liftctl stop checkout_aa`.
UPDATE lift.experiments SET status = 'stopped' WHERE key = 'checkout_aa';
