-- Every account with Stripe drift on @snapshot_date, with its disposition for detection and audit:
--   new         drifting today, not yesterday, supported account type: a remediation candidate
--   persistent  drifting today and yesterday: never auto-remediated (needs a human)
--   excluded    enterprise / unsupported account type (contract paths set their state)
-- exclusion_reasons lists every reason that applies (persistent_drift, unsupported_account_type:...),
-- so "why didn't it fire" has one complete answer. Both partitions are named explicitly so BigQuery
-- prunes every mirror table to @snapshot_date and the day before.
WITH drifting AS (
  SELECT snapshot_date, account_id, stripe_customer_id, subs_account_type, cf_prod_account_type, dunning_state,
    is_supported_account_type, element_drift_kinds, account_drift_kinds, drifting_element_count
  FROM billing_observability.stripe_account_drift
  WHERE snapshot_date IN (@snapshot_date, DATE_SUB(@snapshot_date, INTERVAL 1 DAY)) AND has_drift
),
today AS (
  SELECT * FROM drifting WHERE snapshot_date = @snapshot_date
),
yesterday AS (
  SELECT account_id FROM drifting WHERE snapshot_date = DATE_SUB(@snapshot_date, INTERVAL 1 DAY)
),
judged AS (
  SELECT
    t.*,
    y.account_id IS NOT NULL AS is_persistent,
    ARRAY_CONCAT(
      IF(NOT t.is_supported_account_type,
        [CONCAT('unsupported_account_type:', COALESCE(t.subs_account_type, 'unknown'), '/', COALESCE(t.cf_prod_account_type, 'unknown'))],
        ARRAY<STRING>[]),
      IF(y.account_id IS NOT NULL, ['persistent_drift'], ARRAY<STRING>[])
    ) AS exclusion_reasons
  FROM today AS t
  LEFT JOIN yesterday AS y
    ON y.account_id = t.account_id
)
SELECT
  snapshot_date,
  account_id,
  stripe_customer_id,
  subs_account_type,
  cf_prod_account_type,
  dunning_state,
  element_drift_kinds,
  account_drift_kinds,
  drifting_element_count,
  CASE
    WHEN NOT is_supported_account_type THEN 'excluded'
    WHEN is_persistent THEN 'persistent'
    ELSE 'new'
  END AS disposition,
  exclusion_reasons
FROM judged
ORDER BY account_id
