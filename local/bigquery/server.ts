/**
 * A local BigQuery REST endpoint (the v2 subset the project uses) over the DuckDB-backed LocalWarehouse,
 * so production code talks to it through the real `@google-cloud/bigquery` client (`apiEndpoint`).
 * Errors use BigQuery's envelope: `{ error: { code, message, status, errors: [{ reason, message }] } }`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BigQueryApiError, type JobInfo, LocalWarehouse } from './engine.js';
import type { BqQueryParameter } from './translate/parameters.js';
import { translateStatement } from './translate/statements.js';

const DEFAULT_PAGE_ROWS = 10_000;
const MAX_PAGE_ROWS = 100_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  500: 'INTERNAL',
};

export interface LocalBigQuery {
  /** Base URL to give the client as `apiEndpoint`. */
  url: string;
  port: number;
  /** The DuckDB-backed warehouse behind the endpoint (bulk loading, direct inspection in tests). */
  db: LocalWarehouse;
  stop(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  host?: string;
  /** DuckDB file; in memory when omitted. */
  dbPath?: string;
  /** Reject reads of require_partition_filter tables without a partition filter (default true, as BigQuery). */
  enforcePartitionFilter?: boolean;
  /**
   * Read views as CTEs, materialising a view read twice once per query (default true): much faster for the
   * drift queries over whole partitions; a point lookup through a deep view graph may prefer false.
   */
  expandViews?: boolean;
}

export async function startLocalBigQuery(opts: StartOptions = {}): Promise<LocalBigQuery> {
  const db = await LocalWarehouse.open(opts.dbPath ?? ':memory:');
  db.enforcePartitionFilter = opts.enforcePartitionFilter ?? true;
  db.expandViews = opts.expandViews ?? true;
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(db, req, res).catch((e) => sendError(res, e));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    db,
    stop: () => stopServer(server, db),
  };
}

async function stopServer(server: Server, db: LocalWarehouse): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  db.close();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err =
    e instanceof BigQueryApiError
      ? e
      : new BigQueryApiError(500, 'backendError', e instanceof Error ? e.message : String(e));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, err.status, {
    error: {
      code: err.status,
      message: err.message,
      status: STATUS_NAMES[err.status] ?? 'UNKNOWN',
      errors: [{ message: err.message, domain: 'global', reason: err.reason }],
    },
  });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BigQueryApiError(413, 'invalid', 'Request body too large');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new BigQueryApiError(400, 'parseError', `Invalid JSON payload: ${(e as Error).message}`);
  }
}

function pageSize(v: unknown, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new BigQueryApiError(400, 'invalid', `Invalid maxResults: ${String(v)}`);
  return Math.min(n, MAX_PAGE_ROWS);
}

function startFrom(pageToken: unknown, startIndex: unknown): number {
  if (typeof pageToken === 'string' && pageToken !== '') {
    const m = /^p(\d+)$/.exec(pageToken);
    if (!m) throw new BigQueryApiError(400, 'invalid', `Invalid page token: ${pageToken}`);
    return Number(m[1]);
  }
  if (startIndex !== undefined && startIndex !== null && startIndex !== '') {
    const n = Number(startIndex);
    if (!Number.isInteger(n) || n < 0)
      throw new BigQueryApiError(400, 'invalid', `Invalid startIndex: ${startIndex}`);
    return n;
  }
  return 0;
}

function jobReference(job: JobInfo, location: string) {
  return { projectId: job.projectId, jobId: job.id, location };
}

async function resultsBody(
  db: LocalWarehouse,
  job: JobInfo,
  kind: string,
  start: number,
  max: number,
  int64Timestamps: boolean,
) {
  const body: Record<string, unknown> = {
    kind,
    jobReference: jobReference(job, db.location),
    jobComplete: true,
    cacheHit: false,
    totalBytesProcessed: '0',
  };
  if (job.schema) {
    const page = await db.readPage(job, start, max, int64Timestamps);
    body.schema = { fields: job.schema };
    body.totalRows = String(job.totalRows);
    body.rows = page.rows;
    if (page.nextIndex !== undefined) body.pageToken = `p${page.nextIndex}`;
  } else {
    body.totalRows = '0';
  }
  if (job.numDmlAffectedRows !== undefined) body.numDmlAffectedRows = String(job.numDmlAffectedRows);
  return body;
}

