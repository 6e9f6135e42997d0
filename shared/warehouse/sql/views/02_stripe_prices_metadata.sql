-- Layer 3 of 3 for Stripe prices: typed metadata fields (legacy = a grandfathered price billing_prod no
-- longer sells; informational, the rules compare price ids).
SELECT
  m.* EXCEPT (metadata_json),
  COALESCE(JSON_VALUE(m.metadata_json, '$.legacy') = 'true', FALSE) AS is_legacy
FROM billing_observability.stripe_prices_metadata_json AS m
