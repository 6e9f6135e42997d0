-- Stripe subscriptions of each account (through subs_customer -> Stripe customer), per snapshot date.
-- Reads subs_customer directly (not account_snapshot): only the mapping is needed here.
-- is_ope_match marks the live subscription that matches its OPE subscription: when several live ones
-- carry the same metadata.ope_subscription_id, the lowest Stripe id wins (docs/domain-rules.md).
WITH subs AS (
  SELECT
    sc.snapshot_date,
    sc.account_id,
    s.id AS stripe_subscription_id,
    s.customer_id,
    s.status,
    s.currency,
    s.cancel_at_period_end,
    s.current_period_end,
    s.ope_subscription_id,
    s.is_contract,
    s.is_live
  FROM billing_mirror.subs_customer AS sc
  JOIN billing_observability.stripe_subscriptions_metadata AS s
    ON s.snapshot_date = sc.snapshot_date AND s.customer_id = sc.stripe_customer_id
),
first_live AS (
  SELECT snapshot_date, account_id, ope_subscription_id, MIN(stripe_subscription_id) AS stripe_subscription_id
  FROM subs
  WHERE is_live AND ope_subscription_id IS NOT NULL
  GROUP BY snapshot_date, account_id, ope_subscription_id
)
SELECT
  subs.*,
  first_live.stripe_subscription_id IS NOT NULL AS is_ope_match
FROM subs
LEFT JOIN first_live
  ON first_live.snapshot_date = subs.snapshot_date
  AND first_live.account_id = subs.account_id
  AND first_live.stripe_subscription_id = subs.stripe_subscription_id
