-- The www database's zones: plan level as www shows it (WWW drift compares it with subs-api).
CREATE TABLE IF NOT EXISTS billing_mirror.www_zones (
  snapshot_date DATE NOT NULL,
  zone_id STRING NOT NULL,
  account_id STRING NOT NULL,
  plan_level STRING NOT NULL,
  updated_at TIMESTAMP
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
