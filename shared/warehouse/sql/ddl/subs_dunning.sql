-- subs_dunning: dunning / bad-debt state; an account without a row is in state none.
CREATE TABLE IF NOT EXISTS billing_mirror.subs_dunning (
  snapshot_date DATE NOT NULL,
  account_id STRING NOT NULL,
  state STRING NOT NULL,
  since TIMESTAMP
)
PARTITION BY snapshot_date
CLUSTER BY account_id
OPTIONS (require_partition_filter = TRUE);
