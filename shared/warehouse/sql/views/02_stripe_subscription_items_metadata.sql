-- Layer 3 of 3 for Stripe subscription items: typed metadata fields.
-- ope_item_id is the stable key matching a Stripe item to its OPE item.
SELECT
  m.* EXCEPT (metadata_json),
  JSON_VALUE(m.metadata_json, '$.ope_item_id') AS ope_item_id,
  COALESCE(JSON_VALUE(m.metadata_json, '$.contract') = 'true', FALSE) AS is_contract
FROM billing_observability.stripe_subscription_items_metadata_json AS m
