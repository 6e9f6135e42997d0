-- The mirror job's completion marker: one row per mirrored table and snapshot date, written after the
-- table's partition has fully landed, with the rows it wrote. Detection judges landing from it (an empty
-- table can be complete; a half-loaded one is not), not from whether a partition has rows.
CREATE TABLE IF NOT EXISTS billing_mirror.mirror_manifest (
  snapshot_date DATE NOT NULL,
  table_name STRING NOT NULL,
  row_count INT64 NOT NULL,
  completed_at TIMESTAMP NOT NULL
)
PARTITION BY snapshot_date
CLUSTER BY table_name
OPTIONS (require_partition_filter = TRUE);
