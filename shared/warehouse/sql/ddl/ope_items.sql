-- OPE subscription items, with deletions and scheduled changes (a change that takes effect at scheduled_change_effective_at). metadata JSON string carries contract.
CREATE TABLE IF NOT EXISTS billing_mirror.ope_items (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  subscription_id STRING NOT NULL,
  account_id STRING NOT NULL,
  product_id STRING NOT NULL,
  quantity INT64 NOT NULL,
  deleted BOOL NOT NULL,
  deleted_at TIMESTAMP,
  scheduled_change_effective_at TIMESTAMP,
  scheduled_change_product_id STRING,
  scheduled_change_quantity INT64,
  created TIMESTAMP,
  metadata STRING
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
