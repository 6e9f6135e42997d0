-- Layer 2 of 3 for billing_mirror.stripe_customers: the raw row with its metadata extracted as a JSON string.
-- JSON_QUERY(.., '$') keeps valid JSON as-is and yields NULL for a missing or malformed value, which
-- becomes '{}' so the typed layer never has to tell "no metadata" from "broken metadata".
SELECT
  t.* EXCEPT (metadata),
  COALESCE(JSON_QUERY(t.metadata, '$'), '{}') AS metadata_json
FROM billing_mirror.stripe_customers AS t
