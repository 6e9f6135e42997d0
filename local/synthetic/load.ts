/**
 * Bulk loading of a synthetic world into the local warehouse: rows are written as CSV files per table and
 * loaded with DuckDB's COPY (one statement per table and batch), never row by row. Batches bound the disk
 * and memory used at any N. Also exports the loaded mirror as NDJSON + BigQuery JSON schemas for `bq load`.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ddlFiles, MIRROR_DATASET } from '../../shared/warehouse/sql-files.js';
import type { LocalWarehouse } from '../bigquery/engine.js';
import { parseBigQuery } from '../bigquery/translate/cst.js';
import { quoteIdent } from '../bigquery/translate/quoting.js';
import {
  type Cell,
  emitAccountRows,
  emitCatalogueRows,
  MIRROR_COLUMNS,
  MIRROR_TABLES,
  type MirrorTable,
  type RowSink,
} from './rows.js';
import { buildAccount, type World } from './world.js';

const FLUSH_BYTES = 1 << 20;

function csvCell(c: Cell): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'boolean') return c ? 'true' : 'false';
  if (typeof c === 'number') return String(c);
  if (Array.isArray(c)) return c.length === 0 ? '[]' : `"[${c.join(', ')}]"`;
  const s = c as string;
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Per-table CSV files with buffered writes. */
class CsvSink implements RowSink {
  private readonly fds = new Map<MirrorTable, number>();
  private readonly buffers = new Map<MirrorTable, string[]>();
  private readonly sizes = new Map<MirrorTable, number>();
  readonly counts = new Map<MirrorTable, number>();

  constructor(readonly dir: string) {
    for (const t of MIRROR_TABLES) {
      this.fds.set(t, openSync(join(dir, `${t}.csv`), 'w'));
      this.buffers.set(t, []);
      this.sizes.set(t, 0);
      this.counts.set(t, 0);
    }
  }

  row(table: MirrorTable, cells: Cell[]): void {
    const line = `${cells.map(csvCell).join(',')}\n`;
    const buf = this.buffers.get(table) as string[];
    buf.push(line);
    const size = (this.sizes.get(table) ?? 0) + line.length;
    this.counts.set(table, (this.counts.get(table) ?? 0) + 1);
    if (size > FLUSH_BYTES) this.flush(table);
    else this.sizes.set(table, size);
  }

  private flush(table: MirrorTable): void {
    const buf = this.buffers.get(table) as string[];
    if (buf.length) writeSync(this.fds.get(table) as number, buf.join(''));
    this.buffers.set(table, []);
    this.sizes.set(table, 0);
  }

  close(): void {
    for (const t of MIRROR_TABLES) {
      this.flush(t);
      closeSync(this.fds.get(t) as number);
    }
  }
}

