/**
 * Mirror landing is judged from the mirror job's completion markers (billing_mirror.mirror_manifest), read
 * through the real client from the local BigQuery: an empty table with its marker has landed (nobody in
 * dunning is a legitimate day), a table without its marker has not, a partition holding another row count
 * than its marker says is half-loaded.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { loadWorld, markLanded } from '../../../local/synthetic/load.js';
import { createWorld } from '../../../local/synthetic/world.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import { mirrorVerdict } from '../../../shared/core/safety.js';
import { DEFAULT_CONFIG } from '../../../shared/domain/config.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const world = createWorld({ seed: 3, accounts: 150, days: 2 });
const [yesterday, today] = world.dates as [string, string];
let lb: LocalBigQuery;
let mirror: BigQueryMirror;
const sql = (text: string) => lb.db.exclusive((c) => c.run(text));

beforeAll(async () => {
  lb = await startLocalBigQuery();
  const bq = new BigQuery({ projectId: 'landing-test', apiEndpoint: lb.url });
  await deployWarehouse(bq);
  mirror = new BigQueryMirror(bq);
}, 60_000);
afterAll(async () => {
  await lb.stop();
});
beforeEach(async () => {
  await loadWorld(lb.db, world);
});

const verdictOf = async () => {
  const h = await mirror.health('stripe', today);
  const v = mirrorVerdict(h.today, h.yesterday, { ...DEFAULT_CONFIG, maxMirrorAccountChange: 1 });
  return { health: h, code: v.ok ? null : v.code };
};

describe('mirror landing', () => {
  it('a loaded world, every marker in place: landed', async () => {
    const { health, code } = await verdictOf();
    expect(code).toBeNull();
    expect(health.today).toMatchObject({ snapshotDate: today, missingTables: [], incompleteTables: [] });
    expect(health.yesterday.snapshotDate).toBe(yesterday);
  });

  it('an empty table whose marker says 0 rows has landed (nobody in dunning today)', async () => {
    await sql(`DELETE FROM billing_mirror.subs_dunning WHERE snapshot_date = DATE '${today}'`);
    await markLanded(lb.db, [today]);
    expect((await verdictOf()).code).toBeNull();
  });

  it('a table without its marker has not landed, whatever rows it holds', async () => {
    await sql(
      `DELETE FROM billing_mirror.mirror_manifest WHERE snapshot_date = DATE '${today}' AND table_name = 'ope_items'`,
    );
    const { health, code } = await verdictOf();
    expect(code).toBe('mirror_not_landed');
    expect(health.today.missingTables).toEqual(['ope_items']);
  });

  it('a partition holding fewer rows than its marker says is half-loaded', async () => {
    await sql(
      `DELETE FROM billing_mirror.stripe_subscription_items WHERE snapshot_date = DATE '${yesterday}' AND id IN (SELECT id FROM billing_mirror.stripe_subscription_items WHERE snapshot_date = DATE '${yesterday}' LIMIT 10)`,
    );
    const { health, code } = await verdictOf();
    expect(code).toBe('mirror_incomplete');
    expect(health.yesterday.incompleteTables).toEqual(['stripe_subscription_items']);
  });
});
