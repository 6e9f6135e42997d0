/**
 * A local BigQuery REST endpoint (the v2 subset the project uses) over the DuckDB-backed LocalWarehouse,
 * so production code talks to it through the real `@google-cloud/bigquery` client (`apiEndpoint`).
 * Errors use BigQuery's envelope (api-error.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BigQueryApiError } from './api-error.js';
import { LocalWarehouse } from './engine.js';
import { DEFAULT_INSERT_ID_WINDOW_MS } from './insert-id-window.js';
import { dryRunJob, dryRunQueryResponse, jobListEntry, jobResource, queryResults } from './job-resources.js';
import { DEFAULT_PAGE_ROWS, pageSize, pageStart, pageToken } from './paging.js';
import type { BqQueryParameter } from './translate/parameters.js';

const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** BigQuery's wording for a failure that is the server's, not the request's. */
const INTERNAL = 'An internal error occurred and the request could not be completed.';

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
  /**
   * How long insertAll remembers an insertId, in ms (default 60 000: BigQuery documents "at least one
   * minute"). 0 turns de-duplication off, so every retried row lands again, as production can make happen.
   */
  insertIdDedupWindowMs?: number;
}

export async function startLocalBigQuery(opts: StartOptions = {}): Promise<LocalBigQuery> {
  const db = await LocalWarehouse.open(opts.dbPath ?? ':memory:');
  db.enforcePartitionFilter = opts.enforcePartitionFilter ?? true;
  db.expandViews = opts.expandViews ?? true;
  db.insertIds.windowMs = opts.insertIdDedupWindowMs ?? DEFAULT_INSERT_ID_WINDOW_MS;
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
  // Anything not already in BigQuery's terms is a bug here: say so without its internals.
  const err = e instanceof BigQueryApiError ? e : new BigQueryApiError(500, 'backendError', INTERNAL);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, err.status, err.envelope());
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

function refuseLegacySql(config: Record<string, unknown>): void {
  if (config.useLegacySql === true)
    throw new BigQueryApiError(400, 'invalidQuery', 'Legacy SQL is not supported; set useLegacySql to false');
}

function flag(v: unknown): boolean {
  return v === true || v === 'true';
}

/** An optional integer query parameter (ms timestamps of jobs.list). */
function optionalInt(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new BigQueryApiError(400, 'invalid', `Invalid ${name}: ${v}`);
  return Number(v);
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
      // tabledata.list
      if (rest.length === 5 && rest[4] === 'data' && method === 'GET') {
        const scope = `${datasetId}.${tableId}`;
        const page = await db.listTableData(project, datasetId as string, tableId as string, {
          start: pageStart(q.get('pageToken'), q.get('startIndex'), scope),
          max: pageSize(q.get('maxResults'), DEFAULT_PAGE_ROWS),
          selectedFields: (q.get('selectedFields') ?? '').split(',').filter(Boolean),
          timestampsAsInt64: flag(q.get('formatOptions.useInt64Timestamp')),
        });
        return send(res, 200, {
          kind: 'bigquery#tableDataList',
          totalRows: String(page.totalRows),
          ...(page.rows.length ? { rows: page.rows } : {}),
          ...(page.nextIndex === undefined ? {} : { pageToken: pageToken(scope, page.nextIndex) }),
        });
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
    refuseLegacySql(body);
    if (typeof body.query !== 'string' || body.query.trim() === '')
      throw new BigQueryApiError(400, 'invalid', 'Missing query');
    if (body.dryRun === true)
      return send(
        res,
        200,
        dryRunQueryResponse(project, db.location, await db.dryRun(project, body.query, queryParams(body))),
      );
    const max = pageSize(body.maxResults, DEFAULT_PAGE_ROWS);
    const job = await db.runQuery(project, body.query, queryParams(body), { defaultMaxResults: max });
    const fo = body.formatOptions as { useInt64Timestamp?: boolean } | undefined;
    return send(
      res,
      200,
      await queryResults(db, job, 'bigquery#queryResponse', {
        start: 0,
        max,
        timestampsAsInt64: flag(fo?.useInt64Timestamp),
      }),
    );
  }
  // jobs.getQueryResults
  if (rest[0] === 'queries' && rest.length === 2 && method === 'GET') {
    const job = db.getJob(rest[1] as string);
    if (!job) throw new BigQueryApiError(404, 'notFound', `Not found: Job ${project}:${rest[1]}`);
    return send(
      res,
      200,
      await queryResults(db, job, 'bigquery#getQueryResultsResponse', {
        start: pageStart(q.get('pageToken'), q.get('startIndex'), job.id),
        max: pageSize(q.get('maxResults'), job.defaultMaxResults ?? DEFAULT_PAGE_ROWS),
        timestampsAsInt64: flag(q.get('formatOptions.useInt64Timestamp')),
      }),
    );
  }
  // jobs.list: newest first; a page token is the position after the last job listed.
  if (rest[0] === 'jobs' && rest.length === 1 && method === 'GET') {
    const scope = `jobs:${project}`;
    const max = pageSize(q.get('maxResults'), DEFAULT_PAGE_ROWS);
    const cursor = q.get('pageToken') ? pageStart(q.get('pageToken'), undefined, scope) : undefined;
    // One local user runs every job, so allUsers lists the same jobs as the caller's own.
    const jobs = db.listJobs(project, {
      states: q.getAll('stateFilter'),
      minCreationTime: optionalInt(q.get('minCreationTime'), 'minCreationTime'),
      maxCreationTime: optionalInt(q.get('maxCreationTime'), 'maxCreationTime'),
      beforeSeq: cursor,
    });
    const page = jobs.slice(0, max);
    const last = page.at(-1);
    return send(res, 200, {
      kind: 'bigquery#jobList',
      jobs: page.map((j) => jobListEntry(db.location, j, q.get('projection') === 'minimal')),
      ...(jobs.length > max && last ? { nextPageToken: pageToken(scope, last.seq) } : {}),
    });
  }
  // jobs.insert (query jobs) and jobs.get
  if (rest[0] === 'jobs' && rest.length === 1 && method === 'POST') {
    const body = await readJson(req);
    const configuration = (body.configuration ?? {}) as { query?: Record<string, unknown>; dryRun?: boolean };
    const config = configuration.query;
    if (!config) throw new BigQueryApiError(400, 'invalid', 'Only query jobs are supported locally');
    refuseLegacySql(config);
    if (config.destinationTable)
      throw new BigQueryApiError(400, 'invalid', 'destinationTable is not supported locally');
    const query = String(config.query ?? '');
    if (configuration.dryRun === true) {
      const dry = await db.dryRun(project, query, queryParams(config));
      return send(res, 200, dryRunJob(project, db.location, config, dry));
    }
    const ref = body.jobReference as { jobId?: string } | undefined;
    const job = await db.runQuery(project, query, queryParams(config), { jobId: ref?.jobId });
    return send(res, 200, jobResource(db.location, job, config));
  }
  if (rest[0] === 'jobs' && rest.length === 2 && method === 'GET') {
    const job = db.getJob(rest[1] as string);
    if (!job) throw new BigQueryApiError(404, 'notFound', `Not found: Job ${project}:${rest[1]}`);
    return send(res, 200, jobResource(db.location, job, { query: job.query, useLegacySql: false }));
  }
  throw new BigQueryApiError(
    405,
    'invalid',
    `Not supported by the local BigQuery: ${method} ${url.pathname}`,
  );
}
