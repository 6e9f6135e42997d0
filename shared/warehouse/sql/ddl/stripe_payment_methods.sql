-- Stripe payment methods attached to customers, nightly mirror (card expiry decides validity).
CREATE TABLE IF NOT EXISTS billing_mirror.stripe_payment_methods (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  customer_id STRING NOT NULL,
  payment_method_type STRING NOT NULL,
  card_exp_month INT64,
  card_exp_year INT64,
  created TIMESTAMP
)
PARTITION BY snapshot_date
CLUSTER BY customer_id
OPTIONS (require_partition_filter = TRUE);
