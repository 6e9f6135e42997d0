-- Which kinds of ticket come with billing drift: per taxonomy version, week, atom and molecule, the
-- tickets and the accounts they name (ticket_account_drift: drift and heals in the 14 days before each
-- ticket). Every atom with tickets that week has a row, with 0 accounts when its tickets name none.
--   tickets, tickets_naming_accounts    the atom's tickets that week; those naming at least one account
--   accounts_named                      distinct accounts named; accounts_new_drift, _heal_attempted,
--                                       _heal_applied, _heal_blocked: those with that fact for a ticket
--   top_blocking_restriction(_accounts) the restriction that blocked a heal for the most distinct accounts
--                                       (ties: the first name); NULL and 0 when none blocked
WITH tickets AS (
  SELECT
    taxonomy_version,
    week,
    atom,
    molecule,
    COUNT(*) AS tickets,
    COUNTIF(ARRAY_LENGTH(account_ids) > 0) AS tickets_naming_accounts
  FROM billing_observability.ticket_classifications_latest
  GROUP BY taxonomy_version, week, atom, molecule
),
accounts AS (
  SELECT
    taxonomy_version,
    week,
    atom,
    molecule,
    COUNT(DISTINCT account_id) AS accounts_named,
    COUNT(DISTINCT IF(new_drift_14d, account_id, NULL)) AS accounts_new_drift,
    COUNT(DISTINCT IF(heal_attempted, account_id, NULL)) AS accounts_heal_attempted,
    COUNT(DISTINCT IF(heal_applied, account_id, NULL)) AS accounts_heal_applied,
    COUNT(DISTINCT IF(heal_blocked, account_id, NULL)) AS accounts_heal_blocked
  FROM billing_observability.ticket_account_drift
  GROUP BY taxonomy_version, week, atom, molecule
),
restriction_accounts AS (
  SELECT d.taxonomy_version, d.week, d.atom, d.molecule, r AS restriction, COUNT(DISTINCT d.account_id) AS accounts
  FROM billing_observability.ticket_account_drift AS d, UNNEST(d.blocking_restrictions) AS r
  GROUP BY d.taxonomy_version, d.week, d.atom, d.molecule, r
),
-- Most accounts first, then by name: -accounts, as the local BigQuery has no DESC in a window.
top_restriction AS (
  SELECT taxonomy_version, week, atom, molecule, restriction, accounts
  FROM (
    SELECT
      ra.*,
      ROW_NUMBER() OVER (
        PARTITION BY ra.taxonomy_version, ra.week, ra.atom, ra.molecule
        ORDER BY -ra.accounts, ra.restriction
      ) AS position
    FROM restriction_accounts AS ra
  )
  WHERE position = 1
)
SELECT
  t.taxonomy_version,
  t.week,
  t.atom,
  t.molecule,
  t.tickets,
  t.tickets_naming_accounts,
  COALESCE(a.accounts_named, 0) AS accounts_named,
  COALESCE(a.accounts_new_drift, 0) AS accounts_new_drift,
  COALESCE(a.accounts_heal_attempted, 0) AS accounts_heal_attempted,
  COALESCE(a.accounts_heal_applied, 0) AS accounts_heal_applied,
  COALESCE(a.accounts_heal_blocked, 0) AS accounts_heal_blocked,
  tr.restriction AS top_blocking_restriction,
  COALESCE(tr.accounts, 0) AS top_blocking_restriction_accounts
FROM tickets AS t
LEFT JOIN accounts AS a
  ON a.taxonomy_version = t.taxonomy_version AND a.week = t.week AND a.atom = t.atom
  AND a.molecule IS NOT DISTINCT FROM t.molecule
LEFT JOIN top_restriction AS tr
  ON tr.taxonomy_version = t.taxonomy_version AND tr.week = t.week AND tr.atom = t.atom
  AND tr.molecule IS NOT DISTINCT FROM t.molecule
