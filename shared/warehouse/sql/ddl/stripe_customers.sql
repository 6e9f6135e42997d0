-- Stripe customers, nightly mirror. metadata: the customer's Stripe metadata as a JSON string (bad_debt, cf_account_id).
CREATE TABLE IF NOT EXISTS billing_mirror.stripe_customers (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  created TIMESTAMP,
  deleted BOOL NOT NULL,
  currency STRING,
  default_payment_method_id STRING,
  metadata STRING
)
PARTITION BY snapshot_date
CLUSTER BY id
OPTIONS (require_partition_filter = TRUE);
