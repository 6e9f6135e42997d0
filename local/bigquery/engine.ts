/**
 * The local warehouse: embedded DuckDB holding BigQuery datasets as schemas, with BigQuery's table
 * metadata (schema, partitioning, clustering, require_partition_filter, views), query jobs whose results
 * are materialised into DuckDB tables and read back page by page (never all at once in memory), and
 * insertAll de-duplication by insertId.
 */
import { randomUUID } from 'node:crypto';
import {
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from '@duckdb/node-api';
import { DUCKDB_MACROS } from './macros.js';
import { checkPartitionFilters, partitionedRelations } from './partition-check.js';
import { SqlSyntaxError, UnsupportedSqlError } from './translate/errors.js';
import { type BqQueryParameter, normaliseTimestamp } from './translate/parameters.js';
import { quoteIdent, quoteString } from './translate/quoting.js';
import {
  type TableSpec,
  type Translated,
  translateSelect,
  translateStatement,
} from './translate/statements.js';
import { type BqField, canonicalType, duckTypeForField } from './translate/types.js';
import { expandViewsAsCtes } from './translate/views.js';

/** An error in BigQuery's terms: HTTP status and the `reason` BigQuery puts in its error envelope. */
export class BigQueryApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'BigQueryApiError';
  }
}

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

export interface JobInfo {
  id: string;
  projectId: string;
  statementType: string;
  /** Materialised result table (queries only). */
  resultTable?: string;
  schema?: BqField[];
  totalRows: number;
  numDmlAffectedRows?: number;
  creationTime: number;
  endTime: number;
  query: string;
  /** The page size the job was created with, used when getQueryResults does not say. */
  defaultMaxResults?: number;
}

const META = '__bq_meta';
const JOBS = '__bq_jobs';
/** Finished jobs whose results are kept (oldest dropped first): bounded, like BigQuery's temp tables. */
const MAX_KEPT_JOBS = 200;

function bqError(e: unknown): BigQueryApiError {
  if (e instanceof BigQueryApiError) return e;
  if (e instanceof UnsupportedSqlError) return new BigQueryApiError(400, 'invalidQuery', e.message);
  if (e instanceof SqlSyntaxError)
    return new BigQueryApiError(400, 'invalidQuery', `Syntax error: ${e.message}`);
  const msg = e instanceof Error ? e.message : String(e);
  if (/does not exist|not found/i.test(msg) && /Catalog Error/.test(msg))
    return new BigQueryApiError(404, 'notFound', `Not found: ${msg}`);
  if (
    /Binder Error|Parser Error|Conversion Error|Invalid Input Error|Constraint Error|Catalog Error/.test(msg)
  )
    return new BigQueryApiError(400, 'invalidQuery', msg);
  return new BigQueryApiError(500, 'backendError', msg);
}

