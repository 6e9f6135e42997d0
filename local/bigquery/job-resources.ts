/**
 * The REST shapes of jobs: the job resource (jobs.insert, jobs.get, jobs.list entries), query results
 * (jobs.query, jobs.getQueryResults) with their page tokens, and the answers to dry runs, which BigQuery
 * gives without creating a job (so no jobId).
 */
import type { DryRun } from './dry-run.js';
import type { LocalWarehouse } from './engine.js';
import type { JobInfo } from './jobs.js';
import { pageToken } from './paging.js';

/** The one user of a local BigQuery, as jobs name their creator. */
export const LOCAL_USER = 'local@bigquery.local';

export function jobReference(job: JobInfo, location: string) {
  return { projectId: job.projectId, jobId: job.id, location };
}

/** One page of a job's result: the body of jobs.query and jobs.getQueryResults. */
export async function queryResults(
  db: LocalWarehouse,
  job: JobInfo,
  kind: string,
  page: { start: number; max: number; timestampsAsInt64: boolean },
) {
  const body: Record<string, unknown> = {
    kind,
    jobReference: jobReference(job, db.location),
    jobComplete: true,
    cacheHit: false,
    totalBytesProcessed: '0',
  };
  if (job.schema) {
    const { rows, nextIndex } = await db.readPage(job, page.start, page.max, page.timestampsAsInt64);
    body.schema = { fields: job.schema };
    body.totalRows = String(job.totalRows);
    body.rows = rows;
    if (nextIndex !== undefined) body.pageToken = pageToken(job.id, nextIndex);
  } else {
    body.totalRows = '0';
  }
  if (job.numDmlAffectedRows !== undefined) body.numDmlAffectedRows = String(job.numDmlAffectedRows);
  return body;
}

export function jobResource(location: string, job: JobInfo, config: Record<string, unknown>) {
  return {
    kind: 'bigquery#job',
    id: `${job.projectId}:${location}.${job.id}`,
    jobReference: jobReference(job, location),
    configuration: { jobType: 'QUERY', query: config },
    status: { state: 'DONE' },
    user_email: LOCAL_USER,
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

/** A job as jobs.list shows it: `projection=minimal` leaves the configuration out. */
export function jobListEntry(location: string, job: JobInfo, minimal: boolean) {
  const { configuration, ...rest } = jobResource(location, job, { query: job.query, useLegacySql: false });
  return { ...rest, state: 'DONE', ...(minimal ? {} : { configuration }) };
}

function dryRunStatistics(projectId: string, dry: DryRun) {
  return {
    totalBytesProcessed: String(dry.totalBytesProcessed),
    totalBytesBilled: '0',
    cacheHit: false,
    statementType: dry.statementType,
    referencedTables: dry.referencedTables.map((t) => ({ projectId, ...t })),
    ...(dry.schema ? { schema: { fields: dry.schema } } : {}),
  };
}

/** jobs.insert with `configuration.dryRun`: a job resource that names no job. */
export function dryRunJob(projectId: string, location: string, config: Record<string, unknown>, dry: DryRun) {
  return {
    kind: 'bigquery#job',
    jobReference: { projectId, location },
    configuration: { jobType: 'QUERY', dryRun: true, query: config },
    status: { state: 'DONE' },
    user_email: LOCAL_USER,
    statistics: {
      creationTime: String(Date.now()),
      totalBytesProcessed: String(dry.totalBytesProcessed),
      query: dryRunStatistics(projectId, dry),
    },
  };
}

/** jobs.query with `dryRun`: the schema and the bytes, no rows and no job. */
export function dryRunQueryResponse(projectId: string, location: string, dry: DryRun) {
  return {
    kind: 'bigquery#queryResponse',
    jobReference: { projectId, location },
    jobComplete: true,
    cacheHit: false,
    totalBytesProcessed: String(dry.totalBytesProcessed),
    ...(dry.schema ? { schema: { fields: dry.schema } } : {}),
  };
}
