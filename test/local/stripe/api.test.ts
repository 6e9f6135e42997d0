import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripeServer, startLocalStripe } from '../../../local/stripe/index.js';
import { client, fixtureSeed, NOW, PERIOD_END, PERIOD_START } from './fixtures.js';

let server: LocalStripeServer;
let stripe: Stripe;

beforeAll(async () => {
  server = await startLocalStripe({ now: () => NOW });
  stripe = client(server);
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
  server.seed(fixtureSeed());
});

async function stripeError(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError) return err;
    throw err;
  }
  throw new Error('expected the Stripe call to fail');
}

describe('reads with the real SDK', () => {
  it('retrieves a customer in Stripe shape and expands its default payment method', async () => {
    const plain = (await stripe.customers.retrieve('cus_alpha')) as Stripe.Customer;
    expect(plain).toMatchObject({
      id: 'cus_alpha',
      object: 'customer',
      metadata: { account_id: 'acct_alpha' },
      invoice_settings: { default_payment_method: 'pm_alpha' },
      livemode: false,
    });
    const expanded = (await stripe.customers.retrieve('cus_alpha', {
      expand: ['invoice_settings.default_payment_method'],
    })) as Stripe.Customer;
    const pm = expanded.invoice_settings.default_payment_method as Stripe.PaymentMethod;
    expect(pm).toMatchObject({
      id: 'pm_alpha',
      object: 'payment_method',
      type: 'card',
      customer: 'cus_alpha',
    });
    expect(pm.card?.last4).toBe('4242');
  });

  it("includes a customer's live subscriptions (with expanded prices) when asked: one call for gather", async () => {
    const c = (await stripe.customers.retrieve('cus_alpha', {
      expand: [
        'subscriptions',
        'subscriptions.data.items.data.price.product',
        'invoice_settings.default_payment_method',
      ],
    })) as Stripe.Customer;
    expect(c.subscriptions?.data.map((s) => s.id)).toEqual(['sub_alpha']);
    expect(c.subscriptions?.data[0]?.items.data[0]?.price.product).toMatchObject({
      object: 'product',
      name: 'Pro',
    });
    expect(c.invoice_settings.default_payment_method).toMatchObject({ id: 'pm_alpha' });
    // Not included unless asked, like Stripe.
    expect((await stripe.customers.retrieve('cus_alpha')) as Stripe.Customer).not.toHaveProperty(
      'subscriptions',
    );
  });

  it('lists payment methods by customer both ways and retrieves one', async () => {
    const viaCustomer = await stripe.customers.listPaymentMethods('cus_alpha');
    const viaList = await stripe.paymentMethods.list({ customer: 'cus_alpha', type: 'card' });
    expect(viaCustomer.data.map((p) => p.id).sort()).toEqual(['pm_alpha', 'pm_alpha2']);
    expect(viaList.data.map((p) => p.id).sort()).toEqual(['pm_alpha', 'pm_alpha2']);
    expect((await stripe.customers.listPaymentMethods('cus_beta')).data).toEqual([]);
    expect((await stripe.paymentMethods.retrieve('pm_alpha2')).card?.brand).toBe('mastercard');
  });

  it('retrieves and lists products and prices', async () => {
    expect((await stripe.products.retrieve('prod_biz')).name).toBe('Business');
    const price = await stripe.prices.retrieve('price_pro_yearly');
    expect(price).toMatchObject({
      unit_amount: 20000,
      type: 'recurring',
      recurring: { interval: 'year', interval_count: 1 },
    });
    const ofPro = await stripe.prices.list({ product: 'prod_pro' });
    expect(ofPro.data.map((p) => p.id).sort()).toEqual(['price_pro', 'price_pro_yearly', 'price_setup']);
    expect(
      (await stripe.prices.list({ product: 'prod_pro', type: 'one_time' })).data.map((p) => p.id),
    ).toEqual(['price_setup']);
  });

  it('lists subscriptions by customer and status, with expanded prices and item periods', async () => {
    const active = await stripe.subscriptions.list({
      customer: 'cus_alpha',
      status: 'active',
      expand: ['data.items.data.price.product'],
    });
    expect(active.data.map((s) => s.id)).toEqual(['sub_alpha']);
    const [sub] = active.data;
    expect(
      sub?.items.data.map((i) => [
        i.id,
        i.price.id,
        i.quantity,
        i.current_period_start,
        i.current_period_end,
      ]),
    ).toEqual([
      ['si_alpha_pro', 'price_pro', 1, PERIOD_START, PERIOD_END],
      ['si_alpha_addon', 'price_addon', 3, PERIOD_START, PERIOD_END],
    ]);
    expect(sub?.items.data[0]?.price.product).toMatchObject({ object: 'product', name: 'Pro' });
    expect(sub?.latest_invoice).toBe('in_alpha_4');

    const byDefault = await stripe.subscriptions.list({ customer: 'cus_alpha' });
    expect(byDefault.data.map((s) => s.id)).toEqual(['sub_alpha']);
    const all = await stripe.subscriptions.list({ customer: 'cus_alpha', status: 'all' });
    expect(all.data.map((s) => s.id)).toEqual(['sub_alpha', 'sub_alpha_old']);
    const items = await stripe.subscriptionItems.list({ subscription: 'sub_alpha' });
    expect(items.data.map((i) => i.id).sort()).toEqual(['si_alpha_addon', 'si_alpha_pro']);
  });

  it('refuses to expand what is not expandable', async () => {
    const err = await stripeError(stripe.subscriptions.retrieve('sub_alpha', { expand: ['status'] }));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('cannot be expanded');
  });

  it('paginates newest first with limit, starting_after, has_more and url', async () => {
    const first = await stripe.invoices.list({ customer: 'cus_alpha', limit: 2 });
    expect(first.data.map((i) => i.id)).toEqual(['in_alpha_4', 'in_alpha_3']);
    expect(first.has_more).toBe(true);
    expect(first.url).toBe('/v1/invoices');
    const next = await stripe.invoices.list({
      customer: 'cus_alpha',
      limit: 2,
      starting_after: 'in_alpha_3',
    });
    expect(next.data.map((i) => i.id)).toEqual(['in_alpha_2', 'in_alpha_1']);
    const last = await stripe.invoices.list({
      customer: 'cus_alpha',
      limit: 2,
      starting_after: 'in_alpha_1',
    });
    expect(last.data.map((i) => i.id)).toEqual(['in_alpha_0']);
    expect(last.has_more).toBe(false);
    const all = await stripe.invoices
      .list({ customer: 'cus_alpha', limit: 2 })
      .autoPagingToArray({ limit: 100 });
    expect(all.map((i) => i.id)).toEqual([
      'in_alpha_4',
      'in_alpha_3',
      'in_alpha_2',
      'in_alpha_1',
      'in_alpha_0',
    ]);
    expect(server.requests({ method: 'GET', path: '^/v1/invoices$' }).length).toBe(3 + 3);
    const bySub = await stripe.invoices.list({ subscription: 'sub_alpha', status: 'open' });
    expect(bySub.data.map((i) => i.id)).toEqual(['in_alpha_4']);
    const bad = await stripeError(stripe.invoices.list({ limit: 101 }));
    expect(bad.statusCode).toBe(400);
    expect(bad.param).toBe('limit');
  });

  it('previews the next invoice: dated at period end, billing current prices and quantities', async () => {
    const preview = await stripe.invoices.createPreview({ customer: 'cus_alpha', subscription: 'sub_alpha' });
    expect(preview.created).toBe(PERIOD_END);
    expect(preview.amount_due).toBe(2000 + 3 * 500);
    expect(preview.lines.data.map((l) => [l.amount, l.period.start])).toEqual([
      [2000, PERIOD_END],
      [1500, PERIOD_END],
    ]);
    expect(preview.parent?.subscription_details?.subscription).toBe('sub_alpha');
    // A preview computes; it is not a write.
    expect(server.writes()).toEqual([]);
  });

  it('answers 404 resource_missing in Stripe envelope for unknown objects', async () => {
    const cases = [
      () => stripe.customers.retrieve('cus_missing'),
      () => stripe.subscriptions.retrieve('sub_missing'),
      () => stripe.prices.retrieve('price_missing'),
      () => stripe.invoices.retrieve('in_missing'),
      () => stripe.paymentMethods.retrieve('pm_missing'),
    ];
    for (const call of cases) {
      const err = await stripeError(call());
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err.statusCode).toBe(404);
      expect(err.code).toBe('resource_missing');
      expect(err.message).toMatch(/^No such /);
    }
  });
});

