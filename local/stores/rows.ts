import { type Cell, MIRROR_COLUMNS, type MirrorTable, type RowSink } from '../synthetic/rows.js';
import { STORE_TABLES, STORES, type Store, type StoreTable } from './schema.js';

/**
 * The rows of the company databases on one snapshot date, taken from the mirror rows the synthetic world
 * emits for that date (emitAccountRows, emitCatalogueRows): the live stores then hold exactly what the
 * mirror holds, by construction. A row is a record by column name, without snapshot_date; `metadata`
 * (JSON text in the mirror) is parsed, as the databases keep it as jsonb. Timestamps stay in the mirror's
 * UTC text form (`YYYY-MM-DD HH:MM:SS`).
 */

export type StoreRecord = Record<string, Cell | Record<string, unknown>>;

export type StoreRows = { readonly [S in Store]: { readonly [T in StoreTable<S>]: StoreRecord[] } };

const TARGETS = new Map<MirrorTable, { store: Store; table: string }>(
  STORES.flatMap((store) =>
    Object.entries(STORE_TABLES[store]).map(([table, mirror]) => [mirror, { store, table }] as const),
  ),
);

export class StoreRowSink implements RowSink {
  readonly rows = Object.fromEntries(
    STORES.map((store) => [store, Object.fromEntries(Object.keys(STORE_TABLES[store]).map((t) => [t, []]))]),
  ) as unknown as StoreRows;

  /** Keeps the rows of the store tables; every other mirror table is ignored. */
  row(table: MirrorTable, cells: Cell[]): void {
    const target = TARGETS.get(table);
    if (!target) return;
    const columns = MIRROR_COLUMNS[table];
    const record: StoreRecord = {};
    // Column 0 is snapshot_date: a live store holds one state, not a series of snapshots.
    for (let i = 1; i < columns.length; i++) {
      const name = columns[i] as string;
      const cell = cells[i] ?? null;
      record[name] = name === 'metadata' && typeof cell === 'string' ? JSON.parse(cell) : cell;
    }
    (this.rows[target.store] as Record<string, StoreRecord[]>)[target.table]?.push(record);
  }
}
