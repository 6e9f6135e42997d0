-- Layer 3 of 3 for Stripe subscriptions: typed metadata fields.
-- ope_subscription_id matches the subscription to its OPE subscription; contract = "true" puts it on a
-- contract path (never touched automatically). is_live: statuses that bill (docs/domain-rules.md).
SELECT
  m.* EXCEPT (metadata_json),
  JSON_VALUE(m.metadata_json, '$.ope_subscription_id') AS ope_subscription_id,
  COALESCE(JSON_VALUE(m.metadata_json, '$.contract') = 'true', FALSE) AS is_contract,
  m.status NOT IN ('canceled', 'incomplete_expired') AS is_live
FROM billing_observability.stripe_subscriptions_metadata_json AS m
