import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripeServer, startLocalStripe } from '../../../local/stripe/index.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
import { StripeMappingError } from '../../../shared/adapters/stripe/mapping.js';
import { listAll, MAX_LIST_ENTRIES } from '../../../shared/adapters/stripe/reads.js';
import type { StripeAccountParts } from '../../../shared/ports/index.js';
import { adapterSeed, NOW } from './stripe-seed.js';

/**
 * Reads never plan on part of a list: a list longer than a page is read page after page (the SDK's
 * auto-pagination), and an inline list Stripe cut (`has_more`) is read whole from its own endpoint.
 */

let server: LocalStripeServer;
const READ_AT = new Date('2026-11-01T00:00:05.000Z');

function adapter(config: { host: string; port: number; protocol: 'http' | 'https' }): StripeAdapter {
  return new StripeAdapter({ apiKey: 'sk_test_local', ...config, maxNetworkRetries: 0, now: () => READ_AT });
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

describe('a list longer than a page', () => {
  it('is read page after page, each page after the last id of the one before', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `pm_many_${String(i).padStart(3, '0')}`);
    server.seed({
      customers: [{ id: 'cus_many' }],
      payment_methods: ids.map((id) => ({
        id,
        customer: 'cus_many',
        card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 },
      })),
    });
    const parts = await adapter(server.clientConfig()).readAccount('cus_many');
    expect(parts.paymentMethods.data.map((pm) => pm.id).sort()).toEqual(ids);

    const pages = server.requests({ path: '^/v1/customers/cus_many/payment_methods$' });
    expect(pages.map((r) => r.params)).toEqual([
      { limit: '100' },
      { limit: '100', starting_after: expect.stringMatching(/^pm_many_/) },
    ]);
    // customer, subscriptions, invoices, two pages of payment methods; no subscription, so no preview.
    expect(server.requests()).toHaveLength(5);
  });

  it('is refused, not cut, past the most entries a read takes', async () => {
    const list = (length: number) => () =>
      ({
        autoPagingToArray: async ({ limit }: { limit: number }) =>
          Array.from({ length: Math.min(length, limit) }, (_, i) => i),
      }) as never;
    await expect(
      listAll('customers.listPaymentMethods', 'cus_x', list(MAX_LIST_ENTRIES)),
    ).resolves.toHaveLength(MAX_LIST_ENTRIES);
    const err = await listAll('customers.listPaymentMethods', 'cus_x', list(MAX_LIST_ENTRIES + 5)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StripeMappingError);
    expect(err).toMatchObject({
      objectId: 'cus_x',
      message: expect.stringMatching(/refusing to read it in part/),
    });
  });
});

describe('an inline list Stripe cut (has_more)', () => {
  // The local server inlines every subscription item (and cuts invoice lines only past 10:
  // stripe-invoice-lines.test.ts); this proxy in front of it keeps the first entry of every subscription's
  // items and invoice's lines, as Stripe does past its inline limit, and serves /v1/invoices/:id/lines
  // from the whole invoice.
  let proxy: Server;
  let sent: string[] = [];

  const cutInline = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(cutInline);
    if (value === null || typeof value !== 'object') return value;
    const obj = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutInline(v)]));
    const inline = obj.object === 'subscription' ? 'items' : obj.object === 'invoice' ? 'lines' : null;
    if (inline !== null) {
      const list = obj[inline] as { data: unknown[] };
      obj[inline] = { ...list, data: list.data.slice(0, 1), has_more: list.data.length > 1 };
    }
    return obj;
  };

  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };

  beforeAll(async () => {
    proxy = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      sent.push(`${req.method} ${url.pathname}${url.search}`);
      const lines = /^\/v1\/invoices\/([^/]+)\/lines$/.exec(url.pathname);
      const upstream = await fetch(
        `${server.url}${lines ? `/v1/invoices/${lines[1]}` : url.pathname + url.search}`,
        {
          method: req.method ?? 'GET',
          headers: {
            authorization: req.headers.authorization ?? '',
            'content-type': 'application/x-www-form-urlencoded',
          },
          ...(req.method === 'GET' ? {} : { body: await body(req) }),
        },
      );
      const json = (await upstream.json()) as { lines?: unknown };
      res.writeHead(upstream.status, {
        'content-type': 'application/json',
        'request-id': upstream.headers.get('request-id') ?? '',
      });
      res.end(JSON.stringify(upstream.ok && lines ? json.lines : upstream.ok ? cutInline(json) : json));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  });
  beforeEach(() => {
    sent = [];
  });

  const viaProxy = () =>
    adapter({ host: '127.0.0.1', port: (proxy.address() as AddressInfo).port, protocol: 'http' });
  /** Item order is the list endpoint's once read from it; the view does not depend on it. */
  const itemsById = (parts: StripeAccountParts) =>
    parts.subscriptions.data.map((s) => ({
      ...s,
      items: [...s.items].sort((a, b) => a.id.localeCompare(b.id)),
    }));

  it('reads the rest of the items and lines: the same view as from whole inline lists', async () => {
    const whole = await adapter(server.clientConfig()).readAccount('cus_full');
    expect(server.requests()).toHaveLength(5);

    const cut = await viaProxy().readAccount('cus_full');
    expect(itemsById(cut)).toEqual(itemsById(whole));
    expect(cut.invoices).toEqual(whole.invoices);
    expect(cut.paymentMethods).toEqual(whole.paymentMethods);
    // The five requests of a read, plus one for each list that was cut: sub_full_live has two items,
    // in_full_uncollectible three lines; everything else fits inline.
    expect(sent.sort()).toEqual([
      'GET /v1/customers/cus_full',
      'GET /v1/customers/cus_full/payment_methods?limit=100',
      'GET /v1/invoices/in_full_uncollectible/lines?limit=100',
      'GET /v1/invoices?customer=cus_full&limit=10',
      'GET /v1/subscription_items?subscription=sub_full_live&limit=100',
      'GET /v1/subscriptions?customer=cus_full&status=all&limit=100',
      'POST /v1/invoices/create_preview',
    ]);
  });

  it('reads every item of a live subscription for the precondition check', async () => {
    const live = await viaProxy().readLive({ object: 'subscription', id: 'sub_full_live' });
    expect(live.items).toEqual([
      { id: 'si_full_addon', price: 'price_addon_m', quantity: 3 },
      { id: 'si_full_pro', price: 'price_pro_m', quantity: 1 },
    ]);
    expect(sent).toEqual([
      'GET /v1/subscriptions/sub_full_live',
      'GET /v1/subscription_items?subscription=sub_full_live&limit=100',
    ]);
  });
});