describe('a reference to an unknown object in the parameters', () => {
  // Stripe answers 400 (not 404: the URL names an object that exists) and names the parameter.
  it.each<[string, Stripe.SubscriptionUpdateParams, string]>([
    ['a new item', { items: [{ price: 'price_x' }] }, 'items[0][price]'],
    ['an item whose price changes', { items: [{ id: 'si_alpha_pro', price: 'price_x' }] }, 'items[0][price]'],
    [
      'the second item',
      { items: [{ id: 'si_alpha_pro', quantity: 2 }, { price: 'price_x' }] },
      'items[1][price]',
    ],
  ])('is 400 resource_missing for %s', async (_name, params, param) => {
    const err = await stripeError(stripe.subscriptions.update('sub_alpha', params));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      param,
      message: "No such price: 'price_x'",
    });
    expect(server.writes()).toEqual([]);
  });
});

describe('writes', () => {
  it('updates items (price, quantity, add, delete), metadata and proration in one request', async () => {
    const updated = await stripe.subscriptions.update(
      'sub_alpha',
      {
        items: [
          { id: 'si_alpha_pro', price: 'price_biz' },
          { id: 'si_alpha_addon', deleted: true },
          { price: 'price_addon', quantity: 5, metadata: { ope_item_id: 'ope_3' } },
        ],
        metadata: { heal_run: 'run_1', account_id: '' },
        proration_behavior: 'none',
      },
      { idempotencyKey: 'heal-1' },
    );
    expect(updated.items.data.map((i) => [i.id, i.price.id, i.quantity, i.metadata])).toEqual([
      ['si_alpha_pro', 'price_biz', 1, { ope_item_id: 'ope_1' }],
      [expect.stringMatching(/^si_/), 'price_addon', 5, { ope_item_id: 'ope_3' }],
    ]);
    expect(updated.metadata).toEqual({ heal_run: 'run_1' });
    const writes = server.writes({ objectId: 'sub_alpha' });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ method: 'POST', idempotencyKey: 'heal-1', status: 200 });
    expect(writes[0]?.params.proration_behavior).toBe('none');
    // The new state is what later reads see.
    const again = await stripe.subscriptions.retrieve('sub_alpha');
    expect(again.items.data.map((i) => i.price.id)).toEqual(['price_biz', 'price_addon']);
  });

  it('cancel_at_period_end stops the upcoming invoice; DELETE cancels once', async () => {
    const sub = await stripe.subscriptions.update('sub_alpha', { cancel_at_period_end: true });
    expect(sub.cancel_at_period_end).toBe(true);
    expect(sub.cancel_at).toBe(PERIOD_END);
    const none = await stripeError(
      stripe.invoices.createPreview({ customer: 'cus_alpha', subscription: 'sub_alpha' }),
    );
    expect(none.statusCode).toBe(404);
    expect(none.code).toBe('invoice_upcoming_none');

    const canceled = await stripe.subscriptions.cancel('sub_beta');
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: NOW, ended_at: NOW });
    // Like Stripe: a canceled subscription cannot be canceled again ("No such subscription").
    const twice = await stripeError(stripe.subscriptions.cancel('sub_beta'));
    expect(twice.statusCode).toBe(404);
    expect(twice.code).toBe('resource_missing');
    const onlyMetadata = await stripeError(
      stripe.subscriptions.update('sub_beta', { cancel_at_period_end: false }),
    );
    expect(onlyMetadata.statusCode).toBe(400);
    expect(onlyMetadata.message).toBe(
      'A canceled subscription can only update its cancellation_details and metadata.',
    );
    expect((await stripe.subscriptions.update('sub_beta', { metadata: { note: 'x' } })).metadata).toEqual({
      note: 'x',
    });
  });

  it('sets a customer default payment method only to one attached to that customer', async () => {
    const c = await stripe.customers.update('cus_alpha', {
      invoice_settings: { default_payment_method: 'pm_alpha2' },
      metadata: { heal_run: 'run_2' },
    });
    expect(c.invoice_settings.default_payment_method).toBe('pm_alpha2');
    expect(c.metadata).toEqual({ account_id: 'acct_alpha', heal_run: 'run_2' });
    const err = await stripeError(
      stripe.customers.update('cus_beta', { invoice_settings: { default_payment_method: 'pm_alpha' } }),
    );
    expect(err.statusCode).toBe(400);
    expect(err.param).toBe('invoice_settings[default_payment_method]');
  });

  it('updates invoice metadata', async () => {
    const inv = await stripe.invoices.update('in_alpha_4', { metadata: { heal_change: 'chg_1' } });
    expect(inv.metadata).toEqual({ heal_change: 'chg_1' });
    expect((await stripe.invoices.retrieve('in_alpha_4')).metadata).toEqual({ heal_change: 'chg_1' });
  });

  // Every rejected write must leave no trace: not the valid parts of the request, not an id.
  it.each<[string, Stripe.SubscriptionUpdateParams, number, string | undefined]>([
    [
      'unknown price after a valid change',
      { items: [{ id: 'si_alpha_pro', price: 'price_biz' }, { price: 'price_nope' }] },
      400,
      'items[1][price]',
    ],
    [
      'one-time price',
      { items: [{ id: 'si_alpha_pro', quantity: 9 }, { price: 'price_setup' }] },
      400,
      'items[1][price]',
    ],
    ['the same price twice', { items: [{ price: 'price_pro' }], metadata: { a: 'b' } }, 400, 'items'],
    ['an item of another subscription', { items: [{ id: 'si_beta_0', quantity: 2 }] }, 400, 'items[0][id]'],
    ['mixed intervals', { items: [{ id: 'si_alpha_pro', price: 'price_pro_yearly' }] }, 400, 'items'],
    [
      'deleting every item',
      {
        items: [
          { id: 'si_alpha_pro', deleted: true },
          { id: 'si_alpha_addon', deleted: true },
        ],
      },
      400,
      'items',
    ],
    [
      'an unknown parameter',
      { metadata: { a: 'b' }, bogus: 'x' } as Stripe.SubscriptionUpdateParams,
      400,
      'bogus',
    ],
    ['a negative quantity', { items: [{ id: 'si_alpha_pro', quantity: -1 }] }, 400, 'items[0][quantity]'],
  ])('rejects %s atomically', async (_name, params, status, param) => {
    const before = server.snapshot();
    const err = await stripeError(stripe.subscriptions.update('sub_alpha', params));
    expect(err.statusCode).toBe(status);
    expect(err.param).toBe(param);
    expect(server.snapshot()).toEqual(before);
    expect(server.writes()).toEqual([]);
    // No id was burnt: the next created item gets the first local id.
    const ok = await stripe.subscriptions.update('sub_alpha', { items: [{ price: 'price_biz' }] });
    expect(ok.items.data.at(-1)?.id).toBe('si_local00000001');
  });
});

