-- WWW drift, one row per drifting zone per snapshot date: the www database's plan level against
-- subs-api's record (the source of truth).
--   plan_level           both have the zone, plan levels differ
--   missing_in_www       subs-api has the zone, www does not
--   missing_in_subs_api  www shows a paid plan (not free) that subs-api has no record of
-- Built from a UNION ALL grouped by (snapshot_date, zone_id), not a FULL JOIN, so a filter on
-- snapshot_date reaches both mirror tables (partition pruning).
WITH zones AS (
  SELECT snapshot_date, zone_id, account_id, plan_level AS www_plan_level, CAST(NULL AS STRING) AS subs_api_plan_level
  FROM billing_mirror.www_zones
  UNION ALL
  SELECT snapshot_date, zone_id, account_id, CAST(NULL AS STRING) AS www_plan_level, plan_level AS subs_api_plan_level
  FROM billing_mirror.subs_api_zones
),
per_zone AS (
  SELECT
    snapshot_date,
    zone_id,
    -- subs-api's account wins when both stores name one.
    COALESCE(MAX(IF(subs_api_plan_level IS NOT NULL, account_id, NULL)), MAX(account_id)) AS account_id,
    MAX(www_plan_level) AS www_plan_level,
    MAX(subs_api_plan_level) AS subs_api_plan_level
  FROM zones
  GROUP BY snapshot_date, zone_id
)
SELECT
  snapshot_date,
  zone_id,
  account_id,
  www_plan_level,
  subs_api_plan_level,
  CASE
    WHEN www_plan_level IS NULL THEN 'missing_in_www'
    WHEN subs_api_plan_level IS NULL THEN 'missing_in_subs_api'
    ELSE 'plan_level'
  END AS drift_kind
FROM per_zone
WHERE
  (www_plan_level IS NULL AND subs_api_plan_level IS NOT NULL)
  OR (subs_api_plan_level IS NULL AND www_plan_level != 'free')
  OR (www_plan_level != subs_api_plan_level)
