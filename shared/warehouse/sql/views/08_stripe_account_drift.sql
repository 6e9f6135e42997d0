-- Stripe drift, one row per account per snapshot date (every account in subs_account, drifting or not):
-- element drift aggregated from the classification plus the account drift kinds (docs/domain-rules.md):
--   status, missing_subscription, currency, bad_debt_flag, invoice_metadata.
-- has_drift: any element drift kind or any account drift kind.
-- Two grouped passes and one join (each join or aggregation over millions of rows costs about a scan):
--   per_key      elements and OPE subscriptions together, per (account, OPE subscription or none): the
--                element totals and the subscription facts (status, currency, missing_subscription)
--   per_account  per_key and the account's invoices together, per account
WITH per_key AS (
  SELECT
    snapshot_date,
    account_id,
    ope_subscription_id,
    COUNTIF(is_element) AS element_count,
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
    LOGICAL_OR(drift_missing_price) AS any_missing_price,
    LOGICAL_OR(sub_status) AS any_status,
    LOGICAL_OR(sub_currency) AS any_currency,
    -- missing_subscription: an OPE subscription with an expected_in_stripe element and no live Stripe match.
    ope_subscription_id IS NOT NULL
      AND COUNTIF(element_class = 'expected_in_stripe') > 0
      AND COALESCE(LOGICAL_OR(sub_unmatched), FALSE) AS any_missing_subscription
  FROM (
    SELECT
      snapshot_date,
      account_id,
      ope_subscription_id,
      TRUE AS is_element,
      has_drift,
      element_class,
      drift_missing_item,
      drift_extra_item,
      drift_interval,
      drift_price,
      drift_quantity,
      drift_missing_price,
      CAST(NULL AS BOOL) AS sub_status,
      CAST(NULL AS BOOL) AS sub_currency,
      CAST(NULL AS BOOL) AS sub_unmatched
    FROM billing_observability.line_item_classification
    UNION ALL
    SELECT
      m.snapshot_date,
      m.account_id,
      m.ope_subscription_id,
      FALSE AS is_element,
      CAST(NULL AS BOOL) AS has_drift,
      CAST(NULL AS STRING) AS element_class,
      CAST(NULL AS BOOL) AS drift_missing_item,
      CAST(NULL AS BOOL) AS drift_extra_item,
      CAST(NULL AS BOOL) AS drift_interval,
      CAST(NULL AS BOOL) AS drift_price,
      CAST(NULL AS BOOL) AS drift_quantity,
      CAST(NULL AS BOOL) AS drift_missing_price,
      m.ope_status != 'canceled' AND NOT m.ope_is_contract
        AND m.stripe_subscription_id IS NOT NULL AND NOT m.stripe_is_contract
        AND m.ope_cancel_at_period_end != m.stripe_cancel_at_period_end AS sub_status,
      m.stripe_subscription_id IS NOT NULL AND m.stripe_currency != m.ope_currency AS sub_currency,
      m.stripe_subscription_id IS NULL AS sub_unmatched
    FROM billing_observability.ope_subscription_matches AS m
  )
  GROUP BY snapshot_date, account_id, ope_subscription_id
),
per_account AS (
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
    LOGICAL_OR(any_missing_price) AS any_missing_price,
    LOGICAL_OR(any_status) AS any_status,
    LOGICAL_OR(any_missing_subscription) AS any_missing_subscription,
    LOGICAL_OR(any_currency) AS any_currency,
    COUNTIF(invoice_uncollectible) AS uncollectible_invoice_count,
    LOGICAL_OR(invoice_metadata) AS any_invoice_metadata
  FROM (
    SELECT
      k.*,
      CAST(NULL AS BOOL) AS invoice_uncollectible,
      CAST(NULL AS BOOL) AS invoice_metadata
    FROM per_key AS k
    UNION ALL
    SELECT
      sc.snapshot_date,
      sc.account_id,
      CAST(NULL AS STRING) AS ope_subscription_id,
      CAST(NULL AS INT64) AS element_count,
      CAST(NULL AS INT64) AS drifting_element_count,
      CAST(NULL AS INT64) AS expected_in_stripe_count,
      CAST(NULL AS INT64) AS bad_debt_item_count,
      CAST(NULL AS INT64) AS deleted_from_ope_count,
      CAST(NULL AS INT64) AS contract_count,
      CAST(NULL AS INT64) AS delayed_upgrade_count,
      CAST(NULL AS INT64) AS missing_price_count,
      CAST(NULL AS BOOL) AS any_missing_item,
      CAST(NULL AS BOOL) AS any_extra_item,
      CAST(NULL AS BOOL) AS any_interval,
      CAST(NULL AS BOOL) AS any_price,
      CAST(NULL AS BOOL) AS any_quantity,
      CAST(NULL AS BOOL) AS any_missing_price,
      CAST(NULL AS BOOL) AS any_status,
      CAST(NULL AS BOOL) AS any_currency,
      CAST(NULL AS BOOL) AS any_missing_subscription,
      inv.status = 'uncollectible' AS invoice_uncollectible,
      inv.status != 'void' AND inv.cf_account_id IS DISTINCT FROM sc.account_id AS invoice_metadata
    FROM billing_mirror.subs_customer AS sc
    JOIN billing_observability.stripe_invoices_metadata AS inv
      ON inv.snapshot_date = sc.snapshot_date AND inv.customer_id = sc.stripe_customer_id
  )
  GROUP BY snapshot_date, account_id
),
account_flags AS (
  SELECT
    acct.*,
    COALESCE(pa.element_count, 0) AS element_count,
    COALESCE(pa.drifting_element_count, 0) AS drifting_element_count,
    COALESCE(pa.expected_in_stripe_count, 0) AS expected_in_stripe_count,
    COALESCE(pa.bad_debt_item_count, 0) AS bad_debt_item_count,
    COALESCE(pa.deleted_from_ope_count, 0) AS deleted_from_ope_count,
    COALESCE(pa.contract_count, 0) AS contract_count,
    COALESCE(pa.delayed_upgrade_count, 0) AS delayed_upgrade_count,
    COALESCE(pa.missing_price_count, 0) AS missing_price_count,
    COALESCE(pa.uncollectible_invoice_count, 0) AS uncollectible_invoice_count,
    COALESCE(pa.any_missing_item, FALSE) AS any_missing_item,
    COALESCE(pa.any_extra_item, FALSE) AS any_extra_item,
    COALESCE(pa.any_interval, FALSE) AS any_interval,
    COALESCE(pa.any_price, FALSE) AS any_price,
    COALESCE(pa.any_quantity, FALSE) AS any_quantity,
    COALESCE(pa.any_missing_price, FALSE) AS any_missing_price,
    -- A bad-debt account's subscriptions belong to the bad-debt path: no status drift (docs/domain-rules.md).
    COALESCE(pa.any_status, FALSE) AND COALESCE(acct.dunning_state, 'none') != 'bad_debt' AS drift_status,
    COALESCE(pa.any_missing_subscription, FALSE) AS drift_missing_subscription,
    COALESCE(pa.any_currency, FALSE) AS drift_currency,
    acct.stripe_customer_found AND NOT acct.stripe_customer_deleted
      AND acct.stripe_bad_debt_flag != (acct.dunning_state = 'bad_debt') AS drift_bad_debt_flag,
    COALESCE(pa.any_invoice_metadata, FALSE) AS drift_invoice_metadata
  FROM billing_observability.account_snapshot AS acct
  LEFT JOIN per_account AS pa
    ON pa.snapshot_date = acct.snapshot_date AND pa.account_id = acct.account_id
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