describe('a seeded subscription Stripe could not hold (mixed intervals)', () => {
  beforeEach(() => {
    server.seed({
      subscriptions: [
        {
          id: 'sub_mixed',
          customer: 'cus_beta',
          items: [
            { id: 'si_mixed_m', price: 'price_pro' },
            { id: 'si_mixed_y', price: 'price_biz_y' },
          ],
        },
      ],
      prices: [
        { id: 'price_biz_y', product: 'prod_biz', unit_amount: 200000, recurring: { interval: 'year' } },
      ],
    });
  });

  it('accepts updates that set no price (quantity, metadata)', async () => {
    const sub = await stripe.subscriptions.update('sub_mixed', {
      items: [{ id: 'si_mixed_m', quantity: 4 }],
      metadata: { touched: 'yes' },
    });
    expect(sub.items.data.map((i) => [i.id, i.quantity])).toEqual([
      ['si_mixed_m', 4],
      ['si_mixed_y', 1],
    ]);
  });

  it('refuses a price change that leaves it inconsistent, accepts one that heals it', async () => {
    const still = await stripeError(
      stripe.subscriptions.update('sub_mixed', { items: [{ id: 'si_mixed_m', price: 'price_addon' }] }),
    );
    expect(still.statusCode).toBe(400);
    const healed = await stripe.subscriptions.update('sub_mixed', {
      items: [{ id: 'si_mixed_y', price: 'price_biz' }],
    });
    expect(healed.items.data.map((i) => i.price.recurring?.interval)).toEqual(['month', 'month']);
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and params, with one write', async () => {
    const params = { metadata: { heal_run: 'run_3' } };
    const first = await stripe.subscriptions.update('sub_alpha', params, {
      idempotencyKey: 'acct_alpha:plan_x:chg_1',
    });
    const second = await stripe.subscriptions.update('sub_alpha', params, {
      idempotencyKey: 'acct_alpha:plan_x:chg_1',
    });
    expect(second).toEqual(first);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(server.writes({ objectId: 'sub_alpha' })).toHaveLength(1);
    expect(server.requests({ objectId: 'sub_alpha' }).map((r) => r.replayed)).toEqual([false, true]);
  });

  it('answers 400 idempotency_error for the same key with other params', async () => {
    await stripe.subscriptions.update(
      'sub_alpha',
      { metadata: { v: '1' } },
      { idempotencyKey: 'k-conflict' },
    );
    const err = await stripeError(
      stripe.subscriptions.update('sub_alpha', { metadata: { v: '2' } }, { idempotencyKey: 'k-conflict' }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.statusCode).toBe(400);
    expect(err.type).toBe('StripeIdempotencyError');
    expect((await stripe.subscriptions.retrieve('sub_alpha')).metadata.v).toBe('1');
  });

  // Stripe: "results are only saved if an API endpoint started executing"; parameters refused on their
  // shape leave the key free, so the corrected request runs under the same key.
  it.each<[string, Stripe.SubscriptionUpdateParams]>([
    ['an unknown parameter', { metadata: { v: '1' }, bogus: 'x' } as Stripe.SubscriptionUpdateParams],
    ['a negative quantity', { items: [{ id: 'si_alpha_pro', quantity: -1 }] }],
    ['a new item without a price', { items: [{ quantity: 2 }] }],
    ['a deleted item without its id', { items: [{ deleted: true }] }],
  ])(
    'saves nothing for a request refused for %s: the corrected retry with the same key runs',
    async (_name, bad) => {
      const key = `k-fix-${_name}`;
      const refused = await stripeError(
        stripe.subscriptions.update('sub_alpha', bad, { idempotencyKey: key }),
      );
      expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(refused.statusCode).toBe(400);
      const ok = await stripe.subscriptions.update(
        'sub_alpha',
        { metadata: { v: 'fixed' } },
        { idempotencyKey: key },
      );
      expect(ok.metadata.v).toBe('fixed');
      expect(ok.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      expect(server.requests({ idempotencyKey: key }).map((r) => [r.status, r.replayed])).toEqual([
        [400, false],
        [200, false],
      ]);
      expect(server.writes({ idempotencyKey: key })).toHaveLength(1);
    },
  );

  it('replays errors too, even after the cause is gone', async () => {
    const params = { items: [{ price: 'price_later' }] };
    const first = await stripeError(
      stripe.subscriptions.update('sub_alpha', params, { idempotencyKey: 'k-err' }),
    );
    expect(first.statusCode).toBe(400);
    server.seed({ prices: [{ id: 'price_later', product: 'prod_addon', unit_amount: 1 }] });
    const replayed = await stripeError(
      stripe.subscriptions.update('sub_alpha', params, { idempotencyKey: 'k-err' }),
    );
    expect(replayed.statusCode).toBe(400);
    // Like Stripe: a replay has its own Request-Id and names the original one.
    expect(replayed.headers?.['original-request']).toBe(first.requestId);
    expect(replayed.headers?.['idempotent-replayed']).toBe('true');
    // A new key executes against the new state.
    const ok = await stripe.subscriptions.update('sub_alpha', params, { idempotencyKey: 'k-err-2' });
    expect(ok.items.data.map((i) => i.price.id)).toContain('price_later');
  });
});

describe('authentication', () => {
  it('requires an sk_test_ key', async () => {
    const none = await fetch(`${server.url}/v1/customers/cus_alpha`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const live = new Stripe('sk_live_fake_nope', { ...server.clientConfig(), maxNetworkRetries: 0 });
    const err = await stripeError(live.customers.retrieve('cus_alpha'));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe('fault injection and what the SDK does with it', () => {
  type Outcome = 'ok' | Stripe.errors.StripeError['type'];
  const cases: Array<{
    name: string;
    fault: Parameters<LocalStripeServer['injectFault']>[0];
    retries: number;
    attempts: number;
    outcome: Outcome;
  }> = [
    {
      name: '429 without Stripe-Should-Retry: not retried',
      fault: { kind: 'rate_limit', path: '' },
      retries: 2,
      attempts: 1,
      outcome: 'StripeRateLimitError',
    },
    {
      name: '429 with Stripe-Should-Retry: true: retried',
      fault: { kind: 'rate_limit', path: '', times: 1, shouldRetry: true },
      retries: 2,
      attempts: 2,
      outcome: 'ok',
    },
    {
      name: '500 once: retried',
      fault: { kind: 'api_error', path: '', times: 1 },
      retries: 2,
      attempts: 2,
      outcome: 'ok',
    },
    {
      name: '500 always: retried up to maxNetworkRetries',
      fault: { kind: 'api_error', path: '' },
      retries: 2,
      attempts: 3,
      outcome: 'StripeAPIError',
    },
    {
      name: '500 with Stripe-Should-Retry: false: not retried',
      fault: { kind: 'api_error', path: '', shouldRetry: false },
      retries: 2,
      attempts: 1,
      outcome: 'StripeAPIError',
    },
    {
      name: '409 lock_timeout twice: retried',
      fault: { kind: 'lock_timeout', path: '', times: 2 },
      retries: 2,
      attempts: 3,
      outcome: 'ok',
    },
    // The SDK maps a 409 to StripeAPIError (only 400/404 become StripeInvalidRequestError).
    {
      name: '409 lock_timeout always: gives up',
      fault: { kind: 'lock_timeout', path: '' },
      retries: 1,
      attempts: 2,
      outcome: 'StripeAPIError',
    },
    {
      name: 'connection reset once: retried even with 0 retries',
      fault: { kind: 'connection_reset', path: '', times: 1 },
      retries: 0,
      attempts: 2,
      outcome: 'ok',
    },
    {
      name: 'connection reset always: connection error',
      fault: { kind: 'connection_reset', path: '' },
      retries: 1,
      attempts: 2,
      outcome: 'StripeConnectionError',
    },
    {
      name: 'a fault that skips the first match',
      fault: { kind: 'api_error', path: '', skip: 1, times: 1 },
      retries: 0,
      attempts: 1,
      outcome: 'ok',
    },
  ];

  it.each(cases)('$name', async ({ fault, retries, attempts, outcome }) => {
    const handle = server.injectFault({ ...fault, method: 'POST', path: '^/v1/subscriptions/sub_alpha$' });
    const sdk = client(server, retries);
    let result: Outcome = 'ok';
    try {
      const sub = await sdk.subscriptions.update(
        'sub_alpha',
        { metadata: { heal_run: 'r' } },
        { idempotencyKey: 'k-fault' },
      );
      expect(sub.metadata.heal_run).toBe('r');
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeError)) throw err;
      result = err.type;
    }
    expect(result).toBe(outcome);
    const seen = server.requests({ objectId: 'sub_alpha' });
    expect(seen).toHaveLength(attempts);
    expect(new Set(seen.map((r) => r.idempotencyKey))).toEqual(new Set(['k-fault']));
    expect(server.writes({ objectId: 'sub_alpha' })).toHaveLength(outcome === 'ok' ? 1 : 0);
    expect(handle.fired()).toBe(seen.filter((r) => r.fault !== null).length);
  });

  it('a fault with `every` hits every n-th matching request after `skip`, also set over HTTP', async () => {
    const created = await fetch(`${server.url}/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'api_error', path: '^/v1/customers/cus_alpha$', skip: 1, every: 3 }),
    });
    expect(created.status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${server.url}/v1/customers/cus_alpha`, {
        headers: { Authorization: 'Bearer sk_test_x' },
      });
      statuses.push(res.status);
    }
    // Request 1 is skipped; of the rest, the 3rd and 6th matches (requests 4 and 7) fail.
    expect(statuses).toEqual([200, 200, 200, 500, 200, 200, 500, 200]);
    expect(server.listFaults()[0]).toMatchObject({ every: 3, fired: 2 });
  });

  it('lock_timeout carries Stripe-Should-Retry: true and the Stripe error envelope', async () => {
    server.injectFault({ kind: 'lock_timeout', path: '^/v1/customers/' });
    const res = await fetch(`${server.url}/v1/customers/cus_alpha`, {
      headers: { Authorization: 'Bearer sk_test_x' },
    });
    expect(res.status).toBe(409);
    expect(res.headers.get('stripe-should-retry')).toBe('true');
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'lock_timeout' },
    });
  });

  it('phase "after": the write applies, the answer is lost, the retry is an idempotent replay', async () => {
    server.injectFault({
      kind: 'api_error',
      method: 'POST',
      path: '^/v1/subscriptions/sub_alpha$',
      times: 1,
      phase: 'after',
    });
    const sdk = client(server, 2);
    const sub = await sdk.subscriptions.update(
      'sub_alpha',
      { metadata: { heal_run: 'r9' } },
      { idempotencyKey: 'k-after' },
    );
    expect(sub.metadata.heal_run).toBe('r9');
    const seen = server.requests({ objectId: 'sub_alpha' });
    expect(seen.map((r) => [r.status, r.applied, r.replayed])).toEqual([
      [500, true, false],
      [200, false, true],
    ]);
    expect(server.writes({ objectId: 'sub_alpha' })).toHaveLength(1);
  });

  it('adds latency to matching requests only', async () => {
    server.injectFault({ kind: 'latency', path: '^/v1/prices/', latencyMs: 300 });
    const t0 = Date.now();
    await stripe.prices.retrieve('price_pro');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await stripe.products.retrieve('prod_pro');
    expect(server.requests().map((r) => [r.path, r.fault])).toEqual([
      ['/v1/prices/price_pro', 'latency'],
      ['/v1/products/prod_pro', null],
    ]);
  });
});

describe('rate limits', () => {
  afterEach(() => server.setRateLimit({}));

  it('answers 429 to writes beyond the per-second limit and lets reads through', async () => {
    server.setRateLimit({ writesPerSecond: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        stripe.customers.update(
          'cus_alpha',
          { metadata: { n: String(i) } },
          { idempotencyKey: `k-rate-${i}` },
        ),
      ),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(server.writes({ objectId: 'cus_alpha' })).toHaveLength(5);
    expect((await stripe.customers.retrieve('cus_alpha')).id).toBe('cus_alpha');
    // A refused key was never executed: after the window it runs.
    await new Promise((r) => setTimeout(r, 1100));
    const failedIndex = results.findIndex((r) => r.status === 'rejected');
    await stripe.customers.update(
      'cus_alpha',
      { metadata: { n: String(failedIndex) } },
      { idempotencyKey: `k-rate-${failedIndex}` },
    );
    expect(server.writes({ objectId: 'cus_alpha' })).toHaveLength(6);
  });
});

describe('admin HTTP surface', () => {
  it('seeds, injects and clears faults, reads the request log, resets', async () => {
    const admin = (path: string, init?: RequestInit) => fetch(`${server.url}/_admin/${path}`, init);
    const seeded = await admin('seed', {
      method: 'POST',
      body: JSON.stringify({ customers: [{ id: 'cus_gamma', metadata: { account_id: 'acct_gamma' } }] }),
    });
    expect(seeded.status).toBe(200);
    expect((await stripe.customers.retrieve('cus_gamma')).id).toBe('cus_gamma');
    const badSeed = await admin('seed', {
      method: 'POST',
      body: JSON.stringify({
        subscriptions: [{ id: 'sub_x', customer: 'cus_none', items: [{ price: 'price_pro' }] }],
      }),
    });
    expect(badSeed.status).toBe(400);
    expect(((await badSeed.json()) as { error: string }).error).toContain('unknown customer cus_none');

    const injected = await admin('faults', {
      method: 'POST',
      body: JSON.stringify({ kind: 'rate_limit', path: '^/v1/customers/cus_gamma$' }),
    });
    const { id } = (await injected.json()) as { id: string };
    expect((await stripeError(stripe.customers.retrieve('cus_gamma'))).statusCode).toBe(429);
    expect(
      ((await (await admin('faults')).json()) as { data: Array<{ id: string; fired: number }> }).data,
    ).toEqual([expect.objectContaining({ id, fired: 1 })]);
    expect((await admin(`faults/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await stripe.customers.retrieve('cus_gamma')).id).toBe('cus_gamma');

    await stripe.customers.update('cus_gamma', { metadata: { x: '1' } }, { idempotencyKey: 'k-admin' });
    const log = (await (await admin('requests?writes=true&objectId=cus_gamma')).json()) as {
      data: Array<Record<string, unknown>>;
    };
    expect(log.data).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/customers/cus_gamma',
        objectId: 'cus_gamma',
        idempotencyKey: 'k-admin',
        status: 200,
      }),
    ]);
    expect(typeof log.data[0]?.timestamp).toBe('number');

    expect((await admin('reset', { method: 'POST' })).status).toBe(200);
    expect((await stripeError(stripe.customers.retrieve('cus_gamma'))).statusCode).toBe(404);
    expect(server.requests()).toHaveLength(1);
  });
});
