import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultRule, type LocalStripeServer, startLocalStripe } from '../../../local/stripe/index.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
import { mapCustomer, StripeMappingError } from '../../../shared/adapters/stripe/mapping.js';
import { LIVE_CHANGE_ID_FIELD } from '../../../shared/core/apply-policy.js';
import { StripeCallError } from '../../../shared/ports/errors.js';
import { adapterSeed, changeFor, NOW, PERIOD_END } from './stripe-seed.js';

let server: LocalStripeServer;
const READ_AT = '2026-11-01T00:00:05.000Z';

function adapter(options: { maxNetworkRetries?: number; writesPerSecond?: number } = {}): StripeAdapter {
  const { host, port, protocol } = server.clientConfig();
  return new StripeAdapter({
    apiKey: 'sk_test_local',
    host,
    port,
    protocol,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    budgets: async () => ({ read: 100, write: options.writesPerSecond ?? 25 }),
    // Two quick retries of a 429 inside the call (production: RATE_LIMITED_RETRY, about 24 s).
    rateLimitedRetry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 },
    timeoutMs: 5000,
    now: () => new Date(READ_AT),
  });
}

beforeAll(async () => {
  server = await startLocalStripe({ now: () => NOW });
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
  server.seed(adapterSeed());
});

const stamp = { source: 'stripe', asOf: READ_AT } as const;

