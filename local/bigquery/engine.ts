/**
 * The local warehouse: embedded DuckDB holding BigQuery datasets as schemas, with BigQuery's table
 * metadata (schema, partitioning, clustering, require_partition_filter, views), query jobs whose results
 * are materialised into DuckDB tables and read back page by page (never all at once in memory), dry runs,
 * table data and streaming inserts. Every error leaves here in BigQuery's words (engine-errors.ts).
 */
import { randomUUID } from 'node:crypto';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { BigQueryApiError, invalidQuery, notFound } from './api-error.js';
import { type DryRun, dryRunStatement } from './dry-run.js';
import { encodeRows, type FvRow, schemaOf } from './encoding.js';
import { toBigQueryError } from './engine-errors.js';
import { type InsertAllOptions, type InsertAllRow, type InsertError, insertAll } from './insert-all.js';
import { InsertIdWindow } from './insert-id-window.js';
import { type JobFilter, type JobInfo, JobStore } from './jobs.js';
import { DUCKDB_MACROS } from './macros.js';
import {
  checkPartitionFilters,
  type PartitionViolation,
  partitionedRelations,
  tableRefs,
} from './partition-check.js';
import { readTableData, type TableDataPage } from './table-data.js';
import type { BqQueryParameter } from './translate/parameters.js';
import { quoteIdent } from './translate/quoting.js';
import {
  type TableSpec,
  type Translated,
  translateSelect,
  translateStatement,
} from './translate/statements.js';
import { type BqField, canonicalType, duckTypeForField } from './translate/types.js';
import { expandViewsAsCtes } from './translate/views.js';

export { BigQueryApiError } from './api-error.js';
export type { JobInfo } from './jobs.js';

export interface TableResource {
  kind: 'bigquery#table';
  id: string;
  tableReference: { projectId: string; datasetId: string; tableId: string };
  type: 'TABLE' | 'VIEW';
  schema?: { fields: BqField[] };
  timePartitioning?: { type: 'DAY'; field?: string; requirePartitionFilter?: boolean };
  requirePartitionFilter?: boolean;
  clustering?: { fields: string[] };
  view?: { query: string; useLegacySql: false };
  description?: string;
  creationTime: string;
  lastModifiedTime: string;
  numRows?: string;
  location: string;
}

const META = '__bq_meta';
const JOBS = '__bq_jobs';

/** What queries are checked against: datasets, tables and views, partitioned relations. */
interface Catalog {
  /** Dataset ids, lower-case. */
  datasets: Set<string>;
  /** Tables and views by lower-case dataset.table. */
  tables: Map<string, TableResource>;
  /** Partitioned relations (tables with require_partition_filter and views over them) -> column. */
  partitioned: Map<string, string>;
  /** View bodies (their SELECT) by lower-case dataset.view. */
  views: Map<string, string>;
}

/** The checks a query's text needs, which depend only on it and the catalog: cached until either changes. */
interface QueryChecks {
  tableRefs: string[][];
  violations: PartitionViolation[];
}

export class LocalWarehouse {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly jobs = new JobStore();
  /** Reject queries that read a require_partition_filter table without a partition filter, like BigQuery. */
  enforcePartitionFilter = true;
  /** Read views as CTEs, materialising a view read more than once (see expandViewsAsCtes). */
  expandViews = true;
  /** insertAll's best-effort de-duplication; set `insertIds.windowMs = 0` to let duplicates through. */
  readonly insertIds = new InsertIdWindow();

