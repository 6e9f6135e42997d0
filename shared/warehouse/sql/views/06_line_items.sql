-- The elements (line items) of every account per snapshot date (docs/domain-rules.md, "Elements"):
--   1. every OPE item of every OPE subscription (key = OPE item id) with its matched Stripe item, if any;
--   2. every Stripe item of a live subscription that no OPE item matched (key = 'stripe:' + item id).
-- Each row carries every input the classification reads, so 07_line_item_classification is pure logic.
WITH live_items AS (
  SELECT * FROM billing_observability.stripe_live_items
),
ope AS (
  SELECT
    i.snapshot_date,
    s.account_id,
    i.id AS ope_item_id,
    i.subscription_id AS ope_subscription_id,
    i.deleted AS ope_deleted,
    i.is_contract AS ope_item_is_contract,
    s.is_contract AS ope_subscription_is_contract,
    s.status AS ope_subscription_status,
    s.billing_interval AS ope_interval,
    s.currency AS ope_currency,
    i.scheduled_change_effective_at,
    -- Effective OPE values: a scheduled change whose time has come has taken effect.
    IF(
      i.scheduled_change_effective_at IS NOT NULL AND i.scheduled_change_effective_at <= TIMESTAMP(i.snapshot_date),
      COALESCE(i.scheduled_change_product_id, i.product_id),
      i.product_id
    ) AS effective_product_id,
    IF(
      i.scheduled_change_effective_at IS NOT NULL AND i.scheduled_change_effective_at <= TIMESTAMP(i.snapshot_date),
      COALESCE(i.scheduled_change_quantity, i.quantity),
      i.quantity
    ) AS effective_quantity
  FROM billing_observability.ope_items_metadata AS i
  JOIN billing_observability.ope_subscriptions_metadata AS s
    ON s.snapshot_date = i.snapshot_date AND s.id = i.subscription_id
),
elements AS (
  SELECT
    ope.snapshot_date,
    ope.account_id,
    ope.ope_item_id AS element_key,
    ope.ope_item_id,
    ope.ope_subscription_id,
    ope.ope_deleted,
    ope.ope_item_is_contract,
    ope.ope_subscription_is_contract,
    ope.ope_subscription_status,
    ope.ope_interval,
    ope.ope_currency,
    ope.scheduled_change_effective_at,
    ope.effective_product_id,
    ope.effective_quantity,
    si.stripe_item_id,
    si.stripe_subscription_id,
    si.stripe_item_is_contract,
    si.stripe_subscription_is_contract,
    si.stripe_price_id,
    si.stripe_interval,
    si.stripe_quantity,
    si.on_uncollectible_invoice
  FROM ope
  LEFT JOIN live_items AS si
    ON si.snapshot_date = ope.snapshot_date
    AND si.account_id = ope.account_id
    AND si.ope_item_id = ope.ope_item_id
    AND si.is_ope_match
  UNION ALL
  SELECT
    si.snapshot_date,
    si.account_id,
    CONCAT('stripe:', si.stripe_item_id) AS element_key,
    CAST(NULL AS STRING) AS ope_item_id,
    CAST(NULL AS STRING) AS ope_subscription_id,
    CAST(NULL AS BOOL) AS ope_deleted,
    CAST(NULL AS BOOL) AS ope_item_is_contract,
    CAST(NULL AS BOOL) AS ope_subscription_is_contract,
    CAST(NULL AS STRING) AS ope_subscription_status,
    CAST(NULL AS STRING) AS ope_interval,
    CAST(NULL AS STRING) AS ope_currency,
    CAST(NULL AS TIMESTAMP) AS scheduled_change_effective_at,
    CAST(NULL AS STRING) AS effective_product_id,
    CAST(NULL AS INT64) AS effective_quantity,
    si.stripe_item_id,
    si.stripe_subscription_id,
    si.stripe_item_is_contract,
    si.stripe_subscription_is_contract,
    si.stripe_price_id,
    si.stripe_interval,
    si.stripe_quantity,
    si.on_uncollectible_invoice
  FROM live_items AS si
  WHERE NOT si.is_ope_match
)
SELECT
  e.*,
  TIMESTAMP(e.snapshot_date) AS as_of,
  COALESCE(dun.state, 'none') AS dunning_state,
  -- Desired price: billing_prod entry for (effective product, OPE interval, OPE currency).
  bp.stripe_price_id AS desired_price_id
FROM elements AS e
LEFT JOIN billing_mirror.subs_dunning AS dun
  ON dun.snapshot_date = e.snapshot_date AND dun.account_id = e.account_id
LEFT JOIN billing_mirror.billing_prod AS bp
  ON bp.snapshot_date = e.snapshot_date
  AND bp.product_id = e.effective_product_id
  AND bp.billing_interval = e.ope_interval
  AND bp.currency = e.ope_currency
