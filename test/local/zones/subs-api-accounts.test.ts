/**
 * The local subs-api's account records: the read route the product client uses, accountIdsForCustomer
 * computed from the table (so one account's change moves its sharers' lists), the admin change route and
 * the seed, validated whole.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountSeedEntry } from '../../../local/zones/accounts.js';
import { type LocalSubsApi, startLocalSubsApi } from '../../../local/zones/subs-api.js';

const accounts: AccountSeedEntry[] = [
  {
    accountId: 'acc_lead',
    accountType: 'self_serve',
    mergedAccountIds: [],
    stripeCustomerId: 'cus_shared',
    dunning: { state: 'none' },
  },
  {
    accountId: 'acc_partner',
    accountType: 'self_serve',
    mergedAccountIds: ['acc_old'],
    stripeCustomerId: 'cus_shared',
    dunning: { state: 'dunning' },
  },
  {
    accountId: 'acc_alone',
    accountType: 'msp',
    mergedAccountIds: [],
    stripeCustomerId: null,
    dunning: { state: 'bad_debt' },
  },
];

let subs: LocalSubsApi;

beforeAll(async () => {
  subs = await startLocalSubsApi();
});
afterAll(async () => {
  await subs.stop();
});
beforeEach(() => {
  subs.reset();
  subs.seed({ zones: [{ zoneId: 'zone-1', accountId: 'acc_lead', planLevel: 'pro' }], accounts });
});

interface Body {
  accountId?: string;
  accountIdsForCustomer?: string[];
  stripeCustomerId?: string | null;
  accounts?: unknown[];
  error?: { code: string; message: string; accountId?: string };
}

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${subs.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Body };
}

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

const sharers = async (accountId: string) =>
  (await call(`/v1/accounts/${accountId}`)).body.accountIdsForCustomer;

describe('GET /v1/accounts/:accountId', () => {
  it('answers the account with every account sharing its Stripe customer', async () => {
    expect(await call('/v1/accounts/acc_partner')).toEqual({
      status: 200,
      body: {
        accountId: 'acc_partner',
        accountType: 'self_serve',
        mergedAccountIds: ['acc_old'],
        stripeCustomerId: 'cus_shared',
        accountIdsForCustomer: ['acc_lead', 'acc_partner'],
        dunning: { state: 'dunning' },
      },
    });
  });

  it('lists only the account itself when it has no Stripe customer', async () => {
    expect(await sharers('acc_alone')).toEqual(['acc_alone']);
  });

  it('answers 404 account_not_found for an unknown account', async () => {
    const res = await call('/v1/accounts/acc_none');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'account_not_found', accountId: 'acc_none' });
  });

  it('keeps serving the zones of an account', async () => {
    const res = await call('/v1/accounts/acc_lead/zones');
    expect(res.status).toBe(200);
    expect((res.body as { zones: { zoneId: string }[] }).zones.map((z) => z.zoneId)).toEqual(['zone-1']);
  });
});

describe('PUT /_admin/accounts/:accountId', () => {
  it("recomputes every sharer's list when one account moves to another customer", async () => {
    const res = await call('/_admin/accounts/acc_partner', json('PUT', { stripeCustomerId: 'cus_alone' }));
    expect(res.status).toBe(200);
    expect(res.body.accountIdsForCustomer).toEqual(['acc_partner']);
    expect(await sharers('acc_lead')).toEqual(['acc_lead']);
    await call('/_admin/accounts/acc_alone', json('PUT', { stripeCustomerId: 'cus_shared' }));
    expect(await sharers('acc_lead')).toEqual(['acc_alone', 'acc_lead']);
  });

  it('changes only the fields given', async () => {
    await call('/_admin/accounts/acc_lead', json('PUT', { dunning: { state: 'bad_debt' } }));
    expect((await call('/v1/accounts/acc_lead')).body).toMatchObject({
      accountType: 'self_serve',
      stripeCustomerId: 'cus_shared',
      dunning: { state: 'bad_debt' },
    });
  });

  it.each([
    ['an unknown dunning state', 'acc_lead', { dunning: { state: 'late' } }, 400, 'invalid_request'],
    ['an unknown field', 'acc_lead', { plan: 'pro' }, 400, 'invalid_request'],
    ['an unknown account', 'acc_none', { accountType: 'msp' }, 404, 'account_not_found'],
  ])('refuses %s and changes nothing', async (_name, accountId, body, status, code) => {
    const before = subs.accounts.all();
    const res = await call(`/_admin/accounts/${accountId}`, json('PUT', body));
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
    expect(subs.accounts.all()).toEqual(before);
  });

  it('is the same change in process', () => {
    expect(subs.updateAccount('acc_alone', { accountType: 'self_serve' }).accountType).toBe('self_serve');
    expect(() => subs.updateAccount('acc_none', { accountType: 'msp' })).toThrow(/does not exist/);
  });
});

describe('POST /_admin/seed with accounts', () => {
  it('adds zones and accounts together', async () => {
    const res = await call(
      '/_admin/seed',
      json('POST', {
        zones: [{ zoneId: 'zone-2', accountId: 'acc_new', planLevel: 'free' }],
        accounts: [
          {
            accountId: 'acc_new',
            accountType: 'self_serve',
            mergedAccountIds: [],
            stripeCustomerId: 'cus_shared',
            dunning: { state: 'none' },
          },
        ],
      }),
    );
    expect(res).toEqual({ status: 200, body: { zones: 1, accounts: 1 } });
    expect(await sharers('acc_lead')).toEqual(['acc_lead', 'acc_new', 'acc_partner']);
    expect((await call('/_admin/accounts')).body.accounts).toHaveLength(4);
  });

  it('refuses an invalid seed whole: 400 invalid_seed naming the field, nothing changed', async () => {
    const res = await call(
      '/_admin/seed',
      json('POST', {
        zones: [{ zoneId: 'zone-3', accountId: 'acc_x', planLevel: 'pro' }],
        accounts: [{ ...accounts[0], accountId: 'acc_x', dunning: 'none' }],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_seed');
    expect(res.body.error?.message).toMatch(/accounts\.0\.dunning/);
    expect((await call('/v1/accounts/acc_x')).status).toBe(404);
    expect((await call('/v1/zones/zone-3')).status).toBe(404);
  });

  it('reset empties the accounts too', async () => {
    await call('/_admin/reset', { method: 'POST' });
    expect((await call('/v1/accounts/acc_lead')).status).toBe(404);
  });
});
