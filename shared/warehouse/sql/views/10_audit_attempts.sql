-- Every audited attempt once. BigQuery's insertId de-duplication is best-effort, so a redelivered audit
-- event can land twice; its row_id is deterministic (docs/design.md, "Audit"), so rows sharing a row_id are
-- one attempt: the first landed is kept. Read this, not the table, whenever counting.
SELECT * EXCEPT (copy_number)
FROM (
  SELECT
    a.*,
    ROW_NUMBER() OVER (PARTITION BY a.row_id ORDER BY a.finished_at, a.started_at) AS copy_number
  FROM billing_audit.cfbill_migrations_audit AS a
)
WHERE copy_number = 1
