-- The drift table support reads (docs/design.md): one row per account per snapshot date for every account whose stores
-- disagree (Stripe drift, WWW drift, or both), with what disagrees.
WITH www AS (
  SELECT snapshot_date, account_id, COUNT(*) AS www_drift_zone_count
  FROM billing_observability.www_zone_drift
  GROUP BY snapshot_date, account_id
)
SELECT
  d.snapshot_date,
  d.account_id,
  d.subs_account_type,
  d.cf_prod_account_type,
  d.is_supported_account_type,
  d.stripe_customer_id,
  d.dunning_state,
  d.has_drift AS has_stripe_drift,
  d.element_count,
  d.drifting_element_count,
  d.expected_in_stripe_count,
  d.bad_debt_item_count,
  d.deleted_from_ope_count,
  d.contract_count,
  d.delayed_upgrade_count,
  d.missing_price_count,
  d.element_drift_kinds,
  d.account_drift_kinds,
  COALESCE(w.www_drift_zone_count, 0) AS www_drift_zone_count,
  ARRAY_CONCAT(
    d.element_drift_kinds,
    d.account_drift_kinds,
    IF(w.www_drift_zone_count > 0, ['www_plan_level'], ARRAY<STRING>[])
  ) AS inconsistency_kinds
FROM billing_observability.stripe_account_drift AS d
LEFT JOIN www AS w
  ON w.snapshot_date = d.snapshot_date AND w.account_id = d.account_id
WHERE d.has_drift OR w.www_drift_zone_count > 0