describe('readAccount maps Stripe into the AccountView shapes', () => {
  it('maps every field of a full customer in five requests', async () => {
    const parts = await adapter().readAccount('cus_full');

    expect(parts.customer).toEqual({
      ...stamp,
      data: {
        id: 'cus_full',
        deleted: false,
        currency: 'usd',
        defaultPaymentMethodId: 'pm_full_current',
        metadata: { cf_account_id: 'acct_full', bad_debt: 'true' },
      },
    });
    // status 'all', newest first: the canceled one is mapped too (the planner ignores non-live ones itself).
    expect(parts.subscriptions).toEqual({
      ...stamp,
      data: [
        {
          id: 'sub_full_ending',
          customerId: 'cus_full',
          status: 'active',
          currency: 'usd',
          cancelAtPeriodEnd: true,
          metadata: { ope_subscription_id: 'ope_sub_2', contract: 'true' },
          items: [
            {
              id: 'si_full_biz',
              price: {
                id: 'price_biz_y',
                productId: 'prod_biz',
                unitAmountMinor: 240000,
                currency: 'usd',
                interval: 'year',
              },
              quantity: 2,
              metadata: {},
            },
          ],
        },
        {
          id: 'sub_full_live',
          customerId: 'cus_full',
          status: 'active',
          currency: 'usd',
          cancelAtPeriodEnd: false,
          metadata: { ope_subscription_id: 'ope_sub_1' },
          items: [
            {
              id: 'si_full_pro',
              price: {
                id: 'price_pro_m',
                productId: 'prod_pro',
                unitAmountMinor: 2000,
                currency: 'usd',
                interval: 'month',
              },
              quantity: 1,
              metadata: { ope_item_id: 'ope_item_1' },
            },
            {
              id: 'si_full_addon',
              price: {
                id: 'price_addon_m',
                productId: 'prod_addon',
                unitAmountMinor: 500,
                currency: 'usd',
                interval: 'month',
              },
              quantity: 3,
              metadata: { ope_item_id: 'ope_item_2' },
            },
          ],
        },
        {
          id: 'sub_full_canceled',
          customerId: 'cus_full',
          status: 'canceled',
          currency: 'usd',
          cancelAtPeriodEnd: false,
          metadata: {},
          items: [
            {
              id: 'si_full_old',
              price: {
                id: 'price_pro_m',
                productId: 'prod_pro',
                unitAmountMinor: 2000,
                currency: 'usd',
                interval: 'month',
              },
              quantity: 1,
              metadata: {},
            },
          ],
        },
      ],
    });
    // The next invoice renews sub_full_live (the cancel-at-period-end one will not renew).
    expect(parts.invoices.data.next).toEqual({
      nextInvoiceAt: new Date(PERIOD_END * 1000).toISOString(),
      amountDueMinor: 2000 + 3 * 500,
      currency: 'usd',
    });
    const recent = parts.invoices.data.recent;
    expect(recent).toHaveLength(10);
    expect(recent.slice(0, 4)).toEqual([
      {
        id: 'in_full_manual',
        status: 'paid',
        subscriptionId: null,
        subscriptionItemIds: [],
        metadata: { cf_account_id: 'acct_other' },
      },
      {
        id: 'in_full_void',
        status: 'void',
        subscriptionId: 'sub_full_live',
        subscriptionItemIds: ['si_full_pro'],
        metadata: {},
      },
      {
        id: 'in_full_uncollectible',
        status: 'uncollectible',
        subscriptionId: 'sub_full_live',
        subscriptionItemIds: ['si_full_pro', 'si_full_addon'],
        metadata: { cf_account_id: 'acct_full' },
      },
      {
        id: 'in_full_paid_00',
        status: 'paid',
        subscriptionId: 'sub_full_live',
        subscriptionItemIds: ['si_full_pro'],
        metadata: {},
      },
    ]);
    expect(parts.invoices).toMatchObject(stamp);
    expect(parts.paymentMethods).toEqual({
      ...stamp,
      data: expect.arrayContaining([
        { id: 'pm_full_current', type: 'card', cardExpMonth: 12, cardExpYear: 2030 },
        { id: 'pm_full_expired', type: 'card', cardExpMonth: 1, cardExpYear: 2024 },
      ]),
    });
    expect(parts.paymentMethods.data).toHaveLength(2);

    // customer, subscriptions, invoices, payment methods, preview: the server saw five requests.
    expect(
      server
        .requests()
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual([
      'GET /v1/customers/cus_full',
      'GET /v1/customers/cus_full/payment_methods',
      'GET /v1/invoices',
      'GET /v1/subscriptions',
      'POST /v1/invoices/create_preview',
    ]);
    // A read is never a write.
    expect(server.writes()).toEqual([]);
  });

  it.each([
    {
      name: 'missing customer: null customer, one call',
      customerId: 'cus_missing',
      customer: null,
      calls: 1,
    },
    {
      name: 'customer without subscriptions: no preview call, next invoice null',
      customerId: 'cus_bare',
      customer: {
        id: 'cus_bare',
        deleted: false,
        currency: 'usd',
        defaultPaymentMethodId: null,
        metadata: {},
      },
      calls: 4,
    },
  ])('$name', async ({ customerId, customer, calls }) => {
    expect(await adapter().readAccount(customerId)).toEqual({
      customer: { ...stamp, data: customer },
      subscriptions: { ...stamp, data: [] },
      invoices: { ...stamp, data: { next: null, recent: [] } },
      paymentMethods: { ...stamp, data: [] },
    });
    expect(server.requests()).toHaveLength(calls);
  });

  it('a customer whose only subscription ends at period end has no next invoice (no preview call)', async () => {
    server.seed({
      customers: [{ id: 'cus_ending' }],
      subscriptions: [
        {
          id: 'sub_ending',
          customer: 'cus_ending',
          cancel_at_period_end: true,
          items: [{ price: 'price_pro_m' }],
        },
      ],
    });
    const parts = await adapter().readAccount('cus_ending');
    expect(parts.invoices.data.next).toBeNull();
    expect(server.requests().map((r) => `${r.method} ${r.path}`)).not.toContain(
      'POST /v1/invoices/create_preview',
    );
    expect(server.requests()).toHaveLength(4);
  });

  it.each([
    ['cus_weekly', 'price_pro_weekly', /price_pro_weekly bills every 1 week/],
    ['cus_quarterly', 'price_pro_quarterly', /price_pro_quarterly bills every 3 month/],
  ])('refuses a price the product cannot bill (%s)', async (customerId, priceId, message) => {
    const err = await adapter()
      .readAccount(customerId)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeMappingError);
    expect((err as StripeMappingError).objectId).toBe(priceId);
    expect((err as Error).message).toMatch(message);
  });

  it('maps a deleted customer (Stripe answers 200 with deleted: true)', () => {
    // The local Stripe server cannot delete customers, so this maps the SDK's own DeletedCustomer shape.
    const deleted: Stripe.DeletedCustomer = { id: 'cus_gone', object: 'customer', deleted: true };
    expect(mapCustomer(deleted)).toEqual({
      id: 'cus_gone',
      deleted: true,
      currency: null,
      defaultPaymentMethodId: null,
      metadata: {},
    });
  });

  it('turns a failed read into a StripeCallError with the failure', async () => {
    server.injectFault({ kind: 'api_error', path: '^/v1/invoices$' });
    const err = await adapter({ maxNetworkRetries: 0 })
      .readAccount('cus_full')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeCallError);
    expect(err).toMatchObject({
      failure: { httpStatus: 500, type: 'api_error', code: null },
      retryable: true,
      subject: 'cus_full',
    });
  });
});

