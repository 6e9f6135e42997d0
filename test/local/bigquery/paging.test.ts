/**
 * Paging as BigQuery pages, through the real client: query results (jobs.query, jobs.getQueryResults),
 * table data (tabledata.list: `bq head`, `table.getRows()`) and the job list (jobs.list: `bq ls -j`,
 * `bigquery.getJobs()`), each with `maxResults`, opaque page tokens and, where BigQuery has it, `startIndex`.
 */
import type { BigQuery, GetJobsOptions, Job } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBigQuery } from '../../../local/bigquery/index.js';
import { bigQueryError, rest, startBigQuery } from './support.js';

let lb: LocalBigQuery;
let bq: BigQuery;
const XS = Array.from({ length: 25 }, (_, i) => i);
const QUERY = 'SELECT x FROM UNNEST(@xs) AS x ORDER BY x';

beforeAll(async () => {
  ({ lb, bq } = await startBigQuery());
});
afterAll(async () => {
  await lb.stop();
});

type Page<T> = { rows: T[]; token: string | undefined };

/** Follows page tokens by hand, one request per page, and returns every page. */
async function pages<T>(first: (token: string | undefined) => Promise<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  let token: string | undefined;
  do {
    const page = await first(token);
    out.push(page);
    token = page.token;
  } while (token !== undefined && out.length < 100);
  return out;
}

describe('query results', () => {
  let job: Job;
  beforeAll(async () => {
    [job] = await bq.createQueryJob({ query: QUERY, params: { xs: XS } });
  });

  const resultPage = async (maxResults: number, pageToken: string | undefined) => {
    const [rows, next] = await job.getQueryResults({ maxResults, pageToken, autoPaginate: false });
    return {
      rows: rows.map((r: { x: number }) => r.x),
      token: (next as { pageToken?: string } | null)?.pageToken,
    };
  };

  it.each([1, 7, 24, 25, 100])('getQueryResults({ maxResults: %i }) pages the whole result', async (max) => {
    const all = await pages((token) => resultPage(max, token));
    expect(all).toHaveLength(Math.ceil(XS.length / max));
    for (const page of all.slice(0, -1)) expect(page.rows).toHaveLength(max);
    expect(all.at(-1)?.token).toBeUndefined();
    expect(all.flatMap((p) => p.rows)).toEqual(XS);
  });

  it('starts at startIndex', async () => {
    const [rows, next] = await job.getQueryResults({ startIndex: '20', maxResults: 3, autoPaginate: false });
    expect(rows.map((r: { x: number }) => r.x)).toEqual([20, 21, 22]);
    expect((next as { pageToken?: string }).pageToken).toBeDefined();
  });

  it('refuses a token that is not one of this job’s', async () => {
    const [other] = await bq.createQueryJob({ query: QUERY, params: { xs: XS } });
    const [, next] = await other.getQueryResults({ maxResults: 5, autoPaginate: false });
    const foreign = (next as { pageToken: string }).pageToken;
    for (const pageToken of [foreign, 'not-a-token']) {
      const seen = await bigQueryError(job.getQueryResults({ pageToken, autoPaginate: false }));
      expect(seen).toMatchObject({ code: 400, reason: 'invalid' });
    }
  });

  it('jobs.query answers the first page and a token; query() follows the tokens to the end', async () => {
    const first = await rest<{ rows: unknown[]; pageToken?: string; totalRows: string }>(bq, {
      method: 'POST',
      uri: '/queries',
      json: {
        query: QUERY,
        maxResults: 10,
        useLegacySql: false,
        parameterMode: 'NAMED',
        queryParameters: [
          {
            name: 'xs',
            parameterType: { type: 'ARRAY', arrayType: { type: 'INT64' } },
            parameterValue: { arrayValues: XS.map((x) => ({ value: String(x) })) },
          },
        ],
      },
    });
    expect(first.rows).toHaveLength(10);
    expect(first.totalRows).toBe('25');
    expect(first.pageToken).toBeDefined();
    const [all] = await bq.query({ query: QUERY, params: { xs: XS }, maxResults: 4 });
    expect(all.map((r: { x: number }) => r.x)).toEqual(XS);
  });
});

