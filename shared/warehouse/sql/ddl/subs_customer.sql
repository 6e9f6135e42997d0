-- subs_customer: account -> Stripe customer (NULL when the account has none).
CREATE TABLE IF NOT EXISTS billing_mirror.subs_customer (
  snapshot_date DATE NOT NULL,
  account_id STRING NOT NULL,
  stripe_customer_id STRING,
  updated_at TIMESTAMP
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
