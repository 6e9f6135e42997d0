/**
 * The company databases (OPE, billing_prod, cf_prod) on the local PostgreSQL: their schema holds the
 * mirror's columns, and seeding from a world leaves in them exactly the mirror's rows of the snapshot
 * date — compared row by row with what emitAccountRows / emitCatalogueRows emit for the mirror.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPostgres } from '../../../local/postgres.js';
import { storeDatabaseName } from '../../../local/stores/databases.js';
import { createLocalStores, type LocalStores } from '../../../local/stores/local-stores.js';
import { STORE_TABLES, STORES, type Store, tablesOf } from '../../../local/stores/schema.js';
import {
  type Cell,
  emitAccountRows,
  emitCatalogueRows,
  MIRROR_COLUMNS,
  type MirrorTable,
  ts,
} from '../../../local/synthetic/rows.js';
import { accountStates, createWorld } from '../../../local/synthetic/world.js';
import { seedsFromWorld } from '../../../local/synthetic/world-seed.js';
import { uniqueProjectId } from '../../setup/emulators.js';
import { usePostgres } from '../../setup/postgres.js';

const world = createWorld({ seed: 11, accounts: 300, days: 2 });
const today = world.dates.length - 1;
let postgres: LocalPostgres;
let stores: LocalStores;

beforeAll(async () => {
  postgres = await usePostgres();
  stores = await createLocalStores(postgres, uniqueProjectId('stores'), seedsFromWorld(world).stores);
});
afterAll(async () => {
  await stores?.drop();
});

/** The mirror's rows of one date, per mirror table, without snapshot_date: what the stores must hold. */
function mirrorRows(dateIndex: number): Map<MirrorTable, Cell[][]> {
  const rows = new Map<MirrorTable, Cell[][]>();
  const sink = {
    row: (t: MirrorTable, cells: Cell[]) => rows.set(t, [...(rows.get(t) ?? []), cells.slice(1)]),
  };
  emitCatalogueRows(world, world.dates[dateIndex] as string, sink);
  for (const state of accountStates(world, dateIndex)) emitAccountRows(state, sink);
  return rows;
}

/** A database row in the mirror's cell form: timestamps as UTC text, bigint as a number, JSON parsed. */
function asMirrorCells(row: Record<string, unknown>, mirror: MirrorTable): unknown[] {
  return MIRROR_COLUMNS[mirror].slice(1).map((column) => {
    const v = row[column];
    if (v instanceof Date) return ts(v.toISOString());
    if (column === 'unit_amount') return Number(v);
    return v;
  });
}

const mirrorForm = (cells: readonly Cell[], mirror: MirrorTable) =>
  MIRROR_COLUMNS[mirror].slice(1).map((column, i) => {
    const v = cells[i] ?? null;
    return column === 'metadata' && typeof v === 'string' ? JSON.parse(v) : v;
  });

const tableCases = STORES.flatMap((store) =>
  tablesOf(store).map((table) => ({
    store,
    table,
    mirror: (STORE_TABLES[store] as Record<string, MirrorTable>)[table] as MirrorTable,
  })),
);

describe('schema', () => {
  it.each(tableCases)(
    '$store.$table has the columns of billing_mirror.$mirror but snapshot_date',
    async (c) => {
      const { rows } = await stores.query(
        c.store,
        `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [c.table],
      );
      expect(rows.map((r) => r.column_name)).toEqual(MIRROR_COLUMNS[c.mirror].slice(1));
      const metadata = rows.find((r) => r.column_name === 'metadata');
      if (metadata) expect(metadata.data_type).toBe('jsonb');
    },
  );

  it.each([
    ['ope', 'subscriptions'],
    ['ope', 'items'],
    ['cf_prod', 'zones'],
  ] as const)('%s.%s is indexed on account_id', async (store, table) => {
    const { rows } = await stores.query(store, 'SELECT indexdef FROM pg_indexes WHERE tablename = $1', [
      table,
    ]);
    expect(rows.map((r) => r.indexdef).join('\n')).toMatch(/\(account_id\)/);
  });
});

describe('seeding from the world', () => {
  const want = mirrorRows(today);

  it.each(tableCases)('$store.$table holds exactly the mirror rows of $mirror for today', async (c) => {
    const { rows } = await stores.query(c.store, `SELECT * FROM ${c.table}`);
    const key = (r: unknown[]) => JSON.stringify(r);
    const got = rows.map((r) => asMirrorCells(r, c.mirror)).sort((a, b) => key(a).localeCompare(key(b)));
    const expected = (want.get(c.mirror) ?? [])
      .map((cells) => mirrorForm(cells, c.mirror))
      .sort((a, b) => key(a).localeCompare(key(b)));
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
  });

  it('differs from the mirror of yesterday where drift switched on (the stores hold one date)', async () => {
    const yesterday = mirrorRows(today - 1).get('ope_items') ?? [];
    const { rows } = await stores.query('ope', 'SELECT id, quantity, product_id FROM items');
    const live = new Map(rows.map((r) => [r.id, `${r.product_id}x${r.quantity}`]));
    const changed = yesterday.filter((c) => live.get(c[0]) !== `${c[3]}x${c[4]}`);
    expect(changed.length).toBeGreaterThan(0);
  });

  it('seeding again replaces the rows instead of adding to them', async () => {
    const projectId = uniqueProjectId('reseed');
    const first = await createLocalStores(
      postgres,
      projectId,
      seedsFromWorld(createWorld({ accounts: 7 })).stores,
    );
    await first.close();
    const second = await createLocalStores(
      postgres,
      projectId,
      seedsFromWorld(createWorld({ accounts: 5 })).stores,
    );
    try {
      const { rows } = await second.query('cf_prod', 'SELECT count(*)::int AS n FROM accounts');
      expect(rows[0].n).toBe(5);
    } finally {
      await second.drop();
    }
  });
});

describe('database names', () => {
  it('are derived from the project id, distinct per project and store, and valid identifiers', () => {
    const names = ['e2e-1a2b3c4d', 'e2e-9f8e7d6c', `p-${'x'.repeat(60)}`, `p-${'x'.repeat(60)}y`].flatMap(
      (p) => STORES.map((s: Store) => storeDatabaseName(p, s)),
    );
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9_]{1,63}$/);
    expect(storeDatabaseName('e2e-1a2b3c4d', 'ope')).toBe('e2e_1a2b3c4d_ope');
  });

  it('two pipelines share one server without touching each other, and drop removes only their own', async () => {
    const small = seedsFromWorld(createWorld({ seed: 3, accounts: 5 })).stores;
    const other = await createLocalStores(postgres, uniqueProjectId('other'), small);
    const count = async (s: LocalStores) =>
      (await s.query('cf_prod', 'SELECT count(*)::int AS n FROM accounts')).rows[0].n;
    expect([await count(stores), await count(other)]).toEqual([world.accounts, 5]);
    await other.drop();
    const { rows } = await stores.query('ope', 'SELECT datname FROM pg_database');
    const present = rows.map((r) => r.datname);
    for (const name of Object.values(other.databases)) expect(present).not.toContain(name);
    for (const name of Object.values(stores.databases)) expect(present).toContain(name);
  });
});
