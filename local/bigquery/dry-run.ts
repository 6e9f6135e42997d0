/**
 * Dry runs. BigQuery validates a dry-run statement fully (names, types, partition filters) and answers
 * with the result schema and the bytes the statement would read, without running it. Locally the
 * statement is translated and checked as for a run (engine.ts), then DuckDB binds it (a prepared statement:
 * every table, column and function resolved, nothing executed) and plans it (EXPLAIN, not ANALYZE); the
 * plan's table scans give the bytes estimate.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { schemaOf } from './encoding.js';
import type { Translated } from './translate/statements.js';
import { type BqField, canonicalType } from './translate/types.js';

export interface DryRun {
  statementType: string;
  /** The result schema of a query. */
  schema?: BqField[];
  totalBytesProcessed: number;
  /** The tables the statement reads (views resolved to their tables). */
  referencedTables: { datasetId: string; tableId: string }[];
}

/** What a dry run needs to know of a table: its schema, by lower-case `dataset.table`. */
export type TableSchemas = ReadonlyMap<string, { datasetId: string; tableId: string; fields: BqField[] }>;

const STATEMENT_TYPES: Record<string, string> = {
  create_table: 'CREATE_TABLE',
  create_view: 'CREATE_VIEW',
  drop: 'DROP_TABLE',
};

export async function dryRunStatement(
  c: DuckDBConnection,
  t: Translated,
  tables: TableSchemas,
): Promise<DryRun> {
  if (t.kind !== 'query' && t.kind !== 'dml')
    return { statementType: STATEMENT_TYPES[t.kind] as string, totalBytesProcessed: 0, referencedTables: [] };
  const prepared = await c.prepare(t.sql);
  let schema: BqField[] | undefined;
  try {
    if (t.kind === 'query') {
      const names = Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i));
      const types = Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnType(i));
      schema = schemaOf(names, types);
    }
  } finally {
    prepared.destroySync();
  }
  const plan = await c.runAndReadAll(`EXPLAIN (FORMAT JSON) ${t.sql}`);
  const reads = scans(JSON.parse(String(plan.getRows()[0]?.[1] ?? '[]')), tables);
  let bytes = 0;
  for (const r of reads.values()) bytes += r.rows * r.columns.reduce((sum, f) => sum + fieldBytes(f), 0);
  return {
    statementType: t.kind === 'query' ? 'SELECT' : t.verb,
    ...(schema ? { schema } : {}),
    totalBytesProcessed: Math.round(bytes),
    referencedTables: [...reads.values()].map((r) => ({ datasetId: r.datasetId, tableId: r.tableId })),
  };
}

interface PlanNode {
  children?: PlanNode[];
  extra_info?: Record<string, string | string[]>;
}

interface TableRead {
  datasetId: string;
  tableId: string;
  rows: number;
  columns: BqField[];
}

/**
 * The table scans of a plan: per table, the most rows any scan of it reads (DuckDB's estimate, after the
 * filters pushed into the scan, which is where partition filters end up) and every column any scan reads
 * or filters on.
 */
function scans(nodes: PlanNode[], tables: TableSchemas, out = new Map<string, TableRead>()) {
  for (const node of nodes) {
    const info = node.extra_info ?? {};
    const name =
      typeof info.Table === 'string' ? info.Table.split('.').slice(-2).join('.').toLowerCase() : '';
    const table = tables.get(name);
    if (table) {
      const read = out.get(name) ?? {
        datasetId: table.datasetId,
        tableId: table.tableId,
        rows: 0,
        columns: [],
      };
      const named = new Set([info.Projections ?? []].flat().map((p) => p.toLowerCase()));
      const filters = [info.Filters ?? []].flat().join(' ').toLowerCase();
      for (const f of table.fields) {
        const n = f.name.toLowerCase();
        if ((named.has(n) || new RegExp(`\\b${n}\\b`).test(filters)) && !read.columns.includes(f))
          read.columns.push(f);
      }
      read.rows = Math.max(read.rows, Number(info['Estimated Cardinality'] ?? 0) || 0);
      out.set(name, read);
    }
    scans(node.children ?? [], tables, out);
  }
  return out;
}

/** Bytes of variable-size values the engine does not measure without reading them: a nominal average. */
const NOMINAL_VARIABLE_BYTES = 16;
/** BigQuery's logical size per value of each type ("Data size calculation"). */
const FIXED_BYTES: Record<string, number> = {
  INT64: 8,
  FLOAT64: 8,
  NUMERIC: 16,
  BIGNUMERIC: 32,
  BOOL: 1,
  DATE: 8,
  DATETIME: 8,
  TIME: 8,
  TIMESTAMP: 8,
  INTERVAL: 16,
};

/** Estimated bytes one value of a field takes (a repeated field counted as one element). */
function fieldBytes(f: BqField): number {
  const t = canonicalType(f.type);
  if (t === 'STRUCT') return (f.fields ?? []).reduce((sum, c) => sum + fieldBytes(c), 0);
  if (t === 'STRING' || t === 'BYTES') return 2 + NOMINAL_VARIABLE_BYTES;
  return FIXED_BYTES[t] ?? NOMINAL_VARIABLE_BYTES;
}
