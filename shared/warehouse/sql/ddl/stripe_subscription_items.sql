-- Stripe subscription items, nightly mirror. metadata JSON string carries ope_item_id and contract.
CREATE TABLE IF NOT EXISTS billing_mirror.stripe_subscription_items (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  subscription_id STRING NOT NULL,
  price_id STRING NOT NULL,
  quantity INT64 NOT NULL,
  created TIMESTAMP,
  metadata STRING
)
PARTITION BY snapshot_date
CLUSTER BY subscription_id
OPTIONS (require_partition_filter = TRUE);
