/**
 * tabledata.insertAll through the real client (`table.insert`): a request that fails stores nothing and
 * remembers no insertId, so its retry lands; rows are reported per row in BigQuery's `insertErrors`; and
 * de-duplication by insertId is BigQuery's best effort over a bounded window, which tests can switch off
 * (`insertIdDedupWindowMs: 0`) to see the duplicates production can make.
 */
import type { BigQuery } from '@google-cloud/bigquery';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalBigQuery, StartOptions } from '../../../local/bigquery/index.js';
import { sleep } from '../../../local/net.js';
import { startBigQuery } from './support.js';

const started: LocalBigQuery[] = [];
afterEach(async () => {
  for (const lb of started.splice(0)) await lb.stop();
});

/** A server of its own with a table `d.t` (id REQUIRED, day DATE). */
async function serverWithTable(opts: StartOptions = {}) {
  const { lb, bq } = await startBigQuery(opts);
  started.push(lb);
  await bq.createDataset('d');
  await bq.query('CREATE TABLE d.t (id STRING NOT NULL, day DATE)');
  return { lb, bq, table: bq.dataset('d').table('t') };
}

async function stored(bq: BigQuery): Promise<string[]> {
  const [rows] = await bq.query('SELECT id FROM d.t ORDER BY id');
  return rows.map((r: { id: string }) => r.id);
}

/** The client's PartialFailureError keeps each row error's reason and message. */
type InsertFailure = {
  name: string;
  errors: { row: unknown; errors: { reason: string; message: string }[] }[];
};

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the insert to fail');
    },
    (e: InsertFailure) => e,
  );

describe('a failed insert', () => {
  it.each([
    ['the schema check refuses', { id: 'b', day: 'tomorrow' }, 'Invalid date: day.'],
    ['only the engine refuses', { id: 'b', day: '2026-02-31' }, "Invalid date: '2026-02-31'"],
  ])('stores nothing and remembers nothing when %s a row; the retry lands', async (_name, bad, message) => {
    const { bq, table } = await serverWithTable();
    const err = await failure(
      table.insert(
        [
          { insertId: 'row-a', json: { id: 'a', day: '2026-11-24' } },
          { insertId: 'row-b', json: bad },
        ],
        { raw: true },
      ),
    );
    expect(err.name).toBe('PartialFailureError');
    expect(err.errors.map((e) => e.errors[0])).toEqual([
      { reason: 'stopped', message: '' },
      { reason: 'invalid', message },
    ]);
    expect(await stored(bq)).toEqual([]);
    // The corrected retry, same insertIds: nothing was remembered, so nothing is dropped as a duplicate.
    await table.insert(
      [
        { insertId: 'row-a', json: { id: 'a', day: '2026-11-24' } },
        { insertId: 'row-b', json: { id: 'b', day: '2026-11-25' } },
      ],
      { raw: true },
    );
    expect(await stored(bq)).toEqual(['a', 'b']);
  });

  it('with skipInvalidRows stores the valid rows and remembers only their insertIds', async () => {
    const { bq, table } = await serverWithTable();
    const err = await failure(
      table.insert(
        [
          { insertId: 'row-a', json: { id: 'a' } },
          { insertId: 'row-b', json: { day: '2026-11-24' } },
          { insertId: 'row-c', json: { id: 'c', day: '2026-02-30' } },
        ],
        { raw: true, skipInvalidRows: true },
      ),
    );
    expect(err.errors.map((e) => e.errors[0]?.message)).toEqual([
      'Missing required field: id.',
      "Invalid date: '2026-02-30'",
    ]);
    expect(await stored(bq)).toEqual(['a']);
    await table.insert(
      [
        { insertId: 'row-a', json: { id: 'a' } },
        { insertId: 'row-b', json: { id: 'b' } },
        { insertId: 'row-c', json: { id: 'c' } },
      ],
      { raw: true },
    );
    expect(await stored(bq)).toEqual(['a', 'b', 'c']);
  });
});

describe('de-duplication by insertId', () => {
  const rows = [
    { insertId: 'x1', json: { id: 'x1' } },
    { insertId: 'x2', json: { id: 'x2' } },
  ];

  it.each<[string, StartOptions, string[]]>([
    ['the default window (60 s) drops a repeat', {}, ['x1', 'x2']],
    ['a window of 0 lets every duplicate through', { insertIdDedupWindowMs: 0 }, ['x1', 'x1', 'x2', 'x2']],
  ])('%s', async (_name, opts, want) => {
    const { bq, table } = await serverWithTable(opts);
    await table.insert(rows, { raw: true });
    await table.insert(rows, { raw: true });
    expect(await stored(bq)).toEqual(want);
  });

  it('forgets an insertId once its window has passed', async () => {
    const { bq, table } = await serverWithTable({ insertIdDedupWindowMs: 300 });
    await table.insert(rows, { raw: true });
    await table.insert(rows, { raw: true });
    expect(await stored(bq)).toEqual(['x1', 'x2']);
    await sleep(400);
    await table.insert(rows, { raw: true });
    expect(await stored(bq)).toEqual(['x1', 'x1', 'x2', 'x2']);
  });

  it('can be switched off on a running server', async () => {
    const { lb, bq, table } = await serverWithTable();
    lb.db.insertIds.windowMs = 0;
    await table.insert(rows, { raw: true });
    await table.insert(rows, { raw: true });
    expect(await stored(bq)).toHaveLength(4);
  });
});