function jobResource(db: LocalWarehouse, job: JobInfo, config: Record<string, unknown>) {
  return {
    kind: 'bigquery#job',
    id: `${job.projectId}:${db.location}.${job.id}`,
    jobReference: jobReference(job, db.location),
    configuration: { jobType: 'QUERY', query: config },
    status: { state: 'DONE' },
    statistics: {
      creationTime: String(job.creationTime),
      startTime: String(job.creationTime),
      endTime: String(job.endTime),
      totalBytesProcessed: '0',
      query: {
        statementType: job.statementType,
        totalBytesProcessed: '0',
        ...(job.numDmlAffectedRows !== undefined
          ? { numDmlAffectedRows: String(job.numDmlAffectedRows) }
          : {}),
        ...(job.schema ? { schema: { fields: job.schema } } : {}),
      },
    },
  };
}

function queryParams(body: Record<string, unknown>): BqQueryParameter[] {
  const params = (body.queryParameters as BqQueryParameter[] | undefined) ?? [];
  if (!Array.isArray(params)) throw new BigQueryApiError(400, 'invalid', 'queryParameters must be an array');
  if (params.length && body.parameterMode && String(body.parameterMode).toUpperCase() !== 'NAMED')
    throw new BigQueryApiError(
      400,
      'invalidQuery',
      'Only named query parameters (@name) are supported locally',
    );
  return params;
}

function int64Timestamps(v: unknown): boolean {
  return v === true || v === 'true';
}

