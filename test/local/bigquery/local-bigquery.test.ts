import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';

process.env.METADATA_SERVER_DETECTION = 'none';

let lb: LocalBigQuery;
let bq: BigQuery;

beforeAll(async () => {
  lb = await startLocalBigQuery();
  bq = new BigQuery({ projectId: 'local-test', apiEndpoint: lb.url });
  await deployWarehouse(bq);
});
afterAll(async () => {
  await lb.stop();
});

describe('local BigQuery through the real @google-cloud/bigquery client', () => {
  it('creates the mirror tables with partitioning, clustering and require_partition_filter', async () => {
    const [meta] = await bq.dataset('billing_mirror').table('ope_items').getMetadata();
    expect(meta.timePartitioning).toMatchObject({
      type: 'DAY',
      field: 'snapshot_date',
      requirePartitionFilter: true,
    });
    expect(meta.clustering).toEqual({ fields: ['account_id'] });
    expect(meta.schema.fields[0]).toMatchObject({ name: 'snapshot_date', type: 'DATE', mode: 'REQUIRED' });
    const [exists] = await bq.dataset('billing_mirror').table('nope').exists();
    expect(exists).toBe(false);
  });

  it('deploying twice is idempotent', async () => {
    const r = await deployWarehouse(bq);
    expect(r.tables).toContain('stripe_invoices');
  });

  it('binds named parameters of every type the project uses and decodes them back', async () => {
    const [rows] = await bq.query({
      query:
        'SELECT @d AS d, @n AS n, @s AS s, @ts AS ts, @b AS b, @arr AS arr, ARRAY_LENGTH(@arr) AS len, DATE_SUB(@d, INTERVAL 1 DAY) AS prev',
      params: {
        d: bq.date('2026-11-24'),
        n: bq.int('9007199254740993'),
        s: "it's; DROP TABLE x --",
        ts: bq.timestamp('2026-11-24T01:02:03.456789Z'),
        b: true,
        arr: ['a', 'b'],
      },
      wrapIntegers: true,
    });
    const r = rows[0];
    expect(r.d.value).toBe('2026-11-24');
    expect(r.n.value).toBe('9007199254740993');
    expect(r.s).toBe("it's; DROP TABLE x --");
    expect(r.ts.value).toBe('2026-11-24T01:02:03.456789000Z');
    expect(r.b).toBe(true);
    expect(r.arr).toEqual(['a', 'b']);
    expect(r.len.value).toBe('2');
    expect(r.prev.value).toBe('2026-11-23');
  });

  it('returns STRUCT literals as records and NULL arrays as empty', async () => {
    const [rows] = await bq.query(
      "SELECT STRUCT(1 AS a, 'x' AS b) AS st, CAST(NULL AS ARRAY<STRING>) AS none, [STRUCT(1 AS k)] AS ks",
    );
    expect(rows[0].st).toEqual({ a: 1, b: 'x' });
    expect(rows[0].none).toEqual([]);
    expect(rows[0].ks).toEqual([{ k: 1 }]);
  });

  it('pages a large result with maxResults and pageToken (jobs.query then getQueryResults)', async () => {
    const query = 'SELECT x, CONCAT("r", CAST(x AS STRING)) AS s FROM UNNEST(@xs) AS x ORDER BY x';
    const xs = Array.from({ length: 2500 }, (_, i) => i);
    const [job] = await bq.createQueryJob({ query, params: { xs }, types: { xs: ['INT64'] } });
    const [page1, next1] = await job.getQueryResults({ maxResults: 1000, autoPaginate: false });
    expect(page1).toHaveLength(1000);
    expect(page1[0]).toEqual({ x: 0, s: 'r0' });
    expect(next1?.pageToken).toMatch(/^.+$/);
    const [all] = await bq.query({ query, params: { xs }, types: { xs: ['INT64'] }, maxResults: 700 });
    expect(all).toHaveLength(2500);
    expect(all.map((r: { x: number }) => r.x)).toEqual(xs);
  });

  it('streams query results page by page', async () => {
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      bq.createQueryStream({ query: 'SELECT x FROM UNNEST(@xs) AS x', params: { xs: [1, 2, 3, 4, 5] } })
        .on('data', () => {
          n++;
        })
        .on('error', reject)
        .on('end', () => resolve());
    });
    expect(n).toBe(5);
  });

  it('insertAll de-duplicates by insertId and the rows are queryable with a partition filter', async () => {
    const table = bq.dataset('billing_mirror').table('subs_dunning');
    const rows = [
      { insertId: 'a1', json: { snapshot_date: '2026-11-24', account_id: 'acc_1', state: 'bad_debt' } },
      { insertId: 'a2', json: { snapshot_date: '2026-11-24', account_id: 'acc_2', state: 'dunning' } },
    ];
    await table.insert(rows, { raw: true });
    await table.insert(rows, { raw: true });
    const [out] = await bq.query({
      query:
        'SELECT account_id, state FROM billing_mirror.subs_dunning WHERE snapshot_date = @d ORDER BY account_id',
      params: { d: bq.date('2026-11-24') },
    });
    expect(out).toEqual([
      { account_id: 'acc_1', state: 'bad_debt' },
      { account_id: 'acc_2', state: 'dunning' },
    ]);
  });

  it('insertAll reports invalid rows in BigQuery form', async () => {
    const table = bq.dataset('billing_mirror').table('subs_dunning');
    const err = await table
      .insert([{ json: { snapshot_date: '2026-11-24', account_id: 'acc_3' } }], { raw: true })
      .then(() => undefined)
      .catch((e: { name: string; errors: { errors: { reason: string; message: string }[] }[] }) => e);
    expect(err?.name).toBe('PartialFailureError');
    expect(err?.errors[0]?.errors[0]?.message).toMatch(/required field: state/);
  });

  it('rejects what it cannot translate with a 400 naming the construct', async () => {
    const e = await bq
      .query('SELECT GREATEST(1, 2)')
      .catch((x: { code: number; message: string; errors: unknown[] }) => x);
    expect(e).toMatchObject({ code: 400 });
    expect((e as { message: string }).message).toMatch(/function GREATEST/);
    const e2 = await bq.query('SELECT * FROM billing_mirror.no_such_table').catch((x: { code: number }) => x);
    expect((e2 as { code: number }).code).toBe(404);
    const e3 = await bq.query('SELEC 1').catch((x: { code: number; message: string }) => x);
    expect((e3 as { code: number }).code).toBe(400);
  });

  it('creates a view through tables.insert and queries it', async () => {
    await bq.dataset('billing_observability').createTable('tmp_dunning_view', {
      view: {
        query:
          'SELECT snapshot_date, account_id, state = "bad_debt" AS bad FROM `billing_mirror.subs_dunning`',
        useLegacySql: false,
      },
    });
    const [meta] = await bq.dataset('billing_observability').table('tmp_dunning_view').getMetadata();
    expect(meta.type).toBe('VIEW');
    expect(meta.schema.fields.map((f: { name: string }) => f.name)).toEqual([
      'snapshot_date',
      'account_id',
      'bad',
    ]);
    const [rows] = await bq.query(
      "SELECT COUNTIF(bad) AS n FROM billing_observability.tmp_dunning_view WHERE snapshot_date = '2026-11-24'",
    );
    expect(rows[0].n).toBe(1);
  });

  it('rejects a read of a require_partition_filter table (directly or through a view) without a partition filter', async () => {
    for (const query of [
      'SELECT COUNT(*) AS n FROM billing_mirror.subs_dunning',
      "SELECT COUNT(*) AS n FROM billing_mirror.subs_dunning WHERE snapshot_date = '2026-11-24' OR state = 'x'",
      'SELECT COUNT(*) AS n FROM billing_observability.tmp_dunning_view',
    ]) {
      const e = await bq.query(query).catch((x: { code: number; message: string }) => x);
      expect(e).toMatchObject({ code: 400 });
      expect((e as { message: string }).message).toMatch(/without a filter over column\(s\) 'snapshot_date'/);
    }
  });

  it('dry runs validate without running', async () => {
    const [job] = await bq.createQueryJob({ query: 'SELECT 1 AS x', dryRun: true });
    expect(job.metadata.status.state).toBe('DONE');
    const e = await bq
      .createQueryJob({ query: 'SELECT GREATEST(1, 2)', dryRun: true })
      .catch((x: { code: number }) => x);
    expect((e as { code: number }).code).toBe(400);
  });

  it('runs DML and reports affected rows', async () => {
    await bq.query('CREATE TABLE IF NOT EXISTS billing_audit.t_dml (id STRING, n INT64)');
    const [job] = await bq.createQueryJob(
      "INSERT INTO billing_audit.t_dml (id, n) VALUES ('a', 1), ('b', 2)",
    );
    const [meta] = await job.getMetadata();
    expect(meta.statistics.query.numDmlAffectedRows).toBe('2');
    expect(meta.status.state).toBe('DONE');
  });
});
