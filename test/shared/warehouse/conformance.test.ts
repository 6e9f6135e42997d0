/**
 * Conformance: the SQL views (detection, over the mirror) and the TypeScript core (planning, over
 * AccountViews) implement the same rules (docs/domain-rules.md). Both read one synthetic world: the mirror
 * rows and the AccountViews are generated from the same state, independently of each other.
 */
import { BigQuery } from '@google-cloud/bigquery';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { accountViewFor } from '../../../local/synthetic/account-view.js';
import { loadWorld } from '../../../local/synthetic/load.js';
import { accountIdOf, buildAccount, createWorld, type World } from '../../../local/synthetic/world.js';
import { classifyElements } from '../../../shared/core/classify.js';
import { accountDrift } from '../../../shared/core/drift.js';
import { querySql } from '../../../shared/warehouse/sql-files.js';

process.env.METADATA_SERVER_DETECTION = 'none';

interface SqlElement {
  account_id: string;
  element_key: string;
  element_class: string;
  drift_kinds: string[];
  ope_item_id: string | null;
  stripe_item_id: string | null;
  ope_subscription_id: string | null;
  stripe_subscription_id: string | null;
}

interface SqlAccount {
  account_id: string;
  has_drift: boolean;
  account_drift_kinds: string[];
}

let lb: LocalBigQuery;
let bq: BigQuery;

beforeAll(async () => {
  lb = await startLocalBigQuery();
  bq = new BigQuery({ projectId: 'conformance', apiEndpoint: lb.url });
  await deployWarehouse(bq);
});
afterAll(async () => {
  await lb.stop();
});

async function sqlElements(date: string): Promise<Map<string, SqlElement[]>> {
  const [rows] = await bq.query({
    query: `SELECT account_id, element_key, element_class, drift_kinds, ope_item_id, stripe_item_id,
              ope_subscription_id, stripe_subscription_id
            FROM billing_observability.line_item_classification
            WHERE snapshot_date = @d`,
    params: { d: bq.date(date) },
  });
  const by = new Map<string, SqlElement[]>();
  for (const r of rows as SqlElement[]) {
    const list = by.get(r.account_id) ?? [];
    list.push(r);
    by.set(r.account_id, list);
  }
  return by;
}

async function sqlAccounts(date: string): Promise<Map<string, SqlAccount>> {
  const [rows] = await bq.query({
    query: `SELECT account_id, has_drift, account_drift_kinds
            FROM billing_observability.stripe_account_drift
            WHERE snapshot_date = @d`,
    params: { d: bq.date(date) },
  });
  return new Map((rows as SqlAccount[]).map((r) => [r.account_id, r]));
}

const sorted = (xs: readonly string[]) => [...xs].sort();

/** Compares SQL and TypeScript for every account of the world on one date; returns the mismatches. */
async function compare(world: World, date: string) {
  const elements = await sqlElements(date);
  const accounts = await sqlAccounts(date);
  const mismatches: string[] = [];
  let lineItems = 0;
  let drifting = 0;
  for (let i = 0; i < world.accounts; i++) {
    const id = accountIdOf(i);
    const view = accountViewFor(world, id, date);
    const ts = classifyElements(view);
    const sql = new Map((elements.get(id) ?? []).map((e) => [e.element_key, e]));
    lineItems += ts.length;
    if (sql.size !== ts.length) mismatches.push(`${id}: ${ts.length} TS elements, ${sql.size} SQL elements`);
    for (const e of ts) {
      const s = sql.get(e.key);
      if (!s) {
        mismatches.push(`${id} ${e.key}: missing in SQL`);
        continue;
      }
      const got = {
        elementClass: s.element_class,
        drift: sorted(s.drift_kinds),
        opeItemId: s.ope_item_id,
        stripeItemId: s.stripe_item_id,
        opeSubscriptionId: s.ope_subscription_id,
        stripeSubscriptionId: s.stripe_subscription_id,
      };
      const want = {
        elementClass: e.elementClass,
        drift: sorted(e.drift),
        opeItemId: e.opeItemId,
        stripeItemId: e.stripeItemId,
        opeSubscriptionId: e.opeSubscriptionId,
        stripeSubscriptionId: e.stripeSubscriptionId,
      };
      if (JSON.stringify(got) !== JSON.stringify(want))
        mismatches.push(`${id} ${e.key}: SQL ${JSON.stringify(got)} TS ${JSON.stringify(want)}`);
    }
    const d = accountDrift(view);
    const a = accounts.get(id);
    if (d.hasDrift) drifting++;
    if (!a) mismatches.push(`${id}: missing in stripe_account_drift`);
    else if (
      a.has_drift !== d.hasDrift ||
      JSON.stringify(sorted(a.account_drift_kinds)) !== JSON.stringify(sorted(d.accountKinds))
    )
      mismatches.push(
        `${id}: SQL drift ${a.has_drift} ${JSON.stringify(a.account_drift_kinds)} TS ${d.hasDrift} ${JSON.stringify(d.accountKinds)}`,
      );
  }
  return { mismatches, lineItems, drifting };
}

describe('SQL views and the TypeScript core agree', () => {
  it('on every line item and every account of 10,000 generated accounts, on both snapshot dates', async () => {
    const world = createWorld({ seed: 20261124, accounts: 10_000, days: 2 });
    await loadWorld(lb.db, world);
    for (const date of world.dates) {
      const { mismatches, lineItems, drifting } = await compare(world, date);
      expect(mismatches.slice(0, 20)).toEqual([]);
      // The comparison must have covered a real mix, not an empty world.
      expect(lineItems).toBeGreaterThan(15_000);
      expect(drifting).toBeGreaterThan(500);
    }

    // New drift: the SQL query against "drifting today, not yesterday, self-serve" computed in TypeScript.
    const [today, yesterday] = [world.dates[1] as string, world.dates[0] as string];
    const [rows] = await bq.query({
      query: querySql('new_stripe_drift'),
      params: { snapshot_date: bq.date(today) },
    });
    const sqlNew = (rows as { account_id: string }[]).map((r) => r.account_id);
    const tsNew: string[] = [];
    for (let i = 0; i < world.accounts; i++) {
      const id = accountIdOf(i);
      const state = buildAccount(world, i, 1);
      if (state.subsAccountType !== 'self_serve' || state.cfAccountType !== 'self_serve') continue;
      if (
        accountDrift(accountViewFor(world, id, today)).hasDrift &&
        !accountDrift(accountViewFor(world, id, yesterday)).hasDrift
      )
        tsNew.push(id);
    }
    expect(sqlNew).toEqual(tsNew);
    expect(tsNew.length).toBeGreaterThan(100);
  }, 180_000);

  it('for worlds from arbitrary seeds (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 10, max: 300 }),
        async (seed, n) => {
          const world = createWorld({ seed, accounts: n, days: 2, endDate: '2026-10-02' });
          await loadWorld(lb.db, world);
          for (const date of world.dates) {
            const { mismatches } = await compare(world, date);
            expect(mismatches.slice(0, 5)).toEqual([]);
          }
        },
      ),
      { numRuns: 4 },
    );
  }, 120_000);
});