describe('readLive and write', () => {
  const sub = { object: 'subscription', id: 'sub_full_live' } as const;

  it('reads a subscription before and after an update stamped with the change id', async () => {
    const stripe = adapter();
    const before = await stripe.readLive(sub);
    expect(before).toMatchObject({
      status: 'active',
      cancel_at_period_end: false,
      items: [
        { id: 'si_full_addon', price: 'price_addon_m', quantity: 3 },
        { id: 'si_full_pro', price: 'price_pro_m', quantity: 1 },
      ],
      'metadata.ope_subscription_id': 'ope_sub_1',
      [LIVE_CHANGE_ID_FIELD]: null,
    });

    const change = changeFor('subscription_update', sub, 'subscriptions.update', {});
    const result = await stripe.write(
      change,
      {
        items: [{ id: 'si_full_addon', quantity: 5 }],
        cancel_at_period_end: true,
        proration_behavior: 'none',
        metadata: { driftcontrol_change_id: change.id, driftcontrol_run_id: 'run_1' },
      },
      'driftcontrol-key-update',
    );
    const [write] = server.writes();
    expect(result.requestId).toBe(write?.requestId);
    expect(write).toMatchObject({
      method: 'POST',
      path: '/v1/subscriptions/sub_full_live',
      idempotencyKey: 'driftcontrol-key-update',
    });

    expect(await stripe.readLive(sub)).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      items: [
        { id: 'si_full_addon', price: 'price_addon_m', quantity: 5 },
        { id: 'si_full_pro', price: 'price_pro_m', quantity: 1 },
      ],
      [LIVE_CHANGE_ID_FIELD]: change.id,
    });
  });

  it('cancels with the idempotency key on the DELETE (the SDK would send none)', async () => {
    const stripe = adapter();
    const change = changeFor('subscription_cancel', sub, 'subscriptions.cancel', {});
    await stripe.write(
      change,
      {
        prorate: false,
        invoice_now: false,
        cancellation_details: { comment: `driftcontrol run run_1 change ${change.id}` },
      },
      'driftcontrol-key-cancel',
    );
    expect(server.writes()).toMatchObject([{ method: 'DELETE', idempotencyKey: 'driftcontrol-key-cancel' }]);
    expect(await stripe.readLive(sub)).toMatchObject({ status: 'canceled' });
  });

  it('reads and writes the customer bad-debt flag and invoice metadata', async () => {
    const stripe = adapter();
    const customer = { object: 'customer', id: 'cus_full' } as const;
    const invoice = { object: 'invoice', id: 'in_full_manual' } as const;
    expect(await stripe.readLive(customer)).toMatchObject({ 'metadata.bad_debt': 'true', deleted: false });
    expect(await stripe.readLive({ object: 'customer', id: 'cus_bare' })).toMatchObject({
      'metadata.bad_debt': null,
    });
    expect(await stripe.readLive(invoice)).toMatchObject({
      status: 'paid',
      'metadata.cf_account_id': 'acct_other',
      [LIVE_CHANGE_ID_FIELD]: null,
    });

    const c1 = changeFor('customer_update', customer, 'customers.update', {}, 'chg_aaaaaaaaaaaaaaaaaaaa');
    await stripe.write(c1, { metadata: { bad_debt: 'false', driftcontrol_change_id: c1.id } }, 'k-customer');
    const c2 = changeFor('invoice_update', invoice, 'invoices.update', {}, 'chg_bbbbbbbbbbbbbbbbbbbb');
    await stripe.write(
      c2,
      { metadata: { cf_account_id: 'acct_full', driftcontrol_change_id: c2.id } },
      'k-invoice',
    );

    expect(await stripe.readLive(customer)).toMatchObject({
      'metadata.bad_debt': 'false',
      [LIVE_CHANGE_ID_FIELD]: c1.id,
    });
    expect(await stripe.readLive(invoice)).toMatchObject({
      status: 'paid',
      'metadata.cf_account_id': 'acct_full',
      [LIVE_CHANGE_ID_FIELD]: c2.id,
    });
  });

  it('reads a target that no longer exists as exists: false (a stale plan, not an error)', async () => {
    expect(await adapter().readLive({ object: 'invoice', id: 'in_gone' })).toEqual({
      exists: false,
      [LIVE_CHANGE_ID_FIELD]: null,
    });
  });

  it('sends the same idempotency key twice: one write, the second is a replay', async () => {
    const stripe = adapter();
    const change = changeFor('subscription_update', sub, 'subscriptions.update', {});
    const params = { items: [{ id: 'si_full_pro', quantity: 2 }], proration_behavior: 'none' };
    const first = await stripe.write(change, params, 'driftcontrol-same-key');
    const second = await stripe.write(change, params, 'driftcontrol-same-key');
    expect(server.writes({ objectId: 'sub_full_live' })).toHaveLength(1);
    const sent = server.requests({ idempotencyKey: 'driftcontrol-same-key' });
    expect(sent.map((r) => r.replayed)).toEqual([false, true]);
    expect(first.requestId).toBe(sent[0]?.requestId);
    expect(second.requestId).not.toBeNull();
  });

  it.each(['', '   '])('refuses to write without an idempotency key (%j)', async (key) => {
    const change = changeFor('subscription_update', sub, 'subscriptions.update', {});
    await expect(adapter().write(change, { metadata: { a: 'b' } }, key)).rejects.toThrow(/idempotency key/);
    expect(server.requests()).toEqual([]);
  });

  it('refuses a change whose method does not fit its target', async () => {
    const change = changeFor('customer_update', sub, 'customers.update', {});
    await expect(adapter().write(change, {}, 'k')).rejects.toThrow(
      /customers.update cannot target a subscription/,
    );
    expect(server.requests()).toEqual([]);
  });
});

