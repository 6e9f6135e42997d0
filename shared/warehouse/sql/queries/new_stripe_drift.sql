-- New Stripe drift on @snapshot_date: accounts drifting today and not yesterday (persistent drift is
-- excluded by design), enterprise / unsupported account types excluded. The excluded accounts and their
-- reasons come from the sibling query stripe_drift_triage.sql (disposition != 'new').
-- The drift view is read once for both partitions (each one named, so both are pruned to), then split.
WITH drifting AS (
  SELECT snapshot_date, account_id, stripe_customer_id, is_supported_account_type, element_drift_kinds,
    account_drift_kinds, drifting_element_count
  FROM billing_observability.stripe_account_drift
  WHERE snapshot_date IN (@snapshot_date, DATE_SUB(@snapshot_date, INTERVAL 1 DAY)) AND has_drift
)
SELECT
  t.account_id,
  t.stripe_customer_id,
  t.element_drift_kinds,
  t.account_drift_kinds,
  t.drifting_element_count
FROM drifting AS t
LEFT JOIN drifting AS y
  ON y.account_id = t.account_id AND y.snapshot_date = DATE_SUB(@snapshot_date, INTERVAL 1 DAY)
WHERE t.snapshot_date = @snapshot_date AND y.account_id IS NULL AND t.is_supported_account_type
ORDER BY t.account_id
