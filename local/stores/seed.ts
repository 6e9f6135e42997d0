import pg from 'pg';
import type { StoreRecord, StoreRows } from './rows.js';
import { type Store, schemaSql, tablesOf } from './schema.js';

/**
 * Loads one database: its schema, then its rows, replacing what it held, in one transaction. Rows go in
 * batches as one JSON parameter each (json_populate_recordset casts every field to its column's type), so
 * 20,000 accounts are a few dozen statements, not a hundred thousand.
 */

/** Rows per INSERT: a JSON parameter of a few MB at most. */
const BATCH_ROWS = 5000;

export async function seedStore<S extends Store>(
  url: string,
  store: S,
  rows: StoreRows[S],
): Promise<Record<string, number>> {
  // The mirror's timestamps are UTC text without a zone: read them as UTC whatever the server's zone.
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  const counts: Record<string, number> = {};
  try {
    await client.query('BEGIN');
    await client.query(schemaSql(store));
    const tables = tablesOf(store);
    await client.query(`TRUNCATE ${tables.map((t) => pg.escapeIdentifier(t)).join(', ')}`);
    for (const table of tables) {
      const records = (rows as Record<string, StoreRecord[]>)[table] ?? [];
      const t = pg.escapeIdentifier(table);
      for (let i = 0; i < records.length; i += BATCH_ROWS)
        await client.query(`INSERT INTO ${t} SELECT * FROM json_populate_recordset(NULL::${t}, $1::json)`, [
          JSON.stringify(records.slice(i, i + BATCH_ROWS)),
        ]);
      counts[table] = records.length;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return counts;
}