describe('write failures: the SDK retries within limits, then a StripeCallError says whether to redeliver', () => {
  const target = { object: 'subscription', id: 'sub_full_live' } as const;
  const path = '^/v1/subscriptions/sub_full_live$';
  const cases: Array<{
    name: string;
    fault: FaultRule | null;
    attempts: number;
    failure: { httpStatus: number | null; type: string | null; code: string | null } | null;
    retryable: boolean | null;
  }> = [
    {
      // Each of the SDK's 3 tries is itself tried 3 times by the budgeted HTTP client.
      name: '429 with Stripe-Should-Retry: retried in the call and by the SDK, then retryable',
      fault: { kind: 'rate_limit', path, shouldRetry: true },
      attempts: 9,
      failure: { httpStatus: 429, type: 'invalid_request_error', code: 'rate_limit' },
      retryable: true,
    },
    {
      name: '429 without the header: retried in the call (not by the SDK), then retryable',
      fault: { kind: 'rate_limit', path },
      attempts: 3,
      failure: { httpStatus: 429, type: 'invalid_request_error', code: 'rate_limit' },
      retryable: true,
    },
    {
      name: '429 once: the retry in the call succeeds, one write',
      fault: { kind: 'rate_limit', path, times: 1 },
      attempts: 2,
      failure: null,
      retryable: null,
    },
    {
      name: '409 lock_timeout: retried by the SDK, then retryable',
      fault: { kind: 'lock_timeout', path },
      attempts: 3,
      failure: { httpStatus: 409, type: 'invalid_request_error', code: 'lock_timeout' },
      retryable: true,
    },
    {
      name: '500: retried by the SDK, then retryable',
      fault: { kind: 'api_error', path },
      attempts: 3,
      failure: { httpStatus: 500, type: 'api_error', code: null },
      retryable: true,
    },
    {
      name: 'connection reset: retried, then a retryable connection error',
      fault: { kind: 'connection_reset', path },
      attempts: 3,
      failure: { httpStatus: null, type: 'api_connection_error', code: null },
      retryable: true,
    },
    {
      name: '500 once: the SDK retry succeeds, one write',
      fault: { kind: 'api_error', path, times: 1 },
      attempts: 2,
      failure: null,
      retryable: null,
    },
  ];

  it.each(cases)('$name', async ({ fault, attempts, failure, retryable }) => {
    if (fault) server.injectFault(fault);
    const stripe = adapter({ maxNetworkRetries: 2 });
    const change = changeFor('subscription_update', target, 'subscriptions.update', {});
    const outcome = await stripe
      .write(change, { metadata: { driftcontrol_change_id: change.id } }, 'driftcontrol-fault-key')
      .then(
        () => null,
        (e: unknown) => e,
      );
    // One write, sent `attempts` times by the retries, and no other write. (Reads are not counted: an
    // earlier test's parallel reads may still land after it ended.)
    expect(server.requests({ idempotencyKey: 'driftcontrol-fault-key' })).toHaveLength(attempts);
    expect(server.requests({ method: 'POST' })).toHaveLength(attempts);
    if (failure === null) {
      expect(outcome).toBeNull();
      expect(server.writes()).toHaveLength(1);
      return;
    }
    expect(outcome).toBeInstanceOf(StripeCallError);
    expect(outcome).toMatchObject({ failure, retryable, subject: 'sub_full_live' });
    expect(server.writes()).toEqual([]);
  });

  it.each([
    {
      name: '400 invalid request: not retried, not retryable',
      params: { items: [{ id: 'si_not_here', quantity: 2 }] },
      failure: { httpStatus: 400, type: 'invalid_request_error', code: 'parameter_invalid' },
    },
    {
      name: '400 unknown price: not retryable',
      params: { items: [{ id: 'si_full_pro', price: 'price_missing' }] },
      failure: { httpStatus: 400, type: 'invalid_request_error', code: 'resource_missing' },
    },
  ])('$name', async ({ params, failure }) => {
    const stripe = adapter({ maxNetworkRetries: 2 });
    const change = changeFor('subscription_update', target, 'subscriptions.update', {});
    const err = await stripe.write(change, params, 'driftcontrol-bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeCallError);
    expect(err).toMatchObject({ failure, retryable: false });
    expect((err as StripeCallError).requestId).toBe(server.requests()[0]?.requestId);
    expect(server.requests()).toHaveLength(1);
  });

  it('an idempotency key reused with other params is an idempotency_error: not retryable', async () => {
    const stripe = adapter();
    const change = changeFor('subscription_update', target, 'subscriptions.update', {});
    await stripe.write(change, { metadata: { a: '1' } }, 'driftcontrol-reused');
    const err = await stripe
      .write(change, { metadata: { a: '2' } }, 'driftcontrol-reused')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: { httpStatus: 400, type: 'idempotency_error' }, retryable: false });
  });
});

describe('write rate limit', () => {
  it('spaces writes to the configured budget', async () => {
    const stripe = adapter({ writesPerSecond: 4 });
    const customer = { object: 'customer', id: 'cus_full' } as const;
    const change = changeFor('customer_update', customer, 'customers.update', {});
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => stripe.write(change, { metadata: { n: String(i) } }, `rate-${i}`)),
    );
    const times = server.writes().map((w) => w.timestamp);
    expect(times).toHaveLength(5);
    // 4 per second = one every 250 ms: five writes span at least 1 s (less a little arrival jitter);
    // unlimited they would all land within a few tens of ms.
    expect((times[4] as number) - (times[0] as number)).toBeGreaterThanOrEqual(900);
    await stripe.close();
  });
});
