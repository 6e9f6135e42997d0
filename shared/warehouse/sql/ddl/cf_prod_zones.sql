-- cf_prod zones of each account, with the plan level the product database holds.
CREATE TABLE IF NOT EXISTS billing_mirror.cf_prod_zones (
  snapshot_date DATE NOT NULL,
  zone_id STRING NOT NULL,
  account_id STRING NOT NULL,
  plan_level STRING NOT NULL
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
