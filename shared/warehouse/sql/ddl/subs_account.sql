-- subs_account: account type and the account ids merged into or with the account.
CREATE TABLE IF NOT EXISTS billing_mirror.subs_account (
  snapshot_date DATE NOT NULL,
  account_id STRING NOT NULL,
  account_type STRING NOT NULL,
  merged_account_ids ARRAY<STRING>,
  created TIMESTAMP
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
