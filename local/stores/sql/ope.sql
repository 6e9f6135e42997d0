-- OPE, the subscription store (what each account bought): the columns the nightly mirror copies into
-- billing_mirror.ope_subscriptions / ope_items, without snapshot_date; metadata as jsonb ({"contract": "true"}).
CREATE TABLE IF NOT EXISTS subscriptions (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  status text,
  billing_interval text,
  currency text,
  cancel_at_period_end boolean,
  created timestamptz,
  canceled_at timestamptz,
  metadata jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS subscriptions_account_id ON subscriptions (account_id);

CREATE TABLE IF NOT EXISTS items (
  id text PRIMARY KEY,
  subscription_id text NOT NULL REFERENCES subscriptions,
  account_id text NOT NULL,
  product_id text,
  quantity integer,
  deleted boolean,
  deleted_at timestamptz,
  scheduled_change_effective_at timestamptz,
  scheduled_change_product_id text,
  scheduled_change_quantity integer,
  created timestamptz,
  metadata jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS items_account_id ON items (account_id);
