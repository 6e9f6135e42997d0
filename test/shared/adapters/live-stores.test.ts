/**
 * The live-truth adapters (what gather reads): OPE, billing_prod and cf_prod through the real `pg` driver
 * from the local PostgreSQL, and subs-api's account records over HTTP from the local subs-api, all seeded
 * from one synthetic world. For every account the parts they read equal the same parts of the world's
 * AccountView (built from the generated state, not from the stores). Then what must fail does, clearly:
 * an unknown account, a stopped server, a malformed row.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalPostgres } from '../../../local/postgres.js';
import { createLocalStores, type LocalStores } from '../../../local/stores/local-stores.js';
import { accountViewFor } from '../../../local/synthetic/account-view.js';
import { accountIdOf, createWorld } from '../../../local/synthetic/world.js';
import { seedsFromWorld } from '../../../local/synthetic/world-seed.js';
import { type LocalSubsApi, startLocalSubsApi } from '../../../local/zones/subs-api.js';
import type { ReadRetryPolicy } from '../../../shared/adapters/read-retry.js';
import { BillingProdReplica } from '../../../shared/adapters/replica/billing-prod.js';
import { CfProdReplica } from '../../../shared/adapters/replica/cf-prod.js';
import { OpeReplica } from '../../../shared/adapters/replica/ope.js';
import { ReadReplica, type ReplicaStore } from '../../../shared/adapters/replica/replica.js';
import { SubsApiClient } from '../../../shared/adapters/subs-api.js';
import type { OpeSubscription } from '../../../shared/domain/account-view.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import { uniqueProjectId } from '../../setup/emulators.js';
import { usePostgres } from '../../setup/postgres.js';

const ACCOUNTS = 400;
const world = createWorld({ seed: 7, accounts: ACCOUNTS, days: 2 });
const today = world.dates[world.dates.length - 1] as string;
/** Fast retries: the failure cases below go through every try. */
const RETRY: ReadRetryPolicy = { retries: 2, minBackoffMs: 10, maxBackoffMs: 20 };

let stores: LocalStores;
let subsApi: LocalSubsApi;
const replicas: ReadReplica[] = [];
const replica = (store: ReplicaStore, url: string) => {
  const r = new ReadReplica(store, { url, retry: RETRY, timeoutMs: 2000 });
  replicas.push(r);
  return r;
};
let ope: OpeReplica;
let billingProd: BillingProdReplica;
let cfProd: CfProdReplica;
let subs: SubsApiClient;

beforeAll(async () => {
  const seeds = seedsFromWorld(world);
  [stores, subsApi] = await Promise.all([
    usePostgres().then((postgres) => createLocalStores(postgres, uniqueProjectId('live'), seeds.stores)),
    startLocalSubsApi({ seed: seeds.subsApi }),
  ]);
  ope = new OpeReplica(replica('ope', stores.url('ope')));
  billingProd = new BillingProdReplica(replica('billing_prod', stores.url('billing_prod')));
  cfProd = new CfProdReplica(replica('cf_prod', stores.url('cf_prod')));
  subs = new SubsApiClient({ baseUrl: subsApi.url, retry: RETRY });
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.close()));
  await Promise.allSettled([stores?.drop(), subsApi?.stop()]);
});

/** Order-insensitive where a store has no order (catalogue rows, subscriptions and items by id). */
const byKey = <T>(xs: readonly T[], key: (x: T) => string) =>
  [...xs].sort((a, b) => key(a).localeCompare(key(b)));

/** OPE subscriptions sorted, with instants in one ISO form (the world writes `...:00Z`, the adapter `.000Z`). */
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

