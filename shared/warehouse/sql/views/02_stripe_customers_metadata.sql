-- Layer 3 of 3 for Stripe customers: typed metadata fields.
-- bad_debt_flag: metadata.bad_debt = "true" (the flag the bad-debt remediation keeps in sync with dunning).
SELECT
  m.* EXCEPT (metadata_json),
  COALESCE(JSON_VALUE(m.metadata_json, '$.bad_debt') = 'true', FALSE) AS bad_debt_flag,
  JSON_VALUE(m.metadata_json, '$.cf_account_id') AS cf_account_id
FROM billing_observability.stripe_customers_metadata_json AS m
