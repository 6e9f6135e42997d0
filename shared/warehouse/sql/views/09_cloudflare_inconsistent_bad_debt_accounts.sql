-- The bad-debt drift table support reads (docs/design.md): one row per account per snapshot date whose bad-debt state disagrees across
-- stores: subs_dunning against the Stripe customer's metadata.bad_debt flag (bad_debt_flag drift), or
-- uncollectible Stripe invoices on an account dunning does not hold in bad debt.
SELECT
  d.snapshot_date,
  d.account_id,
  d.stripe_customer_id,
  d.dunning_state,
  d.stripe_bad_debt_flag,
  d.dunning_state = 'bad_debt' AS expected_stripe_bad_debt_flag,
  d.uncollectible_invoice_count,
  d.bad_debt_item_count,
  d.drift_bad_debt_flag,
  CASE
    WHEN d.drift_bad_debt_flag AND d.dunning_state = 'bad_debt' THEN 'stripe_flag_missing'
    WHEN d.drift_bad_debt_flag THEN 'stripe_flag_stale'
    ELSE 'uncollectible_without_bad_debt'
  END AS inconsistency
FROM billing_observability.stripe_account_drift AS d
WHERE d.drift_bad_debt_flag OR (d.uncollectible_invoice_count > 0 AND d.dunning_state != 'bad_debt')