describe('live reads equal the world', () => {
  it(`for all ${ACCOUNTS} accounts on ${today}: OPE, cf_prod and subs-api`, async () => {
    const mismatches: string[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const id = accountIdOf(i);
      const view = accountViewFor(world, id, today);
      const [o, cf, account] = await Promise.all([
        ope.subscriptions(id),
        cfProd.account(id),
        subs.account(id),
      ]);
      const got = {
        ope: opeOf(o.data.subscriptions),
        cfProd: cf ? { ...cf.data, zones: byKey(cf.data.zones, (z) => z.id) } : null,
        subsAccount: account?.subsAccount.data,
        subsCustomer: account?.subsCustomer.data,
        subsDunning: account?.subsDunning.data,
      };
      const want = {
        ope: opeOf(view.ope.data.subscriptions),
        cfProd: { ...view.cfProd.data, zones: byKey(view.cfProd.data.zones, (z) => z.id) },
        subsAccount: view.subsAccount.data,
        subsCustomer: view.subsCustomer.data,
        subsDunning: view.subsDunning.data,
      };
      for (const k of Object.keys(want) as (keyof typeof want)[])
        if (JSON.stringify(got[k]) !== JSON.stringify(want[k]))
          mismatches.push(`${id} ${k}: live ${JSON.stringify(got[k])} world ${JSON.stringify(want[k])}`);
      expect([o.source, cf?.source, account?.subsDunning.source]).toEqual(['ope', 'cf_prod', 'subs_dunning']);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  }, 120_000);

  it('billing_prod: the catalogue', async () => {
    const got = await billingProd.catalogue();
    const want = accountViewFor(world, accountIdOf(0), today).billingProd.data.catalogue;
    const key = (c: unknown) => JSON.stringify(c);
    expect(byKey(got.data.catalogue, key)).toEqual(byKey(want, key));
    expect(got.source).toBe('billing_prod');
  });

  it('covers the account shapes that matter: shared customers, no customer, dunning, contracts', () => {
    const views = Array.from({ length: ACCOUNTS }, (_, i) => accountViewFor(world, accountIdOf(i), today));
    expect(views.some((v) => v.subsCustomer.data.accountIdsForCustomer.length > 1)).toBe(true);
    expect(views.some((v) => v.subsCustomer.data.stripeCustomerId === null)).toBe(true);
    expect(views.some((v) => v.subsDunning.data.state !== 'none')).toBe(true);
    expect(views.some((v) => v.ope.data.subscriptions.some((s) => s.items.some((i) => i.contract)))).toBe(
      true,
    );
    expect(
      views.some((v) => v.ope.data.subscriptions.some((s) => s.items.some((i) => i.scheduledChange))),
    ).toBe(true);
  });
});

describe('an unknown account', () => {
  it('has no OPE subscriptions, no cf_prod account and no subs-api record (404)', async () => {
    expect((await ope.subscriptions('acc_9999999')).data.subscriptions).toEqual([]);
    expect(await cfProd.account('acc_9999999')).toBeNull();
    expect(await subs.account('acc_9999999')).toBeNull();
  });
});

describe('a stopped server', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('PostgreSQL: a retryable UpstreamError naming the store, after the bounded retries', async () => {
    const own = await startLocalPostgres();
    await own.createDatabase('stopped_ope');
    const stopped = new OpeReplica(replica('ope', own.url('stopped_ope')));
    await own.stop();
    const queries = vi.spyOn(pg.Pool.prototype, 'query');
    const err = await stopped.subscriptions(accountIdOf(0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: 'ope', retryable: true });
    expect((err as Error).message).toMatch(
      /^ope replica: subscriptions of acc_0000000 failed: .*ECONNREFUSED/,
    );
    expect(queries).toHaveBeenCalledTimes(RETRY.retries + 1);
  });

  it('subs-api: a retryable UpstreamError naming subs-api, after the bounded retries', async () => {
    const own = await startLocalSubsApi();
    const url = own.url;
    await own.stop();
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const err = await new SubsApiClient({ baseUrl: url, retry: RETRY, fetch: counting })
      .account(accountIdOf(0))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: 'subs-api', retryable: true, status: null });
    expect((err as Error).message).toMatch(/^subs-api GET \/v1\/accounts\/acc_0000000: request failed/);
    expect(calls).toBe(RETRY.retries + 1);
  });
});

describe('a malformed row', () => {
  /** An account of its own, inserted by hand the way a broken writer or a schema change would. */
  async function insertSubscription(accountId: string, status: string, quantity: number | null) {
    await stores.query(
      'ope',
      `INSERT INTO subscriptions (id, account_id, status, billing_interval, currency, cancel_at_period_end)
       VALUES ($1, $2, $3, 'month', 'usd', false)`,
      [`sub_${accountId}`, accountId, status],
    );
    await stores.query(
      'ope',
      `INSERT INTO items (id, subscription_id, account_id, product_id, quantity, deleted)
       VALUES ($1, $2, $3, 'prod_pro', $4, false)`,
      [`si_${accountId}`, `sub_${accountId}`, accountId, quantity],
    );
  }

  it.each([
    ['a status outside the enum', 'acc_bad_status', 'paused_forever', 1, /\bstatus\b/],
    ['a quantity that is not an integer (NULL)', 'acc_bad_quantity', 'active', null, /items\.0\.quantity/],
  ])('%s: a retryable UpstreamError naming the field', async (_name, accountId, status, quantity, field) => {
    await insertSubscription(accountId, status, quantity);
    const err = await ope.subscriptions(accountId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: 'ope', retryable: true });
    expect((err as Error).message).toMatch(
      /^ope replica: subscriptions of acc_bad_\w+ returned a malformed row 1/,
    );
    expect((err as Error).message).toMatch(field);
  });

  it('a subs-api answer missing a field: a retryable UpstreamError naming it', async () => {
    const body = JSON.stringify({ accountId: 'acc_x', accountType: 'self_serve', mergedAccountIds: [] });
    const broken: typeof fetch = async () => new Response(body, { status: 200 });
    const err = await new SubsApiClient({ baseUrl: subsApi.url, retry: RETRY, fetch: broken })
      .account('acc_x')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UpstreamError', service: 'subs-api', retryable: true });
    expect((err as Error).message).toMatch(/stripeCustomerId/);
  });
});
