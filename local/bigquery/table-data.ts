/**
 * tabledata.list (`bq head`, the client's `table.getRows()`): a table's stored rows in f/v form, page by
 * page, without a query: no job, and no partition filter needed, as in BigQuery.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BigQueryApiError } from './api-error.js';
import { encodeRows, type FvRow } from './encoding.js';
import { quoteIdent } from './translate/quoting.js';
import type { BqField } from './translate/types.js';

export interface TableDataPage {
  totalRows: number;
  rows: FvRow[];
  /** Index of the next page's first row; undefined on the last page. */
  nextIndex: number | undefined;
}

/**
 * Rows [start, start + max) in storage order (DuckDB keeps insertion order for a plain scan), with only
 * `selectedFields` (top-level names; every field when empty), in schema order as BigQuery returns them.
 */
export async function readTableData(
  c: DuckDBConnection,
  table: { datasetId: string; tableId: string; fields: BqField[] },
  page: { start: number; max: number; selectedFields: string[]; timestampsAsInt64: boolean },
): Promise<TableDataPage> {
  const target = `${quoteIdent(table.datasetId)}.${quoteIdent(table.tableId)}`;
  const count = await c.runAndReadAll(`SELECT count(*) FROM ${target}`);
  const totalRows = Number(count.getRows()[0]?.[0] ?? 0);
  const fields = selected(table.fields, page.selectedFields);
  const end = Math.min(totalRows, page.start + page.max);
  if (page.start >= end) return { totalRows, rows: [], nextIndex: undefined };
  const r = await c.runAndReadAll(
    `SELECT ${fields.map((f) => quoteIdent(f.name)).join(', ')} FROM ${target} LIMIT ${end - page.start} OFFSET ${page.start}`,
  );
  return {
    totalRows,
    rows: encodeRows(r.getRows(), fields, page.timestampsAsInt64),
    nextIndex: end < totalRows ? end : undefined,
  };
}

/** The fields `selectedFields` names (a nested `a.b` selects `a`); an unknown name is refused. */
function selected(fields: BqField[], names: string[]): BqField[] {
  if (names.length === 0) return fields;
  const wanted = new Set(names.map((n) => (n.split('.')[0] as string).toLowerCase()));
  for (const n of wanted)
    if (!fields.some((f) => f.name.toLowerCase() === n))
      throw new BigQueryApiError(
        400,
        'invalid',
        `Field ${n} in selectedFields not found in the table schema`,
      );
  return fields.filter((f) => wanted.has(f.name.toLowerCase()));
}
