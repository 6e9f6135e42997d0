-- Layer 3 of 3 for OPE subscriptions: typed metadata fields (contract = "true": set through a contract
-- path; order_id: the order that created it).
SELECT
  m.* EXCEPT (metadata_json),
  COALESCE(JSON_VALUE(m.metadata_json, '$.contract') = 'true', FALSE) AS is_contract,
  JSON_VALUE(m.metadata_json, '$.order_id') AS order_id
FROM billing_observability.ope_subscriptions_metadata_json AS m
