/**
 * Dry runs validate like BigQuery (tables, columns, types, partition filters) and answer with the schema
 * and the bytes a run would read, without running anything: through jobs.insert (the client's
 * `createQueryJob({ dryRun })`, what `bq query --dry_run` sends) and jobs.query.
 */
import type { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { bigQueryError, ENGINE_INTERNALS, PROJECT, rest, type SeenError, startBigQuery } from './support.js';

let lb: LocalBigQuery;
let bq: BigQuery;
const DAY = "snapshot_date = '2026-11-24'";

beforeAll(async () => {
  ({ lb, bq } = await startBigQuery());
  await deployWarehouse(bq);
  await bq
    .dataset('billing_mirror')
    .table('subs_dunning')
    .insert(
      [
        { snapshot_date: '2026-11-24', account_id: 'acc_1', state: 'bad_debt' },
        { snapshot_date: '2026-11-24', account_id: 'acc_2', state: 'dunning' },
      ],
      { raw: false },
    );
});
afterAll(async () => {
  await lb.stop();
});

/** The two ways to ask for a dry run; both answer the dry-run statistics, or fail. */
const viaJobsInsert = async (query: string) => {
  const [job] = await bq.createQueryJob({ query, dryRun: true });
  const stats = job.metadata.statistics;
  return {
    bytes: stats.totalBytesProcessed as string,
    schema: stats.query.schema,
    jobId: job.metadata.jobReference.jobId,
  };
};
const viaJobsQuery = async (query: string) => {
  const body = await rest<{ totalBytesProcessed: string; schema: unknown; jobReference: { jobId?: string } }>(
    bq,
    { method: 'POST', uri: '/queries', json: { query, dryRun: true, useLegacySql: false } },
  );
  return { bytes: body.totalBytesProcessed, schema: body.schema, jobId: body.jobReference.jobId };
};
const ENDPOINTS = [
  ['jobs.insert', viaJobsInsert],
  ['jobs.query', viaJobsQuery],
] as const;

describe.each(ENDPOINTS)('a dry run through %s', (_endpoint, dryRun) => {
  const failures: [string, Partial<SeenError>][] = [
    [
      `SELECT * FROM billing_mirror.nope WHERE ${DAY}`,
      {
        code: 404,
        reason: 'notFound',
        status: 'NOT_FOUND',
        message: `Not found: Table ${PROJECT}:billing_mirror.nope was not found in location US`,
      },
    ],
    [
      'SELECT 1 FROM nowhere.t',
      {
        code: 404,
        reason: 'notFound',
        status: 'NOT_FOUND',
        message: `Not found: Dataset ${PROJECT}:nowhere was not found in location US`,
      },
    ],
    [
      `SELECT account_id,\n  foo FROM billing_mirror.subs_dunning WHERE ${DAY}`,
      {
        code: 400,
        reason: 'invalidQuery',
        status: 'INVALID_ARGUMENT',
        message: 'Unrecognized name: foo at [2:3]',
      },
    ],
    [
      `SELECT d.foo FROM billing_mirror.subs_dunning AS d WHERE d.${DAY}`,
      { code: 400, reason: 'invalidQuery', message: 'Name foo not found inside d at [1:10]' },
    ],
    [
      `SELECT state + 1 FROM billing_mirror.subs_dunning WHERE ${DAY}`,
      {
        code: 400,
        reason: 'invalidQuery',
        message: 'No matching signature for operator + for argument types: STRING, INT64',
      },
    ],
    [
      'SELECT account_id FROM billing_mirror.subs_dunning',
      {
        code: 400,
        reason: 'invalidQuery',
        status: 'INVALID_ARGUMENT',
        message:
          "Cannot query over table 'billing_mirror.subs_dunning' without a filter over column(s) 'snapshot_date' that can be used for partition elimination",
      },
    ],
    [
      'SELECT account_id FROM billing_observability.account_snapshot',
      {
        code: 400,
        reason: 'invalidQuery',
        message: expect.stringMatching(/without a filter over column\(s\) 'snapshot_date'/),
      },
    ],
  ];
  it.each(failures)('refuses %s as BigQuery does', async (query, want) => {
    const seen = await bigQueryError(dryRun(query));
    expect(seen).toMatchObject(want);
    if (seen.code === 400) expect(seen.location).toBe('query');
    expect(seen.body).not.toMatch(ENGINE_INTERNALS);
  });

  it('answers the schema and the bytes a run would read, and runs nothing', async () => {
    const [jobsBefore] = await bq.getJobs();
    const narrow = await dryRun(`SELECT account_id FROM billing_mirror.subs_dunning WHERE ${DAY}`);
    const wide = await dryRun(
      `SELECT account_id, state AS s, 1 FROM billing_mirror.subs_dunning WHERE snapshot_date = DATE '2026-11-24'`,
    );
    expect(wide.schema).toEqual({
      fields: [
        { name: 'account_id', type: 'STRING', mode: 'NULLABLE' },
        { name: 's', type: 'STRING', mode: 'NULLABLE' },
        { name: 'f0_', type: 'INTEGER', mode: 'NULLABLE' },
      ],
    });
    // Columnar, like BigQuery: reading one more column reads more bytes.
    expect(Number(narrow.bytes)).toBeGreaterThan(0);
    expect(Number(wide.bytes)).toBeGreaterThan(Number(narrow.bytes));
    // A dry run creates no job and changes nothing.
    expect(wide.jobId).toBeUndefined();
    const deleted = await dryRun(`DELETE FROM billing_mirror.subs_dunning WHERE ${DAY}`);
    expect(deleted.schema).toBeUndefined();
    const [jobsAfter] = await bq.getJobs();
    expect(jobsAfter.map((j) => j.id)).toEqual(jobsBefore.map((j) => j.id));
    const [rows] = await bq.dataset('billing_mirror').table('subs_dunning').getRows();
    expect(rows).toHaveLength(2);
  });
});

it('reports the statement type and the tables read (views resolved) on jobs.insert', async () => {
  const [job] = await bq.createQueryJob({
    query: `SELECT account_id FROM billing_observability.account_snapshot WHERE ${DAY}`,
    dryRun: true,
  });
  const stats = job.metadata.statistics.query;
  expect(stats.statementType).toBe('SELECT');
  expect(stats.referencedTables).toContainEqual({
    projectId: PROJECT,
    datasetId: 'billing_mirror',
    tableId: 'subs_dunning',
  });
  const [del] = await bq.createQueryJob({
    query: `DELETE FROM billing_mirror.subs_dunning WHERE ${DAY}`,
    dryRun: true,
  });
  expect(del.metadata.statistics.query.statementType).toBe('DELETE');
});
