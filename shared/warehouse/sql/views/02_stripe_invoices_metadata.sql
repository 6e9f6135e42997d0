-- Layer 3 of 3 for Stripe invoices: typed metadata fields.
-- cf_account_id must name the account (invoice metadata drift otherwise).
SELECT
  m.* EXCEPT (metadata_json),
  JSON_VALUE(m.metadata_json, '$.cf_account_id') AS cf_account_id
FROM billing_observability.stripe_invoices_metadata_json AS m
