-- Element classification: exactly one class per line item, first match wins (docs/domain-rules.md):
--   1 contract  2 bad_debt_item  3 deleted_from_ope  4 delayed_upgrade  5 missing_price  6 expected_in_stripe
-- and the element's drift kinds, in the fixed order missing_item, extra_item, interval, price, quantity,
-- missing_price. One row per element per snapshot date.
WITH classified AS (
  SELECT
    li.*,
    CASE
      WHEN COALESCE(li.ope_item_is_contract, FALSE)
        OR COALESCE(li.ope_subscription_is_contract, FALSE)
        OR COALESCE(li.stripe_item_is_contract, FALSE)
        OR COALESCE(li.stripe_subscription_is_contract, FALSE)
        THEN 'contract'
      WHEN li.dunning_state = 'bad_debt' OR COALESCE(li.on_uncollectible_invoice, FALSE)
        THEN 'bad_debt_item'
      WHEN li.ope_item_id IS NULL OR li.ope_deleted OR li.ope_subscription_status = 'canceled'
        THEN 'deleted_from_ope'
      WHEN li.scheduled_change_effective_at IS NOT NULL AND li.scheduled_change_effective_at > li.as_of
        THEN 'delayed_upgrade'
      WHEN li.desired_price_id IS NULL
        THEN 'missing_price'
      ELSE 'expected_in_stripe'
    END AS element_class
  FROM billing_observability.line_items AS li
),
flags AS (
  SELECT
    c.*,
    c.element_class = 'expected_in_stripe' AND c.stripe_item_id IS NULL AS drift_missing_item,
    c.element_class = 'deleted_from_ope' AND c.stripe_item_id IS NOT NULL AS drift_extra_item,
    c.element_class = 'expected_in_stripe' AND c.stripe_item_id IS NOT NULL
      AND c.stripe_interval IS DISTINCT FROM c.ope_interval AS drift_interval,
    c.element_class = 'expected_in_stripe' AND c.stripe_item_id IS NOT NULL
      AND c.stripe_price_id IS DISTINCT FROM c.desired_price_id AS drift_price,
    c.element_class = 'expected_in_stripe' AND c.stripe_item_id IS NOT NULL
      AND c.stripe_quantity IS DISTINCT FROM c.effective_quantity AS drift_quantity,
    c.element_class = 'missing_price' AS drift_missing_price
  FROM classified AS c
)
SELECT
  f.*,
  ARRAY_CONCAT(
    IF(f.drift_missing_item, ['missing_item'], ARRAY<STRING>[]),
    IF(f.drift_extra_item, ['extra_item'], ARRAY<STRING>[]),
    IF(f.drift_interval, ['interval'], ARRAY<STRING>[]),
    IF(f.drift_price, ['price'], ARRAY<STRING>[]),
    IF(f.drift_quantity, ['quantity'], ARRAY<STRING>[]),
    IF(f.drift_missing_price, ['missing_price'], ARRAY<STRING>[])
  ) AS drift_kinds,
  f.drift_missing_item OR f.drift_extra_item OR f.drift_interval OR f.drift_price OR f.drift_quantity
    OR f.drift_missing_price AS has_drift
FROM flags AS f
