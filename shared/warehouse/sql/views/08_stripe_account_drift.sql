-- Stripe drift, one row per account per snapshot date (every account in subs_account, drifting or not):
-- element drift aggregated from the classification plus the account drift kinds (docs/domain-rules.md):
--   status, missing_subscription, currency, bad_debt_flag, invoice_metadata.
-- has_drift: any element drift kind or any account drift kind.
WITH per_subscription AS (
  -- One pass over the classification, per (account, OPE subscription or none): the account totals and
  -- the "has an expected_in_stripe element" fact the missing_subscription rule needs.
  SELECT
    snapshot_date,
    account_id,
    ope_subscription_id,
    COUNT(*) AS element_count,
    COUNTIF(has_drift) AS drifting_element_count,
    COUNTIF(element_class = 'expected_in_stripe') AS expected_in_stripe_count,
    COUNTIF(element_class = 'bad_debt_item') AS bad_debt_item_count,
    COUNTIF(element_class = 'deleted_from_ope') AS deleted_from_ope_count,
    COUNTIF(element_class = 'contract') AS contract_count,
    COUNTIF(element_class = 'delayed_upgrade') AS delayed_upgrade_count,
    COUNTIF(element_class = 'missing_price') AS missing_price_count,
    LOGICAL_OR(drift_missing_item) AS any_missing_item,
    LOGICAL_OR(drift_extra_item) AS any_extra_item,
    LOGICAL_OR(drift_interval) AS any_interval,
    LOGICAL_OR(drift_price) AS any_price,
    LOGICAL_OR(drift_quantity) AS any_quantity,
    LOGICAL_OR(drift_missing_price) AS any_missing_price
  FROM billing_observability.line_item_classification
  GROUP BY snapshot_date, account_id, ope_subscription_id
),
element_agg AS (
  SELECT
    snapshot_date,
    account_id,
    SUM(element_count) AS element_count,
    SUM(drifting_element_count) AS drifting_element_count,
    SUM(expected_in_stripe_count) AS expected_in_stripe_count,
    SUM(bad_debt_item_count) AS bad_debt_item_count,
    SUM(deleted_from_ope_count) AS deleted_from_ope_count,
    SUM(contract_count) AS contract_count,
    SUM(delayed_upgrade_count) AS delayed_upgrade_count,
    SUM(missing_price_count) AS missing_price_count,
    LOGICAL_OR(any_missing_item) AS any_missing_item,
    LOGICAL_OR(any_extra_item) AS any_extra_item,
    LOGICAL_OR(any_interval) AS any_interval,
    LOGICAL_OR(any_price) AS any_price,
    LOGICAL_OR(any_quantity) AS any_quantity,
    LOGICAL_OR(any_missing_price) AS any_missing_price
  FROM per_subscription
  GROUP BY snapshot_date, account_id
),
expected_subs AS (
  SELECT snapshot_date, account_id, ope_subscription_id
  FROM per_subscription
  WHERE expected_in_stripe_count > 0 AND ope_subscription_id IS NOT NULL
),
sub_agg AS (
  SELECT
    m.snapshot_date,
    m.account_id,
    LOGICAL_OR(
      m.ope_status != 'canceled' AND NOT m.ope_is_contract
      AND m.stripe_subscription_id IS NOT NULL AND NOT m.stripe_is_contract
      AND m.ope_cancel_at_period_end != m.stripe_cancel_at_period_end
    ) AS any_status,
    LOGICAL_OR(m.stripe_subscription_id IS NULL AND e.ope_subscription_id IS NOT NULL) AS any_missing_subscription,
    LOGICAL_OR(m.stripe_subscription_id IS NOT NULL AND m.stripe_currency != m.ope_currency) AS any_currency
  FROM billing_observability.ope_subscription_matches AS m
  LEFT JOIN expected_subs AS e
    ON e.snapshot_date = m.snapshot_date AND e.account_id = m.account_id AND e.ope_subscription_id = m.ope_subscription_id
  GROUP BY m.snapshot_date, m.account_id
),
invoice_agg AS (
  SELECT
    sc.snapshot_date,
    sc.account_id,
    COUNTIF(inv.status = 'uncollectible') AS uncollectible_invoice_count,
    LOGICAL_OR(inv.status != 'void' AND inv.cf_account_id IS DISTINCT FROM sc.account_id) AS any_invoice_metadata
  FROM billing_mirror.subs_customer AS sc
  JOIN billing_observability.stripe_invoices_metadata AS inv
    ON inv.snapshot_date = sc.snapshot_date AND inv.customer_id = sc.stripe_customer_id
  GROUP BY sc.snapshot_date, sc.account_id
),
account_flags AS (
  SELECT
    acct.*,
    COALESCE(ea.element_count, 0) AS element_count,
    COALESCE(ea.drifting_element_count, 0) AS drifting_element_count,
    COALESCE(ea.expected_in_stripe_count, 0) AS expected_in_stripe_count,
    COALESCE(ea.bad_debt_item_count, 0) AS bad_debt_item_count,
    COALESCE(ea.deleted_from_ope_count, 0) AS deleted_from_ope_count,
    COALESCE(ea.contract_count, 0) AS contract_count,
    COALESCE(ea.delayed_upgrade_count, 0) AS delayed_upgrade_count,
    COALESCE(ea.missing_price_count, 0) AS missing_price_count,
    COALESCE(ia.uncollectible_invoice_count, 0) AS uncollectible_invoice_count,
    COALESCE(ea.any_missing_item, FALSE) AS any_missing_item,
    COALESCE(ea.any_extra_item, FALSE) AS any_extra_item,
    COALESCE(ea.any_interval, FALSE) AS any_interval,
    COALESCE(ea.any_price, FALSE) AS any_price,
    COALESCE(ea.any_quantity, FALSE) AS any_quantity,
    COALESCE(ea.any_missing_price, FALSE) AS any_missing_price,
    -- A bad-debt account's subscriptions belong to the bad-debt path: no status drift (docs/domain-rules.md).
    COALESCE(sa.any_status, FALSE) AND COALESCE(acct.dunning_state, 'none') != 'bad_debt' AS drift_status,
    COALESCE(sa.any_missing_subscription, FALSE) AS drift_missing_subscription,
    COALESCE(sa.any_currency, FALSE) AS drift_currency,
    acct.stripe_customer_found AND NOT acct.stripe_customer_deleted
      AND acct.stripe_bad_debt_flag != (acct.dunning_state = 'bad_debt') AS drift_bad_debt_flag,
    COALESCE(ia.any_invoice_metadata, FALSE) AS drift_invoice_metadata
  FROM billing_observability.account_snapshot AS acct
  LEFT JOIN element_agg AS ea
    ON ea.snapshot_date = acct.snapshot_date AND ea.account_id = acct.account_id
  LEFT JOIN sub_agg AS sa
    ON sa.snapshot_date = acct.snapshot_date AND sa.account_id = acct.account_id
  LEFT JOIN invoice_agg AS ia
    ON ia.snapshot_date = acct.snapshot_date AND ia.account_id = acct.account_id
)
SELECT
  f.*,
  ARRAY_CONCAT(
    IF(f.any_missing_item, ['missing_item'], ARRAY<STRING>[]),
    IF(f.any_extra_item, ['extra_item'], ARRAY<STRING>[]),
    IF(f.any_interval, ['interval'], ARRAY<STRING>[]),
    IF(f.any_price, ['price'], ARRAY<STRING>[]),
    IF(f.any_quantity, ['quantity'], ARRAY<STRING>[]),
    IF(f.any_missing_price, ['missing_price'], ARRAY<STRING>[])
  ) AS element_drift_kinds,
  ARRAY_CONCAT(
    IF(f.drift_status, ['status'], ARRAY<STRING>[]),
    IF(f.drift_missing_subscription, ['missing_subscription'], ARRAY<STRING>[]),
    IF(f.drift_currency, ['currency'], ARRAY<STRING>[]),
    IF(f.drift_bad_debt_flag, ['bad_debt_flag'], ARRAY<STRING>[]),
    IF(f.drift_invoice_metadata, ['invoice_metadata'], ARRAY<STRING>[])
  ) AS account_drift_kinds,
  f.drifting_element_count > 0
    OR f.drift_status OR f.drift_missing_subscription OR f.drift_currency
    OR f.drift_bad_debt_flag OR f.drift_invoice_metadata AS has_drift
FROM account_flags AS f
