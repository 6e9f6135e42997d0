-- Stripe prices, nightly mirror (recurring prices only are sold).
CREATE TABLE IF NOT EXISTS billing_mirror.stripe_prices (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  product_id STRING NOT NULL,
  unit_amount INT64 NOT NULL,
  currency STRING NOT NULL,
  recurring_interval STRING NOT NULL,
  active BOOL NOT NULL,
  created TIMESTAMP,
  metadata STRING
)
PARTITION BY snapshot_date
CLUSTER BY id
OPTIONS (require_partition_filter = TRUE);
