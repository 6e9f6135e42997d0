-- The drift lifecycle of each account, as its latest word landed in the audit table (docs/design.md,
-- "Drift lifecycle"; Firestore driftcontrol_lifecycle holds it transactionally, this is its export):
-- plan-apply's final rows and detection's exclusions of persistent drift carry the record in
-- result_json.lifecycle. Joins the drift tables and cfbill_migrations_audit on account_id and date. One
-- row per drift system and account: the latest of those words.
SELECT * EXCEPT (position, words)
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
    JSON_VALUE(f.result_json, '$.lifecycle.lastOutcome') AS last_outcome,
    JSON_VALUE(f.result_json, '$.lifecycle.lastTrigger') AS last_trigger,
    f.run_id,
    f.snapshot_date,
    f.finished_at AS as_of,
    ROW_NUMBER() OVER (PARTITION BY f.system, f.account_id ORDER BY f.finished_at, f.run_id) AS position,
    COUNT(*) OVER (PARTITION BY f.system, f.account_id) AS words
  FROM billing_observability.audit_final_outcomes AS f
  WHERE f.stage IN ('plan_apply', 'detect') AND f.account_id IS NOT NULL
    AND JSON_VALUE(f.result_json, '$.lifecycle.status') IS NOT NULL
)
WHERE position = words
