-- Stripe invoices (recent), nightly mirror. subscription_item_ids: the subscription items billed on the invoice's lines. metadata JSON string carries cf_account_id.
CREATE TABLE IF NOT EXISTS billing_mirror.stripe_invoices (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  customer_id STRING NOT NULL,
  subscription_id STRING,
  status STRING NOT NULL,
  amount_due INT64 NOT NULL,
  currency STRING NOT NULL,
  created TIMESTAMP,
  subscription_item_ids ARRAY<STRING>,
  metadata STRING
)
PARTITION BY snapshot_date
CLUSTER BY customer_id
OPTIONS (require_partition_filter = TRUE);
