-- Layer 3 of 3 for OPE items: typed metadata fields (contract = "true": set through a contract path).
SELECT
  m.* EXCEPT (metadata_json),
  COALESCE(JSON_VALUE(m.metadata_json, '$.contract') = 'true', FALSE) AS is_contract
FROM billing_observability.ope_items_metadata_json AS m
