-- Layer 2 of 3 for billing_mirror.stripe_customers: the raw row with its metadata extracted as a JSON string.
-- A missing or empty value becomes '{}'. The text is passed through unparsed: the typed layer's JSON_VALUE
-- yields NULL for malformed JSON, so broken metadata reads as "no such key" without a second parse here.
SELECT
  t.* EXCEPT (metadata),
  COALESCE(NULLIF(TRIM(t.metadata), ''), '{}') AS metadata_json
FROM billing_mirror.stripe_customers AS t
