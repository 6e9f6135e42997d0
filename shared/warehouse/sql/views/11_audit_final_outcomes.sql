-- The final word of each run, stage and subject (the zone for www, else the account): its latest attempt
-- that will not be retried (ties broken by row id). One row per run, stage and subject even when a
-- duplicate audit row landed; the run summaries and "why didn't remediation fire for X" read this.
SELECT * EXCEPT (position, attempts)
FROM (
  SELECT
    a.*,
    ROW_NUMBER() OVER (
      PARTITION BY a.run_id, a.system, a.stage, COALESCE(a.zone_id, a.account_id, '')
      ORDER BY a.finished_at, a.row_id
    ) AS position,
    COUNT(*) OVER (PARTITION BY a.run_id, a.system, a.stage, COALESCE(a.zone_id, a.account_id, '')) AS attempts
  FROM billing_observability.audit_attempts AS a
  WHERE NOT a.will_retry
)
WHERE position = attempts
