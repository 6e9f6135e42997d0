-- Items of each account's live Stripe subscriptions, per snapshot date, with their price and the facts
-- the classification needs:
--   ope_match_rank  among items of the account carrying the same metadata.ope_item_id, 1 = lowest id
--   ope_item_exists the account has an OPE item with that id (so rank 1 is a match)
--   on_uncollectible_invoice  listed on an invoice of the customer whose status is uncollectible
WITH uncollectible AS (
  SELECT DISTINCT inv.snapshot_date, inv.customer_id, item_id
  FROM billing_observability.stripe_invoices_metadata AS inv, UNNEST(inv.subscription_item_ids) AS item_id
  WHERE inv.status = 'uncollectible'
),
items AS (
  SELECT
    sub.snapshot_date,
    sub.account_id,
    sub.customer_id,
    sub.stripe_subscription_id,
    sub.is_contract AS stripe_subscription_is_contract,
    i.id AS stripe_item_id,
    i.quantity AS stripe_quantity,
    i.ope_item_id,
    i.is_contract AS stripe_item_is_contract,
    i.price_id AS stripe_price_id,
    p.recurring_interval AS stripe_interval,
    p.unit_amount AS stripe_unit_amount,
    p.currency AS stripe_price_currency
  FROM billing_observability.stripe_account_subscriptions AS sub
  JOIN billing_observability.stripe_subscription_items_metadata AS i
    ON i.snapshot_date = sub.snapshot_date AND i.subscription_id = sub.stripe_subscription_id
  LEFT JOIN billing_observability.stripe_prices_metadata AS p
    ON p.snapshot_date = i.snapshot_date AND p.id = i.price_id
  WHERE sub.is_live
)
SELECT
  items.*,
  IF(
    items.ope_item_id IS NULL,
    NULL,
    ROW_NUMBER() OVER (
      PARTITION BY items.snapshot_date, items.account_id, items.ope_item_id IS NULL, items.ope_item_id
      ORDER BY items.stripe_item_id
    )
  ) AS ope_match_rank,
  oi.id IS NOT NULL AS ope_item_exists,
  u.item_id IS NOT NULL AS on_uncollectible_invoice
FROM items
LEFT JOIN billing_observability.ope_items_metadata AS oi
  ON oi.snapshot_date = items.snapshot_date AND oi.account_id = items.account_id AND oi.id = items.ope_item_id
LEFT JOIN uncollectible AS u
  ON u.snapshot_date = items.snapshot_date AND u.customer_id = items.customer_id AND u.item_id = items.stripe_item_id
