-- A ramp: mobile_banner from 10% to 50% of its audience. Within a phase no shopper changes
-- variant: variant i owns [W_i, W_i + coverage * w_i) of the hash range, so more coverage
-- only lets more shoppers in. The same as `liftctl ramp mobile_banner --coverage 50%`.
-- (Applying mobile_banner.sql again afterwards sets the coverage it says: keep the file and
-- the database in step, or `liftctl apply --plan` shows the difference.)
UPDATE lift.experiments SET coverage = 0.5 WHERE key = 'mobile_banner';
