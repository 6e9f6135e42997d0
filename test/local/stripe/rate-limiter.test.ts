import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../local/stripe/rate-limiter.js';
import { type LocalStripeServer, startLocalStripe } from '../../../local/stripe/server.js';

describe('TokenBuckets', () => {
  it.each([
    [
      'a full bucket lets a second of requests through, then refuses',
      5,
      [0, 0, 0, 0, 0, 0],
      [true, true, true, true, true, false],
    ],
    [
      'it refills at the rate',
      5,
      [0, 0, 0, 0, 0, 0, 200, 200],
      [true, true, true, true, true, false, true, false],
    ],
    ['it never holds more than a second', 2, [0, 0, 10_000, 10_000, 10_000], [true, true, true, true, false]],
    ['a rate under one still lets one through', 0.5, [0, 1_000, 2_000], [true, false, true]],
  ])('%s', (_name, rate, times, expected) => {
    const buckets = new TokenBuckets({ readsPerSecond: rate }, 0);
    expect(times.map((t) => buckets.take('read', t))).toEqual(expected);
  });

  it('keeps reads and writes apart, and a kind with no limit is never refused', () => {
    const buckets = new TokenBuckets({ writesPerSecond: 1 }, 0);
    expect([buckets.take('write', 0), buckets.take('write', 0)]).toEqual([true, false]);
    expect(Array.from({ length: 50 }, () => buckets.take('read', 0)).every(Boolean)).toBe(true);
    expect(TokenBuckets.kindOf('GET')).toBe('read');
    expect(TokenBuckets.kindOf('DELETE')).toBe('write');
  });
});

describe('the local Stripe API at its rate limit', () => {
  let server: LocalStripeServer;
  beforeAll(async () => {
    server = await startLocalStripe({ rateLimit: { readsPerSecond: 3 } });
  });
  afterAll(async () => {
    await server.stop();
  });

  const get = () =>
    fetch(`${server.url}/v1/customers?limit=1`, { headers: { authorization: 'Bearer sk_test_local' } });

  it('answers 429 with the error body and headers Stripe sends, and executes nothing', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, get));
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    expect(refused).toHaveLength(2);
    const first = refused[0] as Response;
    expect(first.headers.get('stripe-rate-limited-reason')).toBe('global-rate');
    expect(first.headers.get('stripe-should-retry')).toBeNull();
    expect(first.headers.get('request-id')).toMatch(/^req_/);
    expect(await first.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        doc_url: expect.stringContaining('rate-limit'),
      },
    });
    expect(server.requests().filter((r) => r.fault === 'rate_limit')).toHaveLength(2);
  });

  it('is changed and read over the admin API', async () => {
    const put = await fetch(`${server.url}/_admin/rate-limit`, {
      method: 'PUT',
      body: JSON.stringify({ readsPerSecond: 50, writesPerSecond: 10 }),
    });
    expect(await put.json()).toEqual({ readsPerSecond: 50, writesPerSecond: 10 });
    expect((await Promise.all(Array.from({ length: 20 }, get))).every((a) => a.status === 200)).toBe(true);
    const bad = await fetch(`${server.url}/_admin/rate-limit`, {
      method: 'PUT',
      body: JSON.stringify({ readsPerSecond: -1 }),
    });
    expect(bad.status).toBe(400);
  });
});
