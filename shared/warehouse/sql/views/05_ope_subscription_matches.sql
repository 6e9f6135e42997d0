-- Every OPE subscription per snapshot date with the live Stripe subscription it matches (if any).
SELECT
  o.snapshot_date,
  o.account_id,
  o.id AS ope_subscription_id,
  o.status AS ope_status,
  o.billing_interval,
  o.currency AS ope_currency,
  o.cancel_at_period_end AS ope_cancel_at_period_end,
  o.is_contract AS ope_is_contract,
  s.stripe_subscription_id,
  s.currency AS stripe_currency,
  s.cancel_at_period_end AS stripe_cancel_at_period_end,
  s.is_contract AS stripe_is_contract
FROM billing_observability.ope_subscriptions_metadata AS o
LEFT JOIN billing_observability.stripe_account_subscriptions AS s
  ON s.snapshot_date = o.snapshot_date
  AND s.account_id = o.account_id
  AND s.ope_subscription_id = o.id
  AND s.is_ope_match
