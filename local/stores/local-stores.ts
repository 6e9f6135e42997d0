import pg from 'pg';
import type { LocalPostgres } from '../postgres.js';
import { STORE_URL_VARIABLES, type StoreUrlVariable, storeDatabaseName } from './databases.js';
import type { StoreRows } from './rows.js';
import { STORES, type Store } from './schema.js';
import { seedStore } from './seed.js';

/**
 * One pipeline's company databases on a local PostgreSQL server: created under names derived from the
 * pipeline's project id, given their schema, and seeded from the world's rows of one date.
 */

export interface LocalStores {
  /** Database name of each store on the server. */
  readonly databases: Readonly<Record<Store, string>>;
  /** OPE_DATABASE_URL, BILLING_PROD_DATABASE_URL, CF_PROD_DATABASE_URL: what the functions get. */
  readonly env: Readonly<Record<StoreUrlVariable, string>>;
  /** Rows seeded per store and table. */
  readonly seeded: Readonly<Record<Store, Record<string, number>>>;
  readonly seedMs: number;
  url(store: Store): string;
  /** Runs SQL on one store (tests and the live-truth helper change truth this way). */
  query(store: Store, sql: string, params?: readonly unknown[]): Promise<pg.QueryResult>;
  /** Closes this handle's connections; the databases stay. */
  close(): Promise<void>;
  /** Closes this handle's connections and drops the databases (the server may outlive the pipeline). */
  drop(): Promise<void>;
}

export async function createLocalStores(
  postgres: LocalPostgres,
  projectId: string,
  rows: StoreRows,
): Promise<LocalStores> {
  const started = performance.now();
  const databases = Object.fromEntries(STORES.map((s) => [s, storeDatabaseName(projectId, s)])) as Record<
    Store,
    string
  >;
  const url = (store: Store) => postgres.url(databases[store]);
  const seeded = Object.fromEntries(
    await Promise.all(
      STORES.map(async (store) => {
        await postgres.createDatabase(databases[store]);
        return [store, await seedStore(url(store), store, rows[store])] as const;
      }),
    ),
  ) as Record<Store, Record<string, number>>;
  const pools = new Map<Store, pg.Pool>();
  const pool = (store: Store) => {
    let p = pools.get(store);
    if (!p) {
      p = new pg.Pool({ connectionString: url(store), max: 2, options: '-c TimeZone=UTC' });
      // An idle connection ended by DROP DATABASE ... WITH (FORCE) must not crash the process.
      p.on('error', () => undefined);
      pools.set(store, p);
    }
    return p;
  };
  const close = async () => {
    await Promise.allSettled([...pools.values()].map((p) => p.end()));
    pools.clear();
  };
  return {
    databases,
    env: Object.fromEntries(STORES.map((s) => [STORE_URL_VARIABLES[s], url(s)])) as Record<
      StoreUrlVariable,
      string
    >,
    seeded,
    seedMs: performance.now() - started,
    url,
    query: (store, sql, params = []) => pool(store).query(sql, [...params]),
    close,
    async drop() {
      await close();
      await Promise.all(STORES.map((s) => postgres.dropDatabase(databases[s])));
    },
  };
}
