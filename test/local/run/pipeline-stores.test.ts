/**
 * The company databases of a local pipeline: created on the shared PostgreSQL under names derived from the
 * pipeline's project id (two pipelines at once never collide), seeded with the mirror's rows of the
 * snapshot date, handed to the functions as OPE_DATABASE_URL / BILLING_PROD_DATABASE_URL /
 * CF_PROD_DATABASE_URL, changed through `pipeline.truth`, and dropped when the pipeline stops.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPipeline, startLocalPipeline } from '../../../local/run/pipeline.js';
import { STORE_URL_VARIABLES } from '../../../local/stores/databases.js';
import { STORES } from '../../../local/stores/schema.js';
import { uniqueProjectId, useEmulators } from '../../setup/emulators.js';
import { usePostgres } from '../../setup/postgres.js';

let pipelines: LocalPipeline[] = [];

beforeAll(async () => {
  const [, postgres] = await Promise.all([useEmulators(), usePostgres()]);
  const start = (accounts: number) =>
    startLocalPipeline({
      accounts,
      seed: 42,
      emulators: false,
      existingPostgres: { port: postgres.port },
      projectId: uniqueProjectId('stores'),
    });
  // One after the other: a pipeline exports its BIGQUERY_EMULATOR_HOST into this process, which the
  // BigQuery client prefers to its apiEndpoint, so two pipelines may not start in one process at once.
  pipelines.push(await start(30));
  pipelines.push(await start(20));
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(pipelines.map((p) => p.stop()));
});

/** One query through the URL a function gets, as the product's replica adapter would connect. */
async function viaEnv(p: LocalPipeline, variable: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: p.env[variable] });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('a pipeline on a shared PostgreSQL', () => {
  it('gives each pipeline databases of its own, named after its project, in its functions environment', () => {
    const [a, b] = pipelines as [LocalPipeline, LocalPipeline];
    for (const p of [a, b]) {
      expect(p.stack.postgres?.pid).toBeUndefined(); // the test run's server, not the pipeline's
      for (const store of STORES) {
        expect(p.stores.databases[store]).toBe(`${p.projectId.replace(/-/g, '_')}_${store}`);
        expect(p.env[STORE_URL_VARIABLES[store]]).toBe(p.stores.url(store));
      }
    }
    const all = pipelines.flatMap((p) => Object.values(p.stores.databases));
    expect(new Set(all).size).toBe(all.length);
  });

  it('seeds each with its own world, reachable through the URLs the functions get', async () => {
    const counts = await Promise.all(
      pipelines.map(
        async (p) =>
          (await viaEnv(p, 'CF_PROD_DATABASE_URL', 'SELECT count(*)::int AS n FROM accounts')).rows[0].n,
      ),
    );
    expect(counts).toEqual([30, 20]);
    const catalogue = await viaEnv(
      pipelines[0]!,
      'BILLING_PROD_DATABASE_URL',
      'SELECT count(*)::int AS n FROM catalogue',
    );
    expect(catalogue.rows[0].n).toBe(pipelines[0]!.world.catalogue.length);
  });

  it("changes one pipeline's truth without touching the other's", async () => {
    const [a, b] = pipelines as [LocalPipeline, LocalPipeline];
    const { rows } = await a.stores.query('ope', 'SELECT id FROM items ORDER BY id LIMIT 1');
    const itemId = rows[0].id as string;
    await a.truth.setItemQuantity(itemId, 77);
    await a.truth.setDunning('acc_0000001', 'bad_debt');
    const quantity = async (p: LocalPipeline) =>
      (await p.stores.query('ope', 'SELECT quantity FROM items WHERE id = $1', [itemId])).rows[0]?.quantity;
    expect(await quantity(a)).toBe(77);
    expect(await quantity(b)).not.toBe(77);
    const dunning = async (p: LocalPipeline) =>
      (await (await fetch(`${p.stack.endpoints.subsApi}/v1/accounts/acc_0000001`)).json()).dunning.state;
    expect([await dunning(a), await dunning(b)]).toEqual(['bad_debt', 'none']);
  });

  it('drops its databases when it stops, leaving the server and the other pipeline alone', async () => {
    const [a, b] = pipelines as [LocalPipeline, LocalPipeline];
    await a.stop();
    pipelines = [b];
    const { rows } = await b.stores.query('ope', 'SELECT datname FROM pg_database');
    const present = rows.map((r) => r.datname as string);
    for (const name of Object.values(a.stores.databases)) expect(present).not.toContain(name);
    for (const name of Object.values(b.stores.databases)) expect(present).toContain(name);
  });
});
