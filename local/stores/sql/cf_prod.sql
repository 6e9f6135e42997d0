-- cf_prod, the product database: each account's type and its zones with their plan levels.
CREATE TABLE IF NOT EXISTS accounts (
  account_id text PRIMARY KEY,
  account_type text NOT NULL,
  created timestamptz
);

CREATE TABLE IF NOT EXISTS zones (
  zone_id text PRIMARY KEY,
  account_id text NOT NULL,
  plan_level text NOT NULL
);
CREATE INDEX IF NOT EXISTS zones_account_id ON zones (account_id);