async function handle(db: LocalWarehouse, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  // /bigquery/v2/projects/{p}/... (apiEndpoint) or /projects/{p}/... (BIGQUERY_EMULATOR_HOST is used as-is)
  const base = parts[0] === 'bigquery' && parts[1] === 'v2' ? 2 : 0;
  if (parts[base] !== 'projects' || !parts[base + 1])
    throw new BigQueryApiError(404, 'notFound', `Not found: ${url.pathname}`);
  const project = parts[base + 1] as string;
  const rest = parts.slice(base + 2);
  const q = url.searchParams;

  // datasets
  if (rest[0] === 'datasets') {
    const datasetId = rest[1];
    if (rest.length === 1 && method === 'POST') {
      const body = await readJson(req);
      const ref = body.datasetReference as { datasetId?: string } | undefined;
      return send(res, 200, await db.insertDataset(project, String(ref?.datasetId ?? ''), body));
    }
    if (rest.length === 1 && method === 'GET')
      return send(res, 200, { kind: 'bigquery#datasetList', datasets: await db.listDatasets(project) });
    if (rest.length === 2 && method === 'GET')
      return send(res, 200, await db.getDataset(project, datasetId as string));
    if (rest[2] === 'tables') {
      const tableId = rest[3];
      if (rest.length === 3 && method === 'POST')
        return send(res, 200, await db.insertTable(project, datasetId as string, await readJson(req)));
      if (rest.length === 3 && method === 'GET') {
        const tables = await db.listTables(project, datasetId as string);
        return send(res, 200, { kind: 'bigquery#tableList', tables, totalItems: tables.length });
      }
      if (rest.length === 4 && method === 'GET')
        return send(res, 200, await db.getTable(project, datasetId as string, tableId as string));
      if (rest.length === 4 && method === 'DELETE') {
        await db.deleteTable(project, datasetId as string, tableId as string);
        res.writeHead(204).end();
        return;
      }
      if (rest.length === 5 && rest[4] === 'insertAll' && method === 'POST') {
        const body = await readJson(req);
        const rows = body.rows;
        if (!Array.isArray(rows)) throw new BigQueryApiError(400, 'invalid', 'rows must be an array');
        const insertErrors = await db.insertAll(project, datasetId as string, tableId as string, rows, {
          skipInvalidRows: body.skipInvalidRows === true,
          ignoreUnknownValues: body.ignoreUnknownValues === true,
        });
        return send(res, 200, {
          kind: 'bigquery#tableDataInsertAllResponse',
          ...(insertErrors.length ? { insertErrors } : {}),
        });
      }
    }
  }

  // jobs.query
  if (rest[0] === 'queries' && rest.length === 1 && method === 'POST') {
    const body = await readJson(req);
    if (body.useLegacySql === true)
      throw new BigQueryApiError(
        400,
        'invalidQuery',
        'Legacy SQL is not supported; set useLegacySql to false',
      );
    if (typeof body.query !== 'string' || body.query.trim() === '')
      throw new BigQueryApiError(400, 'invalid', 'Missing query');
    if (body.dryRun === true) throw new BigQueryApiError(400, 'invalid', 'dryRun is not supported locally');
    const max = pageSize(body.maxResults, DEFAULT_PAGE_ROWS);
    const job = await db.runQuery(project, body.query, queryParams(body), { defaultMaxResults: max });
    const fo = body.formatOptions as { useInt64Timestamp?: boolean } | undefined;
    return send(
      res,
      200,
      await resultsBody(db, job, 'bigquery#queryResponse', 0, max, int64Timestamps(fo?.useInt64Timestamp)),
    );
  }
  // jobs.getQueryResults
  if (rest[0] === 'queries' && rest.length === 2 && method === 'GET') {
    const job = db.getJob(rest[1] as string);
    if (!job) throw new BigQueryApiError(404, 'notFound', `Not found: Job ${project}:${rest[1]}`);
    const max = pageSize(q.get('maxResults') ?? undefined, job.defaultMaxResults ?? DEFAULT_PAGE_ROWS);
    const start = startFrom(q.get('pageToken') ?? undefined, q.get('startIndex') ?? undefined);
    return send(
      res,
      200,
      await resultsBody(
        db,
        job,
        'bigquery#getQueryResultsResponse',
        start,
        max,
        int64Timestamps(q.get('formatOptions.useInt64Timestamp')),
      ),
    );
  }
  // jobs.insert (query jobs) and jobs.get
  if (rest[0] === 'jobs' && rest.length === 1 && method === 'POST') {
    const body = await readJson(req);
    const config = (body.configuration as { query?: Record<string, unknown> } | undefined)?.query;
    if (!config) throw new BigQueryApiError(400, 'invalid', 'Only query jobs are supported locally');
    if (config.useLegacySql === true)
      throw new BigQueryApiError(
        400,
        'invalidQuery',
        'Legacy SQL is not supported; set useLegacySql to false',
      );
    if (config.destinationTable)
      throw new BigQueryApiError(400, 'invalid', 'destinationTable is not supported locally');
    const ref = body.jobReference as { jobId?: string } | undefined;
    if ((body.configuration as { dryRun?: boolean }).dryRun === true) {
      // A dry run validates (parse + translate) without running, as BigQuery does; it creates no job.
      try {
        translateStatement(String(config.query ?? ''), queryParams(config));
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new BigQueryApiError(400, 'invalidQuery', msg);
      }
      const now = String(Date.now());
      return send(res, 200, {
        kind: 'bigquery#job',
        jobReference: { projectId: project, jobId: ref?.jobId ?? 'dry_run', location: db.location },
        configuration: { jobType: 'QUERY', dryRun: true, query: config },
        status: { state: 'DONE' },
        statistics: { creationTime: now, totalBytesProcessed: '0', query: { totalBytesProcessed: '0' } },
      });
    }
    const job = await db.runQuery(project, String(config.query ?? ''), queryParams(config), {
      jobId: ref?.jobId,
    });
    return send(res, 200, jobResource(db, job, config));
  }
  if (rest[0] === 'jobs' && rest.length === 2 && method === 'GET') {
    const job = db.getJob(rest[1] as string);
    if (!job) throw new BigQueryApiError(404, 'notFound', `Not found: Job ${project}:${rest[1]}`);
    return send(res, 200, jobResource(db, job, { query: job.query, useLegacySql: false }));
  }
  throw new BigQueryApiError(
    405,
    'invalid',
    `Not supported by the local BigQuery: ${method} ${url.pathname}`,
  );
}
