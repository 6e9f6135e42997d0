-- subs-api zone records: the source of truth for a zone's plan level.
CREATE TABLE IF NOT EXISTS billing_mirror.subs_api_zones (
  snapshot_date DATE NOT NULL,
  zone_id STRING NOT NULL,
  account_id STRING NOT NULL,
  plan_level STRING NOT NULL,
  subscription_id STRING,
  updated_at TIMESTAMP
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
