/**
 * tabledata.insertAll against DuckDB: rows validated against the table schema (per-row errors in BigQuery's
 * `insertErrors` form, including values only the engine refuses), stored in one transaction, and their
 * insertIds remembered only once stored: a request that fails stores nothing and remembers nothing, so its
 * retry is not mistaken for a duplicate.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { toBigQueryError } from './engine-errors.js';
import type { InsertIdWindow } from './insert-id-window.js';
import { RowError, rowLiteral } from './row-literals.js';
import { quoteIdent } from './translate/quoting.js';
import type { BqField } from './translate/types.js';

export interface InsertAllRow {
  insertId?: string;
  json: Record<string, unknown>;
}

export interface InsertAllOptions {
  skipInvalidRows?: boolean;
  ignoreUnknownValues?: boolean;
}

export interface InsertError {
  index: number;
  errors: { reason: string; message: string; location?: string }[];
}

/** Rows per INSERT statement: keeps each statement's text bounded. */
const ROWS_PER_STATEMENT = 500;

/**
 * Inserts the valid rows unless a row is invalid and `skipInvalidRows` is off (then BigQuery stores nothing:
 * the invalid rows are reported `invalid`, the others `stopped`). A row whose insertId the window still
 * remembers is acknowledged and not stored again.
 */
export async function insertAll(
  c: DuckDBConnection,
  target: { dataset: string; table: string; fields: BqField[] },
  rows: InsertAllRow[],
  opts: InsertAllOptions,
  insertIds: InsertIdWindow,
): Promise<InsertError[]> {
  const invalid = new Map<number, InsertError['errors'][number]>();
  const literals = new Map<number, string>();
  rows.forEach((row, index) => {
    try {
      literals.set(index, rowLiteral(target.fields, row.json ?? {}, opts.ignoreUnknownValues === true));
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      invalid.set(index, { reason: 'invalid', location: e.location, message: e.message });
    }
  });
  const key = `${target.dataset}.${target.table}`;
  const fresh = new Map<number, string>();
  const inRequest = new Set<string>();
  for (const [index, lit] of literals) {
    const insertId = rows[index]?.insertId;
    if (insertId && insertIds.windowMs > 0) {
      if (inRequest.has(insertId) || insertIds.has(key, insertId)) continue;
      inRequest.add(insertId);
    }
    fresh.set(index, lit);
  }
  const into = `INSERT INTO ${quoteIdent(target.dataset)}.${quoteIdent(target.table)} (${target.fields
    .map((f) => quoteIdent(f.name))
    .join(', ')}) VALUES `;
  const accepted = () => [...fresh].filter(([index]) => !invalid.has(index));
  const rejectAll = invalid.size > 0 && !opts.skipInvalidRows;
  let done = !rejectAll && (await stored(c, into, accepted()));
  if (!done && !rejectAll) {
    // Values the schema check lets through but the engine refuses (a 31 February) are row errors too.
    for (const [index, lit] of accepted()) {
      const refused = await refusal(c, into, lit);
      if (refused) invalid.set(index, { reason: 'invalid', message: refused });
    }
    if (opts.skipInvalidRows) done = await stored(c, into, accepted());
  }
  if (invalid.size > 0 && !opts.skipInvalidRows)
    return rows.map((_, index) => ({
      index,
      errors: [invalid.get(index) ?? { reason: 'stopped', message: '' }],
    }));
  if (!done) throw new Error('insertAll: the engine refused rows it accepts one by one');
  insertIds.remember(
    key,
    accepted().flatMap(([index]) => rows[index]?.insertId ?? []),
  );
  return [...invalid].map(([index, error]) => ({ index, errors: [error] }));
}

/** Stores the rows (index, VALUES tuple) in one transaction; false, and nothing stored, when one is refused. */
async function stored(c: DuckDBConnection, into: string, rows: [number, string][]): Promise<boolean> {
  if (rows.length === 0) return true;
  const values = rows.map(([, lit]) => lit);
  await c.run('BEGIN TRANSACTION');
  try {
    for (let i = 0; i < values.length; i += ROWS_PER_STATEMENT)
      await c.run(into + values.slice(i, i + ROWS_PER_STATEMENT).join(', '));
    await c.run('COMMIT');
    return true;
  } catch {
    await c.run('ROLLBACK');
    return false;
  }
}

/** Why the engine refuses one row, in BigQuery's words, or undefined when it takes it (nothing is kept). */
async function refusal(c: DuckDBConnection, into: string, value: string): Promise<string | undefined> {
  await c.run('BEGIN TRANSACTION');
  try {
    await c.run(into + value);
    return undefined;
  } catch (e) {
    return toBigQueryError(e, { projectId: '', location: '' }).message;
  } finally {
    await c.run('ROLLBACK');
  }
}
