-- What the week's tickets were about, per taxonomy version, week and molecule ('unclassified' for the
-- tickets no atom fitted), against the weeks before: one row per molecule with tickets that week.
--   tickets              the molecule's tickets that week
--   week_tickets         every ticket of that week and version; share = tickets / week_tickets
--   classification_rate  the share of the week's tickets that are not unclassified
--   prev_4w_avg          the molecule's mean weekly tickets over the 4 (prev_26w_avg: 26) weeks before,
--                        over the weeks of that version that had tickets (a week without this molecule
--                        counts 0); NULL when no such week; delta_vs_4w = tickets - prev_4w_avg
-- Previous weeks by a self-join on the week grid, not a window frame (weeks without tickets have no row).
WITH tickets AS (
  SELECT
    taxonomy_version,
    week,
    COALESCE(molecule, 'unclassified') AS molecule,
    atom != 'unclassified' AS is_classified
  FROM billing_observability.ticket_classifications_latest
),
weeks AS (
  SELECT taxonomy_version, week, COUNT(*) AS week_tickets, COUNTIF(is_classified) AS classified_tickets
  FROM tickets
  GROUP BY taxonomy_version, week
),
counts AS (
  SELECT taxonomy_version, week, molecule, COUNT(*) AS tickets
  FROM tickets
  GROUP BY taxonomy_version, week, molecule
),
-- Every week of a version with every molecule the version has seen, 0 where the week had none of it.
grid AS (
  SELECT
    w.taxonomy_version,
    w.week,
    m.molecule,
    w.week_tickets,
    w.classified_tickets,
    COALESCE(c.tickets, 0) AS tickets
  FROM weeks AS w
  JOIN (SELECT DISTINCT taxonomy_version, molecule FROM tickets) AS m
    ON m.taxonomy_version = w.taxonomy_version
  LEFT JOIN counts AS c
    ON c.taxonomy_version = w.taxonomy_version AND c.week = w.week AND c.molecule = m.molecule
),
history AS (
  SELECT
    g.taxonomy_version,
    g.week,
    g.molecule,
    AVG(IF(p.week >= DATE_SUB(g.week, INTERVAL 28 DAY), p.tickets, NULL)) AS prev_4w_avg,
    AVG(p.tickets) AS prev_26w_avg
  FROM grid AS g
  JOIN grid AS p
    ON p.taxonomy_version = g.taxonomy_version
    AND p.molecule = g.molecule
    AND p.week < g.week
    AND p.week >= DATE_SUB(g.week, INTERVAL 182 DAY)
  WHERE g.tickets > 0
  GROUP BY g.taxonomy_version, g.week, g.molecule
)
SELECT
  g.taxonomy_version,
  g.week,
  g.molecule,
  g.tickets,
  g.week_tickets,
  g.tickets / g.week_tickets AS share,
  g.classified_tickets / g.week_tickets AS classification_rate,
  h.prev_4w_avg,
  h.prev_26w_avg,
  g.tickets - h.prev_4w_avg AS delta_vs_4w
FROM grid AS g
LEFT JOIN history AS h
  ON h.taxonomy_version = g.taxonomy_version AND h.week = g.week AND h.molecule = g.molecule
WHERE g.tickets > 0