export interface LoadOptions {
  /** Accounts per CSV batch (bounds temporary disk use); default 200,000. */
  batchAccounts?: number;
  /** Directory for the temporary CSV files; default the OS temp dir. */
  tmpDir?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface LoadResult {
  rows: Record<MirrorTable, number>;
  generateMs: number;
  copyMs: number;
}

/**
 * Writes every mirror row of the world (all accounts x all dates) into billing_mirror on the local
 * warehouse. The mirror tables must exist (deployWarehouse). Existing rows for the world's dates are
 * replaced, so loading twice yields the same mirror.
 */
export async function loadWorld(
  warehouse: LocalWarehouse,
  world: World,
  opts: LoadOptions = {},
): Promise<LoadResult> {
  const batch = opts.batchAccounts ?? 200_000;
  const root = mkdtempSync(join(opts.tmpDir ?? tmpdir(), 'driftcontrol-mirror-'));
  const rows = Object.fromEntries(MIRROR_TABLES.map((t) => [t, 0])) as Record<MirrorTable, number>;
  let generateMs = 0;
  let copyMs = 0;
  try {
    const dates = world.dates.map((d) => `DATE '${d}'`).join(', ');
    await warehouse.exclusive(async (c) => {
      for (const t of MIRROR_TABLES)
        await c.run(`DELETE FROM ${MIRROR_DATASET}.${t} WHERE snapshot_date IN (${dates})`);
    });
    for (let start = 0; start < world.accounts; start += batch) {
      const end = Math.min(world.accounts, start + batch);
      const dir = join(root, `b${start}`);
      mkdirSync(dir);
      const t0 = performance.now();
      const sink = new CsvSink(dir);
      for (let di = 0; di < world.dates.length; di++) {
        if (start === 0) emitCatalogueRows(world, world.dates[di] as string, sink);
        for (let i = start; i < end; i++) emitAccountRows(buildAccount(world, i, di), sink);
      }
      sink.close();
      const t1 = performance.now();
      await warehouse.exclusive(async (c) => {
        for (const t of MIRROR_TABLES) {
          if ((sink.counts.get(t) ?? 0) === 0) continue;
          const cols = MIRROR_COLUMNS[t].map(quoteIdent).join(', ');
          const file = join(dir, `${t}.csv`).replace(/'/g, "''");
          await c.run(
            `COPY ${MIRROR_DATASET}.${t} (${cols}) FROM '${file}' (FORMAT CSV, HEADER false, NULLSTR '', QUOTE '"', ESCAPE '"')`,
          );
          rows[t] += sink.counts.get(t) ?? 0;
        }
      });
      copyMs += performance.now() - t1;
      generateMs += t1 - t0;
      rmSync(dir, { recursive: true, force: true });
      opts.onProgress?.(end, world.accounts);
    }
    await markLanded(warehouse, world.dates);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { rows, generateMs, copyMs };
}

/**
 * What the mirror job does once each table's partition has landed: a completion marker with the rows it
 * wrote (docs/warehouse.md, "Landing"). Detection trusts a partition only with its marker.
 */
export const MANIFEST_COLUMNS = ['snapshot_date', 'table_name', 'row_count', 'completed_at'] as const;

export async function markLanded(warehouse: LocalWarehouse, dates: readonly string[]): Promise<void> {
  const list = dates.map((d) => `DATE '${d}'`).join(', ');
  await warehouse.exclusive(async (c) => {
    await c.run(`DELETE FROM ${MIRROR_DATASET}.mirror_manifest WHERE snapshot_date IN (${list})`);
    for (const t of MIRROR_TABLES)
      for (const d of dates)
        await c.run(
          `INSERT INTO ${MIRROR_DATASET}.mirror_manifest (${MANIFEST_COLUMNS.join(', ')}) SELECT DATE '${d}', '${t}', (SELECT COUNT(*) FROM ${MIRROR_DATASET}.${t} WHERE snapshot_date = DATE '${d}'), now()`,
        );
  });
}

/** BigQuery JSON schema (for `bq load --schema`) of a mirror table, from its DDL file. */
export function bigQueryJsonSchema(table: MirrorTable): { name: string; type: string; mode: string }[] {
  const f = ddlFiles().find((x) => x.table === table);
  if (!f) throw new Error(`no DDL for ${table}`);
  const cst = parseBigQuery(f.sql);
  // biome-ignore lint/suspicious/noExplicitAny: CST walk
  const stmt = (cst.statements as any[]).find((s) => s.type === 'create_table_stmt');
  // biome-ignore lint/suspicious/noExplicitAny: CST walk
  return stmt.columns.expr.items.map((col: any) => {
    const dt = col.dataType;
    const repeated = dt.type === 'parametric_data_type';
    const typeNode = repeated ? dt.params.params.items[0].dataType : dt;
    const type = String(typeNode.name.name ?? typeNode.name.text).toUpperCase();
    const notNull = (col.constraints ?? []).some((c: { type: string }) => c.type === 'constraint_not_null');
    return { name: col.name.name, type, mode: repeated ? 'REPEATED' : notNull ? 'REQUIRED' : 'NULLABLE' };
  });
}

/**
 * Exports billing_mirror as `<table>.ndjson` + `<table>.schema.json` per table into `dir`, plus a
 * `load.sh` with the `bq load` commands (into tables created from the DDL files, which carry partitioning).
 */
export async function exportMirrorNdjson(warehouse: LocalWarehouse, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const lines = [
    '#!/bin/sh',
    '# Load the synthetic mirror into a real project: DATASET defaults to billing_mirror.',
    'set -e',
  ];
  for (const f of ddlFiles()) {
    const t = f.table as MirrorTable;
    const schema = bigQueryJsonSchema(t);
    writeFileSync(join(dir, `${t}.schema.json`), `${JSON.stringify(schema, null, 2)}\n`);
    const file = join(dir, `${t}.ndjson`).replace(/'/g, "''");
    await warehouse.exclusive((c) =>
      c.run(
        `COPY (SELECT * FROM ${MIRROR_DATASET}.${quoteIdent(t)} ORDER BY ALL) TO '${file}' (FORMAT JSON)`,
      ),
    );
    lines.push(
      `bq load --source_format=NEWLINE_DELIMITED_JSON "\${DATASET:-billing_mirror}.${t}" ${t}.ndjson ${t}.schema.json`,
    );
    written.push(`${t}.ndjson`, `${t}.schema.json`);
  }
  writeFileSync(join(dir, 'load.sh'), `${lines.join('\n')}\n`, { mode: 0o755 });
  written.push('load.sh');
  return written;
}
