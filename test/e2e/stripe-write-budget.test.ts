import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripeAdapter } from '../../shared/adapters/stripe/adapter.js';
import { changeFor } from '../shared/adapters/stripe-seed.js';

/**
 * A function built by the adapter factory (as deployed, and as the local runner's `processes` mode runs
 * it) reads its Stripe budgets from Firestore config on its first request. Applying a budget once used to
 * stop the rate limiter's per-second refill for good (Bottleneck's updateSettings with a reservoir), so
 * every write past about two seconds' worth of budget waited forever. The budget now spaces starts
 * (minTime) and never uses a reservoir: this holds it to that.
 */

let server: Server;
let base: URL;
let served = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      served += 1;
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${served}` });
      res.end(JSON.stringify({ id: 'cus_budget', object: 'customer', metadata: {} }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('Stripe budgets read from config', () => {
  it('keeps writing at the budget after the budget is applied (no write waits forever)', async () => {
    const writesPerSecond = 50;
    let budgetReads = 0;
    const adapter = new StripeAdapter({
      apiKey: 'sk_test_budget',
      host: base.hostname,
      port: Number(base.port),
      protocol: 'http',
      maxNetworkRetries: 0,
      budgets: async () => {
        budgetReads += 1;
        return { read: 100, write: writesPerSecond };
      },
      budgetTtlMs: 60_000,
    });
    const change = changeFor(
      'customer_update',
      { object: 'customer', id: 'cus_budget' },
      'customers.update',
      {},
    );
    const total = 130; // more than two seconds' worth of budget
    const started = Date.now();
    const writes = Promise.all(
      Array.from({ length: total }, (_, i) =>
        adapter.write(change, { 'metadata[n]': String(i) }, `budget-${i}`),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      writes.then(() => 'all written'),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`stuck after ${served} of ${total} writes`), 12_000);
      }),
    ]);
    clearTimeout(timer);
    const elapsed = Date.now() - started;
    expect(outcome).toBe('all written');
    expect(served).toBe(total);
    expect(adapter.rateStats().sharePerSecond.write).toBe(writesPerSecond);
    expect(budgetReads).toBe(1);
    // The budget still holds: starts are at least 1000 / writesPerSecond ms apart.
    expect(elapsed).toBeGreaterThanOrEqual(((total - 1) * 1000) / writesPerSecond - 50);
    await adapter.close();
  }, 20_000);
});
