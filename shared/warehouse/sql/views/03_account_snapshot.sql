-- One row per account per snapshot date: the account-level facts every drift rule needs, from
-- subs_account, subs_customer, subs_dunning, cf_prod and the Stripe customer.
-- as_of: a snapshot of date D is the stores' state at D 00:00:00 UTC; every time rule uses it.
-- The account universe is subs_account (every account has a row there).
SELECT
  a.snapshot_date,
  a.account_id,
  TIMESTAMP(a.snapshot_date) AS as_of,
  a.account_type AS subs_account_type,
  cfa.account_type AS cf_prod_account_type,
  -- Unknown or missing types fail closed (docs/domain-rules.md, UnsupportedAccountType).
  COALESCE(a.account_type = 'self_serve' AND cfa.account_type = 'self_serve', FALSE) AS is_supported_account_type,
  a.merged_account_ids,
  c.stripe_customer_id,
  COALESCE(shared.accounts, 0) AS accounts_for_customer,
  COALESCE(d.state, 'none') AS dunning_state,
  cust.id IS NOT NULL AS stripe_customer_found,
  COALESCE(cust.deleted, FALSE) AS stripe_customer_deleted,
  COALESCE(cust.bad_debt_flag, FALSE) AS stripe_bad_debt_flag
FROM billing_mirror.subs_account AS a
LEFT JOIN billing_mirror.subs_customer AS c
  ON c.snapshot_date = a.snapshot_date AND c.account_id = a.account_id
LEFT JOIN billing_mirror.subs_dunning AS d
  ON d.snapshot_date = a.snapshot_date AND d.account_id = a.account_id
LEFT JOIN billing_mirror.cf_prod_accounts AS cfa
  ON cfa.snapshot_date = a.snapshot_date AND cfa.account_id = a.account_id
-- How many accounts subs_customer maps to the same Stripe customer (MergedAccount when > 1). A grouped
-- join, not a window: it is the same count and much cheaper over millions of one-account partitions.
LEFT JOIN (
  SELECT snapshot_date, stripe_customer_id, COUNT(*) AS accounts
  FROM billing_mirror.subs_customer
  WHERE stripe_customer_id IS NOT NULL
  GROUP BY snapshot_date, stripe_customer_id
) AS shared
  ON shared.snapshot_date = a.snapshot_date AND shared.stripe_customer_id = c.stripe_customer_id
LEFT JOIN billing_observability.stripe_customers_metadata AS cust
  ON cust.snapshot_date = a.snapshot_date AND cust.id = c.stripe_customer_id
