/**
 * Results as BigQuery gives them, through the real client, where DuckDB's own answer differs: the names
 * of unnamed columns (`f0_`, `f1_`, … among the unnamed) and division (`/` raises on zero, IEEE_DIVIDE gives
 * ±Infinity or NaN, SAFE_DIVIDE NULL).
 */
import type { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBigQuery } from '../../../local/bigquery/index.js';
import { bigQueryError, startBigQuery } from './support.js';

let lb: LocalBigQuery;
let bq: BigQuery;

beforeAll(async () => {
  ({ lb, bq } = await startBigQuery());
});
afterAll(async () => {
  await lb.stop();
});

/** The result's column names (from the schema the endpoint sent) and its rows. */
async function result(query: string): Promise<{ names: string[]; rows: unknown[] }> {
  const [job] = await bq.createQueryJob(query);
  const [rows, , response] = await job.getQueryResults({ autoPaginate: false });
  const fields = (response as { schema: { fields: { name: string }[] } }).schema.fields;
  return { names: fields.map((f) => f.name), rows };
}

describe('implicit column names', () => {
  const cases: [string, string[], Record<string, unknown>][] = [
    ["SELECT 1, 'a' AS b, 2", ['f0_', 'b', 'f1_'], { f0_: 1, b: 'a', f1_: 2 }],
    ['SELECT (x), x + 1 FROM UNNEST([5]) AS x', ['x', 'f0_'], { x: 5, f0_: 6 }],
    [
      "SELECT t.y, STRUCT(1 AS a).a, UPPER('q') FROM (SELECT 2 AS y) AS t",
      ['y', 'a', 'f0_'],
      { y: 2, a: 1, f0_: 'Q' },
    ],
    ['SELECT COUNT(*), MAX(x) FROM UNNEST([1, 2]) AS x', ['f0_', 'f1_'], { f0_: 2, f1_: 2 }],
    ['SELECT * FROM (SELECT 1, 2)', ['f0_', 'f1_'], { f0_: 1, f1_: 2 }],
    ['SELECT 3 UNION ALL SELECT 4 ORDER BY 1', ['f0_'], { f0_: 3 }],
    ['SELECT @p, CAST(@p AS STRING) AS s', ['f0_', 's'], { f0_: 7, s: '7' }],
  ];
  it.each(cases)('%s -> %j', async (query, names, firstRow) => {
    const r = query.includes('@p')
      ? await (async () => {
          const [job] = await bq.createQueryJob({ query, params: { p: 7 } });
          const [rows, , response] = await job.getQueryResults({ autoPaginate: false });
          const fields = (response as { schema: { fields: { name: string }[] } }).schema.fields;
          return { names: fields.map((f) => f.name), rows };
        })()
      : await result(query);
    expect(r.names).toEqual(names);
    expect(r.rows[0]).toEqual(firstRow);
  });
});

describe('division', () => {
  const cases: [string, unknown][] = [
    ['SELECT 7 / 2 AS v', 3.5],
    ['SELECT IEEE_DIVIDE(1, 0) AS v', Number.POSITIVE_INFINITY],
    ['SELECT IEEE_DIVIDE(-1, 0) AS v', Number.NEGATIVE_INFINITY],
    ['SELECT IEEE_DIVIDE(0, 0) AS v', Number.NaN],
    ['SELECT SAFE_DIVIDE(1, 0) AS v', null],
    ['SELECT SAFE_DIVIDE(6, 4) AS v', 1.5],
    ['SELECT CAST(NULL AS INT64) / 0 AS v', null],
  ];
  it.each(cases)('%s -> %s', async (query, want) => {
    const [rows] = await bq.query(query);
    expect(rows[0].v).toEqual(want);
  });

  it('/ by zero raises what BigQuery raises, even for a row among others', async () => {
    const seen = await bigQueryError(bq.query('SELECT 10 / (x - 2) AS v FROM UNNEST([1, 2, 3]) AS x'));
    expect(seen).toMatchObject({ code: 400, message: 'division by zero: 10 / 0' });
  });
});
