import { readFileSync } from 'node:fs';
import type { MirrorTable } from '../synthetic/rows.js';

/**
 * The company databases gather reads live through their read replicas (OPE, billing_prod, cf_prod): one
 * PostgreSQL database each, locally. Their DDL is in sql/<store>.sql; each table holds the columns the
 * nightly mirror copies from it (without snapshot_date), so the mirror's rows of one date seed it.
 */

export const STORES = ['ope', 'billing_prod', 'cf_prod'] as const;
export type Store = (typeof STORES)[number];

/**
 * Each database table and the mirror table that copies it. Listed in insertion order (items reference
 * subscriptions).
 */
export const STORE_TABLES = {
  ope: { subscriptions: 'ope_subscriptions', items: 'ope_items' },
  billing_prod: { catalogue: 'billing_prod' },
  cf_prod: { accounts: 'cf_prod_accounts', zones: 'cf_prod_zones' },
} as const satisfies Record<Store, Record<string, MirrorTable>>;

export type StoreTable<S extends Store> = keyof (typeof STORE_TABLES)[S] & string;

export function tablesOf<S extends Store>(store: S): StoreTable<S>[] {
  return Object.keys(STORE_TABLES[store]) as StoreTable<S>[];
}

/** The DDL of one database (idempotent: CREATE ... IF NOT EXISTS). */
export function schemaSql(store: Store): string {
  return readFileSync(new URL(`./sql/${store}.sql`, import.meta.url), 'utf8');
}
