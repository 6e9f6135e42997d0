/**
 * Deploys the warehouse (datasets, mirror tables, observability views, the audit table, the ticket
 * classifications table) through a BigQuery client, for the local BigQuery and tests. In the cloud
 * Terraform owns all of it (infra/terraform/bigquery.tf) from the same SQL files and the same generated
 * schemas; deployed functions never provision.
 */
import { readFileSync } from 'node:fs';
import type { BigQuery, TableField } from '@google-cloud/bigquery';
import { AUDIT_TABLE, DATASETS, TICKET_CLASSIFICATIONS_TABLE } from '../../shared/contracts/topology.js';
import { ddlFiles, viewDdl, viewFiles } from '../../shared/warehouse/sql-files.js';

export interface DeployOptions {
  /** Dataset location for newly created datasets. */
  location?: string;
}

export async function ensureDatasets(bq: BigQuery, opts: DeployOptions = {}): Promise<void> {
  for (const id of Object.values(DATASETS)) {
    const ds = bq.dataset(id);
    const [exists] = await ds.exists();
    if (!exists) await ds.create(opts.location ? { location: opts.location } : {});
  }
}

/**
 * Creates the mirror tables (idempotent: CREATE TABLE IF NOT EXISTS), the audit table and the ticket
 * classifications table, and (re)creates every view in order.
 */
export async function deployWarehouse(
  bq: BigQuery,
  opts: DeployOptions = {},
): Promise<{ tables: string[]; views: string[] }> {
  await ensureDatasets(bq, opts);
  const tables: string[] = [];
  for (const f of ddlFiles()) {
    await bq.query({ query: f.sql });
    tables.push(f.table);
  }
  // The audit views read the audit table, as in Terraform (the views job depends on the table).
  await ensureAuditTable(bq);
  // The ticket views (13-16) read the classifications table.
  await ensureTicketClassificationsTable(bq);
  const views: string[] = [];
  for (const v of viewFiles()) {
    await bq.query({ query: viewDdl(v) });
    views.push(v.name);
  }
  return { tables, views };
}

/** The audit table's schema, generated from the audit record (shared/schemas/audit-table.bigquery.json). */
export function auditTableFields(): TableField[] {
  return JSON.parse(
    readFileSync(new URL('../../shared/schemas/audit-table.bigquery.json', import.meta.url), 'utf8'),
  ) as TableField[];
}

/**
 * The ticket classifications table's schema, generated from the row schema
 * (shared/schemas/ticket-classifications.bigquery.json from shared/domain/ticket-classification.ts).
 */
export function ticketClassificationsFields(): TableField[] {
  return JSON.parse(
    readFileSync(
      new URL('../../shared/schemas/ticket-classifications.bigquery.json', import.meta.url),
      'utf8',
    ),
  ) as TableField[];
}

/** Creates the audit table as Terraform does (day partitions on started_at, clustered for "why not X"). */
export async function ensureAuditTable(bq: BigQuery): Promise<void> {
  const dataset = bq.dataset(DATASETS.audit);
  const [datasetExists] = await dataset.exists();
  if (!datasetExists) await dataset.create();
  const table = dataset.table(AUDIT_TABLE);
  const [exists] = await table.exists();
  if (exists) return;
  await table.create({
    schema: { fields: auditTableFields() },
    timePartitioning: { type: 'DAY', field: 'started_at' },
    clustering: { fields: ['account_id', 'outcome', 'run_id'] },
  });
}

/**
 * Creates billing_tickets.ticket_classifications: day partitions on `week` (each partition holds one ISO
 * week's tickets, whatever run wrote them, so a digest over recent weeks prunes the rest), clustered by
 * taxonomy version and atom (the views read one version and group by atom).
 */
export async function ensureTicketClassificationsTable(bq: BigQuery): Promise<void> {
  const dataset = bq.dataset(DATASETS.tickets);
  const [datasetExists] = await dataset.exists();
  if (!datasetExists) await dataset.create();
  const table = dataset.table(TICKET_CLASSIFICATIONS_TABLE);
  const [exists] = await table.exists();
  if (exists) return;
  await table.create({
    schema: { fields: ticketClassificationsFields() },
    timePartitioning: { type: 'DAY', field: 'week' },
    clustering: { fields: ['taxonomy_version', 'atom'] },
  });
}
