-- The drift lifecycle of each account, as its latest word landed in the audit table (docs/design.md,
-- "Drift lifecycle"; Firestore driftcontrol_lifecycle holds it transactionally, this is its export):
-- plan-apply's final rows carry the record in result_json.lifecycle; detection's exclusions of persistent
-- drift say "open since yesterday's snapshot at least". Joins the drift tables and cfbill_migrations_audit
-- on account_id and date. One row per drift system and account: the latest of those words.
SELECT * EXCEPT (position, words)
FROM (
  SELECT
    w.*,
    ROW_NUMBER() OVER (PARTITION BY w.system, w.account_id ORDER BY w.as_of, w.run_id) AS position,
    COUNT(*) OVER (PARTITION BY w.system, w.account_id) AS words
  FROM (
    SELECT
      f.system,
      f.account_id,
      JSON_VALUE(f.result_json, '$.lifecycle.status') AS status,
      JSON_VALUE(f.result_json, '$.lifecycle.signature') AS signature,
      TIMESTAMP(JSON_VALUE(f.result_json, '$.lifecycle.firstSeenAt')) AS first_seen_at,
      TIMESTAMP(JSON_VALUE(f.result_json, '$.lifecycle.lastSeenAt')) AS last_seen_at,
      TIMESTAMP(JSON_VALUE(f.result_json, '$.lifecycle.healedAt')) AS healed_at,
      CAST(JSON_VALUE(f.result_json, '$.lifecycle.attempts') AS INT64) AS attempts,
      f.outcome AS last_outcome,
      f.trigger AS last_trigger,
      f.run_id,
      f.snapshot_date,
      f.finished_at AS as_of
    FROM billing_observability.audit_final_outcomes AS f
    WHERE f.stage = 'plan_apply' AND JSON_VALUE(f.result_json, '$.lifecycle.status') IS NOT NULL
    UNION ALL
    SELECT
      f.system,
      f.account_id,
      'persistent' AS status,
      CAST(NULL AS STRING) AS signature,
      TIMESTAMP(DATE_SUB(f.snapshot_date, INTERVAL 1 DAY)) AS first_seen_at,
      f.finished_at AS last_seen_at,
      CAST(NULL AS TIMESTAMP) AS healed_at,
      0 AS attempts,
      f.outcome AS last_outcome,
      f.trigger AS last_trigger,
      f.run_id,
      f.snapshot_date,
      f.finished_at AS as_of
    FROM billing_observability.audit_final_outcomes AS f
    WHERE f.stage = 'detect' AND f.error_code = 'persistent_drift' AND f.account_id IS NOT NULL
  ) AS w
)
WHERE position = words
