/**
 * The warehouse SQL as files: DDL for the mirror (deployed as-is by Terraform), one SELECT body per view
 * (`NN_<view_name>.sql`, NN orders dependencies), and the parameterised queries the pipeline runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DATASETS } from '../contracts/topology.js';

export const SQL_DIR = fileURLToPath(new URL('./sql/', import.meta.url));
export const DDL_DIR = `${SQL_DIR}ddl/`;
export const VIEWS_DIR = `${SQL_DIR}views/`;
export const QUERIES_DIR = `${SQL_DIR}queries/`;

export const MIRROR_DATASET = DATASETS.mirror;
export const OBSERVABILITY_DATASET = DATASETS.observability;

export interface SqlFile {
  file: string;
  path: string;
  sql: string;
}

export interface ViewFile extends SqlFile {
  /** The two-digit dependency order. */
  order: number;
  /** The deployed view name (billing_observability.<name>). */
  name: string;
}

function sqlFiles(dir: string): SqlFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => ({ file, path: `${dir}${file}`, sql: readFileSync(`${dir}${file}`, 'utf8') }));
}

/** The mirror DDL, one `CREATE TABLE IF NOT EXISTS billing_mirror.<table>` per file (file = table name). */
export function ddlFiles(): (SqlFile & { table: string })[] {
  return sqlFiles(DDL_DIR).map((f) => ({ ...f, table: f.file.replace(/\.sql$/, '') }));
}

const VIEW_FILE = /^(\d{2})_([a-z][a-z0-9_]*)\.sql$/;

/** The views in dependency order. */
export function viewFiles(): ViewFile[] {
  return sqlFiles(VIEWS_DIR).map((f) => {
    const m = VIEW_FILE.exec(f.file);
    if (!m) throw new Error(`view file ${f.file} is not named NN_<view_name>.sql`);
    return { ...f, order: Number(m[1]), name: m[2] as string };
  });
}

export const AUDIT_DATASET = DATASETS.audit;
export const TICKETS_DATASET = DATASETS.tickets;

const READS_AUDIT = new RegExp(`\\b(?:${AUDIT_DATASET}\\.|${OBSERVABILITY_DATASET}\\.audit_)`);
const READS_TICKETS = new RegExp(`\\b(?:${TICKETS_DATASET}\\.|${OBSERVABILITY_DATASET}\\.ticket_)`);

/**
 * Whether a view reads the audit table or the ticket classifications (directly or through the audit and
 * ticket views) rather than the mirror: it has no snapshot partitions to filter, and its tests land audit
 * and ticket rows (test/shared/warehouse/audit-views, ticket-views), not a synthetic mirror.
 */
export function readsAudit(v: SqlFile): boolean {
  return READS_AUDIT.test(v.sql) || readsTickets(v);
}

/** Whether a view reads the ticket classifications (directly or through the ticket views). */
export function readsTickets(v: SqlFile): boolean {
  return READS_TICKETS.test(v.sql);
}

export function queryFiles(): SqlFile[] {
  return sqlFiles(QUERIES_DIR);
}

/** A query by file name without .sql, e.g. `new_stripe_drift`. */
export function querySql(name: string): string {
  return readFileSync(`${QUERIES_DIR}${name}.sql`, 'utf8');
}

/** The DDL that deploys one view file: BigQuery's CREATE OR REPLACE VIEW around the file's SELECT. */
export function viewDdl(v: ViewFile): string {
  return `CREATE OR REPLACE VIEW ${OBSERVABILITY_DATASET}.${v.name} AS\n${v.sql.trim().replace(/;\s*$/, '')}`;
}
