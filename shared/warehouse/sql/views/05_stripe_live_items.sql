-- Items of each account's live Stripe subscriptions, per snapshot date, with their price and the facts
-- the classification needs:
--   is_ope_match  the item matches its OPE item: the account has an OPE item with its metadata.ope_item_id
--                 and, among the account's live items carrying that id, this one has the lowest id
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
),
first_item AS (
  SELECT snapshot_date, account_id, ope_item_id, MIN(stripe_item_id) AS stripe_item_id
  FROM items
  WHERE ope_item_id IS NOT NULL
  GROUP BY snapshot_date, account_id, ope_item_id
)
SELECT
  items.*,
  first_item.stripe_item_id IS NOT NULL AND oi.id IS NOT NULL AS is_ope_match,
  u.item_id IS NOT NULL AS on_uncollectible_invoice
FROM items
LEFT JOIN first_item
  ON first_item.snapshot_date = items.snapshot_date
  AND first_item.account_id = items.account_id
  AND first_item.stripe_item_id = items.stripe_item_id
LEFT JOIN billing_mirror.ope_items AS oi
  ON oi.snapshot_date = items.snapshot_date AND oi.account_id = items.account_id AND oi.id = items.ope_item_id
LEFT JOIN uncollectible AS u
  ON u.snapshot_date = items.snapshot_date AND u.customer_id = items.customer_id AND u.item_id = items.stripe_item_id
