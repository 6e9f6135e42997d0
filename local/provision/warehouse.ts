/**
 * Deploys the warehouse (datasets, mirror tables, observability views) through a BigQuery client: the
 * same code path against the local endpoint and a real project (where Terraform normally owns it).
 */
import type { BigQuery } from '@google-cloud/bigquery';
import { DATASETS } from '../../shared/contracts/topology.js';
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

/** Creates the mirror tables (idempotent: CREATE TABLE IF NOT EXISTS) and (re)creates every view in order. */
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
  const views: string[] = [];
  for (const v of viewFiles()) {
    await bq.query({ query: viewDdl(v) });
    views.push(v.name);
  }
  return { tables, views };
}
