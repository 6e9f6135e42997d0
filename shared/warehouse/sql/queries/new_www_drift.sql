-- New WWW drift on @snapshot_date: zones drifting today and not yesterday, on self-serve accounts.
-- Excluded zones and their reasons come from the sibling query www_drift_triage.sql.
WITH today AS (
  SELECT zone_id, account_id, www_plan_level, subs_api_plan_level, drift_kind
  FROM billing_observability.www_zone_drift
  WHERE snapshot_date = @snapshot_date
),
yesterday AS (
  SELECT zone_id
  FROM billing_observability.www_zone_drift
  WHERE snapshot_date = DATE_SUB(@snapshot_date, INTERVAL 1 DAY)
),
accounts AS (
  SELECT account_id
  FROM billing_observability.account_snapshot
  WHERE snapshot_date = @snapshot_date AND is_supported_account_type
)
SELECT t.zone_id, t.account_id, t.www_plan_level, t.subs_api_plan_level, t.drift_kind
FROM today AS t
JOIN accounts AS a
  ON a.account_id = t.account_id
LEFT JOIN yesterday AS y
  ON y.zone_id = t.zone_id
WHERE y.zone_id IS NULL
ORDER BY t.zone_id
