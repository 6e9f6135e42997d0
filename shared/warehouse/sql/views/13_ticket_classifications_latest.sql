-- Each ticket as its taxonomy version classified it last (docs/tickets.md): every classification run
-- writes its rows again, so a ticket can have several rows per version; the one with the latest
-- classified_at wins (ties broken by run id). One row per taxonomy version and ticket key, every column
-- of billing_tickets.ticket_classifications. The other ticket views read this, not the table.
SELECT * EXCEPT (position, copies)
FROM (
  SELECT
    t.*,
    ROW_NUMBER() OVER (PARTITION BY t.taxonomy_version, t.key ORDER BY t.classified_at, t.run_id) AS position,
    COUNT(*) OVER (PARTITION BY t.taxonomy_version, t.key) AS copies
  FROM billing_tickets.ticket_classifications AS t
)
WHERE position = copies