  private constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly location = 'US',
  ) {}

  static async open(dbPath = ':memory:'): Promise<LocalWarehouse> {
    // No ICU extension in this build: DuckDB then keeps TIMESTAMPTZ in UTC, which is what BigQuery does.
    const instance = await DuckDBInstance.create(dbPath);
    const conn = await instance.connect();
    const w = new LocalWarehouse(instance, conn);
    await w.init();
    return w;
  }

  private async init(): Promise<void> {
    await this.conn.run(`CREATE SCHEMA IF NOT EXISTS ${META}`);
    await this.conn.run(`CREATE SCHEMA IF NOT EXISTS ${JOBS}`);
    await this.conn.run(
      `CREATE TABLE IF NOT EXISTS ${META}.datasets (dataset_id VARCHAR PRIMARY KEY, resource VARCHAR, created BIGINT)`,
    );
    await this.conn.run(
      `CREATE TABLE IF NOT EXISTS ${META}.tables (dataset_id VARCHAR, table_id VARCHAR, resource VARCHAR, PRIMARY KEY (dataset_id, table_id))`,
    );
    for (const m of DUCKDB_MACROS) await this.conn.run(m);
  }

  /** Runs fn with exclusive use of the connection (DuckDB connections are not re-entrant). */
  exclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => fn(this.conn));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  /** An error raised for `projectId` (about `sql`, when given) as the BigQuery error a client gets. */
  private error(e: unknown, projectId: string, sql?: string): BigQueryApiError {
    return toBigQueryError(e, { projectId, location: this.location, sql });
  }

  // ---------------------------------------------------------------------------------------- datasets

  async insertDataset(projectId: string, datasetId: string, body: Record<string, unknown> = {}) {
    if (!/^[A-Za-z0-9_]{1,1024}$/.test(datasetId))
      throw new BigQueryApiError(400, 'invalid', `Invalid dataset ID "${datasetId}"`);
    return this.exclusive(async (c) => {
      const exists = await c.runAndReadAll(`SELECT 1 FROM ${META}.datasets WHERE dataset_id = $1`, [
        datasetId,
      ]);
      if (exists.currentRowCount > 0)
        throw new BigQueryApiError(409, 'duplicate', `Already Exists: Dataset ${projectId}:${datasetId}`);
      await c.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(datasetId)}`);
      const now = Date.now();
      const resource = {
        ...body,
        kind: 'bigquery#dataset',
        id: `${projectId}:${datasetId}`,
        datasetReference: { projectId, datasetId },
        location: (body.location as string | undefined) ?? this.location,
        creationTime: String(now),
        lastModifiedTime: String(now),
      };
      await c.run(`INSERT INTO ${META}.datasets VALUES ($1, $2, $3)`, [
        datasetId,
        JSON.stringify(resource),
        now,
      ]);
      this.invalidateCatalog();
      return resource;
    });
  }

  async getDataset(projectId: string, datasetId: string) {
    return this.exclusive(async (c) => {
      const r = await c.runAndReadAll(`SELECT resource FROM ${META}.datasets WHERE dataset_id = $1`, [
        datasetId,
      ]);
      const row = r.getRows()[0];
      if (!row) throw new BigQueryApiError(404, 'notFound', `Not found: Dataset ${projectId}:${datasetId}`);
      return JSON.parse(String(row[0]));
    });
  }

  async listDatasets(projectId: string) {
    return this.exclusive(async (c) => {
      const r = await c.runAndReadAll(`SELECT resource FROM ${META}.datasets ORDER BY dataset_id`);
      return r.getRows().map((row) => {
        const d = JSON.parse(String(row[0]));
        return { ...d, id: `${projectId}:${d.datasetReference.datasetId}` };
      });
    });
  }

  private async requireDataset(c: DuckDBConnection, projectId: string, datasetId: string) {
    const r = await c.runAndReadAll(`SELECT 1 FROM ${META}.datasets WHERE dataset_id = $1`, [datasetId]);
    if (r.currentRowCount === 0)
      throw new BigQueryApiError(404, 'notFound', `Not found: Dataset ${projectId}:${datasetId}`);
  }

  // ---------------------------------------------------------------------------------------- tables

  private tableResource(projectId: string, spec: TableSpec, view?: string): TableResource {
    const now = String(Date.now());
    const r: TableResource = {
      kind: 'bigquery#table',
      id: `${projectId}:${spec.dataset}.${spec.table}`,
      tableReference: { projectId, datasetId: spec.dataset, tableId: spec.table },
      type: view === undefined ? 'TABLE' : 'VIEW',
      creationTime: now,
      lastModifiedTime: now,
      location: this.location,
    };
    if (spec.schema.length) r.schema = { fields: spec.schema };
    if (spec.partitionField) {
      r.timePartitioning = { type: 'DAY', field: spec.partitionField };
      if (spec.requirePartitionFilter) {
        r.timePartitioning.requirePartitionFilter = true;
        r.requirePartitionFilter = true;
      }
    }
    if (spec.clustering?.length) r.clustering = { fields: spec.clustering };
    if (view !== undefined) r.view = { query: view, useLegacySql: false };
    if (spec.description) r.description = spec.description;
    return r;
  }

  /** tables.insert: a table (schema, partitioning, clustering) or a view (BigQuery SQL, translated). */
  async insertTable(
    projectId: string,
    datasetId: string,
    body: Record<string, unknown>,
  ): Promise<TableResource> {
    const ref = body.tableReference as { tableId?: string } | undefined;
    const tableId = ref?.tableId;
    if (!tableId || !/^[A-Za-z0-9_]{1,1024}$/.test(tableId))
      throw new BigQueryApiError(400, 'invalid', `Invalid table ID "${String(tableId)}"`);
    const tp = body.timePartitioning as { field?: string; requirePartitionFilter?: boolean } | undefined;
    const spec: TableSpec = {
      dataset: datasetId,
      table: tableId,
      schema: ((body.schema as { fields?: BqField[] } | undefined)?.fields ?? []).map(normaliseField),
      partitionField: tp ? (tp.field ?? '_PARTITIONTIME') : undefined,
      clustering: (body.clustering as { fields?: string[] } | undefined)?.fields,
      requirePartitionFilter: body.requirePartitionFilter === true || tp?.requirePartitionFilter === true,
      description: body.description as string | undefined,
    };
    const view = body.view as { query?: string; useLegacySql?: boolean } | undefined;
    if (view) {
      if (view.useLegacySql === true)
        throw new BigQueryApiError(400, 'invalid', 'Legacy SQL views are not supported');
      if (!view.query) throw new BigQueryApiError(400, 'invalid', 'A view needs view.query');
    }
    return this.exclusive(async (c) => {
      await this.requireDataset(c, projectId, datasetId);
      const exists = await c.runAndReadAll(
        `SELECT 1 FROM ${META}.tables WHERE dataset_id = $1 AND table_id = $2`,
        [datasetId, tableId],
      );
      if (exists.currentRowCount > 0)
        throw new BigQueryApiError(
          409,
          'duplicate',
          `Already Exists: Table ${projectId}:${datasetId}.${tableId}`,
        );
      const target = `${quoteIdent(datasetId)}.${quoteIdent(tableId)}`;
      try {
        if (view?.query) {
          const t = translateStatement(view.query);
          if (t.kind !== 'query') throw new BigQueryApiError(400, 'invalid', 'view.query must be a SELECT');
          await c.run(`CREATE VIEW ${target} AS ${t.sql}`);
          // The view's output schema, as BigQuery reports it.
          const d = await c.runAndReadAll(`SELECT * FROM ${target} LIMIT 0`);
          spec.schema = schemaOf(d.columnNames(), d.columnTypes());
        } else {
          if (spec.schema.length === 0) throw new BigQueryApiError(400, 'invalid', 'A table needs a schema');
          const cols = spec.schema.map(
            (f) => `${quoteIdent(f.name)} ${duckTypeForField(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
          );
          await c.run(`CREATE TABLE ${target} (${cols.join(', ')})`);
        }
      } catch (e) {
        throw this.error(e, projectId, view?.query);
      }
      const resource = this.tableResource(projectId, spec, view?.query);
      await c.run(`INSERT INTO ${META}.tables VALUES ($1, $2, $3)`, [
        datasetId,
        tableId,
        JSON.stringify(resource),
      ]);
      this.invalidateCatalog();
      return resource;
    });
  }

  async getTable(projectId: string, datasetId: string, tableId: string): Promise<TableResource> {
    return this.exclusive(async (c) => {
      const meta = await this.tableMeta(c, datasetId, tableId);
      if (!meta)
        throw new BigQueryApiError(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
      if (meta.type === 'TABLE') {
        const n = await c.runAndReadAll(
          `SELECT count(*) FROM ${quoteIdent(datasetId)}.${quoteIdent(tableId)}`,
        );
        meta.numRows = String(n.getRows()[0]?.[0] ?? 0);
      }
      return { ...meta, id: `${projectId}:${datasetId}.${tableId}` };
    });
  }

  async listTables(projectId: string, datasetId: string) {
    return this.exclusive(async (c) => {
      await this.requireDataset(c, projectId, datasetId);
      const r = await c.runAndReadAll(
        `SELECT resource FROM ${META}.tables WHERE dataset_id = $1 ORDER BY table_id`,
        [datasetId],
      );
      return r.getRows().map((row) => JSON.parse(String(row[0])) as TableResource);
    });
  }

  async deleteTable(projectId: string, datasetId: string, tableId: string): Promise<void> {
    return this.exclusive(async (c) => {
      const meta = await this.tableMeta(c, datasetId, tableId);
      if (!meta)
        throw new BigQueryApiError(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
      await c.run(
        `DROP ${meta.type === 'VIEW' ? 'VIEW' : 'TABLE'} IF EXISTS ${quoteIdent(datasetId)}.${quoteIdent(tableId)}`,
      );
      await c.run(`DELETE FROM ${META}.tables WHERE dataset_id = $1 AND table_id = $2`, [datasetId, tableId]);
      this.dropped(datasetId, tableId);
    });
  }

  private async tableMeta(
    c: DuckDBConnection,
    datasetId: string,
    tableId: string,
  ): Promise<TableResource | undefined> {
    const r = await c.runAndReadAll(
      `SELECT resource FROM ${META}.tables WHERE dataset_id = $1 AND table_id = $2`,
      [datasetId, tableId],
    );
    const row = r.getRows()[0];
    return row ? (JSON.parse(String(row[0])) as TableResource) : undefined;
  }

  // ---------------------------------------------------------------------------------------- queries

  /**
   * Translates one statement and checks it as BigQuery does before running anything: every table and
   * dataset a query reads exists, and every read of a require_partition_filter table has a partition filter.
   */
  private async plan(
    c: DuckDBConnection,
    projectId: string,
    query: string,
    params: BqQueryParameter[],
  ): Promise<Translated> {
    const catalog = await this.catalog(c);
    // One translation per query: a SELECT is translated with its views expanded (the common case); any
    // other statement, or a SELECT when expansion is off, plainly.
    let t: Translated | undefined;
    if (this.expandViews) {
      const viewsRead = new Map<string, number>();
      const expanded = translateStatement(query, params, {
        expandViews: new Set(catalog.views.keys()),
        viewsRead,
      });
      if (expanded.kind === 'query')
        t =
          viewsRead.size > 0
            ? {
                kind: 'query',
                sql: expandViewsAsCtes(expanded.sql, viewsRead, catalog.views, (rel) =>
                  this.translatedView(rel, catalog.views),
                ),
              }
            : expanded;
    }
    t ??= translateStatement(query, params);
    if (t.kind === 'query' || t.kind === 'dml') {
      const checks = this.queryChecks(query, catalog);
      for (const path of checks.tableRefs) {
        const [dataset, table] = path.slice(-2) as [string, string];
        if (catalog.tables.has(`${dataset}.${table}`.toLowerCase())) continue;
        const project = path.length === 3 ? path[0] : projectId;
        throw catalog.datasets.has(dataset.toLowerCase())
          ? notFound(`Table ${project}:${dataset}.${table}`, this.location)
          : notFound(`Dataset ${project}:${dataset}`, this.location);
      }
      const violation = checks.violations[0];
      if (this.enforcePartitionFilter && violation) throw invalidQuery(violation.message);
    }
    return t;
  }

  /**
   * Runs one BigQuery statement to completion. A SELECT's result is materialised into a job table so
   * getQueryResults can page through it without holding it in memory.
   */
  async runQuery(
    projectId: string,
    query: string,
    params: BqQueryParameter[] = [],
    opts: { jobId?: string; defaultMaxResults?: number } = {},
  ): Promise<JobInfo> {
    const id = opts.jobId ?? `job_${randomUUID().replace(/-/g, '')}`;
    if (this.jobs.has(id))
      throw new BigQueryApiError(409, 'duplicate', `Already Exists: Job ${projectId}:${id}`);
    const started = Date.now();
    return this.exclusive(async (c) => {
      try {
        const t = await this.plan(c, projectId, query, params);
        const job: JobInfo = {
          id,
          projectId,
          seq: this.jobs.nextSeq(),
          statementType: 'SELECT',
          totalRows: 0,
          creationTime: started,
          endTime: started,
          query,
          defaultMaxResults: opts.defaultMaxResults,
        };
        await this.execute(c, projectId, t, job);
        job.endTime = Date.now();
        for (const table of this.jobs.add(job)) await c.run(`DROP TABLE IF EXISTS ${table}`);
        return job;
      } catch (e) {
        throw this.error(e, projectId, query);
      }
    });
  }

  /** Validates a statement as a run would, then binds and plans it without running it (dry-run.ts). */
  async dryRun(projectId: string, query: string, params: BqQueryParameter[] = []): Promise<DryRun> {
    return this.exclusive(async (c) => {
      try {
        const t = await this.plan(c, projectId, query, params);
        if (t.kind === 'create_table') await this.requireDataset(c, projectId, t.spec.dataset);
        if (t.kind === 'create_view') await this.requireDataset(c, projectId, t.dataset);
        const tables = new Map(
          [...(await this.catalog(c)).tables]
            .filter(([, r]) => r.type === 'TABLE')
            .map(([k, r]) => [k, { ...r.tableReference, fields: r.schema?.fields ?? [] }]),
        );
        return await dryRunStatement(c, t, tables);
      } catch (e) {
        throw this.error(e, projectId, query);
      }
    });
  }

  private async execute(c: DuckDBConnection, projectId: string, t: Translated, job: JobInfo): Promise<void> {
    switch (t.kind) {
      case 'query': {
        const table = `${JOBS}.${quoteIdent(job.id)}`;
        await c.run(`CREATE TABLE ${table} AS ${t.sql}`);
        const d = await c.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`);
        job.schema = schemaOf(d.columnNames(), d.columnTypes());
        const n = await c.runAndReadAll(`SELECT count(*) FROM ${table}`);
        job.totalRows = Number(n.getRows()[0]?.[0] ?? 0);
        job.resultTable = table;
        return;
      }
      case 'dml': {
        job.statementType = t.verb;
        const r = await c.run(t.sql);
        job.numDmlAffectedRows = Number(r.rowsChanged);
        return;
      }
      case 'create_table': {
        job.statementType = 'CREATE_TABLE';
        await this.requireDataset(c, projectId, t.spec.dataset);
        const existing = await this.tableMeta(c, t.spec.dataset, t.spec.table);
        if (existing && t.ifNotExists) return;
        if (existing && !t.orReplace)
          throw new BigQueryApiError(
            409,
            'duplicate',
            `Already Exists: Table ${projectId}:${t.spec.dataset}.${t.spec.table}`,
          );
        await c.run(t.sql);
        const spec = { ...t.spec };
        if (spec.schema.length === 0) {
          const d = await c.runAndReadAll(
            `SELECT * FROM ${quoteIdent(spec.dataset)}.${quoteIdent(spec.table)} LIMIT 0`,
          );
          spec.schema = schemaOf(d.columnNames(), d.columnTypes());
        }
        await this.putMeta(c, this.tableResource(projectId, spec));
        return;
      }
      case 'create_view': {
        job.statementType = 'CREATE_VIEW';
        await this.requireDataset(c, projectId, t.dataset);
        await c.run(t.sql);
        const d = await c.runAndReadAll(
          `SELECT * FROM ${quoteIdent(t.dataset)}.${quoteIdent(t.table)} LIMIT 0`,
        );
        const spec: TableSpec = {
          dataset: t.dataset,
          table: t.table,
          schema: schemaOf(d.columnNames(), d.columnTypes()),
          requirePartitionFilter: false,
        };
        await this.putMeta(c, this.tableResource(projectId, spec, viewSelect(job.query)));
        return;
      }
      case 'drop': {
        job.statementType = 'DROP_TABLE';
        await c.run(t.sql);
        await c.run(`DELETE FROM ${META}.tables WHERE dataset_id = $1 AND table_id = $2`, [
          t.dataset,
          t.table,
        ]);
        this.dropped(t.dataset, t.table);
        return;
      }
    }
  }

  private async putMeta(c: DuckDBConnection, r: TableResource): Promise<void> {
    this.invalidateCatalog();
    await c.run(`INSERT OR REPLACE INTO ${META}.tables VALUES ($1, $2, $3)`, [
      r.tableReference.datasetId,
      r.tableReference.tableId,
      JSON.stringify(r),
    ]);
  }

  /** A table or view is gone: the catalog changed, and its insertIds no longer mean anything. */
  private dropped(datasetId: string, tableId: string): void {
    this.invalidateCatalog();
    this.insertIds.forget(`${datasetId}.${tableId}`);
  }

  // ---------------------------------------------------------------------------------------- catalog

  private catalogCache: Catalog | undefined;
  private readonly checks = new Map<string, QueryChecks>();
  /** View bodies translated for expansion, cached until the catalog changes. */
  private readonly viewSql = new Map<string, { sql: string; viewsRead: Map<string, number> }>();

  private invalidateCatalog(): void {
    this.catalogCache = undefined;
    this.checks.clear();
    this.viewSql.clear();
  }

  private async catalog(c: DuckDBConnection): Promise<Catalog> {
    if (this.catalogCache) return this.catalogCache;
    const ds = await c.runAndReadAll(`SELECT dataset_id FROM ${META}.datasets`);
    const r = await c.runAndReadAll(`SELECT resource FROM ${META}.tables`);
    const tables = new Map<string, TableResource>();
    const partitionedTables = new Map<string, string>();
    const views = new Map<string, string>();
    for (const [res] of r.getRows()) {
      const t = JSON.parse(String(res)) as TableResource;
      const name = `${t.tableReference.datasetId}.${t.tableReference.tableId}`.toLowerCase();
      tables.set(name, t);
      if (t.type === 'TABLE' && t.requirePartitionFilter && t.timePartitioning?.field)
        partitionedTables.set(name, t.timePartitioning.field);
      if (t.type === 'VIEW' && t.view) views.set(name, viewSelect(t.view.query));
    }
    this.catalogCache = {
      datasets: new Set(ds.getRows().map(([d]) => String(d).toLowerCase())),
      tables,
      partitioned: partitionedRelations(partitionedTables, views),
      views,
    };
    return this.catalogCache;
  }

  private queryChecks(query: string, catalog: Catalog): QueryChecks {
    let checks = this.checks.get(query);
    if (!checks) {
      checks = { tableRefs: tableRefs(query), violations: checkPartitionFilters(query, catalog.partitioned) };
      if (this.checks.size >= 1000) this.checks.clear();
      this.checks.set(query, checks);
    }
    return checks;
  }

  private translatedView(rel: string, views: ReadonlyMap<string, string>) {
    let t = this.viewSql.get(rel);
    if (!t) {
      const viewsRead = new Map<string, number>();
      const sql = translateSelect(views.get(rel) as string, [], {
        expandViews: new Set(views.keys()),
        viewsRead,
      });
      t = { sql, viewsRead };
      this.viewSql.set(rel, t);
    }
    return t;
  }

  // ---------------------------------------------------------------------------------------- jobs and results

  getJob(jobId: string): JobInfo | undefined {
    return this.jobs.get(jobId);
  }

  /** jobs.list: the project's jobs this server still holds, newest first. */
  listJobs(projectId: string, filter: JobFilter = {}): JobInfo[] {
    return this.jobs.list(projectId, filter);
  }

  /** One page of a job's result in BigQuery's f/v row form. */
  async readPage(
    job: JobInfo,
    startIndex: number,
    maxResults: number,
    timestampsAsInt64: boolean,
  ): Promise<{ rows: FvRow[]; nextIndex: number | undefined }> {
    if (!job.resultTable || !job.schema) return { rows: [], nextIndex: undefined };
    const schema = job.schema;
    const table = job.resultTable;
    const end = Math.min(job.totalRows, startIndex + maxResults);
    if (startIndex >= end) return { rows: [], nextIndex: undefined };
    return this.exclusive(async (c) => {
      // rowid follows insertion order, which CTAS keeps from the query's ORDER BY.
      const r = await c.runAndReadAll(
        `SELECT * FROM ${table} WHERE rowid >= ${startIndex} AND rowid < ${end} ORDER BY rowid`,
      );
      return {
        rows: encodeRows(r.getRows(), schema, timestampsAsInt64),
        nextIndex: end < job.totalRows ? end : undefined,
      };
    });
  }

  // ---------------------------------------------------------------------------------------- table data

  /** A stored table (not a view) to `action`, or BigQuery's error for what the request named instead. */
  private async storedTable(
    c: DuckDBConnection,
    ref: { projectId: string; datasetId: string; tableId: string },
    action: string,
  ) {
    const { projectId, datasetId, tableId } = ref;
    const meta = await this.tableMeta(c, datasetId, tableId);
    if (!meta)
      throw new BigQueryApiError(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
    if (meta.type !== 'TABLE')
      throw new BigQueryApiError(400, 'invalid', `Cannot ${action} a table of type ${meta.type}.`);
    return { datasetId, tableId, fields: meta.schema?.fields ?? [] };
  }

  /** tabledata.list: one page of a table's rows, no query and no partition filter needed. */
  async listTableData(
    projectId: string,
    datasetId: string,
    tableId: string,
    page: { start: number; max: number; selectedFields: string[]; timestampsAsInt64: boolean },
  ): Promise<TableDataPage> {
    return this.exclusive(async (c) => {
      const table = await this.storedTable(c, { projectId, datasetId, tableId }, 'list');
      try {
        return await readTableData(c, table, page);
      } catch (e) {
        throw this.error(e, projectId);
      }
    });
  }

  /** tabledata.insertAll (insert-all.ts): validated rows, stored at once, de-duplicated for a window. */
  async insertAll(
    projectId: string,
    datasetId: string,
    tableId: string,
    rows: InsertAllRow[],
    opts: InsertAllOptions = {},
  ): Promise<InsertError[]> {
    return this.exclusive(async (c) => {
      const table = await this.storedTable(c, { projectId, datasetId, tableId }, 'add rows to');
      try {
        return await insertAll(
          c,
          { dataset: datasetId, table: tableId, fields: table.fields },
          rows,
          opts,
          this.insertIds,
        );
      } catch (e) {
        throw this.error(e, projectId);
      }
    });
  }
}

/** The SELECT of a view definition (stored either as the SELECT itself or as CREATE VIEW ... AS SELECT). */
function viewSelect(query: string): string {
  const m = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?[^\s(]+\s+AS\s+/i.exec(query);
  return m ? query.slice(m[0].length) : query;
}

function normaliseField(f: BqField): BqField {
  const out: BqField = { name: f.name, type: canonicalType(f.type), mode: f.mode ?? 'NULLABLE' };
  if (f.fields) out.fields = f.fields.map(normaliseField);
  if (f.description) out.description = f.description;
  return out;
}
