-- Did the accounts a ticket names have billing drift before it, and what came of healing them? One row
-- per taxonomy version, ticket and account the ticket names (a ticket naming none has no row here; see
-- ticket_atom_drift), from the audit's final outcomes (audit_final_outcomes: a retried attempt counts
-- once) about a moment in [created - 14 days, created]. A scheduled (nightly) fact is dated by the
-- snapshot it is about (the run of day D reads the mirror of D, whenever it ran); an event-driven check
-- or a replay by when it started (its snapshot_date is only the mirror it consulted, and a replay an
-- operator ran because of the ticket must not count as before it):
--   new_drift_14d         detection published the account as new drift (any drift system)
--   persistent_drift_14d  detection excluded it as persistent drift (error_code persistent_drift)
--   heal_attempted        plan-apply reached a final outcome for it (any outcome, dry runs included)
--   heal_applied          ... applied changes; heal_blocked: a restriction blocked the plan
--   blocking_restrictions the restrictions of the blocked attempts (distinct, sorted; [] when none)
--   last_heal_outcome, last_heal_at  the latest plan-apply final outcome in the window and its finished_at
WITH named AS (
  SELECT DISTINCT t.taxonomy_version, t.key, t.week, t.created, t.atom, t.molecule, account_id
  FROM billing_observability.ticket_classifications_latest AS t, UNNEST(t.account_ids) AS account_id
),
facts AS (
  SELECT
    n.taxonomy_version,
    n.key,
    n.account_id,
    f.stage,
    f.outcome,
    f.error_code,
    f.restrictions,
    f.finished_at,
    f.row_id
  FROM named AS n
  JOIN billing_observability.audit_final_outcomes AS f
    ON f.account_id = n.account_id
    AND IF(f.trigger = 'scheduled', TIMESTAMP(f.snapshot_date), f.started_at)
      >= TIMESTAMP_SUB(n.created, INTERVAL 14 DAY)
    AND IF(f.trigger = 'scheduled', TIMESTAMP(f.snapshot_date), f.started_at) <= n.created
  WHERE f.stage IN ('detect', 'plan_apply')
),
-- The latest heal of each ticket and account: the last in ascending order (ROW_NUMBER = COUNT), as the
-- local BigQuery has no DESC in a window's ORDER BY (12_drift_lifecycle does the same).
ranked AS (
  SELECT
    f.*,
    f.stage = 'plan_apply'
      AND ROW_NUMBER() OVER (
        PARTITION BY f.taxonomy_version, f.key, f.account_id, f.stage
        ORDER BY f.finished_at, f.row_id
      ) = COUNT(*) OVER (PARTITION BY f.taxonomy_version, f.key, f.account_id, f.stage) AS is_last_heal
  FROM facts AS f
),
flags AS (
  SELECT
    taxonomy_version,
    key,
    account_id,
    LOGICAL_OR(stage = 'detect' AND outcome = 'published') AS new_drift,
    LOGICAL_OR(stage = 'detect' AND outcome = 'excluded' AND error_code = 'persistent_drift') AS persistent_drift,
    LOGICAL_OR(stage = 'plan_apply') AS heal_attempted,
    LOGICAL_OR(stage = 'plan_apply' AND outcome = 'applied') AS heal_applied,
    LOGICAL_OR(stage = 'plan_apply' AND outcome = 'blocked') AS heal_blocked,
    MAX(IF(is_last_heal, outcome, NULL)) AS last_heal_outcome,
    MAX(IF(is_last_heal, finished_at, NULL)) AS last_heal_at
  FROM ranked
  GROUP BY taxonomy_version, key, account_id
),
blocking AS (
  SELECT f.taxonomy_version, f.key, f.account_id, ARRAY_AGG(DISTINCT r ORDER BY r) AS restrictions
  FROM facts AS f, UNNEST(f.restrictions) AS r
  WHERE f.stage = 'plan_apply' AND f.outcome = 'blocked'
  GROUP BY f.taxonomy_version, f.key, f.account_id
)
SELECT
  n.taxonomy_version,
  n.key,
  n.account_id,
  n.week,
  n.created,
  n.atom,
  n.molecule,
  COALESCE(fl.new_drift, FALSE) AS new_drift_14d,
  COALESCE(fl.persistent_drift, FALSE) AS persistent_drift_14d,
  COALESCE(fl.heal_attempted, FALSE) AS heal_attempted,
  COALESCE(fl.heal_applied, FALSE) AS heal_applied,
  COALESCE(fl.heal_blocked, FALSE) AS heal_blocked,
  COALESCE(b.restrictions, ARRAY<STRING>[]) AS blocking_restrictions,
  fl.last_heal_outcome,
  fl.last_heal_at
FROM named AS n
LEFT JOIN flags AS fl
  ON fl.taxonomy_version = n.taxonomy_version AND fl.key = n.key AND fl.account_id = n.account_id
LEFT JOIN blocking AS b
  ON b.taxonomy_version = n.taxonomy_version AND b.key = n.key AND b.account_id = n.account_id
