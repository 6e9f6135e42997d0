-- billing_prod: the price catalogue, (product, interval, currency) -> Stripe price.
CREATE TABLE IF NOT EXISTS billing_mirror.billing_prod (
  snapshot_date DATE NOT NULL,
  product_id STRING NOT NULL,
  billing_interval STRING NOT NULL,
  currency STRING NOT NULL,
  stripe_price_id STRING NOT NULL,
  unit_amount INT64 NOT NULL
)
PARTITION BY snapshot_date
CLUSTER BY product_id
OPTIONS (require_partition_filter = TRUE);
