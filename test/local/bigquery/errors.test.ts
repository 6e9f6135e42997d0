/**
 * Errors in BigQuery's words and envelope, through the real client: what the engine (DuckDB) says is
 * translated where BigQuery has an equivalent, and never reaches a client otherwise (no engine wording,
 * no translated SQL, no internal names or paths).
 */
import type { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBigQuery } from '../../../local/bigquery/index.js';
import { bigQueryError, ENGINE_INTERNALS, PROJECT, type SeenError, startBigQuery } from './support.js';

let lb: LocalBigQuery;
let bq: BigQuery;

beforeAll(async () => {
  ({ lb, bq } = await startBigQuery());
  await bq.createDataset('d');
  await bq.query('CREATE TABLE d.t (n INT64, s STRING)');
  await bq.query("INSERT INTO d.t (n, s) VALUES (1, 'a')");
});
afterAll(async () => {
  await lb.stop();
});

const invalid = (message: string): Partial<SeenError> => ({
  code: 400,
  reason: 'invalidQuery',
  location: 'query',
  status: 'INVALID_ARGUMENT',
  message,
});
const notFound = (message: string): Partial<SeenError> => ({
  code: 404,
  reason: 'notFound',
  status: 'NOT_FOUND',
  message,
});

describe('a failing query answers what BigQuery answers', () => {
  const cases: [string, string, Partial<SeenError>][] = [
    [
      'unknown table',
      'SELECT * FROM d.nope',
      notFound(`Not found: Table ${PROJECT}:d.nope was not found in location US`),
    ],
    [
      'unknown dataset',
      'SELECT * FROM nowhere.t',
      notFound(`Not found: Dataset ${PROJECT}:nowhere was not found in location US`),
    ],
    [
      'internal schemas are not datasets',
      'SELECT * FROM __bq_meta.tables',
      notFound(`Not found: Dataset ${PROJECT}:__bq_meta was not found in location US`),
    ],
    ['unknown column', 'SELECT foo FROM d.t', invalid('Unrecognized name: foo at [1:8]')],
    [
      'unknown column on a later line',
      'SELECT n,\n       foo\nFROM d.t',
      invalid('Unrecognized name: foo at [2:8]'),
    ],
    [
      'unknown column of an alias',
      'SELECT t.foo FROM d.t AS t',
      invalid('Name foo not found inside t at [1:10]'),
    ],
    ['unknown alias', 'SELECT x.n FROM d.t', invalid('Unrecognized name: x at [1:8]')],
    [
      'type mismatch',
      "SELECT 1 + 'a'",
      invalid('No matching signature for operator + for argument types: INT64, STRING'),
    ],
    [
      'no matching signature',
      'SELECT LOWER(n) FROM d.t',
      invalid('No matching signature for function LOWER for argument types: INT64'),
    ],
    [
      'renamed function',
      "SELECT REGEXP_CONTAINS(n, 'a') FROM d.t",
      invalid('No matching signature for function REGEXP_CONTAINS for argument types: INT64, STRING'),
    ],
    ['bad cast', "SELECT CAST('x' AS INT64)", invalid('Bad int64 value: x')],
    ['division by zero', 'SELECT 1/0', invalid('division by zero: 1 / 0')],
    ['division by a zero column', 'SELECT n / (n - n) FROM d.t', invalid('division by zero: 1 / 0')],
    ['overflow', 'SELECT 9223372036854775807 + 1', invalid('int64 overflow: 9223372036854775807 + 1')],
    [
      'neither grouped nor aggregated',
      'SELECT n, COUNT(*) FROM d.t',
      invalid('SELECT list expression references column n which is neither grouped nor aggregated at [1:8]'),
    ],
    ['syntax error', 'SELEC 1', invalid('Syntax error: Unexpected "1" at [1:7]')],
    ['unfinished statement', 'SELECT 1 +', invalid('Syntax error: Unexpected end of script at [1:11]')],
  ];
  it.each(cases)('%s: %s', async (_name, query, want) => {
    const seen = await bigQueryError(bq.query(query));
    expect(seen).toMatchObject(want);
    expect(seen.body).not.toMatch(ENGINE_INTERNALS);
  });

  it('the same wording for a query job (jobs.insert) as for jobs.query', async () => {
    const seen = await bigQueryError(bq.createQueryJob('SELECT foo FROM d.t'));
    expect(seen).toMatchObject(invalid('Unrecognized name: foo at [1:8]'));
  });
});

describe('an engine error BigQuery has no message for', () => {
  it('gets the envelope and a generic message; the engine text stays in process', async () => {
    const query = "SELECT JSON '{'";
    const seen = await bigQueryError(bq.query(query));
    expect(seen).toMatchObject({ code: 400, reason: 'invalidQuery', location: 'query' });
    expect(seen.message).toMatch(/^The local BigQuery could not run this statement/);
    expect(seen.body).not.toMatch(ENGINE_INTERNALS);
    expect(seen.body).not.toMatch(/JSON|byte/i);
    // In process the engine's own error is the cause, for whoever debugs the local BigQuery.
    const err = await lb.db.runQuery(PROJECT, query).catch((e: Error) => e);
    expect((err as Error & { cause?: Error }).cause?.message).toMatch(/JSON/);
  });
});
