/**
 * LiveTruth, the pipeline's way to move live truth after the mirror landed: every change is what the
 * product adapters then read (OPE and cf_prod through the `pg` driver, subs-api over HTTP), and a change
 * to something that does not exist fails instead of silently changing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveTruth } from '../../../local/run/truth.js';
import { createLocalStores, type LocalStores } from '../../../local/stores/local-stores.js';
import { accountIdOf, accountStates, createWorld } from '../../../local/synthetic/world.js';
import { seedsFromWorld } from '../../../local/synthetic/world-seed.js';
import { type LocalSubsApi, startLocalSubsApi } from '../../../local/zones/subs-api.js';
import { CfProdReplica } from '../../../shared/adapters/replica/cf-prod.js';
import { OpeReplica } from '../../../shared/adapters/replica/ope.js';
import { ReadReplica } from '../../../shared/adapters/replica/replica.js';
import { SubsApiClient } from '../../../shared/adapters/subs-api.js';
import { uniqueProjectId } from '../../setup/emulators.js';
import { usePostgres } from '../../setup/postgres.js';

const world = createWorld({ seed: 5, accounts: 40 });
const states = [...accountStates(world, world.dates.length - 1)];
/** An account with an OPE subscription and a Stripe customer shared with nobody. */
const subject = states.find(
  (s) => s.ope.length > 0 && s.ope[0]?.items.length && s.accountIdsForCustomer.length === 1,
);

let stores: LocalStores;
let subsApi: LocalSubsApi;
let truth: LiveTruth;
let ope: OpeReplica;
let cfProd: CfProdReplica;
let subs: SubsApiClient;
const replicas: ReadReplica[] = [];

beforeAll(async () => {
  const seeds = seedsFromWorld(world);
  stores = await createLocalStores(await usePostgres(), uniqueProjectId('truth'), seeds.stores);
  subsApi = await startLocalSubsApi({ seed: seeds.subsApi });
  truth = new LiveTruth(stores, subsApi.url);
  const replica = (store: 'ope' | 'cf_prod') => {
    const r = new ReadReplica(store, { url: stores.url(store) });
    replicas.push(r);
    return r;
  };
  ope = new OpeReplica(replica('ope'));
  cfProd = new CfProdReplica(replica('cf_prod'));
  subs = new SubsApiClient({ baseUrl: subsApi.url });
});
afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.close()));
  await Promise.allSettled([stores?.drop(), subsApi?.stop()]);
});

describe('LiveTruth', () => {
  it('finds an account to change in the world', () => {
    expect(subject).toBeDefined();
  });

  it('changes an OPE item: quantity and product', async () => {
    const accountId = subject!.accountId;
    const itemId = subject!.ope[0]!.items[0]!.id;
    await truth.setItemQuantity(itemId, 42);
    await truth.setItemProduct(itemId, 'prod_argo');
    const item = (await ope.subscriptions(accountId)).data.subscriptions
      .flatMap((s) => s.items)
      .find((i) => i.id === itemId);
    expect(item).toMatchObject({ quantity: 42, productId: 'prod_argo' });
  });

  it('cancels an OPE subscription', async () => {
    const sub = subject!.ope[0]!;
    await truth.cancelSubscription(sub.id);
    const live = (await ope.subscriptions(subject!.accountId)).data.subscriptions.find(
      (s) => s.id === sub.id,
    );
    expect(live?.status).toBe('canceled');
    const { rows } = await stores.query('ope', 'SELECT canceled_at FROM subscriptions WHERE id = $1', [
      sub.id,
    ]);
    expect(rows[0].canceled_at).toBeInstanceOf(Date);
  });

  it('sets dunning and the account type in subs-api (and cf_prod unless told otherwise)', async () => {
    const accountId = subject!.accountId;
    await truth.setDunning(accountId, 'bad_debt');
    await truth.setAccountType(accountId, 'msp');
    let account = await subs.account(accountId);
    expect(account?.subsDunning.data.state).toBe('bad_debt');
    expect(account?.subsAccount.data.accountType).toBe('msp');
    expect((await cfProd.account(accountId))?.data.accountType).toBe('msp');
    await truth.setAccountType(accountId, 'self_serve', 'subs-api');
    account = await subs.account(accountId);
    expect(account?.subsAccount.data.accountType).toBe('self_serve');
    expect((await cfProd.account(accountId))?.data.accountType).toBe('msp');
  });

  it("moves an account to another's Stripe customer: both see each other", async () => {
    const [a, b] = [subject!.accountId, states.find((s) => s.accountId !== subject!.accountId)!.accountId];
    const customer = (await subs.account(b))?.subsCustomer.data.stripeCustomerId ?? null;
    expect(customer).not.toBeNull();
    await truth.setStripeCustomer(a, customer);
    expect((await subs.account(b))?.subsCustomer.data.accountIdsForCustomer).toContain(a);
  });

  it.each([
    ['an unknown item', () => truth.setItemQuantity('si_none', 1), /OPE item si_none does not exist in ope/],
    ['an unknown subscription', () => truth.cancelSubscription('sub_none'), /does not exist in ope/],
    [
      'an unknown account (subs-api)',
      () => truth.setDunning('acc_none', 'dunning'),
      /404.*account_not_found/,
    ],
    [
      'an unknown account (cf_prod)',
      () => truth.setAccountType(accountIdOf(9999), 'msp', 'cf_prod'),
      /cf_prod account acc_0009999 does not exist/,
    ],
  ])('refuses %s', async (_name, change, message) => {
    await expect(change()).rejects.toThrow(message);
  });
});
