/**
 * The BigQuery mirror adapter (what gather reads) against the synthetic world it was loaded from: for every
 * account, both dates, the mirror parts read through the real client from the local BigQuery equal the
 * same parts of the world's AccountView (built from the generated state, not from the mirror). The SQL
 * conformance test holds the drift views to the same world, so detection and gather see one account.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { accountViewFor } from '../../../local/synthetic/account-view.js';
import { loadWorld } from '../../../local/synthetic/load.js';
import { accountIdOf, createWorld } from '../../../local/synthetic/world.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import type { AccountView, OpeSubscription } from '../../../shared/domain/account-view.js';
import type { MirrorAccountParts } from '../../../shared/ports/index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const ACCOUNTS = 400;
const world = createWorld({ seed: 7, accounts: ACCOUNTS, days: 2 });
let lb: LocalBigQuery;
let mirror: BigQueryMirror;

beforeAll(async () => {
  lb = await startLocalBigQuery();
  const bq = new BigQuery({ projectId: 'mirror-test', apiEndpoint: lb.url });
  await deployWarehouse(bq);
  await loadWorld(lb.db, world);
  mirror = new BigQueryMirror(bq);
}, 60_000);
afterAll(async () => {
  await lb.stop();
});

/** Order-insensitive where the mirror has no order (catalogue rows, subscriptions and items by id). */
const byKey = <T>(xs: readonly T[], key: (x: T) => string) =>
  [...xs].sort((a, b) => key(a).localeCompare(key(b)));

/** OPE subscriptions sorted, with instants in one ISO form (the world writes `...:00Z`, the mirror `.000Z`). */
function opeOf(subscriptions: readonly OpeSubscription[]) {
  return byKey(subscriptions, (s) => s.id).map((s) => ({
    ...s,
    items: byKey(s.items, (x) => x.id).map((x) => ({
      ...x,
      scheduledChange: x.scheduledChange
        ? { ...x.scheduledChange, effectiveAt: new Date(x.scheduledChange.effectiveAt).toISOString() }
        : null,
    })),
  }));
}

/** The parts gather reads from the mirror, in one order-free form, from the adapter or from an AccountView. */
function comparable(p: Omit<MirrorAccountParts, 'billingProd'> & Pick<AccountView, 'billingProd'>) {
  return {
    ope: opeOf(p.ope.data.subscriptions),
    subsAccount: p.subsAccount.data,
    subsCustomer: p.subsCustomer.data,
    subsDunning: p.subsDunning.data,
    cfProd: { ...p.cfProd.data, zones: byKey(p.cfProd.data.zones, (z) => z.id) },
    catalogue: byKey(p.billingProd.data.catalogue, (c) => JSON.stringify(c)),
  };
}

describe('BigQueryMirror.accountParts', () => {
  it.each(world.dates)(
    `equals the world's account view for all ${ACCOUNTS} accounts on %s`,
    async (date) => {
      const mismatches: string[] = [];
      for (let i = 0; i < ACCOUNTS; i++) {
        const id = accountIdOf(i);
        const parts = await mirror.accountParts(id, date);
        const view = accountViewFor(world, id, date);
        if (!parts) {
          mismatches.push(`${id}: not in the mirror`);
          continue;
        }
        const got = comparable(parts);
        const want = comparable(view);
        for (const k of Object.keys(want) as (keyof typeof want)[])
          if (JSON.stringify(got[k]) !== JSON.stringify(want[k]))
            mismatches.push(`${id} ${k}: mirror ${JSON.stringify(got[k])} world ${JSON.stringify(want[k])}`);
        expect(parts.ope.asOf).toBe(`${date}T00:00:00.000Z`);
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
    },
    120_000,
  );

  it('answers null for an account the mirror does not have', async () => {
    expect(await mirror.accountParts('acc_9999999', world.dates[1] as string)).toBeNull();
  });
});

describe('BigQueryMirror.accountParts on a mirror with duplicate rows', () => {
  it('lists each account sharing the customer once when the export duplicated a row', async () => {
    const date = world.dates[1] as string;
    const shared = Array.from({ length: ACCOUNTS }, (_, i) => accountIdOf(i)).find(
      (id) => accountViewFor(world, id, date).subsCustomer.data.accountIdsForCustomer.length > 1,
    ) as string;
    expect(shared).toBeDefined();
    const want = accountViewFor(world, shared, date).subsCustomer.data;
    // The nightly export landed the account's own subs_customer row twice.
    await lb.db.conn.run(
      `INSERT INTO billing_mirror.subs_customer SELECT * FROM billing_mirror.subs_customer
       WHERE snapshot_date = DATE '${date}' AND account_id = '${shared}'`,
    );
    const parts = await mirror.accountParts(shared, date);
    expect(parts?.subsCustomer.data).toEqual(want);
  });
});
