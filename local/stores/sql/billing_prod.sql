-- billing_prod, the price catalogue: (product, interval, currency) -> the Stripe price and its unit amount.
CREATE TABLE IF NOT EXISTS catalogue (
  product_id text,
  billing_interval text,
  currency text,
  stripe_price_id text NOT NULL,
  unit_amount bigint NOT NULL,
  PRIMARY KEY (product_id, billing_interval, currency)
);
