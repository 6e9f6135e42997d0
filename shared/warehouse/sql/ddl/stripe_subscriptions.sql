-- Stripe subscriptions, nightly mirror. metadata JSON string carries ope_subscription_id and contract.
CREATE TABLE IF NOT EXISTS billing_mirror.stripe_subscriptions (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  customer_id STRING NOT NULL,
  status STRING NOT NULL,
  currency STRING NOT NULL,
  cancel_at_period_end BOOL NOT NULL,
  current_period_start TIMESTAMP,
  current_period_end TIMESTAMP,
  trial_end TIMESTAMP,
  created TIMESTAMP,
  metadata STRING
)
PARTITION BY snapshot_date
CLUSTER BY customer_id
OPTIONS (require_partition_filter = TRUE);
