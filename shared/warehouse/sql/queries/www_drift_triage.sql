-- Every zone with WWW drift on @snapshot_date, with its disposition (new / persistent / excluded) and
-- every exclusion reason, like stripe_drift_triage.sql. A zone is persistent when it drifted yesterday
-- too; excluded when its account's type is not self-serve.
WITH today AS (
  SELECT *
  FROM billing_observability.www_zone_drift
  WHERE snapshot_date = @snapshot_date
),
yesterday AS (
  SELECT zone_id
  FROM billing_observability.www_zone_drift
  WHERE snapshot_date = DATE_SUB(@snapshot_date, INTERVAL 1 DAY)
),
accounts AS (
  SELECT account_id, is_supported_account_type, subs_account_type, cf_prod_account_type
  FROM billing_observability.account_snapshot
  WHERE snapshot_date = @snapshot_date
),
judged AS (
  SELECT
    t.*,
    COALESCE(a.is_supported_account_type, FALSE) AS is_supported_account_type,
    y.zone_id IS NOT NULL AS is_persistent,
    ARRAY_CONCAT(
      IF(NOT COALESCE(a.is_supported_account_type, FALSE),
        [CONCAT('unsupported_account_type:', COALESCE(a.subs_account_type, 'unknown'), '/', COALESCE(a.cf_prod_account_type, 'unknown'))],
        ARRAY<STRING>[]),
      IF(y.zone_id IS NOT NULL, ['persistent_drift'], ARRAY<STRING>[])
    ) AS exclusion_reasons
  FROM today AS t
  LEFT JOIN yesterday AS y
    ON y.zone_id = t.zone_id
  LEFT JOIN accounts AS a
    ON a.account_id = t.account_id
)
SELECT
  snapshot_date,
  zone_id,
  account_id,
  www_plan_level,
  subs_api_plan_level,
  drift_kind,
  CASE
    WHEN NOT is_supported_account_type THEN 'excluded'
    WHEN is_persistent THEN 'persistent'
    ELSE 'new'
  END AS disposition,
  exclusion_reasons
FROM judged
ORDER BY zone_id
