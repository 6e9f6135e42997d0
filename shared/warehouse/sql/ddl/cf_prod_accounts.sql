-- cf_prod accounts: the account type as the product database knows it.
CREATE TABLE IF NOT EXISTS billing_mirror.cf_prod_accounts (
  snapshot_date DATE NOT NULL,
  account_id STRING NOT NULL,
  account_type STRING NOT NULL,
  created TIMESTAMP
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