describe('table data (tabledata.list)', () => {
  const N = 30;
  beforeAll(async () => {
    await bq.createDataset('paging');
    await bq.query(
      'CREATE TABLE paging.events (snapshot_date DATE NOT NULL, id INT64, happened_at TIMESTAMP, tags ARRAY<STRING>) PARTITION BY snapshot_date OPTIONS (require_partition_filter = TRUE)',
    );
    await bq
      .dataset('paging')
      .table('events')
      .insert(
        Array.from({ length: N }, (_, i) => ({
          snapshot_date: '2026-11-24',
          id: i,
          happened_at: '2026-11-24T01:02:03.456789Z',
          tags: i % 2 ? ['odd'] : [],
        })),
      );
    await bq.query('CREATE VIEW paging.events_view AS SELECT id FROM paging.events');
  });
  const table = () => bq.dataset('paging').table('events');
  const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

  it.each([1, 12, 30, 50])('getRows({ maxResults: %i }) pages the table in storage order', async (max) => {
    const all = await pages(async (pageToken) => {
      const [rows, next] = await table().getRows({ maxResults: max, pageToken, autoPaginate: false });
      return { rows: ids(rows), token: (next as { pageToken?: string } | null)?.pageToken };
    });
    expect(all).toHaveLength(Math.ceil(N / max));
    expect(all.flatMap((p) => p.rows)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('reads every row without a query or a partition filter, decoded by the table schema', async () => {
    const [rows] = await table().getRows();
    expect(rows).toHaveLength(N);
    expect(rows[1]).toEqual({
      snapshot_date: bq.date('2026-11-24'),
      id: 1,
      happened_at: bq.timestamp('2026-11-24T01:02:03.456789Z'),
      tags: ['odd'],
    });
  });

  it('honours startIndex and selectedFields', async () => {
    const [rows, next] = await table().getRows({
      startIndex: '27',
      maxResults: 10,
      selectedFields: 'id',
      autoPaginate: false,
    });
    expect(rows).toEqual([{ id: 27 }, { id: 28 }, { id: 29 }]);
    expect(next).toBeNull();
  });

  it('refuses a view and names a missing table', async () => {
    const view = await bigQueryError(bq.dataset('paging').table('events_view').getRows());
    expect(view).toMatchObject({
      code: 400,
      reason: 'invalid',
      message: 'Cannot list a table of type VIEW.',
    });
    const missing = await bigQueryError(bq.dataset('paging').table('nope').getRows());
    expect(missing).toMatchObject({ code: 404, reason: 'notFound' });
  });
});

describe('the job list (jobs.list)', () => {
  let own: LocalBigQuery;
  let client: BigQuery;
  const ran: string[] = [];
  beforeAll(async () => {
    ({ lb: own, bq: client } = await startBigQuery());
    for (const n of [1, 2, 3, 4, 5]) {
      const [job] = await client.createQueryJob(`SELECT ${n} AS n`);
      ran.push(job.id as string);
    }
  });
  afterAll(async () => {
    await own.stop();
  });
  const newestFirst = () => [...ran].reverse();

  it('lists the jobs this server ran, newest first, with their configuration and statistics', async () => {
    const [jobs] = await client.getJobs();
    expect(jobs.map((j) => j.id)).toEqual(newestFirst());
    expect(jobs[0]?.metadata).toMatchObject({
      state: 'DONE',
      status: { state: 'DONE' },
      configuration: { query: { query: 'SELECT 5 AS n' } },
      statistics: { query: { statementType: 'SELECT' } },
    });
  });

  it.each([1, 2, 5, 10])('pages with maxResults %i and page tokens', async (max) => {
    const all = await pages(async (pageToken) => {
      const [jobs, next] = await client.getJobs({ maxResults: max, pageToken, autoPaginate: false });
      return { rows: jobs.map((j) => j.id), token: (next as { pageToken?: string } | null)?.pageToken };
    });
    expect(all).toHaveLength(Math.ceil(ran.length / max));
    expect(all.flatMap((p) => p.rows)).toEqual(newestFirst());
  });

  it.each<[string, GetJobsOptions, number]>([
    ['stateFilter done', { stateFilter: ['done'] }, 5],
    ['stateFilter running', { stateFilter: ['running'] }, 0],
    ['stateFilter pending and running', { stateFilter: ['pending', 'running'] }, 0],
    ['allUsers (one local user)', { allUsers: true }, 5],
    ['minCreationTime in the future', { minCreationTime: String(Date.now() + 60_000) }, 0],
  ])('filters by %s', async (_name, options, count) => {
    const [jobs] = await client.getJobs(options);
    expect(jobs).toHaveLength(count);
  });

  it('projection minimal leaves the configuration out', async () => {
    const [jobs] = await client.getJobs({ projection: 'minimal' });
    expect(jobs[0]?.metadata.configuration).toBeUndefined();
    expect(jobs[0]?.metadata.jobReference.jobId).toBe(ran.at(-1));
  });
});
