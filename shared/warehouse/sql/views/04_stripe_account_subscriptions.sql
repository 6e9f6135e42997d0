-- Stripe subscriptions of each account (through subs_customer -> Stripe customer), per snapshot date.
-- ope_match_rank = 1 marks the live subscription that matches its OPE subscription: when several live
-- ones carry the same metadata.ope_subscription_id, the lowest Stripe id wins (docs/domain-rules.md).
SELECT
  acct.snapshot_date,
  acct.account_id,
  s.id AS stripe_subscription_id,
  s.customer_id,
  s.status,
  s.currency,
  s.cancel_at_period_end,
  s.current_period_end,
  s.ope_subscription_id,
  s.is_contract,
  s.is_live,
  IF(
    s.is_live AND s.ope_subscription_id IS NOT NULL,
    ROW_NUMBER() OVER (
      PARTITION BY acct.snapshot_date, acct.account_id, s.is_live AND s.ope_subscription_id IS NOT NULL, s.ope_subscription_id
      ORDER BY s.id
    ),
    NULL
  ) AS ope_match_rank
FROM billing_observability.account_snapshot AS acct
JOIN billing_observability.stripe_subscriptions_metadata AS s
  ON s.snapshot_date = acct.snapshot_date AND s.customer_id = acct.stripe_customer_id
