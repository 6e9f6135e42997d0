import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalSubsApi, startLocalSubsApi } from '../../../local/zones/subs-api.js';
import type { ZoneSeed } from '../../../local/zones/table.js';
import { type LocalWww, startLocalWww } from '../../../local/zones/www.js';
import { SubsApiClient } from '../../../shared/adapters/subs-api.js';
import { WwwClient } from '../../../shared/adapters/www.js';
import { UpstreamError } from '../../../shared/ports/errors.js';

const AT = '2026-11-01T00:00:00.000Z';
const seed: ZoneSeed = {
  zones: [
    { zoneId: 'zone-1', accountId: 'acct-1', planLevel: 'pro', updatedAt: '2026-10-01T00:00:00.000Z' },
    { zoneId: 'zone-2', accountId: 'acct-1', planLevel: 'free', updatedAt: '2026-10-01T00:00:00.000Z' },
  ],
};

let subs: LocalSubsApi;
let www: LocalWww;
/** Answers whatever the current test sets: for statuses and bodies the local services never produce. */
let odd: Server;
let oddAnswer: { status: number; body: string; delayMs?: number } = { status: 200, body: '{}' };

beforeAll(async () => {
  subs = await startLocalSubsApi({ now: () => new Date(AT) });
  www = await startLocalWww({ now: () => new Date(AT) });
  odd = createServer((_req, res) => {
    const { status, body, delayMs } = oddAnswer;
    setTimeout(() => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body);
    }, delayMs ?? 0);
  });
  await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  odd.closeAllConnections();
  await Promise.all([subs.stop(), www.stop(), new Promise((r) => odd.close(r))]);
});
beforeEach(() => {
  subs.zones.reset();
  www.zones.reset();
  subs.seed(seed);
  www.seed(seed);
});

const oddUrl = () => `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;

describe('subs-api and www reads', () => {
  it.each([
    ['subs-api', () => new SubsApiClient({ baseUrl: subs.url })],
    ['www', () => new WwwClient({ baseUrl: `${www.url}/` })],
  ])('%s: a zone, or null when the service has no such zone', async (_name, client) => {
    const c = client();
    expect(await c.zone('zone-1')).toEqual({
      zoneId: 'zone-1',
      accountId: 'acct-1',
      planLevel: 'pro',
      updatedAt: '2026-10-01T00:00:00.000Z',
    });
    expect(await c.zone('zone-none')).toBeNull();
  });

  it('a 404 that is not "no such zone" (a wrong base URL) is an error, not an absence', async () => {
    const err = await new SubsApiClient({ baseUrl: `${subs.url}/wrong-prefix` })
      .zone('zone-1')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: 'subs-api', status: 404, retryable: false });
  });
});

describe('www conditional write', () => {
  it.each([
    {
      name: 'expected level: written',
      zoneId: 'zone-2',
      to: 'business',
      expected: 'free',
      result: {
        status: 'written',
        zone: { zoneId: 'zone-2', accountId: 'acct-1', planLevel: 'business', updatedAt: AT },
      },
      after: 'business',
    },
    {
      name: 'already at the target (a repeated write): written, unchanged',
      zoneId: 'zone-1',
      to: 'pro',
      expected: 'free',
      result: {
        status: 'written',
        zone: {
          zoneId: 'zone-1',
          accountId: 'acct-1',
          planLevel: 'pro',
          updatedAt: '2026-10-01T00:00:00.000Z',
        },
      },
      after: 'pro',
    },
    {
      name: 'another level than expected: conflict, not overwritten',
      zoneId: 'zone-1',
      to: 'business',
      expected: 'free',
      result: { status: 'conflict', currentPlanLevel: 'pro' },
      after: 'pro',
    },
    {
      name: 'unknown zone: not_found',
      zoneId: 'zone-none',
      to: 'pro',
      expected: 'free',
      result: { status: 'not_found' },
      after: null,
    },
  ])('$name', async ({ zoneId, to, expected, result, after }) => {
    const client = new WwwClient({ baseUrl: www.url });
    expect(await client.setPlanLevel(zoneId, to, expected)).toEqual(result);
    expect(www.zones.get(zoneId)?.planLevel ?? null).toBe(after);
  });

  it('an invalid request (400) is an error that retrying cannot fix', async () => {
    const err = await new WwwClient({ baseUrl: www.url })
      .setPlanLevel('zone-1', 'platinum', 'pro')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: 'www', status: 400, retryable: false });
    expect(err.message).toMatch(/invalid_request/);
  });
});

describe('upstream failures', () => {
  it.each([
    {
      name: '503',
      answer: { status: 503, body: '{"error":{"code":"unavailable"}}' },
      status: 503,
      retryable: true,
    },
    { name: '500 without a body', answer: { status: 500, body: '' }, status: 500, retryable: true },
    {
      name: '403',
      answer: { status: 403, body: '{"error":{"code":"forbidden"}}' },
      status: 403,
      retryable: false,
    },
    {
      name: '200 with a body that is not a zone',
      answer: { status: 200, body: '{"zoneId":"zone-1","planLevel":7}' },
      status: 200,
      retryable: false,
    },
    { name: '200 that is not JSON', answer: { status: 200, body: '<html>' }, status: 200, retryable: false },
    {
      name: 'no answer within the timeout',
      answer: { status: 200, body: '{}', delayMs: 1000 },
      status: null,
      retryable: true,
    },
  ])('$name -> UpstreamError retryable=$retryable', async ({ answer, status, retryable }) => {
    oddAnswer = answer;
    const err = await new SubsApiClient({ baseUrl: oddUrl(), timeoutMs: 200 }).zone('zone-1').catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ service: 'subs-api', status, retryable });
  });

  it('a refused connection is retryable', async () => {
    const err = await new WwwClient({ baseUrl: 'http://127.0.0.1:1' }).zone('zone-1').catch((e) => e);
    expect(err).toMatchObject({ name: 'UpstreamError', service: 'www', status: null, retryable: true });
  });
});