export class LocalWarehouse {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<string, JobInfo>();
  /** Partitioned relations (tables with require_partition_filter and views over them); rebuilt lazily. */
  private partitioned: Map<string, string> | undefined;
  /** Reject queries that read a require_partition_filter table without a partition filter, like BigQuery. */
  enforcePartitionFilter = true;
  /** Read views as CTEs, materialising a view read more than once (see expandViewsAsCtes). */
  expandViews = true;

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
    await this.conn.run(
      `CREATE TABLE IF NOT EXISTS ${META}.insert_ids (dataset_id VARCHAR, table_id VARCHAR, insert_id VARCHAR, PRIMARY KEY (dataset_id, table_id, insert_id))`,
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
          spec.schema = d.columnNames().map((n, i) => fieldForDuckType(n, d.columnTypes()[i] as DuckDBType));
        } else {
          if (spec.schema.length === 0) throw new BigQueryApiError(400, 'invalid', 'A table needs a schema');
          const cols = spec.schema.map(
            (f) => `${quoteIdent(f.name)} ${duckTypeForField(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
          );
          await c.run(`CREATE TABLE ${target} (${cols.join(', ')})`);
        }
      } catch (e) {
        throw bqError(e);
      }
      const resource = this.tableResource(projectId, spec, view?.query);
      await c.run(`INSERT INTO ${META}.tables VALUES ($1, $2, $3)`, [
        datasetId,
        tableId,
        JSON.stringify(resource),
      ]);
      this.partitioned = undefined;
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
      this.partitioned = undefined;
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
      // One translation per query: a SELECT is translated with its views expanded (the common case); any
      // other statement, or a SELECT when expansion is off, plainly.
      let t: Translated | undefined;
      try {
        if (this.expandViews) {
          const views = (await this.catalog(c)).views;
          const viewsRead = new Map<string, number>();
          const expanded = translateStatement(query, params, {
            expandViews: new Set(views.keys()),
            viewsRead,
          });
          if (expanded.kind === 'query')
            t =
              viewsRead.size > 0
                ? {
                    kind: 'query',
                    sql: expandViewsAsCtes(expanded.sql, viewsRead, views, (rel) =>
                      this.translatedView(rel, views),
                    ),
                  }
                : expanded;
        }
        t ??= translateStatement(query, params);
      } catch (e) {
        throw bqError(e);
      }
      const job: JobInfo = {
        id,
        projectId,
        statementType: 'SELECT',
        totalRows: 0,
        creationTime: started,
        endTime: started,
        query,
        defaultMaxResults: opts.defaultMaxResults,
      };
      if ((t.kind === 'query' || t.kind === 'dml') && this.enforcePartitionFilter) {
        const violations = await this.partitionViolations(c, query);
        if (violations[0]) throw new BigQueryApiError(400, 'invalidQuery', violations[0].message);
      }
      try {
        switch (t.kind) {
          case 'query': {
            const table = `${JOBS}.${quoteIdent(id)}`;
            await c.run(`CREATE TABLE ${table} AS ${t.sql}`);
            const d = await c.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`);
            job.schema = d.columnNames().map((n, i) => fieldForDuckType(n, d.columnTypes()[i] as DuckDBType));
            const n = await c.runAndReadAll(`SELECT count(*) FROM ${table}`);
            job.totalRows = Number(n.getRows()[0]?.[0] ?? 0);
            job.resultTable = table;
            break;
          }
          case 'dml': {
            job.statementType = t.verb;
            const r = await c.run(t.sql);
            job.numDmlAffectedRows = Number(r.rowsChanged);
            break;
          }
          case 'create_table': {
            job.statementType = t.orReplace ? 'CREATE_TABLE' : 'CREATE_TABLE';
            await this.requireDataset(c, projectId, t.spec.dataset);
            const existing = await this.tableMeta(c, t.spec.dataset, t.spec.table);
            if (existing && t.ifNotExists) break;
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
              spec.schema = d
                .columnNames()
                .map((n, i) => fieldForDuckType(n, d.columnTypes()[i] as DuckDBType));
            }
            await this.putMeta(c, this.tableResource(projectId, spec));
            break;
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
              schema: d.columnNames().map((n, i) => fieldForDuckType(n, d.columnTypes()[i] as DuckDBType)),
              requirePartitionFilter: false,
            };
            await this.putMeta(c, this.tableResource(projectId, spec, viewSelect(query)));
            break;
          }
          case 'drop': {
            job.statementType = 'DROP_TABLE';
            await c.run(t.sql);
            await c.run(`DELETE FROM ${META}.tables WHERE dataset_id = $1 AND table_id = $2`, [
              t.dataset,
              t.table,
            ]);
            this.partitioned = undefined;
            break;
          }
        }
      } catch (e) {
        throw bqError(e);
      }
      job.endTime = Date.now();
      this.jobs.set(id, job);
      await this.evictJobs(c);
      return job;
    });
  }

  private async putMeta(c: DuckDBConnection, r: TableResource): Promise<void> {
    this.partitioned = undefined;
    await c.run(`INSERT OR REPLACE INTO ${META}.tables VALUES ($1, $2, $3)`, [
      r.tableReference.datasetId,
      r.tableReference.tableId,
      JSON.stringify(r),
    ]);
  }

  private async evictJobs(c: DuckDBConnection): Promise<void> {
    while (this.jobs.size > MAX_KEPT_JOBS) {
      const oldest = this.jobs.keys().next().value as string;
      const j = this.jobs.get(oldest);
      this.jobs.delete(oldest);
      if (j?.resultTable) await c.run(`DROP TABLE IF EXISTS ${j.resultTable}`);
    }
  }

  private async partitionedRelations(c: DuckDBConnection): Promise<Map<string, string>> {
    return (await this.catalog(c)).partitioned;
  }

  /** The partition-filter check depends on the query text and the catalog only: cached until either changes. */
  private readonly partitionChecks = new Map<string, ReturnType<typeof checkPartitionFilters>>();

  private async partitionViolations(c: DuckDBConnection, query: string) {
    const partitioned = await this.partitionedRelations(c);
    let v = this.partitionChecks.get(query);
    if (!v) {
      v = checkPartitionFilters(query, partitioned);
      if (this.partitionChecks.size >= 1000) this.partitionChecks.clear();
      this.partitionChecks.set(query, v);
    }
    return v;
  }

  /** View bodies translated for expansion, cached until the catalog changes. */
  private readonly viewSql = new Map<string, { sql: string; viewsRead: Map<string, number> }>();

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

  private catalogCache: { partitioned: Map<string, string>; views: Map<string, string> } | undefined;

  private async catalog(c: DuckDBConnection) {
    if (this.partitioned && this.catalogCache) return this.catalogCache;
    this.viewSql.clear();
    this.partitionChecks.clear();
    const r = await c.runAndReadAll(`SELECT resource FROM ${META}.tables`);
    const tables = new Map<string, string>();
    const views = new Map<string, string>();
    for (const [res] of r.getRows()) {
      const t = JSON.parse(String(res)) as TableResource;
      const name = `${t.tableReference.datasetId}.${t.tableReference.tableId}`.toLowerCase();
      if (t.type === 'TABLE' && t.requirePartitionFilter && t.timePartitioning?.field)
        tables.set(name, t.timePartitioning.field);
      if (t.type === 'VIEW' && t.view) views.set(name, viewSelect(t.view.query));
    }
    this.partitioned = partitionedRelations(tables, views);
    this.catalogCache = { partitioned: this.partitioned, views };
    return this.catalogCache;
  }

  getJob(jobId: string): JobInfo | undefined {
    return this.jobs.get(jobId);
  }

  /** One page of a job's result in BigQuery's f/v row form. */
  async readPage(
    job: JobInfo,
    startIndex: number,
    maxResults: number,
    timestampsAsInt64: boolean,
  ): Promise<{ rows: { f: { v: unknown }[] }[]; nextIndex: number | undefined }> {
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
      const rows = r.getRows().map((row) => ({
        f: row.map((v, i) => ({ v: encodeValue(v, schema[i] as BqField, timestampsAsInt64) })),
      }));
      return { rows, nextIndex: end < job.totalRows ? end : undefined };
    });
  }

  // ---------------------------------------------------------------------------------------- streaming inserts

  /**
   * tabledata.insertAll: rows are validated against the table schema; a row whose insertId was already
   * seen for this table is acknowledged and skipped (BigQuery's best-effort de-duplication, made exact).
   */
  async insertAll(
    projectId: string,
    datasetId: string,
    tableId: string,
    rows: { insertId?: string; json: Record<string, unknown> }[],
    opts: { skipInvalidRows?: boolean; ignoreUnknownValues?: boolean } = {},
  ): Promise<{ index: number; errors: { reason: string; message: string; location?: string }[] }[]> {
    return this.exclusive(async (c) => {
      const meta = await this.tableMeta(c, datasetId, tableId);
      if (meta?.type !== 'TABLE')
        throw new BigQueryApiError(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
      const fields = meta.schema?.fields ?? [];
      const errors: { index: number; errors: { reason: string; message: string; location?: string }[] }[] =
        [];
      const literals: (string | undefined)[] = rows.map((row, index) => {
        try {
          return rowLiteral(fields, row.json ?? {}, opts.ignoreUnknownValues === true);
        } catch (e) {
          errors.push({ index, errors: [{ reason: 'invalid', message: (e as Error).message }] });
          return undefined;
        }
      });
      if (errors.length && !opts.skipInvalidRows) {
        // BigQuery rejects the whole request; the valid rows are reported as stopped.
        const bad = new Set(errors.map((e) => e.index));
        for (let i = 0; i < rows.length; i++)
          if (!bad.has(i)) errors.push({ index: i, errors: [{ reason: 'stopped', message: '' }] });
        return errors.sort((a, b) => a.index - b.index);
      }
      const target = `${quoteIdent(datasetId)}.${quoteIdent(tableId)}`;
      const values: string[] = [];
      const seenInRequest = new Set<string>();
      for (let i = 0; i < rows.length; i++) {
        const lit = literals[i];
        if (lit === undefined) continue;
        const insertId = rows[i]?.insertId;
        if (insertId) {
          if (seenInRequest.has(insertId)) continue;
          seenInRequest.add(insertId);
          const dup = await c.runAndReadAll(
            `SELECT 1 FROM ${META}.insert_ids WHERE dataset_id = $1 AND table_id = $2 AND insert_id = $3`,
            [datasetId, tableId, insertId],
          );
          if (dup.currentRowCount > 0) continue;
          await c.run(`INSERT INTO ${META}.insert_ids VALUES ($1, $2, $3)`, [datasetId, tableId, insertId]);
        }
        values.push(lit);
      }
      if (values.length) {
        const cols = fields.map((f) => quoteIdent(f.name)).join(', ');
        for (let i = 0; i < values.length; i += 500) {
          try {
            await c.run(`INSERT INTO ${target} (${cols}) VALUES ${values.slice(i, i + 500).join(', ')}`);
          } catch (e) {
            throw bqError(e);
          }
        }
      }
      return errors;
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

/** BigQuery schema field (legacy REST type names, as BigQuery reports query results) for a DuckDB type. */
export function fieldForDuckType(name: string, t: DuckDBType): BqField {
  if (t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY) {
    const inner = fieldForDuckType(name, (t as unknown as { valueType: DuckDBType }).valueType);
    return { ...inner, mode: 'REPEATED' };
  }
  if (t.typeId === DuckDBTypeId.STRUCT) {
    const st = t as unknown as { entryNames: readonly string[]; entryTypes: readonly DuckDBType[] };
    return {
      name,
      type: 'RECORD',
      mode: 'NULLABLE',
      fields: st.entryNames.map((n, i) => fieldForDuckType(n, st.entryTypes[i] as DuckDBType)),
    };
  }
  return { name, type: legacyTypeName(t), mode: 'NULLABLE' };
}

function legacyTypeName(t: DuckDBType): string {
  if (t.alias === 'JSON') return 'JSON';
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'BOOLEAN';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
      return 'INTEGER';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'FLOAT';
    case DuckDBTypeId.DECIMAL:
      return 'NUMERIC';
    case DuckDBTypeId.DATE:
      return 'DATE';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'TIMESTAMP';
    case DuckDBTypeId.TIME:
      return 'TIME';
    case DuckDBTypeId.BLOB:
      return 'BYTES';
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.SQLNULL:
      return 'STRING';
    default:
      throw new BigQueryApiError(
        400,
        'invalidQuery',
        `Result column type ${t.toString()} has no BigQuery equivalent`,
      );
  }
}

const DAY_MS = 86_400_000;

/** A DuckDB value in BigQuery's REST encoding: scalars as strings, arrays as [{v}], records as {f:[{v}]}. */
export function encodeValue(v: DuckDBValue, field: BqField, timestampsAsInt64: boolean): unknown {
  if (field.mode === 'REPEATED') {
    // BigQuery returns a NULL array as an empty one.
    if (v === null || v === undefined) return [];
    const items = (v as DuckDBListValue).items ?? [];
    const inner: BqField = { ...field, mode: 'NULLABLE' };
    return items.map((x) => ({ v: encodeValue(x, inner, timestampsAsInt64) }));
  }
  if (v === null || v === undefined) return null;
  if (field.type === 'RECORD') {
    const entries = (v as DuckDBStructValue).entries;
    return {
      f: (field.fields ?? []).map((f) => ({ v: encodeValue(entries[f.name] ?? null, f, timestampsAsInt64) })),
    };
  }
  if (v instanceof DuckDBTimestampValue) {
    if (timestampsAsInt64) return v.micros.toString();
    // Float seconds, as BigQuery writes them without useInt64Timestamp.
    return (Number(v.micros) / 1e6).toString();
  }
  if (v instanceof DuckDBDateValue) return new Date(v.days * DAY_MS).toISOString().slice(0, 10);
  if (v instanceof DuckDBDecimalValue) return v.toString();
  if (v instanceof DuckDBListValue || v instanceof DuckDBStructValue) return JSON.stringify(v.toString());
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  return String(v);
}

/** One row of an insertAll request as a DuckDB VALUES tuple, validated against the schema. */
function rowLiteral(fields: BqField[], json: Record<string, unknown>, ignoreUnknown: boolean): string {
  const known = new Set(fields.map((f) => f.name.toLowerCase()));
  for (const k of Object.keys(json)) {
    if (!known.has(k.toLowerCase()) && !ignoreUnknown) throw new Error(`no such field: ${k}.`);
  }
  const lower = new Map(Object.entries(json).map(([k, v]) => [k.toLowerCase(), v]));
  return `(${fields.map((f) => valueLiteral(f, lower.get(f.name.toLowerCase()), f.name)).join(', ')})`;
}

function valueLiteral(f: BqField, v: unknown, path: string): string {
  if (f.mode === 'REPEATED') {
    if (v === undefined || v === null) return `CAST([] AS ${duckTypeForField(f)})`;
    if (!Array.isArray(v)) throw new Error(`Array specified for non-repeated field: ${path}.`);
    const inner: BqField = { ...f, mode: 'NULLABLE' };
    return `CAST([${v.map((x, i) => valueLiteral(inner, x, `${path}[${i}]`)).join(', ')}] AS ${duckTypeForField(f)})`;
  }
  if (v === undefined || v === null) {
    if (f.mode === 'REQUIRED') throw new Error(`Missing required field: ${path}.`);
    return `CAST(NULL AS ${duckTypeForField(f)})`;
  }
  const t = canonicalType(f.type);
  const str = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  switch (t) {
    case 'STRING':
      if (typeof v === 'object') throw new Error(`This field: ${path} is not a record.`);
      return quoteString(str);
    case 'JSON':
      return `CAST(${quoteString(str)} AS JSON)`;
    case 'INT64':
      if (!/^-?\d+$/.test(str)) throw new Error(`Cannot convert value to integer: ${path}.`);
      return `CAST(${str} AS BIGINT)`;
    case 'FLOAT64':
    case 'NUMERIC':
      if (Number.isNaN(Number(str))) throw new Error(`Cannot convert value to ${t}: ${path}.`);
      return `CAST(${quoteString(str)} AS ${duckTypeForField({ ...f, mode: 'NULLABLE' })})`;
    case 'BOOL':
      if (!/^(true|false)$/i.test(str)) throw new Error(`Cannot convert value to boolean: ${path}.`);
      return str.toLowerCase() === 'true' ? 'TRUE' : 'FALSE';
    case 'DATE':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(str)) throw new Error(`Invalid date: ${path}.`);
      return `DATE ${quoteString(str)}`;
    case 'TIMESTAMP':
    case 'DATETIME': {
      // insertAll accepts seconds since the epoch as a number, or a timestamp string.
      if (typeof v === 'number') return `make_timestamp(CAST(${Math.round(v * 1e6)} AS BIGINT))`;
      try {
        return `TIMESTAMP ${quoteString(normaliseTimestamp(str))}`;
      } catch {
        throw new Error(`Invalid timestamp: ${path}.`);
      }
    }
    case 'STRUCT': {
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`This field: ${path} is a record.`);
      const o = v as Record<string, unknown>;
      return `{${(f.fields ?? []).map((c) => `${quoteString(c.name)}: ${valueLiteral(c, o[c.name], `${path}.${c.name}`)}`).join(', ')}}`;
    }
    default:
      throw new Error(`Unsupported field type ${f.type}: ${path}.`);
  }
}
