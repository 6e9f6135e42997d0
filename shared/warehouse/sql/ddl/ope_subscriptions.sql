-- OPE (order processing) subscriptions: what the account bought. metadata JSON string carries contract and order attributes.
CREATE TABLE IF NOT EXISTS billing_mirror.ope_subscriptions (
  snapshot_date DATE NOT NULL,
  id STRING NOT NULL,
  account_id STRING NOT NULL,
  status STRING NOT NULL,
  billing_interval STRING NOT NULL,
  currency STRING NOT NULL,
  cancel_at_period_end BOOL NOT NULL,
  created TIMESTAMP,
  canceled_at TIMESTAMP,
  metadata STRING
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
