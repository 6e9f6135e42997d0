import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalStripe } from '../../../local/stripe/index.js';
import { eventTypeOf, previousAttributes } from '../../../local/stripe/webhooks.js';
import { fixtureSeed } from './fixtures.js';

/** The local Stripe's webhooks: events as Stripe sends them, signed, retried until a 2xx. */

const SECRET = 'whsec_local_test';

interface Received {
  body: string;
  signature: string;
}

/** An endpoint answering each delivery with the next status of `statuses` (the last one repeats). */
async function endpoint(statuses: number[]) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature']) });
      res.writeHead(statuses[Math.min(received.length - 1, statuses.length - 1)] as number).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(statuses: number[]) {
  const ep = await endpoint(statuses);
  const server = await startLocalStripe({
    seed: fixtureSeed(),
    webhookEndpoints: [{ url: ep.url, secret: SECRET }],
    webhookRetryDelaysMs: [20, 20, 20],
  });
  cleanups.push(async () => {
    await server.stop();
    await new Promise((r) => ep.server.close(r));
  });
  const stripe = new Stripe('sk_test_x', { ...server.clientConfig(), maxNetworkRetries: 0 });
  return { ep, server, stripe };
}

describe('webhooks of the local Stripe', () => {
  it('a write sends a signed event with the object and what changed, verifiable with the SDK', async () => {
    const { ep, server, stripe } = await setup([200]);
    const sub = (await stripe.subscriptions.list({ limit: 1 })).data[0] as Stripe.Subscription;
    await stripe.subscriptions.update(sub.id, { metadata: { note: 'hello' } }, { idempotencyKey: 'k-1' });
    await server.webhooks.settled();
    expect(ep.received).toHaveLength(1);
    const { body, signature } = ep.received[0] as Received;
    const event = stripe.webhooks.constructEvent(body, signature, SECRET);
    expect(event).toMatchObject({
      object: 'event',
      type: 'customer.subscription.updated',
      request: { idempotency_key: 'k-1' },
      data: { object: { id: sub.id, metadata: { note: 'hello' } } },
    });
    expect(Object.keys((event.data as { previous_attributes: object }).previous_attributes)).toEqual([
      'metadata',
    ]);
    expect(() => stripe.webhooks.constructEvent(body, signature, 'whsec_other')).toThrow();
  });

  it('a delivery not answered with a 2xx is retried until it is', async () => {
    const { ep, server, stripe } = await setup([500, 503, 200]);
    const sub = (await stripe.subscriptions.list({ limit: 1 })).data[0] as Stripe.Subscription;
    await stripe.subscriptions.update(sub.id, { metadata: { note: 'again' } });
    await server.webhooks.settled();
    expect(ep.received).toHaveLength(3);
    expect(new Set(ep.received.map((r) => JSON.parse(r.body).id)).size).toBe(1);
    expect(server.webhooks.deliveries()[0]).toMatchObject({ attempts: 3, lastStatus: 200, delivered: true });
  });

  it('a write that changes nothing, a read and a refused write send no event', async () => {
    const { ep, server, stripe } = await setup([200]);
    const sub = (await stripe.subscriptions.list({ limit: 1 })).data[0] as Stripe.Subscription;
    await stripe.subscriptions.update(sub.id, { metadata: sub.metadata });
    await stripe.subscriptions.retrieve(sub.id);
    await expect(
      stripe.subscriptions.update(sub.id, { items: [{ id: 'si_missing', quantity: 2 }] }),
    ).rejects.toThrow();
    await server.webhooks.settled();
    expect(ep.received).toHaveLength(0);
  });
});

describe('eventTypeOf', () => {
  it.each([
    ['customer', 'POST', {}, 'customer.updated'],
    ['subscription', 'POST', { status: 'active' }, 'customer.subscription.updated'],
    ['subscription', 'DELETE', { status: 'canceled' }, 'customer.subscription.deleted'],
    ['subscription', 'POST', { status: 'canceled' }, 'customer.subscription.deleted'],
    ['invoice', 'POST', {}, 'invoice.updated'],
    ['payment_method', 'POST', {}, 'payment_method.updated'],
    ['price', 'POST', {}, null],
  ])('%s %s %j -> %s', (object, method, after, type) => {
    expect(eventTypeOf(object, method, after)).toBe(type);
  });
});

describe('previousAttributes', () => {
  it('names the top-level fields that changed, with their value before', () => {
    expect(previousAttributes({ a: 1, b: { c: 2 }, d: 3 }, { a: 1, b: { c: 3 }, d: 3, e: 4 })).toEqual({
      b: { c: 2 },
      e: null,
    });
  });
});
